//! The scale searches of the k-quant quantizers, re-derived from llama.cpp's
//! `ggml/src/ggml-quants.c`: `make_q3_quants` and `make_qp_quants` here; `make_qx_quants` and
//! `make_qkx3_quants` (which the legacy formats' imatrix paths use too) live in
//! `quant::common` and are re-exported.
//!
//! Byte-exactness depends on doing every float operation in the same order and precision as
//! the C code, so each expression below keeps C's left-to-right evaluation (`w*x*l` is
//! `(w*x)*l`), converts integers to `f32` at the same points, and stores intermediate levels in
//! the same integer widths (`int8_t` / `uint8_t`, with C's wrap-around on narrowing). Rust never
//! fuses `a*b + c` into an FMA, and the reference library (ggml-base, built for baseline
//! x86-64 without `-mfma`) does not either, so plain `f32` arithmetic matches it.

use crate::quant::common::nearest_int;
pub(crate) use crate::quant::common::{GROUP_MAX_EPS, make_qkx3_quants, make_qx_quants};

/// ggml's `make_qkx2_quants`, which `quantize_row_q2_K_ref`, `..._q4_K_ref` and `..._q5_K_ref`
/// call. It is the same algorithm, operation for operation, as `make_qkx3_quants` given
/// explicit weights: the two differ only in qkx3's default for NULL weights (x^2; the ref paths
/// always pass weights) and in the flat-group test, `max == min` in qkx2 vs `max <= min` in
/// qkx3, which agree because `min` starts at the smallest `x` (then is raised to at most 0) and
/// so never exceeds `max` (with a NaN both tests are false). So we share the one implementation
/// in `quant::common`. Returns `(scale, -min)`.
#[allow(clippy::too_many_arguments)] // mirrors ggml's parameter list
#[inline]
pub(crate) fn make_qkx2_quants(
    nmax: i32,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
) -> (f32, f32) {
    make_qkx3_quants(nmax, x, Some(weights), l_out, rmin, rdelta, nstep, use_mad)
}

/// C's `MAX(a, b)` macro (`(a) > (b) ? (a) : (b)`), kept literal so NaN behaves the same.
#[inline]
fn c_max_f32(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// Index of the element with the largest magnitude, scanning like ggml (first strictly larger
/// wins); returns `(amax, signed max)`.
#[inline]
fn signed_absmax(x: &[f32]) -> (f32, f32) {
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for &v in x {
        let ax = v.abs();
        if ax > amax {
            amax = ax;
            max = v;
        }
    }
    (amax, max)
}

/// ggml's `make_q3_quants` with `do_rmse == true` (as `quantize_row_q3_K_ref` calls it):
/// start from `nmax/max`, then up to five coordinate-descent passes that move single levels
/// when that improves the `x^2`-weighted fit. Levels end offset by `nmax` in `l_out`.
pub(crate) fn make_q3_quants(nmax: i32, x: &[f32], l_out: &mut [i8]) -> f32 {
    let n = x.len();
    debug_assert_eq!(l_out.len(), n);
    let clamp = |l: i32| -> i32 { (-nmax).max(l.min(nmax - 1)) };

    let (amax, max) = signed_absmax(x);
    if amax < GROUP_MAX_EPS {
        l_out.fill(0);
        return 0.0;
    }
    let iscale = -(nmax as f32) / max;
    let mut sumlx = 0.0f32;
    let mut suml2 = 0.0f32;
    for i in 0..n {
        let l = clamp(nearest_int(iscale * x[i]));
        l_out[i] = l as i8;
        let w = x[i] * x[i];
        let lf = l as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    for _itry in 0..5 {
        let mut n_changed = 0;
        for i in 0..n {
            let w = x[i] * x[i];
            let li = l_out[i] as f32;
            let mut slx = sumlx - w * x[i] * li;
            if slx > 0.0 {
                let mut sl2 = suml2 - w * li * li;
                let new_l = clamp(nearest_int(x[i] * sl2 / slx));
                if new_l != l_out[i] as i32 {
                    let nf = new_l as f32;
                    slx += w * x[i] * nf;
                    sl2 += w * nf * nf;
                    if sl2 > 0.0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                        l_out[i] = new_l as i8;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed += 1;
                    }
                }
            }
        }
        if n_changed == 0 {
            break;
        }
    }
    for v in l_out.iter_mut() {
        *v = v.wrapping_add(nmax as i8);
    }
    if suml2 > 0.0 { sumlx / suml2 } else { 0.0 }
}

/// ggml's `make_qp_quants`: quantizes non-negative values (sub-block scales or mins) to
/// `0..=nmax` with no offset, trying nine scales near `nmax/max` under weights `qw`, then up to
/// five coordinate-descent passes. Returns the scale.
///
/// The levels are `uint8_t` in C and only clamped from above, so a negative input would wrap;
/// we store `as u8` (the same wrap) and keep reading the wrapped value back, as C does.
pub(crate) fn make_qp_quants(nmax: i32, x: &[f32], l_out: &mut [u8], qw: &[f32]) -> f32 {
    let n = x.len();
    debug_assert!(qw.len() == n && l_out.len() == n);
    let mut max = 0.0f32;
    for &v in x {
        max = c_max_f32(max, v);
    }
    if max < GROUP_MAX_EPS {
        l_out.fill(0);
        return 0.0;
    }
    let nmax_f = nmax as f32;
    let mut iscale = nmax_f / max;
    for i in 0..n {
        l_out[i] = nearest_int(iscale * x[i]) as u8;
    }
    let scale = 1.0 / iscale;
    let mut best_mse = 0.0f32;
    for i in 0..n {
        let diff = x[i] - scale * l_out[i] as f32;
        best_mse += qw[i] * diff * diff;
    }
    for is in -4i32..=4 {
        if is == 0 {
            continue;
        }
        let iscale_is = (0.1f32 * is as f32 + nmax_f) / max;
        let scale_is = 1.0 / iscale_is;
        let mut mse = 0.0f32;
        for i in 0..n {
            let l = nmax.min(nearest_int(iscale_is * x[i]));
            let diff = x[i] - scale_is * l as f32;
            mse += qw[i] * diff * diff;
        }
        if mse < best_mse {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    let mut sumlx = 0.0f32;
    let mut suml2 = 0.0f32;
    for i in 0..n {
        let l = nmax.min(nearest_int(iscale * x[i]));
        l_out[i] = l as u8;
        let w = qw[i];
        let lf = l as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    for _itry in 0..5 {
        let mut n_changed = 0;
        for i in 0..n {
            let w = qw[i];
            let li = l_out[i] as f32;
            let mut slx = sumlx - w * x[i] * li;
            let mut sl2 = suml2 - w * li * li;
            if slx > 0.0 && sl2 > 0.0 {
                let new_l = nmax.min(nearest_int(x[i] * sl2 / slx));
                if new_l != l_out[i] as i32 {
                    let nf = new_l as f32;
                    slx += w * x[i] * nf;
                    sl2 += w * nf * nf;
                    if slx * slx * suml2 > sumlx * sumlx * sl2 {
                        l_out[i] = new_l as u8;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed += 1;
                    }
                }
            }
        }
        if n_changed == 0 {
            break;
        }
    }
    if suml2 > 0.0 { sumlx / suml2 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qx_all_zero_group_gives_zero_scale_and_levels() {
        let x = [0.0f32; 16];
        let mut l = [7i8; 16];
        assert_eq!(make_qx_quants(32, &x, &mut l, 1, None), 0.0);
        assert_eq!(l, [0; 16]);
    }

    #[test]
    fn qx_reconstructs_exact_grid() {
        // Values on the grid 0.25 * l with l in -32..=28 and the largest magnitude (-8 = -32
        // steps) negative: the first guess -nmax/max is already exact, the refinement must
        // keep it, and every value comes back.
        let x: Vec<f32> = (0..16).map(|i| (4 * i - 32) as f32 * 0.25).collect();
        let mut l = [0i8; 16];
        let s = make_qx_quants(32, &x, &mut l, 1, None);
        assert_eq!(s, 0.25);
        for i in 0..16 {
            assert_eq!(s * (l[i] as i32 - 32) as f32, x[i], "{i}");
        }
    }

    #[test]
    fn q3_coordinate_descent_never_worsens_the_fit() {
        // The x^2-weighted error after make_q3_quants is no worse than plain rounding at the
        // initial scale -nmax/max.
        for seed in 0..50u32 {
            let mut s = seed.wrapping_mul(747_796_405).wrapping_add(1);
            let x: Vec<f32> = (0..16)
                .map(|_| {
                    s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    ((s >> 9) as f32 / (1u32 << 23) as f32) - 0.5
                })
                .collect();
            let mut l = [0i8; 16];
            let scale = make_q3_quants(4, &x, &mut l);
            let (_, max) = signed_absmax(&x);
            let err = |sc: f32, lv: &dyn Fn(usize) -> i32| -> f32 {
                (0..16)
                    .map(|i| x[i] * x[i] * (x[i] - sc * lv(i) as f32).powi(2))
                    .sum()
            };
            let fitted = err(scale, &|i| l[i] as i32 - 4);
            let naive_iscale = -4.0 / max;
            let naive = err(1.0 / naive_iscale, &|i| {
                nearest_int(naive_iscale * x[i]).clamp(-4, 3)
            });
            assert!(
                fitted <= naive * (1.0 + 1e-5),
                "seed {seed}: {fitted} > {naive}"
            );
        }
    }

    #[test]
    fn q3_levels_stay_in_range() {
        let x: Vec<f32> = (0..16).map(|i| ((i * 7919) % 23) as f32 - 11.0).collect();
        let mut l = [0i8; 16];
        let s = make_q3_quants(4, &x, &mut l);
        assert!(s != 0.0);
        assert!(l.iter().all(|&v| (0..8).contains(&v)));
    }

    #[test]
    fn qkx2_flat_group_keeps_min() {
        let x = [-2.0f32; 32];
        let w = [1.0f32; 32];
        let mut l = [9u8; 32];
        let (s, m) = make_qkx2_quants(15, &x, &w, &mut l, -1.0, 0.1, 20, false);
        assert_eq!((s, m), (0.0, 2.0));
        assert_eq!(l, [0; 32]);
    }

    #[test]
    fn qp_quantizes_positive_scales() {
        let x = [1.0f32, 2.0, 3.0, 4.0, 0.5, 0.25, 3.5, 2.5];
        let w = [1.0f32; 8];
        let mut l = [0u8; 8];
        let s = make_qp_quants(63, &x, &mut l, &w);
        for i in 0..8 {
            assert!((s * l[i] as f32 - x[i]).abs() <= s * 0.5 + 1e-6);
        }
    }
}
