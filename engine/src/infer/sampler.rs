//! Choosing the next token from logits: greedy, or repetition penalty → top-k → top-p →
//! temperature → a seeded random draw, the order of llama.cpp's default sampler chain
//! (`common/sampling.cpp`: penalties, top_k, top_p, temperature, dist; the stages Bitsmith
//! does not offer are no-ops at their defaults).
//!
//! The random generator is the engine's own ([`Rng`], SplitMix64), so a seed gives the same
//! tokens on every platform, native and wasm. It is not llama.cpp's `std::mt19937`, so seeded
//! *random* draws do not reproduce llama.cpp's; greedy decoding does.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::InferError;

/// A small, fast, seedable generator: SplitMix64 (Steele, Lea & Flood 2014; the constants are
/// the published ones). Plenty for sampling, deterministic across targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// A standard normal value (Box–Muller), for tests and synthetic data.
    pub fn normal(&mut self) -> f32 {
        let u1 = self.next_f64().max(f64::MIN_POSITIVE);
        let u2 = self.next_f64();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// Uniform integer in `0..n` (`n > 0`), by multiply-shift (bias below 2^-32 for small n).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// Sampling settings. The defaults are llama.cpp's (`common/common.h`, `common_params_sampling`):
/// temperature 0.8, top-k 40, top-p 0.95, repetition penalty 1.0 (off) over the last 64 tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplerConfig {
    /// 0 (or below) means greedy: always the most likely token.
    pub temperature: f32,
    /// Keep only the `top_k` most likely tokens; 0 disables.
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probabilities add up to `top_p`; 1.0 disables.
    pub top_p: f32,
    /// Divide positive (multiply negative) logits of recently seen tokens; 1.0 disables.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repeat_last_n: usize,
    pub seed: u64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            seed: 0,
        }
    }
}

impl SamplerConfig {
    /// Always the most likely token, no penalty.
    pub fn greedy() -> Self {
        SamplerConfig {
            temperature: 0.0,
            ..SamplerConfig::default()
        }
    }

    fn validate(&self) -> Result<(), InferError> {
        if !self.temperature.is_finite() {
            return Err(InferError::Config("temperature must be finite".into()));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(InferError::Config(format!(
                "top-p must be in (0, 1], got {}",
                self.top_p
            )));
        }
        if !(self.repeat_penalty.is_finite() && self.repeat_penalty > 0.0) {
            return Err(InferError::Config(format!(
                "repetition penalty must be positive, got {}",
                self.repeat_penalty
            )));
        }
        Ok(())
    }
}

/// Picks tokens and remembers recent ones for the repetition penalty.
#[derive(Clone, Debug)]
pub struct Sampler {
    cfg: SamplerConfig,
    rng: Rng,
    recent: VecDeque<u32>,
    /// Scratch: (token, logit) candidates.
    cand: Vec<(u32, f32)>,
}

impl Sampler {
    pub fn new(cfg: SamplerConfig) -> Result<Sampler, InferError> {
        cfg.validate()?;
        Ok(Sampler {
            rng: Rng::new(cfg.seed),
            recent: VecDeque::new(),
            cand: Vec::new(),
            cfg,
        })
    }

    pub fn config(&self) -> &SamplerConfig {
        &self.cfg
    }

    /// Records a token as seen (prompt tokens and generated ones), for the penalty window.
    pub fn accept(&mut self, token: u32) {
        if self.cfg.repeat_last_n == 0 {
            return;
        }
        if self.recent.len() == self.cfg.repeat_last_n {
            self.recent.pop_front();
        }
        self.recent.push_back(token);
    }

    /// Chooses the next token. `logits` is modified (penalties applied).
    pub fn sample(&mut self, logits: &mut [f32]) -> Result<u32, InferError> {
        if logits.is_empty() {
            return Err(InferError::Empty("logits"));
        }
        self.apply_penalty(logits);
        if self.cfg.temperature <= 0.0 {
            return Ok(argmax(logits));
        }
        self.cand.clear();
        self.cand
            .extend(logits.iter().enumerate().map(|(i, &l)| (i as u32, l)));
        // Sorting by descending logit (ties: lower id first) makes top-k and top-p prefixes.
        let by_logit = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        let k = self.cfg.top_k;
        if k > 0 && k < self.cand.len() {
            self.cand.select_nth_unstable_by(k - 1, by_logit);
            self.cand.truncate(k);
        }
        self.cand.sort_unstable_by(by_logit);
        if self.cfg.top_p < 1.0 {
            let max = self.cand[0].1;
            let total: f64 = self.cand.iter().map(|c| f64::from(c.1 - max).exp()).sum();
            let mut cum = 0.0;
            let mut keep = self.cand.len();
            for (i, c) in self.cand.iter().enumerate() {
                cum += f64::from(c.1 - max).exp() / total;
                if cum >= f64::from(self.cfg.top_p) {
                    keep = i + 1;
                    break;
                }
            }
            self.cand.truncate(keep.max(1));
        }
        let t = self.cfg.temperature;
        let max = self.cand[0].1 / t;
        let weights: Vec<f64> = self
            .cand
            .iter()
            .map(|c| f64::from(c.1 / t - max).exp())
            .collect();
        let total: f64 = weights.iter().sum();
        let mut r = self.rng.next_f64() * total;
        for (c, w) in self.cand.iter().zip(&weights) {
            if r < *w {
                return Ok(c.0);
            }
            r -= w;
        }
        Ok(self.cand[self.cand.len() - 1].0)
    }

    /// llama.cpp's repetition penalty (`llama_sampler_penalties_apply`): each distinct token of
    /// the window has its logit divided by the penalty when positive, multiplied when not.
    fn apply_penalty(&self, logits: &mut [f32]) {
        let p = self.cfg.repeat_penalty;
        if p == 1.0 || self.recent.is_empty() {
            return;
        }
        let mut seen: Vec<u32> = self.recent.iter().copied().collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            if let Some(l) = logits.get_mut(t as usize) {
                *l = if *l <= 0.0 { *l * p } else { *l / p };
            }
        }
    }
}

/// Index of the largest logit; the first one on ties (llama.cpp's greedy sampler).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_uniformish() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut r = Rng::new(7);
        let mean: f64 = (0..10000).map(|_| r.next_f64()).sum::<f64>() / 10000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!((0..1000).all(|_| r.below(10) < 10));
    }

    #[test]
    fn greedy_takes_first_max() {
        let mut s = Sampler::new(SamplerConfig::greedy()).unwrap();
        assert_eq!(s.sample(&mut [1.0, 3.0, 3.0, -1.0]).unwrap(), 1);
    }

    #[test]
    fn penalty_can_change_the_greedy_choice() {
        let mut s = Sampler::new(SamplerConfig {
            repeat_penalty: 2.0,
            ..SamplerConfig::greedy()
        })
        .unwrap();
        s.accept(0);
        // 4/2 = 2 < 3: token 1 wins; negative logits get more negative.
        let mut l = [4.0, 3.0, -1.0];
        assert_eq!(s.sample(&mut l).unwrap(), 1);
        assert_eq!(l, [2.0, 3.0, -1.0]);
        s.accept(2);
        let mut l = [4.0, 3.0, -1.0];
        s.sample(&mut l).unwrap();
        assert_eq!(l[2], -2.0);
    }

    #[test]
    fn top_k_one_is_greedy_and_seed_reproduces() {
        let logits = [0.5f32, 2.0, 1.9, -3.0, 1.0];
        let mut s = Sampler::new(SamplerConfig {
            top_k: 1,
            temperature: 5.0,
            ..SamplerConfig::default()
        })
        .unwrap();
        for _ in 0..20 {
            assert_eq!(s.sample(&mut logits.clone()).unwrap(), 1);
        }
        let draw = |seed| {
            let mut s = Sampler::new(SamplerConfig {
                seed,
                top_k: 0,
                top_p: 1.0,
                temperature: 1.0,
                ..SamplerConfig::default()
            })
            .unwrap();
            (0..50)
                .map(|_| s.sample(&mut logits.clone()).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(9), draw(9));
        assert_ne!(draw(9), draw(10));
    }

    #[test]
    fn top_p_keeps_the_nucleus_only() {
        // Probabilities ≈ [0.64, 0.24, 0.09, 0.03]: top-p 0.8 keeps tokens 0 and 1.
        let logits = [3.0f32, 2.0, 1.0, 0.0];
        let mut s = Sampler::new(SamplerConfig {
            top_k: 0,
            top_p: 0.8,
            temperature: 1.0,
            seed: 3,
            ..SamplerConfig::default()
        })
        .unwrap();
        let mut seen = [0usize; 4];
        for _ in 0..2000 {
            seen[s.sample(&mut logits.clone()).unwrap() as usize] += 1;
        }
        assert_eq!(seen[2] + seen[3], 0, "{seen:?}");
        // Renormalised: 0.73 / 0.27.
        let frac = seen[0] as f64 / 2000.0;
        assert!((frac - 0.731).abs() < 0.04, "{frac}");
    }

    #[test]
    fn temperature_sharpens_and_flattens() {
        let logits = [1.0f32, 0.0];
        let count0 = |t: f32| {
            let mut s = Sampler::new(SamplerConfig {
                top_k: 0,
                top_p: 1.0,
                temperature: t,
                seed: 11,
                ..SamplerConfig::default()
            })
            .unwrap();
            (0..4000)
                .filter(|_| s.sample(&mut logits.clone()).unwrap() == 0)
                .count() as f64
                / 4000.0
        };
        // p0 = sigmoid(1/t): t=1 → 0.731, t=0.25 → 0.982, t=4 → 0.562.
        assert!((count0(1.0) - 0.731).abs() < 0.03);
        assert!((count0(0.25) - 0.982).abs() < 0.01);
        assert!((count0(4.0) - 0.562).abs() < 0.03);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(
            Sampler::new(SamplerConfig {
                top_p: 0.0,
                ..SamplerConfig::default()
            })
            .is_err()
        );
        assert!(
            Sampler::new(SamplerConfig {
                repeat_penalty: -1.0,
                ..SamplerConfig::default()
            })
            .is_err()
        );
        assert!(
            Sampler::new(SamplerConfig::greedy())
                .unwrap()
                .sample(&mut [])
                .is_err()
        );
    }
}
