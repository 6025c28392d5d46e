//! GPU kernels against the engine's scalar reference, natively through wgpu's Vulkan backend
//! (lavapipe from Debian's mesa-vulkan-drivers where there is no GPU).

#![cfg(not(target_arch = "wasm32"))]

use bitsmith_gpu::{Gpu, RMS_NORM_TOLERANCE, max_rel_diff, rms_norm_self_check, test_signal};

fn open() -> Gpu {
    pollster::block_on(Gpu::open()).expect(
        "a Vulkan adapter is required (install mesa-vulkan-drivers for lavapipe: scripts/setup.sh does)",
    )
}

#[test]
fn rms_norm_matches_reference_on_several_shapes() {
    let gpu = open();
    for (n, rows) in [(576, 3), (1, 1), (255, 2), (257, 4), (4096, 2)] {
        let x = test_signal(n * rows, n as u32);
        let w = test_signal(n, 7);
        let got = pollster::block_on(gpu.rms_norm_rows(&x, &w, 1e-6)).unwrap();
        let mut want = vec![0.0; x.len()];
        bitsmith_engine::ops::rms_norm_rows(&x, &w, 1e-6, &mut want);
        let d = max_rel_diff(&got, &want);
        assert!(d <= RMS_NORM_TOLERANCE, "n={n} rows={rows}: {d}");
    }
}

#[test]
fn self_check_passes_and_reports_adapter() {
    let gpu = open();
    assert!(!gpu.report.name.is_empty());
    let check = pollster::block_on(rms_norm_self_check(&gpu)).unwrap();
    assert!(check.passed, "{check:?}");
}

#[test]
fn ragged_input_is_an_error_not_a_panic() {
    let gpu = open();
    let err = pollster::block_on(gpu.rms_norm_rows(&[1.0; 5], &[1.0; 2], 1e-6)).unwrap_err();
    assert!(matches!(err, bitsmith_gpu::GpuError::Input(_)));
}
