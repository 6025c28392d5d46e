//! Q3_K: `quantize_row_q3_K_ref`, `quantize_row_q3_K_impl` and `dequantize_row_q3_K` from
//! llama.cpp's `ggml/src/ggml-quants.c`.

use super::search::{make_q3_quants, make_qx_quants};
use super::{BlockQ3K, QK_K, blocks, blocks_mut, pack_2bit, q3_k_scale, to_fp16};
use crate::quant::common::{fp16_le_to_f32, nearest_int};

/// Quantizes a row to Q3_K: `quantize_row_q3_K_impl` with `imatrix`, else
/// `quantize_row_q3_K_ref` (as `ggml_quantize_chunk` chooses).
pub fn quantize_row_q3_k(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ3K>(src, dst, imatrix) {
        match qw {
            Some(qw) => quantize_block_weighted(x, y, qw),
            None => quantize_block_ref(x, y),
        }
    }
}

/// Packs the 6-bit level `l` (0..=63) of sub-block `j` into the 12 scale bytes: low nibble
/// into byte `j` (j < 8) or the high nibble of byte `j-8`, top two bits into byte `8 + j%4` at
/// bit `2*(j/4)`. Expects zeroed bytes and `j` in increasing order.
#[inline]
fn pack_scale(scales: &mut [u8; 12], j: usize, l: u8) {
    if j < 8 {
        scales[j] = l & 0xF;
    } else {
        scales[j - 8] |= (l & 0xF) << 4;
    }
    scales[j % 4 + 8] |= (l >> 4) << (2 * (j / 4));
}

/// Requantizes against the stored scales (levels offset by 4, i.e. 0..=7), splits off the
/// high bit into `hmask`, packs the low two bits. Shared tail of both quantizers.
fn finish_block(x: &[f32; QK_K], y: &mut BlockQ3K, levels: &mut [i8; QK_K]) {
    let d_all = fp16_le_to_f32(y.d);
    for j in 0..QK_K / 16 {
        let d = d_all * q3_k_scale(&y.scales, j) as f32;
        if d == 0.0 {
            continue;
        }
        for ii in 0..16 {
            let l = nearest_int(x[16 * j + ii] / d);
            levels[16 * j + ii] = ((-4).max(3.min(l)) + 4) as i8;
        }
    }

    y.hmask = [0; QK_K / 8];
    // Bit `b` of hmask[m] holds the high bit of element 32*b + m.
    let mut low = [0u8; QK_K];
    for (j, (&l, lo)) in levels.iter().zip(low.iter_mut()).enumerate() {
        let mut l = l;
        if l > 3 {
            y.hmask[j % 32] |= 1 << (j / 32);
            l -= 4;
        }
        *lo = l as u8;
    }
    pack_2bit(&low, &mut y.qs);
}

/// `quantize_row_q3_K_ref`: each sub-block fitted by `make_q3_quants` (x^2-weighted with
/// coordinate descent), scales quantized to 6 bits against the largest-magnitude one.
fn quantize_block_ref(x: &[f32; QK_K], y: &mut BlockQ3K) {
    let mut levels = [0i8; QK_K];
    let mut scales = [0f32; QK_K / 16];

    let mut max_scale = 0.0f32;
    let mut amax = 0.0f32;
    for j in 0..QK_K / 16 {
        scales[j] = make_q3_quants(4, &x[16 * j..16 * j + 16], &mut levels[16 * j..16 * j + 16]);
        let scale = scales[j].abs();
        if scale > amax {
            amax = scale;
            max_scale = scales[j];
        }
    }

    y.scales = [0; 12];
    if max_scale != 0.0 {
        let iscale = -32.0f32 / max_scale;
        for j in 0..QK_K / 16 {
            // C: `int8_t l = nearest_int(...)` narrows (wrapping) before clamping.
            let l = nearest_int(iscale * scales[j]) as i8;
            let l = ((-32i8).max(31.min(l)) + 32) as u8;
            pack_scale(&mut y.scales, j, l);
        }
        y.d = to_fp16(1.0 / iscale);
    } else {
        y.d = to_fp16(0.0);
    }
    finish_block(x, y, &mut levels);
}

/// `quantize_row_q3_K_impl`: weights `qw[l] * sqrt(sigma2 + x[l]^2)` (sigma2 = twice the mean
/// square), each sub-block fitted by `make_qx_quants`, and the 16 scales themselves fitted by
/// `make_qx_quants` to 6 bits weighted by the sub-block weight sums.
fn quantize_block_weighted(x: &[f32; QK_K], y: &mut BlockQ3K, qw: &[f32; QK_K]) {
    let mut levels = [0i8; QK_K];
    let mut scales = [0f32; QK_K / 16];
    let mut weight = [0f32; 16];
    let mut sw = [0f32; QK_K / 16];
    let mut ls = [0i8; QK_K / 16];

    let mut sumx2 = 0.0f32;
    for &v in x {
        sumx2 += v * v;
    }
    let sigma2 = 2.0 * sumx2 / QK_K as f32;
    for j in 0..QK_K / 16 {
        let xs = &x[16 * j..16 * j + 16];
        for l in 0..16 {
            weight[l] = qw[16 * j + l] * (sigma2 + xs[l] * xs[l]).sqrt();
        }
        let mut sumw = 0.0f32;
        for &w in &weight {
            sumw += w;
        }
        sw[j] = sumw;
        scales[j] = make_qx_quants(4, xs, &mut levels[16 * j..16 * j + 16], 1, Some(&weight));
    }

    y.scales = [0; 12];
    let d_block = make_qx_quants(32, &scales, &mut ls, 1, Some(&sw));
    for (j, &l) in ls.iter().enumerate() {
        // Levels are 0..=63 (offset by 32), so the `int` shifts in C never see a sign bit.
        pack_scale(&mut y.scales, j, l as u8);
    }
    y.d = to_fp16(d_block);
    finish_block(x, y, &mut levels);
}

/// `dequantize_row_q3_K`: `x = d*(sc-32)*(q - (high bit set ? 0 : 4))`.
pub fn dequantize_row_q3_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ3K>(src, dst) {
        let d_all = b.d();
        let sc = b.sub_scales();
        let mut out = 0;
        let mut is = 0;
        let mut m: u8 = 1;
        for half in 0..2 {
            let q = &b.qs[32 * half..32 * half + 32];
            for shift in [0, 2, 4, 6] {
                for part in 0..2 {
                    let dl = d_all * sc[is] as f32;
                    is += 1;
                    for l in 0..16 {
                        let k = 16 * part + l;
                        let low = ((q[k] >> shift) & 3) as i32;
                        let v = low - if b.hmask[k] & m != 0 { 0 } else { 4 };
                        y[out] = dl * v as f32;
                        out += 1;
                    }
                }
                m <<= 1;
            }
        }
    }
}
