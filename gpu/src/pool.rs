//! GPU buffers and the pool that recycles them.
//!
//! Creating a buffer is not free (natively a driver allocation; on the web a JS call and an
//! allocation in the GPU process), and a decode step needs a dozen scratch buffers of the same
//! few sizes every time. Scratch buffers therefore come from a pool keyed by size class (the
//! next power of two, at least 256 bytes) and usage, and go back to it when the last
//! [`GpuBuffer`] handle is dropped. A [`crate::Batch`] holds handles to every buffer it uses until it
//! is submitted, so a buffer cannot be handed out again while a recorded dispatch still needs
//! it; after submission, reuse is safe because the queue runs in order.
//!
//! Every buffer carries a process-unique id, stable across reuse, which the bind-group cache
//! keys on.

// wgpu's handles are `!Send` on wasm32 (one thread, JS objects) and `Send + Sync` natively; one
// `Arc<Mutex<_>>` type serves both, so clippy's Send/Sync lint is off for the browser build only.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What a buffer is used for (its wgpu usage flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Storage for kernels; can be written from the CPU and copied out.
    Storage,
    /// Mappable for reading results back.
    Readback,
}

impl Kind {
    fn usage(self) -> wgpu::BufferUsages {
        match self {
            Kind::Storage => {
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST
            }
            Kind::Readback => wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        }
    }
}

/// Counters that show whether the pool is doing its job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers created because none of the size class was free.
    pub created: u64,
    /// Requests served by a recycled buffer.
    pub reused: u64,
    /// Buffers waiting in the pool.
    pub free_buffers: usize,
    /// Their bytes.
    pub free_bytes: u64,
}

/// Free buffers by (size class in bytes, kind).
pub(crate) struct Pool {
    free: HashMap<(u64, Kind), Vec<(u64, wgpu::Buffer)>>,
    stats: PoolStats,
    /// Free bytes above which returned buffers are destroyed instead of kept.
    cap_bytes: u64,
    /// Ids of buffers released for good (weights of a dropped model, pool overflow): the
    /// bind-group cache drops the groups that name them, which would otherwise keep the
    /// memory alive.
    dead: Vec<u64>,
}

/// Smallest pooled size: also WebGPU's usual uniform/storage offset alignment.
const MIN_CLASS: u64 = 256;

/// The size class a request of `bytes` is served from.
pub(crate) fn size_class(bytes: u64) -> u64 {
    bytes.max(MIN_CLASS).next_power_of_two()
}

impl Pool {
    pub(crate) fn new(cap_bytes: u64) -> Arc<Mutex<Pool>> {
        Arc::new(Mutex::new(Pool {
            free: HashMap::new(),
            stats: PoolStats::default(),
            cap_bytes,
            dead: Vec::new(),
        }))
    }

    pub(crate) fn stats(&self) -> PoolStats {
        self.stats
    }

    /// Ids of buffers freed since the last call.
    pub(crate) fn take_dead(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.dead)
    }

    /// Drops every free buffer.
    pub(crate) fn trim(&mut self) {
        for list in self.free.values() {
            self.dead.extend(list.iter().map(|(id, _)| *id));
        }
        self.free.clear();
        self.stats.free_buffers = 0;
        self.stats.free_bytes = 0;
    }

    fn give_back(&mut self, id: u64, buffer: wgpu::Buffer, kind: Kind) {
        let class = buffer.size();
        if self.stats.free_bytes + class > self.cap_bytes {
            self.dead.push(id);
            return; // dropping the last handle frees it
        }
        self.stats.free_buffers += 1;
        self.stats.free_bytes += class;
        self.free
            .entry((class, kind))
            .or_default()
            .push((id, buffer));
    }
}

/// Takes a buffer of at least `bytes` from the pool, or creates one.
pub(crate) fn take(
    pool: &Arc<Mutex<Pool>>,
    device: &wgpu::Device,
    bytes: u64,
    kind: Kind,
) -> GpuBuffer {
    let class = size_class(bytes);
    let reused = {
        let mut p = pool.lock().unwrap_or_else(|e| e.into_inner());
        let hit = p.free.get_mut(&(class, kind)).and_then(Vec::pop);
        if hit.is_some() {
            p.stats.reused += 1;
            p.stats.free_buffers -= 1;
            p.stats.free_bytes -= class;
        } else {
            p.stats.created += 1;
        }
        hit
    };
    let (id, buffer) = reused.unwrap_or_else(|| {
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("pooled"),
            size: class,
            usage: kind.usage(),
            mapped_at_creation: false,
        });
        (NEXT_ID.fetch_add(1, Ordering::Relaxed), buffer)
    });
    GpuBuffer(Arc::new(Inner {
        id,
        buffer,
        bytes,
        kind,
        recycle: true,
        pool: Arc::downgrade(pool),
    }))
}

/// Wraps a buffer that lives outside the pool (weights, caches): freed when its last handle
/// goes, and then reported to the pool's dead list.
pub(crate) fn unpooled(pool: &Arc<Mutex<Pool>>, buffer: wgpu::Buffer, bytes: u64) -> GpuBuffer {
    GpuBuffer(Arc::new(Inner {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        buffer,
        bytes,
        kind: Kind::Storage,
        recycle: false,
        pool: Arc::downgrade(pool),
    }))
}

struct Inner {
    id: u64,
    buffer: wgpu::Buffer,
    /// Bytes asked for (the buffer itself may be larger: its size class).
    bytes: u64,
    kind: Kind,
    /// Back to the pool when dropped (scratch), or freed (weights, caches).
    recycle: bool,
    pool: Weak<Mutex<Pool>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            let mut p = pool.lock().unwrap_or_else(|e| e.into_inner());
            if self.recycle {
                p.give_back(self.id, self.buffer.clone(), self.kind);
            } else {
                p.dead.push(self.id);
            }
        }
    }
}

/// A GPU buffer of f32 (or u32) elements. Cloning shares it; a pooled buffer returns to the
/// pool when the last clone is dropped. Contents of a freshly taken pooled buffer are whatever
/// its last user left there.
#[derive(Clone)]
pub struct GpuBuffer(Arc<Inner>);

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBuffer#{}({} bytes)", self.0.id, self.0.bytes)
    }
}

impl GpuBuffer {
    /// Process-unique id (stable while the buffer is recycled).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// 4-byte elements requested.
    pub fn len(&self) -> usize {
        (self.0.bytes / 4) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.0.bytes == 0
    }

    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        &self.0.buffer
    }

    /// The elements from `off` on, as a kernel argument.
    pub fn at(&self, off: usize) -> Slice<'_> {
        Slice { buf: self, off }
    }
}

/// A position in a buffer (in 4-byte elements): where a kernel reads or writes.
#[derive(Clone, Copy, Debug)]
pub struct Slice<'a> {
    pub buf: &'a GpuBuffer,
    pub off: usize,
}
