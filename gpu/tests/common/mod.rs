//! Kernel checks shared by the native (lavapipe) and browser (SwiftShader WebGPU) tests: each
//! runs a kernel on deterministic data, compares it with the engine's scalar reference, asserts
//! the stated tolerance and returns the measured difference.

#![allow(dead_code)] // each test binary uses a subset

use bitsmith_engine::GgmlType;
use bitsmith_engine::infer::RopeKind;
use bitsmith_engine::infer::vec_dot::{ActType, quantize_act_row, scalar_dot_fn};
use bitsmith_engine::ops::{self, AttnShape};
use bitsmith_engine::quant;
use bitsmith_gpu::{
    ATTENTION_TOLERANCE, Gpu, MATVEC_TOLERANCE, MATVEC_VS_Q8_TOLERANCE, ROPE_TOLERANCE, RopeShape,
    SOFTMAX_TOLERANCE, SWIGLU_TOLERANCE, max_rel_diff, test_signal,
};

/// `rows` rows of `n` values quantized to `ty` by the engine's quantizer.
pub fn quantized(ty: GgmlType, src: &[f32], n: usize) -> Vec<u8> {
    let rows = src.len() / n;
    let mut out = vec![0u8; ty.row_bytes(n).unwrap() * rows];
    quant::quantize_rows(ty, src, n, &mut out, None).unwrap();
    out
}

/// The CPU inference path's product: activations quantized to the weight's partner type
/// (Q8_0/Q8_1/Q8_K, F16 for F16 weights) and the scalar reference `vec_dot`.
pub fn cpu_q8_matvec(ty: GgmlType, w: &[u8], n_in: usize, x: &[f32]) -> Vec<f32> {
    let act = ActType::for_weight(ty).unwrap();
    let dot = scalar_dot_fn(ty).unwrap();
    let rb = ty.row_bytes(n_in).unwrap();
    let n_out = w.len() / rb;
    let mut a = vec![0u8; act.row_bytes(n_in).unwrap()];
    let mut out = vec![0f32; x.len() / n_in * n_out];
    for (t, xt) in x.chunks_exact(n_in).enumerate() {
        quantize_act_row(act, xt, &mut a).unwrap();
        for (r, wr) in w.chunks_exact(rb).enumerate() {
            out[t * n_out + r] = dot(wr, &a);
        }
    }
    out
}

/// GPU matvec of stored `ty` weights `w` (rows of `n_in`) with `x` against the dequantized f64
/// reference and against the CPU's Q8 path. Returns (vs reference, vs CPU Q8 path).
pub async fn check_matvec_bytes(
    gpu: &Gpu,
    ty: GgmlType,
    w: &[u8],
    n_in: usize,
    x: &[f32],
) -> (f32, f32) {
    let n_out = w.len() / ty.row_bytes(n_in).unwrap();
    let gw = gpu.upload_weight(ty, w, n_in, n_out).unwrap();
    let got = gpu.matvec(&gw, x).await.unwrap();
    let mut want = vec![0f32; got.len()];
    ops::matvec_dequant(ty, w, n_in, x, &mut want).unwrap();
    let d_ref = max_rel_diff(&got, &want);
    let q8 = cpu_q8_matvec(ty, w, n_in, x);
    let d_q8 = max_rel_diff(&got, &q8);
    assert!(
        d_ref <= MATVEC_TOLERANCE,
        "{ty} {n_out}x{n_in}: {d_ref} vs the f64 reference"
    );
    assert!(
        d_q8 <= MATVEC_VS_Q8_TOLERANCE,
        "{ty} {n_out}x{n_in}: {d_q8} vs the CPU Q8 path"
    );
    (d_ref, d_q8)
}

/// [`check_matvec_bytes`] on random weights (scaled by `scale`) quantized by the engine.
pub async fn check_matvec(
    gpu: &Gpu,
    ty: GgmlType,
    n_in: usize,
    n_out: usize,
    n_tok: usize,
    scale: f32,
) -> (f32, f32) {
    let seed = (n_in * 31 + n_out * 7 + n_tok) as u32;
    let w: Vec<f32> = test_signal(n_in * n_out, seed)
        .iter()
        .map(|v| v * scale)
        .collect();
    let x = test_signal(n_in * n_tok, seed + 1);
    let bytes = quantized(ty, &w, n_in);
    check_matvec_bytes(gpu, ty, &bytes, n_in, &x).await
}

pub async fn check_rope(
    gpu: &Gpu,
    kind: RopeKind,
    n_heads: usize,
    head_dim: usize,
    n_rot: usize,
    p0: usize,
    n_tok: usize,
) -> f32 {
    let mut x = test_signal(n_heads * head_dim * n_tok, (p0 + n_rot) as u32);
    let table = ops::rope_cache(p0, n_tok, n_rot, 10000.0, 1.0, None);
    let shape = RopeShape {
        n_heads,
        head_dim,
        n_rot,
        kind,
    };
    let got = gpu.rope(&x, &table, shape).await.unwrap();
    ops::rope(&mut x, n_heads, head_dim, n_rot, kind, &table);
    let d = max_rel_diff(&got, &x);
    assert!(d <= ROPE_TOLERANCE, "rope {kind:?} p0={p0}: {d}");
    d
}

pub async fn check_softmax(gpu: &Gpu, n: usize, rows: usize, spread: f32) -> f32 {
    let x: Vec<f32> = test_signal(n * rows, n as u32)
        .iter()
        .map(|v| v * spread)
        .collect();
    let got = gpu.softmax_rows(&x, n).await.unwrap();
    let mut want = x.clone();
    for r in want.chunks_exact_mut(n) {
        ops::softmax(r);
    }
    let d = got
        .iter()
        .zip(&want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(d <= SOFTMAX_TOLERANCE, "softmax n={n}: {d}");
    d
}

pub async fn check_swiglu(gpu: &Gpu, n: usize) -> f32 {
    let g: Vec<f32> = test_signal(n, 5).iter().map(|v| v * 20.0).collect();
    let u = test_signal(n, 6);
    let got = gpu.swiglu(&g, &u).await.unwrap();
    let mut want = g.clone();
    ops::swiglu(&mut want, &u);
    let d = max_rel_diff(&got, &want);
    assert!(d <= SWIGLU_TOLERANCE, "swiglu n={n}: {d}");
    d
}

pub async fn check_attention(gpu: &Gpu, shape: AttnShape, p0: usize, n_tok: usize) -> f32 {
    let n_kv = p0 + n_tok;
    let seed = (p0 * 13 + n_tok) as u32;
    // Spread the scores (×3) so the softmax is peaked, as it is in trained models.
    let q: Vec<f32> = test_signal(n_tok * shape.n_head * shape.head_dim, seed)
        .iter()
        .map(|v| v * 3.0)
        .collect();
    let k = test_signal(n_kv * shape.n_head_kv * shape.head_dim, seed + 1);
    let v = test_signal(n_kv * shape.n_head_kv * shape.head_dim_v, seed + 2);
    let got = gpu.attention(&q, &k, &v, shape, p0).await.unwrap();
    let mut want = vec![0f32; got.len()];
    ops::attention(&q, &k, &v, shape, p0, &mut want);
    let d = max_rel_diff(&got, &want);
    assert!(
        d <= ATTENTION_TOLERANCE,
        "attention {shape:?} p0={p0} n={n_tok}: {d}"
    );
    d
}
