//! Fast Q4_K, Q5_K and Q6_K quantizers: `quant::kquants`' scalar ones with each super-block's
//! sub-block searches run side by side, one sub-block per lane (see [`super::lanes`]). The
//! per-super-block steps around the searches (scale quantization, packing) are the reference's
//! code, unchanged. Same bytes for every input (tests/quant_fast.rs).

use super::lanes::{F, L, load_groups};
use super::search::{qkx3_lanes, qx_lanes};
use super::simd::Simd;
use crate::quant::common::{GROUP_MAX_EPS, f32_to_fp16_le, fp16_le_to_f32, nearest_int};
use crate::quant::kquants::search::make_qp_quants;
use crate::quant::kquants::{
    BlockQ4K, BlockQ5K, BlockQ6K, K_SCALE_SIZE, QK_K, get_scale_min_k4, pack_scale_min_k4,
};

/// `(256 inputs, block, the block's imatrix slice)` for each super-block of a row.
fn blocks_mut<'a, B: bytemuck::Pod>(
    src: &'a [f32],
    dst: &'a mut [u8],
    imatrix: Option<&'a [f32]>,
) -> impl Iterator<Item = (&'a [f32; QK_K], &'a mut B, Option<&'a [f32; QK_K]>)> {
    let mut weights = imatrix.map(|w| w.as_chunks::<QK_K>().0.iter());
    src.as_chunks::<QK_K>()
        .0
        .iter()
        .zip(dst.chunks_exact_mut(size_of::<B>()))
        .map(move |(x, y)| {
            let w = weights.as_mut().and_then(|it| it.next());
            (x, bytemuck::from_bytes_mut::<B>(y), w)
        })
}

#[inline(always)]
pub(super) fn q4_k<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ4K>(src, dst, imatrix) {
        let mut levels = [0u8; QK_K];
        let (d, dmin) = match qw {
            Some(qw) => weighted_scales(s, x, qw, 15, &mut levels, &mut y.scales, false),
            None => ref_scales(s, x, 15, -1.0, 0.1, 20, &mut levels, &mut y.scales),
        };
        y.d = d;
        y.dmin = dmin;
        requantize(x, &y.scales, y.d, y.dmin, 15, &mut levels);
        for (c, q) in y.qs.as_chunks_mut::<32>().0.iter_mut().enumerate() {
            for l in 0..32 {
                q[l] = levels[64 * c + l] | (levels[64 * c + l + 32] << 4);
            }
        }
    }
}

#[inline(always)]
pub(super) fn q5_k<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ5K>(src, dst, imatrix) {
        let mut levels = [0u8; QK_K];
        let (d, dmin) = match qw {
            Some(qw) => weighted_scales(s, x, qw, 31, &mut levels, &mut y.scales, true),
            None => ref_scales(s, x, 31, -0.5, 0.1, 15, &mut levels, &mut y.scales),
        };
        y.d = d;
        y.dmin = dmin;
        requantize(x, &y.scales, y.d, y.dmin, 31, &mut levels);
        y.qh = [0; QK_K / 8];
        for (c, ql) in y.qs.as_chunks_mut::<32>().0.iter_mut().enumerate() {
            let (m1, m2) = (1u8 << (2 * c), 2u8 << (2 * c));
            for j in 0..32 {
                let mut l1 = levels[64 * c + j];
                if l1 > 15 {
                    l1 -= 16;
                    y.qh[j] |= m1;
                }
                let mut l2 = levels[64 * c + j + 32];
                if l2 > 15 {
                    l2 -= 16;
                    y.qh[j] |= m2;
                }
                ql[j] = l1 | (l2 << 4);
            }
        }
    }
}

/// Scatters lane-ordered levels (`lev[i][k]`: element `i` of sub-block `k`) back to element
/// order, sub-block `k` starting at `out[k * N]`.
#[inline(always)]
fn store_levels<T: Copy, U, const N: usize>(
    lev: &[[T; L]; N],
    out: &mut [U],
    conv: impl Fn(T) -> U,
) {
    for (k, group) in out.as_chunks_mut::<N>().0.iter_mut().take(L).enumerate() {
        for (o, row) in group.iter_mut().zip(lev) {
            *o = conv(row[k]);
        }
    }
}

/// `ref_scales` of `quant::kquants::q4_k` (the no-imatrix Q4_K/Q5_K scale search), the eight
/// 32-element sub-blocks in eight lanes.
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the scalar reference's parameters, one to one
fn ref_scales<S: Simd>(
    s: S,
    x: &[f32; QK_K],
    nmax: i32,
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    levels: &mut [u8; QK_K],
    packed: &mut [u8; K_SCALE_SIZE],
) -> ([u8; 2], [u8; 2]) {
    const _: () = assert!(QK_K / 32 == L);
    let mut xt = [[0f32; L]; 32];
    load_groups::<32>(x, &mut xt);
    let mut sum_x2 = [0f32; L];
    for row in &xt {
        for k in 0..L {
            sum_x2[k] += row[k] * row[k];
        }
    }
    let av_x: F = sum_x2.map(|s| (s / 32.0).sqrt());
    let mut w = [[0f32; L]; 32];
    for i in 0..32 {
        for k in 0..L {
            w[i][k] = av_x[k] + xt[i][k].abs();
        }
    }
    let mut lev = [[0u8; L]; 32];
    let (scales, mins) =
        qkx3_lanes::<S, 32, false>(s, nmax, &xt, &w, &mut lev, rmin, rdelta, nstep);
    store_levels(&lev, levels, |l| l);

    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..QK_K / 32 {
        if scales[j] > max_scale {
            max_scale = scales[j];
        }
        if mins[j] > max_min {
            max_min = mins[j];
        }
    }
    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    *packed = [0; K_SCALE_SIZE];
    for j in 0..QK_K / 32 {
        let ls = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        let lm = (nearest_int(inv_min * mins[j]) as u8).min(63);
        pack_scale_min_k4(packed, j, ls, lm);
    }
    (
        f32_to_fp16_le(max_scale / 63.0),
        f32_to_fp16_le(max_min / 63.0),
    )
}

/// `weighted_scales` of `quant::kquants::q4_k` (the imatrix Q4_K/Q5_K scale search), the
/// eight sub-block searches in eight lanes.
#[inline(always)]
fn weighted_scales<S: Simd>(
    s: S,
    x: &[f32; QK_K],
    qw: &[f32; QK_K],
    nmax: i32,
    levels: &mut [u8; QK_K],
    packed: &mut [u8; K_SCALE_SIZE],
    clamp_63: bool,
) -> ([u8; 2], [u8; 2]) {
    let mut sum_x2 = 0.0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    let sigma2 = 2.0 * sum_x2 / QK_K as f32;
    let mut xt = [[0f32; L]; 32];
    load_groups::<32>(x, &mut xt);
    let mut w = [[0f32; L]; 32];
    load_groups::<32>(qw, &mut w);
    let mut sw = [0f32; L];
    for i in 0..32 {
        for k in 0..L {
            w[i][k] *= (sigma2 + xt[i][k] * xt[i][k]).sqrt();
            sw[k] += w[i][k];
        }
    }
    let mut lev = [[0u8; L]; 32];
    let (scales, mins) = qkx3_lanes::<S, 32, false>(s, nmax, &xt, &w, &mut lev, -0.9, 0.05, 36);
    store_levels(&lev, levels, |l| l);

    let mut ls = [0u8; QK_K / 32];
    let mut lm = [0u8; QK_K / 32];
    let d_block = make_qp_quants(63, &scales, &mut ls, &sw);
    let m_block = make_qp_quants(63, &mins, &mut lm, &sw);
    *packed = [0; K_SCALE_SIZE];
    for j in 0..QK_K / 32 {
        let (s, m) = if clamp_63 {
            (ls[j].min(63), lm[j].min(63))
        } else {
            (ls[j], lm[j])
        };
        pack_scale_min_k4(packed, j, s, m);
    }
    (f32_to_fp16_le(d_block), f32_to_fp16_le(m_block))
}

/// `requantize` of `quant::kquants::q4_k`: every element against its sub-block's stored scale
/// and min (independent per element, so the compiler vectorizes it as it stands).
#[inline(always)]
fn requantize(
    x: &[f32; QK_K],
    packed: &[u8; K_SCALE_SIZE],
    d: [u8; 2],
    dmin: [u8; 2],
    nmax: i32,
    levels: &mut [u8; QK_K],
) {
    let d_all = fp16_le_to_f32(d);
    let dmin_all = fp16_le_to_f32(dmin);
    for j in 0..QK_K / 32 {
        let (sc, m) = get_scale_min_k4(j, packed);
        let d = d_all * sc as f32;
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * m as f32;
        let xs: &[f32; 32] = x[32 * j..32 * j + 32].try_into().expect("32 values");
        let out: &mut [u8; 32] = (&mut levels[32 * j..32 * j + 32])
            .try_into()
            .expect("32 levels");
        for (o, &v) in out.iter_mut().zip(xs) {
            *o = nearest_int((v + dm) / d).clamp(0, nmax) as u8;
        }
    }
}

#[inline(always)]
pub(super) fn q6_k<S: Simd>(s: S, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ6K>(src, dst, imatrix) {
        q6_k_block(s, x, y, qw);
    }
}

/// `quantize_block` of `quant::kquants::q6_k`, the sixteen 16-element `make_qx_quants` searches
/// in two passes of eight lanes.
#[inline(always)]
fn q6_k_block<S: Simd>(s: S, x: &[f32; QK_K], y: &mut BlockQ6K, qw: Option<&[f32; QK_K]>) {
    let mut levels = [0i8; QK_K];
    let mut scales = [0f32; QK_K / 16];
    for half in 0..2 {
        let span = 128 * half..128 * half + 128;
        let mut xt = [[0f32; L]; 16];
        load_groups::<16>(&x[span.clone()], &mut xt);
        let mut w = [[0f32; L]; 16];
        match qw {
            // rmse_type 1 with quant weights: the raw imatrix values.
            Some(qw) => load_groups::<16>(&qw[span.clone()], &mut w),
            // rmse_type 1 without: x^2.
            None => {
                for i in 0..16 {
                    for k in 0..L {
                        w[i][k] = xt[i][k] * xt[i][k];
                    }
                }
            }
        }
        let mut lev = [[0i8; L]; 16];
        let sc = qx_lanes::<S, 16>(s, 32, &xt, &w, &mut lev);
        store_levels(&lev, &mut levels[span], |l| l);
        scales[8 * half..8 * half + 8].copy_from_slice(&sc);
    }
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    for &scale in &scales {
        if scale.abs() > max_abs_scale {
            max_abs_scale = scale.abs();
            max_scale = scale;
        }
    }

    if max_abs_scale < GROUP_MAX_EPS {
        *y = bytemuck::Zeroable::zeroed();
        y.d = f32_to_fp16_le(0.0);
        return;
    }

    let iscale = -128.0f32 / max_scale;
    y.d = f32_to_fp16_le(1.0 / iscale);
    for ib in 0..QK_K / 16 {
        y.scales[ib] = 127.min(nearest_int(iscale * scales[ib])) as i8;
    }

    let d_all = fp16_le_to_f32(y.d);
    for j in 0..QK_K / 16 {
        let d = d_all * y.scales[j] as f32;
        if d == 0.0 {
            continue;
        }
        for ii in 0..16 {
            let l = nearest_int(x[16 * j + ii] / d);
            levels[16 * j + ii] = ((-32).max(31.min(l)) + 32) as i8;
        }
    }

    for h in 0..2 {
        let lv = &levels[128 * h..128 * h + 128];
        let ql = &mut y.ql[64 * h..64 * h + 64];
        let qh = &mut y.qh[32 * h..32 * h + 32];
        for l in 0..32 {
            let q = [
                lv[l] as u8,
                lv[l + 32] as u8,
                lv[l + 64] as u8,
                lv[l + 96] as u8,
            ];
            ql[l] = (q[0] & 0xF) | ((q[2] & 0xF) << 4);
            ql[l + 32] = (q[1] & 0xF) | ((q[3] & 0xF) << 4);
            qh[l] = (q[0] >> 4) | ((q[1] >> 4) << 2) | ((q[2] >> 4) << 4) | ((q[3] >> 4) << 6);
        }
    }
}
