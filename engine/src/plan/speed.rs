//! Speed by a roofline per phase, and calibration of its efficiencies from measured runs.
//!
//! For each phase, time = max(FLOPs / (peak × compute efficiency),
//! bytes / (bandwidth × bandwidth efficiency)). Prompt processing multiplies a whole
//! micro-batch through each weight it reads, so it is usually compute-bound; decoding reads every
//! weight (and the KV cache) once per token, so it is bandwidth-bound.

use serde::{Deserialize, Serialize};

use super::device::DeviceSpec;
use super::memory::{KvType, kv_cache};
use super::mix::WeightEstimate;
use super::model::ModelSpec;
use super::{PlanError, format_bytes};

/// Share of peak bandwidth a decode loop reaches by default. llama.cpp's quantized matrix-vector
/// kernels typically stream weights at 50–80 % of the datasheet figure; 0.6 is the middle.
pub const DEFAULT_BANDWIDTH_EFFICIENCY: f64 = 0.6;
/// Share of peak dense FP16 throughput prompt processing reaches by default (quantized weights
/// are dequantized on the fly; attention and small matrices run below peak).
pub const DEFAULT_COMPUTE_EFFICIENCY: f64 = 0.4;
/// Efficiencies for a device whose figures were measured by a micro-benchmark: the benchmark
/// already shows what a kernel achieves, so only a small derating remains.
pub const MEASURED_EFFICIENCY: f64 = 0.9;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Prefill,
    Decode,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Efficiency {
    pub bandwidth: f64,
    pub compute: f64,
}

impl Efficiency {
    /// The named defaults for a device.
    pub fn default_for(device: &DeviceSpec) -> Efficiency {
        if device.measured {
            Efficiency {
                bandwidth: MEASURED_EFFICIENCY,
                compute: MEASURED_EFFICIENCY,
            }
        } else {
            Efficiency {
                bandwidth: DEFAULT_BANDWIDTH_EFFICIENCY,
                compute: DEFAULT_COMPUTE_EFFICIENCY,
            }
        }
    }
}

/// What is being run: `batch` sequences, each with a prompt and an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeedScenario {
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    pub batch: u64,
}

impl Default for SpeedScenario {
    /// llama-bench's standard pp512 / tg128, one sequence.
    fn default() -> SpeedScenario {
        SpeedScenario {
            prompt_tokens: 512,
            output_tokens: 128,
            batch: 1,
        }
    }
}

impl SpeedScenario {
    /// Context position at which the average decoded token is produced.
    pub fn mean_decode_position(&self) -> u64 {
        self.prompt_tokens + self.output_tokens / 2
    }
}

/// One phase's prediction with its working.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseEstimate {
    pub phase: Phase,
    /// Tokens per second over all sequences of the batch.
    pub tokens_per_s: f64,
    /// FLOPs and bytes per step (prefill: the whole prompt; decode: one token per sequence).
    pub flops: f64,
    pub bytes: f64,
    pub compute_s: f64,
    pub memory_s: f64,
    pub memory_bound: bool,
    pub formula: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeedEstimate {
    pub scenario: SpeedScenario,
    pub efficiency: Efficiency,
    pub prefill: PhaseEstimate,
    /// Decode at the scenario's mean position.
    pub decode: PhaseEstimate,
    /// Decode at the end of a full context, where the KV cache read is largest.
    pub decode_at_context: Option<PhaseEstimate>,
}

/// Query–key pairs one sequence of `t` tokens attends over in a layer with window `w`.
fn causal_pairs(t: u64, w: Option<u64>) -> f64 {
    let t = t as f64;
    match w {
        Some(w) if (w as f64) < t => {
            let w = w as f64;
            w * (w + 1.0) / 2.0 + (t - w) * w
        }
        _ => t * (t + 1.0) / 2.0,
    }
}

/// Attention FLOPs (QKᵀ and AV) per query–key pair in one layer: 2 × heads × (d_k + d_v).
fn attn_flops_per_pair(model: &ModelSpec) -> f64 {
    2.0 * model.n_heads as f64 * (model.head_dim + model.v_head_dim) as f64
}

/// Parameters of the output projection (logits), computed once per output token.
fn output_params(model: &ModelSpec) -> f64 {
    (model.vocab * model.hidden) as f64
}

fn finish(
    phase: Phase,
    tokens: f64,
    flops: f64,
    bytes: f64,
    device: &DeviceSpec,
    eff: Efficiency,
    what: &str,
) -> PhaseEstimate {
    let peak = device.fp16_tflops * 1e12 * eff.compute;
    let bw = device.bandwidth_gbs * 1e9 * eff.bandwidth;
    let compute_s = flops / peak;
    let memory_s = bytes / bw;
    let t = compute_s.max(memory_s);
    let memory_bound = memory_s >= compute_s;
    let formula = format!(
        "{what}: max({:.3e} FLOP / ({} TFLOPS × {:.2}), {} / ({} GB/s × {:.2})) = max({:.4} s, {:.4} s) → {:.1} tok/s, {}-bound",
        flops,
        device.fp16_tflops,
        eff.compute,
        format_bytes(bytes.round() as u64),
        device.bandwidth_gbs,
        eff.bandwidth,
        compute_s,
        memory_s,
        tokens / t,
        if memory_bound { "memory" } else { "compute" }
    );
    PhaseEstimate {
        phase,
        tokens_per_s: tokens / t,
        flops,
        bytes,
        compute_s,
        memory_s,
        memory_bound,
        formula,
    }
}

/// Prompt processing: `batch` prompts of `prompt_tokens`.
///
/// FLOPs = 2 × matmul params × tokens (the logits only for each sequence's last token), plus
/// attention: 2 × heads × (d_k + d_v) × causal pairs per layer. Bytes = the weights once per
/// micro-batch of `ubatch` tokens, plus the KV cache written.
pub fn predict_prefill(
    model: &ModelSpec,
    weights: &WeightEstimate,
    kv_type: KvType,
    device: &DeviceSpec,
    scenario: &SpeedScenario,
    ubatch: u64,
    eff: Efficiency,
) -> PhaseEstimate {
    let b = scenario.batch.max(1) as f64;
    let t = scenario.prompt_tokens.max(1);
    let tokens = t as f64 * b;
    let per_token = model.params().per_token_matmul as f64;
    let out = output_params(model);
    let matmul = 2.0 * (per_token - out) * tokens + 2.0 * out * b;
    let full = model.full_layers() as f64 * causal_pairs(t, None);
    let sliding =
        (model.n_layers - model.full_layers()) as f64 * causal_pairs(t, model.sliding_window);
    let attn = attn_flops_per_pair(model) * (full + sliding) * b;
    let passes = (tokens / ubatch.max(1) as f64).ceil();
    let kv_written = kv_cache(model, t, scenario.batch.max(1), kv_type).bytes as f64;
    let bytes = passes * weights.bytes as f64 + kv_written;
    finish(
        Phase::Prefill,
        tokens,
        matmul + attn,
        bytes,
        device,
        eff,
        &format!("prefill {tokens} tokens"),
    )
}

/// Token generation: one token for each of `batch` sequences at context position `position`.
///
/// Bytes per step = weights read per token (MoE: the experts the batch touches) + each
/// sequence's KV cache up to `position`. FLOPs = batch × (2 × matmul params + attention over
/// `position` keys).
pub fn predict_decode(
    model: &ModelSpec,
    weights: &WeightEstimate,
    kv_type: KvType,
    device: &DeviceSpec,
    batch: u64,
    position: u64,
    eff: Efficiency,
) -> PhaseEstimate {
    let b = batch.max(1);
    let bf = b as f64;
    let weight_bytes = match &model.moe {
        Some(m) if weights.expert_bytes > 0 => {
            // Expected distinct experts hit by b tokens routed k-of-E independently.
            let e = m.n_experts as f64;
            let k = m.n_experts_used as f64;
            let touched = e * (1.0 - (1.0 - k / e).powf(bf));
            let per_token_experts = weights.expert_bytes as f64 * k / e;
            weights.decode_read_bytes as f64 - per_token_experts
                + weights.expert_bytes as f64 * touched / e
        }
        _ => weights.decode_read_bytes as f64,
    };
    let kv_read = kv_cache(model, position, b, kv_type).bytes as f64;
    let per_token = model.params().per_token_matmul as f64;
    let pairs = model.full_layers() as f64 * position as f64
        + (model.n_layers - model.full_layers()) as f64
            * position.min(model.sliding_window.unwrap_or(position)) as f64;
    let flops = bf * (2.0 * per_token + attn_flops_per_pair(model) * pairs);
    finish(
        Phase::Decode,
        bf,
        flops,
        weight_bytes + kv_read,
        device,
        eff,
        &format!("decode {b} seq at position {position}"),
    )
}

/// Both phases for a scenario; `ctx` adds a decode estimate at the end of a full context.
#[allow(clippy::too_many_arguments)]
pub fn predict(
    model: &ModelSpec,
    weights: &WeightEstimate,
    kv_type: KvType,
    device: &DeviceSpec,
    scenario: &SpeedScenario,
    ubatch: u64,
    ctx: Option<u64>,
    eff: Efficiency,
) -> SpeedEstimate {
    SpeedEstimate {
        scenario: *scenario,
        efficiency: eff,
        prefill: predict_prefill(model, weights, kv_type, device, scenario, ubatch, eff),
        decode: predict_decode(
            model,
            weights,
            kv_type,
            device,
            scenario.batch,
            scenario.mean_decode_position(),
            eff,
        ),
        decode_at_context: ctx.map(|c| {
            predict_decode(
                model,
                weights,
                kv_type,
                device,
                scenario.batch,
                c.saturating_sub(1),
                eff,
            )
        }),
    }
}

/// A measured run (e.g. from the workbench) to calibrate against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredRun {
    pub phase: Phase,
    pub scenario: SpeedScenario,
    pub tokens_per_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPoint {
    pub phase: Phase,
    pub measured_tokens_per_s: f64,
    pub predicted_before: f64,
    pub predicted_after: f64,
    /// (predicted − measured) / measured × 100.
    pub error_before_pct: f64,
    pub error_after_pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub before: Efficiency,
    pub efficiency: Efficiency,
    pub points: Vec<CalibrationPoint>,
    pub mean_abs_error_before_pct: f64,
    pub mean_abs_error_after_pct: f64,
    pub notes: Vec<String>,
}

/// Signed prediction error in percent of the measurement.
pub fn prediction_error_pct(predicted: f64, measured: f64) -> f64 {
    (predicted - measured) / measured * 100.0
}

const EFF_MIN: f64 = 0.005;
/// Above 1 the device entry or the measurement is off (or the weights sit in a cache); still
/// allowed so the fit can show it.
const EFF_MAX: f64 = 4.0;

/// Fits the bandwidth efficiency to the decode runs and the compute efficiency to the prefill
/// runs, minimising the squared log error of tokens/s (so a 2× miss counts the same either way).
///
/// Each efficiency is found by a log-spaced grid search refined by golden-section search,
/// alternating between the two a few times because a run can be bound by either roof. A phase
/// without runs keeps its starting efficiency.
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    model: &ModelSpec,
    weights: &WeightEstimate,
    kv_type: KvType,
    device: &DeviceSpec,
    ubatch: u64,
    runs: &[MeasuredRun],
    start: Efficiency,
) -> Result<Calibration, PlanError> {
    if runs.is_empty() {
        return Err(PlanError::NoMeasurements);
    }
    for r in runs {
        if !(r.tokens_per_s.is_finite() && r.tokens_per_s > 0.0) {
            return Err(PlanError::invalid(
                "measured tokens/s",
                r.tokens_per_s.to_string(),
            ));
        }
    }
    let predict_run = |r: &MeasuredRun, eff: Efficiency| -> f64 {
        match r.phase {
            Phase::Prefill => {
                predict_prefill(model, weights, kv_type, device, &r.scenario, ubatch, eff)
                    .tokens_per_s
            }
            Phase::Decode => {
                predict_decode(
                    model,
                    weights,
                    kv_type,
                    device,
                    r.scenario.batch,
                    r.scenario.mean_decode_position(),
                    eff,
                )
                .tokens_per_s
            }
        }
    };
    let loss = |eff: Efficiency| -> f64 {
        runs.iter()
            .map(|r| (predict_run(r, eff).ln() - r.tokens_per_s.ln()).powi(2))
            .sum()
    };
    let has = |p: Phase| runs.iter().any(|r| r.phase == p);
    let mut eff = start;
    for _ in 0..4 {
        if has(Phase::Decode) {
            eff.bandwidth = minimize_log(|x| {
                loss(Efficiency {
                    bandwidth: x,
                    ..eff
                })
            });
        }
        if has(Phase::Prefill) {
            eff.compute = minimize_log(|x| loss(Efficiency { compute: x, ..eff }));
        }
    }
    let points: Vec<CalibrationPoint> = runs
        .iter()
        .map(|r| {
            let before = predict_run(r, start);
            let after = predict_run(r, eff);
            CalibrationPoint {
                phase: r.phase,
                measured_tokens_per_s: r.tokens_per_s,
                predicted_before: before,
                predicted_after: after,
                error_before_pct: prediction_error_pct(before, r.tokens_per_s),
                error_after_pct: prediction_error_pct(after, r.tokens_per_s),
            }
        })
        .collect();
    let n = points.len() as f64;
    let mut notes = Vec::new();
    if eff.bandwidth > 1.0 || eff.compute > 1.0 {
        notes.push(
            "measured faster than this device's peak: check the device entry, or the weights fit in a cache"
                .to_string(),
        );
    }
    if !has(Phase::Decode) {
        notes.push("no decode runs: bandwidth efficiency left at its default".to_string());
    }
    if !has(Phase::Prefill) {
        notes.push("no prefill runs: compute efficiency left at its default".to_string());
    }
    Ok(Calibration {
        before: start,
        efficiency: eff,
        mean_abs_error_before_pct: points.iter().map(|p| p.error_before_pct.abs()).sum::<f64>() / n,
        mean_abs_error_after_pct: points.iter().map(|p| p.error_after_pct.abs()).sum::<f64>() / n,
        points,
        notes,
    })
}

/// Minimises `f` over [EFF_MIN, EFF_MAX] on a log scale: grid, then golden section around the
/// best grid point.
fn minimize_log(f: impl Fn(f64) -> f64) -> f64 {
    const STEPS: usize = 120;
    let (lo, hi) = (EFF_MIN.ln(), EFF_MAX.ln());
    let at = |i: usize| lo + (hi - lo) * i as f64 / STEPS as f64;
    let g = |u: f64| f(u.exp());
    let best = (0..=STEPS)
        .min_by(|&a, &b| g(at(a)).total_cmp(&g(at(b))))
        .unwrap_or(0);
    let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(STEPS)));
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    for _ in 0..80 {
        if g(c) < g(d) {
            b = d;
        } else {
            a = c;
        }
        c = b - phi * (b - a);
        d = a + phi * (b - a);
    }
    ((a + b) / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_pairs_full_and_windowed() {
        assert_eq!(causal_pairs(4, None), 10.0);
        // window 2 over 4 tokens: 1 + 2 + 2 + 2
        assert_eq!(causal_pairs(4, Some(2)), 7.0);
        assert_eq!(causal_pairs(4, Some(8)), 10.0);
    }

    #[test]
    fn minimize_log_finds_a_known_minimum() {
        let x = minimize_log(|x| (x.ln() - 0.37f64.ln()).powi(2));
        assert!((x - 0.37).abs() < 1e-6, "{x}");
    }
}
