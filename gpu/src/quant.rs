//! Quantizing on the GPU: f32 rows to ggml's legacy block types (Q8_0, Q4_0, Q4_1, Q5_0,
//! Q5_1), byte for byte what the engine's CPU quantizers write.
//!
//! Exactness is by construction rather than by tolerance: the kernel (`shaders/
//! quantize_legacy.wgsl`) does every float operation of the CPU reference in integer
//! arithmetic on bit patterns (`shaders/softfloat.wgsl`), rounding each result once to nearest
//! even as the CPU does, so no adapter's fused multiply-adds, flushed subnormals or approximate
//! division can move a quant. The kernel writes each block as whole u32 words; [`pack_blocks`]
//! lays them out in ggml's byte layout.
//!
//! Callers hand over finite values only ([`Gpu::quantize`] checks): NaN and infinity take
//! CPU-specific paths (which NaN a comparison keeps) that are not worth mirroring, so rows
//! holding them stay on the CPU.

use bitsmith_engine::GgmlType;

use crate::batch::Batch;
use crate::kernels::{Kernel, grid_2d, u32_arg};
use crate::pool::Slice;
use crate::{Gpu, GpuError};

/// The types [`Gpu::quantize`] produces (without an importance matrix: the weighted
/// quantizers' search stays on the CPU).
pub const GPU_QUANT_TYPES: [GgmlType; 5] = [
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
];

/// Whether [`Gpu::quantize`] makes `ty`.
pub fn gpu_quantizes(ty: GgmlType) -> bool {
    GPU_QUANT_TYPES.contains(&ty)
}

/// Elements per block of every GPU quant type.
const QK: usize = 32;

/// Blocks per submission: 32 MiB of f32 in, well inside WebGPU's default 128 MiB storage
/// binding, and a bounded staging buffer for the read-back.
const MAX_BLOCKS: usize = 1 << 18;

/// The kernel's number for `ty` (`QTYPE` in quantize_legacy.wgsl) and its u32 words per block.
pub(crate) fn kernel_type(ty: GgmlType) -> Option<(u32, usize)> {
    Some(match ty {
        GgmlType::Q8_0 => (0, 9),
        GgmlType::Q4_0 => (1, 5),
        GgmlType::Q4_1 => (2, 5),
        GgmlType::Q5_0 => (3, 6),
        GgmlType::Q5_1 => (4, 6),
        _ => return None,
    })
}

/// The kernel's u32 words per block of `ty`, or the error for a type it does not make.
fn words_per_block(ty: GgmlType) -> Result<usize, GpuError> {
    kernel_type(ty)
        .map(|(_, words)| words)
        .ok_or_else(|| GpuError::Input(format!("no GPU quantizer for {ty}")))
}

/// The WGSL source of the quantize kernel for `ty`.
pub(crate) fn source(ty: GgmlType) -> String {
    let (code, _) = kernel_type(ty).expect("Kernel::Quantize only exists for GPU quant types");
    let body = include_str!("shaders/quantize_legacy.wgsl").replace(
        "const QTYPE: u32 = 0u;",
        &format!("const QTYPE: u32 = {code}u;"),
    );
    format!("{}\n{body}", include_str!("shaders/softfloat.wgsl"))
}

/// The kernel's words to ggml blocks: the f16 scale `d` (and the minimum `m` where the type
/// has one), then `qh` for the 5-bit types, then the quant bytes.
pub fn pack_blocks(ty: GgmlType, words: &[u32], out: &mut [u8]) -> Result<(), GpuError> {
    let per_block = words_per_block(ty)?;
    let head = if matches!(ty, GgmlType::Q4_1 | GgmlType::Q5_1) {
        4
    } else {
        2
    };
    let block_bytes = ty.type_size();
    if !words.len().is_multiple_of(per_block) || words.len() / per_block * block_bytes != out.len()
    {
        return Err(GpuError::Input(format!(
            "{} words are not {} blocks of {ty}",
            words.len(),
            out.len() / block_bytes
        )));
    }
    for (w, b) in words
        .chunks_exact(per_block)
        .zip(out.chunks_exact_mut(block_bytes))
    {
        b[..head].copy_from_slice(&w[0].to_le_bytes()[..head]);
        let mut at = head;
        for word in &w[1..] {
            let bytes = word.to_le_bytes();
            b[at..at + 4].copy_from_slice(&bytes);
            at += 4;
        }
    }
    Ok(())
}

impl Batch<'_> {
    /// Records the quantization of `n_blocks` blocks of 32 f32s (as bits) from `src` into the
    /// kernel's words at `dst` (see [`pack_blocks`]).
    fn quantize(
        &mut self,
        ty: GgmlType,
        src: Slice<'_>,
        dst: Slice<'_>,
        n_blocks: usize,
    ) -> Result<(), GpuError> {
        let per_block = words_per_block(ty)?;
        crate::batch::check_span("quantize input", src, n_blocks * QK)?;
        crate::batch::check_span("quantize output", dst, n_blocks * per_block)?;
        let (gx, gy) = grid_2d(
            n_blocks.div_ceil(64),
            self.gpu.limits.max_compute_workgroups_per_dimension,
        );
        let params = [
            u32_arg("blocks", n_blocks)?,
            u32_arg("offset", src.off)?,
            u32_arg("offset", dst.off)?,
            gx,
        ];
        self.dispatch(
            Kernel::Quantize(ty),
            &[src.buf, dst.buf],
            &params,
            [gx, gy, 1],
        )
    }
}

impl Gpu {
    /// Quantizes `values` (whole rows, a multiple of 32 values, all finite) to `ty`: the bytes
    /// the engine's CPU quantizer writes for them, in ggml's block layout.
    pub async fn quantize(&self, ty: GgmlType, values: &[f32]) -> Result<Vec<u8>, GpuError> {
        let per_block = words_per_block(ty)?;
        if !values.len().is_multiple_of(QK) {
            return Err(GpuError::Input(format!(
                "{} values are not whole blocks of {QK}",
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(GpuError::Input(format!(
                "value {i} is not finite ({}): the CPU quantizes such rows",
                values[i]
            )));
        }
        let n_blocks = values.len() / QK;
        let mut out = vec![0u8; n_blocks * ty.type_size()];
        let mut done = 0;
        while done < n_blocks {
            let n = (n_blocks - done).min(MAX_BLOCKS);
            let src = self.upload(&values[done * QK..(done + n) * QK]);
            let dst = self.scratch(n * per_block);
            let mut b = self.batch();
            b.quantize(ty, src.at(0), dst.at(0), n)?;
            let words = b.submit_and_read(dst.at(0), n * per_block).await?;
            let words: &[u32] = bytemuck::cast_slice(&words);
            let bb = ty.type_size();
            pack_blocks(ty, words, &mut out[done * bb..(done + n) * bb])?;
            done += n;
        }
        Ok(out)
    }

    /// The soft-float operations of `shaders/softfloat.wgsl` on pairs of bit patterns, for
    /// the tests that check them against the CPU's f32 arithmetic: `op` 0 add, 1 sub, 2 mul,
    /// 3 div, 4 to-f16 (of `a`), 5 trunc to i32 (of `a`), 6 round to i32 (of `a`).
    #[doc(hidden)]
    pub async fn softfloat_ops(&self, op: u32, a: &[u32], b: &[u32]) -> Result<Vec<u32>, GpuError> {
        if a.len() != b.len() || a.is_empty() {
            return Err(GpuError::Input(
                "softfloat_ops takes two equal, non-empty lists".into(),
            ));
        }
        let n = a.len();
        let mut ab = Vec::with_capacity(2 * n);
        ab.extend_from_slice(a);
        ab.extend_from_slice(b);
        let src = self.upload(bytemuck::cast_slice(&ab));
        let dst = self.scratch(n);
        let (gx, gy) = grid_2d(
            n.div_ceil(64),
            self.limits.max_compute_workgroups_per_dimension,
        );
        let mut batch = self.batch();
        let params = [u32_arg("values", n)?, op, gx, 0];
        batch.dispatch(Kernel::SoftFloatCheck, &[&src, &dst], &params, [gx, gy, 1])?;
        let out = batch.submit_and_read(dst.at(0), n).await?;
        Ok(bytemuck::cast_slice(&out).to_vec())
    }
}

/// The test kernel behind [`Gpu::softfloat_ops`].
pub(crate) fn softfloat_check_source() -> String {
    format!(
        "{}\n{}",
        include_str!("shaders/softfloat.wgsl"),
        r#"
struct Params { n: u32, op: u32, groups_x: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> ab: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = (wg.x + wg.y * p.groups_x) * 64u + li;
    if (i >= p.n) {
        return;
    }
    let a = ab[i];
    let b = ab[p.n + i];
    var r = 0u;
    switch p.op {
        case 0u: { r = sf_add(a, b); }
        case 1u: { r = sf_sub(a, b); }
        case 2u: { r = sf_mul(a, b); }
        case 3u: { r = sf_div(a, b); }
        case 4u: { r = sf_to_f16(a); }
        case 5u: { r = u32(sf_trunc_i32(a)); }
        default: { r = u32(sf_round_i32(a)); }
    }
    out[i] = r;
}
"#
    )
}
