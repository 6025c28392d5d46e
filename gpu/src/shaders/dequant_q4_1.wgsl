// Q4_1 weights for matvec.wgsl. block_q4_1 (ggml/src/ggml-common.h): f16 d, f16 m, then 16
// bytes qs (nibbles as Q4_0); x = d · q + m. Its 20 bytes are already word-aligned, so blocks
// are stored unchanged: word 0 = d | m << 16, words 1..4 = qs.
// Scalar reference: bitsmith_engine::quant::legacy::dequantize_row_q4_1

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let base = (row * (p.n_in / 32u) + u) * 5u;
    let dm = w[base];
    var qx = 0.0; // Σ q·x
    var sx = 0.0; // Σ x, for the offset m
    for (var i = 0u; i < 4u; i = i + 1u) {
        let q = w[base + 1u + i];
        let xl = x[xb + i];
        let xh = x[xb + 4u + i];
        qx = qx + dot(nibbles4(q, 0u), xl) + dot(nibbles4(q, 4u), xh);
        sx = sx + dot(xl + xh, vec4<f32>(1.0));
    }
    return qx * f16_to_f32(dm & 0xffffu) + sx * f16_to_f32(dm >> 16u);
}
