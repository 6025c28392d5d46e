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
//! matches it bit for bit, including the dequantizers' `q*d + m`.

use bytemuck::{Pod, Zeroable};

use super::common::{
    c_trunc_i32, f32_to_fp16_le, fp16_le_to_f32, make_qkx3_quants, make_qx_quants,
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

/// `MAX(amax, fabsf(v))` over the block as ggml's `MAX` macro (`a > b ? a : b`) computes it:
/// a NaN element replaces the running max and is replaced again by the next element.
fn c_absmax(xs: &[f32]) -> f32 {
    xs.iter().fold(
        0.0f32,
        |amax, &v| if amax > v.abs() { amax } else { v.abs() },
    )
}

/// `1.0f/d` unless `d` is zero (`d ? 1.0f/d : 0.0f` in ggml; NaN counts as non-zero).
fn inv_or_zero(d: f32) -> f32 {
    if d != 0.0 { 1.0 / d } else { 0.0 }
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
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
        let d = fp16_le_to_f32(b.d);
        for (out, &q) in y.iter_mut().zip(&b.qs) {
            *out = q as f32 * d;
        }
    }
}

/// Q8_1, as `quantize_row_q8_1_ref`: Q8_0's quants plus `s = fp16(sum(q) * d)` (with the
/// unrounded `d`). Not a storage type: llama.cpp quantizes activations to it for dot products
/// with Q4_1/Q5_1 weights. `dst` holds `src.len() / 32` blocks of [`Q8_1_BLOCK_BYTES`].
pub fn quantize_row_q8_1(src: &[f32], dst: &mut [u8]) {
    let blocks: &mut [BlockQ8_1] = bytemuck::cast_slice_mut(dst);
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
}

/// Q8_1 back to f32 (`q * d`; `s` is redundant for this).
pub fn dequantize_row_q8_1(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockQ8_1] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
        let d = fp16_le_to_f32(b.d);
        for (out, &q) in y.iter_mut().zip(&b.qs) {
            *out = q as f32 * d;
        }
    }
}

/// Q4_0: `quantize_row_q4_0_ref` (d = signed absmax / -8, so the largest-magnitude value maps
/// to -8 exactly and +8 would overflow into 15 via the MIN clamp), or with weights
/// `quantize_row_q4_0_impl` (`make_qx_quants` with nmax 8, rmse_type 1).
pub fn quantize_row_q4_0(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockQ4_0] = bytemuck::cast_slice_mut(dst);
    if let Some(qw) = imatrix {
        let sigma2 = row_sigma2(src);
        let mut l = [0i8; QK];
        for ((xb, qwb), y) in src.chunks_exact(QK).zip(qw.chunks_exact(QK)).zip(blocks) {
            let weight = block_weights(xb, qwb, sigma2);
            let d = make_qx_quants(8, xb, &mut l, 1, Some(&weight));
            y.d = f32_to_fp16_le(d);
            for j in 0..QK / 2 {
                y.qs[j] = (l[j] as u8) | ((l[j + 16] as u8) << 4);
            }
        }
        return;
    }
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
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
        for ((xb, qwb), y) in src.chunks_exact(QK).zip(qw.chunks_exact(QK)).zip(blocks) {
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
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
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
        for ((xb, qwb), y) in src.chunks_exact(QK).zip(qw.chunks_exact(QK)).zip(blocks) {
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
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
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
        for ((xb, qwb), y) in src.chunks_exact(QK).zip(qw.chunks_exact(QK)).zip(blocks) {
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
    for (x, y) in src.chunks_exact(QK).zip(blocks) {
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
    for (b, y) in blocks.iter().zip(dst.chunks_exact_mut(QK)) {
        let d = fp16_le_to_f32(b.d);
        let m = fp16_le_to_f32(b.m);
        let qh = u32::from_le_bytes(b.qh);
        for (j, out) in y.iter_mut().enumerate() {
            *out = q5_value(&b.qs, qh, j) as f32 * d + m;
        }
    }
}
