//! Does it fit: per preset, at the requested context, and the longest context that does.

use serde::{Deserialize, Serialize};

use super::format_bytes;
use super::mix::{Preset, published_ppl_delta, quality_rank};

/// Below this many tokens a context is not useful for chat, so "fits with a shorter context"
/// turns into "does not fit".
pub const MIN_USEFUL_CONTEXT: u64 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    Fits,
    FitsShorterContext,
    DoesNotFit,
}

impl Fit {
    pub fn label(self) -> &'static str {
        match self {
            Fit::Fits => "fits",
            Fit::FitsShorterContext => "fits with a shorter context",
            Fit::DoesNotFit => "does not fit",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub fit: Fit,
    /// Memory needed at the requested context.
    pub needed_bytes: u64,
    pub usable_bytes: u64,
    /// Longest context (per sequence, up to the requested one) whose total fits; 0 if none.
    pub max_context: u64,
    pub reason: String,
}

/// Decides the fit. `total_at(ctx)` is the whole memory (weights, KV, compute, overhead) at a
/// context of `ctx` tokens; it must not decrease as `ctx` grows.
pub fn verdict(
    total_at: impl Fn(u64) -> u64,
    weights_bytes: u64,
    requested_ctx: u64,
    usable_bytes: u64,
) -> Verdict {
    let needed = total_at(requested_ctx);
    let usable = format_bytes(usable_bytes);
    if needed <= usable_bytes {
        return Verdict {
            fit: Fit::Fits,
            needed_bytes: needed,
            usable_bytes,
            max_context: requested_ctx,
            reason: format!(
                "needs {} of {usable} usable at {requested_ctx} tokens; {} to spare",
                format_bytes(needed),
                format_bytes(usable_bytes - needed)
            ),
        };
    }
    // Largest ctx in [1, requested) with total_at(ctx) <= usable, by bisection.
    let (mut lo, mut hi) = (0u64, requested_ctx);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if total_at(mid) <= usable_bytes {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let max_context = lo;
    if max_context >= MIN_USEFUL_CONTEXT {
        return Verdict {
            fit: Fit::FitsShorterContext,
            needed_bytes: needed,
            usable_bytes,
            max_context,
            reason: format!(
                "needs {} at {requested_ctx} tokens but {usable} is usable; fits up to {max_context} tokens",
                format_bytes(needed)
            ),
        };
    }
    let reason = if weights_bytes > usable_bytes {
        format!(
            "the weights alone ({}) exceed the {usable} usable",
            format_bytes(weights_bytes)
        )
    } else {
        format!(
            "weights, runtime and buffers leave room for {max_context} tokens of context (under {MIN_USEFUL_CONTEXT}) in {usable}"
        )
    };
    Verdict {
        fit: Fit::DoesNotFit,
        needed_bytes: needed,
        usable_bytes,
        max_context,
        reason,
    }
}

/// The recommended preset and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BestChoice {
    pub preset: Preset,
    pub fit: Fit,
    pub reason: String,
}

/// Picks the highest-quality preset (lowest [`quality_rank`]) that fits at the
/// requested context; if none does, the one that allows the longest context (ties: quality).
pub fn best_preset(candidates: &[(Preset, &Verdict)], requested_ctx: u64) -> Option<BestChoice> {
    let mut by_quality: Vec<&(Preset, &Verdict)> = candidates.iter().collect();
    by_quality.sort_by_key(|(p, _)| quality_rank(*p));
    if let Some((p, _)) = by_quality.iter().find(|(_, v)| v.fit == Fit::Fits) {
        let better: Vec<&str> = by_quality
            .iter()
            .take_while(|(q, _)| q != p)
            .map(|(q, _)| q.name())
            .collect();
        let quality = match published_ppl_delta(*p) {
            Some(d) => format!(" (llama.cpp measures {d:+.4} perplexity on Llama-3-8B)"),
            None => String::new(),
        };
        let reason = if better.is_empty() {
            format!(
                "{} is the highest-quality preset and fits {requested_ctx} tokens{quality}",
                p.name()
            )
        } else {
            format!(
                "{} is the highest-quality preset that fits {requested_ctx} tokens{quality}; {} do not",
                p.name(),
                better.join(", ")
            )
        };
        return Some(BestChoice {
            preset: *p,
            fit: Fit::Fits,
            reason,
        });
    }
    let longest = by_quality
        .iter()
        .filter(|(_, v)| v.fit == Fit::FitsShorterContext)
        .max_by_key(|(p, v)| (v.max_context, std::cmp::Reverse(quality_rank(*p))))?;
    Some(BestChoice {
        preset: longest.0,
        fit: Fit::FitsShorterContext,
        reason: format!(
            "no preset fits {requested_ctx} tokens; {} allows the longest context, {} tokens",
            longest.0.name(),
            longest.1.max_context
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // total = 1000 + 10 × ctx
    fn total(ctx: u64) -> u64 {
        1000 + 10 * ctx
    }

    #[test]
    fn thresholds() {
        // Exactly at the limit still fits.
        let v = verdict(total, 900, 100, 2000);
        assert_eq!(v.fit, Fit::Fits);
        assert_eq!(v.max_context, 100);
        // One byte short: the longest context is 99... but that is under 256, so no fit.
        let v = verdict(total, 900, 100, 1999);
        assert_eq!(v.fit, Fit::DoesNotFit);
        assert_eq!(v.max_context, 99);
        // Longer requests: fits up to (usable − 1000) / 10.
        let v = verdict(total, 900, 8192, 1000 + 10 * 4000 + 9);
        assert_eq!(v.fit, Fit::FitsShorterContext);
        assert_eq!(v.max_context, 4000);
        assert!(v.reason.contains("4000"), "{}", v.reason);
        // Weights alone too big.
        let v = verdict(|c| 5000 + c, 5000, 8192, 4000);
        assert_eq!(v.fit, Fit::DoesNotFit);
        assert_eq!(v.max_context, 0);
        assert!(v.reason.contains("weights alone"), "{}", v.reason);
    }

    #[test]
    fn best_is_highest_quality_that_fits() {
        let fits = verdict(total, 0, 300, 10_000);
        let short = verdict(total, 0, 8192, 1000 + 10 * 300);
        let none = verdict(|_| 99_999, 99_999, 8192, 10);
        let cands = [
            (Preset::Q8_0, &none),
            (Preset::Q4_K_M, &fits),
            (Preset::Q2_K, &fits),
            (Preset::Q6_K, &short),
        ];
        let b = best_preset(&cands, 300).unwrap();
        assert_eq!(b.preset, Preset::Q4_K_M);
        assert!(b.reason.contains("Q8_0, Q6_K do not"), "{}", b.reason);
        // Nothing fits fully: the longest context wins.
        let short2 = verdict(total, 0, 8192, 1000 + 10 * 500);
        let cands = [(Preset::Q6_K, &short), (Preset::Q4_0, &short2)];
        let b = best_preset(&cands, 8192).unwrap();
        assert_eq!((b.preset, b.fit), (Preset::Q4_0, Fit::FitsShorterContext));
        assert!(best_preset(&[(Preset::Q8_0, &none)], 8192).is_none());
    }
}
