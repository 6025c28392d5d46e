//! Fast Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 quantizers: the scalar ones in `quant::legacy`, run on
//! [`L`] blocks of a row at once (one block per lane, see [`super::lanes`]). Same bytes, for
//! every input (tests/quant_fast.rs).

use super::lanes::{F, L, c_round_trunc, c_trunc, load_groups};
use super::search::{qkx3_lanes, qx_lanes};
use super::simd::Simd;
use crate::quant::common::f32_to_fp16_le;
use crate::quant::legacy::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ5_1, BlockQ8_0, QK};

/// A batch of up to [`L`] blocks: the inputs in lane order and the output blocks.
fn batches<'a, B: bytemuck::Pod>(
    src: &'a [f32],
    dst: &'a mut [u8],
) -> impl Iterator<Item = ([F; QK], &'a mut [B])> {
    let blocks: &mut [B] = bytemuck::cast_slice_mut(dst);
    src.chunks(L * QK)
        .zip(blocks.chunks_mut(L))
        .map(|(xs, ys)| {
            let mut x = [[0f32; L]; QK];
            load_groups::<QK>(xs, &mut x);
            (x, ys)
        })
}

/// Like [`batches`], with the batch's importance weights `qw[j] * sqrt(sigma2 + x[j]^2)` of the
/// `_impl` quantizers (`block_weights` in `quant::legacy`), in lane order.
fn weighted_batches<'a, B: bytemuck::Pod>(
    src: &'a [f32],
    qw: &'a [f32],
    dst: &'a mut [u8],
) -> impl Iterator<Item = ([F; QK], [F; QK], &'a mut [B])> {
    let sigma2 = row_sigma2(src);
    batches::<B>(src, dst)
        .zip(qw.chunks(L * QK))
        .map(move |((x, ys), qws)| {
            let mut w = [[0f32; L]; QK];
            load_groups::<QK>(qws, &mut w);
            for i in 0..QK {
                for k in 0..L {
                    w[i][k] *= (sigma2 + x[i][k] * x[i][k]).sqrt();
                }
            }
            (x, w, ys)
        })
}

/// `row_sigma2` of `quant::legacy`: one sequential sum over the row, as ggml does it.
fn row_sigma2(x: &[f32]) -> f32 {
    let mut sum_x2 = 0.0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    sum_x2 / x.len() as f32
}

/// ggml's `d ? 1.0f/d : 0.0f` per lane.
#[inline(always)]
fn inv_or_zero(d: &F) -> F {
    d.map(|d| if d != 0.0 { 1.0 / d } else { 0.0 })
}

/// The signed value of largest magnitude per lane, as `quantize_row_q4_0_ref` finds it (first
/// strictly larger magnitude wins, NaNs never do).
#[inline(always)]
fn signed_absmax(x: &[F; QK]) -> F {
    let mut amax = [0f32; L];
    let mut max = [0f32; L];
    for row in x {
        for k in 0..L {
            let a = row[k].abs();
            if amax[k] < a {
                amax[k] = a;
                max[k] = row[k];
            }
        }
    }
    max
}

/// Min and max per lane with ggml's strict comparisons from `FLT_MAX` / `-FLT_MAX`.
#[inline(always)]
fn min_max(x: &[F; QK]) -> (F, F) {
    let mut min = [f32::MAX; L];
    let mut max = [-f32::MAX; L];
    for row in x {
        for k in 0..L {
            if row[k] < min[k] {
                min[k] = row[k];
            }
            if row[k] > max[k] {
                max[k] = row[k];
            }
        }
    }
    (min, max)
}

/// ggml's Q5 `qh`: bit 4 of quant `j` at bit `j`.
#[inline(always)]
fn pack_qh(q: impl Fn(usize) -> u8) -> [u8; 4] {
    let mut qh = 0u32;
    for j in 0..QK {
        qh |= (((q(j) & 0x10) >> 4) as u32) << j;
    }
    qh.to_le_bytes()
}

#[inline(always)]
pub(super) fn q8_0(src: &[f32], dst: &mut [u8]) {
    for (x, ys) in batches::<BlockQ8_0>(src, dst) {
        // `amax = MAX(amax, fabsf(v))` with C's macro (a NaN is taken, then replaced).
        let mut amax = [0f32; L];
        for row in &x {
            for k in 0..L {
                let a = row[k].abs();
                amax[k] = if amax[k] > a { amax[k] } else { a };
            }
        }
        let d = amax.map(|a| a / 127.0);
        let id = inv_or_zero(&d);
        let mut q = [[0i8; L]; QK];
        for i in 0..QK {
            for k in 0..L {
                q[i][k] = c_round_trunc(x[i][k] * id[k]) as i8;
            }
        }
        for (k, y) in ys.iter_mut().enumerate() {
            y.d = f32_to_fp16_le(d[k]);
            for i in 0..QK {
                y.qs[i] = q[i][k];
            }
        }
    }
}

#[inline(always)]
pub(super) fn q4_0<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    if let Some(qw) = imatrix {
        for (x, w, ys) in weighted_batches::<BlockQ4_0>(src, qw, dst) {
            let mut l = [[0i8; L]; QK];
            let d = qx_lanes::<S, QK>(s, 8, &x, &w, &mut l);
            for (k, y) in ys.iter_mut().enumerate() {
                y.d = f32_to_fp16_le(d[k]);
                for j in 0..QK / 2 {
                    y.qs[j] = (l[j][k] as u8) | ((l[j + 16][k] as u8) << 4);
                }
            }
        }
        return;
    }
    for (x, ys) in batches::<BlockQ4_0>(src, dst) {
        let max = signed_absmax(&x);
        let d = max.map(|m| m / -8.0);
        let id = inv_or_zero(&d);
        let mut q = [[0u8; L]; QK];
        for i in 0..QK {
            for k in 0..L {
                // `MIN(15, (int8_t)(x*id + 8.5f))`, stored as uint8_t.
                q[i][k] = 15.min(c_trunc(x[i][k] * id[k] + 8.5) as i8) as u8;
            }
        }
        for (k, y) in ys.iter_mut().enumerate() {
            y.d = f32_to_fp16_le(d[k]);
            for j in 0..QK / 2 {
                y.qs[j] = q[j][k] | (q[j + 16][k] << 4);
            }
        }
    }
}

#[inline(always)]
pub(super) fn q4_1<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    if let Some(qw) = imatrix {
        for (x, w, ys) in weighted_batches::<BlockQ4_1>(src, qw, dst) {
            let mut l = [[0u8; L]; QK];
            let (d, neg_min) = qkx3_lanes::<S, QK, false>(s, 15, &x, &w, &mut l, -0.9, 0.05, 36);
            for (k, y) in ys.iter_mut().enumerate() {
                y.d = f32_to_fp16_le(d[k]);
                y.m = f32_to_fp16_le(-neg_min[k]);
                for j in 0..QK / 2 {
                    y.qs[j] = l[j][k] | (l[j + 16][k] << 4);
                }
            }
        }
        return;
    }
    for (x, ys) in batches::<BlockQ4_1>(src, dst) {
        let (min, max) = min_max(&x);
        let mut d = [0f32; L];
        for k in 0..L {
            d[k] = (max[k] - min[k]) / 15.0;
        }
        let id = inv_or_zero(&d);
        let mut q = [[0u8; L]; QK];
        for i in 0..QK {
            for k in 0..L {
                q[i][k] = 15.min(c_trunc((x[i][k] - min[k]) * id[k] + 0.5) as i8) as u8;
            }
        }
        for (k, y) in ys.iter_mut().enumerate() {
            y.d = f32_to_fp16_le(d[k]);
            y.m = f32_to_fp16_le(min[k]);
            for j in 0..QK / 2 {
                y.qs[j] = q[j][k] | (q[j + 16][k] << 4);
            }
        }
    }
}

#[inline(always)]
pub(super) fn q5_0<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    if let Some(qw) = imatrix {
        for (x, w, ys) in weighted_batches::<BlockQ5_0>(src, qw, dst) {
            let mut l = [[0i8; L]; QK];
            let d = qx_lanes::<S, QK>(s, 16, &x, &w, &mut l);
            for (k, y) in ys.iter_mut().enumerate() {
                y.d = f32_to_fp16_le(d[k]);
                let q = |j: usize| l[j][k] as u8;
                for j in 0..QK / 2 {
                    y.qs[j] = (q(j) & 0x0F) | ((q(j + 16) & 0x0F) << 4);
                }
                y.qh = pack_qh(q);
            }
        }
        return;
    }
    for (x, ys) in batches::<BlockQ5_0>(src, dst) {
        let max = signed_absmax(&x);
        let d = max.map(|m| m / -16.0);
        let id = inv_or_zero(&d);
        let mut q = [[0u8; L]; QK];
        for i in 0..QK {
            for k in 0..L {
                q[i][k] = 31.min(c_trunc(x[i][k] * id[k] + 16.5) as i8) as u8;
            }
        }
        for (k, y) in ys.iter_mut().enumerate() {
            y.d = f32_to_fp16_le(d[k]);
            for j in 0..QK / 2 {
                y.qs[j] = (q[j][k] & 0x0F) | ((q[j + 16][k] & 0x0F) << 4);
            }
            y.qh = pack_qh(|j| q[j][k]);
        }
    }
}

#[inline(always)]
pub(super) fn q5_1<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    if let Some(qw) = imatrix {
        for (x, w, ys) in weighted_batches::<BlockQ5_1>(src, qw, dst) {
            let mut l = [[0u8; L]; QK];
            let (d, neg_min) = qkx3_lanes::<S, QK, false>(s, 31, &x, &w, &mut l, -0.9, 0.05, 36);
            for (k, y) in ys.iter_mut().enumerate() {
                y.d = f32_to_fp16_le(d[k]);
                y.m = f32_to_fp16_le(-neg_min[k]);
                for j in 0..QK / 2 {
                    y.qs[j] = (l[j][k] & 0x0F) | ((l[j + 16][k] & 0x0F) << 4);
                }
                y.qh = pack_qh(|j| l[j][k]);
            }
        }
        return;
    }
    for (x, ys) in batches::<BlockQ5_1>(src, dst) {
        let (min, max) = min_max(&x);
        let mut d = [0f32; L];
        for k in 0..L {
            d[k] = (max[k] - min[k]) / 31.0;
        }
        let id = inv_or_zero(&d);
        let mut q = [[0u8; L]; QK];
        for i in 0..QK {
            for k in 0..L {
                // `(uint8_t)(x + 0.5f)`: no clamp in ggml.
                q[i][k] = c_trunc((x[i][k] - min[k]) * id[k] + 0.5) as u8;
            }
        }
        for (k, y) in ys.iter_mut().enumerate() {
            y.d = f32_to_fp16_le(d[k]);
            y.m = f32_to_fp16_le(min[k]);
            for j in 0..QK / 2 {
                y.qs[j] = (q[j][k] & 0x0F) | ((q[j + 16][k] & 0x0F) << 4);
            }
            y.qh = pack_qh(|j| q[j][k]);
        }
    }
}
