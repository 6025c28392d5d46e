//! ggml's scale searches, [`L`] groups at a time (one per lane; see [`super::lanes`]), on
//! explicit vectors ([`Simd`]).
//!
//! Each function is the scalar reference in `quant::common` (`make_qkx3_quants`,
//! `make_qx_quants`) with the per-element loops run for all lanes at once. Per lane, the
//! floating-point operations, their operands and their order are exactly the reference's, and
//! every `if` of the reference becomes a per-lane select, so each lane's result is the
//! reference's result for that group, bit for bit (checked in tests/quant_fast.rs).

use super::lanes::{F, L};
use super::simd::Simd;
use crate::quant::common::GROUP_MAX_EPS;

/// Lane form of `make_qkx3_quants` (and so of `make_qkx2_quants`) for groups of `N` values
/// with explicit weights: `x[i][k]` / `w[i][k]` is element `i` of group `k`. Writes each
/// group's levels (`0..=nmax`) to `levels[i][k]` and returns per lane `(scale, -min)`.
/// `MAD` selects the absolute-error objective (`use_mad`).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // mirrors ggml's parameter list
pub(crate) fn qkx3_lanes<S: Simd, const N: usize, const MAD: bool>(
    s: S,
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    levels: &mut [[u8; L]; N],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
) -> (F, F) {
    const { assert!(N > 0) };
    let (xv, wv) = load_all(s, x, w);
    let zero = s.splat(0.0);

    let mut min = xv[0];
    let mut max = xv[0];
    let mut sum_w = wv[0];
    let mut sum_x = s.mul(sum_w, xv[0]);
    for i in 1..N {
        min = s.select(s.lt(xv[i], min), xv[i], min);
        max = s.select(s.gt(xv[i], max), xv[i], max);
        sum_w = s.add(sum_w, wv[i]);
        sum_x = s.add(sum_x, s.mul(wv[i], xv[i]));
    }
    min = s.select(s.gt(min, zero), zero, min);
    // ggml's `max <= min` (not `!(max > min)`: they differ on NaN).
    let flat = s.le(max, min);
    let iscale = s.div(s.splat(nmax as f32), s.sub(max, min));
    let mut scale = s.div(s.splat(1.0), iscale);

    // Levels as f32 (small integers, exact): the error passes read them as floats anyway.
    let mut best = [zero; N];
    let mut best_mad = zero;
    for i in 0..N {
        let lf = s.to_f32(s.clamp(s.nint(s.mul(iscale, s.sub(xv[i], min))), 0, nmax));
        best[i] = lf;
        let diff = s.sub(s.add(s.mul(scale, lf), min), xv[i]);
        best_mad = s.add(best_mad, s.mul(wv[i], err::<S, MAD>(s, diff)));
    }
    if nstep >= 1 {
        let mut laux = [zero; N];
        for is in 0..=nstep {
            // ggml updates `min` when a candidate wins, and later candidates start from the
            // new one (both in their inverse scale and in `x[i] - min`): so do the lanes.
            let step = rmin + rdelta * is as f32 + nmax as f32;
            let cand_iscale = s.div(s.splat(step), s.sub(max, min));
            let mut sum_l = zero;
            let mut sum_l2 = zero;
            let mut sum_xl = zero;
            for i in 0..N {
                let l = s.nint(s.mul(cand_iscale, s.sub(xv[i], min)));
                let lf = s.to_f32(s.clamp(l, 0, nmax));
                laux[i] = lf;
                let wl = s.mul(wv[i], lf);
                sum_l = s.add(sum_l, wl);
                sum_l2 = s.add(sum_l2, s.mul(wl, lf));
                sum_xl = s.add(sum_xl, s.mul(wl, xv[i]));
            }
            let d = s.sub(s.mul(sum_w, sum_l2), s.mul(sum_l, sum_l));
            // A flat group returned before the search in ggml: never let it take a candidate.
            let ok = s.andnot(flat, s.gt(d, zero));
            if !s.any(ok) {
                continue;
            }
            let num_s = s.sub(s.mul(sum_w, sum_xl), s.mul(sum_x, sum_l));
            let num_m = s.sub(s.mul(sum_l2, sum_x), s.mul(sum_l, sum_xl));
            let m = s.div(num_m, d);
            let clipped = s.gt(m, zero);
            let this_min = s.select(clipped, zero, m);
            let this_scale = s.select(clipped, s.div(sum_xl, sum_l2), s.div(num_s, d));
            let mut mad = zero;
            for i in 0..N {
                let diff = s.sub(s.add(s.mul(this_scale, laux[i]), this_min), xv[i]);
                mad = s.add(mad, s.mul(wv[i], err::<S, MAD>(s, diff)));
            }
            let take = s.and(ok, s.lt(mad, best_mad));
            if s.any(take) {
                best_mad = s.select(take, mad, best_mad);
                scale = s.select(take, this_scale, scale);
                min = s.select(take, this_min, min);
                for i in 0..N {
                    best[i] = s.select(take, laux[i], best[i]);
                }
            }
        }
    }
    let flat = s.store(flat);
    for i in 0..N {
        let b = s.store(best[i]);
        for k in 0..L {
            levels[i][k] = if flat[k].to_bits() != 0 {
                0
            } else {
                b[k] as u8
            };
        }
    }
    let scale = s.store(s.select(s.load(&flat), zero, scale));
    // Negation, not `0 - min`: the sign of a zero min reaches the output.
    let neg_min = s.store(min).map(|m| -m);
    (scale, neg_min)
}

/// Lane form of `make_qx_quants` for a positive `rmse_type` with the per-element weights
/// already computed (`w[i][k]`: the imatrix-derived weight, or `x^2` for rmse_type 1 without
/// one). Writes levels offset by `nmax` (`0..2*nmax`) to `levels[i][k]`; returns the scales.
#[inline(always)]
pub(crate) fn qx_lanes<S: Simd, const N: usize>(
    s: S,
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    levels: &mut [[i8; L]; N],
) -> F {
    let (xv, wv) = load_all(s, x, w);
    let zero = s.splat(0.0);
    let mut max = zero;
    let mut amax = zero;
    for i in 0..N {
        let ax = s.abs(xv[i]);
        let bigger = s.gt(ax, amax);
        amax = s.select(bigger, ax, amax);
        max = s.select(bigger, xv[i], max);
    }
    let mut wx = wv;
    for i in 0..N {
        wx[i] = s.mul(wv[i], xv[i]);
    }
    let nmax_f = nmax as f32;
    let mut best_lev = [zero; N];
    let (sumlx, suml2) = qx_sums(
        s,
        nmax,
        s.div(s.splat(-nmax_f), max),
        &xv,
        &wv,
        &wx,
        &mut best_lev,
    );
    let mut scale = s.select(s.ne(suml2, zero), s.div(sumlx, suml2), zero);
    let mut best = s.mul(scale, sumlx);
    let mut lev = [zero; N];
    for is in -9i32..=9 {
        if is == 0 {
            continue;
        }
        let step = nmax_f + 0.1 * is as f32;
        // `-(nmax + 0.1*is) / max`: the negation is exact, so negate the numerator first.
        let (sumlx, suml2) = qx_sums(s, nmax, s.div(s.splat(-step), max), &xv, &wv, &wx, &mut lev);
        let take = s.and(
            s.gt(suml2, zero),
            s.gt(s.mul(sumlx, sumlx), s.mul(best, suml2)),
        );
        if s.any(take) {
            scale = s.select(take, s.div(sumlx, suml2), scale);
            best = s.select(take, s.mul(scale, sumlx), best);
            for i in 0..N {
                best_lev[i] = s.select(take, lev[i], best_lev[i]);
            }
        }
    }
    let zero_group = s.store(s.lt(amax, s.splat(GROUP_MAX_EPS)));
    for i in 0..N {
        let b = s.store(best_lev[i]);
        for k in 0..L {
            levels[i][k] = if zero_group[k].to_bits() != 0 {
                0
            } else {
                (nmax + b[k] as i32) as i8
            };
        }
    }
    s.store(s.select(s.load(&zero_group), zero, scale))
}

/// The error term of `make_qkx3_quants`: `|diff|` with `use_mad`, else `diff^2`.
#[inline(always)]
fn err<S: Simd, const MAD: bool>(s: S, diff: S::V) -> S::V {
    if MAD { s.abs(diff) } else { s.mul(diff, diff) }
}

/// One candidate inverse scale of `make_qx_quants`: the levels (written to `lev`) and
/// `sumlx += w*x*l`, `suml2 += w*l*l` in ggml's order (`wx[i]` is `w*x`).
// A function, not a closure: closures do not inherit the AVX2 target feature of the kernel
// they sit in and would not be inlined into it, leaving every vector operation a call.
#[inline(always)]
fn qx_sums<S: Simd, const N: usize>(
    s: S,
    nmax: i32,
    iscale: S::V,
    xv: &[S::V; N],
    wv: &[S::V; N],
    wx: &[S::V; N],
    lev: &mut [S::V; N],
) -> (S::V, S::V) {
    let zero = s.splat(0.0);
    let mut sumlx = zero;
    let mut suml2 = zero;
    for i in 0..N {
        let lf = s.to_f32(s.clamp(s.nint(s.mul(iscale, xv[i])), -nmax, nmax - 1));
        lev[i] = lf;
        sumlx = s.add(sumlx, s.mul(wx[i], lf));
        suml2 = s.add(suml2, s.mul(s.mul(wv[i], lf), lf));
    }
    (sumlx, suml2)
}

/// The values and weights as vectors (loops, not `array::from_fn`: see `qx_sums`).
#[inline(always)]
fn load_all<S: Simd, const N: usize>(s: S, x: &[F; N], w: &[F; N]) -> ([S::V; N], [S::V; N]) {
    let zero = s.splat(0.0);
    let (mut xv, mut wv) = ([zero; N], [zero; N]);
    for i in 0..N {
        xv[i] = s.load(&x[i]);
        wv[i] = s.load(&w[i]);
    }
    (xv, wv)
}
