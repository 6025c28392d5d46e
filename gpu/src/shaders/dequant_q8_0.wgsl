// Q8_0 weights for matvec.wgsl. block_q8_0 (ggml/src/ggml-common.h): f16 d, then 32 int8 qs;
// x = d · q. Packed: the 32 qs as 8 words per block; d in the f16 section.
// Scalar reference: bitsmith_engine::quant::legacy::dequantize_row_q8_0

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let blk = row * (p.n_in / 32u) + u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i = i + 1u) {
        s = s + dot(sbytes4(w[blk * 8u + i]), x[xb + i]);
    }
    return s * d_at(blk);
}
