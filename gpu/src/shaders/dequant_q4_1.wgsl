// Q4_1 weights for matvec.wgsl. block_q4_1 (ggml/src/ggml-common.h): f16 d, f16 m, then 16
// bytes qs (nibbles as Q4_0); x = d · q + m. Its 20 bytes are already word-aligned, so blocks
// are stored unchanged: word 0 = d | m << 16, words 1..4 = qs.
// Scalar reference: bitsmith_engine::quant::legacy::dequantize_row_q4_1

fn dequant_unit(row: u32, u: u32) -> array<vec4<f32>, 8> {
    let base = (row * (p.n_in / 32u) + u) * 5u;
    let dm = w[base];
    let d = f16_to_f32(dm & 0xffffu);
    let m = f16_to_f32(dm >> 16u);
    var o: array<vec4<f32>, 8>;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let q = w[base + 1u + i];
        o[i] = nibbles4(q, 0u) * d + m;
        o[i + 4u] = nibbles4(q, 4u) * d + m;
    }
    return o;
}
