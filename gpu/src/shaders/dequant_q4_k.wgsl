// Q4_K weights for matvec.wgsl. block_q4_K (ggml/src/ggml-common.h), 256 elements: f16 d,
// f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes qs. Sub-block c (32 elements) reads
// nibble c % 2 of qs bytes 32·(c/2)..+32; x = d·sc[c]·q - dmin·m[c], with (sc, m) unpacked as
// `get_scale_min_k4` (ggml/src/ggml-quants.c). The 144 bytes are word-aligned, so blocks are
// stored unchanged: word 0 = d | dmin << 16, words 1..3 scales, words 4..35 qs.
// Scalar reference: bitsmith_engine::quant::kquants::dequantize_row_q4_k

fn scale_byte(base: u32, j: u32) -> u32 {
    return (w[base + 1u + j / 4u] >> (8u * (j % 4u))) & 0xffu;
}

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let base = (row * (p.n_in / 256u) + u / 8u) * 36u;
    let c = u % 8u;
    let dd = w[base];
    var sc: u32;
    var mn: u32;
    if (c < 4u) {
        sc = scale_byte(base, c) & 63u;
        mn = scale_byte(base, c + 4u) & 63u;
    } else {
        sc = (scale_byte(base, c + 4u) & 0xfu) | ((scale_byte(base, c - 4u) >> 6u) << 4u);
        mn = (scale_byte(base, c + 4u) >> 4u) | ((scale_byte(base, c) >> 6u) << 4u);
    }
    let qbase = base + 4u + 8u * (c / 2u);
    let shift = 4u * (c % 2u);
    var qx = 0.0; // Σ q·x
    var sx = 0.0; // Σ x, for the sub-block minimum
    for (var i = 0u; i < 8u; i = i + 1u) {
        let xv = x[xb + i];
        qx = qx + dot(nibbles4(w[qbase + i], shift), xv);
        sx = sx + dot(xv, vec4<f32>(1.0));
    }
    return f16_to_f32(dd & 0xffffu) * f32(sc) * qx - f16_to_f32(dd >> 16u) * f32(mn) * sx;
}
