//! The reference dot products: one function per weight type, each the plain-Rust counterpart
//! of ggml's `ggml_vec_dot_<w>_<a>_generic` (ggml/src/ggml-cpu/quants.c) or `ggml_vec_dot_f32`
//! / `_f16` / `_bf16` (ggml/src/ggml-cpu/vec.cpp).
//!
//! Structure of every quantized kernel: for each block, an exact integer sum of
//! `weight quant × activation quant` (per sub-block when the sub-blocks have their own
//! scales), then one f32 multiply-add with the block scales. The integer parts are what the SIMD
//! kernels must reproduce exactly; only the f32 accumulation order may differ.
//!
//! Block layouts are the structs of `crate::quant` (from ggml/src/ggml-common.h). The weight
//! and activation slices must hold the same number of elements; the dispatcher checks this.
#![allow(clippy::needless_range_loop)]

use bytemuck::cast_slice;

use crate::quant::common::{bf16_bits_to_f32, f16_bits_to_f32, fp16_le_to_f32};
use crate::quant::iq4::{BlockIq4Nl, BlockIq4Xs, KVALUES_IQ4NL};
use crate::quant::kquants::{
    BlockQ2K, BlockQ3K, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8K, QK_K, get_scale_min_k4,
};
use crate::quant::legacy::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ5_1, BlockQ8_0, BlockQ8_1, QK};
use crate::quant::ternary::{BlockTq1_0, BlockTq2_0};

/// F32 × F32: products in f32, summed in f64 (the `ggml_float` accumulator of
/// `ggml_vec_dot_f32`'s scalar path). The weight bytes may be unaligned.
pub fn dot_f32(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let mut sum = 0f64;
    for (x, y) in w.as_chunks::<4>().0.iter().zip(a.as_chunks::<4>().0) {
        sum += f64::from(f32::from_le_bytes(*x) * f32::from_le_bytes(*y));
    }
    sum as f32
}

/// F16 × F16 (activations rounded to F16, as ggml does): f32 products summed in f64.
pub fn dot_f16(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let mut sum = 0f64;
    for (x, y) in w.as_chunks::<2>().0.iter().zip(a.as_chunks::<2>().0) {
        let p = f16_bits_to_f32(u16::from_le_bytes(*x)) * f16_bits_to_f32(u16::from_le_bytes(*y));
        sum += f64::from(p);
    }
    sum as f32
}

/// BF16 × BF16 (activations rounded to BF16, as ggml does): f32 products summed in f64.
pub fn dot_bf16(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let mut sum = 0f64;
    for (x, y) in w.as_chunks::<2>().0.iter().zip(a.as_chunks::<2>().0) {
        let p = bf16_bits_to_f32(u16::from_le_bytes(*x)) * bf16_bits_to_f32(u16::from_le_bytes(*y));
        sum += f64::from(p);
    }
    sum as f32
}

/// Q8_0 × Q8_0: `sumf += sumi * (dx * dy)` per block.
pub fn dot_q8_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ8_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        sumf += q8_0_block_sum(bx, by) as f32 * (fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d));
    }
    sumf
}

/// The exact integer sum of a Q8_0 × Q8_0 block.
#[inline]
pub fn q8_0_block_sum(bx: &BlockQ8_0, by: &BlockQ8_0) -> i32 {
    let mut sumi = 0i32;
    for j in 0..QK {
        sumi += i32::from(bx.qs[j]) * i32::from(by.qs[j]);
    }
    sumi
}

/// Q4_0 × Q8_0: element `j` is the low nibble of `qs[j]`, element `j+16` the high one, each
/// minus 8; `sumf += sumi * dx * dy`.
pub fn dot_q4_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let sumi = q4_0_block_sum(bx, by);
        sumf += sumi as f32 * fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d);
    }
    sumf
}

/// The exact integer sum of a Q4_0 × Q8_0 block.
#[inline]
pub fn q4_0_block_sum(bx: &BlockQ4_0, by: &BlockQ8_0) -> i32 {
    let mut sumi = 0i32;
    for j in 0..QK / 2 {
        let v0 = i32::from(bx.qs[j] & 0x0F) - 8;
        let v1 = i32::from(bx.qs[j] >> 4) - 8;
        sumi += v0 * i32::from(by.qs[j]) + v1 * i32::from(by.qs[j + QK / 2]);
    }
    sumi
}

/// Q4_1 × Q8_1: `sumf += (dx*dy)*sumi + mx*sy`, where `sy = d*Σq` was stored (as fp16) by
/// the activation quantizer, so the min needs no per-element work.
pub fn dot_q4_1(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4_1] = cast_slice(w);
    let y: &[BlockQ8_1] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let mut sumi = 0i32;
        for j in 0..QK / 2 {
            sumi += i32::from(bx.qs[j] & 0x0F) * i32::from(by.qs[j])
                + i32::from(bx.qs[j] >> 4) * i32::from(by.qs[j + QK / 2]);
        }
        sumf += (fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d)) * sumi as f32
            + fp16_le_to_f32(bx.m) * fp16_le_to_f32(by.s);
    }
    sumf
}

/// The 5-bit quant `j` (0..32) of a Q5 block: low 4 bits from `qs`, bit 4 from bit `j` of `qh`.
#[inline]
fn q5_quant(qs: &[u8; 16], qh: u32, j: usize) -> i32 {
    let low = if j < 16 {
        qs[j] & 0x0F
    } else {
        qs[j - 16] >> 4
    };
    i32::from(low) | (((qh >> j) & 1) << 4) as i32
}

/// Q5_0 × Q8_0: quants `q - 16`; `sumf += (dx*dy)*sumi`.
pub fn dot_q5_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let qh = u32::from_le_bytes(bx.qh);
        let mut sumi = 0i32;
        for j in 0..QK {
            sumi += (q5_quant(&bx.qs, qh, j) - 16) * i32::from(by.qs[j]);
        }
        sumf += (fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d)) * sumi as f32;
    }
    sumf
}

/// Q5_1 × Q8_1: as Q4_1 with 5-bit quants.
pub fn dot_q5_1(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5_1] = cast_slice(w);
    let y: &[BlockQ8_1] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let qh = u32::from_le_bytes(bx.qh);
        let mut sumi = 0i32;
        for j in 0..QK {
            sumi += q5_quant(&bx.qs, qh, j) * i32::from(by.qs[j]);
        }
        sumf += (fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d)) * sumi as f32
            + fp16_le_to_f32(bx.m) * fp16_le_to_f32(by.s);
    }
    sumf
}

/// IQ4_NL × Q8_0: each nibble indexes `kvalues_iq4nl`; `sumf += (dy*dx) * sumi`.
pub fn dot_iq4_nl(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockIq4Nl] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let d = fp16_le_to_f32(by.d) * fp16_le_to_f32(bx.d);
        let mut sumi = 0i32;
        for j in 0..QK / 2 {
            sumi += i32::from(by.qs[j]) * i32::from(KVALUES_IQ4NL[(bx.qs[j] & 0xF) as usize])
                + i32::from(by.qs[j + QK / 2]) * i32::from(KVALUES_IQ4NL[(bx.qs[j] >> 4) as usize]);
        }
        sumf += d * sumi as f32;
    }
    sumf
}

/// Q2_K × Q8_K: 16 sub-blocks of 16 with 4-bit scale (low nibble) and 4-bit min (high
/// nibble); the mins fold in through Q8_K's `bsums`. `sumf += dall*isum - dmin*summs`.
pub fn dot_q2_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ2K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let (isum, summs) = q2_k_block_sums(bx, by);
        let dall = by.d() * bx.d();
        let dmin = by.d() * bx.dmin();
        sumf += dall * isum as f32 - dmin * summs as f32;
    }
    sumf
}

/// `(Σ scale·Σ q·q8, Σ min·bsum)` of one Q2_K × Q8_K super-block, exact.
#[inline]
pub fn q2_k_block_sums(bx: &BlockQ2K, by: &BlockQ8K) -> (i32, i32) {
    let mut summs = 0i32;
    for j in 0..16 {
        summs += i32::from(by.bsum(j)) * i32::from(bx.scales[j] >> 4);
    }
    let mut isum = 0i32;
    // Element e = 128*h + 32*k + l (k = bit pair, l = 0..32) sits in qs[32*h + l] at bits 2k.
    for e in 0..QK_K {
        let (h, k, l) = (e / 128, (e % 128) / 32, e % 32);
        let q = i32::from((bx.qs[32 * h + l] >> (2 * k)) & 3);
        let sc = i32::from(bx.scales[e / 16] & 0xF);
        isum += sc * q * i32::from(by.qs[e]);
    }
    (isum, summs)
}

/// Q3_K × Q8_K: 3-bit quants `(2 low bits) - (4 if the hmask bit is clear)` and 16 signed
/// 6-bit sub-block scales. `sumf += (dx*dy) * isum`.
pub fn dot_q3_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ3K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let isum = q3_k_block_sum(bx, by);
        sumf += (bx.d() * by.d()) * isum as f32;
    }
    sumf
}

/// `Σ scale_j · Σ q·q8` of one Q3_K × Q8_K super-block, exact.
#[inline]
pub fn q3_k_block_sum(bx: &BlockQ3K, by: &BlockQ8K) -> i32 {
    let scales = bx.sub_scales();
    let mut isum = 0i32;
    // Element e = 128*h + 32*k + l: low bits in qs[32*h + l] at bits 2k, high bit in
    // hmask[l] at bit 4*h + k (ggml's running mask `m`).
    for e in 0..QK_K {
        let (h, k, l) = (e / 128, (e % 128) / 32, e % 32);
        let low = i32::from((bx.qs[32 * h + l] >> (2 * k)) & 3);
        let high_set = bx.hmask[l] & (1u8 << (4 * h + k)) != 0;
        let q = low - if high_set { 0 } else { 4 };
        isum += i32::from(scales[e / 16]) * q * i32::from(by.qs[e]);
    }
    isum
}

/// Unpacks Q4_K/Q5_K's eight 6-bit scales and mins.
#[inline]
fn scales_mins_k4(packed: &[u8; 12]) -> ([u8; 8], [u8; 8]) {
    let mut sc = [0u8; 8];
    let mut mn = [0u8; 8];
    for j in 0..8 {
        (sc[j], mn[j]) = get_scale_min_k4(j, packed);
    }
    (sc, mn)
}

/// `Σ min_j · (bsum_{2j} + bsum_{2j+1})`: the min term of Q4_K/Q5_K (8 sub-blocks of 32, each
/// spanning two 16-element Q8_K `bsums`).
#[inline]
fn mins_dot_bsums(mins: &[u8; 8], by: &BlockQ8K) -> i32 {
    let mut s = 0i32;
    for j in 0..16 {
        s += i32::from(by.bsum(j)) * i32::from(mins[j / 2]);
    }
    s
}

/// Q4_K × Q8_K: 8 sub-blocks of 32 with 6-bit scales and mins.
/// `sumf += (dx*dy)*isum - (dminx*dy)*Σ min·bsum`.
pub fn dot_q4_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let (isum, summs) = q4_k_block_sums(bx, by);
        sumf += (bx.d() * by.d()) * isum as f32 - (bx.dmin() * by.d()) * summs as f32;
    }
    sumf
}

/// `(Σ scale·Σ q·q8, Σ min·bsum)` of one Q4_K × Q8_K super-block, exact.
#[inline]
pub fn q4_k_block_sums(bx: &BlockQ4K, by: &BlockQ8K) -> (i32, i32) {
    let (sc, mn) = scales_mins_k4(&bx.scales);
    let mut isum = 0i32;
    // Element e = 64*c + 32*half + l: nibble `half` of qs[32*c + l]; sub-block e/32.
    for e in 0..QK_K {
        let (c, half, l) = (e / 64, (e % 64) / 32, e % 32);
        let q = i32::from((bx.qs[32 * c + l] >> (4 * half)) & 0xF);
        isum += i32::from(sc[e / 32]) * q * i32::from(by.qs[e]);
    }
    (isum, mins_dot_bsums(&mn, by))
}

/// Q5_K × Q8_K: Q4_K plus a fifth bit per quant from `qh`.
pub fn dot_q5_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let (isum, summs) = q5_k_block_sums(bx, by);
        sumf += (bx.d() * by.d()) * isum as f32 - (bx.dmin() * by.d()) * summs as f32;
    }
    sumf
}

/// `(Σ scale·Σ q·q8, Σ min·bsum)` of one Q5_K × Q8_K super-block, exact.
#[inline]
pub fn q5_k_block_sums(bx: &BlockQ5K, by: &BlockQ8K) -> (i32, i32) {
    let (sc, mn) = scales_mins_k4(&bx.scales);
    let mut isum = 0i32;
    // As Q4_K; the fifth bit of element e = 32*s + l (sub-block s) is bit s of qh[l].
    for e in 0..QK_K {
        let (c, half, l) = (e / 64, (e % 64) / 32, e % 32);
        let low = i32::from((bx.qs[32 * c + l] >> (4 * half)) & 0xF);
        let high = i32::from((bx.qh[l] >> (e / 32)) & 1);
        isum += i32::from(sc[e / 32]) * (low | (high << 4)) * i32::from(by.qs[e]);
    }
    (isum, mins_dot_bsums(&mn, by))
}

/// Q6_K × Q8_K: 6-bit quants minus 32, 16 signed 8-bit sub-block scales.
/// `sumf += (dx*dy) * isum`.
pub fn dot_q6_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ6K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let isum = q6_k_block_sum(bx, by);
        sumf += (bx.d() * by.d()) * isum as f32;
    }
    sumf
}

/// The 6-bit quant of element `e` of a Q6_K block, minus 32.
#[inline]
pub fn q6_k_quant(bx: &BlockQ6K, e: usize) -> i32 {
    // Element e = 128*h + 32*k + l: low nibble of ql[64*h + l + 32*(k&1)] (k < 2) or high
    // nibble (k >= 2); top two bits at bits 2k of qh[32*h + l].
    let (h, k, l) = (e / 128, (e % 128) / 32, e % 32);
    let ql = bx.ql[64 * h + l + 32 * (k & 1)];
    let low = if k < 2 { ql & 0xF } else { ql >> 4 };
    let high = (bx.qh[32 * h + l] >> (2 * k)) & 3;
    i32::from(low | (high << 4)) - 32
}

/// `Σ scale_j · Σ q·q8` of one Q6_K × Q8_K super-block, exact.
#[inline]
pub fn q6_k_block_sum(bx: &BlockQ6K, by: &BlockQ8K) -> i32 {
    let mut isum = 0i32;
    for e in 0..QK_K {
        isum += i32::from(bx.scales[e / 16]) * q6_k_quant(bx, e) * i32::from(by.qs[e]);
    }
    isum
}

/// IQ4_XS × Q8_K: 8 sub-blocks of 32 table-indexed quants, 6-bit scales stored with an offset
/// of 32 (low 4 bits in `scales_l`, high 2 in `scales_h`). `sumf += d4d8*(ls-32)*sumi`.
pub fn dot_iq4_xs(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockIq4Xs] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let d4d8 = fp16_le_to_f32(bx.d) * by.d();
        let h = u16::from_le_bytes(bx.scales_h);
        for ib in 0..8 {
            let low = (bx.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF;
            let ls = i32::from(low) | (i32::from((h >> (2 * ib)) & 3) << 4);
            let qs = &bx.qs[16 * ib..16 * ib + 16];
            let q8 = &by.qs[32 * ib..32 * ib + 32];
            let mut sumi = 0i32;
            for j in 0..16 {
                sumi += i32::from(q8[j]) * i32::from(KVALUES_IQ4NL[(qs[j] & 0xF) as usize])
                    + i32::from(q8[j + 16]) * i32::from(KVALUES_IQ4NL[(qs[j] >> 4) as usize]);
            }
            sumf += (d4d8 * (ls - 32) as f32) * sumi as f32;
        }
    }
    sumf
}

/// Trit of a TQ1_0 byte at power `pow3` (ggml's fixed-point base-3 digits), as -1, 0 or 1.
#[inline]
fn tq1_trit(byte: u8, pow3: u8) -> i32 {
    let q = byte.wrapping_mul(pow3);
    i32::from((u16::from(q) * 3) >> 8) - 1
}

/// TQ1_0 × Q8_K: trits unpacked in ggml's element order; `sumf += sum * (dx * dy)`.
pub fn dot_tq1_0(w: &[u8], a: &[u8]) -> f32 {
    const POW3: [u8; 5] = [1, 3, 9, 27, 81];
    let x: &[BlockTq1_0] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let mut sum = 0i32;
        // qs[0..32]: 5 trits each, element 32*l + m; qs[32..48]: element 160 + 16*l + m.
        for (l, &p) in POW3.iter().enumerate() {
            for m in 0..32 {
                sum += tq1_trit(bx.qs[m], p) * i32::from(by.qs[32 * l + m]);
            }
        }
        for (l, &p) in POW3.iter().enumerate() {
            for m in 0..16 {
                sum += tq1_trit(bx.qs[32 + m], p) * i32::from(by.qs[160 + 16 * l + m]);
            }
        }
        // qh[0..4]: 4 trits each, element 240 + 4*l + j.
        for (l, &p) in POW3[..4].iter().enumerate() {
            for j in 0..4 {
                sum += tq1_trit(bx.qh[j], p) * i32::from(by.qs[240 + 4 * l + j]);
            }
        }
        sumf += sum as f32 * (fp16_le_to_f32(bx.d) * by.d());
    }
    sumf
}

/// TQ2_0 × Q8_K: 2-bit values `q - 1`; `sumf += sumi * (dy * dx)`.
pub fn dot_tq2_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockTq2_0] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut sumf = 0f32;
    for (bx, by) in x.iter().zip(y) {
        let mut sumi = 0i32;
        // Element 128*g + 32*l + k is bits 2l of qs[32*g + k].
        for e in 0..QK_K {
            let (g, l, k) = (e / 128, (e % 128) / 32, e % 32);
            let q = i32::from((bx.qs[32 * g + k] >> (2 * l)) & 3) - 1;
            sumi += q * i32::from(by.qs[e]);
        }
        sumf += sumi as f32 * (by.d() * fp16_le_to_f32(bx.d));
    }
    sumf
}
