// Matrix × activations on weights in their stored GGUF block format:
//   y[t][r] = Σ_i W[r][i] · x[t][i]  (+ bias[r] when FLAG_BIAS)  (+ y[t][r] when FLAG_ACCUMULATE)
// for `n_out` weight rows of `n_in` elements and `n_tok` rows of f32 activations.
// Scalar reference: bitsmith_engine::ops::matvec_dequant (tests also compare with the CPU
// inference path, which quantizes the activations to Q8 first).
//
// The weight type is chosen by appending one `dequant_<type>.wgsl` to this file: it defines
// `unit_dot(row, u, xb)`, the dot product of the 32 weights of unit `u` (elements 32u..32u+32)
// of `row`, decoded from the packed u32 words in `w`, with the 8 vec4s of activations at
// `x[xb..]` (see gpu/src/weights.rs for the layout: each block's bytes as stored, with a lone
// f16 scale that would break 4-byte alignment moved to a second section at word `d_off`).
// Decoding straight into the dot product keeps everything in registers: returning the decoded
// weights as an array was twice as slow on lavapipe, whose private arrays live in memory.
//
// Work split: a workgroup of 64 threads handles ROWS rows × TOK tokens; LANES threads share a
// row, each taking every LANES-th unit (neighbouring lanes read neighbouring blocks), and a
// tree reduction in workgroup memory sums the lanes. TOK is 1 for decode and 4 for batches
// (the Rust side compiles both variants): a 4-token tile re-reads each block from cache rather
// than from memory.

struct Params {
    n_in: u32,
    n_out: u32,
    n_tok: u32,
    flags: u32,
    x_off: u32,
    x_stride: u32,
    y_off: u32,
    y_stride: u32,
    d_off: u32,
    groups_x: u32,
    bias_off: u32,
    _pad: u32,
}

const FLAG_ACCUMULATE: u32 = 1u;
const FLAG_BIAS: u32 = 2u;

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const LANES: u32 = 8u;
const ROWS: u32 = 8u;
const TOK: u32 = 4u; // replaced by 1 in the decode variant (gpu/src/kernels.rs)
const WG: u32 = 64u; // LANES * ROWS

var<workgroup> red: array<f32, 256>; // TOK * WG

// IEEE half-precision bits to f32, decoded with integer operations so that subnormal scales
// survive on every implementation (WGSL lets unpack2x16float flush them).
fn f16_to_f32(h: u32) -> f32 {
    let e = (h >> 10u) & 31u;
    let m = h & 1023u;
    var v: f32;
    if (e == 0u) {
        v = f32(m) * 5.9604644775390625e-8; // m · 2^-24
    } else if (e == 31u) {
        v = bitcast<f32>(0x7f800000u | (m << 13u));
    } else {
        v = bitcast<f32>(((e + 112u) << 23u) | (m << 13u));
    }
    return select(v, -v, (h & 0x8000u) != 0u);
}

// The f16 at position `i` of the packed scale section.
fn d_at(i: u32) -> f32 {
    return f16_to_f32((w[p.d_off + i / 2u] >> (16u * (i & 1u))) & 0xffffu);
}

// The four bytes of a word, lowest first.
fn bytes4(v: u32) -> vec4<u32> {
    return (vec4<u32>(v) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

// The four bytes of a word as signed (int8) values.
fn sbytes4(v: u32) -> vec4<f32> {
    let s = bitcast<vec4<i32>>(vec4<u32>(v) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
    return vec4<f32>(s);
}

// The nibble at bit `shift` (0 or 4) of each byte of a word.
fn nibbles4(v: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>((bytes4(v) >> vec4<u32>(shift)) & vec4<u32>(0xfu));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let lane = li % LANES;
    let row = (wg.x + wg.y * p.groups_x) * ROWS + li / LANES;
    let t0 = wg.z * TOK;
    // Four scalar accumulators rather than an array, for the same reason as unit_dot.
    var a0 = 0.0;
    var a1 = 0.0;
    var a2 = 0.0;
    var a3 = 0.0;
    if (row < p.n_out) {
        let units = p.n_in / 32u;
        let xs = p.x_stride / 4u;
        for (var u = lane; u < units; u = u + LANES) {
            let xb = (p.x_off + t0 * p.x_stride + u * 32u) / 4u;
            a0 = a0 + unit_dot(row, u, xb);
            if (TOK > 1u) {
                if (t0 + 1u < p.n_tok) {
                    a1 = a1 + unit_dot(row, u, xb + xs);
                }
                if (t0 + 2u < p.n_tok) {
                    a2 = a2 + unit_dot(row, u, xb + 2u * xs);
                }
                if (t0 + 3u < p.n_tok) {
                    a3 = a3 + unit_dot(row, u, xb + 3u * xs);
                }
            }
        }
    }
    red[li] = a0;
    red[WG + li] = a1;
    red[2u * WG + li] = a2;
    red[3u * WG + li] = a3;
    workgroupBarrier();
    for (var stride = LANES / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            for (var t = 0u; t < TOK; t = t + 1u) {
                red[t * WG + li] = red[t * WG + li] + red[t * WG + li + stride];
            }
        }
        workgroupBarrier();
    }
    if (lane == 0u && row < p.n_out) {
        for (var t = 0u; t < TOK; t = t + 1u) {
            if (t0 + t < p.n_tok) {
                let yi = p.y_off + (t0 + t) * p.y_stride + row;
                var v = red[t * WG + li];
                if ((p.flags & FLAG_BIAS) != 0u) {
                    v = v + bias[p.bias_off + row];
                }
                if ((p.flags & FLAG_ACCUMULATE) != 0u) {
                    v = v + y[yi];
                }
                y[yi] = v;
            }
        }
    }
}
