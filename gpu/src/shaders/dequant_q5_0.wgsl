// Q5_0 weights for matvec.wgsl. block_q5_0 (ggml/src/ggml-common.h): f16 d, 4 bytes qh (bit j
// = fifth bit of element j), 16 bytes qs (low nibbles as Q4_0); x = d · (q - 16).
// Packed: qh then qs as 5 words per block; d in the f16 section.
// Scalar reference: bitsmith_engine::quant::legacy::dequantize_row_q5_0

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let blk = row * (p.n_in / 32u) + u;
    let qh = w[blk * 5u];
    let sh = vec4<u32>(0u, 1u, 2u, 3u);
    var s = 0.0;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let q = w[blk * 5u + 1u + i];
        let hl = vec4<f32>(((vec4<u32>(qh >> (4u * i)) >> sh) & vec4<u32>(1u)) << vec4<u32>(4u));
        let hh = vec4<f32>(((vec4<u32>(qh >> (16u + 4u * i)) >> sh) & vec4<u32>(1u)) << vec4<u32>(4u));
        s = s + dot(nibbles4(q, 0u) + hl - 16.0, x[xb + i]);
        s = s + dot(nibbles4(q, 4u) + hh - 16.0, x[xb + 4u + i]);
    }
    return s * d_at(blk);
}
