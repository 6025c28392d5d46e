// F32 weights for matvec.wgsl: the words are the f32 bits themselves.
// Scalar reference: bitsmith_engine::quant::float::dequantize_row_f32

fn unit_dot(row: u32, u: u32, xb: u32) -> f32 {
    let base = row * p.n_in + u * 32u;
    var s = 0.0;
    for (var i = 0u; i < 8u; i = i + 1u) {
        let b = base + 4u * i;
        let wv = bitcast<vec4<f32>>(vec4<u32>(w[b], w[b + 1u], w[b + 2u], w[b + 3u]));
        s = s + dot(wv, x[xb + i]);
    }
    return s;
}
