//! The same kernel checks in headless Chromium's WebGPU (SwiftShader with
//! `--enable-unsafe-webgpu`), through wgpu's webgpu backend.

#![cfg(target_arch = "wasm32")]

use bitsmith_gpu::{Gpu, RMS_NORM_TOLERANCE, max_rel_diff, rms_norm_self_check, test_signal};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn rms_norm_matches_reference_in_the_browser() {
    let gpu = Gpu::open()
        .await
        .expect("WebGPU adapter (run Chromium with --enable-unsafe-webgpu)");
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
