// F16 weights for matvec.wgsl: two halves per word, lower half first (little-endian storage).
// Scalar reference: bitsmith_engine::quant::float::dequantize_row_f16

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let base = (row * p.n_in + u * 32u) / 2u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i = i + 1u) {
        let a = w[base + 2u * i];
        let b = w[base + 2u * i + 1u];
        let wv = vec4<f32>(
            f16_to_f32(a & 0xffffu),
            f16_to_f32(a >> 16u),
            f16_to_f32(b & 0xffffu),
            f16_to_f32(b >> 16u),
        );
        s = s + dot(wv, x[xb + i]);
    }
    return s;
}
