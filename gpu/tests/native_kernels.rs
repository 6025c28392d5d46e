//! GPU kernels against the engine's scalar reference, natively through wgpu's Vulkan backend
//! (lavapipe from Debian's mesa-vulkan-drivers where there is no GPU).

#![cfg(not(target_arch = "wasm32"))]

mod common;

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::infer::RopeKind;
use bitsmith_engine::ops::AttnShape;
use bitsmith_gpu::{
    GPU_WEIGHT_TYPES, Gpu, GpuError, MATVEC_TOLERANCE, MatvecOpts, RMS_NORM_TOLERANCE,
    bench_matvec, bench_size, max_rel_diff, rms_norm_self_check, test_signal,
};
use common::*;
use pollster::block_on;

fn open() -> Gpu {
    block_on(Gpu::open()).expect(
        "a Vulkan adapter is required (install mesa-vulkan-drivers for lavapipe: scripts/setup.sh does)",
    )
}

#[test]
fn rms_norm_matches_reference_on_several_shapes() {
    let gpu = open();
    for (n, rows) in [(576, 3), (1, 1), (255, 2), (257, 4), (4096, 2)] {
        let x = test_signal(n * rows, n as u32);
        let w = test_signal(n, 7);
        let got = block_on(gpu.rms_norm_rows(&x, &w, 1e-6)).unwrap();
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
    let check = block_on(rms_norm_self_check(&gpu)).unwrap();
    assert!(check.passed, "{check:?}");
}

#[test]
fn ragged_input_is_an_error_not_a_panic() {
    let gpu = open();
    let err = block_on(gpu.rms_norm_rows(&[1.0; 5], &[1.0; 2], 1e-6)).unwrap_err();
    assert!(matches!(err, GpuError::Input(_)));
}

/// Every GPU weight type on random data: one token (decode), a batch that is not a multiple
/// of the kernel's 4-token tile, row counts that are not a multiple of its 4-row workgroup,
/// and rows long enough to give every lane several units.
#[test]
fn matvec_matches_reference_for_every_type() {
    let gpu = open();
    for ty in GPU_WEIGHT_TYPES {
        let step = ty.block_size().max(32);
        for (n_in, n_out, n_tok) in [(step, 1, 1), (256, 37, 1), (512, 64, 5), (2048, 13, 2)] {
            let n_in = n_in.max(step);
            let (d_ref, d_q8) = block_on(check_matvec(&gpu, ty, n_in, n_out, n_tok, 1.0));
            eprintln!("{ty} {n_out}x{n_in} x{n_tok}: vs f64 ref {d_ref:.2e}, vs CPU Q8 {d_q8:.2e}");
        }
    }
}

/// Weights of ~1e-3 give block scales below f16's smallest normal (6.1e-5): the kernels must
/// decode subnormal f16 scales exactly (WGSL's unpack2x16float may flush them).
#[test]
fn matvec_decodes_subnormal_scales() {
    let gpu = open();
    for ty in [
        GgmlType::Q8_0,
        GgmlType::Q4_0,
        GgmlType::Q5_0,
        GgmlType::Q6_K,
    ] {
        let (d_ref, _) = block_on(check_matvec(&gpu, ty, 256, 8, 1, 1e-3));
        eprintln!("{ty} tiny weights: {d_ref:.2e}");
    }
}

fn smollm2(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("BITSMITH_MODELS")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/bitsmith/models"))
        })?;
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found; run scripts/fetch_test_models.sh",
                path.display()
            );
            None
        }
    }
}

/// Real SmolLM2-135M tensors: the shipped Q4_1 matrices as stored, the Q8_0 embedding (49152
/// rows), and the layer-0 feed-forward matrices dequantized and re-quantized by the engine to
/// every other GPU type (ffn_down's rows of 1536 fit the K-quants' 256-element blocks).
#[test]
fn matvec_on_smollm2_tensors() {
    let Some(bytes) = smollm2("SmolLM2-135M-Instruct.Q4_1.gguf") else {
        return;
    };
    let gpu = open();
    let f = GgufFile::parse(&bytes).unwrap();
    let tensor = |name: &str| {
        let (i, info) = f.tensor(name).unwrap();
        (info.clone(), f.tensor_data(&bytes, i).unwrap())
    };
    for name in [
        "blk.0.attn_q.weight",
        "blk.0.ffn_down.weight",
        "blk.7.attn_v.weight",
        "token_embd.weight",
    ] {
        let (info, data) = tensor(name);
        let n_in = info.dims[0] as usize;
        let x = test_signal(n_in, 3);
        let (d_ref, d_q8) = block_on(check_matvec_bytes(&gpu, info.ggml_type, data, n_in, &x));
        eprintln!(
            "{name} ({}): vs f64 ref {d_ref:.2e}, vs CPU Q8 {d_q8:.2e}",
            info.ggml_type
        );
    }
    let (info, data) = tensor("blk.0.ffn_down.weight");
    let n_in = info.dims[0] as usize;
    let mut w = vec![0f32; data.len() / info.ggml_type.row_bytes(n_in).unwrap() * n_in];
    bitsmith_engine::quant::dequantize_row(info.ggml_type, data, &mut w).unwrap();
    let x = test_signal(n_in * 3, 4);
    for ty in GPU_WEIGHT_TYPES {
        let q = quantized(ty, &w, n_in);
        let (d_ref, d_q8) = block_on(check_matvec_bytes(&gpu, ty, &q, n_in, &x));
        eprintln!("ffn_down as {ty}, 3 tokens: vs f64 ref {d_ref:.2e}, vs CPU Q8 {d_q8:.2e}");
    }
}

#[test]
fn rope_matches_reference() {
    let gpu = open();
    for kind in [RopeKind::Norm, RopeKind::Neox] {
        // SmolLM2's heads; a long-context position; partial rotation; a batch.
        block_on(check_rope(&gpu, kind, 9, 64, 64, 0, 1));
        block_on(check_rope(&gpu, kind, 3, 64, 64, 8000, 1));
        block_on(check_rope(&gpu, kind, 2, 128, 32, 17, 5));
    }
}

#[test]
fn softmax_matches_reference() {
    let gpu = open();
    for (n, rows, spread) in [(1, 1, 1.0), (7, 3, 1.0), (300, 2, 30.0), (5000, 1, 10.0)] {
        block_on(check_softmax(&gpu, n, rows, spread));
    }
}

#[test]
fn swiglu_matches_reference() {
    let gpu = open();
    for n in [1, 255, 1536 * 3, 70_000] {
        block_on(check_swiglu(&gpu, n));
    }
}

#[test]
fn attention_matches_reference() {
    let gpu = open();
    let smol = AttnShape {
        n_head: 9,
        n_head_kv: 3,
        head_dim: 64,
        head_dim_v: 64,
    };
    // Decode at context lengths around the 64-position chunk boundary, then causal batches.
    for (p0, n_tok) in [(0, 1), (62, 1), (63, 1), (64, 1), (200, 1), (0, 7), (5, 70)] {
        let d = block_on(check_attention(&gpu, smol, p0, n_tok));
        eprintln!("attention p0={p0} n={n_tok}: {d:.2e}");
    }
    let mha_wide = AttnShape {
        n_head: 4,
        n_head_kv: 4,
        head_dim: 128,
        head_dim_v: 96,
    };
    block_on(check_attention(&gpu, mha_wide, 30, 3));
}

/// One decode step's worth of dispatches in one batch, twice: the second run creates no new
/// buffers or bind groups (the pool and the cache serve it), and both give the same result.
#[test]
fn batches_reuse_pooled_buffers_and_bind_groups() {
    let gpu = open();
    let (n_in, n_out) = (256, 64);
    let w = quantized(GgmlType::Q8_0, &test_signal(n_in * n_out, 1), n_in);
    let gw = gpu.upload_weight(GgmlType::Q8_0, &w, n_in, n_out).unwrap();
    let norm = gpu.upload(&test_signal(n_in, 2));
    let run = |x: &[f32]| {
        let xb = gpu.upload(x);
        let xn = gpu.scratch(n_in);
        let y = gpu.scratch(n_out * 2);
        let mut b = gpu.batch();
        for _ in 0..2 {
            b.rms_norm(xb.at(0), &norm, xn.at(0), n_in, 1, 1e-5)
                .unwrap();
            b.matvec(&gw, xn.at(0), y.at(n_out), 1, MatvecOpts::default())
                .unwrap();
            b.matvec(
                &gw,
                xn.at(0),
                y.at(0),
                1,
                MatvecOpts {
                    accumulate: true,
                    bias: Some(y.at(n_out)),
                },
            )
            .unwrap_err();
        }
        assert_eq!(b.dispatches(), 4);
        block_on(b.submit_and_read(y.at(n_out), n_out)).unwrap()
    };
    let x = test_signal(n_in, 3);
    let first = run(&x);
    let (stats, groups) = (gpu.pool_stats(), gpu.bind_groups_created());
    let second = run(&x);
    assert_eq!(first, second);
    assert_eq!(
        gpu.pool_stats().created,
        stats.created,
        "{:?}",
        gpu.pool_stats()
    );
    assert!(gpu.pool_stats().reused > stats.reused);
    assert_eq!(gpu.bind_groups_created(), groups);
    // Dropping the weight releases the bind groups that name it (at the next submit), so a
    // dropped model's memory is not kept alive by the cache.
    let cached = gpu.bind_groups_cached();
    drop(gw);
    block_on(gpu.read(norm.at(0), 1)).unwrap();
    assert!(gpu.bind_groups_cached() < cached, "{cached}");
}

#[test]
fn bad_inputs_are_typed_errors() {
    let gpu = open();
    let q2k = vec![0u8; GgmlType::Q2_K.row_bytes(256).unwrap()];
    assert_eq!(
        gpu.upload_weight(GgmlType::Q2_K, &q2k, 256, 1).unwrap_err(),
        GpuError::Unsupported(GgmlType::Q2_K)
    );
    let q8 = vec![0u8; 34];
    assert!(matches!(
        gpu.upload_weight(GgmlType::Q8_0, &q8, 32, 2),
        Err(GpuError::Input(_))
    ));
    assert!(matches!(
        gpu.upload_weight(GgmlType::Q4_K, &q8, 32, 1),
        Err(GpuError::Input(_))
    ));
    let gw = gpu.upload_weight(GgmlType::Q8_0, &q8, 32, 1).unwrap();
    let x = gpu.upload(&[1.0; 32]);
    let mut b = gpu.batch();
    // Output past the end of its buffer; input read as vec4 at an unaligned offset; output
    // aliasing the input.
    assert!(matches!(
        b.matvec(&gw, x.at(0), x.at(32), 1, MatvecOpts::default()),
        Err(GpuError::Input(_))
    ));
    let big = gpu.scratch(64);
    assert!(matches!(
        b.matvec(&gw, big.at(2), x.at(0), 1, MatvecOpts::default()),
        Err(GpuError::Input(_))
    ));
    assert!(matches!(
        b.matvec(&gw, x.at(0), x.at(0), 1, MatvecOpts::default()),
        Err(GpuError::Input(_))
    ));
    assert_eq!(b.dispatches(), 0);
    assert!(matches!(
        block_on(gpu.attention(
            &[0.0; 6],
            &[0.0; 2],
            &[0.0; 2],
            AttnShape {
                n_head: 3,
                n_head_kv: 2,
                head_dim: 2,
                head_dim_v: 2
            },
            0
        )),
        Err(GpuError::Input(_))
    ));
}

/// A small random model with every GPU weight type (and one with Qwen2's NEOX RoPE and Q/K/V
/// biases): GPU logits against the CPU's, with no model file needed.
#[test]
fn synthetic_model_logits_match_cpu() {
    let gpu = open();
    for arch in ["llama", "qwen2"] {
        let (d_f32, d_q8) = block_on(check_synth_forward(&gpu, &synth_model(arch, MIXED_TYPES)));
        eprintln!("synthetic {arch}: vs f32 CPU {d_f32:.2e}, vs Q8 CPU {d_q8:.2e}");
    }
}

/// The planner's GPU benchmark on a small weight: finite, positive figures that agree with
/// each other, a passing check against the reference, progress that ends at 1, and a stop
/// between batches that ends it without figures.
#[test]
fn matvec_bench_measures_checks_and_stops() {
    let gpu = open();
    // Rounded down to the kernel's 32-element units.
    assert_eq!(bench_size(&gpu, 300), 288);
    let start = std::time::Instant::now();
    let clock = move || start.elapsed().as_secs_f64() * 1e3;
    let mut seen = Vec::new();
    let b = block_on(bench_matvec(&gpu, 300, 150.0, &clock, &mut |f| {
        seen.push(f);
        true
    }))
    .unwrap()
    .expect("not stopped");
    eprintln!("{b:?}");
    assert_eq!(b.n, 288);
    assert_eq!(b.weight_bytes, 288 * 288 * 4);
    assert!(
        b.bandwidth_gbs.is_finite() && b.bandwidth_gbs > 0.0,
        "{b:?}"
    );
    assert!(b.gflops.is_finite() && b.gflops > 0.0, "{b:?}");
    // An f32 weight is 4 bytes per multiply-add (2 FLOPs): GFLOP/s is half the GB/s.
    assert!(
        (b.gflops * 2.0 / b.bandwidth_gbs - 1.0).abs() < 1e-9,
        "{b:?}"
    );
    assert!(b.batches >= 3 && b.millis >= 150.0, "{b:?}");
    // Fast small batches make K grow past one dispatch.
    assert!(b.dispatches_per_batch > 1, "{b:?}");
    assert!(
        b.check_passed && b.check_max_rel_diff <= MATVEC_TOLERANCE,
        "{b:?}"
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&1.0));

    // Stopped after the warm-up and one timed batch.
    let mut calls = 0;
    let stopped = block_on(bench_matvec(&gpu, 64, 10_000.0, &clock, &mut |_| {
        calls += 1;
        calls < 3
    }))
    .unwrap();
    assert_eq!(stopped, None);
    assert_eq!(calls, 3);
}

/// The integer soft-float of the quantize kernels against the CPU's f32 arithmetic, bit for bit,
/// on a million operand pairs per operation.
#[test]
fn softfloat_matches_cpu_arithmetic_bit_for_bit() {
    let gpu = open();
    let n = block_on(check_softfloat(&gpu, 1 << 20));
    assert!(n >= 7 << 20);
}

/// Quantizing on the GPU writes exactly the CPU quantizers' bytes for every GPU quant type,
/// ties, signed zeros, subnormals and overflowing ranges included.
#[test]
fn gpu_quantize_is_byte_identical_to_the_cpu() {
    let gpu = open();
    let blocks = block_on(check_gpu_quantize(&gpu, 256 * 1024));
    assert_eq!(blocks, 5 * 8 * 1024);
    // Not whole blocks, a non-finite value, a type without a GPU kernel: typed errors.
    assert!(matches!(
        block_on(gpu.quantize(GgmlType::Q8_0, &[1.0; 31])),
        Err(GpuError::Input(_))
    ));
    let mut v = vec![1.0f32; 64];
    v[40] = f32::NAN;
    assert!(matches!(
        block_on(gpu.quantize(GgmlType::Q4_0, &v)),
        Err(GpuError::Input(_))
    ));
    assert!(matches!(
        block_on(gpu.quantize(GgmlType::Q4_K, &[1.0; 256])),
        Err(GpuError::Input(_))
    ));
}
