//! Scalar reference implementations of the tensor operations inference needs. These are the
//! truth that every fast kernel (wasm simd128, native SIMD, WGSL) is tested against.

/// RMSNorm as llama.cpp computes it (`ggml_rms_norm` then a multiply by the weight):
/// `out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i]`. The sum of squares is accumulated in f64,
/// which keeps the reference well away from the tolerance its fast versions are held to.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    assert_eq!(x.len(), weight.len(), "rms_norm: weight length");
    assert_eq!(x.len(), out.len(), "rms_norm: output length");
    if x.is_empty() {
        return;
    }
    let sum_sq: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    let mean = sum_sq / x.len() as f64;
    let scale = (1.0 / (mean + f64::from(eps)).sqrt()) as f32;
    for ((o, &v), &w) in out.iter_mut().zip(x).zip(weight) {
        *o = v * scale * w;
    }
}

/// Applies `rms_norm` to each row of `x` (rows of `weight.len()` elements).
pub fn rms_norm_rows(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    let n = weight.len();
    assert!(
        n > 0 && x.len().is_multiple_of(n),
        "rms_norm_rows: ragged rows"
    );
    for (row, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        rms_norm(row, weight, eps, o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_of_constant_row_is_the_weight() {
        let x = [3.0f32; 8];
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let mut out = [0.0; 8];
        rms_norm(&x, &w, 0.0, &mut out);
        for (o, w) in out.iter().zip(w) {
            assert!((o - w).abs() < 1e-6, "{o} vs {w}");
        }
    }

    #[test]
    fn rms_norm_eps_keeps_zero_row_finite() {
        let x = [0.0f32; 4];
        let mut out = [1.0; 4];
        rms_norm(&x, &[1.0; 4], 1e-5, &mut out);
        assert_eq!(out, [0.0; 4]);
    }
}
