//! ggml's scale searches, [`L`] groups at a time (one per lane; see [`super::lanes`]).
//!
//! Each function is the scalar reference in `quant::common` (`make_qkx3_quants`,
//! `make_qx_quants`) with the per-element loops run for all lanes at once. Per lane, the
//! floating-point operations, their operands and their order are exactly the reference's, and
//! every `if` of the reference becomes a per-lane select, so each lane's result is the
//! reference's result for that group, bit for bit (checked in tests/quant_fast.rs).

use super::lanes::{F, L, nint};
use crate::quant::common::GROUP_MAX_EPS;

/// Lane form of `make_qkx3_quants` (and so of `make_qkx2_quants`) for groups of `N` values
/// with explicit weights: `x[i][k]` / `w[i][k]` is element `i` of group `k`. Writes each
/// group's levels (`0..=nmax`) to `levels[i][k]` and returns per lane `(scale, -min)`.
/// `MAD` selects the absolute-error objective (`use_mad`).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // mirrors ggml's parameter list
pub(crate) fn qkx3_lanes<const N: usize, const MAD: bool>(
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    levels: &mut [[u8; L]; N],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
) -> (F, F) {
    const { assert!(N > 0) };
    let err = |diff: f32| if MAD { diff.abs() } else { diff * diff };
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = w[0];
    let mut sum_x = [0f32; L];
    for k in 0..L {
        sum_x[k] = sum_w[k] * x[0][k];
    }
    for i in 1..N {
        for k in 0..L {
            let v = x[i][k];
            if v < min[k] {
                min[k] = v;
            }
            if v > max[k] {
                max[k] = v;
            }
            sum_w[k] += w[i][k];
            sum_x[k] += w[i][k] * v;
        }
    }
    let mut flat = [false; L];
    let mut iscale = [0f32; L];
    let mut scale = [0f32; L];
    for k in 0..L {
        if min[k] > 0.0 {
            min[k] = 0.0;
        }
        // ggml's `max <= min` (not `!(max > min)`: they differ on NaN).
        flat[k] = max[k] <= min[k];
        iscale[k] = nmax as f32 / (max[k] - min[k]);
        scale[k] = 1.0 / iscale[k];
    }
    // Levels as f32 (small integers, exact): the error passes read them as floats anyway.
    let mut best = [[0f32; L]; N];
    let mut best_mad = [0f32; L];
    for i in 0..N {
        for k in 0..L {
            let li = nint(iscale[k] * (x[i][k] - min[k])).clamp(0, nmax);
            let lf = li as f32;
            best[i][k] = lf;
            let diff = scale[k] * lf + min[k] - x[i][k];
            best_mad[k] += w[i][k] * err(diff);
        }
    }
    if nstep >= 1 {
        let mut laux = [[0f32; L]; N];
        for is in 0..=nstep {
            // ggml updates `min` when a candidate wins, and later candidates start from the
            // new one (both in their inverse scale and in `x[i] - min`): so do the lanes.
            let step = rmin + rdelta * is as f32 + nmax as f32;
            let mut cand_iscale = [0f32; L];
            for k in 0..L {
                cand_iscale[k] = step / (max[k] - min[k]);
            }
            let mut sum_l = [0f32; L];
            let mut sum_l2 = [0f32; L];
            let mut sum_xl = [0f32; L];
            for i in 0..N {
                for k in 0..L {
                    let lf = nint(cand_iscale[k] * (x[i][k] - min[k])).clamp(0, nmax) as f32;
                    laux[i][k] = lf;
                    let wl = w[i][k] * lf;
                    sum_l[k] += wl;
                    sum_l2[k] += wl * lf;
                    sum_xl[k] += wl * x[i][k];
                }
            }
            let mut this_scale = [0f32; L];
            let mut this_min = [0f32; L];
            let mut ok = [false; L];
            for k in 0..L {
                let d = sum_w[k] * sum_l2[k] - sum_l[k] * sum_l[k];
                // A flat group returned before the search in ggml: never let it take one.
                ok[k] = !flat[k] && d > 0.0;
                let s = (sum_w[k] * sum_xl[k] - sum_x[k] * sum_l[k]) / d;
                let m = (sum_l2[k] * sum_x[k] - sum_l[k] * sum_xl[k]) / d;
                let clipped = m > 0.0;
                this_min[k] = if clipped { 0.0 } else { m };
                this_scale[k] = if clipped { sum_xl[k] / sum_l2[k] } else { s };
            }
            let mut mad = [0f32; L];
            for i in 0..N {
                for k in 0..L {
                    let diff = this_scale[k] * laux[i][k] + this_min[k] - x[i][k];
                    mad[k] += w[i][k] * err(diff);
                }
            }
            let mut take = [false; L];
            for k in 0..L {
                take[k] = ok[k] && mad[k] < best_mad[k];
                if take[k] {
                    best_mad[k] = mad[k];
                    scale[k] = this_scale[k];
                    min[k] = this_min[k];
                }
            }
            for i in 0..N {
                for k in 0..L {
                    if take[k] {
                        best[i][k] = laux[i][k];
                    }
                }
            }
        }
    }
    for i in 0..N {
        for k in 0..L {
            levels[i][k] = if flat[k] { 0 } else { best[i][k] as u8 };
        }
    }
    let mut neg_min = [0f32; L];
    for k in 0..L {
        if flat[k] {
            scale[k] = 0.0;
        }
        neg_min[k] = -min[k];
    }
    (scale, neg_min)
}

/// Lane form of `make_qx_quants` for a positive `rmse_type` with the per-element weights
/// already computed (`w[i][k]`: the imatrix-derived weight, or `x^2` for rmse_type 1 without
/// one). Writes levels offset by `nmax` (`0..2*nmax`) to `levels[i][k]`; returns the scales.
#[inline(always)]
pub(crate) fn qx_lanes<const N: usize>(
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    levels: &mut [[i8; L]; N],
) -> F {
    let mut max = [0f32; L];
    let mut amax = [0f32; L];
    for i in 0..N {
        for k in 0..L {
            let ax = x[i][k].abs();
            if ax > amax[k] {
                amax[k] = ax;
                max[k] = x[i][k];
            }
        }
    }
    let mut wx = [[0f32; L]; N];
    for i in 0..N {
        for k in 0..L {
            wx[i][k] = w[i][k] * x[i][k];
        }
    }
    let nmax_f = nmax as f32;
    // Sums of one candidate inverse scale: `sumlx += w*x*l`, `suml2 += w*l*l`, in ggml's order.
    let sums = |iscale: &F, lev: &mut [F; N]| -> (F, F) {
        let mut sumlx = [0f32; L];
        let mut suml2 = [0f32; L];
        for i in 0..N {
            for k in 0..L {
                let lf = nint(iscale[k] * x[i][k]).clamp(-nmax, nmax - 1) as f32;
                lev[i][k] = lf;
                sumlx[k] += wx[i][k] * lf;
                suml2[k] += w[i][k] * lf * lf;
            }
        }
        (sumlx, suml2)
    };
    let mut iscale = [0f32; L];
    for k in 0..L {
        iscale[k] = -nmax_f / max[k];
    }
    let mut best_lev = [[0f32; L]; N];
    let (sumlx, suml2) = sums(&iscale, &mut best_lev);
    let mut scale = [0f32; L];
    let mut best = [0f32; L];
    for k in 0..L {
        scale[k] = if suml2[k] != 0.0 {
            sumlx[k] / suml2[k]
        } else {
            0.0
        };
        best[k] = scale[k] * sumlx[k];
    }
    let mut lev = [[0f32; L]; N];
    for is in -9i32..=9 {
        if is == 0 {
            continue;
        }
        let step = nmax_f + 0.1 * is as f32;
        for k in 0..L {
            iscale[k] = -step / max[k];
        }
        let (sumlx, suml2) = sums(&iscale, &mut lev);
        let mut take = [false; L];
        for k in 0..L {
            take[k] = suml2[k] > 0.0 && sumlx[k] * sumlx[k] > best[k] * suml2[k];
            if take[k] {
                scale[k] = sumlx[k] / suml2[k];
                best[k] = scale[k] * sumlx[k];
            }
        }
        for i in 0..N {
            for k in 0..L {
                if take[k] {
                    best_lev[i][k] = lev[i][k];
                }
            }
        }
    }
    let zero = amax.map(|a| a < GROUP_MAX_EPS);
    for i in 0..N {
        for k in 0..L {
            levels[i][k] = if zero[k] {
                0
            } else {
                (nmax + best_lev[i][k] as i32) as i8
            };
        }
    }
    for k in 0..L {
        if zero[k] {
            scale[k] = 0.0;
        }
    }
    scale
}
