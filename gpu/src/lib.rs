//! GPU compute for Bitsmith through wgpu: WebGPU in the browser (inside the engine worker) and
//! Vulkan natively (lavapipe on machines without a GPU). Each kernel here has a scalar reference
//! in `bitsmith_engine::ops` (or the engine's dequantizers) and tests that compare the two.
//!
//! Everything is async because WebGPU is: on the web a buffer map resolves only after control
//! returns to the event loop, so readback is always awaited, never polled in a loop.
//!
//! Pieces:
//! - [`Gpu`]: the device, a buffer pool ([`GpuBuffer`], recycled by size class), the compiled
//!   kernels and a bind-group cache.
//! - [`Batch`]: records dispatches (one method per kernel: [`Batch::matvec`],
//!   [`Batch::rms_norm`], [`Batch::rope`], [`Batch::softmax`], [`Batch::swiglu`],
//!   [`Batch::attention`]) and submits them together: one decode step is one `submit`.
//! - [`GpuWeight`]: a weight matrix uploaded in its GGUF block format (F32, F16, Q8_0, Q4_0,
//!   Q4_1, Q5_0, Q4_K, Q6_K).
//! - [`Gpu::quantize`]: f32 rows to Q8_0, Q4_0, Q4_1, Q5_0 or Q5_1, byte for byte the CPU
//!   quantizers' output (integer soft-float arithmetic, see `quant.rs`).
//! - [`bench_matvec`]: the planner's micro-benchmark of the matvec kernel (GB/s, GFLOP/s).
//! - [`llama`]: a Llama-family transformer (layers, KV cache, logits) run on those kernels.
//!
//! The CPU path (`bitsmith_engine::infer`) always works; callers choose this one at run time
//! when [`Gpu::open`] succeeds.

mod batch;
mod bench;
mod kernels;
pub mod llama;
mod pool;
mod quant;
mod weights;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use batch::Batch;
pub use bench::{GpuBench, MAX_DISPATCHES, TARGET_BATCH_MS, bench_matvec, bench_size};
use bitsmith_engine::GgmlType;
pub use bitsmith_engine::device::{AdapterReport, SelfCheck};
use bitsmith_engine::ops::AttnShape;
pub use kernels::{MatvecOpts, RopeShape};
pub use pool::{GpuBuffer, PoolStats, Slice};
pub use quant::{GPU_QUANT_TYPES, gpu_quantizes, pack_blocks};
use serde::{Deserialize, Serialize};
pub use weights::{GPU_WEIGHT_TYPES, GpuWeight, gpu_supports, repack};

/// Why GPU compute is not available or a kernel failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum GpuError {
    #[error("no WebGPU adapter: {0}")]
    NoAdapter(String),
    #[error("the adapter refused a device: {0}")]
    NoDevice(String),
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),
    #[error("bad kernel input: {0}")]
    Input(String),
    #[error("the GPU kernels do not decode {0} weights")]
    Unsupported(GgmlType),
}

/// An open device and its queue, plus the report of the adapter it came from, the buffer pool,
/// compiled kernels and cached bind groups.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pub report: AdapterReport,
    limits: wgpu::Limits,
    pool: Arc<Mutex<pool::Pool>>,
    kernels: Mutex<HashMap<kernels::Kernel, Arc<kernels::Compiled>>>,
    binds: Mutex<batch::BindState>,
    /// Bound where a kernel's optional input is absent (WebGPU needs every binding filled).
    dummy: GpuBuffer,
}

/// Free scratch bytes the pool keeps for reuse.
const POOL_CAP_BYTES: u64 = 512 << 20;

impl Gpu {
    /// Finds an adapter and opens a device with the adapter's own limits (large models need
    /// big storage buffers, so the defaults' 128 MiB would be too small).
    pub async fn open() -> Result<Gpu, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let features = adapter.features();
        let report = AdapterReport {
            name: if info.name.is_empty() {
                "unnamed adapter".into()
            } else {
                info.name.clone()
            },
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            subgroups: features.contains(wgpu::Features::SUBGROUP),
        };
        if u64::from(limits.min_uniform_buffer_offset_alignment) > batch::SLOT {
            return Err(GpuError::NoDevice(format!(
                "uniform offset alignment {} exceeds WebGPU's maximum of 256",
                limits.min_uniform_buffer_offset_alignment
            )));
        }
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("bitsmith"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        let pool = pool::Pool::new(POOL_CAP_BYTES);
        let dummy = pool::unpooled(
            &pool,
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("unused binding"),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            }),
            16,
        );
        Ok(Gpu {
            device,
            queue,
            report,
            limits,
            pool,
            kernels: Mutex::new(HashMap::new()),
            binds: Mutex::new(batch::BindState::new()),
            dummy,
        })
    }

    /// A new, empty batch of dispatches.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self)
    }

    /// A pooled buffer of `len` f32s (contents undefined).
    pub fn scratch(&self, len: usize) -> GpuBuffer {
        pool::take(
            &self.pool,
            &self.device,
            (len as u64) * 4,
            pool::Kind::Storage,
        )
    }

    /// A pooled buffer holding `data`.
    pub fn upload(&self, data: &[f32]) -> GpuBuffer {
        let b = self.scratch(data.len());
        self.queue
            .write_buffer(b.raw(), 0, bytemuck::cast_slice(data));
        b
    }

    /// Writes `data` at `dst` (queued: it lands before the next submitted batch runs).
    pub fn write(&self, dst: Slice<'_>, data: &[f32]) -> Result<(), GpuError> {
        batch::check_span("write", dst, data.len())?;
        if !data.is_empty() {
            self.queue.write_buffer(
                dst.buf.raw(),
                dst.off as u64 * 4,
                bytemuck::cast_slice(data),
            );
        }
        Ok(())
    }

    /// Reads `len` f32s at `src` back (after everything submitted so far).
    pub async fn read(&self, src: Slice<'_>, len: usize) -> Result<Vec<f32>, GpuError> {
        self.batch().submit_and_read(src, len).await
    }

    /// The buffer pool's counters.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).stats()
    }

    /// Bind groups created so far (a repeated decode step should add none).
    pub fn bind_groups_created(&self) -> u64 {
        self.binds.lock().unwrap_or_else(|e| e.into_inner()).created
    }

    /// Bind groups in the cache now (those naming freed buffers are dropped at the next
    /// submit, so a dropped model's weights do not stay alive through them).
    pub fn bind_groups_cached(&self) -> usize {
        self.binds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cached()
    }

    /// Frees the pool's idle buffers and the bind-group cache (which keeps buffers alive).
    pub fn trim(&self) {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).trim();
        self.binds.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// RMSNorm of `rows` rows of `weight.len()` values on the GPU (WGSL kernel
    /// `shaders/rms_norm.wgsl`; reference `bitsmith_engine::ops::rms_norm_rows`).
    pub async fn rms_norm_rows(
        &self,
        x: &[f32],
        weight: &[f32],
        eps: f32,
    ) -> Result<Vec<f32>, GpuError> {
        let n = weight.len();
        if n == 0 || !x.len().is_multiple_of(n) {
            return Err(GpuError::Input(format!(
                "{} values do not form rows of {n}",
                x.len()
            )));
        }
        let (xb, wb, out) = (self.upload(x), self.upload(weight), self.scratch(x.len()));
        let mut b = self.batch();
        b.rms_norm(xb.at(0), &wb, out.at(0), n, x.len() / n, eps)?;
        b.submit_and_read(out.at(0), x.len()).await
    }

    /// `W · x` for each row of `x` (rows of `w.n_in`): `x.len() / w.n_in` rows of `w.n_out`.
    pub async fn matvec(&self, w: &GpuWeight, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        if x.is_empty() || !x.len().is_multiple_of(w.n_in) {
            return Err(GpuError::Input(format!(
                "{} activations do not form rows of {}",
                x.len(),
                w.n_in
            )));
        }
        let n_tok = x.len() / w.n_in;
        let (xb, yb) = (self.upload(x), self.scratch(n_tok * w.n_out));
        let mut b = self.batch();
        b.matvec(w, xb.at(0), yb.at(0), n_tok, MatvecOpts::default())?;
        b.submit_and_read(yb.at(0), n_tok * w.n_out).await
    }

    /// RoPE of `x` (rows of `shape.n_heads · shape.head_dim`) by the rows of `table`
    /// (`bitsmith_engine::ops::rope_cache`).
    pub async fn rope(
        &self,
        x: &[f32],
        table: &[f32],
        shape: RopeShape,
    ) -> Result<Vec<f32>, GpuError> {
        let row = shape.n_heads * shape.head_dim;
        if row == 0 || x.is_empty() || !x.len().is_multiple_of(row) {
            return Err(GpuError::Input(format!(
                "{} values in rows of {row}",
                x.len()
            )));
        }
        let (xb, tb) = (self.upload(x), self.upload(table));
        let mut b = self.batch();
        b.rope(xb.at(0), tb.at(0), x.len() / row, shape)?;
        b.submit_and_read(xb.at(0), x.len()).await
    }

    /// Softmax of each row of `n` values of `x`.
    pub async fn softmax_rows(&self, x: &[f32], n: usize) -> Result<Vec<f32>, GpuError> {
        if n == 0 || x.is_empty() || !x.len().is_multiple_of(n) {
            return Err(GpuError::Input(format!(
                "{} values in rows of {n}",
                x.len()
            )));
        }
        let xb = self.upload(x);
        let mut b = self.batch();
        b.softmax(xb.at(0), n, x.len() / n)?;
        b.submit_and_read(xb.at(0), x.len()).await
    }

    /// `silu(gate) · up`, element-wise.
    pub async fn swiglu(&self, gate: &[f32], up: &[f32]) -> Result<Vec<f32>, GpuError> {
        if gate.len() != up.len() {
            return Err(GpuError::Input(format!(
                "gate of {} and up of {}",
                gate.len(),
                up.len()
            )));
        }
        let (gb, ub) = (self.upload(gate), self.upload(up));
        let mut b = self.batch();
        b.swiglu(gb.at(0), ub.at(0), gate.len())?;
        b.submit_and_read(gb.at(0), gate.len()).await
    }

    /// Causal attention of the queries `q` (positions `p0..`) over `keys`/`values`
    /// (positions `0..p0 + tokens`), as `bitsmith_engine::ops::attention`.
    pub async fn attention(
        &self,
        q: &[f32],
        keys: &[f32],
        values: &[f32],
        shape: AttnShape,
        p0: usize,
    ) -> Result<Vec<f32>, GpuError> {
        let qd = shape.n_head * shape.head_dim;
        if qd == 0 || q.is_empty() || !q.len().is_multiple_of(qd) {
            return Err(GpuError::Input(format!(
                "{} queries in rows of {qd}",
                q.len()
            )));
        }
        let n_tok = q.len() / qd;
        let out_len = n_tok * shape.n_head * shape.head_dim_v;
        let (qb, kb, vb) = (self.upload(q), self.upload(keys), self.upload(values));
        let ob = self.scratch(out_len);
        let mut b = self.batch();
        b.attention(qb.at(0), kb.at(0), vb.at(0), ob.at(0), shape, p0, n_tok)?;
        b.submit_and_read(ob.at(0), out_len).await
    }

    /// Maps the first `bytes` of a readback buffer and returns them as f32s.
    async fn map_read(&self, staging: &GpuBuffer, bytes: u64) -> Result<Vec<f32>, GpuError> {
        let slice = staging.raw().slice(..bytes);
        let (tx, rx) = futures_channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        // Natively the map callback fires only from poll; on the web the browser drives it.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.await
            .map_err(|_| GpuError::Readback("the map request was dropped".into()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let view = slice
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = bytemuck::cast_slice::<u8, f32>(&view).to_vec();
        drop(view);
        staging.raw().unmap();
        Ok(out)
    }

    /// Waits until the GPU has finished everything submitted (natively; on the web a read-back
    /// is the only way to wait, see [`Gpu::read`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_idle(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| GpuError::Readback(e.to_string()))
    }
}

/// Largest relative difference between a GPU result and its reference, measured against the
/// reference's largest magnitude (so values near zero don't blow the ratio up).
pub fn max_rel_diff(got: &[f32], want: &[f32]) -> f32 {
    let scale = want
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    got.iter()
        .zip(want)
        .fold(0f32, |m, (g, w)| m.max((g - w).abs() / scale))
}

/// The tolerance GPU RMSNorm is held to against the f64-accumulating reference: f32 tree
/// reduction plus `inverseSqrt`, whose WGSL precision is 2 ULP.
pub const RMS_NORM_TOLERANCE: f32 = 1e-5;

/// GPU matvec against `ops::matvec_dequant` (the same dequantized weights, summed in f64), as
/// [`max_rel_diff`]: the kernels decode weights exactly (every Q·d product is one f32
/// rounding, as in the engine's dequantizers) and differ only by f32 summation order.
pub const MATVEC_TOLERANCE: f32 = 2e-6;

/// GPU matvec against the CPU inference path (`infer::vec_dot` on activations quantized to
/// Q8_0 / Q8_1 / Q8_K), as [`max_rel_diff`]: dominated by the CPU's 8-bit activation rounding,
/// not by the GPU. Measured maxima are well below this (see the tests).
pub const MATVEC_VS_Q8_TOLERANCE: f32 = 2e-2;

/// RoPE against `ops::rope` (the same table; one multiply-add per output).
pub const ROPE_TOLERANCE: f32 = 1e-6;

/// Softmax against `ops::softmax`, as the largest absolute difference of probabilities
/// (WGSL's `exp` is accurate to 3 + 2·|x| ULP).
pub const SOFTMAX_TOLERANCE: f32 = 2e-6;

/// SwiGLU against `ops::swiglu`, as [`max_rel_diff`].
pub const SWIGLU_TOLERANCE: f32 = 1e-5;

/// Attention against `ops::attention`, as [`max_rel_diff`]: online softmax (rescaled per chunk
/// of 64 positions) and f32 sums over the context.
pub const ATTENTION_TOLERANCE: f32 = 5e-6;

/// Deterministic test input for kernel checks (a fixed LCG, so the browser and native runs see
/// the same numbers without a random-number dependency).
pub fn test_signal(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
        })
        .collect()
}

/// The self-check the Settings page runs: RMSNorm of a few rows on the GPU against the CPU
/// reference. Returns the largest relative difference.
pub async fn rms_norm_self_check(gpu: &Gpu) -> Result<SelfCheck, GpuError> {
    let n = 576; // SmolLM2-135M's hidden size: the shape the engine will really run.
    let rows = 8;
    let x = test_signal(n * rows, 1);
    let w = test_signal(n, 2);
    let eps = 1e-5;
    let got = gpu.rms_norm_rows(&x, &w, eps).await?;
    let mut want = vec![0.0; x.len()];
    bitsmith_engine::ops::rms_norm_rows(&x, &w, eps, &mut want);
    let max_rel = max_rel_diff(&got, &want);
    Ok(SelfCheck {
        kernel: "rms_norm".into(),
        elements: x.len() as u32,
        max_rel_diff: max_rel,
        tolerance: RMS_NORM_TOLERANCE,
        passed: max_rel <= RMS_NORM_TOLERANCE,
        gpu_sample: got[..4].to_vec(),
        cpu_sample: want[..4].to_vec(),
    })
}
