//! Q5_K: `quantize_row_q5_K_ref`, `quantize_row_q5_K_impl` and `dequantize_row_q5_K` from
//! llama.cpp's `ggml/src/ggml-quants.c`. Scale handling is Q4_K's (see `q4_k.rs`).

use super::q4_k::{ref_scales, requantize, weighted_scales};
use super::{BlockQ5K, QK_K, blocks, blocks_mut, get_scale_min_k4};

/// Quantizes a row to Q5_K: `quantize_row_q5_K_impl` with `imatrix`, else
/// `quantize_row_q5_K_ref` (as `ggml_quantize_chunk` chooses).
pub fn quantize_row_q5_k(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ5K>(src, dst, imatrix) {
        let mut levels = [0u8; QK_K];
        let (d, dmin) = match qw {
            Some(qw) => weighted_scales(x, qw, 31, &mut levels, &mut y.scales, true),
            None => ref_scales(x, 31, -0.5, 0.1, 15, &mut levels, &mut y.scales),
        };
        y.d = d;
        y.dmin = dmin;
        requantize(x, &y.scales, y.d, y.dmin, 31, &mut levels);

        // Low nibbles as in Q4_K; the fifth bit of the k-th 64-element span goes to bit 2k
        // (first 32) or 2k+1 (second 32) of qh[l].
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

/// `dequantize_row_q5_K`: `x = d*sc*(q + 16*high) - dmin*m` per 32-element sub-block.
pub fn dequantize_row_q5_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ5K>(src, dst) {
        let d = b.d();
        let min = b.dmin();
        for (c, ql) in b.qs.as_chunks::<32>().0.iter().enumerate() {
            let (sc1, m1) = get_scale_min_k4(2 * c, &b.scales);
            let (sc2, m2) = get_scale_min_k4(2 * c + 1, &b.scales);
            let (d1, m1) = (d * sc1 as f32, min * m1 as f32);
            let (d2, m2) = (d * sc2 as f32, min * m2 as f32);
            let (u1, u2) = (1u8 << (2 * c), 2u8 << (2 * c));
            let out = &mut y[64 * c..64 * c + 64];
            for l in 0..32 {
                let h1 = if b.qh[l] & u1 != 0 { 16 } else { 0 };
                let h2 = if b.qh[l] & u2 != 0 { 16 } else { 0 };
                out[l] = d1 * ((ql[l] & 0xF) + h1) as f32 - m1;
                out[l + 32] = d2 * ((ql[l] >> 4) + h2) as f32 - m2;
            }
        }
    }
}
