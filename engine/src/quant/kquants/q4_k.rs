//! Q4_K: `quantize_row_q4_K_ref`, `quantize_row_q4_K_impl` and `dequantize_row_q4_K` from
//! llama.cpp's `ggml/src/ggml-quants.c`. The scale/min machinery here is shared with Q5_K,
//! which differs only in the level range, search parameters and bit packing.

use super::search::{make_qkx2_quants, make_qkx3_quants, make_qp_quants};
use super::{
    BlockQ4K, K_SCALE_SIZE, QK_K, blocks, blocks_mut, get_scale_min_k4, pack_scale_min_k4, to_fp16,
};
use crate::quant::common::{fp16_le_to_f32, nearest_int};

/// Quantizes a row to Q4_K: `quantize_row_q4_K_impl` with `imatrix`, else
/// `quantize_row_q4_K_ref` (as `ggml_quantize_chunk` chooses).
pub fn quantize_row_q4_k(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ4K>(src, dst, imatrix) {
        let mut levels = [0u8; QK_K];
        let (d, dmin) = match qw {
            Some(qw) => weighted_scales(x, qw, 15, &mut levels, &mut y.scales, false),
            None => ref_scales(x, 15, -1.0, 0.1, 20, &mut levels, &mut y.scales),
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

/// The reference (no imatrix) scale search of Q4_K/Q5_K: each 32-element sub-block is fitted by
/// `make_qkx2_quants` with weights `rms(sub-block) + |x|`; the 8 scales and 8 mins are then
/// quantized to 6 bits against their maxima and packed into `scales`. Returns the fp16 bytes of
/// `d` and `dmin`. `levels` receives the search's levels (kept for sub-blocks whose stored scale
/// turns out zero).
pub(super) fn ref_scales(
    x: &[f32; QK_K],
    nmax: i32,
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    levels: &mut [u8; QK_K],
    packed: &mut [u8; K_SCALE_SIZE],
) -> ([u8; 2], [u8; 2]) {
    let mut weights = [0f32; 32];
    let mut mins = [0f32; QK_K / 32];
    let mut scales = [0f32; QK_K / 32];
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..QK_K / 32 {
        let xs = &x[32 * j..32 * j + 32];
        let mut sum_x2 = 0.0f32;
        for &v in xs {
            sum_x2 += v * v;
        }
        let av_x = (sum_x2 / 32.0).sqrt();
        for l in 0..32 {
            weights[l] = av_x + xs[l].abs();
        }
        let (scale, min) = make_qkx2_quants(
            nmax,
            xs,
            &weights,
            &mut levels[32 * j..32 * j + 32],
            rmin,
            rdelta,
            nstep,
            false,
        );
        scales[j] = scale;
        mins[j] = min;
        if scale > max_scale {
            max_scale = scale;
        }
        if min > max_min {
            max_min = min;
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
        // C: `uint8_t ls = nearest_int(...)` wraps into a byte, then `MIN(63, ls)`.
        let ls = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        let lm = (nearest_int(inv_min * mins[j]) as u8).min(63);
        pack_scale_min_k4(packed, j, ls, lm);
    }
    (to_fp16(max_scale / 63.0), to_fp16(max_min / 63.0))
}

/// The imatrix scale search of Q4_K/Q5_K (`quantize_row_q4_K_impl`/`..._q5_K_impl`): weights
/// `qw[l] * sqrt(sigma2 + x[l]^2)` with sigma2 twice the block's mean square, sub-blocks fitted
/// by `make_qkx3_quants`, scales and mins by `make_qp_quants` weighted by sub-block weight sums.
/// `clamp_63` reproduces Q5_K's extra `MIN(63, ...)` on the 6-bit levels, which Q4_K lacks.
pub(super) fn weighted_scales(
    x: &[f32; QK_K],
    qw: &[f32; QK_K],
    nmax: i32,
    levels: &mut [u8; QK_K],
    packed: &mut [u8; K_SCALE_SIZE],
    clamp_63: bool,
) -> ([u8; 2], [u8; 2]) {
    let mut weights = [0f32; 32];
    let mut sw = [0f32; QK_K / 32];
    let mut mins = [0f32; QK_K / 32];
    let mut scales = [0f32; QK_K / 32];
    let mut ls = [0u8; QK_K / 32];
    let mut lm = [0u8; QK_K / 32];

    let mut sum_x2 = 0.0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    let sigma2 = 2.0 * sum_x2 / QK_K as f32;
    for j in 0..QK_K / 32 {
        let xs = &x[32 * j..32 * j + 32];
        for l in 0..32 {
            weights[l] = qw[32 * j + l] * (sigma2 + xs[l] * xs[l]).sqrt();
        }
        let mut sumw = 0.0f32;
        for &w in &weights {
            sumw += w;
        }
        sw[j] = sumw;
        let (scale, min) = make_qkx3_quants(
            nmax,
            xs,
            Some(&weights),
            &mut levels[32 * j..32 * j + 32],
            -0.9,
            0.05,
            36,
            false,
        );
        scales[j] = scale;
        mins[j] = min;
    }

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
    (to_fp16(d_block), to_fp16(m_block))
}

/// Final pass of Q4_K/Q5_K: requantizes every element to `0..=nmax` against the stored
/// (fp16 and 6-bit rounded) scale and min of its sub-block. Sub-blocks whose stored scale is
/// zero keep the search's levels, as in ggml (`if (!d) continue;`).
pub(super) fn requantize(
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
        for ii in 0..32 {
            let l = nearest_int((x[32 * j + ii] + dm) / d);
            levels[32 * j + ii] = 0.max(nmax.min(l)) as u8;
        }
    }
}

/// `dequantize_row_q4_K`: `x = d*sc*q - dmin*m` per 32-element sub-block.
pub fn dequantize_row_q4_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ4K>(src, dst) {
        let d = b.d();
        let min = b.dmin();
        for (c, q) in b.qs.as_chunks::<32>().0.iter().enumerate() {
            let (sc1, m1) = get_scale_min_k4(2 * c, &b.scales);
            let (sc2, m2) = get_scale_min_k4(2 * c + 1, &b.scales);
            let (d1, m1) = (d * sc1 as f32, min * m1 as f32);
            let (d2, m2) = (d * sc2 as f32, min * m2 as f32);
            let out = &mut y[64 * c..64 * c + 64];
            for l in 0..32 {
                out[l] = d1 * (q[l] & 0xF) as f32 - m1;
                out[l + 32] = d2 * (q[l] >> 4) as f32 - m2;
            }
        }
    }
}
