// Matrix × activations on weights in their stored GGUF block format:
//   y[t][r] = Σ_i W[r][i] · x[t][i]  (+ bias[r] when FLAG_BIAS)  (+ y[t][r] when FLAG_ACCUMULATE)
// for `n_out` weight rows of `n_in` elements and `n_tok` rows of f32 activations.
// Scalar reference: bitsmith_engine::ops::matvec_dequant (tests also compare with the CPU
// inference path, which quantizes the activations to Q8 first).
//
// The weight type is chosen by appending one `dequant_<type>.wgsl` to this file: it defines
// `dequant_unit(row, u)`, which returns the 32 weights of unit `u` (elements 32u..32u+32) of
// `row` as 8 vec4s, decoded from the packed u32 words in `w` (see gpu/src/weights.rs for the
// layout: each block's bytes as stored, with a lone f16 scale that would break 4-byte alignment
// moved to a second section starting at word `d_off`).
//
// Work split: a workgroup of 64 threads handles ROWS rows × TOK tokens; LANES threads share a
// row, each taking every LANES-th unit, and a tree reduction in workgroup memory sums the
// lanes. Each decoded unit is multiplied with all TOK tokens, so a batch (prompt processing)
// decodes every weight once per TOK tokens rather than once per token.

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

const LANES: u32 = 16u;
const ROWS: u32 = 4u;
const TOK: u32 = 4u;
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
    var acc: array<f32, TOK>;
    if (row < p.n_out) {
        let units = p.n_in / 32u;
        for (var u = lane; u < units; u = u + LANES) {
            let wv = dequant_unit(row, u);
            for (var t = 0u; t < TOK; t = t + 1u) {
                if (t0 + t < p.n_tok) {
                    let xb = (p.x_off + (t0 + t) * p.x_stride + u * 32u) / 4u;
                    var s = dot(wv[0], x[xb]) + dot(wv[1], x[xb + 1u]);
                    s = s + dot(wv[2], x[xb + 2u]) + dot(wv[3], x[xb + 3u]);
                    s = s + dot(wv[4], x[xb + 4u]) + dot(wv[5], x[xb + 5u]);
                    s = s + dot(wv[6], x[xb + 6u]) + dot(wv[7], x[xb + 7u]);
                    acc[t] = acc[t] + s;
                }
            }
        }
    }
    for (var t = 0u; t < TOK; t = t + 1u) {
        red[t * WG + li] = acc[t];
    }
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
