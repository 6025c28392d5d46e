//! Scalar helpers shared by every quant format: ggml's rounding trick and its exact
//! fp32 <-> fp16 / bf16 conversions.
//!
//! These must be bit-identical to the C code in llama.cpp's `ggml/src/ggml-impl.h` and
//! `ggml/src/ggml-quants.c` (the "ref" path that `ggml_quantize_chunk` uses in ggml-base),
//! because every block scale passes through them and one ulp of difference changes the
//! quantized bytes.

/// Rounds to the nearest integer the way ggml's `nearest_int` does (ggml/src/ggml-quants.c):
/// adding 1.5 * 2^23 pushes the fraction out of the mantissa, so the FPU's
/// round-to-nearest-even does the rounding, and the low 23 bits minus 2^22 are the result.
///
/// That means ties round to even (`nearest_int(2.5) == 2`), unlike C's `roundf`
/// (ties away from zero). ggml only `assert`s `|x| <= 4194303`, and release builds (NDEBUG)
/// drop the assert, so for larger values, infinities and NaN (which degenerate inputs such as
/// subnormal-only blocks do produce) the result is whatever the bit arithmetic gives. We
/// reproduce that arithmetic instead of panicking, so such inputs still match llama.cpp.
#[inline]
pub fn nearest_int(fval: f32) -> i32 {
    let val = fval + 12_582_912.0;
    let i = val.to_bits() as i32;
    (i & 0x007f_ffff) - 0x0040_0000
}

/// C's `(int)f` / `(int8_t)f` / `(uint8_t)f` as compiled for x86-64 (`cvttss2si`): truncation
/// toward zero, and the "integer indefinite" value `i32::MIN` for NaN and out-of-range inputs
/// (C leaves those undefined; this is what llama.cpp's x86-64 build actually does). Narrower
/// C casts then keep the low bits, which callers get with `as i8` / `as u8` on the result.
/// Rust's own `f as i32` saturates instead, which would differ on such inputs.
#[inline]
pub fn c_trunc_i32(f: f32) -> i32 {
    if f.is_nan() || f >= 2_147_483_648.0 || f < -2_147_483_648.0 {
        i32::MIN
    } else {
        f as i32
    }
}

/// glibc's `lroundf` on x86-64 (`long` is 64-bit): rounds half away from zero; NaN and values
/// outside the `i64` range give `i64::MIN` (as the hardware conversion glibc falls back on).
#[inline]
pub fn c_lroundf(f: f32) -> i64 {
    if f.is_nan() || f >= 9_223_372_036_854_775_808.0 || f < -9_223_372_036_854_775_808.0 {
        i64::MIN
    } else {
        f.round() as i64
    }
}

/// Max |x| over a block as ggml's `amax = MAX(amax, fabsf(v))` loop computes it, with
/// `MAX(a, b) = a > b ? a : b` (ggml/src/ggml-impl.h): a NaN element becomes the running max
/// and the next element replaces it again, so unlike `f32::max` the result depends on where
/// NaNs sit. Starts from 0, so an all-zero (or empty) block gives 0.
#[inline]
pub fn c_absmax(xs: &[f32]) -> f32 {
    xs.iter().fold(
        0.0f32,
        |amax, &v| if amax > v.abs() { amax } else { v.abs() },
    )
}

/// ggml's `d ? 1.0f/d : 0.0f` (a NaN `d` counts as non-zero, giving NaN).
#[inline]
pub fn inv_or_zero(d: f32) -> f32 {
    if d != 0.0 { 1.0 / d } else { 0.0 }
}

/// fp32 -> IEEE binary16 bits exactly like ggml's `ggml_compute_fp32_to_fp16`
/// (ggml/src/ggml-impl.h, after Maratyszcza/FP16's `fp16_ieee_from_fp32_value`).
///
/// Round-to-nearest-even, overflow to infinity, subnormal halves kept. Every NaN becomes the
/// canonical quiet NaN 0x7E00 with the input's sign (the payload is dropped), which is where
/// this differs from `half::f16::from_f32` (that keeps the payload's top bits).
#[inline]
pub fn f32_to_f16_bits(f: f32) -> u16 {
    // Both scales are exact powers of two; the first product overflows to infinity for
    // inputs too large for f16, the second brings normal values back down so that adding
    // `bias` below rounds the mantissa to 10 bits in the FPU.
    let scale_to_inf = f32::from_bits(0x7780_0000); // 2^112
    let scale_to_zero = f32::from_bits(0x0880_0000); // 2^-110
    let mut base = (f.abs() * scale_to_inf) * scale_to_zero;

    let w = f.to_bits();
    let shl1_w = w.wrapping_add(w);
    let sign = w & 0x8000_0000;
    let mut bias = shl1_w & 0xFF00_0000;
    if bias < 0x7100_0000 {
        bias = 0x7100_0000;
    }
    base += f32::from_bits((bias >> 1) + 0x0780_0000);
    let bits = base.to_bits();
    let exp_bits = (bits >> 13) & 0x0000_7C00;
    let mantissa_bits = bits & 0x0000_0FFF;
    let nonsign = exp_bits + mantissa_bits;
    let magnitude = if shl1_w > 0xFF00_0000 {
        0x7E00
    } else {
        nonsign
    };
    ((sign >> 16) | magnitude) as u16
}

/// IEEE binary16 bits -> fp32, exact (every half is representable in f32), as ggml's
/// `ggml_compute_fp16_to_fp32` (ggml/src/ggml-impl.h). NaN payloads are kept.
#[inline]
pub fn f16_bits_to_f32(h: u16) -> f32 {
    // The widening conversion is exact and unambiguous, so `half`'s implementation gives the
    // same bits as ggml's magic-number version (checked over all 65536 inputs in the tests).
    // On x86-64 `half` may use F16C; elsewhere (wasm has no fp16 instruction) its software path
    // costs a few branches per call, and the wasm kernels convert up to four scales per 32
    // weights, so there the shorter bit-level version below runs (same bits, tested).
    #[cfg(target_arch = "x86_64")]
    {
        half::f16::from_bits(h).to_f32()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        f16_bits_to_f32_soft(h)
    }
}

/// fp16 -> fp32 with integer and one f32 multiply, exact: the 15 magnitude bits shifted left by
/// 13 line the fp16 exponent and mantissa up with f32's, which reads as the value times 2^-112
/// (f32's exponent bias is 127, fp16's 15), subnormals included (an fp16 subnormal becomes an
/// f32 subnormal, and the multiply by 2^112 is exact for every fp16 value). Infinities and NaNs
/// need the all-ones exponent instead; NaNs come out quiet with their payload, as `half` and
/// ggml's conversion give them.
#[inline]
pub fn f16_bits_to_f32_soft(h: u16) -> f32 {
    const TWO_POW_112: f32 = f32::from_bits((127 + 112) << 23);
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let mag = h & 0x7fff;
    let bits = if mag < 0x7c00 {
        (f32::from_bits(mag << 13) * TWO_POW_112).to_bits()
    } else if mag == 0x7c00 {
        0x7f80_0000
    } else {
        0x7fc0_0000 | ((mag & 0x3ff) << 13)
    };
    f32::from_bits(sign | bits)
}

/// fp32 -> bfloat16 bits exactly like ggml's `ggml_compute_fp32_to_bf16` (ggml/src/ggml-impl.h):
/// round-to-nearest-even on the top 16 bits, NaNs truncated and forced quiet (bit 6 of the
/// result set), subnormals kept.
#[inline]
pub fn f32_to_bf16_bits(f: f32) -> u16 {
    let i = f.to_bits();
    if (i & 0x7fff_ffff) > 0x7f80_0000 {
        return ((i >> 16) | 64) as u16;
    }
    (i.wrapping_add(0x7fff + ((i >> 16) & 1)) >> 16) as u16
}

/// bfloat16 bits -> fp32 (exact: the bits become the top half of an f32).
#[inline]
pub fn bf16_bits_to_f32(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// Reads a little-endian fp16 field of a block (ggml stores `ggml_half` as raw `uint16_t`).
#[inline]
pub fn fp16_le_to_f32(b: [u8; 2]) -> f32 {
    f16_bits_to_f32(u16::from_le_bytes(b))
}

/// Converts to fp16 with ggml's rounding and returns the little-endian bytes of a block field.
#[inline]
pub fn f32_to_fp16_le(f: f32) -> [u8; 2] {
    f32_to_f16_bits(f).to_le_bytes()
}

/// `f32` rounded through fp16 and back: the value a block's scale actually has once stored.
#[inline]
pub fn round_to_f16(f: f32) -> f32 {
    f16_bits_to_f32(f32_to_f16_bits(f))
}

/// Below this max-abs a group counts as all zero (`GROUP_MAX_EPS` in ggml/src/ggml-quants.c).
pub const GROUP_MAX_EPS: f32 = 1e-15;

/// ggml's `make_qx_quants` (ggml/src/ggml-quants.c): symmetric quantization of `x` to
/// integers in `[-nmax, nmax-1]`, written to `l` offset by `+nmax`, returning the scale.
///
/// `rmse_type` 0 just rounds with `-nmax/max`; otherwise it weights the least-squares fit by
/// `qw` when given, else by `x^2` (1), 1 (2), `|x|` (3) or `sqrt|x|` (other); a negative
/// `rmse_type` returns after the first fit (the average of the fitted and the plain scale).
/// Positive types then try 18 nearby scales `-(nmax + 0.1*is)/max` and keep the best.
/// Float operations are in ggml's order, so results are bit-identical to the C code.
// Index loops kept: they walk `x`, `l` and the weights in lockstep exactly like the C.
#[allow(clippy::needless_range_loop)]
pub fn make_qx_quants(
    nmax: i32,
    x: &[f32],
    l: &mut [i8],
    rmse_type: i32,
    qw: Option<&[f32]>,
) -> f32 {
    let n = x.len();
    debug_assert!(l.len() >= n);
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for &xi in x {
        let ax = xi.abs();
        if ax > amax {
            amax = ax;
            max = xi;
        }
    }
    if amax < GROUP_MAX_EPS {
        l[..n].fill(0);
        return 0.0;
    }
    let clamp = |v: i32| v.clamp(-nmax, nmax - 1);
    let mut iscale = -(nmax as f32) / max;
    if rmse_type == 0 {
        for (li, &xi) in l.iter_mut().zip(x) {
            *li = (nmax + clamp(nearest_int(iscale * xi))) as i8;
        }
        return 1.0 / iscale;
    }
    let (rmse_type, return_early) = if rmse_type < 0 {
        (-rmse_type, true)
    } else {
        (rmse_type, false)
    };
    let weight = |i: usize| -> f32 {
        match qw {
            Some(w) => w[i],
            None => match rmse_type {
                1 => x[i] * x[i],
                2 => 1.0,
                3 => x[i].abs(),
                _ => x[i].abs().sqrt(),
            },
        }
    };
    let mut sumlx = 0.0f32;
    let mut suml2 = 0.0f32;
    for i in 0..n {
        let li = clamp(nearest_int(iscale * x[i]));
        l[i] = (li + nmax) as i8;
        let w = weight(i);
        let lf = li as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    if return_early {
        return if suml2 > 0.0 {
            0.5 * (scale + 1.0 / iscale)
        } else {
            1.0 / iscale
        };
    }
    let mut best = scale * sumlx;
    for is in -9..=9 {
        if is == 0 {
            continue;
        }
        iscale = -(nmax as f32 + 0.1 * is as f32) / max;
        sumlx = 0.0;
        suml2 = 0.0;
        for i in 0..n {
            let lf = clamp(nearest_int(iscale * x[i])) as f32;
            let w = weight(i);
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            for i in 0..n {
                l[i] = (nmax + clamp(nearest_int(iscale * x[i]))) as i8;
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}

/// ggml's `make_qkx3_quants` (ggml/src/ggml-quants.c): asymmetric quantization
/// `x ~ scale*l - the_min` with `l` in `[0, nmax]` (written to `l`), minimising the weighted
/// squared (or absolute, `use_mad`) error over `nstep+1` candidate scales
/// `(rmin + rdelta*is + nmax)/(max - min)`. Weights are `weights` when given, else `x^2`.
/// Returns `(scale, the_min)`, where `the_min >= 0` is the negated offset ggml stores.
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
pub fn make_qkx3_quants(
    nmax: i32,
    x: &[f32],
    weights: Option<&[f32]>,
    l: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
) -> (f32, f32) {
    let n = x.len();
    // ggml passes a caller-owned scratch `Laux`; every caller uses groups of at most 32.
    let mut laux_buf = [0u8; 256];
    assert!(
        n <= laux_buf.len() && l.len() >= n,
        "make_qkx3_quants group too large"
    );
    let laux = &mut laux_buf[..n];
    let weight = |i: usize| -> f32 {
        match weights {
            Some(w) => w[i],
            None => x[i] * x[i],
        }
    };
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = weight(0);
    let mut sum_x = sum_w * x[0];
    for i in 1..n {
        if x[i] < min {
            min = x[i];
        }
        if x[i] > max {
            max = x[i];
        }
        let w = weight(i);
        sum_w += w;
        sum_x += w * x[i];
    }
    if min > 0.0 {
        min = 0.0;
    }
    // Written as `!(max > min)` would differ on NaN; ggml tests `max <= min`.
    if max <= min {
        l[..n].fill(0);
        return (0.0, -min);
    }
    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let err = |diff: f32| if use_mad { diff.abs() } else { diff * diff };
    let mut best_mad = 0.0f32;
    for i in 0..n {
        let li = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
        l[i] = li as u8;
        let diff = scale * li as f32 + min - x[i];
        best_mad += weight(i) * err(diff);
    }
    if nstep < 1 {
        return (scale, -min);
    }
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let mut sum_l = 0.0f32;
        let mut sum_l2 = 0.0f32;
        let mut sum_xl = 0.0f32;
        for i in 0..n {
            let li = nearest_int(iscale * (x[i] - min)).clamp(0, nmax);
            laux[i] = li as u8;
            let w = weight(i);
            let lf = li as f32;
            sum_l += w * lf;
            sum_l2 += w * lf * lf;
            sum_xl += w * lf * x[i];
        }
        let d = sum_w * sum_l2 - sum_l * sum_l;
        if d > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / d;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / d;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut mad = 0.0f32;
            for i in 0..n {
                let diff = this_scale * laux[i] as f32 + this_min - x[i];
                mad += weight(i) * err(diff);
            }
            if mad < best_mad {
                l[..n].copy_from_slice(laux);
                best_mad = mad;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Literal transcription check of ggml's fp16 -> fp32 (ggml-impl.h) against `half`.
    fn ggml_fp16_to_fp32(h: u16) -> f32 {
        let w = (h as u32) << 16;
        let sign = w & 0x8000_0000;
        let two_w = w.wrapping_add(w);
        let exp_offset = 0xE0u32 << 23;
        let exp_scale = f32::from_bits(0x0780_0000); // 2^-112
        let normalized = f32::from_bits((two_w >> 4) + exp_offset) * exp_scale;
        let magic_mask = 126u32 << 23;
        let denormalized = f32::from_bits((two_w >> 17) | magic_mask) - 0.5;
        let result = sign
            | if two_w < (1 << 27) {
                denormalized.to_bits()
            } else {
                normalized.to_bits()
            };
        f32::from_bits(result)
    }

    #[test]
    fn c_absmax_follows_the_c_macro_with_nan() {
        assert_eq!(c_absmax(&[]), 0.0);
        assert_eq!(c_absmax(&[1.0, -3.0, 2.0]), 3.0);
        // NaN is taken, then replaced by the next element even if that is smaller.
        assert_eq!(c_absmax(&[5.0, f32::NAN, 1.0]), 1.0);
        assert!(c_absmax(&[5.0, f32::NAN]).is_nan());
        assert_eq!(inv_or_zero(0.0), 0.0);
        assert_eq!(inv_or_zero(-0.0), 0.0);
        assert_eq!(inv_or_zero(4.0), 0.25);
    }

    #[test]
    fn nearest_int_rounds_half_to_even() {
        assert_eq!(nearest_int(0.0), 0);
        assert_eq!(nearest_int(-0.0), 0);
        assert_eq!(nearest_int(0.5), 0);
        assert_eq!(nearest_int(1.5), 2);
        assert_eq!(nearest_int(2.5), 2);
        assert_eq!(nearest_int(-2.5), -2);
        assert_eq!(nearest_int(-3.5), -4);
        assert_eq!(nearest_int(7.49), 7);
        assert_eq!(nearest_int(-8.51), -9);
        assert_eq!(nearest_int(4_194_303.0), 4_194_303);
        assert_eq!(nearest_int(-4_194_303.0), -4_194_303);
    }

    #[test]
    fn f16_to_f32_matches_ggml_for_every_half() {
        for h in 0..=u16::MAX {
            let a = f16_bits_to_f32(h);
            let b = ggml_fp16_to_fp32(h);
            assert_eq!(a.to_bits(), b.to_bits(), "half {h:#06x}");
        }
    }

    #[test]
    fn soft_f16_to_f32_matches_half_for_every_half() {
        for h in 0..=u16::MAX {
            let a = f16_bits_to_f32_soft(h);
            let b = half::f16::from_bits(h).to_f32();
            assert_eq!(a.to_bits(), b.to_bits(), "half {h:#06x}");
        }
    }

    #[test]
    fn f32_to_f16_round_trips_every_half() {
        for h in 0..=u16::MAX {
            let f = f16_bits_to_f32(h);
            let back = f32_to_f16_bits(f);
            if f.is_nan() {
                assert_eq!(
                    back & 0x7fff,
                    0x7E00,
                    "NaN {h:#06x} becomes canonical quiet NaN"
                );
                assert_eq!(back & 0x8000, h & 0x8000, "NaN sign kept");
            } else {
                assert_eq!(back, h, "half {h:#06x}");
            }
        }
    }

    #[test]
    fn f32_to_f16_agrees_with_half_crate_on_non_nan() {
        // `half` rounds to nearest even too; sweep a dense, deterministic set of f32 bit
        // patterns (including every rounding tie region and the subnormal/overflow edges).
        let mut x: u32 = 0x1234_5678;
        for i in 0..2_000_000u32 {
            let bits = if i < 1_000_000 {
                // Walk all exponents with varied mantissas.
                i.wrapping_mul(4294)
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x
            };
            let f = f32::from_bits(bits);
            if f.is_nan() {
                continue;
            }
            assert_eq!(
                f32_to_f16_bits(f),
                half::f16::from_f32(f).to_bits(),
                "f32 bits {bits:#010x}"
            );
        }
    }

    #[test]
    fn f32_to_f16_edges() {
        assert_eq!(f32_to_f16_bits(0.0), 0x0000);
        assert_eq!(f32_to_f16_bits(-0.0), 0x8000);
        assert_eq!(f32_to_f16_bits(65504.0), 0x7BFF);
        // 65520 is the tie between 65504 and 65536 (=inf in f16): ties-to-even gives inf.
        assert_eq!(f32_to_f16_bits(65520.0), 0x7C00);
        assert_eq!(f32_to_f16_bits(65519.99), 0x7BFF);
        assert_eq!(f32_to_f16_bits(f32::INFINITY), 0x7C00);
        assert_eq!(f32_to_f16_bits(f32::NEG_INFINITY), 0xFC00);
        assert_eq!(f32_to_f16_bits(f32::NAN), 0x7E00);
        assert_eq!(f32_to_f16_bits(-f32::NAN), 0xFE00);
        // A signalling NaN with payload still becomes the canonical quiet NaN.
        assert_eq!(f32_to_f16_bits(f32::from_bits(0x7F80_0001)), 0x7E00);
        // Smallest subnormal half and the tie below it (rounds to even = 0).
        assert_eq!(f32_to_f16_bits(2f32.powi(-24)), 0x0001);
        assert_eq!(f32_to_f16_bits(2f32.powi(-25)), 0x0000);
        assert_eq!(f32_to_f16_bits(1.5 * 2f32.powi(-24)), 0x0002);
        // 1 + 2^-11 is a tie between 1 and 1+2^-10: even mantissa (1.0) wins.
        assert_eq!(f32_to_f16_bits(1.0 + 2f32.powi(-11)), 0x3C00);
        assert_eq!(f32_to_f16_bits(1.0 + 3.0 * 2f32.powi(-11)), 0x3C02);
    }

    #[test]
    fn bf16_rounding_and_nan() {
        assert_eq!(f32_to_bf16_bits(1.0), 0x3F80);
        assert_eq!(f32_to_bf16_bits(-2.0), 0xC000);
        // Tie: 1 + 2^-8 sits halfway between 1.0 and 1+2^-7; even (1.0) wins.
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x3F80_8000)), 0x3F80);
        // Tie with odd lower half rounds up.
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x3F81_8000)), 0x3F82);
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x3F80_8001)), 0x3F81);
        // Largest finite f32 rounds up to infinity (no saturation in ggml).
        assert_eq!(f32_to_bf16_bits(f32::MAX), 0x7F80);
        assert_eq!(f32_to_bf16_bits(f32::INFINITY), 0x7F80);
        // NaNs: truncated and forced quiet via bit 6, sign kept.
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x7F80_0001)), 0x7FC0);
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0xFFC0_0000)), 0xFFC0);
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x7FA5_0000)), 0x7FE5);
        // Subnormals are not flushed.
        assert_eq!(f32_to_bf16_bits(f32::from_bits(0x0001_0000)), 0x0001);
        assert_eq!(bf16_bits_to_f32(0x3F80), 1.0);
    }
}
