//! Recording many kernel dispatches and submitting them at once.
//!
//! Per-dispatch overhead dominates small models: SmolLM2-135M's decode step is ~330 dispatches
//! of a few microseconds of GPU work each, and on the web every `submit` and every buffer write
//! is a round trip to the GPU process. A [`Batch`] therefore records dispatches (and buffer
//! copies) with their parameters and, on submit, does one parameter upload, one command
//! encoder, one compute pass per run of dispatches, and one `queue.submit`.
//!
//! Parameters: each dispatch's small uniform struct goes into its own 256-byte slot of a
//! parameter arena owned by the [`Gpu`]; the bind group binds the arena with a *dynamic offset*,
//! so the bind group of a (kernel, buffers) combination does not depend on the slot and is
//! cached across submits. A decode step that runs the same kernels on the same buffers every
//! token creates no bind groups after the first token.

use std::collections::HashMap;
use std::sync::Arc;

use crate::kernels::{Access, Compiled, Kernel};
use crate::pool::{self, GpuBuffer, Kind, Slice};
use crate::{Gpu, GpuError};

/// Bytes per parameter slot: WebGPU's `minUniformBufferOffsetAlignment` is at most 256.
pub(crate) const SLOT: u64 = 256;

/// Bind groups kept before the cache is cleared (each holds its buffers alive).
const BIND_CACHE_MAX: usize = 4096;

enum Step {
    Dispatch {
        kernel: Kernel,
        bufs: Vec<GpuBuffer>,
        slot: u32,
        groups: [u32; 3],
    },
    Copy {
        src: GpuBuffer,
        src_off: u64,
        dst: GpuBuffer,
        dst_off: u64,
        bytes: u64,
    },
}

/// The parameter arena and the bind groups made for it.
pub(crate) struct BindState {
    arena: Option<GpuBuffer>,
    groups: HashMap<(Kernel, Vec<u64>), wgpu::BindGroup>,
    /// Bind groups created (for tests and benchmarks: a repeated step should create none).
    pub(crate) created: u64,
}

impl BindState {
    pub(crate) fn new() -> BindState {
        BindState {
            arena: None,
            groups: HashMap::new(),
            created: 0,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.groups.clear();
    }

    /// Bind groups held.
    pub(crate) fn cached(&self) -> usize {
        self.groups.len()
    }
}

/// Dispatches and copies recorded for one submission. Made by [`Gpu::batch`].
pub struct Batch<'g> {
    pub(crate) gpu: &'g Gpu,
    steps: Vec<Step>,
    params: Vec<u8>,
}

impl<'g> Batch<'g> {
    pub(crate) fn new(gpu: &'g Gpu) -> Batch<'g> {
        Batch {
            gpu,
            steps: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Dispatches recorded so far.
    pub fn dispatches(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::Dispatch { .. }))
            .count()
    }

    /// Records one dispatch of `kernel` over `bufs` (in binding order) with `params` as its
    /// uniform struct. Checks that no writable binding aliases another binding (WebGPU rejects
    /// that) and that the grid fits the device.
    pub(crate) fn dispatch(
        &mut self,
        kernel: Kernel,
        bufs: &[&GpuBuffer],
        params: &[u32],
        groups: [u32; 3],
    ) -> Result<(), GpuError> {
        let access = kernel.bindings();
        debug_assert_eq!(access.len(), bufs.len(), "{kernel:?} bindings");
        debug_assert!(params.len() * 4 <= SLOT as usize);
        for (i, (a, b)) in access.iter().zip(bufs).enumerate() {
            if *a == Access::ReadWrite
                && bufs
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && o.id() == b.id())
            {
                return Err(GpuError::Input(format!(
                    "{kernel:?}: the buffer written by binding {i} is also bound elsewhere"
                )));
            }
        }
        let max = self.gpu.limits.max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) || groups.contains(&0) {
            return Err(GpuError::Input(format!(
                "{kernel:?}: grid {groups:?} is empty or exceeds {max} workgroups per dimension"
            )));
        }
        let slot = (self.params.len() as u64 / SLOT) as u32;
        let mut bytes = [0u8; SLOT as usize];
        for (chunk, v) in bytes.as_chunks_mut::<4>().0.iter_mut().zip(params) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        self.params.extend_from_slice(&bytes);
        self.steps.push(Step::Dispatch {
            kernel,
            bufs: bufs.iter().map(|&b| b.clone()).collect(),
            slot,
            groups,
        });
        Ok(())
    }

    /// Records a copy of `len` elements from `src` to `dst`.
    pub fn copy(&mut self, src: Slice<'_>, dst: Slice<'_>, len: usize) -> Result<(), GpuError> {
        check_span("copy source", src, len)?;
        check_span("copy destination", dst, len)?;
        if src.buf.id() == dst.buf.id() {
            return Err(GpuError::Input("copy within one buffer".into()));
        }
        self.steps.push(Step::Copy {
            src: src.buf.clone(),
            src_off: src.off as u64 * 4,
            dst: dst.buf.clone(),
            dst_off: dst.off as u64 * 4,
            bytes: len as u64 * 4,
        });
        Ok(())
    }

    /// Encodes everything recorded into one command buffer (one parameter upload first).
    fn encode(&mut self) -> Result<wgpu::CommandEncoder, GpuError> {
        let gpu = self.gpu;
        // Every dispatch's pipeline and bind group, resolved before the pass borrows the
        // encoder.
        let mut resolved: Vec<Option<(Arc<Compiled>, wgpu::BindGroup)>> = Vec::new();
        {
            let mut state = gpu.binds.lock().unwrap_or_else(|e| e.into_inner());
            let need = (self.params.len() as u64).max(SLOT);
            let arena_ok = state.arena.as_ref().is_some_and(|a| a.raw().size() >= need);
            if !arena_ok {
                // Grow (a new arena invalidates every bind group that points at the old one).
                let arena = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("params"),
                    size: pool::size_class(need),
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                state.arena = Some(pool::unpooled(&gpu.pool, arena, need));
                state.groups.clear();
            }
            let arena = state.arena.clone().expect("arena was just made");
            if !self.params.is_empty() {
                gpu.queue.write_buffer(arena.raw(), 0, &self.params);
            }
            let dead = gpu
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_dead();
            if !dead.is_empty() {
                state
                    .groups
                    .retain(|(_, ids), _| !ids.iter().any(|id| dead.contains(id)));
            }
            if state.groups.len() > BIND_CACHE_MAX {
                state.groups.clear();
            }
            for step in &self.steps {
                let Step::Dispatch { kernel, bufs, .. } = step else {
                    resolved.push(None);
                    continue;
                };
                let compiled = gpu.compiled(*kernel)?;
                let mut key: Vec<u64> = bufs.iter().map(GpuBuffer::id).collect();
                key.push(arena.id());
                let group = match state.groups.get(&(*kernel, key.clone())) {
                    Some(g) => g.clone(),
                    None => {
                        let mut entries: Vec<wgpu::BindGroupEntry<'_>> = bufs
                            .iter()
                            .enumerate()
                            .map(|(i, b)| wgpu::BindGroupEntry {
                                binding: i as u32,
                                resource: b.raw().as_entire_binding(),
                            })
                            .collect();
                        entries.push(wgpu::BindGroupEntry {
                            binding: bufs.len() as u32,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: arena.raw(),
                                offset: 0,
                                size: std::num::NonZeroU64::new(SLOT),
                            }),
                        });
                        let g = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                            label: Some(kernel.name()),
                            layout: &compiled.layout,
                            entries: &entries,
                        });
                        state.created += 1;
                        state.groups.insert((*kernel, key), g.clone());
                        g
                    }
                };
                resolved.push(Some((compiled, group)));
            }
        }
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("batch"),
            });
        let mut i = 0;
        while i < self.steps.len() {
            if let Step::Copy {
                src,
                src_off,
                dst,
                dst_off,
                bytes,
            } = &self.steps[i]
            {
                encoder.copy_buffer_to_buffer(src.raw(), *src_off, dst.raw(), *dst_off, *bytes);
                i += 1;
                continue;
            }
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("batch"),
                timestamp_writes: None,
            });
            while let Some(Step::Dispatch { slot, groups, .. }) = self.steps.get(i) {
                let (compiled, group) = resolved[i].as_ref().expect("resolved above");
                pass.set_pipeline(&compiled.pipeline);
                pass.set_bind_group(0, group, &[(u64::from(*slot) * SLOT) as u32]);
                pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                i += 1;
            }
        }
        Ok(encoder)
    }

    /// Submits everything recorded (one `queue.submit`) without waiting for it.
    pub fn submit(mut self) -> Result<(), GpuError> {
        let encoder = self.encode()?;
        self.gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// Submits everything recorded, then reads `len` elements at `src` back.
    pub async fn submit_and_read(self, src: Slice<'_>, len: usize) -> Result<Vec<f32>, GpuError> {
        let mut out = self.submit_and_read_many(&[(src, len)]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Submits everything recorded, then reads each `(slice, len)` back (one submission, one
    /// staging buffer, one map).
    pub async fn submit_and_read_many(
        mut self,
        reads: &[(Slice<'_>, usize)],
    ) -> Result<Vec<Vec<f32>>, GpuError> {
        let total: usize = reads.iter().map(|r| r.1).sum();
        for &(s, len) in reads {
            check_span("read-back", s, len)?;
        }
        let gpu = self.gpu;
        let mut encoder = self.encode()?;
        let bytes = (total.max(1) * 4) as u64;
        let staging = pool::take(&gpu.pool, &gpu.device, bytes, Kind::Readback);
        let mut at = 0u64;
        for &(s, len) in reads {
            let n = len as u64 * 4;
            if n > 0 {
                encoder.copy_buffer_to_buffer(s.buf.raw(), s.off as u64 * 4, staging.raw(), at, n);
            }
            at += n;
        }
        gpu.queue.submit([encoder.finish()]);
        let flat = gpu.map_read(&staging, bytes).await?;
        let mut out = Vec::with_capacity(reads.len());
        let mut at = 0;
        for &(_, len) in reads {
            out.push(flat[at..at + len].to_vec());
            at += len;
        }
        Ok(out)
    }
}

/// Checks that `len` elements from `s` lie inside its buffer.
pub(crate) fn check_span(what: &str, s: Slice<'_>, len: usize) -> Result<(), GpuError> {
    match s.off.checked_add(len) {
        Some(end) if end <= s.buf.len() => Ok(()),
        _ => Err(GpuError::Input(format!(
            "{what}: elements {}..{} are outside a buffer of {}",
            s.off,
            s.off.saturating_add(len),
            s.buf.len()
        ))),
    }
}
