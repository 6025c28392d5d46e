//! ggml's k-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) and the internal Q8_K activation format:
//! 256-element super-blocks whose sub-block scales are themselves quantized.
//!
//! Everything here is re-derived from llama.cpp's `ggml/src/ggml-quants.c` (algorithms) and
//! `ggml/src/ggml-common.h` (block layouts) and is meant to produce the same bytes:
//!
//! * Without an imatrix, `ggml_quantize_chunk` (`ggml/src/ggml.c`) calls `quantize_qX_K`, which
//!   for a NULL `quant_weights` runs `quantize_row_qX_K_ref` over all rows; with an imatrix it
//!   runs `quantize_row_qX_K_impl` per row. We make the same choice per row in each
//!   `quantize_row_qX_k` (the two paths are genuinely different algorithms, not just weights).
//! * Q8_K is not quantizable through `ggml_quantize_chunk`; `quantize_row_q8_k` matches
//!   `quantize_row_q8_K_ref`.
//!
//! On floating point (llama.cpp PR #10008 reports k-quant bytes differing across platforms):
//! the reference implementation lives in ggml-base, which llama.cpp's CMake builds without any
//! `-m` arch flags (only the ggml-cpu backend gets `-mfma -mavx2 ...`), so on x86-64 GCC has no
//! FMA instruction to contract `a*b + c` into, and without `-ffast-math` it keeps the sums in
//! source order. The llama-cpp-python 0.3.36 libggml-base.so contains no `vfmadd` at all. Plain
//! Rust `f32` arithmetic (never contracted) in ggml's order therefore gives the same bits, and
//! we do not use `mul_add` anywhere. Measured: 100% of blocks byte-identical, with and without
//! imatrix, on the committed fixtures and on 6096 extra blocks per type and path (SmolLM2
//! weights, 1e-42..1e38 magnitudes, sparse/constant/one-hot/tie-heavy blocks).
//!
//! Builds that do contract differ. Compiling the same `ggml-quants.c` with
//! `gcc -O3 -mfma -ffp-contract=fast` (GCC's default wherever the target has FMA, e.g.
//! aarch64) changed 0.2-53% of blocks on the SmolLM2/synthetic set depending on type and path
//! (Q5_K without imatrix 53%, Q2_K 29%, Q4_K 5%, the imatrix paths 2-10%, Q3_K/Q6_K under 1%),
//! with total squared error within 1.2% (Q2_K) and 0.1% (the rest) of the uncontracted build:
//! a different but equally good rounding, not a bug. Bitsmith follows the x86-64 builds.
//!
//! The loops index several parallel arrays by the same counter on purpose: they mirror ggml's
//! loops one-to-one, which is what makes the float operation order easy to check.
#![allow(clippy::needless_range_loop)]

mod q2_k;
mod q3_k;
mod q4_k;
mod q5_k;
mod q6_k;
mod q8_k;
pub(crate) mod search;

pub use q2_k::{dequantize_row_q2_k, quantize_row_q2_k};
pub use q3_k::{dequantize_row_q3_k, quantize_row_q3_k};
pub use q4_k::{dequantize_row_q4_k, quantize_row_q4_k};
pub use q5_k::{dequantize_row_q5_k, quantize_row_q5_k};
pub use q6_k::{dequantize_row_q6_k, quantize_row_q6_k};
pub use q8_k::{dequantize_row_q8_k, quantize_block_q8_k, quantize_row_q8_k};

use crate::quant::common::{f32_to_fp16_le, fp16_le_to_f32};

/// Elements per super-block (`QK_K` in `ggml/src/ggml-common.h`).
pub const QK_K: usize = 256;

/// Bytes of packed 6-bit scales and mins in Q4_K/Q5_K (`K_SCALE_SIZE` in ggml-common.h).
pub const K_SCALE_SIZE: usize = 12;

/// `block_q2_K` (ggml/src/ggml-common.h): 16 sub-blocks of 16, `x = d*sc*q - dmin*m` with a
/// 2-bit `q`, 4-bit `sc` (low nibble of `scales`) and 4-bit `m` (high nibble). 2.625 bpw.
/// `qs` holds four 2-bit quants per byte: byte `l` of each 32-byte half covers elements
/// `l, l+32, l+64, l+96` of that 128-element half (bit pairs 0-1, 2-3, 4-5, 6-7).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ2K {
    pub scales: [u8; QK_K / 16],
    pub qs: [u8; QK_K / 4],
    /// fp16 super-block scale for the 4-bit sub-block scales (little-endian bits).
    pub d: [u8; 2],
    /// fp16 super-block scale for the 4-bit sub-block mins.
    pub dmin: [u8; 2],
}

/// `block_q3_K` (ggml/src/ggml-common.h): 16 sub-blocks of 16, `x = d*(sc-32)*(q-4)` with a
/// 3-bit `q` (2 low bits in `qs`, high bit in `hmask`) and 6-bit `sc` packed into 12 bytes.
/// 3.4375 bpw. Bit `b` of `hmask[m]` is the high bit of element `32*b + m`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ3K {
    pub hmask: [u8; QK_K / 8],
    pub qs: [u8; QK_K / 4],
    pub scales: [u8; 12],
    pub d: [u8; 2],
}

/// `block_q4_K` (ggml/src/ggml-common.h): 8 sub-blocks of 32, `x = d*sc*q - dmin*m` with a
/// 4-bit `q` and 6-bit `sc`/`m` packed by `get_scale_min_k4`'s scheme. 4.5 bpw.
/// `qs` byte `l` of each 32-byte chunk holds element `l` (low nibble) and `l+32` (high nibble)
/// of a 64-element span.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ4K {
    pub d: [u8; 2],
    pub dmin: [u8; 2],
    pub scales: [u8; K_SCALE_SIZE],
    pub qs: [u8; QK_K / 2],
}

/// `block_q5_K` (ggml/src/ggml-common.h): as Q4_K plus a fifth bit per quant in `qh`
/// (bit `2k` / `2k+1` of `qh[l]` for the low / high nibble of the k-th 32-byte `qs` chunk).
/// 5.5 bpw.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ5K {
    pub d: [u8; 2],
    pub dmin: [u8; 2],
    pub scales: [u8; K_SCALE_SIZE],
    pub qh: [u8; QK_K / 8],
    pub qs: [u8; QK_K / 2],
}

/// `block_q6_K` (ggml/src/ggml-common.h): 16 sub-blocks of 16, `x = d*sc*(q-32)` with a 6-bit
/// `q` (4 low bits in `ql`, 2 high bits in `qh`) and a signed 8-bit `sc`. 6.5625 bpw.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ6K {
    pub ql: [u8; QK_K / 2],
    pub qh: [u8; QK_K / 4],
    pub scales: [i8; QK_K / 16],
    pub d: [u8; 2],
}

/// `block_q8_K` (ggml/src/ggml-common.h): the intermediate format k-quant dot products quantize
/// activations to. `x = d*q`, with `d` a plain (little-endian) f32 and `bsums[j]` the sum of
/// `qs[16j..16j+16]` as an i16 (little-endian), precomputed for the min terms of dot products.
/// Both are byte arrays here so the struct has alignment 1 and maps onto any byte buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BlockQ8K {
    pub d: [u8; 4],
    pub qs: [i8; QK_K],
    pub bsums: [[u8; 2]; QK_K / 16],
}

// Sizes from the static_asserts in ggml/src/ggml-common.h.
const _: () = assert!(size_of::<BlockQ2K>() == 84);
const _: () = assert!(size_of::<BlockQ3K>() == 110);
const _: () = assert!(size_of::<BlockQ4K>() == 144);
const _: () = assert!(size_of::<BlockQ5K>() == 176);
const _: () = assert!(size_of::<BlockQ6K>() == 210);
const _: () = assert!(size_of::<BlockQ8K>() == 292);
const _: () = assert!(align_of::<BlockQ8K>() == 1 && align_of::<BlockQ3K>() == 1);

impl BlockQ2K {
    /// Super-block scale as f32.
    pub fn d(&self) -> f32 {
        fp16_le_to_f32(self.d)
    }
    /// Super-block min scale as f32.
    pub fn dmin(&self) -> f32 {
        fp16_le_to_f32(self.dmin)
    }
}

impl BlockQ3K {
    /// Super-block scale as f32.
    pub fn d(&self) -> f32 {
        fp16_le_to_f32(self.d)
    }
    /// The 16 signed 6-bit sub-block scales (`-32..=31`), unpacked as `dequantize_row_q3_K`
    /// does: low nibble from `scales[j]` (j < 8) or high nibble of `scales[j-8]`, top two bits
    /// from `scales[8 + j%4] >> 2*(j/4)`.
    pub fn sub_scales(&self) -> [i8; 16] {
        let mut out = [0i8; 16];
        for (j, o) in out.iter_mut().enumerate() {
            *o = q3_k_scale(&self.scales, j);
        }
        out
    }
}

impl BlockQ4K {
    /// Super-block scale as f32.
    pub fn d(&self) -> f32 {
        fp16_le_to_f32(self.d)
    }
    /// Super-block min scale as f32.
    pub fn dmin(&self) -> f32 {
        fp16_le_to_f32(self.dmin)
    }
}

impl BlockQ5K {
    /// Super-block scale as f32.
    pub fn d(&self) -> f32 {
        fp16_le_to_f32(self.d)
    }
    /// Super-block min scale as f32.
    pub fn dmin(&self) -> f32 {
        fp16_le_to_f32(self.dmin)
    }
}

impl BlockQ6K {
    /// Super-block scale as f32.
    pub fn d(&self) -> f32 {
        fp16_le_to_f32(self.d)
    }
}

impl BlockQ8K {
    /// Block scale.
    pub fn d(&self) -> f32 {
        f32::from_le_bytes(self.d)
    }
    /// Sum of `qs[16j..16j+16]`.
    pub fn bsum(&self, j: usize) -> i16 {
        i16::from_le_bytes(self.bsums[j])
    }
}

/// Decodes the 6-bit scale and min of sub-block `j` (0..8) of a Q4_K/Q5_K block:
/// `get_scale_min_k4` in ggml/src/ggml-quants.c. Bytes 0-3 hold scales 0-3 (low 6 bits),
/// bytes 4-7 mins 0-3; bytes 8-11 hold the low nibbles of scale/min 4-7, whose top two bits sit
/// in the spare top bits of bytes 0-3 (scales) and 4-7 (mins).
#[inline]
pub fn get_scale_min_k4(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Inverse of [`get_scale_min_k4`] for one sub-block, written as `quantize_row_q4_K_ref` does.
/// Must be called for `j = 0..8` in order on a zeroed array (the top bits of bytes 0-7 are
/// OR-ed in after those bytes are first set). Values above 63 are packed as C would pack them
/// (truncated to the byte), which only the imatrix Q4_K path can produce.
#[inline]
pub(crate) fn pack_scale_min_k4(scales: &mut [u8; K_SCALE_SIZE], j: usize, ls: u8, lm: u8) {
    if j < 4 {
        scales[j] = ls;
        scales[j + 4] = lm;
    } else {
        scales[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
        scales[j - 4] |= (((ls >> 4) as u32) << 6) as u8;
        scales[j] |= (((lm >> 4) as u32) << 6) as u8;
    }
}

/// Sub-block scale `j` (0..16) of Q3_K, as a signed value (`-32..=31`).
#[inline]
fn q3_k_scale(scales: &[u8; 12], j: usize) -> i8 {
    let low = if j < 8 {
        scales[j] & 0xF
    } else {
        scales[j - 8] >> 4
    };
    let high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    ((low | (high << 4)) as i8).wrapping_sub(32)
}

/// Packs 256 2-bit levels (values 0..=3) into 64 bytes the Q2_K/Q3_K way: for each
/// 128-element half, byte `l` gets elements `l, l+32, l+64, l+96` at bits 0, 2, 4, 6.
#[inline]
fn pack_2bit(levels: &[u8; QK_K], qs: &mut [u8; QK_K / 4]) {
    for j in (0..QK_K).step_by(128) {
        for l in 0..32 {
            qs[j / 4 + l] = levels[j + l]
                | (levels[j + l + 32] << 2)
                | (levels[j + l + 64] << 4)
                | (levels[j + l + 96] << 6);
        }
    }
}

/// Iterates the blocks of a quantize call: `(block index, 256 inputs, block bytes, the block's
/// imatrix slice)`. Sizes are validated by `quant::quantize_row`; called directly with
/// mismatched lengths, the shorter of `src`/`dst` bounds the work (debug builds assert).
fn blocks_mut<'a, B: bytemuck::Pod>(
    src: &'a [f32],
    dst: &'a mut [u8],
    imatrix: Option<&'a [f32]>,
) -> impl Iterator<Item = (&'a [f32; QK_K], &'a mut B, Option<&'a [f32; QK_K]>)> {
    let size = size_of::<B>();
    debug_assert_eq!(src.len() % QK_K, 0);
    debug_assert_eq!(src.len() / QK_K * size, dst.len());
    debug_assert!(imatrix.is_none_or(|w| w.len() == src.len()));
    let mut weights = imatrix.map(|w| w.as_chunks::<QK_K>().0.iter());
    src.as_chunks::<QK_K>()
        .0
        .iter()
        .zip(dst.chunks_exact_mut(size))
        .map(move |(x, y)| {
            let w = weights.as_mut().and_then(|it| it.next());
            (x, bytemuck::from_bytes_mut::<B>(y), w)
        })
}

/// Iterates the blocks of a dequantize call: `(block, 256 outputs)`.
fn blocks<'a, B: bytemuck::Pod>(
    src: &'a [u8],
    dst: &'a mut [f32],
) -> impl Iterator<Item = (&'a B, &'a mut [f32; QK_K])> {
    let size = size_of::<B>();
    debug_assert_eq!(dst.len() % QK_K, 0);
    debug_assert_eq!(dst.len() / QK_K * size, src.len());
    src.chunks_exact(size)
        .zip(dst.as_chunks_mut::<QK_K>().0.iter_mut())
        .map(|(b, y)| (bytemuck::from_bytes::<B>(b), y))
}

/// The fp16 a scale becomes when stored, and its bytes.
#[inline]
fn to_fp16(f: f32) -> [u8; 2] {
    f32_to_fp16_le(f)
}

#[cfg(test)]
mod tests;
