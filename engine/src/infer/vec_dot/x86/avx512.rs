//! AVX-512 (F, BW, VNNI) tiles for the legacy 32-element block types, chosen over the AVX2 ones
//! when the CPU has them (see [`available`]).
//!
//! Why they are faster than the AVX2 tiles: decode is bound by instructions per weight block,
//! not by memory, on one core. Here one 512-bit register holds two blocks (64 quants), and
//! VNNI's `vpdpbusd` multiplies unsigned by signed bytes and adds groups of four straight into
//! i32 lanes: one instruction where AVX2 needs `vpmaddubsw` + `vpmaddwd` (and, for signed
//! weights, two `vpsignb`). `vpdpbusd` takes the weight quants as unsigned bytes, so signed
//! quants get an offset (`q + c` with `c` = 128 for Q8_0, 16 for Q5_0) and `c · Σy` is taken
//! off again through the accumulator's initial value, computed once per activation block pair
//! and shared by every weight row of the tile. All of that is exact integer arithmetic: each
//! block's integer sum equals the scalar kernel's; only the order of the f32 additions
//! differs (sixteen lanes instead of eight), as for the AVX2 kernels.
//!
//! A block count that is odd ends with the last block paired with an all-zero block, whose
//! scales and quants contribute exactly nothing.
//!
//! Every `#[target_feature]` function is reached only through the entry points generated at
//! the bottom, which [`super::tile_fn`] / [`super::dot_fn`] hand out only when [`available`].

use std::arch::x86_64::*;

use bytemuck::{Zeroable, cast_slice};

use super::{h2f, hsum_ps, load_bsums, load16, load32, load32_i8, rows};
use crate::quant::kquants::{BlockQ6K, BlockQ8K};
use crate::quant::legacy::{BlockQ4_1, BlockQ5_0, BlockQ8_0, BlockQ8_1};

/// True when the CPU has AVX-512 F/BW/VNNI on top of the AVX2 set (which the scale
/// conversions still use).
pub fn available() -> bool {
    super::available()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni")
}

/// Two 32-byte quant arrays as one register: `a` in the low half, `b` in the high half.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
fn load2x32(a: __m256i, b: __m256i) -> __m512i {
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a), b)
}

/// The 32 nibbles of two legacy 4-bit blocks as 64 bytes in element order: `a`'s low nibbles
/// (elements 0..16), its high nibbles (16..32), then `b`'s the same way. Each 16-byte source
/// goes to two 128-bit lanes; the second of each pair is shifted right by 4.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx2")]
fn nibbles2(a: &[u8; 16], b: &[u8; 16]) -> __m512i {
    let z = _mm512_inserti64x4::<1>(
        _mm512_castsi256_si512(_mm256_broadcastsi128_si256(load16(a))),
        _mm256_broadcastsi128_si256(load16(b)),
    );
    let shifts = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    _mm512_and_si512(_mm512_srlv_epi64(z, shifts), _mm512_set1_epi8(0x0F))
}

/// Lanes 0..8 from `s[i0]`, lanes 8..16 from `s[i1]`: the scale of each block of a pair spread
/// over the eight i32 lanes that hold its partial sums.
#[inline]
#[target_feature(enable = "avx512f")]
fn spread2<const I0: i32, const I1: i32>(s: __m128) -> __m512 {
    let idx = _mm512_setr_epi32(
        I0, I0, I0, I0, I0, I0, I0, I0, I1, I1, I1, I1, I1, I1, I1, I1,
    );
    _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(s))
}

/// `-c · Σ y` per group of four activation bytes: the accumulator start that cancels the
/// offset `c` added to signed weight quants.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn offset_correction(c: u8, qy: __m512i) -> __m512i {
    let zero = _mm512_setzero_si512();
    _mm512_sub_epi32(
        zero,
        _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(c as i8), qy),
    )
}

/// Sum of the sixteen lanes.
#[inline]
#[target_feature(enable = "avx512f,avx2")]
fn hsum512(v: __m512) -> f32 {
    let lo = _mm512_castps512_ps256(v);
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
    hsum_ps(_mm256_add_ps(lo, hi))
}

/// The fp16 pair at the start of a block (`d` and `m` of Q4_1, `d` and `s` of Q8_1) as 32 bits.
#[inline]
fn head32<B: bytemuck::Pod>(b: &B) -> i32 {
    let bytes = bytemuck::bytes_of(b);
    i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// `[d0, d1]`: two fp16 scales to f32 lanes 0 and 1.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn h2f_2(d0: [u8; 2], d1: [u8; 2]) -> __m128 {
    let v = _mm_cvtsi32_si128(i32::from(u16::from_le_bytes(d0)));
    _mm_cvtph_ps(_mm_insert_epi16::<1>(v, i32::from(u16::from_le_bytes(d1))))
}

/// `[h0.0, h0.1, h1.0, h1.1]`: two blocks' leading fp16 pairs to f32.
#[inline]
#[target_feature(enable = "avx2,f16c")]
fn h2f_4(h0: i32, h1: i32) -> __m128 {
    _mm_cvtph_ps(_mm_insert_epi32::<1>(_mm_cvtsi32_si128(h0), h1))
}

/// Splits `s` into whole block pairs and, when the count is odd, a last pair of the final block
/// and an all-zero block (copied: two blocks, once per call).
#[inline]
fn pairs<B: Zeroable + Copy>(s: &[B]) -> (&[[B; 2]], Option<[B; 2]>) {
    let (whole, rest) = s.as_chunks::<2>();
    (whole, rest.first().map(|&b| [b, B::zeroed()]))
}

/// Runs `$step(xs, ys)` over every block pair of R weight rows `$x` and T activation rows `$y`,
/// the odd last block (if any) padded with a zero block.
macro_rules! for_pairs {
    ($x:expr, $y:expr, |$xs:ident, $ys:ident| $step:block) => {{
        let x = $x.map(pairs);
        let y = $y.map(pairs);
        let np = y[0].0.len();
        for p in 0..np {
            let $xs: [_; R] = std::array::from_fn(|r| &x[r].0[p]);
            let $ys: [_; T] = std::array::from_fn(|t| &y[t].0[p]);
            $step
        }
        if y[0].1.is_some() {
            let xt = x.map(|(_, t)| t.expect("same block count"));
            let yt = y.map(|(_, t)| t.expect("same block count"));
            let $xs: [_; R] = std::array::from_fn(|r| &xt[r]);
            let $ys: [_; T] = std::array::from_fn(|t| &yt[t]);
            $step
        }
    }};
}

/// Q8_0 × Q8_0: weights offset by 128 (`x ^ 0x80` as unsigned bytes).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
fn t_q8_0<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ8_0]; R] = w.map(cast_slice);
    let y: [&[BlockQ8_0]; T] = a.map(cast_slice);
    let flip = _mm512_set1_epi8(0x80u8 as i8);
    let mut acc = [[_mm512_setzero_ps(); T]; R];
    for_pairs!(x, y, |xs, ys| {
        let mut qy = [_mm512_setzero_si512(); T];
        let mut corr = [_mm512_setzero_si512(); T];
        let mut dy = [_mm_setzero_ps(); T];
        for t in 0..T {
            let [b0, b1] = ys[t];
            qy[t] = load2x32(load32_i8(&b0.qs), load32_i8(&b1.qs));
            corr[t] = offset_correction(0x80, qy[t]);
            dy[t] = h2f_2(b0.d, b1.d);
        }
        for r in 0..R {
            let [b0, b1] = xs[r];
            let qx = _mm512_xor_si512(load2x32(load32_i8(&b0.qs), load32_i8(&b1.qs)), flip);
            let dx = h2f_2(b0.d, b1.d);
            for t in 0..T {
                let sum = _mm512_dpbusd_epi32(corr[t], qx, qy[t]);
                let d = spread2::<0, 1>(_mm_mul_ps(dx, dy[t]));
                acc[r][t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc[r][t]);
            }
        }
    });
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum512(acc[r][t]);
        }
    }
}

/// Q4_1 × Q8_1: unsigned nibbles need no offset. `[d0, m0, d1, m1] · [dy0, sy0, dy1, sy1]` in
/// one multiply gives both blocks' scales (lanes 0 and 2) and min terms (lanes 1 and 3).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
fn t_q4_1<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ4_1]; R] = w.map(cast_slice);
    let y: [&[BlockQ8_1]; T] = a.map(cast_slice);
    let zero = _mm512_setzero_si512();
    let mut acc = [[_mm512_setzero_ps(); T]; R];
    let mut summs = [[_mm_setzero_ps(); T]; R];
    for_pairs!(x, y, |xs, ys| {
        let mut qy = [_mm512_setzero_si512(); T];
        let mut ds = [_mm_setzero_ps(); T];
        for t in 0..T {
            let [b0, b1] = ys[t];
            qy[t] = load2x32(load32_i8(&b0.qs), load32_i8(&b1.qs));
            ds[t] = h2f_4(head32(b0), head32(b1));
        }
        for r in 0..R {
            let [b0, b1] = xs[r];
            let qx = nibbles2(&b0.qs, &b1.qs);
            let dm = h2f_4(head32(b0), head32(b1));
            for t in 0..T {
                let prod = _mm_mul_ps(dm, ds[t]);
                let sum = _mm512_dpbusd_epi32(zero, qx, qy[t]);
                let d = spread2::<0, 2>(prod);
                acc[r][t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc[r][t]);
                summs[r][t] = _mm_add_ps(summs[r][t], prod);
            }
        }
    });
    for r in 0..R {
        for t in 0..T {
            let m = summs[r][t];
            // Lanes 1 and 3: the min terms of even and odd blocks.
            let mins = _mm_cvtss_f32(_mm_movehdup_ps(m))
                + _mm_cvtss_f32(_mm_movehdup_ps(_mm_movehl_ps(m, m)));
            out[r * T + t] = hsum512(acc[r][t]) + mins;
        }
    }
}

/// Q5_0 × Q8_0: the unsigned 5-bit quant `q` (nibble, plus 16 where the `qh` bit is set) with
/// the `-16` applied through the accumulator start.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
fn t_q5_0<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ5_0]; R] = w.map(cast_slice);
    let y: [&[BlockQ8_0]; T] = a.map(cast_slice);
    let sixteen = _mm512_set1_epi8(16);
    let mut acc = [[_mm512_setzero_ps(); T]; R];
    for_pairs!(x, y, |xs, ys| {
        let mut qy = [_mm512_setzero_si512(); T];
        let mut corr = [_mm512_setzero_si512(); T];
        let mut dy = [_mm_setzero_ps(); T];
        for t in 0..T {
            let [b0, b1] = ys[t];
            qy[t] = load2x32(load32_i8(&b0.qs), load32_i8(&b1.qs));
            corr[t] = offset_correction(16, qy[t]);
            dy[t] = h2f_2(b0.d, b1.d);
        }
        for r in 0..R {
            let [b0, b1] = xs[r];
            // Bit j of qh is element j's fifth bit, and the register holds elements in order.
            let hb =
                u64::from(u32::from_le_bytes(b0.qh)) | (u64::from(u32::from_le_bytes(b1.qh)) << 32);
            let nib = nibbles2(&b0.qs, &b1.qs);
            let qx = _mm512_mask_add_epi8(nib, hb, nib, sixteen);
            let dx = h2f_2(b0.d, b1.d);
            for t in 0..T {
                let sum = _mm512_dpbusd_epi32(corr[t], qx, qy[t]);
                let d = spread2::<0, 1>(_mm_mul_ps(dx, dy[t]));
                acc[r][t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(sum), acc[r][t]);
            }
        }
    });
    for r in 0..R {
        for t in 0..T {
            out[r * T + t] = hsum512(acc[r][t]);
        }
    }
}

/// 64 bytes from a 64-element array.
#[inline]
#[target_feature(enable = "avx512f")]
fn load64<T>(b: &[T; 64]) -> __m512i {
    const { assert!(size_of::<T>() == 1) };
    // SAFETY: `b` is exactly 64 readable bytes (one-byte elements, checked above); the load is
    // unaligned.
    unsafe { _mm512_loadu_si512(b.as_ptr().cast()) }
}

/// Q6_K × Q8_K, 64 elements per register. In each 128-element half, one 64-byte load of `ql`
/// holds the low nibbles of elements 0..64 (low 4 bits) and 64..128 (high 4 bits), in order,
/// and the 32 `qh` bytes, broadcast to both 256-bit halves and shifted by 0/2 (or 4/6) per
/// half, their top two bits. The 16-element sub-block scales go through `vpmaddwd` as in the
/// AVX2 kernel: each 128-bit lane of a `vpmaddubsw` result is one sub-block, so `vpermw`
/// spreads four scales over the four lanes. The `-32` offset comes off through Q8_K's block
/// sums, also as in the AVX2 kernel.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma,f16c")]
fn t_q6_k<const R: usize, const T: usize>(w: [&[u8]; R], a: [&[u8]; T], out: &mut [f32]) {
    let x: [&[BlockQ6K]; R] = w.map(cast_slice);
    let y: [&[BlockQ8K]; T] = a.map(cast_slice);
    let nb = y[0].len();
    let m4 = _mm512_set1_epi8(0x0F);
    let m3 = _mm512_set1_epi8(3);
    let shift_a = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);
    let shift_b = _mm512_set_epi64(6, 6, 6, 6, 4, 4, 4, 4);
    // vpermw indices: 64-element chunk c covers sub-blocks 4c..4c+4, one per 128-bit lane.
    let spread: [__m512i; 4] = std::array::from_fn(|c| {
        let idx: [i16; 32] = std::array::from_fn(|i| (4 * c + i / 8) as i16);
        // SAFETY: `idx` is 64 readable bytes; the load is unaligned.
        unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
    });
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
            let sc16 = _mm256_cvtepi8_epi16(load16(&bx.scales.map(|v| v as u8)));
            let sc512 = _mm512_zextsi256_si512(sc16);
            let mut sumi = [_mm512_setzero_si512(); T];
            for h in 0..2 {
                let ql = load64(bx.ql[64 * h..].first_chunk::<64>().expect("64 bytes"));
                let qh = _mm512_broadcast_i64x4(load32(
                    bx.qh[32 * h..].first_chunk::<32>().expect("32 bytes"),
                ));
                let high_a = _mm512_and_si512(_mm512_srlv_epi64(qh, shift_a), m3);
                let high_b = _mm512_and_si512(_mm512_srlv_epi64(qh, shift_b), m3);
                let qa = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_slli_epi16::<4>(high_a));
                let qb = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16::<4>(ql), m4),
                    _mm512_slli_epi16::<4>(high_b),
                );
                let sa = _mm512_permutexvar_epi16(spread[2 * h], sc512);
                let sb = _mm512_permutexvar_epi16(spread[2 * h + 1], sc512);
                for t in 0..T {
                    let qs = &y[t][i].qs;
                    let ya = load64(qs[128 * h..].first_chunk::<64>().expect("64 bytes"));
                    let yb = load64(qs[128 * h + 64..].first_chunk::<64>().expect("64 bytes"));
                    let pa = _mm512_madd_epi16(_mm512_maddubs_epi16(qa, ya), sa);
                    let pb = _mm512_madd_epi16(_mm512_maddubs_epi16(qb, yb), sb);
                    sumi[t] = _mm512_add_epi32(sumi[t], _mm512_add_epi32(pa, pb));
                }
            }
            let dx = h2f(bx.d);
            for t in 0..T {
                let s = sumi[t];
                let s256 =
                    _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64::<1>(s));
                // Σ_j scale_j · Σ(q - 32)·q8 = Σ_j scale_j · Σ q·q8 - 32 · Σ_j scale_j · bsum_j.
                let off = _mm256_slli_epi32::<5>(_mm256_madd_epi16(bsums[t], sc16));
                let total = _mm256_sub_epi32(s256, off);
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

super::tile_entry!(
    tile_q8_0, w_q8_0 => t_q8_0;
    tile_q4_1, w_q4_1 => t_q4_1;
    tile_q5_0, w_q5_0 => t_q5_0;
    tile_q6_k, w_q6_k => t_q6_k;
);

super::matvec_entry!("avx512f,avx512bw,avx512vnni,avx2,fma,f16c":
    mv_q8_0 => t_q8_0;
    mv_q4_1 => t_q4_1;
    mv_q5_0 => t_q5_0;
    mv_q6_k => t_q6_k;
);
