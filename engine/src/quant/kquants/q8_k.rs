//! Q8_K: `quantize_row_q8_K_ref` and `dequantize_row_q8_K` from llama.cpp's
//! `ggml/src/ggml-quants.c`. Not a storage format: k-quant dot products quantize activations to
//! it, and `bsums` lets them fold in the sub-block mins cheaply.

use super::{BlockQ8K, QK_K, blocks, blocks_mut};
use crate::quant::common::nearest_int;

/// Quantizes a row (a whole number of 256-element blocks) to Q8_K.
pub fn quantize_row_q8_k(src: &[f32], dst: &mut [u8]) {
    for (x, y, _) in blocks_mut::<BlockQ8K>(src, dst, None) {
        *y = quantize_block_q8_k(x);
    }
}

/// Quantizes one 256-element block to Q8_K: `d = max/-127` for the signed value of largest
/// magnitude `max`, `q = round(x/d)` (ties to even, via ggml's `nearest_int`), so `max` maps
/// to -127 and the range is symmetric (ggml switched from -128 for IQ2_XXS's AVX code).
pub fn quantize_block_q8_k(x: &[f32; QK_K]) -> BlockQ8K {
    let mut y: BlockQ8K = bytemuck::Zeroable::zeroed();
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for &v in x {
        let ax = v.abs();
        if ax > amax {
            amax = ax;
            max = v;
        }
    }
    if amax == 0.0 {
        // ggml sets d = 0 and zeroes qs but leaves `bsums` as whatever the buffer held; we
        // write zeros there, which is also the true sum.
        return y;
    }
    let iscale = -127.0f32 / max;
    for (q, &v) in y.qs.iter_mut().zip(x) {
        // `MIN(127, v)` then narrowing to int8_t; |iscale*x| <= 127 keeps it in range.
        *q = 127.min(nearest_int(iscale * v)) as i8;
    }
    for (j, bsum) in y.bsums.iter_mut().enumerate() {
        let sum: i32 = y.qs[16 * j..16 * j + 16].iter().map(|&q| q as i32).sum();
        *bsum = (sum as i16).to_le_bytes();
    }
    y.d = (1.0 / iscale).to_le_bytes();
    y
}

/// `dequantize_row_q8_K`: `x = d*q`.
pub fn dequantize_row_q8_k(src: &[u8], dst: &mut [f32]) {
    for (b, y) in blocks::<BlockQ8K>(src, dst) {
        let d = b.d();
        for (o, &q) in y.iter_mut().zip(&b.qs) {
            *o = d * q as f32;
        }
    }
}
