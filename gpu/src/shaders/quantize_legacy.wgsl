// Quantizes f32 values to ggml's legacy 32-element blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), one
// block per invocation, with the arithmetic of the CPU reference step for step (the `_ref`
// quantizers of ggml/src/ggml-quants.c, as bitsmith_engine::quant::legacy writes them) in the
// exact integer float operations of softfloat.wgsl. Values are read as bit patterns, so no
// hardware float operation ever touches them.
//
// Output, per block, WORDS u32s (little-endian, as the CPU packs them into the ggml layout):
//   word 0: d (f16 bits) | m (f16 bits) << 16      (m only for Q4_1 and Q5_1)
//   word 1: qh                                     (Q5_0 and Q5_1 only)
//   then the quant bytes: 16 for the 4- and 5-bit types (two nibbles each), 32 for Q8_0.
// Scalar reference: bitsmith_engine::quant::legacy::quantize_row_q8_0 (and its Q4_0, Q4_1,
// Q5_0, Q5_1 siblings in the same module).

const QTYPE: u32 = 0u; // replaced per type: 0 Q8_0, 1 Q4_0, 2 Q4_1, 3 Q5_0, 4 Q5_1

struct Params {
    n_blocks: u32,
    src_off: u32,
    dst_off: u32,
    groups_x: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// Float constants as bits.
const F_HALF: u32 = 0x3f000000u; // 0.5
const F_8_5: u32 = 0x41080000u; // 8.5
const F_16_5: u32 = 0x41840000u; // 16.5
const F_127: u32 = 0x42fe0000u; // 127
const F_M8: u32 = 0xc1000000u; // -8
const F_M16: u32 = 0xc1800000u; // -16
const F_15: u32 = 0x41700000u; // 15
const F_31: u32 = 0x41f80000u; // 31
const F_ONE: u32 = 0x3f800000u; // 1
const F_MAX: u32 = 0x7f7fffffu; // f32::MAX

fn words() -> u32 {
    switch QTYPE {
        case 0u: { return 9u; }
        case 1u, 2u: { return 5u; }
        default: { return 6u; }
    }
}

// `d ? 1.0f / d : 0.0f`
fn inv_or_zero(d: u32) -> u32 {
    if ((d & 0x7fffffffu) == 0u) {
        return 0u;
    }
    return sf_div(F_ONE, d);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let blk = (wg.x + wg.y * p.groups_x) * 64u + li;
    if (blk >= p.n_blocks) {
        return;
    }
    var x: array<u32, 32>;
    let base = p.src_off + blk * 32u;
    for (var j = 0u; j < 32u; j++) {
        x[j] = src[base + j];
    }
    var q: array<u32, 32>; // quant bytes (low 8 bits used)
    var head = 0u;
    if (QTYPE == 0u) {
        // amax = max |x|; d = amax / 127; q = (int8)roundf(x * id)
        var amax = 0u;
        for (var j = 0u; j < 32u; j++) {
            let a = x[j] & 0x7fffffffu;
            if (!sf_lt(a, amax)) {
                amax = a;
            }
        }
        let d = sf_div(amax, F_127);
        let id = inv_or_zero(d);
        head = sf_to_f16(d);
        for (var j = 0u; j < 32u; j++) {
            q[j] = u32(sf_round_i32(sf_mul(x[j], id))) & 0xffu;
        }
    } else if (QTYPE == 1u || QTYPE == 3u) {
        // The value of largest magnitude, first one on ties; d = max / -8 (or -16).
        var amax = 0u;
        var vmax = 0u;
        for (var j = 0u; j < 32u; j++) {
            let a = x[j] & 0x7fffffffu;
            if (sf_lt(amax, a)) {
                amax = a;
                vmax = x[j];
            }
        }
        var d: u32;
        var offset: u32;
        var top: i32;
        if (QTYPE == 1u) {
            d = sf_div(vmax, F_M8);
            offset = F_8_5;
            top = 15;
        } else {
            d = sf_div(vmax, F_M16);
            offset = F_16_5;
            top = 31;
        }
        let id = inv_or_zero(d);
        head = sf_to_f16(d);
        for (var j = 0u; j < 32u; j++) {
            // MIN(top, (int8_t)(x * id + offset)), then as a byte
            let t = sf_as_i8(sf_trunc_i32(sf_add(sf_mul(x[j], id), offset)));
            q[j] = u32(min(top, t)) & 0xffu;
        }
    } else {
        // Q4_1 / Q5_1: d = (max - min) / 15 (or 31), m = min, q = (x - min) * id + 0.5
        var mn = F_MAX;
        var mx = F_MAX | 0x80000000u;
        for (var j = 0u; j < 32u; j++) {
            if (sf_lt(x[j], mn)) {
                mn = x[j];
            }
            if (sf_lt(mx, x[j])) {
                mx = x[j];
            }
        }
        var levels = F_15;
        if (QTYPE == 4u) {
            levels = F_31;
        }
        let d = sf_div(sf_sub(mx, mn), levels);
        let id = inv_or_zero(d);
        head = sf_to_f16(d) | (sf_to_f16(mn) << 16u);
        for (var j = 0u; j < 32u; j++) {
            let t = sf_trunc_i32(sf_add(sf_mul(sf_sub(x[j], mn), id), F_HALF));
            if (QTYPE == 2u) {
                q[j] = u32(min(15, sf_as_i8(t))) & 0xffu;
            } else {
                // (uint8_t)(x + 0.5f): no clamp in ggml.
                q[j] = u32(t) & 0xffu;
            }
        }
    }
    let out = p.dst_off + blk * words();
    dst[out] = head;
    if (QTYPE == 0u) {
        for (var w = 0u; w < 8u; w++) {
            dst[out + 1u + w] = q[4u * w] | (q[4u * w + 1u] << 8u) | (q[4u * w + 2u] << 16u)
                | (q[4u * w + 3u] << 24u);
        }
        return;
    }
    var body = out + 1u;
    if (QTYPE >= 3u) {
        // Bit 4 of quant j is bit j of qh.
        var qh = 0u;
        for (var j = 0u; j < 32u; j++) {
            qh = qh | (((q[j] >> 4u) & 1u) << j);
        }
        dst[body] = qh;
        body = body + 1u;
    }
    // Byte j holds quant j in its low nibble and quant j + 16 in its high one.
    for (var w = 0u; w < 4u; w++) {
        var word = 0u;
        for (var k = 0u; k < 4u; k++) {
            let j = 4u * w + k;
            var byte: u32;
            if (QTYPE <= 2u) {
                // Q4: `xi0 | (xi1 << 4)` on bytes (no masking, as the reference).
                byte = (q[j] | (q[j + 16u] << 4u)) & 0xffu;
            } else {
                byte = (q[j] & 0x0fu) | ((q[j + 16u] & 0x0fu) << 4u);
            }
            word = word | (byte << (8u * k));
        }
        dst[body + w] = word;
    }
}
