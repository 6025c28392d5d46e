//! Lock-step execution of independent quantization groups, one group per SIMD lane.
//!
//! Byte-exactness with llama.cpp rules out the usual ways of vectorizing a quantizer: ggml's
//! sums are sequential chains of float additions (`sumlx += w*x*l` over a group), and adding
//! the same numbers in another order gives other bits, so a sum cannot be split across lanes.
//! What *can* run side by side are the groups themselves: a row's blocks (legacy formats) or a
//! super-block's sub-blocks (k-quants) are quantized independently of each other. So the fast
//! kernels take [`L`] groups at a time, transpose them so that element `i` of group `k` sits in
//! lane `k` of row `i`, and run ggml's algorithm once per element step for all lanes:
//! every lane performs exactly the reference's sequence of IEEE-754 operations on its own group
//! (same operands, same order, no fused multiply-add: Rust never contracts `a*b + c`), and
//! data-dependent branches become per-lane selects whose unselected arm is simply discarded.
//!
//! The lane loops are written as plain `for k in 0..L` loops over arrays, with one group's
//! scalar step as the body. LLVM's vectorizers turn them into SIMD: SSE2 on any x86-64,
//! AVX2 where [`super::multiversion`] finds it at run time, and `simd128` on wasm32 when the
//! crate is built with `-C target-feature=+simd128` (.cargo/config.toml). Without any SIMD they
//! are still correct scalar code. The results never depend on which of these ran.

/// Groups processed together: 8 lanes is one AVX2 register of f32, two SSE2/simd128 ones.
pub(crate) const L: usize = 8;

/// One value per lane.
pub(crate) type F = [f32; L];

/// Transposes `L` groups of `N` consecutive values (`src[k*N + i]`, group `k`) into lane order
/// (`out[i][k]`). Groups past the end of `src` (a row's last, partial batch) are zero; their
/// lanes compute something harmless that the caller discards.
#[inline(always)]
pub(crate) fn load_groups<const N: usize>(src: &[f32], out: &mut [F; N]) {
    let groups = (src.len() / N).min(L);
    for (k, g) in src.as_chunks::<N>().0.iter().take(groups).enumerate() {
        for (row, &v) in out.iter_mut().zip(g) {
            row[k] = v;
        }
    }
    for row in out.iter_mut() {
        row[groups..].fill(0.0);
    }
}

/// C's `(int)f` as x86-64 compiles it (`cvttss2si`): [`crate::quant::common::c_trunc_i32`]
/// written without branches, so that it vectorizes: truncation for `|f| < 2^31`, and the
/// "integer indefinite" `i32::MIN` for NaN, infinities and everything out of range (including
/// exactly `-2^31`, which truncates to `i32::MIN` anyway).
#[inline(always)]
pub(crate) fn c_trunc(f: f32) -> i32 {
    let in_range = f.abs() < 2_147_483_648.0;
    let safe = if in_range { f } else { 0.0 };
    // SAFETY: `safe` is finite with |safe| < 2^31, so its truncation fits an i32.
    let t = unsafe { safe.to_int_unchecked::<i32>() };
    if in_range { t } else { i32::MIN }
}

/// C's `(int)roundf(f)` on x86-64: round half away from zero, then [`c_trunc`]'s conversion.
/// glibc's `roundf` is a library call that would not vectorize, so the rounding is done on the
/// integer: for |f| < 2^31, `f - trunc(f)` is exact (it is `f`'s fractional bits, or 0 once
/// `f` is too large to have any), and ±1 is added when it is at least one half. Out of range,
/// `roundf` returns its (NaN, infinite or integral) argument unchanged, which converts to
/// `i32::MIN`, as here.
#[inline(always)]
pub(crate) fn c_round_trunc(f: f32) -> i32 {
    let in_range = f.abs() < 2_147_483_648.0;
    let safe = if in_range { f } else { 0.0 };
    // SAFETY: as in `c_trunc`.
    let t = unsafe { safe.to_int_unchecked::<i32>() };
    let frac = safe - t as f32;
    let adj = (frac >= 0.5) as i32 - (frac <= -0.5) as i32;
    if in_range { t + adj } else { i32::MIN }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::common::c_trunc_i32;

    /// Bit patterns covering every exponent, the rounding ties, the i32 range edges, NaNs and
    /// infinities.
    fn probes() -> Vec<f32> {
        let mut v = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.49999997,
            -0.49999997,
            8_388_607.5,
            -8_388_607.5,
            8_388_608.0,
            16_777_217.0,
            2_147_483_520.0,
            -2_147_483_520.0,
            2_147_483_648.0,
            -2_147_483_648.0,
            3e9,
            -3e9,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            1e-45,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7f80_0001),
        ];
        let mut s = 0x9E37_79B9u32;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            v.push(f32::from_bits(s));
        }
        for i in -2000..2000 {
            v.push(i as f32 * 0.25);
        }
        v
    }

    #[test]
    fn c_trunc_matches_the_reference() {
        for f in probes() {
            assert_eq!(c_trunc(f), c_trunc_i32(f), "{f:e} ({:#x})", f.to_bits());
        }
    }

    #[test]
    fn c_round_trunc_matches_roundf_then_trunc() {
        for f in probes() {
            assert_eq!(
                c_round_trunc(f),
                c_trunc_i32(f.round()),
                "{f:e} ({:#x})",
                f.to_bits()
            );
        }
    }

    #[test]
    fn load_groups_transposes_and_zero_fills() {
        let src: Vec<f32> = (0..3 * 4).map(|i| i as f32 + 1.0).collect();
        let mut out = [[9.0f32; L]; 4];
        load_groups::<4>(&src, &mut out);
        for i in 0..4 {
            for k in 0..L {
                let want = if k < 3 { (k * 4 + i) as f32 + 1.0 } else { 0.0 };
                assert_eq!(out[i][k], want);
            }
        }
    }
}
