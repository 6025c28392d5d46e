//! Eight-lane f32/i32 vectors for the search kernels, one implementation per instruction set:
//! AVX2 (one 256-bit register), SSE2 and wasm `simd128` (two 128-bit registers each), and plain
//! arrays elsewhere.
//!
//! The lane loops of [`super::lanes`] are left to LLVM's vectorizers, which handle the
//! element-wise steps well but keep the long accumulations of the scale searches in scalar
//! registers (one `addss` per lane, spilled to the stack). The searches are most of the work,
//! so they are written against this trait instead.
//!
//! Every operation is the IEEE-754 one the scalar reference performs, lane by lane: `add`,
//! `sub`, `mul` and `div` are correctly rounded single-precision operations (no FMA), `abs`
//! clears the sign bit like `f32::abs`, and the comparisons follow Rust's operators (`lt`,
//! `le`, `gt` are false when either side is NaN, `ne` is true), so a select on them takes the
//! branch the reference takes.

use super::lanes::{F, L};

/// One instruction set's vectors. Implementations are zero-sized tokens; holding one proves the
/// CPU runs its instructions (only [`Avx2::new`] needs to check).
pub(crate) trait Simd: Copy {
    /// 8 × f32.
    type V: Copy;
    /// 8 × i32.
    type I: Copy;

    fn splat(self, v: f32) -> Self::V;
    fn load(self, a: &F) -> Self::V;
    fn store(self, v: Self::V) -> F;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    fn abs(self, a: Self::V) -> Self::V;
    /// Lane masks are vectors with all bits set (true) or clear (false).
    fn lt(self, a: Self::V, b: Self::V) -> Self::V;
    fn le(self, a: Self::V, b: Self::V) -> Self::V;
    fn gt(self, a: Self::V, b: Self::V) -> Self::V;
    fn ne(self, a: Self::V, b: Self::V) -> Self::V;
    fn and(self, a: Self::V, b: Self::V) -> Self::V;
    /// `!a & b`.
    fn andnot(self, a: Self::V, b: Self::V) -> Self::V;
    /// Per lane `m ? a : b`.
    fn select(self, m: Self::V, a: Self::V, b: Self::V) -> Self::V;
    /// Whether any lane of mask `m` is set.
    fn any(self, m: Self::V) -> bool;
    /// ggml's `nearest_int`: the low 23 bits of `a + 1.5*2^23`, minus 2^22.
    fn nint(self, a: Self::V) -> Self::I;
    fn clamp(self, a: Self::I, lo: i32, hi: i32) -> Self::I;
    /// i32 -> f32 (exact for the |i| <= 2^22 that `nint` returns).
    fn to_f32(self, a: Self::I) -> Self::V;
}

/// Portable fallback: arrays (LLVM still vectorizes some of it).
#[derive(Clone, Copy)]
pub(crate) struct Scalar;

fn mask(b: bool) -> f32 {
    f32::from_bits(if b { u32::MAX } else { 0 })
}

fn is_set(m: f32) -> bool {
    m.to_bits() != 0
}

impl Simd for Scalar {
    type V = F;
    type I = [i32; L];

    #[inline(always)]
    fn splat(self, v: f32) -> F {
        [v; L]
    }
    #[inline(always)]
    fn load(self, a: &F) -> F {
        *a
    }
    #[inline(always)]
    fn store(self, v: F) -> F {
        v
    }
    #[inline(always)]
    fn add(self, a: F, b: F) -> F {
        std::array::from_fn(|k| a[k] + b[k])
    }
    #[inline(always)]
    fn sub(self, a: F, b: F) -> F {
        std::array::from_fn(|k| a[k] - b[k])
    }
    #[inline(always)]
    fn mul(self, a: F, b: F) -> F {
        std::array::from_fn(|k| a[k] * b[k])
    }
    #[inline(always)]
    fn div(self, a: F, b: F) -> F {
        std::array::from_fn(|k| a[k] / b[k])
    }
    #[inline(always)]
    fn abs(self, a: F) -> F {
        a.map(f32::abs)
    }
    #[inline(always)]
    fn lt(self, a: F, b: F) -> F {
        std::array::from_fn(|k| mask(a[k] < b[k]))
    }
    #[inline(always)]
    fn le(self, a: F, b: F) -> F {
        std::array::from_fn(|k| mask(a[k] <= b[k]))
    }
    #[inline(always)]
    fn gt(self, a: F, b: F) -> F {
        std::array::from_fn(|k| mask(a[k] > b[k]))
    }
    #[inline(always)]
    fn ne(self, a: F, b: F) -> F {
        std::array::from_fn(|k| mask(a[k] != b[k]))
    }
    #[inline(always)]
    fn and(self, a: F, b: F) -> F {
        std::array::from_fn(|k| f32::from_bits(a[k].to_bits() & b[k].to_bits()))
    }
    #[inline(always)]
    fn andnot(self, a: F, b: F) -> F {
        std::array::from_fn(|k| f32::from_bits(!a[k].to_bits() & b[k].to_bits()))
    }
    #[inline(always)]
    fn select(self, m: F, a: F, b: F) -> F {
        std::array::from_fn(|k| if is_set(m[k]) { a[k] } else { b[k] })
    }
    #[inline(always)]
    fn any(self, m: F) -> bool {
        m.iter().any(|&v| is_set(v))
    }
    #[inline(always)]
    fn nint(self, a: F) -> [i32; L] {
        a.map(crate::quant::common::nearest_int)
    }
    #[inline(always)]
    fn clamp(self, a: [i32; L], lo: i32, hi: i32) -> [i32; L] {
        a.map(|v| v.clamp(lo, hi))
    }
    #[inline(always)]
    fn to_f32(self, a: [i32; L]) -> F {
        a.map(|v| v as f32)
    }
}

/// `1.5 * 2^23`, the rounding constant of ggml's `nearest_int`.
const ROUND_MAGIC: f32 = 12_582_912.0;

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Sse2};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{F, L, ROUND_MAGIC, Simd};
    use std::arch::x86_64::*;

    /// SSE2, part of every x86-64 CPU: two 128-bit halves per vector.
    #[derive(Clone, Copy)]
    pub(crate) struct Sse2;

    /// Splits a binary operation over the two halves.
    macro_rules! halves {
        ($f:ident, $a:expr, $b:expr) => {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { [$f($a[0], $b[0]), $f($a[1], $b[1])] }
        };
    }

    impl Simd for Sse2 {
        type V = [__m128; 2];
        type I = [__m128i; 2];

        #[inline(always)]
        fn splat(self, v: f32) -> Self::V {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { [_mm_set1_ps(v), _mm_set1_ps(v)] }
        }
        #[inline(always)]
        fn load(self, a: &F) -> Self::V {
            // SAFETY: SSE2 baseline; `a` holds 8 floats, read unaligned as two halves of 4.
            unsafe { [_mm_loadu_ps(a.as_ptr()), _mm_loadu_ps(a.as_ptr().add(4))] }
        }
        #[inline(always)]
        fn store(self, v: Self::V) -> F {
            let mut out = [0f32; L];
            // SAFETY: SSE2 baseline; `out` holds 8 floats, written unaligned as two halves.
            unsafe {
                _mm_storeu_ps(out.as_mut_ptr(), v[0]);
                _mm_storeu_ps(out.as_mut_ptr().add(4), v[1]);
            }
            out
        }
        #[inline(always)]
        fn add(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_add_ps, a, b)
        }
        #[inline(always)]
        fn sub(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_sub_ps, a, b)
        }
        #[inline(always)]
        fn mul(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_mul_ps, a, b)
        }
        #[inline(always)]
        fn div(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_div_ps, a, b)
        }
        #[inline(always)]
        fn abs(self, a: Self::V) -> Self::V {
            let m = self.splat(f32::from_bits(0x7fff_ffff));
            halves!(_mm_and_ps, a, m)
        }
        #[inline(always)]
        fn lt(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_cmplt_ps, a, b)
        }
        #[inline(always)]
        fn le(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_cmple_ps, a, b)
        }
        #[inline(always)]
        fn gt(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_cmpgt_ps, a, b)
        }
        #[inline(always)]
        fn ne(self, a: Self::V, b: Self::V) -> Self::V {
            // cmpneqps is the unordered "not equal": true with a NaN, as Rust's `!=`.
            halves!(_mm_cmpneq_ps, a, b)
        }
        #[inline(always)]
        fn and(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_and_ps, a, b)
        }
        #[inline(always)]
        fn andnot(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(_mm_andnot_ps, a, b)
        }
        #[inline(always)]
        fn select(self, m: Self::V, a: Self::V, b: Self::V) -> Self::V {
            let keep_a = self.and(m, a);
            let keep_b = self.andnot(m, b);
            halves!(_mm_or_ps, keep_a, keep_b)
        }
        #[inline(always)]
        fn any(self, m: Self::V) -> bool {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { _mm_movemask_ps(_mm_or_ps(m[0], m[1])) != 0 }
        }
        #[inline(always)]
        fn nint(self, a: Self::V) -> Self::I {
            let v = self.add(a, self.splat(ROUND_MAGIC));
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe {
                let low = _mm_set1_epi32(0x007f_ffff);
                let half = _mm_set1_epi32(0x0040_0000);
                [
                    _mm_sub_epi32(_mm_and_si128(_mm_castps_si128(v[0]), low), half),
                    _mm_sub_epi32(_mm_and_si128(_mm_castps_si128(v[1]), low), half),
                ]
            }
        }
        #[inline(always)]
        fn clamp(self, a: Self::I, lo: i32, hi: i32) -> Self::I {
            // No pminsd/pmaxsd before SSE4.1: compare and blend.
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe {
                let lo = _mm_set1_epi32(lo);
                let hi = _mm_set1_epi32(hi);
                let one = |x: __m128i| {
                    let below = _mm_cmplt_epi32(x, lo);
                    let x = _mm_or_si128(_mm_and_si128(below, lo), _mm_andnot_si128(below, x));
                    let above = _mm_cmpgt_epi32(x, hi);
                    _mm_or_si128(_mm_and_si128(above, hi), _mm_andnot_si128(above, x))
                };
                [one(a[0]), one(a[1])]
            }
        }
        #[inline(always)]
        fn to_f32(self, a: Self::I) -> Self::V {
            // SAFETY: SSE2 is part of the x86-64 baseline.
            unsafe { [_mm_cvtepi32_ps(a[0]), _mm_cvtepi32_ps(a[1])] }
        }
    }

    /// AVX2: one 256-bit register per vector. Obtained only through [`Avx2::new`], which checks
    /// the CPU, so its (safe) methods may use AVX/AVX2 instructions.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2(());

    impl Avx2 {
        pub(crate) fn new() -> Option<Avx2> {
            std::is_x86_feature_detected!("avx2").then_some(Avx2(()))
        }
    }

    impl Simd for Avx2 {
        type V = __m256;
        type I = __m256i;

        // SAFETY (every method): an `Avx2` value exists only if the CPU has AVX2 (`new`).
        #[inline(always)]
        fn splat(self, v: f32) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_set1_ps(v) }
        }
        #[inline(always)]
        fn load(self, a: &F) -> __m256 {
            // SAFETY: AVX2 present; `a` holds 8 floats, read unaligned.
            unsafe { _mm256_loadu_ps(a.as_ptr()) }
        }
        #[inline(always)]
        fn store(self, v: __m256) -> F {
            let mut out = [0f32; L];
            // SAFETY: AVX2 present; `out` holds 8 floats, written unaligned.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) };
            out
        }
        #[inline(always)]
        fn add(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        fn sub(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_sub_ps(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        fn div(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_div_ps(a, b) }
        }
        #[inline(always)]
        fn abs(self, a: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_and_ps(a, _mm256_set1_ps(f32::from_bits(0x7fff_ffff))) }
        }
        #[inline(always)]
        fn lt(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present. Ordered, quiet: false with a NaN, like `<`.
            unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
        }
        #[inline(always)]
        fn le(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present. Ordered: false with a NaN, like `<=`.
            unsafe { _mm256_cmp_ps::<_CMP_LE_OQ>(a, b) }
        }
        #[inline(always)]
        fn gt(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present. Ordered: false with a NaN, like `>`.
            unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
        }
        #[inline(always)]
        fn ne(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present. Unordered: true with a NaN, like `!=`.
            unsafe { _mm256_cmp_ps::<_CMP_NEQ_UQ>(a, b) }
        }
        #[inline(always)]
        fn and(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_and_ps(a, b) }
        }
        #[inline(always)]
        fn andnot(self, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_andnot_ps(a, b) }
        }
        #[inline(always)]
        fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
            // SAFETY: AVX2 present. blendv takes `a` where the mask's sign bit is set; masks
            // here are all-ones or all-zeros.
            unsafe { _mm256_blendv_ps(b, a, m) }
        }
        #[inline(always)]
        fn any(self, m: __m256) -> bool {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_movemask_ps(m) != 0 }
        }
        #[inline(always)]
        fn nint(self, a: __m256) -> __m256i {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe {
                let v = _mm256_add_ps(a, _mm256_set1_ps(ROUND_MAGIC));
                let low = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x007f_ffff));
                _mm256_sub_epi32(low, _mm256_set1_epi32(0x0040_0000))
            }
        }
        #[inline(always)]
        fn clamp(self, a: __m256i, lo: i32, hi: i32) -> __m256i {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe {
                _mm256_min_epi32(
                    _mm256_max_epi32(a, _mm256_set1_epi32(lo)),
                    _mm256_set1_epi32(hi),
                )
            }
        }
        #[inline(always)]
        fn to_f32(self, a: __m256i) -> __m256 {
            // SAFETY: AVX2 present (see `Avx2::new`).
            unsafe { _mm256_cvtepi32_ps(a) }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use wasm::Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use super::{F, L, ROUND_MAGIC, Simd};
    use core::arch::wasm32::*;

    /// WebAssembly SIMD (enabled at compile time): two 128-bit halves per vector.
    #[derive(Clone, Copy)]
    pub(crate) struct Simd128;

    macro_rules! halves {
        ($f:ident, $a:expr, $b:expr) => {
            [$f($a[0], $b[0]), $f($a[1], $b[1])]
        };
    }

    impl Simd for Simd128 {
        type V = [v128; 2];
        type I = [v128; 2];

        #[inline(always)]
        fn splat(self, v: f32) -> Self::V {
            [f32x4_splat(v), f32x4_splat(v)]
        }
        #[inline(always)]
        fn load(self, a: &F) -> Self::V {
            let p = a.as_ptr() as *const v128;
            // SAFETY: `a` holds 8 floats = two v128; wasm loads have no alignment requirement
            // (v128_load is a 1-aligned load).
            unsafe { [v128_load(p), v128_load(p.add(1))] }
        }
        #[inline(always)]
        fn store(self, v: Self::V) -> F {
            let mut out = [0f32; L];
            let p = out.as_mut_ptr() as *mut v128;
            // SAFETY: `out` holds 8 floats = two v128; stores are 1-aligned as loads.
            unsafe {
                v128_store(p, v[0]);
                v128_store(p.add(1), v[1]);
            }
            out
        }
        #[inline(always)]
        fn add(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_add, a, b)
        }
        #[inline(always)]
        fn sub(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_sub, a, b)
        }
        #[inline(always)]
        fn mul(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_mul, a, b)
        }
        #[inline(always)]
        fn div(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_div, a, b)
        }
        #[inline(always)]
        fn abs(self, a: Self::V) -> Self::V {
            [f32x4_abs(a[0]), f32x4_abs(a[1])]
        }
        #[inline(always)]
        fn lt(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_lt, a, b)
        }
        #[inline(always)]
        fn le(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_le, a, b)
        }
        #[inline(always)]
        fn gt(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_gt, a, b)
        }
        #[inline(always)]
        fn ne(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(f32x4_ne, a, b)
        }
        #[inline(always)]
        fn and(self, a: Self::V, b: Self::V) -> Self::V {
            halves!(v128_and, a, b)
        }
        #[inline(always)]
        fn andnot(self, a: Self::V, b: Self::V) -> Self::V {
            // v128_andnot(x, y) is x & !y.
            halves!(v128_andnot, b, a)
        }
        #[inline(always)]
        fn select(self, m: Self::V, a: Self::V, b: Self::V) -> Self::V {
            [
                v128_bitselect(a[0], b[0], m[0]),
                v128_bitselect(a[1], b[1], m[1]),
            ]
        }
        #[inline(always)]
        fn any(self, m: Self::V) -> bool {
            v128_any_true(v128_or(m[0], m[1]))
        }
        #[inline(always)]
        fn nint(self, a: Self::V) -> Self::I {
            let v = self.add(a, self.splat(ROUND_MAGIC));
            let low = i32x4_splat(0x007f_ffff);
            let half = i32x4_splat(0x0040_0000);
            [
                i32x4_sub(v128_and(v[0], low), half),
                i32x4_sub(v128_and(v[1], low), half),
            ]
        }
        #[inline(always)]
        fn clamp(self, a: Self::I, lo: i32, hi: i32) -> Self::I {
            let (lo, hi) = (i32x4_splat(lo), i32x4_splat(hi));
            [
                i32x4_min(i32x4_max(a[0], lo), hi),
                i32x4_min(i32x4_max(a[1], lo), hi),
            ]
        }
        #[inline(always)]
        fn to_f32(self, a: Self::I) -> Self::V {
            [f32x4_convert_i32x4(a[0]), f32x4_convert_i32x4(a[1])]
        }
    }
}
