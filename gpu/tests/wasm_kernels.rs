//! The same kernel checks in headless Chromium's WebGPU (SwiftShader with
//! `--enable-unsafe-webgpu`), through wgpu's webgpu backend, with the same tolerances as the
//! native tests (gpu/tests/common). Shapes are smaller than natively: SwiftShader is slow.

#![cfg(target_arch = "wasm32")]

mod common;

use bitsmith_engine::GgmlType;
use bitsmith_engine::infer::RopeKind;
use bitsmith_engine::ops::AttnShape;
use bitsmith_gpu::{
    GPU_WEIGHT_TYPES, Gpu, MatvecOpts, RMS_NORM_TOLERANCE, max_rel_diff, rms_norm_self_check,
    test_signal,
};
use common::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn open() -> Gpu {
    Gpu::open()
        .await
        .expect("WebGPU adapter (run Chromium with --enable-unsafe-webgpu)")
}

#[wasm_bindgen_test]
async fn rms_norm_matches_reference_in_the_browser() {
    let gpu = open().await;
    web_sys_log(&format!("adapter: {:?}", gpu.report));
    for (n, rows) in [(576, 3), (257, 2), (4096, 1)] {
        let x = test_signal(n * rows, n as u32);
        let w = test_signal(n, 7);
        let got = gpu.rms_norm_rows(&x, &w, 1e-6).await.unwrap();
        let mut want = vec![0.0; x.len()];
        bitsmith_engine::ops::rms_norm_rows(&x, &w, 1e-6, &mut want);
        let d = max_rel_diff(&got, &want);
        assert!(d <= RMS_NORM_TOLERANCE, "n={n}: {d}");
    }
    assert!(rms_norm_self_check(&gpu).await.unwrap().passed);
}

#[wasm_bindgen_test]
async fn matvec_matches_reference_for_every_type_in_the_browser() {
    let gpu = open().await;
    for ty in GPU_WEIGHT_TYPES {
        // One token and a 5-token batch; row counts off the 4-row workgroup.
        for (n_in, n_out, n_tok) in [(256, 37, 1), (512, 9, 5)] {
            let (d_ref, d_q8) = check_matvec(&gpu, ty, n_in, n_out, n_tok, 1.0).await;
            web_sys_log(&format!(
                "{ty} {n_out}x{n_in} x{n_tok}: {d_ref:.2e} / {d_q8:.2e}"
            ));
        }
    }
    // Subnormal f16 scales.
    for ty in [GgmlType::Q8_0, GgmlType::Q6_K] {
        check_matvec(&gpu, ty, 256, 4, 1, 1e-3).await;
    }
}

#[wasm_bindgen_test]
async fn rope_softmax_swiglu_match_reference_in_the_browser() {
    let gpu = open().await;
    for kind in [RopeKind::Norm, RopeKind::Neox] {
        check_rope(&gpu, kind, 9, 64, 64, 0, 1).await;
        check_rope(&gpu, kind, 3, 64, 64, 8000, 2).await;
        check_rope(&gpu, kind, 2, 128, 32, 17, 3).await;
    }
    for (n, rows, spread) in [(1, 1, 1.0), (300, 2, 30.0), (5000, 1, 10.0)] {
        check_softmax(&gpu, n, rows, spread).await;
    }
    for n in [1, 1536 * 2 + 5] {
        check_swiglu(&gpu, n).await;
    }
}

#[wasm_bindgen_test]
async fn attention_matches_reference_in_the_browser() {
    let gpu = open().await;
    let smol = AttnShape {
        n_head: 9,
        n_head_kv: 3,
        head_dim: 64,
        head_dim_v: 64,
    };
    for (p0, n_tok) in [(0, 1), (63, 1), (64, 1), (130, 1), (3, 6)] {
        check_attention(&gpu, smol, p0, n_tok).await;
    }
}

/// A batch of several kernels submitted at once, twice: the pool and bind-group cache serve
/// the second run (no new buffers, no new bind groups) and the results agree.
#[wasm_bindgen_test]
async fn batched_dispatches_reuse_buffers_in_the_browser() {
    let gpu = open().await;
    let (n_in, n_out) = (256, 64);
    let w = quantized(GgmlType::Q4_K, &test_signal(n_in * n_out, 1), n_in);
    let gw = gpu.upload_weight(GgmlType::Q4_K, &w, n_in, n_out).unwrap();
    let norm = gpu.upload(&test_signal(n_in, 2));
    let x = test_signal(n_in, 3);
    let mut results = vec![];
    let mut counts = vec![];
    for _ in 0..2 {
        let xb = gpu.upload(&x);
        let xn = gpu.scratch(n_in);
        let y = gpu.scratch(n_out);
        let mut b = gpu.batch();
        b.rms_norm(xb.at(0), &norm, xn.at(0), n_in, 1, 1e-5)
            .unwrap();
        b.matvec(&gw, xn.at(0), y.at(0), 1, MatvecOpts::default())
            .unwrap();
        b.matvec(
            &gw,
            xn.at(0),
            y.at(0),
            1,
            MatvecOpts {
                accumulate: true,
                bias: None,
            },
        )
        .unwrap();
        results.push(b.submit_and_read(y.at(0), n_out).await.unwrap());
        counts.push((gpu.pool_stats().created, gpu.bind_groups_created()));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(counts[0], counts[1]);
    // y = 2·W·rms_norm(x): the accumulate flag added the second product.
    let mut xn = vec![0f32; n_in];
    bitsmith_engine::ops::rms_norm_rows(&x, &test_signal(n_in, 2), 1e-5, &mut xn);
    let mut want = vec![0f32; n_out];
    bitsmith_engine::ops::matvec_dequant(GgmlType::Q4_K, &w, n_in, &xn, &mut want).unwrap();
    let want: Vec<f32> = want.iter().map(|v| 2.0 * v).collect();
    assert!(max_rel_diff(&results[0], &want) <= 1e-5);
}

fn web_sys_log(s: &str) {
    wasm_bindgen_test::console_log!("{s}");
}

/// The whole transformer in the browser: a small random model with every GPU weight type, and
/// a Qwen2-style one (NEOX RoPE, Q/K/V biases), logits against the CPU's.
#[wasm_bindgen_test]
async fn synthetic_model_logits_match_cpu_in_the_browser() {
    let gpu = open().await;
    for arch in ["llama", "qwen2"] {
        let (d_f32, d_q8) = check_synth_forward(&gpu, &synth_model(arch, MIXED_TYPES)).await;
        web_sys_log(&format!(
            "synthetic {arch}: vs f32 CPU {d_f32:.2e}, vs Q8 CPU {d_q8:.2e}"
        ));
    }
}

/// The quantize kernels' soft-float and their bytes in the browser's WebGPU, exactly as
/// natively: the same bits as the CPU (here the engine compiled to wasm).
#[wasm_bindgen_test]
async fn gpu_quantize_is_byte_identical_in_the_browser() {
    let gpu = open().await;
    let ops = check_softfloat(&gpu, 1 << 16).await;
    let blocks = check_gpu_quantize(&gpu, 256 * 64).await;
    web_sys_log(&format!(
        "soft-float: {ops} operations; quantize: {blocks} blocks, identical"
    ));
    assert_eq!(blocks, 5 * 8 * 64);
}
