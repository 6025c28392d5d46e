//! Evaluation jobs: perplexity over a text, and a quantized model's divergence from its base.
//!
//! Both follow llama.cpp's `llama-perplexity` (tools/perplexity/perplexity.cpp, `perplexity()`
//! and `kl_divergence()`) in its default setting:
//!
//! * the text is tokenized with `add_special = true` (BOS first when the vocabulary's
//!   `add_bos_token` says so) and cut into `n_chunk = n_tokens / n_ctx` chunks of exactly
//!   `n_ctx` tokens (the remainder is dropped); at least `2·n_ctx` tokens are required;
//! * each chunk is evaluated from an empty KV cache, its first token replaced by BOS when the
//!   vocabulary adds BOS;
//! * only the second half is scored: the logits at chunk positions `first = n_ctx/2 ..
//!   n_ctx-2` predict tokens `first+1 .. n_ctx-1`, i.e. `n_ctx - 1 - n_ctx/2` tokens a chunk;
//! * `NLL = -log_softmax(logits)[next]` (max-subtracted, the exp-sum in f64), PPL = exp(mean NLL),
//!   and the printed `±` is `PPL · sqrt((mean(NLL²) - mean(NLL)²) / (count - 1))`.
//!
//! The KL job runs base and quantized models side by side on the same chunks (llama.cpp instead
//! saves the base log-probabilities to a file quantized to 16 bits and skips terms with
//! `log p < -16`; here both distributions are exact, so values can differ in the last digits).
//!
//! Jobs are step-able: each [`PerplexityJob::step`] / [`KldJob::step`] evaluates one
//! micro-batch of `ubatch` tokens, checks the cancel token, and can report progress.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::InferError;
use super::model::{Context, Model, Outputs};
use super::sampler::argmax;
use crate::progress::{CancelToken, Progress, ProgressSink, Stage};
use crate::tokenizer::Tokenizer;

/// Settings shared by both evaluations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalConfig {
    /// Tokens per chunk (llama-perplexity's `-c`).
    pub n_ctx: usize,
    /// Tokens evaluated per step.
    pub ubatch: usize,
    /// The BOS token put first in every chunk, when the vocabulary adds BOS.
    pub bos: Option<u32>,
    /// Evaluate at most this many chunks (llama-perplexity's `--chunks`).
    pub max_chunks: Option<usize>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            n_ctx: 512,
            ubatch: 128,
            bos: None,
            max_chunks: None,
        }
    }
}

impl EvalConfig {
    /// llama-perplexity's setting for this tokenizer and context size.
    pub fn for_tokenizer(tok: &Tokenizer, n_ctx: usize) -> EvalConfig {
        EvalConfig {
            n_ctx,
            bos: if tok.add_bos() { tok.bos() } else { None },
            ..EvalConfig::default()
        }
    }
}

pub type PerplexityConfig = EvalConfig;
pub type KldConfig = EvalConfig;

/// Tokenizes an evaluation text as llama-perplexity does (`common_tokenize(ctx, text, true)`:
/// special tokens added, special-token text not parsed).
pub fn eval_tokens(tok: &Tokenizer, text: &str) -> Result<Vec<u32>, InferError> {
    Ok(tok.encode(text, true, false)?)
}

/// `(mean, standard error of the mean)` as llama.cpp's `mean_and_uncertainty`.
fn mean_and_err(sum: f64, sum2: f64, count: usize) -> (f64, f64) {
    if count == 0 {
        return (0.0, 0.0);
    }
    let n = count as f64;
    let mean = sum / n;
    let var = sum2 / n - mean * mean;
    let err = if var > 0.0 && count > 1 {
        (var / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, err)
}

/// The chunk/micro-batch schedule shared by both jobs.
#[derive(Clone, Debug)]
struct Schedule {
    tokens: Vec<u32>,
    cfg: EvalConfig,
    n_chunks: usize,
    chunk: usize,
    pos: usize,
}

/// One micro-batch: tokens at chunk positions `pos..pos + tokens.len()` of chunk `chunk`.
struct Batch {
    chunk: usize,
    pos: usize,
    tokens: Vec<u32>,
    /// Logits wanted for batch rows `from..` (chunk positions `pos + from ..`), if any.
    outputs: Outputs,
    first_scored: usize,
}

impl Schedule {
    fn new(tokens: Vec<u32>, cfg: EvalConfig, n_vocab: usize) -> Result<Schedule, InferError> {
        if cfg.n_ctx < 4 {
            return Err(InferError::Config(format!(
                "the context must be at least 4 tokens, got {}",
                cfg.n_ctx
            )));
        }
        if cfg.ubatch == 0 {
            return Err(InferError::Config("ubatch must be at least 1".into()));
        }
        if tokens.len() < 2 * cfg.n_ctx {
            return Err(InferError::TooFewTokens {
                got: tokens.len(),
                needed: 2 * cfg.n_ctx,
                why: format!("llama-perplexity needs two chunks of {}", cfg.n_ctx),
            });
        }
        if let Some(&t) = tokens
            .iter()
            .chain(cfg.bos.as_ref())
            .find(|&&t| t as usize >= n_vocab)
        {
            return Err(InferError::TokenOutOfRange { token: t, n_vocab });
        }
        let mut n_chunks = tokens.len() / cfg.n_ctx;
        if let Some(m) = cfg.max_chunks {
            n_chunks = n_chunks.min(m.max(1));
        }
        Ok(Schedule {
            tokens,
            cfg,
            n_chunks,
            chunk: 0,
            pos: 0,
        })
    }

    fn first(&self) -> usize {
        self.cfg.n_ctx / 2
    }

    fn done(&self) -> bool {
        self.chunk >= self.n_chunks
    }

    fn next_batch(&mut self) -> Option<Batch> {
        if self.done() {
            return None;
        }
        let n_ctx = self.cfg.n_ctx;
        let len = self.cfg.ubatch.min(n_ctx - self.pos);
        let start = self.chunk * n_ctx + self.pos;
        let mut tokens = self.tokens[start..start + len].to_vec();
        if self.pos == 0
            && let Some(b) = self.cfg.bos
        {
            tokens[0] = b;
        }
        let first = self.first();
        let (outputs, first_scored) = if self.pos + len <= first {
            (Outputs::None, 0)
        } else {
            let from = first.saturating_sub(self.pos);
            (Outputs::From(from), self.pos + from)
        };
        let b = Batch {
            chunk: self.chunk,
            pos: self.pos,
            tokens,
            outputs,
            first_scored,
        };
        self.pos += len;
        if self.pos == n_ctx {
            self.pos = 0;
            self.chunk += 1;
        }
        Some(b)
    }

    /// The token that the logits at chunk position `j` predict, when `j` is scored.
    fn target(&self, chunk: usize, j: usize) -> Option<u32> {
        (j + 1 < self.cfg.n_ctx).then(|| self.tokens[chunk * self.cfg.n_ctx + j + 1])
    }

    fn scored_per_chunk(&self) -> usize {
        self.cfg.n_ctx - 1 - self.first()
    }

    fn progress(&self, stage: Stage) -> Progress {
        let n_ctx = self.cfg.n_ctx as u64;
        Progress {
            stage,
            index: self.chunk.min(self.n_chunks.saturating_sub(1)),
            count: self.n_chunks,
            name: format!(
                "chunk {}/{}",
                (self.chunk + 1).min(self.n_chunks),
                self.n_chunks
            ),
            bytes_done: self.chunk as u64 * n_ctx + self.pos as u64,
            bytes_total: self.n_chunks as u64 * n_ctx,
        }
    }
}

/// llama.cpp's `log_softmax` for one row: `(max, ln Σ exp(l - max))`.
fn log_sum_exp(logits: &[f32]) -> (f32, f64) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| f64::from((l - max).exp())).sum();
    (max, sum.ln())
}

/// Negative log-likelihood of `tok` under `logits`.
fn nll_of(logits: &[f32], tok: u32) -> f64 {
    let (max, lse) = log_sum_exp(logits);
    -(f64::from(logits[tok as usize] - max) - lse)
}

/// The result of a perplexity run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerplexityResult {
    pub ppl: f64,
    /// The `±` llama-perplexity prints: `ppl · stderr(NLL)`.
    pub ppl_err: f64,
    pub mean_nll: f64,
    pub nll_stderr: f64,
    /// Tokens scored.
    pub count: usize,
    pub n_ctx: usize,
    pub n_chunks: usize,
    /// Tokens in the text.
    pub n_tokens: usize,
    /// The running PPL after each chunk (llama-perplexity's `[i]x.xxxx` list).
    pub chunk_ppl: Vec<f64>,
    /// NLL of every scored token, in order.
    pub nll: Vec<f32>,
}

/// Perplexity over a token sequence (see the module docs for the exact setting).
pub struct PerplexityJob {
    model: Arc<Model>,
    ctx: Context,
    sched: Schedule,
    n_tokens: usize,
    nll_sum: f64,
    nll2_sum: f64,
    nll: Vec<f32>,
    chunk_ppl: Vec<f64>,
    cancel: CancelToken,
}

impl PerplexityJob {
    pub fn new(
        model: Arc<Model>,
        tokens: Vec<u32>,
        cfg: EvalConfig,
        cancel: CancelToken,
    ) -> Result<PerplexityJob, InferError> {
        let n_tokens = tokens.len();
        let sched = Schedule::new(tokens, cfg, model.n_vocab())?;
        Ok(PerplexityJob {
            ctx: model.new_context(sched.cfg.n_ctx)?,
            model,
            sched,
            n_tokens,
            nll_sum: 0.0,
            nll2_sum: 0.0,
            nll: Vec::new(),
            chunk_ppl: Vec::new(),
            cancel,
        })
    }

    pub fn progress(&self) -> Progress {
        self.sched.progress(if self.is_done() {
            Stage::Done
        } else {
            Stage::Prefill
        })
    }

    pub fn is_done(&self) -> bool {
        self.sched.done()
    }

    /// Evaluates one micro-batch. Returns `true` when the whole text is done.
    pub fn step(&mut self) -> Result<bool, InferError> {
        self.cancel.check()?;
        let Some(b) = self.sched.next_batch() else {
            return Ok(true);
        };
        if b.pos == 0 {
            self.ctx.clear();
        }
        let logits = self.model.forward(&mut self.ctx, &b.tokens, b.outputs)?;
        let nv = self.model.n_vocab();
        for (r, row) in logits.chunks_exact(nv).enumerate() {
            if let Some(target) = self.sched.target(b.chunk, b.first_scored + r) {
                let v = nll_of(row, target);
                self.nll_sum += v;
                self.nll2_sum += v * v;
                self.nll.push(v as f32);
            }
        }
        if b.pos + b.tokens.len() == self.sched.cfg.n_ctx {
            self.chunk_ppl
                .push((self.nll_sum / self.nll.len() as f64).exp());
        }
        Ok(self.sched.done())
    }

    /// The result so far (complete once [`is_done`](Self::is_done)).
    pub fn result(&self) -> PerplexityResult {
        let count = self.nll.len();
        let (mean, err) = mean_and_err(self.nll_sum, self.nll2_sum, count);
        let ppl = mean.exp();
        PerplexityResult {
            ppl,
            ppl_err: ppl * err,
            mean_nll: mean,
            nll_stderr: err,
            count,
            n_ctx: self.sched.cfg.n_ctx,
            n_chunks: self.sched.n_chunks,
            n_tokens: self.n_tokens,
            chunk_ppl: self.chunk_ppl.clone(),
            nll: self.nll.clone(),
        }
    }

    /// Runs to the end, reporting progress after every step.
    pub fn run(&mut self, sink: &mut dyn ProgressSink) -> Result<PerplexityResult, InferError> {
        sink.report(&self.progress());
        while !self.step()? {
            sink.report(&self.progress());
        }
        sink.report(&self.progress());
        Ok(self.result())
    }

    /// Tokens scored per chunk (`n_ctx - 1 - n_ctx/2`).
    pub fn scored_per_chunk(&self) -> usize {
        self.sched.scored_per_chunk()
    }
}

/// Order statistics of a distribution, interpolated as llama.cpp's `percentile` lambda.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub max: f64,
    pub p99_9: f64,
    pub p99: f64,
    pub p95: f64,
    pub p90: f64,
    pub median: f64,
    pub p10: f64,
    pub p5: f64,
    pub p1: f64,
    pub p0_1: f64,
    pub min: f64,
}

impl Quantiles {
    /// Of unsorted values (empty gives zeros).
    pub fn of(values: &[f32]) -> Quantiles {
        let mut v: Vec<f32> = values.to_vec();
        v.sort_by(f32::total_cmp);
        let q = |f: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            if f <= 0.0 {
                return f64::from(v[0]);
            }
            if f >= 1.0 {
                return f64::from(v[v.len() - 1]);
            }
            let p = f * (v.len() - 1) as f64;
            let ip = p as usize;
            let frac = p - ip as f64;
            (1.0 - frac) * f64::from(v[ip]) + frac * f64::from(v[(ip + 1).min(v.len() - 1)])
        };
        Quantiles {
            max: q(1.0),
            p99_9: q(0.999),
            p99: q(0.99),
            p95: q(0.95),
            p90: q(0.90),
            median: q(0.5),
            p10: q(0.10),
            p5: q(0.05),
            p1: q(0.01),
            p0_1: q(0.001),
            min: q(0.0),
        }
    }
}

/// How far a quantized model's predictions are from its base model's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KldResult {
    /// Tokens scored.
    pub count: usize,
    pub n_ctx: usize,
    pub n_chunks: usize,
    pub ppl_base: f64,
    pub ppl_base_err: f64,
    pub ppl_quant: f64,
    pub ppl_quant_err: f64,
    /// `ln(PPL(Q)/PPL(base))` = mean ΔNLL, and its uncertainty (correlation included).
    pub ln_ppl_ratio: f64,
    pub ln_ppl_ratio_err: f64,
    /// Mean KL(base ‖ quant) per token, in nats.
    pub kld_mean: f64,
    pub kld_err: f64,
    pub kld_quantiles: Quantiles,
    /// Fraction of tokens where both models' most likely token is the same.
    pub top1_agreement: f64,
    pub top1_err: f64,
    /// Per-token `NLL(quant) - NLL(base)` of the actual next token.
    pub delta_nll_mean: f64,
    pub delta_nll_quantiles: Quantiles,
    /// RMS of `p_quant(next) - p_base(next)`.
    pub delta_p_rms: f64,
    /// Per layer: `sqrt(Σ(h_quant - h_base)² / Σ h_base²)` over every position evaluated, where
    /// `h` is the hidden state (residual stream) after the layer.
    pub layer_rel_rms: Vec<f64>,
}

/// KL divergence, top-1 agreement, ΔNLL and per-layer error of `quant` against `base`.
pub struct KldJob {
    base: Arc<Model>,
    quant: Arc<Model>,
    ctx_base: Context,
    ctx_quant: Context,
    sched: Schedule,
    hidden: Vec<Vec<f32>>,
    layer_diff: Vec<f64>,
    layer_ref: Vec<f64>,
    kld: Vec<f32>,
    dnll: Vec<f32>,
    sums: KldSums,
    cancel: CancelToken,
}

#[derive(Clone, Debug, Default)]
struct KldSums {
    nll: f64,
    nll2: f64,
    nll_base: f64,
    nll_base2: f64,
    nll_nll_base: f64,
    kld: f64,
    kld2: f64,
    p_diff2: f64,
    same_top: usize,
}

impl KldJob {
    pub fn new(
        base: Arc<Model>,
        quant: Arc<Model>,
        tokens: Vec<u32>,
        cfg: EvalConfig,
        cancel: CancelToken,
    ) -> Result<KldJob, InferError> {
        let (hb, hq) = (base.hparams(), quant.hparams());
        if hb.n_vocab != hq.n_vocab {
            return Err(InferError::Mismatch(format!(
                "vocabularies of {} and {} tokens",
                hb.n_vocab, hq.n_vocab
            )));
        }
        if hb.n_layer != hq.n_layer || hb.n_embd != hq.n_embd {
            return Err(InferError::Mismatch(format!(
                "{}×{} vs {}×{} layers×width",
                hb.n_layer, hb.n_embd, hq.n_layer, hq.n_embd
            )));
        }
        let sched = Schedule::new(tokens, cfg, hb.n_vocab)?;
        let n_layer = hb.n_layer;
        Ok(KldJob {
            ctx_base: base.new_context(sched.cfg.n_ctx)?,
            ctx_quant: quant.new_context(sched.cfg.n_ctx)?,
            base,
            quant,
            sched,
            hidden: vec![Vec::new(); n_layer],
            layer_diff: vec![0.0; n_layer],
            layer_ref: vec![0.0; n_layer],
            kld: Vec::new(),
            dnll: Vec::new(),
            sums: KldSums::default(),
            cancel,
        })
    }

    pub fn progress(&self) -> Progress {
        self.sched.progress(if self.is_done() {
            Stage::Done
        } else {
            Stage::Prefill
        })
    }

    pub fn is_done(&self) -> bool {
        self.sched.done()
    }

    /// Evaluates one micro-batch on both models. Returns `true` when done.
    pub fn step(&mut self) -> Result<bool, InferError> {
        self.cancel.check()?;
        let Some(b) = self.sched.next_batch() else {
            return Ok(true);
        };
        if b.pos == 0 {
            self.ctx_base.clear();
            self.ctx_quant.clear();
        }
        let hidden = &mut self.hidden;
        let lb =
            self.base
                .forward_with(&mut self.ctx_base, &b.tokens, b.outputs, &mut |l, h| {
                    hidden[l].clear();
                    hidden[l].extend_from_slice(h);
                })?;
        let (diff, refs, hidden) = (&mut self.layer_diff, &mut self.layer_ref, &self.hidden);
        let lq =
            self.quant
                .forward_with(&mut self.ctx_quant, &b.tokens, b.outputs, &mut |l, h| {
                    for (&q, &r) in h.iter().zip(&hidden[l]) {
                        diff[l] += f64::from(q - r) * f64::from(q - r);
                        refs[l] += f64::from(r) * f64::from(r);
                    }
                })?;
        let nv = self.base.n_vocab();
        for (r, (rb, rq)) in lb.chunks_exact(nv).zip(lq.chunks_exact(nv)).enumerate() {
            let Some(target) = self.sched.target(b.chunk, b.first_scored + r) else {
                continue;
            };
            self.score(rb, rq, target);
        }
        Ok(self.sched.done())
    }

    fn score(&mut self, base: &[f32], quant: &[f32], target: u32) {
        let (mb, lse_b) = log_sum_exp(base);
        let (mq, lse_q) = log_sum_exp(quant);
        let logp_b = |i: usize| f64::from(base[i] - mb) - lse_b;
        let logp_q = |i: usize| f64::from(quant[i] - mq) - lse_q;
        let mut kl = 0f64;
        for i in 0..base.len() {
            let lb = logp_b(i);
            kl += lb.exp() * (lb - logp_q(i));
        }
        let t = target as usize;
        let (nll_b, nll_q) = (-logp_b(t), -logp_q(t));
        let s = &mut self.sums;
        s.nll += nll_q;
        s.nll2 += nll_q * nll_q;
        s.nll_base += nll_b;
        s.nll_base2 += nll_b * nll_b;
        s.nll_nll_base += nll_q * nll_b;
        s.kld += kl;
        s.kld2 += kl * kl;
        let p_diff = (-nll_q).exp() - (-nll_b).exp();
        s.p_diff2 += p_diff * p_diff;
        if argmax(base) == argmax(quant) {
            s.same_top += 1;
        }
        self.kld.push(kl as f32);
        self.dnll.push((nll_q - nll_b) as f32);
    }

    /// The result so far (complete once [`is_done`](Self::is_done)).
    pub fn result(&self) -> KldResult {
        let s = &self.sums;
        let n = self.kld.len();
        let nf = n.max(1) as f64;
        let (lq, lq_err) = mean_and_err(s.nll, s.nll2, n);
        let (lb, lb_err) = mean_and_err(s.nll_base, s.nll_base2, n);
        // llama.cpp's `covariance`: of the two NLL means.
        let cov = if n > 1 {
            (s.nll_nll_base / nf - (s.nll / nf) * (s.nll_base / nf)) / (nf - 1.0)
        } else {
            0.0
        };
        let ratio_err = (lq_err * lq_err + lb_err * lb_err - 2.0 * cov)
            .max(0.0)
            .sqrt();
        let (kld_mean, kld_err) = mean_and_err(s.kld, s.kld2, n);
        let top1 = s.same_top as f64 / nf;
        let top1_err = if n > 1 {
            (top1 * (1.0 - top1) / (nf - 1.0)).sqrt()
        } else {
            0.0
        };
        KldResult {
            count: n,
            n_ctx: self.sched.cfg.n_ctx,
            n_chunks: self.sched.n_chunks,
            ppl_base: lb.exp(),
            ppl_base_err: lb.exp() * lb_err,
            ppl_quant: lq.exp(),
            ppl_quant_err: lq.exp() * lq_err,
            ln_ppl_ratio: lq - lb,
            ln_ppl_ratio_err: ratio_err,
            kld_mean,
            kld_err,
            kld_quantiles: Quantiles::of(&self.kld),
            top1_agreement: top1,
            top1_err,
            delta_nll_mean: lq - lb,
            delta_nll_quantiles: Quantiles::of(&self.dnll),
            delta_p_rms: (s.p_diff2 / nf).sqrt(),
            layer_rel_rms: self
                .layer_diff
                .iter()
                .zip(&self.layer_ref)
                .map(|(d, r)| if *r > 0.0 { (d / r).sqrt() } else { 0.0 })
                .collect(),
        }
    }

    /// Runs to the end, reporting progress after every step.
    pub fn run(&mut self, sink: &mut dyn ProgressSink) -> Result<KldResult, InferError> {
        sink.report(&self.progress());
        while !self.step()? {
            sink.report(&self.progress());
        }
        sink.report(&self.progress());
        Ok(self.result())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_scores_the_second_half_of_each_chunk() {
        let cfg = EvalConfig {
            n_ctx: 8,
            ubatch: 3,
            bos: Some(99),
            max_chunks: None,
        };
        let tokens: Vec<u32> = (0..20).collect();
        let mut s = Schedule::new(tokens, cfg, 100).unwrap();
        assert_eq!(s.n_chunks, 2);
        assert_eq!(s.scored_per_chunk(), 3);
        let mut scored = Vec::new();
        let mut firsts = Vec::new();
        while let Some(b) = s.next_batch() {
            if b.pos == 0 {
                firsts.push(b.tokens[0]);
            }
            let n_out = match b.outputs {
                Outputs::None => 0,
                Outputs::From(i) => b.tokens.len() - i,
                _ => unreachable!(),
            };
            for r in 0..n_out {
                if let Some(t) = s.target(b.chunk, b.first_scored + r) {
                    scored.push(t);
                }
            }
        }
        // Chunk 0 = tokens 0..8: positions 4,5,6 predict tokens 5,6,7; chunk 1: 13,14,15.
        assert_eq!(scored, vec![5, 6, 7, 13, 14, 15]);
        assert_eq!(firsts, vec![99, 99]);
    }

    #[test]
    fn too_short_text_is_refused() {
        let cfg = EvalConfig {
            n_ctx: 8,
            ..EvalConfig::default()
        };
        assert!(matches!(
            Schedule::new((0..15).collect(), cfg, 100),
            Err(InferError::TooFewTokens { needed: 16, .. })
        ));
    }

    #[test]
    fn quantiles_interpolate_like_llama_cpp() {
        let v: Vec<f32> = (0..=100).map(|i| i as f32).collect();
        let q = Quantiles::of(&v);
        assert_eq!(q.median, 50.0);
        assert_eq!(q.max, 100.0);
        assert_eq!(q.min, 0.0);
        assert!((q.p99_9 - 99.9).abs() < 1e-4);
        assert!((q.p5 - 5.0).abs() < 1e-4);
    }

    #[test]
    fn nll_matches_a_hand_computed_softmax() {
        let l = [1.0f32, 2.0, 3.0];
        let z: f64 = l.iter().map(|&x| f64::from(x).exp()).sum();
        let want = -(3f64.exp() / z).ln();
        assert!((nll_of(&l, 2) - want).abs() < 1e-6);
        let (mean, err) = mean_and_err(6.0, 14.0, 3);
        assert!((mean - 2.0).abs() < 1e-12);
        assert!((err - (2.0f64 / 3.0 / 2.0).sqrt()).abs() < 1e-12);
    }
}
