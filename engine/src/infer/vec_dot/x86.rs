//! AVX2 + FMA + F16C kernels for x86-64, selected at run time by [`available`]. Where the CPU
//! also has AVX-512 F/BW/VNNI, the legacy 32-element types use the tiles of [`avx512`] instead
//! (same integer block sums, fewer instructions per block); these stay for every other CPU.
//!
//! Each kernel computes the same integer block sums as its `scalar` twin with 256-bit integer
//! instructions: weights are unpacked to bytes, multiplied with the Q8 activations by
//! `vpmaddubsw` (unsigned × signed bytes, adjacent pairs summed to i16; the operands here
//! never reach its saturation limit because activation quants stay within ±127) and widened to
//! i32 by `vpmaddwd`, which also applies the integer sub-block scales. Only the final f32
//! combination (eight lanes, FMA) differs from the scalar order. The techniques are the ones
//! ggml's x86 kernels use (ggml/src/ggml-cpu/arch/x86/quants.c); the code is written here.
//!
//! Every function with `#[target_feature]` is reached only through the plain `fn` wrappers at
//! the bottom, and those only through [`dot_fn`], which returns them only when [`available`].

use std::arch::x86_64::*;

use bytemuck::cast_slice;

use super::DotFn;

mod avx512;
use crate::GgmlType;
use crate::quant::kquants::{BlockQ2K, BlockQ3K, BlockQ4K, BlockQ5K, BlockQ6K, BlockQ8K};
use crate::quant::legacy::{BlockQ4_0, BlockQ4_1, BlockQ5_0, BlockQ8_0, BlockQ8_1};

/// True when the CPU has everything these kernels use.
pub fn available() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
}

/// The kernel set in use, for reports: `avx512` when the AVX-512 VNNI tiles replace some AVX2
/// ones.
pub fn name() -> &'static str {
    if avx512::available() {
        "avx512"
    } else {
        "avx2"
    }
}

/// The AVX2 (or, for Q8_0, Q4_1 and Q5_0 where the CPU has it, AVX-512 VNNI) kernel for `ty`, when this CPU can run it and one exists.
pub fn dot_fn(ty: GgmlType) -> Option<DotFn> {
    if !available() {
        return None;
    }
    use GgmlType as G;
    if avx512::available() {
        match ty {
            G::Q8_0 => return Some(avx512::w_q8_0),
            G::Q4_1 => return Some(avx512::w_q4_1),
            G::Q5_0 => return Some(avx512::w_q5_0),
            G::Q6_K => return Some(avx512::w_q6_k),
            _ => {}
        }
    }
    Some(match ty {
        G::F32 => w_f32,
        G::F16 => w_f16,
        G::Q8_0 => w_q8_0,
        G::Q4_0 => w_q4_0,
        G::Q4_1 => w_q4_1,
        G::Q5_0 => w_q5_0,
        G::Q2_K => w_q2_k,
        G::Q3_K => w_q3_k,
        G::Q4_K => w_q4_k,
        G::Q5_K => w_q5_k,
        G::Q6_K => w_q6_k,
        _ => return None,
    })
}

// ------------------------------------------------------------------------------ helpers

/// 32 bytes from a fixed-size array (its type guarantees the length).
#[inline]
#[target_feature(enable = "avx2")]
fn load32(b: &[u8; 32]) -> __m256i {
    // SAFETY: `b` is exactly 32 readable bytes; the load is unaligned.
    unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn load32_i8(b: &[i8; 32]) -> __m256i {
    // SAFETY: as `load32`.
    unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
}

#[inline]
#[target_feature(enable = "avx2")]
fn load16(b: &[u8; 16]) -> __m128i {
    // SAFETY: `b` is exactly 16 readable bytes; the load is unaligned.
    unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
}

/// The first 32 bytes of `s` (callers index within a block, so this never fails in practice;
/// a short slice would panic rather than read out of bounds).
#[inline]
fn arr32<T>(s: &[T]) -> &[T; 32] {
    s[..32].try_into().expect("32 elements")
}

/// fp16 bits to f32 with F16C.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn h2f(b: [u8; 2]) -> f32 {
    _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(
        u16::from_le_bytes(b),
    ))))
}

/// Sum of the eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hsum_ps(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// 16 packed bytes of nibbles to 32 bytes: low nibbles first (elements 0..16), then the high
/// nibbles (elements 16..32): the legacy formats' element order.
#[inline]
#[target_feature(enable = "avx2")]
fn nibbles_legacy(qs: &[u8; 16]) -> __m256i {
    let t = load16(qs);
    let both = _mm256_set_m128i(_mm_srli_epi16::<4>(t), t);
    _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
}

/// A 32-bit mask to 32 bytes: byte `i` is 0xFF when bit `i` is set, else 0.
#[inline]
#[target_feature(enable = "avx2")]
fn bits_to_bytes(bits: u32) -> __m256i {
    // Byte i takes source byte i/8 (vpshufb works per 128-bit lane; both lanes hold all four
    // source bytes after the broadcast), then keeps bit i%8.
    let shuf = _mm256_set_epi64x(
        0x0303_0303_0303_0303,
        0x0202_0202_0202_0202,
        0x0101_0101_0101_0101,
        0x0000_0000_0000_0000,
    );
    let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(bits as i32), shuf);
    let sel = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
    _mm256_cmpeq_epi8(_mm256_and_si256(bytes, sel), sel)
}

/// Two 16-bit scales as a vector whose low eight i16 lanes are `lo` and high eight `hi`: the
/// multiplier for a `vpmaddubsw` result covering two 16-element sub-blocks.
#[inline]
#[target_feature(enable = "avx2")]
fn scale_pair(lo: i16, hi: i16) -> __m256i {
    _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo))
}

// ------------------------------------------------------------------------------ kernels

#[target_feature(enable = "avx2,fma")]
fn k_f32(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let n = w.len() / 4;
    let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 ≤ n, so bytes [4i, 4i + 64) are inside both slices; loads are unaligned.
        unsafe {
            let wp = w.as_ptr().add(4 * i).cast::<f32>();
            let ap = a.as_ptr().add(4 * i).cast::<f32>();
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(wp), _mm256_loadu_ps(ap), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(wp.add(8)), _mm256_loadu_ps(ap.add(8)), acc1);
        }
        i += 16;
    }
    let mut sum = hsum_ps(_mm256_add_ps(acc0, acc1));
    for j in i..n {
        let x = f32::from_le_bytes(w[4 * j..4 * j + 4].try_into().expect("4 bytes"));
        let y = f32::from_le_bytes(a[4 * j..4 * j + 4].try_into().expect("4 bytes"));
        sum += x * y;
    }
    sum
}

#[target_feature(enable = "avx2,fma,f16c")]
fn k_f16(w: &[u8], a: &[u8]) -> f32 {
    debug_assert_eq!(w.len(), a.len());
    let n = w.len() / 2;
    let mut acc = _mm256_setzero_ps();
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 ≤ n, so bytes [2i, 2i + 16) are inside both slices; loads are unaligned.
        let (x, y) = unsafe {
            (
                _mm_loadu_si128(w.as_ptr().add(2 * i).cast()),
                _mm_loadu_si128(a.as_ptr().add(2 * i).cast()),
            )
        };
        acc = _mm256_fmadd_ps(_mm256_cvtph_ps(x), _mm256_cvtph_ps(y), acc);
        i += 8;
    }
    let mut sum = hsum_ps(acc);
    for j in i..n {
        sum += h2f([w[2 * j], w[2 * j + 1]]) * h2f([a[2 * j], a[2 * j + 1]]);
    }
    sum
}

/// `Σ_j bsum_j · m_j` for sixteen Q8_K `bsums` and per-16 multipliers.
#[inline]
fn bsums_dot(by: &BlockQ8K, m: impl Fn(usize) -> i32) -> i32 {
    (0..16).map(|j| i32::from(by.bsum(j)) * m(j)).sum()
}

#[target_feature(enable = "avx2,fma,f16c")]
fn k_q2_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ2K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = _mm256_setzero_ps();
    let mut accm = 0f32;
    let m3 = _mm256_set1_epi8(3);
    for (bx, by) in x.iter().zip(y) {
        let summs = bsums_dot(by, |j| i32::from(bx.scales[j] >> 4));
        accm += by.d() * h2f(bx.dmin) * summs as f32;
        let mut sumi = _mm256_setzero_si256();
        for h in 0..2 {
            let q2 = load32(arr32(&bx.qs[32 * h..]));
            for k in 0..4 {
                let q = _mm256_and_si256(_mm256_srl_epi16(q2, _mm_cvtsi32_si128(2 * k)), m3);
                let e0 = 128 * h + 32 * k as usize;
                let p16 = _mm256_maddubs_epi16(q, load32_i8(arr32(&by.qs[e0..])));
                let sc = scale_pair(
                    i16::from(bx.scales[e0 / 16] & 0xF),
                    i16::from(bx.scales[e0 / 16 + 1] & 0xF),
                );
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, sc));
            }
        }
        let d = _mm256_set1_ps(by.d() * h2f(bx.d));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
    }
    hsum_ps(acc) - accm
}

#[target_feature(enable = "avx2,fma,f16c")]
fn k_q3_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ3K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = _mm256_setzero_ps();
    let m3 = _mm256_set1_epi8(3);
    let one = _mm256_set1_epi8(1);
    let four = _mm256_set1_epi8(4);
    for (bx, by) in x.iter().zip(y) {
        let scales = bx.sub_scales();
        let hmask = load32(&bx.hmask);
        let mut sumi = _mm256_setzero_si256();
        for h in 0..2 {
            let q3 = load32(arr32(&bx.qs[32 * h..]));
            for k in 0..4 {
                let low = _mm256_and_si256(_mm256_srl_epi16(q3, _mm_cvtsi32_si128(2 * k)), m3);
                let bit = 4 * h as i32 + k;
                let hb = _mm256_and_si256(_mm256_srl_epi16(hmask, _mm_cvtsi32_si128(bit)), one);
                // q + 4 = low + 4·bit is in 0..8 (unsigned for vpmaddubsw); the 4 comes back
                // off through 4·Σq8.
                let qp = _mm256_or_si256(low, _mm256_slli_epi16::<2>(hb));
                let e0 = 128 * h + 32 * k as usize;
                let q8 = load32_i8(arr32(&by.qs[e0..]));
                let p16 =
                    _mm256_sub_epi16(_mm256_maddubs_epi16(qp, q8), _mm256_maddubs_epi16(four, q8));
                let sc = scale_pair(i16::from(scales[e0 / 16]), i16::from(scales[e0 / 16 + 1]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, sc));
            }
        }
        let d = _mm256_set1_ps(h2f(bx.d) * by.d());
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
    }
    hsum_ps(acc)
}

/// Q4_K/Q5_K's eight 6-bit scales and mins.
#[inline]
fn k4_scales(packed: &[u8; 12]) -> ([u8; 8], [u8; 8]) {
    let mut sc = [0u8; 8];
    let mut mn = [0u8; 8];
    for j in 0..8 {
        (sc[j], mn[j]) = crate::quant::kquants::get_scale_min_k4(j, packed);
    }
    (sc, mn)
}

#[target_feature(enable = "avx2,fma,f16c")]
fn k_q5_k(w: &[u8], a: &[u8]) -> f32 {
    let x: &[BlockQ5K] = cast_slice(w);
    let y: &[BlockQ8K] = cast_slice(a);
    debug_assert_eq!(x.len(), y.len());
    let mut acc = _mm256_setzero_ps();
    let mut accm = 0f32;
    let m4 = _mm256_set1_epi8(0x0F);
    let one = _mm256_set1_epi8(1);
    for (bx, by) in x.iter().zip(y) {
        let (sc, mn) = k4_scales(&bx.scales);
        let summs = bsums_dot(by, |j| i32::from(mn[j / 2]));
        accm += h2f(bx.dmin) * by.d() * summs as f32;
        let qh = load32(&bx.qh);
        let mut sumi = _mm256_setzero_si256();
        for c in 0..4 {
            let q5 = load32(arr32(&bx.qs[32 * c..]));
            // Sub-block 2c takes its fifth bit from bit 2c of qh, sub-block 2c+1 from 2c+1.
            let b_lo = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c as i32)), one);
            let b_hi = _mm256_and_si256(
                _mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * c as i32 + 1)),
                one,
            );
            let lo = _mm256_or_si256(_mm256_and_si256(q5, m4), _mm256_slli_epi16::<4>(b_lo));
            let hi = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16::<4>(q5), m4),
                _mm256_slli_epi16::<4>(b_hi),
            );
            let p_lo = _mm256_maddubs_epi16(lo, load32_i8(arr32(&by.qs[64 * c..])));
            let p_hi = _mm256_maddubs_epi16(hi, load32_i8(arr32(&by.qs[64 * c + 32..])));
            sumi = _mm256_add_epi32(
                sumi,
                _mm256_madd_epi16(p_lo, _mm256_set1_epi16(i16::from(sc[2 * c]))),
            );
            sumi = _mm256_add_epi32(
                sumi,
                _mm256_madd_epi16(p_hi, _mm256_set1_epi16(i16::from(sc[2 * c + 1]))),
            );
        }
        let d = _mm256_set1_ps(h2f(bx.d) * by.d());
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
    }
    hsum_ps(acc) - accm
}

// ------------------------------------------------------------------------------ tile kernels
//
// `t_<type>::<R, T>` computes the R×T dot products of R weight rows with T activation rows in
// one pass over the blocks: each weight block is unpacked once for all T activation rows and
// each activation block loaded once for all R weight rows (decode uses 4×1, prompt processing
// 2×4). Every (row, token) pair goes through the same operations in the same order whatever
// R and T are, so a tile gives bit-identical results to the 1×1 kernel (tested).

#[inline]
#[target_feature(enable = "avx2")]
fn load_bsums(by: &BlockQ8K) -> __m256i {
    // SAFETY: `bsums` is 16 × 2 = 32 readable bytes; the load is unaligned.
    unsafe { _mm256_loadu_si256(by.bsums.as_ptr().cast()) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn t_q8_0<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ8_0]; R] = w.map(cast_slice);
    let y: [&[BlockQ8_0]; T] = a.map(cast_slice);
    let nb = y[0].len();
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); T]; R];
    for i in 0..nb {
        let mut qy = [_mm256_setzero_si256(); T];
        let mut dy = [0f32; T];
        for t in 0..T {
            qy[t] = load32_i8(&y[t][i].qs);
            dy[t] = h2f(y[t][i].d);
        }
        for r in 0..R {
            let bx = &x[r][i];
            let qx = load32_i8(&bx.qs);
            let ax = _mm256_sign_epi8(qx, qx);
            let dx = h2f(bx.d);
            for t in 0..T {
                let sy = _mm256_sign_epi8(qy[t], qx);
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones);
                let d = _mm256_set1_ps(dx * dy[t]);
                acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[r][t]);
            }
        }
    }
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum_ps(acc[r][t]);
        }
    }
}

/// Shared body of the 4-bit and 5-bit legacy tiles: `unpack` gives the 32 weight quants of a
/// block as bytes (signed when `signed`), `mins` the block's min (Q4_1) or `None`.
macro_rules! legacy_tile {
    ($name:ident, $wblock:ty, $ablock:ty, $signed:expr, |$bx:ident| $unpack:expr, |$mb:ident, $ab:ident| $min:expr) => {
        #[target_feature(enable = "avx2,fma,f16c")]
        fn $name<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
            let x: [&[$wblock]; R] = w.map(cast_slice);
            let y: [&[$ablock]; T] = a.map(cast_slice);
            let nb = y[0].len();
            let ones = _mm256_set1_epi16(1);
            let mut acc = [[_mm256_setzero_ps(); T]; R];
            let mut summs = [[0f32; T]; R];
            for i in 0..nb {
                let mut qy = [_mm256_setzero_si256(); T];
                let mut dy = [0f32; T];
                for t in 0..T {
                    qy[t] = load32_i8(&y[t][i].qs);
                    dy[t] = h2f(y[t][i].d);
                }
                for r in 0..R {
                    let $bx = &x[r][i];
                    let qx: __m256i = $unpack;
                    let ax = if $signed {
                        _mm256_sign_epi8(qx, qx)
                    } else {
                        qx
                    };
                    let dx = h2f($bx.d);
                    for t in 0..T {
                        let sy = if $signed {
                            _mm256_sign_epi8(qy[t], qx)
                        } else {
                            qy[t]
                        };
                        let p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones);
                        let d = _mm256_set1_ps(dx * dy[t]);
                        acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[r][t]);
                        let $mb = $bx;
                        let $ab = &y[t][i];
                        summs[r][t] += $min;
                    }
                }
            }
            for r in 0..R {
                for t in 0..T {
                    out[r * T + t] = hsum_ps(acc[r][t]) + summs[r][t];
                }
            }
        }
    };
}

legacy_tile!(
    t_q4_0,
    BlockQ4_0,
    BlockQ8_0,
    true,
    |bx| _mm256_sub_epi8(nibbles_legacy(&bx.qs), _mm256_set1_epi8(8)),
    |_b, _a| 0.0
);
/// Two adjacent fp16 fields (`d` and `m` of Q4_1, `d` and `s` of Q8_1) as lanes 0 and 1.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn h2f_pair(a: [u8; 2], b: [u8; 2]) -> __m128 {
    _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from_le_bytes([
        a[0], a[1], b[0], b[1],
    ])))
}

/// Q4_1 × Q8_1 tile. `[dx, mx] · [dy, sy]` in one multiply gives both the block scale (lane 0,
/// broadcast for the FMA) and the min term (lane 1, summed separately), in the same order as
/// the scalar kernel.
#[target_feature(enable = "avx2,fma,f16c")]
fn t_q4_1<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ4_1]; R] = w.map(cast_slice);
    let y: [&[BlockQ8_1]; T] = a.map(cast_slice);
    let nb = y[0].len();
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_ps(); T]; R];
    let mut summs = [[_mm_setzero_ps(); T]; R];
    for i in 0..nb {
        let mut qy = [_mm256_setzero_si256(); T];
        let mut ds = [_mm_setzero_ps(); T];
        for t in 0..T {
            qy[t] = load32_i8(&y[t][i].qs);
            ds[t] = h2f_pair(y[t][i].d, y[t][i].s);
        }
        for r in 0..R {
            let bx = &x[r][i];
            let qx = nibbles_legacy(&bx.qs);
            let dm = h2f_pair(bx.d, bx.m);
            for t in 0..T {
                let prod = _mm_mul_ps(dm, ds[t]);
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(qx, qy[t]), ones);
                let d = _mm256_broadcastss_ps(prod);
                acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[r][t]);
                summs[r][t] = _mm_add_ps(summs[r][t], prod);
            }
        }
    }
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum_ps(acc[r][t]) + _mm_cvtss_f32(_mm_movehdup_ps(summs[r][t]));
        }
    }
}

// q - 16 as a signed byte: the low nibble when the fifth bit is set, else the low nibble with
// 0xF0 OR-ed in (i.e. minus 16).
legacy_tile!(
    t_q5_0,
    BlockQ5_0,
    BlockQ8_0,
    true,
    |bx| _mm256_or_si256(
        nibbles_legacy(&bx.qs),
        _mm256_andnot_si256(
            bits_to_bytes(u32::from_le_bytes(bx.qh)),
            _mm256_set1_epi8(0xF0u8 as i8)
        )
    ),
    |_b, _a| 0.0
);

#[target_feature(enable = "avx2,fma,f16c")]
fn t_q4_k<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ4K]; R] = w.map(cast_slice);
    let y: [&[BlockQ8K]; T] = a.map(cast_slice);
    let nb = y[0].len();
    let m4 = _mm256_set1_epi8(0x0F);
    let mut acc = [[_mm256_setzero_ps(); T]; R];
    for i in 0..nb {
        let mut dy = [0f32; T];
        let mut bsums = [_mm256_setzero_si256(); T];
        for t in 0..T {
            dy[t] = y[t][i].d();
            bsums[t] = load_bsums(&y[t][i]);
        }
        for r in 0..R {
            let bx = &x[r][i];
            let (sc, mn) = k4_scales(&bx.scales);
            // mins[j/2] against bsums[j]: lane k of vpmaddwd = (bsum 2k + bsum 2k+1)·min k.
            let m = |k: usize| i16::from(mn[k]);
            let mins = _mm256_setr_epi16(
                m(0),
                m(0),
                m(1),
                m(1),
                m(2),
                m(2),
                m(3),
                m(3),
                m(4),
                m(4),
                m(5),
                m(5),
                m(6),
                m(6),
                m(7),
                m(7),
            );
            let mut sumi = [_mm256_setzero_si256(); T];
            for c in 0..4 {
                let q4 = load32(arr32(&bx.qs[32 * c..]));
                let lo = _mm256_and_si256(q4, m4);
                let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(q4), m4);
                let s_lo = _mm256_set1_epi16(i16::from(sc[2 * c]));
                let s_hi = _mm256_set1_epi16(i16::from(sc[2 * c + 1]));
                for t in 0..T {
                    let p_lo = _mm256_maddubs_epi16(lo, load32_i8(arr32(&y[t][i].qs[64 * c..])));
                    let p_hi =
                        _mm256_maddubs_epi16(hi, load32_i8(arr32(&y[t][i].qs[64 * c + 32..])));
                    sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p_lo, s_lo));
                    sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p_hi, s_hi));
                }
            }
            let (dx, dminx) = (h2f(bx.d), h2f(bx.dmin));
            for t in 0..T {
                let d = _mm256_set1_ps(dx * dy[t]);
                acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi[t]), acc[r][t]);
                let summs = _mm256_madd_epi16(bsums[t], mins);
                let dm = _mm256_set1_ps(dminx * dy[t]);
                acc[r][t] = _mm256_fnmadd_ps(dm, _mm256_cvtepi32_ps(summs), acc[r][t]);
            }
        }
    }
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum_ps(acc[r][t]);
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn t_q6_k<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ6K]; R] = w.map(cast_slice);
    let y: [&[BlockQ8K]; T] = a.map(cast_slice);
    let nb = y[0].len();
    let m4 = _mm256_set1_epi8(0x0F);
    let m3 = _mm256_set1_epi8(3);
    let mut acc = [[_mm256_setzero_ps(); T]; R];
    for i in 0..nb {
        let mut dy = [0f32; T];
        let mut bsums = [_mm256_setzero_si256(); T];
        for t in 0..T {
            dy[t] = y[t][i].d();
            bsums[t] = load_bsums(&y[t][i]);
        }
        for r in 0..R {
            let bx = &x[r][i];
            // SAFETY: `scales` is 16 readable bytes; the load is unaligned.
            let sc8 = unsafe { _mm_loadu_si128(bx.scales.as_ptr().cast()) };
            let sc16 = _mm256_cvtepi8_epi16(sc8);
            let mut sumi = [_mm256_setzero_si256(); T];
            for h in 0..2 {
                let ql0 = load32(arr32(&bx.ql[64 * h..]));
                let ql1 = load32(arr32(&bx.ql[64 * h + 32..]));
                let qh = load32(arr32(&bx.qh[32 * h..]));
                for k in 0..4usize {
                    let src = if k & 1 == 0 { ql0 } else { ql1 };
                    let low = if k < 2 {
                        _mm256_and_si256(src, m4)
                    } else {
                        _mm256_and_si256(_mm256_srli_epi16::<4>(src), m4)
                    };
                    let high =
                        _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * k as i32)), m3);
                    // The unsigned 6-bit quant q (0..64); its -32 offset is applied below
                    // through Q8_K's block sums.
                    let q = _mm256_or_si256(low, _mm256_slli_epi16::<4>(high));
                    let e0 = 128 * h + 32 * k;
                    let sc = scale_pair(
                        i16::from(bx.scales[e0 / 16]),
                        i16::from(bx.scales[e0 / 16 + 1]),
                    );
                    for t in 0..T {
                        let p16 = _mm256_maddubs_epi16(q, load32_i8(arr32(&y[t][i].qs[e0..])));
                        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(p16, sc));
                    }
                }
            }
            let dx = h2f(bx.d);
            for t in 0..T {
                // Σ_j scale_j · Σ(q - 32)·q8 = Σ_j scale_j · Σ q·q8 - 32 · Σ_j scale_j · bsum_j.
                let off = _mm256_slli_epi32::<5>(_mm256_madd_epi16(bsums[t], sc16));
                let total = _mm256_sub_epi32(sumi[t], off);
                let d = _mm256_set1_ps(dx * dy[t]);
                acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(total), acc[r][t]);
            }
        }
    }
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum_ps(acc[r][t]);
        }
    }
}

/// `[&[u8]; N]` from a slice of exactly N row slices.
#[inline]
fn rows<'a, const N: usize>(s: &[&'a [u8]]) -> [&'a [u8]; N] {
    s.try_into().expect("tile shape")
}

/// Generates the safe tile entry point (dispatching on the shape) and the 1×1 pair kernel
/// of a tile kernel; shared by the AVX2 kernels here and the AVX-512 ones in `avx512`.
macro_rules! tile_entry {
    ($($tile:ident, $pair:ident => $k:ident);* $(;)?) => {$(
        pub(super) fn $tile(w: &[&[u8]], a: &[&[u8]], out: &mut [f32]) {
            debug_assert_eq!(out.len(), w.len() * a.len());
            // SAFETY: `tile_fn` / `dot_fn` hand this out only when the `available()` of the
            // module that defines it confirmed every feature its kernel `$k` enables.
            unsafe {
                match (w.len(), a.len()) {
                    (4, 1) => $k::<4, 1>(rows(w), rows(a), out),
                    (2, 4) => $k::<2, 4>(rows(w), rows(a), out),
                    (2, 3) => $k::<2, 3>(rows(w), rows(a), out),
                    (2, 2) => $k::<2, 2>(rows(w), rows(a), out),
                    (2, 1) => $k::<2, 1>(rows(w), rows(a), out),
                    (1, 4) => $k::<1, 4>(rows(w), rows(a), out),
                    (1, 3) => $k::<1, 3>(rows(w), rows(a), out),
                    (1, 2) => $k::<1, 2>(rows(w), rows(a), out),
                    (nw, na) => {
                        for r in 0..nw {
                            for t in 0..na {
                                $k::<1, 1>([w[r]], [a[t]], &mut out[r * na + t..r * na + t + 1]);
                            }
                        }
                    }
                }
            }
        }

        pub(super) fn $pair(w: &[u8], a: &[u8]) -> f32 {
            let mut out = [0f32];
            // SAFETY: as above: only reachable when the CPU has the features.
            unsafe { $k::<1, 1>([w], [a], &mut out) };
            out[0]
        }
    )*};
}
pub(crate) use tile_entry;

tile_entry!(
    tile_q8_0, w_q8_0 => t_q8_0;
    tile_q4_0, w_q4_0 => t_q4_0;
    tile_q4_1, w_q4_1 => t_q4_1;
    tile_q5_0, w_q5_0 => t_q5_0;
    tile_q4_k, w_q4_k => t_q4_k;
    tile_q6_k, w_q6_k => t_q6_k;
);

/// Weight rows a decode matvec prefetches ahead of the 4-row tile it computes.
const MATVEC_PREFETCH_ROWS: usize = 16;

/// Asks for the cache lines of `wb[from..from + len]` (clipped to `wb`): plain pointer steps,
/// since a bounds check per line would cost more than the prefetches (a prefetch never faults).
#[inline(always)]
fn prefetch_range(wb: &[u8], from: usize, len: usize) {
    if from < wb.len() {
        let end = (from + len).min(wb.len());
        let base = wb.as_ptr();
        let mut off = from;
        while off < end {
            super::prefetch(base.wrapping_add(off));
            off += 64;
        }
    }
}

/// Generates a whole-matrix decode kernel ([`super::MatVecFn`]) from a tile kernel: 4-row
/// tiles over the matrix, the rows [`MATVEC_PREFETCH_ROWS`] ahead prefetched, the last
/// rows one at a time. `$feat` are the tile kernel's target features, so it inlines here.
macro_rules! matvec_entry {
    ($feat:literal: $($mv:ident => $k:ident);* $(;)?) => {$(
        pub(super) fn $mv(wb: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
            #[target_feature(enable = $feat)]
            fn run(wb: &[u8], rb: usize, a: &[u8], out: &mut [f32]) {
                let n = out.len();
                debug_assert_eq!(wb.len(), n * rb);
                // The loop below asks for rows 16 ahead: start the first 16 now too.
                $crate::infer::vec_dot::x86::prefetch_range(
                    wb,
                    0,
                    $crate::infer::vec_dot::x86::MATVEC_PREFETCH_ROWS * rb,
                );
                let mut r = 0;
                while r + 4 <= n {
                    $crate::infer::vec_dot::x86::prefetch_range(
                        wb,
                        (r + $crate::infer::vec_dot::x86::MATVEC_PREFETCH_ROWS) * rb,
                        4 * rb,
                    );
                    let w: [&[u8]; 4] = std::array::from_fn(|k| &wb[(r + k) * rb..(r + k + 1) * rb]);
                    $k::<4, 1>(w, [a], &mut out[r..r + 4]);
                    r += 4;
                }
                while r < n {
                    $k::<1, 1>([&wb[r * rb..(r + 1) * rb]], [a], &mut out[r..r + 1]);
                    r += 1;
                }
            }
            // SAFETY: `matvec_fn` hands this out only when the CPU has `$feat`.
            unsafe { run(wb, rb, a, out) }
        }
    )*};
}
pub(crate) use matvec_entry;

matvec_entry!("avx2,fma,f16c":
    mv_q4_0 => t_q4_0;
    mv_q4_k => t_q4_k;
    mv_q6_k => t_q6_k;
    mv_q8_0 => t_q8_0;
    mv_q4_1 => t_q4_1;
    mv_q5_0 => t_q5_0;
);

/// The whole-matrix decode kernel for `ty`, on the same terms as [`tile_fn`].
pub fn matvec_fn(ty: GgmlType) -> Option<super::MatVecFn> {
    if !available() {
        return None;
    }
    use GgmlType as G;
    if avx512::available() {
        match ty {
            G::Q8_0 => return Some(avx512::mv_q8_0),
            G::Q4_1 => return Some(avx512::mv_q4_1),
            G::Q5_0 => return Some(avx512::mv_q5_0),
            G::Q6_K => return Some(avx512::mv_q6_k),
            _ => {}
        }
    }
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

/// The tile kernel for `ty` (AVX-512 VNNI where [`dot_fn`] picks it), when this CPU can run it
/// and one exists.
pub fn tile_fn(ty: GgmlType) -> Option<super::TileFn> {
    if !available() {
        return None;
    }
    use GgmlType as G;
    if avx512::available() {
        match ty {
            G::Q8_0 => return Some(avx512::tile_q8_0),
            G::Q4_1 => return Some(avx512::tile_q4_1),
            G::Q5_0 => return Some(avx512::tile_q5_0),
            G::Q6_K => return Some(avx512::tile_q6_k),
            _ => {}
        }
    }
    Some(match ty {
        G::Q8_0 => tile_q8_0,
        G::Q4_0 => tile_q4_0,
        G::Q4_1 => tile_q4_1,
        G::Q5_0 => tile_q5_0,
        G::Q4_K => tile_q4_k,
        G::Q6_K => tile_q6_k,
        _ => return None,
    })
}

// ------------------------------------------------------------------------------ activations

/// [`super::quantize_row_q8_0_cpu`] with AVX2, bit-identical to its scalar reference: per block
/// `amax` by lane-wise max (ignoring NaNs as `f32::max` does; max is exact in any order),
/// `q = cvt(round_even(x · id))`, `Σq` in wrapping i32 and the saturating packs. The scales
/// and their fp16 conversion are the scalar code's. Blocks whose `amax` or `127/amax` is not
/// finite take the scalar path (`vcvtps2dq` and the scalar clamp disagree on infinities).
pub fn quantize_row_q8(x: &[f32], out: &mut [u8], q8_1: bool) {
    // SAFETY: callers reach this only after `available()`.
    unsafe { quantize_row_q8_avx2(x, out, q8_1) }
}

#[target_feature(enable = "avx2,fma,f16c")]
fn quantize_row_q8_avx2(x: &[f32], out: &mut [u8], q8_1: bool) {
    let bb = if q8_1 { 36 } else { 34 };
    let head = bb - 32;
    let sign = _mm256_set1_ps(-0.0);
    for (xb, ob) in x.as_chunks::<32>().0.iter().zip(out.chunks_exact_mut(bb)) {
        // SAFETY: `xb` is 32 f32s; four unaligned loads of eight.
        let v: [__m256; 4] =
            std::array::from_fn(|k| unsafe { _mm256_loadu_ps(xb.as_ptr().add(8 * k)) });
        let mut m = _mm256_setzero_ps();
        for &vk in &v {
            // `maxps` returns its second operand when either is NaN: NaNs are skipped.
            m = _mm256_max_ps(_mm256_andnot_ps(sign, vk), m);
        }
        let m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps::<1>(m));
        let m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        let amax = _mm_cvtss_f32(_mm_max_ss(m2, _mm_movehdup_ps(m2)));
        let d = amax / 127.0;
        let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
        if !amax.is_finite() || !id.is_finite() {
            super::quantize_block_q8(xb, ob, q8_1);
            continue;
        }
        ob[0..2].copy_from_slice(&crate::quant::common::f32_to_fp16_le(d));
        let idv = _mm256_set1_ps(id);
        let q: [__m256i; 4] = v.map(|vk| {
            _mm256_cvtps_epi32(_mm256_round_ps::<
                { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
            >(_mm256_mul_ps(vk, idv)))
        });
        let s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        let s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256::<1>(s));
        let s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
        let sum = _mm_cvtsi128_si32(_mm_add_epi32(s2, _mm_shuffle_epi32::<1>(s2)));
        // The packs interleave 128-bit lanes; the permute puts the 32 bytes back in order.
        let p = _mm256_packs_epi16(
            _mm256_packs_epi32(q[0], q[1]),
            _mm256_packs_epi32(q[2], q[3]),
        );
        let p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        let dst: &mut [u8; 32] = (&mut ob[head..]).try_into().expect("32 quant bytes");
        // SAFETY: `dst` is exactly 32 writable bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), p) };
        if q8_1 {
            ob[2..4].copy_from_slice(&crate::quant::common::f32_to_fp16_le(d * sum as f32));
        }
    }
}

// ------------------------------------------------------------------------------ wrappers
//
// SAFETY (all wrappers): `dot_fn` hands these out only after `available()` confirmed AVX2, FMA
// and F16C, so calling the `#[target_feature]` kernels is sound.

macro_rules! wrap {
    ($($w:ident => $k:ident),* $(,)?) => {$(
        fn $w(w: &[u8], a: &[u8]) -> f32 {
            // SAFETY: see the note above: only reachable when the CPU has the features.
            unsafe { $k(w, a) }
        }
    )*};
}

wrap!(
    w_f32 => k_f32,
    w_f16 => k_f16,
    w_q2_k => k_q2_k,
    w_q3_k => k_q3_k,
    w_q5_k => k_q5_k,
);

#[cfg(test)]
mod tests {
    //! Both x86 kernel sets against the scalar reference, whatever this machine picks at run
    //! time: the AVX2 tiles must stay right for CPUs without AVX-512 even when the test machine
    //! has it. Scales are powers of two and quants small, so every f32 step is exact and the
    //! results must be bit-identical (any wrong integer block sum shows).

    use super::*;
    use crate::infer::vec_dot::{ActType, TileFn, scalar_dot_fn};

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    /// fp16 bits of 2^e.
    fn pow2_f16(e: i32) -> [u8; 2] {
        (((15 + e) as u16) << 10).to_le_bytes()
    }

    /// A weight row of `nb` blocks: random quant bytes, power-of-two scale fields.
    fn weight_row(ty: GgmlType, nb: usize, rng: &mut Rng) -> Vec<u8> {
        let fields: &[(usize, i32)] = match ty {
            GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => &[(0, -3)],
            GgmlType::Q4_1 => &[(0, -3), (2, -4)],
            GgmlType::Q6_K => &[(208, -3)],
            other => panic!("no layout for {other}"),
        };
        let mut w: Vec<u8> = (0..nb * ty.type_size()).map(|_| rng.next() as u8).collect();
        for blk in w.chunks_exact_mut(ty.type_size()) {
            for &(off, e) in fields {
                blk[off..off + 2].copy_from_slice(&pow2_f16(e));
            }
            if ty == GgmlType::Q6_K {
                // Sub-block scales in -16..=16 keep every sum well inside f32's exact range.
                for sc in &mut blk[192..208] {
                    *sc = ((*sc % 33) as i8 - 16) as u8;
                }
            }
            if ty == GgmlType::Q8_0 {
                // Activation-like range: -127..=127.
                for q in &mut blk[2..] {
                    *q = ((*q as i8).max(-127)) as u8;
                }
            }
        }
        w
    }

    /// An activation row of `nb` blocks: quants in -127..=127, scales 2^-6 (Q8_0, Q8_1) or
    /// 2^-7 (Q8_K, with its block sums).
    fn act_row(act: ActType, nb: usize, rng: &mut Rng) -> Vec<u8> {
        if act == ActType::Q8_K {
            let mut a = vec![0u8; nb * 292];
            for blk in a.as_chunks_mut::<292>().0 {
                blk[0..4].copy_from_slice(&(1.0f32 / 128.0).to_le_bytes());
                let qs: Vec<i8> = (0..256)
                    .map(|_| ((rng.next() % 255) as i32 - 127) as i8)
                    .collect();
                for (d, &q) in blk[4..260].iter_mut().zip(&qs) {
                    *d = q as u8;
                }
                for j in 0..16 {
                    let s: i32 = qs[16 * j..16 * j + 16].iter().map(|&q| i32::from(q)).sum();
                    blk[260 + 2 * j..262 + 2 * j].copy_from_slice(&(s as i16).to_le_bytes());
                }
            }
            return a;
        }
        let bb = act.block_bytes();
        let head = bb - 32;
        let mut a = vec![0u8; nb * bb];
        for blk in a.chunks_exact_mut(bb) {
            blk[0..2].copy_from_slice(&pow2_f16(-6));
            if head == 4 {
                blk[2..4].copy_from_slice(&pow2_f16(-2));
            }
            for q in &mut blk[head..] {
                *q = ((rng.next() % 255) as i32 - 127) as i8 as u8;
            }
        }
        a
    }

    /// Every (weight rows, activation rows) shape `tile` accepts, ragged ones included, for
    /// block counts odd and even, against the scalar kernel.
    fn check_tile(ty: GgmlType, tile: TileFn, name: &str) {
        let reference = scalar_dot_fn(ty).unwrap();
        let act = crate::infer::vec_dot::ActType::for_weight(ty).unwrap();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ty.id() as u64);
        for nb in [1usize, 2, 3, 9, 18] {
            let w: Vec<Vec<u8>> = (0..5).map(|_| weight_row(ty, nb, &mut rng)).collect();
            let a: Vec<Vec<u8>> = (0..5).map(|_| act_row(act, nb, &mut rng)).collect();
            for nr in 1..=5 {
                for nt in 1..=5 {
                    let ws: Vec<&[u8]> = w[..nr].iter().map(|v| v.as_slice()).collect();
                    let at: Vec<&[u8]> = a[..nt].iter().map(|v| v.as_slice()).collect();
                    let mut out = vec![f32::NAN; nr * nt];
                    tile(&ws, &at, &mut out);
                    for r in 0..nr {
                        for t in 0..nt {
                            let want = reference(ws[r], at[t]);
                            assert_eq!(
                                out[r * nt + t].to_bits(),
                                want.to_bits(),
                                "{name} {ty} {nb} blocks, tile {nr}×{nt} at ({r},{t}): {} vs {want}",
                                out[r * nt + t]
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn avx2_activation_quantizer_matches_the_scalar_one() {
        if !available() {
            return;
        }
        let mut rng = Rng(99);
        let mut unit = move || (rng.next() >> 40) as f32 / (1u64 << 24) as f32;
        // 64 blocks: Gaussian-ish, exact ties (amax 127 makes the multiplier 1), all zero,
        // huge, tiny (127/amax overflows), and with NaN / infinity inside.
        let mut x: Vec<f32> = (0..64 * 32).map(|_| (unit() - 0.5) * 6.0).collect();
        for (b, blk) in x.as_chunks_mut::<32>().0.iter_mut().enumerate() {
            match b % 8 {
                1 => {
                    blk[0] = 127.0;
                    for (i, v) in blk[1..].iter_mut().enumerate() {
                        *v = i as f32 * 0.5 - 7.5;
                    }
                }
                2 => blk.fill(0.0),
                3 => blk.iter_mut().for_each(|v| *v *= 1e30),
                4 => blk.iter_mut().for_each(|v| *v *= 1e-38),
                5 => blk[7] = f32::NAN,
                6 => blk[3] = f32::NEG_INFINITY,
                7 => blk[9] = -0.0,
                _ => {}
            }
        }
        for q8_1 in [false, true] {
            let bb = if q8_1 { 36 } else { 34 };
            let mut fast = vec![0u8; 64 * bb];
            let mut reference = vec![1u8; 64 * bb];
            quantize_row_q8(&x, &mut fast, q8_1);
            super::super::quantize_row_q8_0_scalar(&x, &mut reference, q8_1);
            for (b, (f, r)) in fast.chunks(bb).zip(reference.chunks(bb)).enumerate() {
                assert_eq!(f, r, "block {b} (kind {}), q8_1 {q8_1}", b % 8);
            }
        }
    }

    /// A matvec over 1..=9 rows (whole 4-row tiles and ragged ends) equals the pair kernel
    /// `pair` row by row, bit for bit, on quantized Gaussian data with odd and even block
    /// counts; on exact data (legacy types) it also equals the scalar kernel.
    fn check_matvec(ty: GgmlType, mv: super::super::MatVecFn, pair: DotFn, name: &str) {
        let act = ActType::for_weight(ty).unwrap();
        let bs = ty.block_size().max(act.block_size());
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ ty.id() as u64);
        let mut gauss = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    let s: f32 = (0..4)
                        .map(|_| (rng.next() >> 40) as f32 / (1u64 << 24) as f32)
                        .sum();
                    s - 2.0
                })
                .collect()
        };
        for nb in [1usize, 3, 6] {
            let n = nb * bs;
            let rb = ty.row_bytes(n).unwrap();
            let mut a = vec![0u8; act.row_bytes(n).unwrap()];
            super::super::quantize_act_row(act, &gauss(n), &mut a).unwrap();
            for n_out in 1..=9 {
                let mut wb = vec![0u8; n_out * rb];
                for row in wb.chunks_exact_mut(rb) {
                    crate::quant::quantize_row(ty, &gauss(n), row, None).unwrap();
                }
                let mut out = vec![f32::NAN; n_out];
                mv(&wb, rb, &a, &mut out);
                for (r, row) in wb.chunks_exact(rb).enumerate() {
                    assert_eq!(
                        out[r].to_bits(),
                        pair(row, &a).to_bits(),
                        "{name} {ty} matvec, {nb} blocks, {n_out} rows, row {r}"
                    );
                }
            }
        }
        if matches!(
            ty,
            GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q5_0 | GgmlType::Q6_K
        ) {
            let reference = scalar_dot_fn(ty).unwrap();
            for nb in [1usize, 3, 18] {
                let a = act_row(act, nb, &mut rng);
                let rows: Vec<Vec<u8>> = (0..7).map(|_| weight_row(ty, nb, &mut rng)).collect();
                let wb = rows.concat();
                let mut out = vec![f32::NAN; 7];
                mv(&wb, rows[0].len(), &a, &mut out);
                for (r, row) in rows.iter().enumerate() {
                    let want = reference(row, &a);
                    assert_eq!(
                        out[r].to_bits(),
                        want.to_bits(),
                        "{name} {ty} exact row {r}"
                    );
                }
            }
        }
    }

    #[test]
    fn avx2_matvecs_match_the_pair_kernels() {
        if !available() {
            return;
        }
        for (ty, mv, pair) in [
            (
                GgmlType::Q8_0,
                mv_q8_0 as super::super::MatVecFn,
                w_q8_0 as DotFn,
            ),
            (GgmlType::Q4_0, mv_q4_0, w_q4_0),
            (GgmlType::Q4_1, mv_q4_1, w_q4_1),
            (GgmlType::Q5_0, mv_q5_0, w_q5_0),
            (GgmlType::Q4_K, mv_q4_k, w_q4_k),
            (GgmlType::Q6_K, mv_q6_k, w_q6_k),
        ] {
            check_matvec(ty, mv, pair, "avx2");
        }
    }

    #[test]
    fn avx512_matvecs_match_the_pair_kernels() {
        if !avx512::available() {
            return;
        }
        for (ty, mv, pair) in [
            (
                GgmlType::Q8_0,
                avx512::mv_q8_0 as super::super::MatVecFn,
                avx512::w_q8_0 as DotFn,
            ),
            (GgmlType::Q4_1, avx512::mv_q4_1, avx512::w_q4_1),
            (GgmlType::Q5_0, avx512::mv_q5_0, avx512::w_q5_0),
            (GgmlType::Q6_K, avx512::mv_q6_k, avx512::w_q6_k),
        ] {
            check_matvec(ty, mv, pair, "avx512");
        }
    }

    #[test]
    fn avx2_tiles_match_the_scalar_kernels() {
        if !available() {
            return;
        }
        for (ty, tile) in [
            (GgmlType::Q8_0, tile_q8_0 as TileFn),
            (GgmlType::Q4_0, tile_q4_0),
            (GgmlType::Q4_1, tile_q4_1),
            (GgmlType::Q5_0, tile_q5_0),
            (GgmlType::Q6_K, tile_q6_k),
        ] {
            check_tile(ty, tile, "avx2");
        }
    }

    #[test]
    fn avx512_tiles_match_the_scalar_kernels() {
        if !avx512::available() {
            println!("no AVX-512 VNNI on this machine: nothing to check");
            return;
        }
        for (ty, tile) in [
            (GgmlType::Q8_0, avx512::tile_q8_0 as TileFn),
            (GgmlType::Q4_1, avx512::tile_q4_1),
            (GgmlType::Q5_0, avx512::tile_q5_0),
            (GgmlType::Q6_K, avx512::tile_q6_k),
        ] {
            check_tile(ty, tile, "avx512");
        }
        // The pair kernels are the 1×1 tiles.
        let mut rng = Rng(7);
        for (ty, pair) in [
            (GgmlType::Q8_0, avx512::w_q8_0 as DotFn),
            (GgmlType::Q4_1, avx512::w_q4_1),
            (GgmlType::Q5_0, avx512::w_q5_0),
        ] {
            let act = ActType::for_weight(ty).unwrap();
            for nb in [1usize, 5, 18] {
                let (w, a) = (weight_row(ty, nb, &mut rng), act_row(act, nb, &mut rng));
                let want = scalar_dot_fn(ty).unwrap()(&w, &a);
                assert_eq!(
                    pair(&w, &a).to_bits(),
                    want.to_bits(),
                    "{ty} pair, {nb} blocks"
                );
            }
        }
        // And the run-time choice picks them.
        assert_eq!(
            tile_fn(GgmlType::Q5_0).map(|f| f as usize),
            Some(avx512::tile_q5_0 as TileFn as usize)
        );
    }
}
