//! Progress reporting and cooperative cancellation for long jobs (quantizing a model, running
//! inference, planning), shared by the native CLI and the browser worker.
//!
//! Sans-IO: a job calls [`ProgressSink::report`] with a [`Progress`] snapshot and checks a
//! [`CancelToken`] between units of work (a tensor, a slab of rows, a token). The caller decides
//! what to do with the events (draw a bar, post a message to the UI thread, ignore them).
//!
//! `CancelToken` is an `Arc<AtomicBool>`: on native targets another thread flips it; on
//! `wasm32-unknown-unknown` (no threads) atomics compile to plain loads and stores, and the worker
//! flips it from a message handler between the job's `await` points or chunks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

/// A shared flag that asks a running job to stop at its next checkpoint. Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

/// Returned by jobs that stopped because their [`CancelToken`] was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl CancelToken {
    /// A fresh, not-cancelled token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder of this token (and its clones) to stop.
    pub fn cancel(&self) {
        // Relaxed is enough: the flag carries no data with it, it only has to become visible
        // eventually, and the job polls it in a loop.
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`cancel`](Self::cancel) was called on this token or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancelled: lets jobs write `token.check()?` at each checkpoint.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// What a job is doing right now. Stages are shared across jobs so one progress UI fits all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading headers / metadata and deciding what to do.
    Planning,
    /// Converting a quantized or half-precision source tensor to f32.
    Dequantizing,
    /// Quantizing a tensor to its target type.
    Quantizing,
    /// Copying a tensor that keeps its type.
    Copying,
    /// Emitting output bytes (header, padding).
    Writing,
    /// Loading model weights for inference.
    Loading,
    /// Processing a prompt.
    Prefill,
    /// Generating tokens.
    Decode,
    /// The job finished.
    Done,
}

impl Stage {
    /// A short lower-case label for progress bars and logs.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Planning => "planning",
            Stage::Dequantizing => "dequantizing",
            Stage::Quantizing => "quantizing",
            Stage::Copying => "copying",
            Stage::Writing => "writing",
            Stage::Loading => "loading",
            Stage::Prefill => "prefill",
            Stage::Decode => "decode",
            Stage::Done => "done",
        }
    }
}

/// One progress snapshot. `bytes_*` count the job's main unit of work (for quantization: source
/// tensor bytes consumed), so `bytes_done / bytes_total` is the overall fraction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub stage: Stage,
    /// Index of the current item (tensor, token), 0-based.
    pub index: usize,
    /// Number of items in the job.
    pub count: usize,
    /// Name of the current item (a tensor name; empty when there is none).
    pub name: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl Progress {
    /// Fraction of the job done, in `[0, 1]` (1 for an empty job).
    pub fn fraction(&self) -> f64 {
        if self.bytes_total == 0 {
            1.0
        } else {
            (self.bytes_done as f64 / self.bytes_total as f64).clamp(0.0, 1.0)
        }
    }
}

/// Receives progress events. Implemented for closures, so `&mut |p: &Progress| ...` works.
pub trait ProgressSink {
    fn report(&mut self, progress: &Progress);
}

impl<F: FnMut(&Progress)> ProgressSink for F {
    fn report(&mut self, progress: &Progress) {
        self(progress)
    }
}

/// A sink that drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn report(&mut self, _progress: &Progress) {}
}

/// Forwards an event only when the stage or item changes, or the overall fraction moved by at
/// least `min_step` since the last forwarded event: keeps `postMessage` traffic from a worker
/// (or terminal redraws) bounded however fine-grained the job reports.
pub struct Throttled<S> {
    inner: S,
    min_step: f64,
    last: Option<(Stage, usize, f64)>,
}

impl<S: ProgressSink> Throttled<S> {
    pub fn new(inner: S, min_step: f64) -> Self {
        Self {
            inner,
            min_step,
            last: None,
        }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: ProgressSink> ProgressSink for Throttled<S> {
    fn report(&mut self, p: &Progress) {
        let f = p.fraction();
        let forward = match self.last {
            None => true,
            Some((stage, index, last_f)) => {
                stage != p.stage
                    || index != p.index
                    || f - last_f >= self.min_step
                    || p.stage == Stage::Done
            }
        };
        if forward {
            self.last = Some((p.stage, p.index, f));
            self.inner.report(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(stage: Stage, index: usize, done: u64) -> Progress {
        Progress {
            stage,
            index,
            count: 3,
            name: format!("t{index}"),
            bytes_done: done,
            bytes_total: 1000,
        }
    }

    #[test]
    fn cancel_is_shared_by_clones() {
        let a = CancelToken::new();
        let b = a.clone();
        assert!(a.check().is_ok());
        b.cancel();
        assert!(a.is_cancelled());
        assert_eq!(a.check(), Err(Cancelled));
    }

    #[test]
    fn cancel_from_another_thread_is_seen() {
        let t = CancelToken::new();
        let t2 = t.clone();
        std::thread::spawn(move || t2.cancel()).join().unwrap();
        assert!(t.is_cancelled());
    }

    #[test]
    fn closures_are_sinks_and_fraction_is_clamped() {
        let mut seen = Vec::new();
        let mut sink = |p: &Progress| seen.push(p.fraction());
        sink.report(&ev(Stage::Quantizing, 0, 500));
        sink.report(&ev(Stage::Quantizing, 0, 5000));
        assert_eq!(seen, vec![0.5, 1.0]);
        let empty = Progress {
            bytes_total: 0,
            ..ev(Stage::Done, 0, 0)
        };
        assert_eq!(empty.fraction(), 1.0);
    }

    #[test]
    fn throttle_forwards_item_changes_and_big_steps_only() {
        let mut got = Vec::new();
        {
            let mut t = Throttled::new(|p: &Progress| got.push((p.index, p.bytes_done)), 0.1);
            t.report(&ev(Stage::Quantizing, 0, 0)); // first: forwarded
            t.report(&ev(Stage::Quantizing, 0, 50)); // +5%: dropped
            t.report(&ev(Stage::Quantizing, 0, 120)); // +12%: forwarded
            t.report(&ev(Stage::Quantizing, 1, 130)); // new item: forwarded
            t.report(&ev(Stage::Quantizing, 1, 140)); // dropped
            t.report(&ev(Stage::Done, 1, 1000)); // stage change: forwarded
        }
        assert_eq!(got, vec![(0, 0), (0, 120), (1, 130), (1, 1000)]);
    }

    #[test]
    fn progress_serializes_with_snake_case_stage() {
        let s = serde_json::to_string(&ev(Stage::Quantizing, 2, 10)).unwrap();
        assert!(s.contains("\"stage\":\"quantizing\""), "{s}");
        let back: Progress = serde_json::from_str(&s).unwrap();
        assert_eq!(back, ev(Stage::Quantizing, 2, 10));
    }
}
