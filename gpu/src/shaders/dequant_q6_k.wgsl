// Q6_K weights for matvec.wgsl. block_q6_K (ggml/src/ggml-common.h), 256 elements: 128 bytes
// ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, f16 d; x = d·sc·(q - 32).
// In half h (128 elements), element 32k + l (k = 0..3) takes nibble k/2 of ql[64h + 32(k%2) + l],
// bits 2k..2k+1 of qh[32h + l] and scale sc[8h + 2k + l/16] (`dequantize_row_q6_K`,
// ggml/src/ggml-quants.c). Packed: ql, qh, scales as 52 words per block; d in the f16 section.
// Scalar reference: bitsmith_engine::quant::kquants::dequantize_row_q6_k

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let blk = row * (p.n_in / 256u) + u / 8u;
    let base = blk * 52u;
    let c = u % 8u;
    let h = c / 4u;
    let k = c % 4u;
    // Scales 8h + 2k and 8h + 2k + 1 sit in one word (2k is even).
    let sj = 8u * h + 2u * k;
    let sw = sbytes4(w[base + 48u + sj / 4u]);
    let ql_base = base + 16u * h + 8u * (k % 2u);
    let qh_base = base + 32u + 8u * h;
    let ql_shift = 4u * (k / 2u);
    let qh_shift = 2u * k;
    var s_lo = 0.0; // elements 0..16 of the unit (first scale)
    var s_hi = 0.0; // elements 16..32 (second scale)
    for (var i = 0u; i < 8u; i = i + 1u) {
        let lo = (bytes4(w[ql_base + i]) >> vec4<u32>(ql_shift)) & vec4<u32>(0xfu);
        let hi = (bytes4(w[qh_base + i]) >> vec4<u32>(qh_shift)) & vec4<u32>(3u);
        let v = dot(vec4<f32>(lo | (hi << vec4<u32>(4u))) - 32.0, x[xb + i]);
        if (i < 4u) {
            s_lo = s_lo + v;
        } else {
            s_hi = s_hi + v;
        }
    }
    return d_at(blk) * (sw[sj % 4u] * s_lo + sw[sj % 4u + 1u] * s_hi);
}
