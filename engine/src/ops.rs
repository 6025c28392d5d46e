//! Scalar reference implementations of the tensor operations inference needs. These are the
//! truth that every fast kernel (wasm simd128, native SIMD, WGSL) is tested against.

use crate::GgmlType;
use crate::infer::RopeKind;
use crate::quant::{self, QuantError};

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

/// Matrix × activations on dequantized weights: `out[t * n_out + r] = Σ_i W[r][i] · x[t][i]`,
/// with `W` stored as `n_out` rows of `n_in` elements of type `ty` (rows of `ty.row_bytes(n_in)`
/// bytes, as in a GGUF tensor) and `x` holding rows of `n_in` f32 activations. Each row is
/// dequantized with [`quant::dequantize_row`] and the products are summed in f64.
///
/// This is the exact arithmetic the GPU's matrix kernels approximate in f32. The CPU inference
/// path (`infer::matmul`) instead quantizes the activations to Q8 (as ggml does), which moves
/// its results further from this reference than the GPU's.
pub fn matvec_dequant(
    ty: GgmlType,
    w: &[u8],
    n_in: usize,
    x: &[f32],
    out: &mut [f32],
) -> Result<(), QuantError> {
    let row_bytes = ty.row_bytes(n_in).ok_or(QuantError::PartialBlock {
        ty,
        block: ty.block_size(),
        n: n_in,
    })?;
    if row_bytes == 0 || !w.len().is_multiple_of(row_bytes) {
        return Err(QuantError::Size {
            expected: row_bytes,
            got: w.len(),
        });
    }
    let n_out = w.len() / row_bytes;
    if n_in == 0 || !x.len().is_multiple_of(n_in) || out.len() != x.len() / n_in * n_out {
        return Err(QuantError::Size {
            expected: x.len() / n_in.max(1) * n_out,
            got: out.len(),
        });
    }
    let mut row = vec![0f32; n_in];
    for (r, wr) in w.chunks_exact(row_bytes).enumerate() {
        quant::dequantize_row(ty, wr, &mut row)?;
        for (t, xt) in x.chunks_exact(n_in).enumerate() {
            let s: f64 = row
                .iter()
                .zip(xt)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            out[t * n_out + r] = s as f32;
        }
    }
    Ok(())
}

/// RoPE's cos/sin table for positions `p0..p0 + n_pos`: `n_pos` rows of `n_rot` values, `cos`
/// and `sin` of each rotated pair interleaved. As ggml's `ggml_rope_cache_init`
/// (ggml/src/ggml-cpu/ops.cpp): the angle of pair `i` at position `p` is
/// `freq_scale · (p · base^(-2i/n_rot)) / freq_factors[i]`, with the power built by repeated f32
/// multiplication so every position gets the same f32 angle as llama.cpp's CPU backend.
///
/// The GPU kernels take this table instead of computing sin/cos themselves: WGSL's `sin`/`cos`
/// are only specified to an absolute error of 2^-11 on [-π, π], and angles reach thousands of
/// radians at long context.
pub fn rope_cache(
    p0: usize,
    n_pos: usize,
    n_rot: usize,
    base: f32,
    freq_scale: f32,
    freq_factors: Option<&[f32]>,
) -> Vec<f32> {
    let half = n_rot / 2;
    let theta_scale = base.powf(-2.0 / n_rot as f32);
    let mut table = vec![0f32; n_pos * n_rot];
    for (t, row) in table.chunks_exact_mut(n_rot.max(1)).enumerate().take(n_pos) {
        let mut theta = (p0 + t) as f32;
        for i in 0..half {
            let ff = freq_factors.map_or(1.0, |f| f[i]);
            let angle = freq_scale * (theta / ff);
            row[2 * i] = angle.cos();
            row[2 * i + 1] = angle.sin();
            theta *= theta_scale;
        }
    }
    table
}

/// Rotates the first `n_rot` dimensions of each of the `n_heads` heads (`head_dim` values each)
/// of every row of `x` by the matching row of `table` ([`rope_cache`]). `RopeKind::Norm`
/// (llama) rotates adjacent pairs `(2i, 2i+1)`, `RopeKind::Neox` (Qwen2) pairs `(i, i + n_rot/2)`
/// (`rope_f32` in ggml/src/ggml-cpu/ops.cpp).
pub fn rope(
    x: &mut [f32],
    n_heads: usize,
    head_dim: usize,
    n_rot: usize,
    kind: RopeKind,
    table: &[f32],
) {
    let half = n_rot / 2;
    if half == 0 {
        return;
    }
    assert!(
        n_rot <= head_dim,
        "rope: n_rot {n_rot} > head_dim {head_dim}"
    );
    let row_len = n_heads * head_dim;
    assert!(
        x.len().is_multiple_of(row_len) && table.len() >= x.len() / row_len * n_rot,
        "rope: {} values, {} table entries",
        x.len(),
        table.len()
    );
    for (row, cs) in x.chunks_exact_mut(row_len).zip(table.chunks_exact(n_rot)) {
        for head in row.chunks_exact_mut(head_dim) {
            for i in 0..half {
                let (c, s) = (cs[2 * i], cs[2 * i + 1]);
                let (a, b) = match kind {
                    RopeKind::Norm => (2 * i, 2 * i + 1),
                    RopeKind::Neox => (i, i + half),
                };
                let (x0, x1) = (head[a], head[b]);
                head[a] = x0 * c - x1 * s;
                head[b] = x0 * s + x1 * c;
            }
        }
    }
}

/// Softmax of one row in place: `exp(x - max) / Σ exp(x - max)`, the sum in f64 (as the CPU
/// forward pass's attention does).
pub fn softmax(x: &mut [f32]) {
    if x.is_empty() {
        return;
    }
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0f64;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    let inv = (1.0 / sum) as f32;
    for v in x.iter_mut() {
        *v *= inv;
    }
}

/// `x · sigmoid(x)`, as ggml's `ggml_silu_f32`.
#[inline]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// The SwiGLU feed-forward gate in place: `gate[i] = silu(gate[i]) · up[i]`.
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    assert_eq!(gate.len(), up.len(), "swiglu: lengths");
    for (g, u) in gate.iter_mut().zip(up) {
        *g = silu(*g) * u;
    }
}

/// The shape of a grouped-query attention: `n_head` query heads of `head_dim` (Q and K) and
/// `head_dim_v` (V) values, sharing `n_head_kv` key/value heads (`n_head / n_head_kv` query
/// heads per KV head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttnShape {
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub head_dim_v: usize,
}

/// Causal grouped-query attention of `q` (rows of `n_head · head_dim`, the queries of the
/// tokens at positions `p0, p0 + 1, ...`) over `keys` and `values` (rows of
/// `n_head_kv · head_dim` / `n_head_kv · head_dim_v`, positions `0..`, the batch's own keys
/// already stored). Query `t` sees positions `0..=p0 + t`; scores are scaled by
/// `1/sqrt(head_dim)`. `out` receives rows of `n_head · head_dim_v`. The same arithmetic as the
/// CPU forward pass (`infer::model`): f32 scores and weights, the softmax sum in f64.
pub fn attention(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    shape: AttnShape,
    p0: usize,
    out: &mut [f32],
) {
    let AttnShape {
        n_head,
        n_head_kv,
        head_dim: hd,
        head_dim_v: hdv,
    } = shape;
    let (qd, kd, vd) = (n_head * hd, n_head_kv * hd, n_head_kv * hdv);
    assert!(
        n_head_kv > 0 && n_head.is_multiple_of(n_head_kv),
        "attention: heads"
    );
    assert!(q.len().is_multiple_of(qd), "attention: ragged queries");
    let nt = q.len() / qd;
    let n_all = p0 + nt;
    assert!(keys.len() >= n_all * kd && values.len() >= n_all * vd);
    assert_eq!(out.len(), nt * n_head * hdv, "attention: output length");
    let group = n_head / n_head_kv;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut scores = vec![0f32; n_all];
    for t in 0..nt {
        let n_kv = p0 + t + 1;
        for h in 0..n_head {
            let g = h / group;
            let qh = &q[t * qd + h * hd..t * qd + (h + 1) * hd];
            for (j, s) in scores[..n_kv].iter_mut().enumerate() {
                let kh = &keys[j * kd + g * hd..j * kd + (g + 1) * hd];
                *s = qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>() * scale;
            }
            softmax(&mut scores[..n_kv]);
            let o = &mut out[(t * n_head + h) * hdv..(t * n_head + h + 1) * hdv];
            o.fill(0.0);
            for (j, &p) in scores[..n_kv].iter().enumerate() {
                let vh = &values[j * vd + g * hdv..j * vd + (g + 1) * hdv];
                for (oi, &vi) in o.iter_mut().zip(vh) {
                    *oi += p * vi;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut x = [1.0f32, 2.0, 3.0, -1e30];
        softmax(&mut x);
        let sum: f32 = x.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6);
        assert!(x[0] < x[1] && x[1] < x[2]);
        assert_eq!(x[3], 0.0);
        assert!((x[2] / x[1] - std::f32::consts::E).abs() < 1e-5);
    }

    #[test]
    fn rope_at_position_zero_is_identity_and_preserves_norms() {
        let table = rope_cache(0, 1, 4, 10000.0, 1.0, None);
        let mut x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        rope(&mut x, 1, 6, 4, RopeKind::Norm, &table);
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // Position 7: pair 0 turns by exactly 7 rad; rotations keep each pair's length.
        let table = rope_cache(7, 1, 4, 10000.0, 1.0, None);
        assert!((table[0] - 7f32.cos()).abs() < 1e-7 && (table[1] - 7f32.sin()).abs() < 1e-7);
        for kind in [RopeKind::Norm, RopeKind::Neox] {
            let mut y = [1.0f32, 2.0, 3.0, 4.0];
            rope(&mut y, 1, 4, 4, kind, &table);
            let (a, b) = match kind {
                RopeKind::Norm => ((0, 1), (2, 3)),
                RopeKind::Neox => ((0, 2), (1, 3)),
            };
            let len = |p: (usize, usize), v: &[f32]| v[p.0].hypot(v[p.1]);
            let x0 = [1.0f32, 2.0, 3.0, 4.0];
            assert!((len(a, &y) - len(a, &x0)).abs() < 1e-5);
            assert!((len(b, &y) - len(b, &x0)).abs() < 1e-5);
        }
    }

    #[test]
    fn attention_of_one_position_returns_its_value() {
        // One KV head shared by two query heads; a single position: softmax weight 1.
        let shape = AttnShape {
            n_head: 2,
            n_head_kv: 1,
            head_dim: 2,
            head_dim_v: 3,
        };
        let q = [0.3f32, -1.0, 2.0, 0.5];
        let k = [1.0f32, 2.0];
        let v = [4.0f32, 5.0, 6.0];
        let mut out = [0f32; 6];
        attention(&q, &k, &v, shape, 0, &mut out);
        assert_eq!(out, [4.0, 5.0, 6.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn attention_is_causal() {
        // Two tokens in one batch: the first must ignore the second's (huge) value.
        let shape = AttnShape {
            n_head: 1,
            n_head_kv: 1,
            head_dim: 1,
            head_dim_v: 1,
        };
        let (q, k, v) = ([1.0f32, 1.0], [0.0f32, 0.0], [1.0f32, 1e6]);
        let mut out = [0f32; 2];
        attention(&q, &k, &v, shape, 0, &mut out);
        assert_eq!(out[0], 1.0);
        assert!((out[1] - (1.0 + 1e6) / 2.0).abs() < 1.0);
    }

    #[test]
    fn matvec_dequant_matches_plain_f32_and_rejects_bad_shapes() {
        let w: Vec<f32> = (0..64).map(|i| i as f32 * 0.25 - 8.0).collect();
        let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
        let x: Vec<f32> = (0..64).map(|i| (i % 5) as f32 - 2.0).collect();
        let mut out = [0f32; 4]; // 2 rows of 32 × 2 tokens
        matvec_dequant(GgmlType::F32, &bytes, 32, &x, &mut out).unwrap();
        for t in 0..2 {
            for r in 0..2 {
                let want: f32 = (0..32).map(|i| w[r * 32 + i] * x[t * 32 + i]).sum();
                assert!((out[t * 2 + r] - want).abs() < 1e-4);
            }
        }
        assert!(matvec_dequant(GgmlType::Q8_0, &bytes, 31, &x, &mut out).is_err());
        assert!(matvec_dequant(GgmlType::F32, &bytes, 32, &x[..33], &mut out).is_err());
    }

    #[test]
    fn swiglu_matches_definition() {
        let mut g = [0.0f32, 1.0, -2.0];
        swiglu(&mut g, &[5.0, 2.0, 1.0]);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.0 / (1.0 + (-1f32).exp())).abs() < 1e-7);
        assert!((g[2] - -2.0 / (1.0 + 2f32.exp())).abs() < 1e-7);
    }

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
