//! Spaced review with FSRS-5 (Free Spaced Repetition Scheduler, version 5), written from its
//! published formulas with the published default parameters.
//!
//! Sources: the algorithm description "The Algorithm" in the fsrs4anki wiki
//! (github.com/open-spaced-repetition/fsrs4anki/wiki/The-Algorithm, FSRS-5 section) and the
//! reference scheduler py-fsrs (`src/fsrs/fsrs_v5.py`, `DEFAULT_PARAMETERS`).
//!
//! Why not a crate: `fsrs` (fsrs-rs) bundles the optimizer and the `burn` ML framework, far too
//! big for the UI bundle; `rs-fsrs` is scheduler-only but depends on `chrono` (with its serde
//! and clock code) for its dates, and the scheduler below is a few dozen lines over plain
//! milliseconds. The progress model runs on the UI thread, where every kilobyte counts against
//! the first-load budget.
//!
//! Quiz answers map to two of FSRS's four grades: right = Good (3), wrong = Again (1). A wrong
//! answer comes back after a short relearning step (10 minutes, as FSRS schedulers default to),
//! a right one after the interval at which recall is predicted to fall to 90 %.

use serde::{Deserialize, Serialize};

/// FSRS-5's 19 default parameters `w0..w18` (py-fsrs `DEFAULT_PARAMETERS`).
pub const W: [f64; 19] = [
    0.40255, 1.18385, 3.173, 15.69105, 7.1949, 0.5345, 1.4604, 0.0046, 1.54575, 0.1192, 1.01925,
    1.9395, 0.11, 0.29605, 2.2698, 0.2315, 2.9898, 0.51655, 0.6621,
];

/// The forgetting curve `R(t, S) = (1 + FACTOR·t/S)^DECAY`; FACTOR makes `R(S, S) = 0.9`.
pub const DECAY: f64 = -0.5;
pub const FACTOR: f64 = 19.0 / 81.0;
/// Retention the intervals aim for.
pub const DESIRED_RETENTION: f64 = 0.9;
pub const MAX_INTERVAL_DAYS: f64 = 36_500.0;
pub const MIN_STABILITY: f64 = 0.01;

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
/// Relearning step after a wrong answer.
pub const RELEARN_MS: i64 = 10 * MINUTE_MS;

/// FSRS grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grade {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Grade {
    fn g(self) -> f64 {
        self as i32 as f64
    }
}

/// A quiz item's memory state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Card {
    /// Days for recall probability to fall to 90 %.
    pub stability: f64,
    /// 1 (easy) … 10 (hard).
    pub difficulty: f64,
    /// Milliseconds since the Unix epoch.
    pub last_review: i64,
    pub due: i64,
    pub reps: u32,
    pub lapses: u32,
}

impl Default for Card {
    fn default() -> Self {
        Card {
            stability: W[2],
            difficulty: initial_difficulty(Grade::Good),
            last_review: 0,
            due: 0,
            reps: 0,
            lapses: 0,
        }
    }
}

/// `D0(G) = w4 − e^(w5·(G−1)) + 1`, clamped to [1, 10].
pub fn initial_difficulty(g: Grade) -> f64 {
    (W[4] - (W[5] * (g.g() - 1.0)).exp() + 1.0).clamp(1.0, 10.0)
}

/// `S0(G) = w[G−1]`.
pub fn initial_stability(g: Grade) -> f64 {
    W[g as usize - 1].max(MIN_STABILITY)
}

/// Recall probability after `days` at stability `s`.
pub fn retrievability(days: f64, s: f64) -> f64 {
    (1.0 + FACTOR * days.max(0.0) / s).powf(DECAY)
}

/// Days until recall falls to `DESIRED_RETENTION`: `I = S/FACTOR · (r^(1/DECAY) − 1)` (= S at
/// r = 0.9).
pub fn interval_days(s: f64) -> f64 {
    (s / FACTOR * (DESIRED_RETENTION.powf(1.0 / DECAY) - 1.0)).clamp(1.0, MAX_INTERVAL_DAYS)
}

/// `ΔD = −w6·(G−3)`, linear damping `D' = D + ΔD·(10−D)/9`, mean reversion towards `D0(Easy)`
/// by `w7`, clamped to [1, 10].
pub fn next_difficulty(d: f64, g: Grade) -> f64 {
    let delta = -W[6] * (g.g() - 3.0);
    let damped = d + delta * (10.0 - d) / 9.0;
    (W[7] * initial_difficulty(Grade::Easy) + (1.0 - W[7]) * damped).clamp(1.0, 10.0)
}

/// Stability after a successful recall:
/// `S·(1 + e^w8·(11−D)·S^(−w9)·(e^(w10·(1−R)) − 1)·hard·easy)`.
pub fn recall_stability(s: f64, d: f64, r: f64, g: Grade) -> f64 {
    let hard = if g == Grade::Hard { W[15] } else { 1.0 };
    let easy = if g == Grade::Easy { W[16] } else { 1.0 };
    s * (1.0
        + W[8].exp() * (11.0 - d) * s.powf(-W[9]) * ((W[10] * (1.0 - r)).exp() - 1.0) * hard * easy)
}

/// Stability after a lapse: `w11·D^(−w12)·((S+1)^w13 − 1)·e^(w14·(1−R))`, never above the
/// short-term value for Again.
pub fn forget_stability(s: f64, d: f64, r: f64) -> f64 {
    let long = W[11] * d.powf(-W[12]) * ((s + 1.0).powf(W[13]) - 1.0) * (W[14] * (1.0 - r)).exp();
    long.min(short_term_stability(s, Grade::Again))
}

/// Same-day review: `S·e^(w17·(G−3+w18))`.
pub fn short_term_stability(s: f64, g: Grade) -> f64 {
    s * (W[17] * (g.g() - 3.0 + W[18])).exp()
}

/// Schedules a card after an answer at `now` (ms). `None` is a card never reviewed.
pub fn review(card: Option<&Card>, g: Grade, now: i64) -> Card {
    let (stability, difficulty, reps, lapses) = match card {
        None => (initial_stability(g), initial_difficulty(g), 0, 0),
        Some(c) => {
            // Whole days elapsed, as the reference scheduler counts them.
            let days = ((now - c.last_review).max(0) / DAY_MS) as f64;
            let r = retrievability(days, c.stability);
            let s = if days < 1.0 {
                short_term_stability(c.stability, g)
            } else if g == Grade::Again {
                forget_stability(c.stability, c.difficulty, r)
            } else {
                recall_stability(c.stability, c.difficulty, r, g)
            };
            (
                s,
                next_difficulty(c.difficulty, g),
                c.reps,
                c.lapses + u32::from(g == Grade::Again),
            )
        }
    };
    let stability = stability.max(MIN_STABILITY);
    let due = if g == Grade::Again {
        now + RELEARN_MS
    } else {
        now + (interval_days(stability).round() as i64) * DAY_MS
    };
    Card {
        stability,
        difficulty,
        last_review: now,
        due,
        reps: reps + 1,
        lapses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn forgetting_curve_is_ninety_percent_at_stability() {
        assert!((retrievability(10.0, 10.0) - 0.9).abs() < 1e-12);
        assert_eq!(retrievability(0.0, 3.0), 1.0);
        assert!(retrievability(30.0, 10.0) < retrievability(20.0, 10.0));
        assert!((interval_days(12.0) - 12.0).abs() < 1e-9);
    }

    #[test]
    fn first_review_uses_the_initial_parameters() {
        let good = review(None, Grade::Good, T0);
        assert_eq!(good.stability, 3.173);
        // D0(3) = 7.1949 − e^(0.5345·2) + 1 = 5.2825…
        assert!(
            (good.difficulty - 5.282434422).abs() < 1e-6,
            "{}",
            good.difficulty
        );
        assert_eq!(good.due, T0 + 3 * DAY_MS);
        let again = review(None, Grade::Again, T0);
        assert_eq!(again.stability, 0.40255);
        assert_eq!(again.difficulty, 7.1949);
        assert_eq!(again.due, T0 + RELEARN_MS);
        assert!((initial_difficulty(Grade::Easy) - 3.2244).abs() < 1e-3);
    }

    #[test]
    fn on_time_success_grows_stability_by_the_published_formula() {
        let c = review(None, Grade::Good, T0);
        let next = review(Some(&c), Grade::Good, c.due);
        // R = 0.9 after 3 days at S = 3.173.
        let r = retrievability(3.0, 3.173);
        let want = 3.173
            * (1.0
                + 1.54575f64.exp()
                    * (11.0 - c.difficulty)
                    * 3.173f64.powf(-0.1192)
                    * ((1.01925 * (1.0 - r)).exp() - 1.0));
        assert!((next.stability - want).abs() < 1e-9);
        assert!(next.stability > 3.0 * c.stability, "{}", next.stability);
        assert!(next.due - c.due > 9 * DAY_MS);
        assert_eq!(next.reps, 2);
        // Good moves difficulty only by mean reversion (tiny).
        assert!((next.difficulty - c.difficulty).abs() < 0.05);
    }

    #[test]
    fn a_lapse_shrinks_stability_and_raises_difficulty() {
        let mut c = review(None, Grade::Good, T0);
        for _ in 0..3 {
            c = review(Some(&c), Grade::Good, c.due);
        }
        let lapse = review(Some(&c), Grade::Again, c.due);
        assert!(
            lapse.stability < c.stability / 2.0,
            "{} vs {}",
            lapse.stability,
            c.stability
        );
        assert!(lapse.difficulty > c.difficulty);
        assert_eq!(lapse.lapses, 1);
        assert_eq!(lapse.due, c.due + RELEARN_MS);
    }

    #[test]
    fn same_day_reviews_use_the_short_term_formula() {
        let c = review(None, Grade::Again, T0);
        let again = review(Some(&c), Grade::Good, T0 + RELEARN_MS);
        assert!((again.stability - 0.40255 * (0.51655f64 * 0.6621).exp()).abs() < 1e-12);
        assert!(again.due >= T0 + RELEARN_MS + DAY_MS);
    }

    #[test]
    fn difficulty_stays_in_range() {
        let mut d = 5.0;
        for _ in 0..50 {
            d = next_difficulty(d, Grade::Again);
        }
        assert!(d <= 10.0 && d > 9.0);
        for _ in 0..200 {
            d = next_difficulty(d, Grade::Easy);
        }
        assert!((1.0..1.5).contains(&d));
    }
}
