// Q4_0 weights for matvec.wgsl. block_q4_0 (ggml/src/ggml-common.h): f16 d, then 16 bytes qs;
// byte j holds element j in its low nibble and element j+16 in its high nibble;
// x = d · (q - 8). Packed: qs as 4 words per block; d in the f16 section.
// Scalar reference: bitsmith_engine::quant::legacy::dequantize_row_q4_0

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let blk = row * (p.n_in / 32u) + u;
    var s = 0.0;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let q = w[blk * 4u + i];
        s = s + dot(nibbles4(q, 0u) - 8.0, x[xb + i]) + dot(nibbles4(q, 4u) - 8.0, x[xb + 4u + i]);
    }
    return s * d_at(blk);
}
