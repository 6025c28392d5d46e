//! GPU compute for Bitsmith through wgpu: WebGPU in the browser (inside the engine worker) and
//! Vulkan natively (lavapipe on machines without a GPU). Each kernel here has a scalar reference
//! in `bitsmith_engine::ops` and tests that compare the two.
//!
//! Everything is async because WebGPU is: on the web a buffer map resolves only after control
//! returns to the event loop, so readback is always awaited, never polled in a loop.

pub use bitsmith_engine::device::{AdapterReport, SelfCheck};
use serde::{Deserialize, Serialize};
use wgpu::util::DeviceExt;

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
}

/// An open device and its queue, plus the report of the adapter it came from.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pub report: AdapterReport,
}

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
            max_storage_buffer_binding_size: u64::from(limits.max_storage_buffer_binding_size),
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
            shader_f16: features.contains(wgpu::Features::SHADER_F16),
            subgroups: features.contains(wgpu::Features::SUBGROUP),
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("bitsmith"),
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        Ok(Gpu {
            device,
            queue,
            report,
        })
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
        let rows = (x.len() / n) as u32;
        let params: [u32; 4] = [n as u32, rows, eps.to_bits(), 0];
        let storage = |label, data: &[f32]| {
            self.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents: bytemuck::cast_slice(data),
                    usage: wgpu::BufferUsages::STORAGE,
                })
        };
        let x_buf = storage("x", x);
        let w_buf = storage("weight", weight);
        let bytes = std::mem::size_of_val(x) as u64;
        let out_buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("out"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let p_buf = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("params"),
                contents: bytemuck::cast_slice(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("rms_norm"),
                source: wgpu::ShaderSource::Wgsl(include_str!("shaders/rms_norm.wgsl").into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("rms_norm"),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("rms_norm"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                entry(0, &x_buf),
                entry(1, &w_buf),
                entry(2, &out_buf),
                entry(3, &p_buf),
            ],
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("rms_norm"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(rows, 1, 1);
        }
        self.read_back(encoder, &out_buf, bytes).await
    }

    /// Copies `src` into a mappable buffer, submits `encoder`, and awaits the bytes as f32s.
    async fn read_back(
        &self,
        mut encoder: wgpu::CommandEncoder,
        src: &wgpu::Buffer,
        bytes: u64,
    ) -> Result<Vec<f32>, GpuError> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        encoder.copy_buffer_to_buffer(src, 0, &staging, 0, bytes);
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
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
        let view = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = bytemuck::cast_slice::<u8, f32>(&view).to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
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
