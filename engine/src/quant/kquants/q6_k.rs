//! Q6_K: `quantize_row_q6_K_ref`, `quantize_row_q6_K_impl` and `dequantize_row_q6_K` from
//! llama.cpp's `ggml/src/ggml-quants.c`.

use super::search::{GROUP_MAX_EPS, make_qx_quants};
use super::{BlockQ6K, QK_K, blocks, blocks_mut, to_fp16};
use crate::quant::common::{fp16_le_to_f32, nearest_int};

/// Quantizes a row to Q6_K. The two llama.cpp paths differ only in the weights of the
/// per-sub-block fit: `x^2` in `quantize_row_q6_K_ref` (no imatrix), the raw imatrix values in
/// `quantize_row_q6_K_impl` (no sigma2 term, unlike the other k-quants).
pub fn quantize_row_q6_k(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ6K>(src, dst, imatrix) {
        quantize_block(x, y, qw.map(|w| w.as_slice()));
    }
}

fn quantize_block(x: &[f32; QK_K], y: &mut BlockQ6K, qw: Option<&[f32]>) {
    let mut levels = [0i8; QK_K];
    let mut scales = [0f32; QK_K / 16];
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    for ib in 0..QK_K / 16 {
        let r = 16 * ib..16 * ib + 16;
        // rmse_type 1: weights x^2, or the imatrix values when given.
        let scale = make_qx_quants(
            32,
            &x[r.clone()],
            &mut levels[r.clone()],
            1,
            qw.map(|w| &w[r]),
        );
        scales[ib] = scale;
        if scale.abs() > max_abs_scale {
            max_abs_scale = scale.abs();
            max_scale = scale;
        }
    }

    if max_abs_scale < GROUP_MAX_EPS {
        *y = bytemuck::Zeroable::zeroed();
        y.d = to_fp16(0.0);
        return;
    }

    let iscale = -128.0f32 / max_scale;
    y.d = to_fp16(1.0 / iscale);
    for ib in 0..QK_K / 16 {
        // C assigns `MIN(127, int)` to an int8_t: wraps like `as i8` (in practice >= -128).
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

    // Per 128-element half: ql[l] = low nibbles of elements l (bits 0-3) and l+64 (4-7),
    // ql[l+32] = those of l+32 and l+96; qh[l] = the top two bits of l, l+32, l+64, l+96.
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

/// `dequantize_row_q6_K`: `x = d*sc*(q-32)`.
pub fn dequantize_row_q6_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ6K>(src, dst) {
        let d = b.d();
        for h in 0..2 {
            let ql = &b.ql[64 * h..64 * h + 64];
            let qh = &b.qh[32 * h..32 * h + 32];
            let sc = &b.scales[8 * h..8 * h + 8];
            let out = &mut y[128 * h..128 * h + 128];
            for l in 0..32 {
                let is = l / 16;
                let q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) as i32 - 32;
                let q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                out[l] = d * sc[is] as f32 * q1 as f32;
                out[l + 32] = d * sc[is + 2] as f32 * q2 as f32;
                out[l + 64] = d * sc[is + 4] as f32 * q3 as f32;
                out[l + 96] = d * sc[is + 6] as f32 * q4 as f32;
            }
        }
    }
}
