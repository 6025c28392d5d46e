//! A micro-benchmark of the GPU as the engine uses it: the F32 matrix-vector kernel (the decode
//! step's workhorse) streaming one `n × n` weight per dispatch.
//!
//! A matvec reads every weight once and does one multiply-add with it, so it is bound by memory
//! bandwidth: the figure that predicts decode speed. Its GFLOP/s (2·n² per product) is reported
//! too, but it is the rate of this memory-bound kernel, not the GPU's peak arithmetic.
//!
//! Timing: a GPU runs asynchronously, so a batch of K dispatches is timed from before its
//! submit to after its read-back resolves (on the web the read-back is the only way to know the
//! work is done). Submission and read-back latency are fixed costs per batch, so K grows until a
//! batch takes [`TARGET_BATCH_MS`]; the best batch's rate is kept, as the CPU benchmark keeps
//! its best pass. The clock is the caller's (`performance.now()` in the worker, an `Instant`
//! natively): this crate has no web-sys, and the planner times its CPU phases on the same clock.

use bitsmith_engine::GgmlType;

use crate::{Gpu, GpuError, MATVEC_TOLERANCE, MatvecOpts, max_rel_diff, test_signal};

/// What [`bench_matvec`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuBench {
    /// Rows and columns of the weight.
    pub n: usize,
    /// Bytes of the weight on the GPU (streamed once per dispatch).
    pub weight_bytes: u64,
    /// Best batch: weight bytes streamed per second, GB/s (1e9 B/s).
    pub bandwidth_gbs: f64,
    /// Best batch: 2·n² FLOPs per matvec, GFLOP/s.
    pub gflops: f64,
    /// Dispatches per batch at the end (after growing to the target batch time).
    pub dispatches_per_batch: u32,
    /// Timed batches.
    pub batches: u32,
    /// Busy time of the timed batches.
    pub millis: f64,
    /// The last batch's result against `ops::matvec_dequant` on sampled rows, as
    /// [`max_rel_diff`], and whether it is within [`MATVEC_TOLERANCE`].
    pub check_max_rel_diff: f32,
    pub check_passed: bool,
}

/// A batch should take at least this long, so its fixed costs (submit, map, the event loop's
/// turn) and a coarse clock (a worker's `performance.now()` may resolve only 100 µs) are small
/// beside the work.
pub const TARGET_BATCH_MS: f64 = 40.0;

/// Most dispatches recorded in one batch (each takes a 256-byte parameter slot).
pub const MAX_DISPATCHES: usize = 1024;

/// Rows checked against the reference: three bands (start, middle, end) of this many rows.
const CHECK_ROWS: usize = 16;

/// The largest `n` (a multiple of 32, at most `n`) whose `n × n` f32 weight this device binds.
pub fn bench_size(gpu: &Gpu, n: usize) -> usize {
    let max = gpu
        .report
        .max_storage_buffer_binding_size
        .min(gpu.report.max_buffer_size);
    let mut n = n.max(32) / 32 * 32;
    while n > 32 && (n * n * 4) as u64 > max {
        n -= 32;
    }
    n
}

/// Measures the F32 matvec kernel on an `n × n` weight (`n` rounded down to a multiple of 32
/// and to what the device binds, see [`bench_size`]) for at least `min_ms` of timed batches
/// (and at least three). Between batches it calls `go_on` with the fraction of `min_ms` done;
/// `false` stops the benchmark and the answer is `Ok(None)`. `clock` reads milliseconds.
pub async fn bench_matvec(
    gpu: &Gpu,
    n: usize,
    min_ms: f64,
    clock: &dyn Fn() -> f64,
    go_on: &mut dyn FnMut(f64) -> bool,
) -> Result<Option<GpuBench>, GpuError> {
    let n = bench_size(gpu, n);
    let w = test_signal(n * n, 21);
    let x = test_signal(n, 22);
    let w_bytes: &[u8] = bytemuck::cast_slice(&w);
    let gw = gpu.upload_weight(GgmlType::F32, w_bytes, n, n)?;
    let (xb, yb) = (gpu.upload(&x), gpu.scratch(n));

    // The reference for three bands of rows, from the same bytes the GPU was given.
    let bands: Vec<usize> = [0, n / 2, n.saturating_sub(CHECK_ROWS)]
        .into_iter()
        .map(|r| r.min(n - CHECK_ROWS.min(n)))
        .collect();
    let rows = CHECK_ROWS.min(n);
    let mut want = vec![0f32; bands.len() * rows];
    for (band, r0) in bands.iter().enumerate() {
        bitsmith_engine::ops::matvec_dequant(
            GgmlType::F32,
            &w_bytes[r0 * n * 4..(r0 + rows) * n * 4],
            n,
            &x,
            &mut want[band * rows..(band + 1) * rows],
        )
        .map_err(|e| GpuError::Input(e.to_string()))?;
    }
    drop(w);

    let run = |k: usize| {
        let (gw, xb, yb) = (&gw, &xb, &yb);
        async move {
            let mut b = gpu.batch();
            for _ in 0..k {
                b.matvec(gw, xb.at(0), yb.at(0), 1, MatvecOpts::default())?;
            }
            b.submit_and_read(yb.at(0), n).await
        }
    };
    // Untimed warm-up: compiles the pipeline, makes the bind group and lets the weight land.
    if !go_on(0.0) {
        return Ok(None);
    }
    run(1).await?;

    let weight_bytes = gw.gpu_bytes() as u64;
    let (mut k, mut busy, mut batches, mut best) = (1usize, 0f64, 0u32, 0f64);
    let (mut last, mut k_used) = (Vec::new(), k);
    while busy < min_ms || batches < 3 {
        if !go_on((busy / min_ms).min(1.0)) {
            return Ok(None);
        }
        let t0 = clock();
        last = run(k).await?;
        let ms = clock() - t0;
        k_used = k;
        busy += ms;
        batches += 1;
        // A batch the clock cannot resolve says nothing; it only tells K to grow.
        if ms > 0.0 {
            best = best.max(k as f64 / (ms * 1e-3));
        }
        if ms < TARGET_BATCH_MS && k < MAX_DISPATCHES {
            // Aim straight at the target, but never more than 8× at once (the first batches
            // are dominated by fixed costs, which would overshoot).
            let scale = if ms > 0.0 {
                (TARGET_BATCH_MS / ms).ceil() as usize
            } else {
                8
            };
            k = (k * scale.clamp(2, 8)).min(MAX_DISPATCHES);
        }
    }
    go_on(1.0);

    let got: Vec<f32> = bands
        .iter()
        .flat_map(|&r0| last[r0..r0 + rows].iter().copied())
        .collect();
    let check = max_rel_diff(&got, &want);
    Ok(Some(GpuBench {
        n,
        weight_bytes,
        bandwidth_gbs: best * weight_bytes as f64 / 1e9,
        gflops: best * 2.0 * (n * n) as f64 / 1e9,
        dispatches_per_batch: k_used as u32,
        batches,
        millis: busy,
        check_max_rel_diff: check,
        check_passed: check <= MATVEC_TOLERANCE,
    }))
}
