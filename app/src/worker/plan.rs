//! The planner's side of the worker: answers `Call::PlanLists` and `Call::Plan` (the engine's
//! `plan` module does the work, `protocol::plan` digests it for the page), and runs the
//! "this device" micro-benchmark job.
//!
//! The benchmark measures what this browser gives the engine, in three phases that share the
//! progress bar: one wasm thread (the engine worker is single-threaded) streaming memory, then
//! multiplying f32 matrices, with the loops the compiler vectorizes for simd128 (both lower
//! bounds for the machine: native code on every core goes faster); then, where the worker
//! opens a WebGPU adapter, the GPU's F32 matvec kernel streaming a large weight
//! (`bitsmith_gpu::bench_matvec`, checked against `engine::ops::matvec_dequant`). Without an
//! adapter, or if the GPU phase fails, the result says why and the CPU figures still count.
//! The plan's "this device" speeds use the CPU figures only: the app runs models on the CPU
//! path, and a memory-bound matvec rate is not the GPU's peak compute (see `GpuBenchFigures`).

use std::cell::Cell;

use gloo::worker::{HandlerId, WorkerScope};

use super::{EngineWorker, STEP_BUDGET_MS, now_ms, shared_gpu, yield_now};
use crate::protocol::plan::{
    DeviceBenchResult, DeviceSource, GpuBenchFigures, MeasuredSample, ModelSource, PlanAnswer,
    PlanAsk, answer_input, plan_lists,
};
use crate::protocol::{JobId, JobResult, JobSpec, Reply, Response};

pub fn lists() -> Reply {
    match plan_lists() {
        Ok(l) => Reply::PlanLists(l),
        Err(e) => Reply::Error(e),
    }
}

pub fn answer(ask: &PlanAsk) -> Reply {
    Reply::Plan(Box::new(crate::protocol::plan::answer(ask)))
}

/// A plan of a model in the library: its GGUF header (cached, read from IndexedDB once) gives
/// the real architecture, shapes and parameter count (`ModelSpec::from_gguf`).
pub async fn answer_library(ask: &PlanAsk) -> Reply {
    let answer = match ask.form.to_input(&ask.probe) {
        Err(bad) => PlanAnswer::Invalid(bad),
        Ok(mut input) => {
            let ModelSource::Library(id) = &input.model else {
                return answer(ask);
            };
            match super::workbench::library_model_spec(id).await {
                Err(e) => PlanAnswer::Failed(e),
                Ok((spec, preset)) => {
                    input.model = ModelSource::Spec(Box::new(spec));
                    // The engine's runs of this file calibrate the row of its own preset.
                    if let (Some(preset), DeviceSource::This(_)) = (preset, &input.device) {
                        input
                            .measured
                            .extend(ask.engine_runs.iter().map(|r| MeasuredSample {
                                preset: preset.clone(),
                                phase: r.phase,
                                tokens: r.tokens,
                                batch: 1,
                                tokens_per_s: r.tokens_per_s,
                            }));
                    }
                    answer_input(&input)
                }
            }
        }
    };
    Reply::Plan(Box::new(answer))
}

/// Progress units of the whole benchmark: the stream, the GEMM and the GPU each fill a third.
const PROGRESS_TOTAL: u64 = 999;
const PHASE: u64 = PROGRESS_TOTAL / 3;

/// Runs `JobSpec::DeviceBench` to its end response.
pub async fn run_bench(
    scope: &WorkerScope<EngineWorker>,
    id: HandlerId,
    job: JobId,
    spec: JobSpec,
    cancel: &Cell<bool>,
) -> Response {
    let JobSpec::DeviceBench {
        buffer_mib,
        gemm_n,
        gpu_n,
        phase_ms,
    } = spec
    else {
        return Response::Failed {
            job,
            message: "not a device benchmark".into(),
        };
    };
    let progress = |done: u64| {
        scope.respond(
            id,
            Response::Progress {
                job,
                done: done.min(PROGRESS_TOTAL),
                total: PROGRESS_TOTAL,
            },
        )
    };
    let sizes = Sizes {
        buffer_mib,
        gemm_n,
        gpu_n,
    };
    match bench(sizes, f64::from(phase_ms.max(1)), cancel, progress).await {
        Ok(Some(r)) => Response::Finished {
            job,
            result: JobResult::DeviceBench(r),
        },
        Ok(None) => Response::Cancelled { job },
        Err(message) => Response::Failed { job, message },
    }
}

/// Bytes streamed between clock reads: big enough for the coarse `performance.now()` of a
/// worker that is not cross-origin isolated (100 µs), small enough to honour the step budget.
const STREAM_CHUNK: usize = 2 << 20; // u64 elements = 16 MiB

/// Rows of C computed between clock reads.
const GEMM_ROWS: usize = 16;

struct Sizes {
    buffer_mib: u32,
    gemm_n: u32,
    gpu_n: u32,
}

async fn bench(
    Sizes {
        buffer_mib,
        gemm_n,
        gpu_n,
    }: Sizes,
    phase_ms: f64,
    cancel: &Cell<bool>,
    progress: impl Fn(u64),
) -> Result<Option<DeviceBenchResult>, String> {
    let third = PHASE;
    // Phase 1: memory bandwidth. The buffer must dwarf the last-level cache (tens of MiB on
    // desktops), or the stream measures the cache instead.
    let elems = (buffer_mib.max(1) as usize) << 17; // MiB → u64 elements
    let mut buf: Vec<u64> = Vec::new();
    buf.try_reserve_exact(elems)
        .map_err(|_| format!("could not allocate a {buffer_mib} MiB buffer"))?;
    // Writing every element also commits the pages, so the timed passes see no page faults.
    buf.extend(0..elems as u64);
    let want = kernels::series_sum(elems as u64);
    let (mut busy, mut best_gbs, mut passes) = (0f64, 0f64, 0u32);
    // The step clock spans passes: one pass can be shorter than the step budget, and a clock
    // restarted per pass would then never yield (no progress, no cancel).
    let mut step_start = now_ms();
    while busy < phase_ms || passes < 2 {
        let mut pass_ms = 0f64;
        let mut sum = 0u64;
        for chunk in buf.chunks(STREAM_CHUNK) {
            let t0 = now_ms();
            sum = sum.wrapping_add(kernels::stream_sum(chunk));
            pass_ms += now_ms() - t0;
            if now_ms() - step_start >= STEP_BUDGET_MS {
                progress(((busy + pass_ms) / phase_ms * third as f64).min(third as f64) as u64);
                yield_now().await;
                if cancel.get() {
                    return Ok(None);
                }
                step_start = now_ms();
            }
        }
        if sum != want {
            return Err(format!("stream check failed: sum {sum} instead of {want}"));
        }
        busy += pass_ms;
        passes += 1;
        // A pass faster than the clock can resolve says nothing; keep the best finite one.
        if pass_ms > 0.0 {
            best_gbs = best_gbs.max((elems * 8) as f64 / (pass_ms * 1e-3) / 1e9);
        }
    }
    drop(buf);
    progress(third);
    yield_now().await;
    if cancel.get() {
        return Ok(None);
    }

    // Phase 2: f32 GEMM, C = A·B, n × n.
    let n = gemm_n.clamp(16, 1024) as usize;
    let a = bitsmith_gpu::test_signal(n * n, 11);
    let b = bitsmith_gpu::test_signal(n * n, 12);
    let mut c = vec![0f32; n * n];
    let flops = 2.0 * (n as f64).powi(3);
    let (mut busy2, mut best_gflops, mut reps) = (0f64, 0f64, 0u32);
    let gemm_start = busy;
    let mut step_start = now_ms();
    while busy2 < phase_ms || reps < 2 {
        c.fill(0.0);
        let mut rep_ms = 0f64;
        let mut row = 0;
        while row < n {
            let end = (row + GEMM_ROWS).min(n);
            let t0 = now_ms();
            kernels::gemm_rows(&a, &b, &mut c, n, row..end);
            rep_ms += now_ms() - t0;
            row = end;
            if now_ms() - step_start >= STEP_BUDGET_MS {
                progress(
                    third + ((busy2 + rep_ms) / phase_ms * third as f64).min(third as f64) as u64,
                );
                yield_now().await;
                if cancel.get() {
                    return Ok(None);
                }
                step_start = now_ms();
            }
        }
        busy2 += rep_ms;
        reps += 1;
        if rep_ms > 0.0 {
            best_gflops = best_gflops.max(flops / (rep_ms * 1e-3) / 1e9);
        }
    }
    let check = kernels::check_rows(&a, &b, &c, n);
    // f32 sums of n products of values in [-2, 2) against an f64 reference.
    if check > 1e-4 {
        return Err(format!("GEMM check failed: relative difference {check:e}"));
    }
    if best_gbs == 0.0 || best_gflops == 0.0 {
        return Err("the clock is too coarse to time this device".into());
    }
    drop((a, b, c));
    progress(2 * third);
    yield_now().await;
    if cancel.get() {
        return Ok(None);
    }

    // Phase 3: the GPU, where the worker has one.
    let (gpu, gpu_missing, gpu_ms) = match gpu_phase(gpu_n, phase_ms, cancel, |f| {
        progress(2 * third + (f * third as f64) as u64)
    })
    .await
    {
        GpuPhase::Cancelled => return Ok(None),
        GpuPhase::Measured(g, ms) => (Some(g), None, ms),
        GpuPhase::Missing(why, ms) => (None, Some(why), ms),
    };
    progress(PROGRESS_TOTAL);
    Ok(Some(DeviceBenchResult {
        bandwidth_gbs: best_gbs,
        buffer_bytes: (elems * 8) as u64,
        cpu_gflops: best_gflops,
        gemm_n: n as u32,
        gemm_check: check,
        millis: gemm_start + busy2 + gpu_ms,
        gpu,
        gpu_missing,
    }))
}

enum GpuPhase {
    Cancelled,
    /// The figures and the busy time.
    Measured(GpuBenchFigures, f64),
    /// Why there are none (a sentence in English from wgpu or the check), and the busy time.
    Missing(String, f64),
}

/// The WebGPU phase: the matvec kernel on a `gpu_n × gpu_n` f32 weight. Its batches are
/// awaited read-backs, so the worker's event loop runs (and a `Cancel` arrives) during each;
/// `cancel` is read between batches.
async fn gpu_phase(
    gpu_n: u32,
    phase_ms: f64,
    cancel: &Cell<bool>,
    progress: impl Fn(f64),
) -> GpuPhase {
    let gpu = match shared_gpu().await {
        Ok(g) => g,
        Err(e) => return GpuPhase::Missing(e, 0.0),
    };
    let r = bitsmith_gpu::bench_matvec(
        &gpu,
        gpu_n.clamp(32, 8192) as usize,
        phase_ms,
        &now_ms,
        &mut |f| {
            progress(f);
            !cancel.get()
        },
    )
    .await;
    match r {
        Ok(None) => GpuPhase::Cancelled,
        Ok(Some(b)) if !b.check_passed => GpuPhase::Missing(
            format!(
                "the GPU matvec differs from the CPU reference by {:e} (tolerance {:e})",
                b.check_max_rel_diff,
                bitsmith_gpu::MATVEC_TOLERANCE
            ),
            b.millis,
        ),
        Ok(Some(b)) if b.bandwidth_gbs == 0.0 => {
            GpuPhase::Missing("the clock is too coarse to time the GPU".into(), b.millis)
        }
        Ok(Some(b)) => GpuPhase::Measured(
            GpuBenchFigures {
                adapter: gpu.report.name.clone(),
                software: gpu.report.device_type == "Cpu",
                bandwidth_gbs: b.bandwidth_gbs,
                gflops: b.gflops,
                n: b.n as u32,
                weight_bytes: b.weight_bytes,
                check: b.check_max_rel_diff,
            },
            b.millis,
        ),
        Err(e) => GpuPhase::Missing(e.to_string(), 0.0),
    }
}

/// The benchmark's kernels: plain Rust, written so the compiler keeps independent
/// accumulators and contiguous inner loops.
mod kernels {
    use std::ops::Range;

    /// Σ 0..n, wrapping like the stream's sum.
    pub fn series_sum(n: u64) -> u64 {
        // n(n−1)/2 without overflowing before the division.
        if n.is_multiple_of(2) {
            (n / 2).wrapping_mul(n.wrapping_sub(1))
        } else {
            n.wrapping_mul((n - 1) / 2)
        }
    }

    /// Wrapping sum of `buf` with eight independent accumulators, so the loop is bound by
    /// loads rather than by one chain of dependent adds.
    pub fn stream_sum(buf: &[u64]) -> u64 {
        let mut acc = [0u64; 8];
        let (blocks, rest) = buf.as_chunks::<8>();
        for blk in blocks {
            for (a, v) in acc.iter_mut().zip(blk) {
                *a = a.wrapping_add(*v);
            }
        }
        let tail = rest.iter().fold(0u64, |s, v| s.wrapping_add(*v));
        acc.iter().fold(tail, |s, v| s.wrapping_add(*v))
    }

    /// Rows `rows` of C += A·B (row-major n × n) in i-k-j order: the inner loop walks a row of
    /// B and a row of C contiguously.
    pub fn gemm_rows(a: &[f32], b: &[f32], c: &mut [f32], n: usize, rows: Range<usize>) {
        for i in rows {
            let c_row = &mut c[i * n..(i + 1) * n];
            for k in 0..n {
                let aik = a[i * n + k];
                let b_row = &b[k * n..(k + 1) * n];
                for (cv, bv) in c_row.iter_mut().zip(b_row) {
                    *cv += aik * bv;
                }
            }
        }
    }

    /// Largest difference of three rows of C against the naive dot products in f64, relative
    /// to the largest reference magnitude.
    pub fn check_rows(a: &[f32], b: &[f32], c: &[f32], n: usize) -> f32 {
        let (mut diff, mut scale) = (0f64, f64::MIN_POSITIVE);
        for i in [0, n / 2, n - 1] {
            for j in 0..n {
                let want: f64 = (0..n)
                    .map(|k| f64::from(a[i * n + k]) * f64::from(b[k * n + j]))
                    .sum();
                scale = scale.max(want.abs());
                diff = diff.max((f64::from(c[i * n + j]) - want).abs());
            }
        }
        (diff / scale) as f32
    }
}
