//! Q2_K: `quantize_row_q2_K_ref`, `quantize_row_q2_K_impl` and `dequantize_row_q2_K` from
//! llama.cpp's `ggml/src/ggml-quants.c`.

use super::search::{make_qkx2_quants, make_qkx3_quants, make_qp_quants};
use super::{BlockQ2K, QK_K, blocks, blocks_mut, pack_2bit, to_fp16};
use crate::quant::common::{fp16_le_to_f32, nearest_int};

/// Quantizes a row (a whole number of 256-element blocks) to Q2_K. With `imatrix` (one weight
/// per column) this is llama.cpp's weighted `quantize_row_q2_K_impl`, otherwise
/// `quantize_row_q2_K_ref` — the same split `ggml_quantize_chunk` makes.
pub fn quantize_row_q2_k(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    for (x, y, qw) in blocks_mut::<BlockQ2K>(src, dst, imatrix) {
        match qw {
            Some(qw) => quantize_block_weighted(x, y, qw),
            None => quantize_block_ref(x, y),
        }
    }
}

/// Requantizes each element against the stored (fp16-rounded) scales and mins, then packs.
/// Shared tail of both quantizers.
fn finish_block(x: &[f32; QK_K], y: &mut BlockQ2K, levels: &mut [u8; QK_K]) {
    let dm = fp16_le_to_f32(y.d);
    let mm = fp16_le_to_f32(y.dmin);
    for j in 0..QK_K / 16 {
        let d = dm * (y.scales[j] & 0xF) as f32;
        if d == 0.0 {
            // Keep the levels the search produced, as ggml does (`if (!d) continue;`).
            continue;
        }
        let m = mm * (y.scales[j] >> 4) as f32;
        for ii in 0..16 {
            let l = nearest_int((x[16 * j + ii] + m) / d);
            levels[16 * j + ii] = 0.max(3.min(l)) as u8;
        }
    }
    pack_2bit(levels, &mut y.qs);
}

/// `quantize_row_q2_K_ref`: per 16-element sub-block, a min+scale fit weighted by `|x|`
/// minimizing absolute error; then scales and mins each quantized to 4 bits against their
/// maxima.
fn quantize_block_ref(x: &[f32; QK_K], y: &mut BlockQ2K) {
    // ggml: `const float q4scale = 15.f;`
    const Q4SCALE: f32 = 15.0;
    let mut levels = [0u8; QK_K];
    let mut weights = [0f32; 16];
    let mut mins = [0f32; QK_K / 16];
    let mut scales = [0f32; QK_K / 16];

    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..QK_K / 16 {
        let xs = &x[16 * j..16 * j + 16];
        for l in 0..16 {
            weights[l] = xs[l].abs();
        }
        let (scale, min) = make_qkx2_quants(
            3,
            xs,
            &weights,
            &mut levels[16 * j..16 * j + 16],
            -0.5,
            0.1,
            15,
            true,
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

    if max_scale > 0.0 {
        let iscale = Q4SCALE / max_scale;
        for j in 0..QK_K / 16 {
            // C stores the int into a uint8_t: wraps, like `as u8`.
            y.scales[j] = nearest_int(iscale * scales[j]) as u8;
        }
        y.d = to_fp16(max_scale / Q4SCALE);
    } else {
        y.scales = [0; QK_K / 16];
        y.d = to_fp16(0.0);
    }
    if max_min > 0.0 {
        let iscale = Q4SCALE / max_min;
        for j in 0..QK_K / 16 {
            let l = nearest_int(iscale * mins[j]);
            y.scales[j] = (y.scales[j] as i32 | (l << 4)) as u8;
        }
        y.dmin = to_fp16(max_min / Q4SCALE);
    } else {
        y.dmin = to_fp16(0.0);
    }
    finish_block(x, y, &mut levels);
}

/// `quantize_row_q2_K_impl`: per sub-block weights `qw[l] * sqrt(sigma2 + x[l]^2)` with
/// `sigma2` the block's mean square, a finer min+scale search minimizing squared error
/// (`make_qkx3_quants`), then scales and mins quantized by `make_qp_quants` weighted by each
/// sub-block's total weight.
fn quantize_block_weighted(x: &[f32; QK_K], y: &mut BlockQ2K, qw: &[f32; QK_K]) {
    let mut levels = [0u8; QK_K];
    let mut mins = [0f32; QK_K / 16];
    let mut scales = [0f32; QK_K / 16];
    let mut sw = [0f32; QK_K / 16];
    let mut weight = [0f32; 16];
    let mut ls = [0u8; QK_K / 16];
    let mut lm = [0u8; QK_K / 16];

    let mut sumx2 = 0.0f32;
    for &v in x {
        sumx2 += v * v;
    }
    // Note: no factor 2 here, unlike Q3_K..Q5_K.
    let sigma2 = sumx2 / QK_K as f32;
    for j in 0..QK_K / 16 {
        let xs = &x[16 * j..16 * j + 16];
        for l in 0..16 {
            weight[l] = qw[16 * j + l] * (sigma2 + xs[l] * xs[l]).sqrt();
        }
        for &w in &weight {
            sw[j] += w;
        }
        let (scale, min) = make_qkx3_quants(
            3,
            xs,
            Some(&weight),
            &mut levels[16 * j..16 * j + 16],
            -0.9,
            0.05,
            36,
            false,
        );
        scales[j] = scale;
        mins[j] = min;
    }

    let dm = make_qp_quants(15, &scales, &mut ls, &sw);
    let mm = make_qp_quants(15, &mins, &mut lm, &sw);
    y.d = to_fp16(dm);
    y.dmin = to_fp16(mm);
    for j in 0..QK_K / 16 {
        y.scales[j] = (ls[j] as u32 | ((lm[j] as u32) << 4)) as u8;
    }
    finish_block(x, y, &mut levels);
}

/// `dequantize_row_q2_K`: `x = d*(sc & 15)*q - dmin*(sc >> 4)`.
pub fn dequantize_row_q2_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ2K>(src, dst) {
        let d = b.d();
        let min = b.dmin();
        let mut out = 0;
        let mut is = 0;
        for half in 0..2 {
            let q = &b.qs[32 * half..32 * half + 32];
            for shift in [0, 2, 4, 6] {
                for part in 0..2 {
                    let sc = b.scales[is];
                    is += 1;
                    let dl = d * (sc & 0xF) as f32;
                    let ml = min * (sc >> 4) as f32;
                    for l in 0..16 {
                        let v = (q[16 * part + l] >> shift) & 3;
                        y[out] = dl * v as f32 - ml;
                        out += 1;
                    }
                }
            }
        }
    }
}
