//! Weight matrices on the GPU, in their stored GGUF block format.
//!
//! WebGPU storage buffers are arrays of 4-byte words, and WGSL has no byte loads, so a block
//! must start on a word boundary to be decoded without shifting every word. Several GGUF block
//! types are word-sized already (Q4_1: 20 bytes, Q4_K: 144): those are uploaded unchanged. The
//! others are 2 bytes off (Q8_0: 34, Q4_0: 18, Q5_0: 22, Q6_K: 210), always because of one f16
//! scale `d` (at the start of the block, or at the end for Q6_K; ggml/src/ggml-common.h). For
//! those the buffer holds two sections, as ratchet splits quants and scales:
//!
//! ```text
//! words 0 .. B·W          every block's bytes except d, in order (W words per block)
//! words d_off ..          the d of every block, two f16s per word (block 2i in the low half)
//! ```
//!
//! so the upload is the stored bytes rearranged, not converted, and takes the same memory. F32
//! and F16 rows are uploaded as they are.

use bitsmith_engine::GgmlType;

use crate::kernels::dequant_source;
use crate::pool::{self, GpuBuffer};
use crate::{Gpu, GpuError};

/// A weight matrix (`n_out` rows of `n_in` elements) uploaded for [`crate::Batch::matvec`].
#[derive(Clone, Debug)]
pub struct GpuWeight {
    pub ty: GgmlType,
    pub n_in: usize,
    pub n_out: usize,
    pub(crate) buf: GpuBuffer,
    /// Word offset of the f16 scale section (0 for types without one).
    pub(crate) d_off: u32,
}

impl GpuWeight {
    /// Bytes on the GPU.
    pub fn gpu_bytes(&self) -> usize {
        self.buf.len() * 4
    }
}

/// The weight types the GPU matrix kernels decode.
pub const GPU_WEIGHT_TYPES: [GgmlType; 8] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q4_K,
    GgmlType::Q6_K,
];

/// True when [`Gpu::upload_weight`] accepts `ty`.
pub fn gpu_supports(ty: GgmlType) -> bool {
    dequant_source(ty).is_some()
}

/// Where the lone f16 `d` sits in a block of `ty`, for the types that need splitting.
fn d_offset(ty: GgmlType) -> Option<usize> {
    match ty {
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => Some(0),
        GgmlType::Q6_K => Some(208),
        _ => None,
    }
}

/// Rearranges `bytes` (`n_out` rows of `n_in` `ty` elements, as in the GGUF file) into the
/// words the kernels read, and returns them with the offset of the scale section.
pub fn repack(
    ty: GgmlType,
    bytes: &[u8],
    n_in: usize,
    n_out: usize,
) -> Result<(Vec<u32>, u32), GpuError> {
    if !gpu_supports(ty) {
        return Err(GpuError::Unsupported(ty));
    }
    // Every kernel works in units of 32 elements (one block, or one K-quant sub-block).
    let row_bytes = ty
        .row_bytes(n_in)
        .filter(|_| n_in > 0 && n_in.is_multiple_of(32))
        .ok_or_else(|| {
            GpuError::Input(format!(
                "{ty} rows of {n_in} elements: need a multiple of {} (and of 32)",
                ty.block_size()
            ))
        })?;
    if Some(bytes.len()) != row_bytes.checked_mul(n_out) || n_out == 0 {
        return Err(GpuError::Input(format!(
            "{} bytes for {n_out} rows of {n_in} {ty}",
            bytes.len()
        )));
    }
    let words = |b: &[u8]| -> Vec<u32> {
        b.chunks(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(w)
            })
            .collect()
    };
    let Some(dpos) = d_offset(ty) else {
        return Ok((words(bytes), 0));
    };
    let bs = ty.type_size();
    let n_blocks = bytes.len() / bs;
    let mut main = Vec::with_capacity(n_blocks * (bs - 2));
    let mut ds = Vec::with_capacity(n_blocks * 2);
    for b in bytes.chunks_exact(bs) {
        main.extend_from_slice(&b[..dpos]);
        main.extend_from_slice(&b[dpos + 2..]);
        ds.extend_from_slice(&b[dpos..dpos + 2]);
    }
    debug_assert!(main.len().is_multiple_of(4));
    let mut out = words(&main);
    let d_off = u32::try_from(out.len()).map_err(|_| {
        GpuError::Input(format!("{ty} weight of {} bytes is too large", bytes.len()))
    })?;
    out.extend(words(&ds));
    Ok((out, d_off))
}

impl Gpu {
    /// Uploads a weight matrix: `n_out` rows of `n_in` elements of `ty`, `bytes` as stored in a
    /// GGUF file.
    pub fn upload_weight(
        &self,
        ty: GgmlType,
        bytes: &[u8],
        n_in: usize,
        n_out: usize,
    ) -> Result<GpuWeight, GpuError> {
        let (words, d_off) = repack(ty, bytes, n_in, n_out)?;
        let size = (words.len() * 4) as u64;
        let max = self
            .report
            .max_storage_buffer_binding_size
            .min(self.report.max_buffer_size);
        if size > max {
            return Err(GpuError::Input(format!(
                "{ty} weight {n_out}×{n_in} needs {size} bytes; this device binds at most {max}"
            )));
        }
        let buf = self.upload_words(&words, "weight");
        Ok(GpuWeight {
            ty,
            n_in,
            n_out,
            buf,
            d_off,
        })
    }

    /// A buffer outside the pool holding `words` (rounded up to 16 bytes).
    pub(crate) fn upload_words(&self, words: &[u32], label: &str) -> GpuBuffer {
        let bytes = (words.len() * 4) as u64;
        let size = bytes.max(16).next_multiple_of(16);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        if !words.is_empty() {
            self.queue
                .write_buffer(&buffer, 0, bytemuck::cast_slice(words));
        }
        pool::unpooled(&self.pool, buffer, bytes.max(16))
    }
}
