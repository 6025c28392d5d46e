//! The research lessons' simulations: a leaky integrate-and-fire neuron, and rounding a few
//! real weights posed as a QUBO and solved by simulated annealing. The models are the ones
//! `content/README.md` defines for the `spiking_neuron` and `annealing_qubo` widgets.

use super::compute::ComputeError;
use crate::protocol::learn::{AnnealResult, SpikeTrace};

/// Longest simulation the widget may ask for (ms); keeps the reply small.
pub const MAX_DURATION_MS: u32 = 5_000;

/// Euler steps of 1 ms: `V ← V + (−V/τ + input)`; at `V ≥ threshold` the neuron spikes and `V`
/// resets to 0 (the spike step records the threshold, so the trace shows where it fired).
pub fn spiking(
    tau_ms: f64,
    threshold: f64,
    input: f64,
    duration_ms: u32,
) -> Result<SpikeTrace, ComputeError> {
    if !(tau_ms > 0.0 && threshold > 0.0 && input.is_finite()) {
        return Err(ComputeError::Invalid(
            "τ and the threshold must be positive, the input finite".into(),
        ));
    }
    let steps = duration_ms.min(MAX_DURATION_MS);
    let mut v = 0f64;
    let mut potential = Vec::with_capacity(steps as usize);
    let mut spikes = Vec::new();
    for t in 0..steps {
        v += -v / tau_ms + input;
        if v >= threshold {
            spikes.push(t);
            potential.push(threshold as f32);
            v = 0.0;
        } else {
            potential.push(v as f32);
        }
    }
    let drive = input * tau_ms;
    let predicted_period_ms =
        (drive > threshold).then(|| tau_ms * (drive / (drive - threshold)).ln());
    Ok(SpikeTrace {
        potential,
        spikes,
        predicted_period_ms,
    })
}

/// A small deterministic generator (SplitMix64) so a seed reproduces a run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The rounding problem: residuals `r_j = w_j − floor(w_j/s)·s` in `[0, s)`, so rounding weight
/// `j` up (`b_j = 1`) leaves the error `Δ_j = r_j − s`, down leaves `Δ_j = r_j`.
struct Qubo<'a> {
    r: Vec<f64>,
    s: f64,
    h: &'a [f64],
    n: usize,
}

impl Qubo<'_> {
    fn delta(&self, b: &[bool]) -> Vec<f64> {
        self.r
            .iter()
            .zip(b)
            .map(|(&r, &up)| if up { r - self.s } else { r })
            .collect()
    }
    /// `ΔᵀHΔ`.
    fn energy(&self, b: &[bool]) -> f64 {
        let d = self.delta(b);
        let mut e = 0.0;
        for i in 0..self.n {
            for j in 0..self.n {
                e += d[i] * self.h[i * self.n + j] * d[j];
            }
        }
        e
    }
    /// `HΔ`, the local field that makes a single flip's energy change O(1).
    fn field(&self, d: &[f64]) -> Vec<f64> {
        (0..self.n)
            .map(|i| (0..self.n).map(|j| self.h[i * self.n + j] * d[j]).sum())
            .collect()
    }
    /// Energy change of flipping `j`, given `Δ` and `HΔ`: with `Δ_j` moving by `c`,
    /// `ΔE = 2c(HΔ)_j + c²H_jj`.
    fn flip_gain(&self, b: &[bool], g: &[f64], j: usize) -> (f64, f64) {
        let c = if b[j] { self.s } else { -self.s };
        (2.0 * c * g[j] + c * c * self.h[j * self.n + j], c)
    }
    fn apply(&self, b: &mut [bool], d: &mut [f64], g: &mut [f64], j: usize, c: f64) {
        b[j] = !b[j];
        d[j] += c;
        for (i, gi) in g.iter_mut().enumerate() {
            *gi += self.h[i * self.n + j] * c;
        }
    }
}

/// Largest problem solved exhaustively (2^16 assignments, Gray-code order, O(n) each).
pub const EXHAUSTIVE_MAX: usize = 16;

/// Rounds `w` onto the symmetric `bits` grid minimising `ΔᵀHΔ` (see `content/README.md`):
/// round-to-nearest, simulated annealing (single flips, Metropolis acceptance, a geometric
/// schedule from `t_start` to `t_end`), and, for `n ≤ 16`, the exhaustive optimum.
/// Temperatures are in units of the round-to-nearest energy, so one schedule suits any layer's
/// activation scale.
#[allow(clippy::too_many_arguments)]
pub fn anneal(
    w: &[f32],
    h: &[f32],
    bits: u8,
    sweeps: u32,
    t_start: f64,
    t_end: f64,
    seed: u64,
) -> Result<AnnealResult, ComputeError> {
    let n = w.len();
    if !(2..=24).contains(&n) || h.len() != n * n {
        return Err(ComputeError::Invalid(format!(
            "the QUBO needs 2 to 24 weights and an n×n matrix (n = {n}, {} entries)",
            h.len()
        )));
    }
    if !(2..=8).contains(&bits) {
        return Err(ComputeError::Bits(bits));
    }
    if !(t_start > t_end && t_end > 0.0) {
        return Err(ComputeError::Invalid(
            "temperatures must satisfy start > end > 0".into(),
        ));
    }
    let m = f64::from((1u32 << (bits - 1)) - 1);
    let amax = w.iter().fold(0f64, |a, &x| a.max(f64::from(x).abs()));
    let s = if amax > 0.0 { amax / m } else { 1.0 };
    let h64: Vec<f64> = h.iter().map(|&x| f64::from(x)).collect();
    let q = Qubo {
        r: w.iter()
            .map(|&x| f64::from(x) - (f64::from(x) / s).floor() * s)
            .collect(),
        s,
        h: &h64,
        n,
    };
    let rtn: Vec<bool> = q.r.iter().map(|&r| r >= s / 2.0).collect();
    let rtn_energy = q.energy(&rtn);

    // Annealing from the round-to-nearest start.
    let scale = if rtn_energy > 0.0 { rtn_energy } else { 1.0 };
    let sweeps = sweeps.clamp(1, 100_000);
    let mut rng = SplitMix(seed);
    let mut b = rtn.clone();
    let mut d = q.delta(&b);
    let mut g = q.field(&d);
    let mut e = rtn_energy;
    let (mut best, mut best_e) = (b.clone(), e);
    let mut trace = Vec::with_capacity(32);
    let ratio = t_end / t_start;
    for k in 0..sweeps {
        let frac = if sweeps > 1 {
            f64::from(k) / f64::from(sweeps - 1)
        } else {
            1.0
        };
        let t = t_start * ratio.powf(frac) * scale;
        for _ in 0..n {
            let j = (rng.next() % n as u64) as usize;
            let (gain, c) = q.flip_gain(&b, &g, j);
            if gain <= 0.0 || rng.unit() < (-gain / t).exp() {
                q.apply(&mut b, &mut d, &mut g, j, c);
                e += gain;
                if e < best_e {
                    best_e = e;
                    best.clone_from(&b);
                }
            }
        }
        if (k + 1) % sweeps.div_ceil(32) == 0 || k + 1 == sweeps {
            trace.push(best_e);
        }
    }
    // Recompute rather than trust the running sum's rounding.
    let annealed_energy = q.energy(&best);

    let (optimum, optimum_energy) = if n <= EXHAUSTIVE_MAX {
        let mut b = vec![false; n];
        let mut d = q.delta(&b);
        let mut g = q.field(&d);
        let mut e = q.energy(&b);
        let (mut opt, mut opt_e) = (b.clone(), e);
        // Gray code: step i flips bit trailing_zeros(i).
        for i in 1u32..(1 << n) {
            let j = i.trailing_zeros() as usize;
            let (gain, c) = q.flip_gain(&b, &g, j);
            q.apply(&mut b, &mut d, &mut g, j, c);
            e += gain;
            if e < opt_e {
                opt_e = e;
                opt.clone_from(&b);
            }
        }
        let exact = q.energy(&opt);
        (Some(opt), Some(exact))
    } else {
        (None, None)
    };

    Ok(AnnealResult {
        weights: w.to_vec(),
        step: s as f32,
        rtn,
        annealed: best,
        optimum,
        rtn_energy,
        annealed_energy,
        optimum_energy,
        trace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neuron_fires_iff_drive_exceeds_threshold() {
        // τ·input = 1.6 > 1: fires, about every τ·ln(1.6/0.6) ≈ 19.6 ms.
        let t = spiking(20.0, 1.0, 0.08, 200).unwrap();
        assert_eq!(t.potential.len(), 200);
        let p = t.predicted_period_ms.unwrap();
        assert!((p - 19.6).abs() < 0.1, "{p}");
        assert!((9..=11).contains(&t.spikes.len()), "{:?}", t.spikes);
        let gaps: Vec<u32> = t.spikes.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| (18..=22).contains(&g)), "{gaps:?}");
        // τ·input = 0.8 < 1: it settles below threshold and never fires.
        let t = spiking(20.0, 1.0, 0.04, 500).unwrap();
        assert!(t.spikes.is_empty() && t.predicted_period_ms.is_none());
        assert!(t.potential.iter().all(|&v| v < 0.8001));
        assert!(spiking(0.0, 1.0, 0.1, 10).is_err());
    }

    /// A diagonal H makes the problem separable: round-to-nearest is then optimal.
    #[test]
    fn separable_problem_rtn_is_optimal() {
        let w = [0.11f32, -0.52, 0.37, 0.9, -0.05, 0.63];
        let mut h = vec![0f32; 36];
        for i in 0..6 {
            h[i * 6 + i] = 1.0 + i as f32;
        }
        let r = anneal(&w, &h, 3, 200, 1.0, 0.001, 7).unwrap();
        assert!((r.rtn_energy - r.optimum_energy.unwrap()).abs() < 1e-12);
        assert_eq!(r.optimum.as_ref().unwrap(), &r.rtn);
        assert!((r.annealed_energy - r.rtn_energy).abs() < 1e-12);
    }

    /// Strongly correlated inputs: rounding one weight up and its partner down cancels, which
    /// round-to-nearest cannot see and the annealer finds.
    #[test]
    fn correlated_inputs_beat_round_to_nearest() {
        // 3 bits: s = 0.9/3 = 0.3. Weights 1 and 2 both sit 0.6 of a step above a grid point, so
        // round-to-nearest rounds both up (Δ = −0.4s each); their inputs are 95 % correlated,
        // so the errors add. Rounding one down instead (Δ = +0.6s) cancels most of it.
        let w = [0.9f32, 0.18, 0.48, -0.21];
        let n = w.len();
        let mut h = vec![0f32; n * n];
        for i in 0..n {
            h[i * n + i] = 1.0;
        }
        h[n + 2] = 0.95;
        h[2 * n + 1] = 0.95;
        let s = 0.3f64;
        let r = anneal(&w, &h, 3, 2000, 1.0, 0.001, 1).unwrap();
        assert!(r.rtn[1] && r.rtn[2] && !r.rtn[3], "{:?}", r.rtn);
        assert!(
            (r.rtn_energy - (0.32 * 1.95 + 0.09) * s * s).abs() < 1e-6,
            "{}",
            r.rtn_energy
        );
        let opt = r.optimum_energy.unwrap();
        assert!(opt <= r.annealed_energy + 1e-12);
        assert!(opt <= r.rtn_energy + 1e-12);
        assert!(r.rtn_energy > opt * 1.5, "rtn {} opt {opt}", r.rtn_energy);
        assert!((r.annealed_energy - opt).abs() < 1e-9 * (1.0 + opt));
        // The trace only improves.
        assert!(r.trace.windows(2).all(|p| p[1] <= p[0]));
        // Same seed, same run.
        assert_eq!(anneal(&w, &h, 3, 2000, 1.0, 0.001, 1).unwrap(), r);
    }

    #[test]
    fn anneal_rejects_bad_input() {
        assert!(anneal(&[0.1], &[1.0], 2, 10, 1.0, 0.1, 0).is_err());
        assert!(anneal(&[0.1, 0.2], &[1.0; 3], 2, 10, 1.0, 0.1, 0).is_err());
        assert!(anneal(&[0.1, 0.2], &[1.0; 4], 2, 10, 0.1, 1.0, 0).is_err());
    }
}
