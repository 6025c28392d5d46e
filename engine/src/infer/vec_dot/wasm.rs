//! WebAssembly simd128 kernels (compiled when the build enables `+simd128`, which
//! `.cargo/config.toml` does for `wasm32-unknown-unknown`; every browser Bitsmith supports has
//! it).
//!
//! The integer part of each block is computed 16 bytes at a time: weights are unpacked to
//! signed bytes (nibbles, bit planes and high bits shifted into place), multiplied with the Q8
//! activations by `i16x8.extmul_{low,high}_i8x16`, the two halves added in i16 (each product is
//! at most 127·128, so two of them stay below 2^15) and widened pairwise to i32 lanes. Sixteen
//! bytes are exactly one k-quant sub-block, so sub-block scales multiply those i32 lanes. The
//! per-block f32 scale is applied to the four lanes and the lanes are summed at the end: only
//! that f32 order differs from the scalar reference.
//!
//! Decode (one token) goes through [`matvec_fn`]'s whole-matrix kernels for the types SmolLM2's
//! files use (Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q6_K): four rows at a time, the activation scales
//! converted once per matrix, each row bit-identical to its pair kernel. Batches (prompt
//! processing) still call the pair kernels once per row and token.

use core::arch::wasm32::*;

use bytemuck::cast_slice;

use super::{DotFn, MatVecFn};
use crate::GgmlType;
use crate::quant::common::fp16_le_to_f32;
use crate::quant::kquants::{
    BlockQ2K, BlockQ3K, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8K, get_scale_min_k4,
};
use crate::quant::legacy::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ8_0, BlockQ8_1};

/// The simd128 kernel for `ty`, if there is one.
pub fn dot_fn(ty: GgmlType) -> Option<DotFn> {
    use GgmlType as G;
    Some(match ty {
        G::F32 => k_f32,
        G::Q8_0 => k_q8_0,
        G::Q4_0 => k_q4_0,
        G::Q4_1 => k_q4_1,
        G::Q5_0 => k_q5_0,
        G::Q2_K => k_q2_k,
        G::Q3_K => k_q3_k,
        G::Q4_K => k_q4_k,
        G::Q5_K => k_q5_k,
        G::Q6_K => k_q6_k,
        _ => return None,
    })
}

/// No tile kernels yet on wasm: batches (prompt processing) use the pair kernels.
pub fn tile_fn(_ty: GgmlType) -> Option<super::TileFn> {
    None
}

/// The whole-matrix decode kernel for `ty`, if there is one. Each walks the matrix four rows at
/// a time: an activation block is loaded once for four rows, and activation scales stored as
/// fp16 (Q8_0, Q8_1) are converted once per matrix instead of once per row. Each row keeps its
/// own accumulators, updated in the pair kernel's order, so results are bit-identical to it.
pub fn matvec_fn(ty: GgmlType) -> Option<MatVecFn> {
    use GgmlType as G;
    Some(match ty {
        G::Q8_0 => mv_q8_0,
        G::Q4_0 => mv_q4_0,
        G::Q4_1 => mv_q4_1,
        G::Q5_0 => mv_q5_0,
        G::Q4_K => mv_q4_k,
        G::Q6_K => mv_q6_k,
        _ => return None,
    })
}

/// Calls `f4` on groups of four weight rows of `w` (rows of `rb` bytes, viewed as blocks `B`)
/// with their four outputs, then `f1` on each of the last `out.len() % 4` rows.
///
/// A group is one row from each quarter of the matrix (rows `i`, `q + i`, `2q + i`, `3q + i`),
/// not four neighbours: then each quarter is read front to back as its own stream, in pages
/// of its own. Four neighbouring rows interleave four short streams inside one 4 KiB page, and
/// the hardware prefetcher (which follows about one stream per page) stopped keeping up: a
/// Q8_0 matrix too large for the cache took 2.7× as long as with the pair kernel in Chromium.
/// wasm has no prefetch instruction to make up for it.
#[inline(always)]
fn row_tiles<B: bytemuck::Pod>(
    w: &[u8],
    rb: usize,
    out: &mut [f32],
    mut f4: impl FnMut([&[B]; 4], &mut [f32]),
    mut f1: impl FnMut([&[B]; 1], &mut [f32]),
) {
    debug_assert_eq!(w.len(), rb * out.len());
    let q = out.len() / 4;
    let (quarters, rest) = w.split_at(4 * q * rb);
    let (wq0, wq123) = quarters.split_at(q * rb);
    let (wq1, wq23) = wq123.split_at(q * rb);
    let (wq2, wq3) = wq23.split_at(q * rb);
    let mut o = [0f32; 4];
    for i in 0..q {
        let at = i * rb..(i + 1) * rb;
        f4(
            [
                cast_slice(&wq0[at.clone()]),
                cast_slice(&wq1[at.clone()]),
                cast_slice(&wq2[at.clone()]),
                cast_slice(&wq3[at]),
            ],
            &mut o,
        );
        for (k, &v) in o.iter().enumerate() {
            out[k * q + i] = v;
        }
    }
    let out1 = &mut out[4 * q..];
    for (wr, o) in rest.chunks_exact(rb).zip(out1.iter_mut()) {
        f1([cast_slice(wr)], core::slice::from_mut(o));
    }
}

/// Four fp16 values (the low 16 bits of each u32 lane) to f32, exactly as
/// [`fp16_le_to_f32`]: the bit-level conversion of `quant::common::f16_bits_to_f32_soft`, four
/// lanes at a time, so a four-row tile converts its weight scales in a few vector steps.
#[inline]
fn f16x4_to_f32(h: v128) -> v128 {
    let two_pow_112 = f32x4_splat(f32::from_bits((127 + 112) << 23));
    let sign = i32x4_shl(v128_and(h, u32x4_splat(0x8000)), 16);
    let mag = v128_and(h, u32x4_splat(0x7fff));
    let shifted = i32x4_shl(mag, 13);
    let finite = f32x4_mul(shifted, two_pow_112);
    // Infinity and NaN: all-ones exponent, payload kept, NaNs quiet.
    let special = i32x4_gt(mag, i32x4_splat(0x7bff));
    let nan = v128_and(i32x4_gt(mag, i32x4_splat(0x7c00)), u32x4_splat(0x0040_0000));
    let inf_nan = v128_or(v128_or(shifted, u32x4_splat(0x7f80_0000)), nan);
    v128_or(v128_bitselect(inf_nan, finite, special), sign)
}

/// The four lanes' u32 from the first four bytes of each row's block `b` (rows past `R` read
/// as 0): the fp16 fields at the start of a legacy block, `d` in the low half.
#[inline(always)]
fn head_u32<B: bytemuck::Pod, const R: usize>(xs: &[&[B]; R], b: usize) -> v128 {
    let mut v = [0u32; 4];
    for (o, x) in v.iter_mut().zip(xs) {
        let bytes: &[u8] = bytemuck::bytes_of(&x[b]);
        *o = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    }
    u32x4(v[0], v[1], v[2], v[3])
}

/// Lane `r` of `v` in all four lanes.
#[inline(always)]
fn lane_splat(v: v128, r: usize) -> v128 {
    match r {
        0 => i32x4_shuffle::<0, 0, 0, 0>(v, v),
        1 => i32x4_shuffle::<1, 1, 1, 1>(v, v),
        2 => i32x4_shuffle::<2, 2, 2, 2>(v, v),
        _ => i32x4_shuffle::<3, 3, 3, 3>(v, v),
    }
}

/// `f(0)`, `f(1)`, … `f(R - 1)` written out: with the row index a constant in each call, a
/// tile's per-row accumulators and row slices become plain wasm locals. (A `for r in 0..R`
/// loop over a large body was left rolled by LLVM, which then kept those arrays in linear
/// memory and loaded, stored and bounds-checked them on every block: slower than the pair
/// kernels.)
#[inline(always)]
fn unroll<const R: usize>(mut f: impl FnMut(usize)) {
    const { assert!(R <= 4) };
    if R > 0 {
        f(0);
    }
    if R > 1 {
        f(1);
    }
    if R > 2 {
        f(2);
    }
    if R > 3 {
        f(3);
    }
}

/// The fp16 `d` of every activation block, as f32.
fn q8_0_scales(y: &[BlockQ8_0]) -> Vec<f32> {
    y.iter().map(|b| fp16_le_to_f32(b.d)).collect()
}

/// `R` rows of a legacy type against Q8_0 activations: `q(block) -> (low 16, high 16)` signed
/// weight bytes of a block, whose fp16 `d` is its first two bytes. Each row's steps are the
/// pair kernel's (the scale product `d_w · d_a` is the same f32 multiply, four rows per
/// instruction).
#[inline(always)]
fn legacy_rows<B: bytemuck::Pod, const R: usize>(
    xs: [&[B]; R],
    y: &[BlockQ8_0],
    ad: &[f32],
    out: &mut [f32],
    q: impl Fn(&B) -> (v128, v128),
) {
    let nb = y.len();
    let ad = &ad[..nb];
    // Same length as `y`: lets the compiler drop the bounds checks in the loop.
    let xs = xs.map(|x| &x[..nb]);
    let mut acc = [f32x4_splat(0.0); R];
    for b in 0..nb {
        let (a0, a1) = (ld_i8(a16(&y[b].qs, 0)), ld_i8(a16(&y[b].qs, 16)));
        unroll::<R>(|r| {
            let bx = &xs[r][b];
            let (q0, q1) = q(bx);
            let s = i32x4_add(dot16(q0, a0), dot16(q1, a1));
            let d: [u8; 2] = bytemuck::bytes_of(bx)[..2].try_into().expect("2 bytes");
            acc[r] = fma_block(acc[r], s, fp16_le_to_f32(d) * ad[b]);
        });
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o = hsum(a);
    }
}

fn mv_legacy<B: bytemuck::Pod>(
    w: &[u8],
    rb: usize,
    a: &[u8],
    out: &mut [f32],
    q: impl Fn(&B) -> (v128, v128) + Copy,
) {
    let y: &[BlockQ8_0] = cast_slice(a);
    let ad = q8_0_scales(y);
    row_tiles(
        w,
        rb,
        out,
        |xs: [&[B]; 4], o| legacy_rows(xs, y, &ad, o, q),
        |xs: [&[B]; 1], o| legacy_rows(xs, y, &ad, o, q),
    );
}

fn mv_q8_0(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    mv_legacy(w, rb, a, out, |b: &BlockQ8_0| {
        (ld_i8(a16(&b.qs, 0)), ld_i8(a16(&b.qs, 16)))
    });
}

fn mv_q4_0(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    mv_legacy(w, rb, a, out, |b: &BlockQ4_0| {
        let (lo, hi) = nibbles(&b.qs);
        let eight = i8x16_splat(8);
        (i8x16_sub(lo, eight), i8x16_sub(hi, eight))
    });
}

fn mv_q5_0(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    mv_legacy(w, rb, a, out, |b: &BlockQ5_0| {
        let (lo, hi) = nibbles(&b.qs);
        let (h0, h1) = fifth_bits(u32::from_le_bytes(b.qh));
        let sixteen = i8x16_splat(16);
        (
            i8x16_sub(v128_or(lo, h0), sixteen),
            i8x16_sub(v128_or(hi, h1), sixteen),
        )
    });
}

/// `R` Q4_1 rows against Q8_1 activations whose `d` and `s` are already f32. The four rows'
/// `d` and `m` are converted together, and their `m · s` sums kept one per lane.
#[inline(always)]
fn q4_1_rows<const R: usize>(
    xs: [&[BlockQ4_1]; R],
    y: &[BlockQ8_1],
    ad: &[f32],
    asum: &[f32],
    out: &mut [f32],
) {
    let nb = y.len();
    let (ad, asum) = (&ad[..nb], &asum[..nb]);
    let xs = xs.map(|x| &x[..nb]);
    let mut acc = [f32x4_splat(0.0); R];
    let mut summs = f32x4_splat(0.0);
    let lo16 = u32x4_splat(0xffff);
    for b in 0..nb {
        let (a0, a1) = (ld_i8(a16(&y[b].qs, 0)), ld_i8(a16(&y[b].qs, 16)));
        let dm = head_u32(&xs, b);
        let dd = f32x4_mul(f16x4_to_f32(v128_and(dm, lo16)), f32x4_splat(ad[b]));
        let m = f16x4_to_f32(u32x4_shr(dm, 16));
        summs = f32x4_add(summs, f32x4_mul(m, f32x4_splat(asum[b])));
        unroll::<R>(|r| {
            let (lo, hi) = nibbles(&xs[r][b].qs);
            let s = i32x4_add(dot16(lo, a0), dot16(hi, a1));
            acc[r] = f32x4_add(acc[r], f32x4_mul(f32x4_convert_i32x4(s), lane_splat(dd, r)));
        });
    }
    unroll::<R>(|r| {
        out[r] = hsum(acc[r]) + f32x4_extract_lane::<0>(lane_splat(summs, r));
    });
}

fn mv_q4_1(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    let y: &[BlockQ8_1] = cast_slice(a);
    let ad: Vec<f32> = y.iter().map(|b| fp16_le_to_f32(b.d)).collect();
    let asum: Vec<f32> = y.iter().map(|b| fp16_le_to_f32(b.s)).collect();
    row_tiles(
        w,
        rb,
        out,
        |xs, o| q4_1_rows::<4>(xs, y, &ad, &asum, o),
        |xs, o| q4_1_rows::<1>(xs, y, &ad, &asum, o),
    );
}

/// `R` Q4_K rows against Q8_K activations; per row, the pair kernel's steps.
#[inline(always)]
fn q4_k_rows<const R: usize>(xs: [&[BlockQ4K]; R], y: &[BlockQ8K], out: &mut [f32]) {
    let nb = y.len();
    let xs = xs.map(|x| &x[..nb]);
    let mut acc = [f32x4_splat(0.0); R];
    let mut accm = [0f32; R];
    let m4 = u8x16_splat(0x0F);
    for b in 0..nb {
        let by = &y[b];
        let yd = by.d();
        let mut sc = [[0u8; 8]; R];
        unroll::<R>(|r| {
            let bx = &xs[r][b];
            let mn;
            (sc[r], mn) = k4_scales(&bx.scales);
            let summs = bsums_dot(by, |j| i32::from(mn[j / 2]));
            accm[r] += fp16_le_to_f32(bx.dmin) * yd * summs as f32;
        });
        let mut sumi = [i32x4_splat(0); R];
        for c in 0..4 {
            let a_lo = [ld_i8(a16(&by.qs, 64 * c)), ld_i8(a16(&by.qs, 64 * c + 16))];
            let a_hi = [
                ld_i8(a16(&by.qs, 64 * c + 32)),
                ld_i8(a16(&by.qs, 64 * c + 48)),
            ];
            unroll::<R>(|r| {
                let bx = &xs[r][b];
                let mut s_lo = i32x4_splat(0);
                let mut s_hi = i32x4_splat(0);
                for half in 0..2 {
                    let q = ld(a16(&bx.qs, 32 * c + 16 * half));
                    s_lo = i32x4_add(s_lo, dot16(v128_and(q, m4), a_lo[half]));
                    s_hi = i32x4_add(s_hi, dot16(u8x16_shr(q, 4), a_hi[half]));
                }
                let (lo_sc, hi_sc) = (sc[r][2 * c], sc[r][2 * c + 1]);
                sumi[r] = i32x4_add(sumi[r], i32x4_mul(s_lo, i32x4_splat(i32::from(lo_sc))));
                sumi[r] = i32x4_add(sumi[r], i32x4_mul(s_hi, i32x4_splat(i32::from(hi_sc))));
            });
        }
        unroll::<R>(|r| {
            acc[r] = fma_block(acc[r], sumi[r], fp16_le_to_f32(xs[r][b].d) * yd);
        });
    }
    unroll::<R>(|r| {
        out[r] = hsum(acc[r]) - accm[r];
    });
}

fn mv_q4_k(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    let y: &[BlockQ8K] = cast_slice(a);
    row_tiles(
        w,
        rb,
        out,
        |xs, o| q4_k_rows::<4>(xs, y, o),
        |xs, o| q4_k_rows::<1>(xs, y, o),
    );
}

/// `R` Q6_K rows against Q8_K activations; per row, the pair kernel's steps.
#[inline(always)]
fn q6_k_rows<const R: usize>(xs: [&[BlockQ6K]; R], y: &[BlockQ8K], out: &mut [f32]) {
    let nb = y.len();
    let xs = xs.map(|x| &x[..nb]);
    let mut acc = [f32x4_splat(0.0); R];
    let (m4, m3, m32) = (u8x16_splat(0x0F), u8x16_splat(3), i8x16_splat(32));
    for b in 0..nb {
        let by = &y[b];
        let mut sumi = [i32x4_splat(0); R];
        for h in 0..2 {
            for half in 0..2 {
                let av: [v128; 4] =
                    core::array::from_fn(|k| ld_i8(a16(&by.qs, 128 * h + 32 * k + 16 * half)));
                unroll::<R>(|r| {
                    let bx = &xs[r][b];
                    let ql0 = ld(a16(&bx.ql, 64 * h + 16 * half));
                    let ql1 = ld(a16(&bx.ql, 64 * h + 32 + 16 * half));
                    let qh = ld(a16(&bx.qh, 32 * h + 16 * half));
                    for (k, &ak) in av.iter().enumerate() {
                        let src = if k & 1 == 0 { ql0 } else { ql1 };
                        let low = if k < 2 {
                            v128_and(src, m4)
                        } else {
                            u8x16_shr(src, 4)
                        };
                        let high = v128_and(u8x16_shr(qh, 2 * k as u32), m3);
                        let q = i8x16_sub(v128_or(low, i8x16_shl(high, 4)), m32);
                        let d = dot16(q, ak);
                        let sc = i32::from(bx.scales[(128 * h + 32 * k + 16 * half) / 16]);
                        sumi[r] = i32x4_add(sumi[r], i32x4_mul(d, i32x4_splat(sc)));
                    }
                });
            }
        }
        let yd = by.d();
        unroll::<R>(|r| {
            acc[r] = fma_block(acc[r], sumi[r], fp16_le_to_f32(xs[r][b].d) * yd);
        });
    }
    unroll::<R>(|r| {
        out[r] = hsum(acc[r]);
    });
}

fn mv_q6_k(w: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
    let y: &[BlockQ8K] = cast_slice(a);
    row_tiles(
        w,
        rb,
        out,
        |xs, o| q6_k_rows::<4>(xs, y, o),
        |xs, o| q6_k_rows::<1>(xs, y, o),
    );
}

/// 16 bytes from a fixed-size array.
#[inline]
fn ld(b: &[u8; 16]) -> v128 {
    // SAFETY: `b` is exactly 16 readable bytes; wasm loads need no alignment.
    unsafe { v128_load(b.as_ptr().cast()) }
}

#[inline]
fn ld_i8(b: &[i8; 16]) -> v128 {
    // SAFETY: as `ld`.
    unsafe { v128_load(b.as_ptr().cast()) }
}

/// Bytes `at..at + 16` of a slice as an array reference (panics rather than reading out of
/// bounds; callers index inside a block).
#[inline]
fn a16<T>(s: &[T], at: usize) -> &[T; 16] {
    s[at..at + 16].try_into().expect("16 elements")
}

/// Σ a·b over 16 signed bytes, spread over four i32 lanes.
#[inline]
fn dot16(a: v128, b: v128) -> v128 {
    let p = i16x8_add(i16x8_extmul_low_i8x16(a, b), i16x8_extmul_high_i8x16(a, b));
    i32x4_extadd_pairwise_i16x8(p)
}

#[inline]
fn hsum(v: v128) -> f32 {
    (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v))
        + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
}

/// `acc + d · float(sumi)` lane-wise.
#[inline]
fn fma_block(acc: v128, sumi: v128, d: f32) -> v128 {
    f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(sumi), f32x4_splat(d)))
}

/// 32 bits to two 16-byte masks holding 0x10 where the bit is set: Q5's fifth bits.
#[inline]
fn fifth_bits(qh: u32) -> (v128, v128) {
    let src = u32x4_splat(qh);
    let sel = u8x16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
    let lo_idx = u8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    let hi_idx = u8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    let bit = |idx| {
        let bytes = u8x16_swizzle(src, idx);
        v128_and(i8x16_eq(v128_and(bytes, sel), sel), u8x16_splat(0x10))
    };
    (bit(lo_idx), bit(hi_idx))
}

fn k_f32(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let (cw, rw) = w.as_chunks::<16>();
    let (ca, ra) = a.as_chunks::<16>();
    let mut acc = [f32x4_splat(0.0); 4];
    for (i, (x, y)) in cw.iter().zip(ca).enumerate() {
        acc[i % 4] = f32x4_add(acc[i % 4], f32x4_mul(ld(x), ld(y)));
    }
    let mut s = hsum(f32x4_add(
        f32x4_add(acc[0], acc[1]),
        f32x4_add(acc[2], acc[3]),
    ));
    for (x, y) in rw.as_chunks::<4>().0.iter().zip(ra.as_chunks::<4>().0) {
        s += f32::from_le_bytes(*x) * f32::from_le_bytes(*y);
    }
    s
}

fn k_q8_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ8_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    for (bx, by) in x.iter().zip(y) {
        let s = i32x4_add(
            dot16(ld_i8(a16(&bx.qs, 0)), ld_i8(a16(&by.qs, 0))),
            dot16(ld_i8(a16(&bx.qs, 16)), ld_i8(a16(&by.qs, 16))),
        );
        acc = fma_block(acc, s, fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d));
    }
    hsum(acc)
}

/// Low and high nibbles of 16 packed bytes: elements 0..16 and 16..32 of a legacy block.
#[inline]
fn nibbles(qs: &[u8; 16]) -> (v128, v128) {
    let q = ld(qs);
    (v128_and(q, u8x16_splat(0x0F)), u8x16_shr(q, 4))
}

fn k_q4_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let eight = i8x16_splat(8);
    for (bx, by) in x.iter().zip(y) {
        let (lo, hi) = nibbles(&bx.qs);
        let s = i32x4_add(
            dot16(i8x16_sub(lo, eight), ld_i8(a16(&by.qs, 0))),
            dot16(i8x16_sub(hi, eight), ld_i8(a16(&by.qs, 16))),
        );
        acc = fma_block(acc, s, fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d));
    }
    hsum(acc)
}

fn k_q4_1(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4_1] = cast_slice(w);
    let y: &[BlockQ8_1] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let mut summs = 0f32;
    for (bx, by) in x.iter().zip(y) {
        summs += fp16_le_to_f32(bx.m) * fp16_le_to_f32(by.s);
        let (lo, hi) = nibbles(&bx.qs);
        let s = i32x4_add(
            dot16(lo, ld_i8(a16(&by.qs, 0))),
            dot16(hi, ld_i8(a16(&by.qs, 16))),
        );
        acc = fma_block(acc, s, fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d));
    }
    hsum(acc) + summs
}

fn k_q5_0(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5_0] = cast_slice(w);
    let y: &[BlockQ8_0] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let sixteen = i8x16_splat(16);
    for (bx, by) in x.iter().zip(y) {
        let (lo, hi) = nibbles(&bx.qs);
        let (h0, h1) = fifth_bits(u32::from_le_bytes(bx.qh));
        let q0 = i8x16_sub(v128_or(lo, h0), sixteen);
        let q1 = i8x16_sub(v128_or(hi, h1), sixteen);
        let s = i32x4_add(
            dot16(q0, ld_i8(a16(&by.qs, 0))),
            dot16(q1, ld_i8(a16(&by.qs, 16))),
        );
        acc = fma_block(acc, s, fp16_le_to_f32(bx.d) * fp16_le_to_f32(by.d));
    }
    hsum(acc)
}

/// `Σ_j bsum_j · m(j)` over Q8_K's sixteen sub-block sums.
#[inline]
fn bsums_dot(by: &BlockQ8K, m: impl Fn(usize) -> i32) -> i32 {
    (0..16).map(|j| i32::from(by.bsum(j)) * m(j)).sum()
}

fn k_q2_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ2K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let mut accm = 0f32;
    let m3 = u8x16_splat(3);
    for (bx, by) in x.iter().zip(y) {
        let summs = bsums_dot(by, |j| i32::from(bx.scales[j] >> 4));
        accm += by.d() * fp16_le_to_f32(bx.dmin) * summs as f32;
        let mut sumi = i32x4_splat(0);
        for h in 0..2 {
            for half in 0..2 {
                let q2 = ld(a16(&bx.qs, 32 * h + 16 * half));
                for k in 0..4u32 {
                    let e0 = 128 * h + 32 * k as usize + 16 * half;
                    let q = v128_and(u8x16_shr(q2, 2 * k), m3);
                    let d = dot16(q, ld_i8(a16(&by.qs, e0)));
                    let sc = i32::from(bx.scales[e0 / 16] & 0xF);
                    sumi = i32x4_add(sumi, i32x4_mul(d, i32x4_splat(sc)));
                }
            }
        }
        acc = fma_block(acc, sumi, by.d() * fp16_le_to_f32(bx.d));
    }
    hsum(acc) - accm
}

fn k_q3_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ3K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let (m3, one, four) = (u8x16_splat(3), u8x16_splat(1), i8x16_splat(4));
    for (bx, by) in x.iter().zip(y) {
        let scales = bx.sub_scales();
        let mut sumi = i32x4_splat(0);
        for half in 0..2 {
            let hm = ld(a16(&bx.hmask, 16 * half));
            for h in 0..2 {
                let q3 = ld(a16(&bx.qs, 32 * h + 16 * half));
                for k in 0..4u32 {
                    let e0 = 128 * h + 32 * k as usize + 16 * half;
                    let low = v128_and(u8x16_shr(q3, 2 * k), m3);
                    let hb = v128_and(u8x16_shr(hm, 4 * h as u32 + k), one);
                    // q = low - 4 when the high bit is clear, low when it is set.
                    let q = i8x16_sub(v128_or(low, i8x16_shl(hb, 2)), four);
                    let d = dot16(q, ld_i8(a16(&by.qs, e0)));
                    let sc = i32::from(scales[e0 / 16]);
                    sumi = i32x4_add(sumi, i32x4_mul(d, i32x4_splat(sc)));
                }
            }
        }
        acc = fma_block(acc, sumi, fp16_le_to_f32(bx.d) * by.d());
    }
    hsum(acc)
}

fn k4_scales(packed: &[u8; 12]) -> ([u8; 8], [u8; 8]) {
    let mut sc = [0u8; 8];
    let mut mn = [0u8; 8];
    for j in 0..8 {
        (sc[j], mn[j]) = get_scale_min_k4(j, packed);
    }
    (sc, mn)
}

fn k_q4_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ4K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let mut accm = 0f32;
    let m4 = u8x16_splat(0x0F);
    for (bx, by) in x.iter().zip(y) {
        let (sc, mn) = k4_scales(&bx.scales);
        let summs = bsums_dot(by, |j| i32::from(mn[j / 2]));
        accm += fp16_le_to_f32(bx.dmin) * by.d() * summs as f32;
        let mut sumi = i32x4_splat(0);
        for c in 0..4 {
            let mut s_lo = i32x4_splat(0);
            let mut s_hi = i32x4_splat(0);
            for half in 0..2 {
                let q = ld(a16(&bx.qs, 32 * c + 16 * half));
                let lo = v128_and(q, m4);
                let hi = u8x16_shr(q, 4);
                s_lo = i32x4_add(s_lo, dot16(lo, ld_i8(a16(&by.qs, 64 * c + 16 * half))));
                s_hi = i32x4_add(s_hi, dot16(hi, ld_i8(a16(&by.qs, 64 * c + 32 + 16 * half))));
            }
            sumi = i32x4_add(sumi, i32x4_mul(s_lo, i32x4_splat(i32::from(sc[2 * c]))));
            sumi = i32x4_add(sumi, i32x4_mul(s_hi, i32x4_splat(i32::from(sc[2 * c + 1]))));
        }
        acc = fma_block(acc, sumi, fp16_le_to_f32(bx.d) * by.d());
    }
    hsum(acc) - accm
}

fn k_q5_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let mut accm = 0f32;
    let (m4, one) = (u8x16_splat(0x0F), u8x16_splat(1));
    for (bx, by) in x.iter().zip(y) {
        let (sc, mn) = k4_scales(&bx.scales);
        let summs = bsums_dot(by, |j| i32::from(mn[j / 2]));
        accm += fp16_le_to_f32(bx.dmin) * by.d() * summs as f32;
        let mut sumi = i32x4_splat(0);
        for c in 0..4 {
            let mut s_lo = i32x4_splat(0);
            let mut s_hi = i32x4_splat(0);
            for half in 0..2 {
                let q = ld(a16(&bx.qs, 32 * c + 16 * half));
                let qh = ld(a16(&bx.qh, 16 * half));
                let b_lo = v128_and(u8x16_shr(qh, 2 * c as u32), one);
                let b_hi = v128_and(u8x16_shr(qh, 2 * c as u32 + 1), one);
                let lo = v128_or(v128_and(q, m4), i8x16_shl(b_lo, 4));
                let hi = v128_or(u8x16_shr(q, 4), i8x16_shl(b_hi, 4));
                s_lo = i32x4_add(s_lo, dot16(lo, ld_i8(a16(&by.qs, 64 * c + 16 * half))));
                s_hi = i32x4_add(s_hi, dot16(hi, ld_i8(a16(&by.qs, 64 * c + 32 + 16 * half))));
            }
            sumi = i32x4_add(sumi, i32x4_mul(s_lo, i32x4_splat(i32::from(sc[2 * c]))));
            sumi = i32x4_add(sumi, i32x4_mul(s_hi, i32x4_splat(i32::from(sc[2 * c + 1]))));
        }
        acc = fma_block(acc, sumi, fp16_le_to_f32(bx.d) * by.d());
    }
    hsum(acc) - accm
}

fn k_q6_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ6K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = f32x4_splat(0.0);
    let (m4, m3, m32) = (u8x16_splat(0x0F), u8x16_splat(3), i8x16_splat(32));
    for (bx, by) in x.iter().zip(y) {
        let mut sumi = i32x4_splat(0);
        for h in 0..2 {
            for half in 0..2 {
                let ql0 = ld(a16(&bx.ql, 64 * h + 16 * half));
                let ql1 = ld(a16(&bx.ql, 64 * h + 32 + 16 * half));
                let qh = ld(a16(&bx.qh, 32 * h + 16 * half));
                for k in 0..4usize {
                    let src = if k & 1 == 0 { ql0 } else { ql1 };
                    let low = if k < 2 {
                        v128_and(src, m4)
                    } else {
                        u8x16_shr(src, 4)
                    };
                    let high = v128_and(u8x16_shr(qh, 2 * k as u32), m3);
                    let q = i8x16_sub(v128_or(low, i8x16_shl(high, 4)), m32);
                    let e0 = 128 * h + 32 * k + 16 * half;
                    let d = dot16(q, ld_i8(a16(&by.qs, e0)));
                    let sc = i32::from(bx.scales[e0 / 16]);
                    sumi = i32x4_add(sumi, i32x4_mul(d, i32x4_splat(sc)));
                }
            }
        }
        acc = fma_block(acc, sumi, fp16_le_to_f32(bx.d) * by.d());
    }
    hsum(acc)
}
