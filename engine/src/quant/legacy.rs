//! The "legacy" 32-element block formats: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (and Q8_1, which
//! llama.cpp only uses for activations in dot products).
//!
//! Without importance weights every quantizer is byte-identical to llama.cpp's
//! `quantize_row_*_ref` (ggml/src/ggml-quants.c); with weights, Q4_0/Q4_1/Q5_0/Q5_1 follow
//! `quantize_row_*_impl`, the path `ggml_quantize_chunk` takes when given an imatrix.
//! Q8_0 has no weighted path in ggml (`quantize_q8_0` ignores `quant_weights`).
//!
//! Floating-point operations are written in ggml's order. llama.cpp's ggml-base library (where
//! these functions live) is compiled for baseline x86-64 without `-march`, so GCC has no FMA
//! instruction to contract `a*b + c` into; plain Rust (which never contracts) therefore
//! matches it bit for bit (checked against llama-cpp-python 0.3.36's libggml-base.so).
//! Builds that do fuse (aarch64, where FMA is baseline and GCC/clang contract by default) can
//! pick a different scale in a few blocks of the imatrix searches (measured: 6 of 160 Q5_1
//! blocks, none for Q4_0/Q4_1/Q5_0 or without imatrix); tests/quant_fixtures.rs bounds it.
//! The dequantizers' `q*d + m` is unaffected: `q*d` is exact (4-5 bit times 11 bit).

use bytemuck::{Pod, Zeroable};

use crate::GgmlType;

use super::QuantError;
use super::common::{
    c_absmax, c_trunc_i32, f32_to_fp16_le, fp16_le_to_f32, inv_or_zero, make_qkx3_quants,
    make_qx_quants,
};

/// Elements per block of every legacy format (`QK4_0`, `QK4_1`, `QK5_0`, `QK5_1`, `QK8_0`,
/// `QK8_1` in ggml/src/ggml-common.h).
pub const QK: usize = 32;

/// `block_q4_0` (ggml/src/ggml-common.h): fp16 scale `d`, then 32 4-bit quants; element `j`
/// is the low nibble of `qs[j]`, element `j + 16` the high nibble. Value = (q - 8) * d.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_0 {
    pub d: [u8; 2],
    pub qs: [u8; QK / 2],
}
const _: () = assert!(size_of::<BlockQ4_0>() == 18);

/// `block_q4_1` (ggml/src/ggml-common.h): fp16 scale `d` and fp16 min `m`, then 32 4-bit
/// quants (nibble order as Q4_0). Value = q * d + m.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_1 {
    pub d: [u8; 2],
    pub m: [u8; 2],
    pub qs: [u8; QK / 2],
}
const _: () = assert!(size_of::<BlockQ4_1>() == 20);

/// `block_q5_0` (ggml/src/ggml-common.h): fp16 `d`, a little-endian u32 `qh` holding bit 4 of
/// element `j` at bit `j`, then the low 4 bits as in Q4_0. Value = (q - 16) * d.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ5_0 {
    pub d: [u8; 2],
    pub qh: [u8; 4],
    pub qs: [u8; QK / 2],
}
const _: () = assert!(size_of::<BlockQ5_0>() == 22);

/// `block_q5_1` (ggml/src/ggml-common.h): fp16 `d`, fp16 `m`, `qh` and `qs` as in Q5_0.
/// Value = q * d + m.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ5_1 {
    pub d: [u8; 2],
    pub m: [u8; 2],
    pub qh: [u8; 4],
    pub qs: [u8; QK / 2],
}
const _: () = assert!(size_of::<BlockQ5_1>() == 24);

/// `block_q8_0` (ggml/src/ggml-common.h): fp16 `d`, then 32 signed bytes. Value = q * d.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8_0 {
    pub d: [u8; 2],
    pub qs: [i8; QK],
}
const _: () = assert!(size_of::<BlockQ8_0>() == 34);

/// `block_q8_1` (ggml/src/ggml-common.h): fp16 `d`, fp16 `s` = d * sum(qs), then 32 signed
/// bytes. The precomputed sum lets dot products with Q4_1/Q5_1 apply the min in one step.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8_1 {
    pub d: [u8; 2],
    pub s: [u8; 2],
    pub qs: [i8; QK],
}
const _: () = assert!(size_of::<BlockQ8_1>() == 36);

/// Bytes of one Q8_1 block, for callers sizing buffers for [`quantize_row_q8_1`].
pub const Q8_1_BLOCK_BYTES: usize = size_of::<BlockQ8_1>();

/// Value with the largest magnitude in `xs`, keeping its sign, found the way
/// `quantize_row_q4_0_ref` does: strictly-greater comparison, so the first of equal
/// magnitudes wins, NaNs are skipped, and an all-zero block gives 0.
fn signed_absmax(xs: &[f32]) -> f32 {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in xs {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    max
}

/// Sum of squares over the whole row divided by its length: the `sigma2` that the weighted
/// quantizers (`quantize_row_q4_0_impl` etc.) add to each `x^2` before weighting.
fn row_sigma2(x: &[f32]) -> f32 {
    let mut sum_x2 = 0.0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    sum_x2 / x.len() as f32
}

/// Per-element weights `qw[j] * sqrt(sigma2 + x[j]^2)` of the `_impl` quantizers.
fn block_weights(xb: &[f32], qw: &[f32], sigma2: f32) -> [f32; QK] {
    let mut w = [0.0f32; QK];
    for j in 0..QK {
        w[j] = qw[j] * (sigma2 + xb[j] * xb[j]).sqrt();
    }
    w
}

/// Packs the 5th bits of 32 quants (`bit 4 of q[j]` -> bit `j`) as ggml's Q5 `qh`.
fn pack_qh(q: impl Fn(usize) -> u8) -> [u8; 4] {
    let mut qh = 0u32;
    for j in 0..QK {
        qh |= (((q(j) & 0x10) >> 4) as u32) << j;
    }
    qh.to_le_bytes()
}

/// Q8_0, as `quantize_row_q8_0_ref`: d = absmax/127, q = round(x/d).
pub fn quantize_row_q8_0(src: &[f32], dst: &mut [u8]) {
    let blocks: &mut [BlockQ8_0] = bytemuck::cast_slice_mut(dst);
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let amax = c_absmax(x);
        let d = amax / 127.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        for (q, &v) in y.qs.iter_mut().zip(x) {
            *q = c_trunc_i32((v * id).round()) as i8;
        }
    }
}

pub fn dequantize_row_q8_0(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ8_0] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        for (out, &q) in y.iter_mut().zip(&b.qs) {
            *out = q as f32 * d;
        }
    }
}

/// Checks that `n` values fill whole Q8_1 blocks and `bytes` holds exactly those blocks.
fn check_q8_1(n: usize, bytes: usize) -> Result<(), QuantError> {
    if !n.is_multiple_of(QK) {
        return Err(QuantError::PartialBlock {
            ty: GgmlType::Q8_1,
            block: QK,
            n,
        });
    }
    let expected = n / QK * Q8_1_BLOCK_BYTES;
    if bytes != expected {
        return Err(QuantError::Size {
            expected,
            got: bytes,
        });
    }
    Ok(())
}

/// Q8_1, as `quantize_row_q8_1_ref`: Q8_0's quants plus `s = fp16(sum(q) * d)` (with the
/// unrounded `d`). Not a storage type: llama.cpp quantizes activations to it for dot products
/// with Q4_1/Q5_1 weights. `dst` must hold `src.len() / 32` blocks of [`Q8_1_BLOCK_BYTES`].
pub fn quantize_row_q8_1(src: &[f32], dst: &mut [u8]) -> Result<(), QuantError> {
    check_q8_1(src.len(), dst.len())?;
    let blocks: &mut [BlockQ8_1] = bytemuck::cast_slice_mut(dst);
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let amax = c_absmax(x);
        let d = amax / 127.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        let mut sum = 0i32;
        for (q, &v) in y.qs.iter_mut().zip(x) {
            *q = c_trunc_i32((v * id).round()) as i8;
            sum += *q as i32;
        }
        y.s = f32_to_fp16_le(sum as f32 * d);
    }
    Ok(())
}

/// Q8_1 back to f32 (`q * d`; `s` is redundant for this).
pub fn dequantize_row_q8_1(src: &[u8], dst: &mut [f32]) -> Result<(), QuantError> {
    check_q8_1(dst.len(), src.len())?;
    let blocks: &[BlockQ8_1] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        for (out, &q) in y.iter_mut().zip(&b.qs) {
            *out = q as f32 * d;
        }
    }
    Ok(())
}

/// Q4_0: `quantize_row_q4_0_ref` (d = signed absmax / -8, so the largest-magnitude value maps
/// to -8 exactly and +8 would overflow into 15 via the MIN clamp), or with weights
/// `quantize_row_q4_0_impl` (`make_qx_quants` with nmax 8, rmse_type 1).
pub fn quantize_row_q4_0(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockQ4_0] = bytemuck::cast_slice_mut(dst);
    if let Some(qw) = imatrix {
        let sigma2 = row_sigma2(src);
        let mut l = [0i8; QK];
        for ((xb, qwb), y) in src
            .as_chunks::<QK>()
            .0
            .iter()
            .zip(qw.as_chunks::<QK>().0.iter())
            .zip(blocks)
        {
            let weight = block_weights(xb, qwb, sigma2);
            let d = make_qx_quants(8, xb, &mut l, 1, Some(&weight));
            y.d = f32_to_fp16_le(d);
            for j in 0..QK / 2 {
                y.qs[j] = (l[j] as u8) | ((l[j + 16] as u8) << 4);
            }
        }
        return;
    }
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let max = signed_absmax(x);
        let d = max / -8.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        for j in 0..QK / 2 {
            // `MIN(15, (int8_t)(x*id + 8.5f))`: truncation of x*id + 8.5 rounds half up.
            let xi0 = 15.min(c_trunc_i32(x[j] * id + 8.5) as i8) as u8;
            let xi1 = 15.min(c_trunc_i32(x[j + 16] * id + 8.5) as i8) as u8;
            y.qs[j] = xi0 | (xi1 << 4);
        }
    }
}

pub fn dequantize_row_q4_0(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ4_0] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        for j in 0..QK / 2 {
            y[j] = ((b.qs[j] & 0x0F) as i32 - 8) as f32 * d;
            y[j + 16] = ((b.qs[j] >> 4) as i32 - 8) as f32 * d;
        }
    }
}

/// Min and max of a block with ggml's strict comparisons (NaNs never taken) starting from
/// `FLT_MAX` / `-FLT_MAX`, as `quantize_row_q4_1_ref` / `q5_1_ref`.
fn min_max(x: &[f32]) -> (f32, f32) {
    let mut min = f32::MAX;
    let mut max = -f32::MAX;
    for &v in x {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    (min, max)
}

/// Q4_1: `quantize_row_q4_1_ref` (d = (max-min)/15, m = min, q = trunc((x-min)/d + 0.5)), or
/// with weights `quantize_row_q4_1_impl` (`make_qkx3_quants`, nmax 15, 37 candidate scales).
pub fn quantize_row_q4_1(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockQ4_1] = bytemuck::cast_slice_mut(dst);
    if let Some(qw) = imatrix {
        let sigma2 = row_sigma2(src);
        let mut l = [0u8; QK];
        for ((xb, qwb), y) in src
            .as_chunks::<QK>()
            .0
            .iter()
            .zip(qw.as_chunks::<QK>().0.iter())
            .zip(blocks)
        {
            let weight = block_weights(xb, qwb, sigma2);
            let (d, min) = make_qkx3_quants(15, xb, Some(&weight), &mut l, -0.9, 0.05, 36, false);
            y.d = f32_to_fp16_le(d);
            y.m = f32_to_fp16_le(-min);
            for j in 0..QK / 2 {
                y.qs[j] = l[j] | (l[j + 16] << 4);
            }
        }
        return;
    }
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let (min, max) = min_max(x);
        let d = (max - min) / 15.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        y.m = f32_to_fp16_le(min);
        for j in 0..QK / 2 {
            let xi0 = 15.min(c_trunc_i32((x[j] - min) * id + 0.5) as i8) as u8;
            let xi1 = 15.min(c_trunc_i32((x[j + 16] - min) * id + 0.5) as i8) as u8;
            y.qs[j] = xi0 | (xi1 << 4);
        }
    }
}

pub fn dequantize_row_q4_1(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ4_1] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let m = fp16_le_to_f32(b.m);
        for j in 0..QK / 2 {
            y[j] = (b.qs[j] & 0x0F) as f32 * d + m;
            y[j + 16] = (b.qs[j] >> 4) as f32 * d + m;
        }
    }
}

/// Q5_0: `quantize_row_q5_0_ref` (d = signed absmax / -16, q in 0..=31), or with weights
/// `quantize_row_q5_0_impl` (`make_qx_quants` with nmax 16).
pub fn quantize_row_q5_0(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockQ5_0] = bytemuck::cast_slice_mut(dst);
    if let Some(qw) = imatrix {
        let sigma2 = row_sigma2(src);
        let mut l = [0i8; QK];
        for ((xb, qwb), y) in src
            .as_chunks::<QK>()
            .0
            .iter()
            .zip(qw.as_chunks::<QK>().0.iter())
            .zip(blocks)
        {
            let weight = block_weights(xb, qwb, sigma2);
            let d = make_qx_quants(16, xb, &mut l, 1, Some(&weight));
            y.d = f32_to_fp16_le(d);
            let q = |j: usize| l[j] as u8;
            for j in 0..QK / 2 {
                y.qs[j] = (q(j) & 0x0F) | ((q(j + 16) & 0x0F) << 4);
            }
            y.qh = pack_qh(q);
        }
        return;
    }
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let max = signed_absmax(x);
        let d = max / -16.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        let mut q = [0u8; QK];
        for (qj, &v) in q.iter_mut().zip(x) {
            *qj = 31.min(c_trunc_i32(v * id + 16.5) as i8) as u8;
        }
        for j in 0..QK / 2 {
            y.qs[j] = (q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4);
        }
        y.qh = pack_qh(|j| q[j]);
    }
}

/// The 5-bit quant `j` of a Q5 block: low nibble from `qs`, bit 4 from `qh`.
fn q5_value(qs: &[u8; QK / 2], qh: u32, j: usize) -> u8 {
    let lo = if j < 16 {
        qs[j] & 0x0F
    } else {
        qs[j - 16] >> 4
    };
    lo | ((((qh >> j) & 1) as u8) << 4)
}

pub fn dequantize_row_q5_0(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ5_0] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let qh = u32::from_le_bytes(b.qh);
        for (j, out) in y.iter_mut().enumerate() {
            *out = (q5_value(&b.qs, qh, j) as i32 - 16) as f32 * d;
        }
    }
}

/// Q5_1: `quantize_row_q5_1_ref` (d = (max-min)/31, m = min), or with weights
/// `quantize_row_q5_1_impl` (`make_qkx3_quants`, nmax 31).
pub fn quantize_row_q5_1(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockQ5_1] = bytemuck::cast_slice_mut(dst);
    if let Some(qw) = imatrix {
        let sigma2 = row_sigma2(src);
        let mut l = [0u8; QK];
        for ((xb, qwb), y) in src
            .as_chunks::<QK>()
            .0
            .iter()
            .zip(qw.as_chunks::<QK>().0.iter())
            .zip(blocks)
        {
            let weight = block_weights(xb, qwb, sigma2);
            let (d, min) = make_qkx3_quants(31, xb, Some(&weight), &mut l, -0.9, 0.05, 36, false);
            y.d = f32_to_fp16_le(d);
            y.m = f32_to_fp16_le(-min);
            for j in 0..QK / 2 {
                y.qs[j] = (l[j] & 0x0F) | ((l[j + 16] & 0x0F) << 4);
            }
            y.qh = pack_qh(|j| l[j]);
        }
        return;
    }
    for (x, y) in src.as_chunks::<QK>().0.iter().zip(blocks) {
        let (min, max) = min_max(x);
        let d = (max - min) / 31.0;
        let id = inv_or_zero(d);
        y.d = f32_to_fp16_le(d);
        y.m = f32_to_fp16_le(min);
        let mut q = [0u8; QK];
        for (qj, &v) in q.iter_mut().zip(x) {
            // `(uint8_t)(x + 0.5f)`: no clamp in ggml; the max lands on 31 (or 31.5 -> 31).
            *qj = c_trunc_i32((v - min) * id + 0.5) as u8;
        }
        for j in 0..QK / 2 {
            y.qs[j] = (q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4);
        }
        y.qh = pack_qh(|j| q[j]);
    }
}

pub fn dequantize_row_q5_1(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ5_1] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let m = fp16_le_to_f32(b.m);
        let qh = u32::from_le_bytes(b.qh);
        for (j, out) in y.iter_mut().enumerate() {
            *out = q5_value(&b.qs, qh, j) as f32 * d + m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::common::f16_bits_to_f32;

    fn q4_0(x: &[f32; QK]) -> (BlockQ4_0, [f32; QK]) {
        let mut bytes = [0u8; 18];
        quantize_row_q4_0(x, &mut bytes, None);
        let mut y = [0f32; QK];
        dequantize_row_q4_0(&bytes, &mut y);
        (*bytemuck::from_bytes(&bytes), y)
    }

    #[test]
    fn q4_0_negative_absmax_is_exact_and_positive_side_clips() {
        // max-abs value -2 gets d = -2/-8 = 0.25 and maps to q = 0 exactly; +2 would need
        // q = 16, so it clips to 15 -> 1.75. This asymmetry is ggml's, kept on purpose.
        let mut x = [0f32; QK];
        x[0] = -2.0;
        x[1] = 2.0;
        x[2] = 1.0;
        let (b, y) = q4_0(&x);
        assert_eq!(fp16_le_to_f32(b.d), 0.25);
        assert_eq!(y[0], -2.0);
        assert_eq!(y[1], 1.75);
        assert_eq!(y[2], 1.0);
        assert_eq!(y[3], 0.0);
    }

    #[test]
    fn q4_0_positive_absmax_gets_negative_scale() {
        let mut x = [0f32; QK];
        x[5] = 2.0;
        x[6] = -2.0;
        let (b, y) = q4_0(&x);
        assert_eq!(fp16_le_to_f32(b.d), -0.25);
        assert_eq!(y[5], 2.0);
        assert_eq!(y[6], -1.75);
    }

    #[test]
    fn q4_0_first_of_equal_magnitudes_sets_the_sign() {
        let mut x = [0f32; QK];
        x[3] = 1.0;
        x[9] = -1.0;
        let (b, _) = q4_0(&x);
        assert_eq!(fp16_le_to_f32(b.d), -0.125);
    }

    #[test]
    fn all_zero_blocks_quantize_to_mid_codes_and_back_to_zero() {
        let x = [0f32; QK];
        let (b, y) = q4_0(&x);
        // d = 0 / -8 = -0.0, stored as fp16 0x8000 (ggml writes the same).
        assert_eq!(b.d, [0x00, 0x80]);
        assert!(b.qs.iter().all(|&q| q == 0x88));
        assert!(y.iter().all(|&v| v == 0.0));

        let mut bytes = [0u8; 22];
        quantize_row_q5_0(&x, &mut bytes, None);
        let b: &BlockQ5_0 = bytemuck::from_bytes(&bytes);
        // q = 16 for every element: low nibbles 0, all 32 fifth bits set.
        assert_eq!(b.qh, [0xff; 4]);
        assert!(b.qs.iter().all(|&q| q == 0));

        // Weighted path: make_qx_quants returns 0 below GROUP_MAX_EPS, L = 0.
        let w = [1f32; QK];
        let mut bytes = [0u8; 18];
        quantize_row_q4_0(&x, &mut bytes, Some(&w));
        let b: &BlockQ4_0 = bytemuck::from_bytes(&bytes);
        assert_eq!(b.d, [0, 0]);
        assert!(b.qs.iter().all(|&q| q == 0));
    }

    #[test]
    fn q4_1_and_q5_1_keep_a_constant_block_as_the_min() {
        let x = [0.375f32; QK];
        let mut bytes = [0u8; 20];
        quantize_row_q4_1(&x, &mut bytes, None);
        let mut y = [0f32; QK];
        dequantize_row_q4_1(&bytes, &mut y);
        assert!(y.iter().all(|&v| v == 0.375));
        let mut bytes = [0u8; 24];
        quantize_row_q5_1(&x, &mut bytes, None);
        dequantize_row_q5_1(&bytes, &mut y);
        assert!(y.iter().all(|&v| v == 0.375));
    }

    #[test]
    fn q5_1_round_trips_a_31_step_ramp_exactly() {
        // min 0, max 31 -> d = 1: every integer 0..=31 is representable, including the
        // values needing the fifth bit (qh).
        let x: [f32; QK] = std::array::from_fn(|i| ((i * 13) % 32) as f32);
        let mut bytes = [0u8; 24];
        quantize_row_q5_1(&x, &mut bytes, None);
        let mut y = [0f32; QK];
        dequantize_row_q5_1(&bytes, &mut y);
        assert_eq!(x, y);
    }

    #[test]
    fn q8_0_nan_and_inf_follow_ggml() {
        // A NaN element quantizes to 0 (x86 cvttss2si of NaN, low byte), and the block max
        // ignores it unless it is last (ggml's MAX macro keeps whichever compares false).
        let mut x = [1f32; QK];
        x[4] = f32::NAN;
        x[7] = -2.0;
        let mut bytes = [0u8; 34];
        quantize_row_q8_0(&x, &mut bytes);
        let b: &BlockQ8_0 = bytemuck::from_bytes(&bytes);
        assert_eq!(
            fp16_le_to_f32(b.d),
            f16_bits_to_f32(crate::quant::common::f32_to_f16_bits(2.0 / 127.0))
        );
        assert_eq!(b.qs[4], 0);
        assert_eq!(b.qs[7], -127);
        assert_eq!(b.qs[0], 64);

        // An infinite element makes d = inf and 1/d = 0, so every quant is 0 (inf*0 = NaN
        // -> 0 too) and the block dequantizes to NaN (0 * inf).
        let mut x = [1f32; QK];
        x[0] = f32::INFINITY;
        quantize_row_q8_0(&x, &mut bytes);
        let b: &BlockQ8_0 = bytemuck::from_bytes(&bytes);
        assert_eq!(b.d, 0x7C00u16.to_le_bytes());
        assert!(b.qs.iter().all(|&q| q == 0));
        let mut y = [0f32; QK];
        dequantize_row_q8_0(&bytes, &mut y);
        assert!(y.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn q8_1_sum_field_is_d_times_sum_of_quants() {
        let x: [f32; QK] = std::array::from_fn(|i| i as f32 - 10.0);
        let mut bytes = [0u8; 36];
        quantize_row_q8_1(&x, &mut bytes).unwrap();
        let b: &BlockQ8_1 = bytemuck::from_bytes(&bytes);
        let d = 21.0f32 / 127.0;
        let sum: i32 = b.qs.iter().map(|&q| q as i32).sum();
        assert_eq!(b.s, f32_to_fp16_le(sum as f32 * d));
        assert_eq!(b.qs[31], 127);
    }

    #[test]
    fn q8_1_helpers_reject_bad_sizes() {
        let mut bytes = [0u8; 36];
        assert!(matches!(
            quantize_row_q8_1(&[0.0; 31], &mut bytes),
            Err(QuantError::PartialBlock { n: 31, .. })
        ));
        assert_eq!(
            quantize_row_q8_1(&[0.0; 64], &mut bytes),
            Err(QuantError::Size {
                expected: 72,
                got: 36
            })
        );
        let mut out = [0f32; 32];
        assert!(dequantize_row_q8_1(&bytes[..35], &mut out).is_err());
        assert!(dequantize_row_q8_1(&bytes, &mut out).is_ok());
    }

    #[test]
    fn subnormal_blocks_match_x86_cast_semantics() {
        // max = 1e-40: d = max/-8 is subnormal and 1/d overflows to inf, so x*id is +-inf;
        // C's (int8_t) cast of that is 0 on x86-64 (llama.cpp's fixture confirms), where a
        // saturating cast would give 127 -> 15.
        let mut x = [0f32; QK];
        x[0] = 1e-40;
        x[1] = -1e-40;
        let (b, _) = q4_0(&x);
        assert!(b.qs.iter().all(|&q| q == 0), "{:?}", b.qs);
    }
}
