//! Plan before downloading: will a model fit on a device, how fast will it run, what will it
//! cost.
//!
//! Pure and sans-IO: every input and output is a serde value (so a plan can live in a URL), and
//! the device database and model catalog are bundled with `include_str!`, so planning works
//! offline.
//!
//! - [`model`]: the model's shape from an HF `config.json`, GGUF metadata or typed-in numbers,
//!   and its tensors and parameter counts (GQA-, MoE-, MLA- and sliding-window-aware).
//! - [`mix`]: the ggml type of every tensor for each preset, hence weight bytes (real block
//!   sizes, shape fallbacks included).
//! - [`memory`]: KV cache, compute buffer, overhead — each with its formula.
//! - [`device`]: the device database and "this device" from a browser probe.
//! - [`verdict`]: fits / fits with a shorter context / does not fit; the best preset.
//! - [`speed`]: roofline per phase, calibrated from measured runs.
//! - [`cost`]: cost per 1M tokens, break-even against an API.
//!
//! [`plan`] ties them together into a [`PlanReport`].

pub mod catalog;
pub mod cost;
pub mod device;
pub mod memory;
pub mod mix;
pub mod model;
pub mod speed;
pub mod verdict;

use serde::{Deserialize, Serialize};

pub use catalog::{CatalogEntry, catalog, find_model};
pub use cost::{CostEstimate, CostOptions};
pub use device::{BrowserProbe, DeviceKind, DeviceSpec, device_from_probe, devices, find_device};
pub use memory::{ComputeEstimate, KvEstimate, KvType, MemoryBreakdown, MemoryItem};
pub use mix::{PLANNED_PRESETS, Preset, StoredTensor, WeightEstimate, parse_preset, quality_rank};
pub use model::{MetaValue, ModelSpec, ParamCount};
pub use speed::{Calibration, Efficiency, MeasuredRun, Phase, SpeedEstimate, SpeedScenario};
pub use verdict::{BestChoice, Fit, Verdict};

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("missing {0}")]
    Missing(String),
    #[error("{field}: invalid value {value}")]
    Invalid { field: String, value: String },
    #[error("unknown device {0:?}")]
    UnknownDevice(String),
    #[error("unknown model {0:?}")]
    UnknownModel(String),
    #[error("unknown preset {0:?}")]
    UnknownPreset(String),
    #[error("{query:?} matches several: {}", candidates.join(", "))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    #[error("bundled {file} is invalid: {msg}")]
    Data { file: String, msg: String },
    #[error("calibration needs at least one measured run")]
    NoMeasurements,
    #[error("preset planner: {0}")]
    Preset(String),
}

impl PlanError {
    pub(crate) fn invalid(field: &str, value: impl ToString) -> PlanError {
        PlanError::Invalid {
            field: field.to_string(),
            value: value.to_string(),
        }
    }
}

/// Bytes in binary units with three significant digits ("1.00 GiB", "512 MiB").
pub fn format_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else if v >= 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// How the model is to be run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// Context length per sequence, in tokens.
    pub ctx: u64,
    /// Sequences served in parallel (each with its own `ctx`).
    pub batch: u64,
    pub kv_type: KvType,
    /// Micro-batch of prompt processing (llama.cpp `n_ubatch`, default 512).
    pub ubatch: u64,
    pub flash_attention: bool,
    /// Whether quantization uses an importance matrix (changes a few mix choices).
    pub has_imatrix: bool,
    /// Replaces the device's fixed runtime overhead.
    pub overhead_bytes: Option<u64>,
    /// Presets to evaluate; empty means all.
    pub presets: Vec<Preset>,
    /// Prompt and answer lengths of the speed (and cost) scenario.
    pub prompt_tokens: u64,
    pub output_tokens: u64,
}

impl Default for PlanOptions {
    fn default() -> PlanOptions {
        PlanOptions {
            ctx: 4096,
            batch: 1,
            kv_type: KvType::F16,
            ubatch: 512,
            flash_attention: true,
            has_imatrix: false,
            overhead_bytes: None,
            presets: Vec::new(),
            prompt_tokens: 512,
            output_tokens: 128,
        }
    }
}

impl PlanOptions {
    pub fn validate(&self) -> Result<(), PlanError> {
        for (field, v) in [
            ("ctx", self.ctx),
            ("batch", self.batch),
            ("ubatch", self.ubatch),
        ] {
            if v == 0 {
                return Err(PlanError::invalid(field, 0));
            }
        }
        // Keep products far from u64 overflow (ctx × batch × rows × bytes).
        if self.ctx > 1 << 24 || self.batch > 4096 {
            return Err(PlanError::invalid(
                "ctx/batch",
                format!(
                    "{} × {} is beyond what the planner models",
                    self.ctx, self.batch
                ),
            ));
        }
        Ok(())
    }
}

/// A measured run, tagged with the weights it ran with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaggedRun {
    /// The preset the run used; `None` for the stored file given in [`PlanRequest::stored`].
    pub preset: Option<Preset>,
    pub run: MeasuredRun,
}

/// A real file's tensors, planned beside the presets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredWeights {
    pub label: String,
    pub tensors: Vec<StoredTensor>,
}

/// Everything a plan depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub model: ModelSpec,
    pub device: DeviceSpec,
    #[serde(default)]
    pub options: PlanOptions,
    /// Speed efficiencies; `None` takes the defaults (or the calibration when runs are given).
    #[serde(default)]
    pub efficiency: Option<Efficiency>,
    /// Measured runs of this model on this device, for calibration.
    #[serde(default)]
    pub measured: Vec<TaggedRun>,
    /// Prices; `None` leaves cost out unless the device has a price.
    #[serde(default)]
    pub cost: Option<CostOptions>,
    #[serde(default)]
    pub stored: Option<StoredWeights>,
}

/// The plan for one preset (or the stored file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresetPlan {
    /// Preset name or the stored file's label.
    pub label: String,
    pub preset: Option<Preset>,
    pub weights: WeightEstimate,
    pub memory: MemoryBreakdown,
    pub verdict: Verdict,
    pub speed: SpeedEstimate,
    pub cost: Option<CostEstimate>,
    /// Blended cost relative to the highest-quality evaluated preset, in percent saved.
    pub cost_saving_pct: Option<f64>,
    /// Measured runs of this preset beside the prediction.
    pub measured: Vec<speed::CalibrationPoint>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    pub model: ModelSpec,
    pub params: ParamCount,
    pub device: DeviceSpec,
    pub options: PlanOptions,
    pub usable_bytes: u64,
    pub usable_formula: String,
    pub kv: KvEstimate,
    pub compute: ComputeEstimate,
    pub overhead_bytes: u64,
    pub presets: Vec<PresetPlan>,
    pub best: Option<BestChoice>,
    pub calibration: Option<Calibration>,
    /// Everything assumed on the way (model reading, defaults, device rules).
    pub assumptions: Vec<String>,
}

fn memory_items(
    weights: &WeightEstimate,
    kv: &KvEstimate,
    compute: &ComputeEstimate,
    overhead: u64,
    overhead_formula: &str,
) -> MemoryBreakdown {
    let by_type: Vec<String> = weights
        .by_type
        .iter()
        .map(|(t, u)| format!("{} {t}", format_bytes(u.bytes)))
        .collect();
    MemoryBreakdown::new(vec![
        MemoryItem {
            key: "weights".into(),
            label: format!("Weights ({})", weights.label),
            bytes: weights.bytes,
            formula: format!(
                "Σ tensors rows × row bytes of their type = {} ({:.3} bpw over {} params): {}",
                format_bytes(weights.bytes),
                weights.bpw,
                weights.params,
                by_type.join(" + ")
            ),
        },
        MemoryItem {
            key: "kv_cache".into(),
            label: format!("KV cache ({})", kv.kv_type.name()),
            bytes: kv.bytes,
            formula: kv.formula.clone(),
        },
        MemoryItem {
            key: "compute".into(),
            label: "Compute buffers".into(),
            bytes: compute.bytes,
            formula: compute.formula.clone(),
        },
        MemoryItem {
            key: "overhead".into(),
            label: "Runtime overhead".into(),
            bytes: overhead,
            formula: overhead_formula.to_string(),
        },
    ])
}

/// Makes the plan.
pub fn plan(req: &PlanRequest) -> Result<PlanReport, PlanError> {
    let model = &req.model;
    let device = &req.device;
    let o = &req.options;
    model.validate()?;
    device.validate()?;
    o.validate()?;
    if let Some(c) = &req.cost {
        c.validate()?;
    }
    let mut assumptions = model.assumptions.clone();
    if o.ctx > model.max_context {
        assumptions.push(format!(
            "context {} exceeds the model's trained {} tokens: quality past it is not guaranteed",
            o.ctx, model.max_context
        ));
    }
    let usable = device.usable_bytes();
    let usable_formula = format!(
        "{} GiB × {} usable ({})",
        device.memory_gib,
        device.usable_fraction(),
        device.kind.name()
    );
    let (overhead, overhead_formula) = match o.overhead_bytes {
        Some(b) => (b, format!("{} as given", format_bytes(b))),
        None => (
            device.runtime_overhead_bytes(),
            device.runtime_overhead_formula(),
        ),
    };
    let kv = memory::kv_cache(model, o.ctx, o.batch, o.kv_type);
    let compute = memory::compute_buffer(model, o.ctx, o.batch, o.ubatch, o.flash_attention);
    assumptions.extend(kv.notes.iter().cloned());

    let presets: Vec<Preset> = if o.presets.is_empty() {
        PLANNED_PRESETS.to_vec()
    } else {
        o.presets.clone()
    };
    let mut weights: Vec<(Option<Preset>, WeightEstimate)> = presets
        .iter()
        .map(|&p| Ok((Some(p), mix::estimate_weights(model, p, o.has_imatrix)?)))
        .collect::<Result<_, PlanError>>()?;
    if let Some(s) = &req.stored {
        weights.push((None, mix::estimate_stored(model, &s.label, &s.tensors)));
    }

    // Efficiency: given, else calibrated from runs, else defaults.
    let defaults = Efficiency::default_for(device);
    let mut calibration = None;
    let efficiency = match req.efficiency {
        Some(e) => e,
        None if !req.measured.is_empty() => {
            // Calibrate against the weights each run used; runs on presets not evaluated here
            // are estimated on the fly.
            let mut c = calibrate_tagged(req, defaults)?;
            c.notes.insert(
                0,
                format!("calibrated from {} measured run(s)", req.measured.len()),
            );
            let e = c.efficiency;
            calibration = Some(c);
            e
        }
        None => defaults,
    };
    if calibration.is_none() {
        assumptions.push(format!(
            "speed efficiencies: bandwidth {:.2}, compute {:.2} ({})",
            efficiency.bandwidth,
            efficiency.compute,
            if req.efficiency.is_some() {
                "as given"
            } else if device.measured {
                "measured device"
            } else {
                "defaults, not calibrated"
            }
        ));
    }
    let scenario = SpeedScenario {
        prompt_tokens: o.prompt_tokens.min(o.ctx).max(1),
        output_tokens: o.output_tokens,
        batch: o.batch,
    };
    let cost_opts = match (&req.cost, device.usd_per_hour) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(_)) => Some(CostOptions::default()),
        (None, None) => None,
    };

    let mut plans = Vec::new();
    for (preset, w) in weights {
        let memory = memory_items(&w, &kv, &compute, overhead, &overhead_formula);
        let fixed = w.bytes + overhead;
        let total_at = |ctx: u64| {
            fixed
                + memory::kv_cache(model, ctx, o.batch, o.kv_type).bytes
                + memory::compute_buffer(model, ctx, o.batch, o.ubatch, o.flash_attention).bytes
        };
        let verdict = verdict::verdict(total_at, w.bytes, o.ctx, usable);
        let speed = speed::predict(
            model,
            &w,
            o.kv_type,
            device,
            &scenario,
            o.ubatch,
            Some(o.ctx),
            efficiency,
        );
        let cost = cost_opts.as_ref().and_then(|c| {
            let price = c.usd_per_hour.or(device.usd_per_hour)?;
            Some(cost::estimate(
                c,
                price,
                scenario.prompt_tokens * scenario.batch,
                scenario.output_tokens * scenario.batch,
                speed.prefill.tokens_per_s,
                speed.decode.tokens_per_s,
            ))
        });
        let mut warnings = Vec::new();
        if let Some(limit) = device.max_buffer_bytes
            && w.largest_tensor_bytes > limit
        {
            warnings.push(format!(
                "the largest tensor ({}) exceeds the device's {} buffer limit: it must be split across buffers",
                format_bytes(w.largest_tensor_bytes),
                format_bytes(limit)
            ));
        }
        for f in &w.fallbacks {
            warnings.push(format!(
                "{} tensor(s) ({} params) fall back from {} to {}: their rows are not a multiple of {}",
                f.tensors,
                f.params,
                f.from,
                f.to,
                f.from.block_size()
            ));
        }
        let measured: Vec<speed::CalibrationPoint> = req
            .measured
            .iter()
            .filter(|r| r.preset == preset)
            .map(|r| {
                let predicted = match r.run.phase {
                    Phase::Prefill => {
                        speed::predict_prefill(
                            model,
                            &w,
                            o.kv_type,
                            device,
                            &r.run.scenario,
                            o.ubatch,
                            efficiency,
                        )
                        .tokens_per_s
                    }
                    Phase::Decode => {
                        speed::predict_decode(
                            model,
                            &w,
                            o.kv_type,
                            device,
                            r.run.scenario.batch,
                            r.run.scenario.mean_decode_position(),
                            efficiency,
                        )
                        .tokens_per_s
                    }
                };
                let err = speed::prediction_error_pct(predicted, r.run.tokens_per_s);
                speed::CalibrationPoint {
                    phase: r.run.phase,
                    measured_tokens_per_s: r.run.tokens_per_s,
                    predicted_before: predicted,
                    predicted_after: predicted,
                    error_before_pct: err,
                    error_after_pct: err,
                }
            })
            .collect();
        plans.push(PresetPlan {
            label: w.label.clone(),
            preset,
            weights: w,
            memory,
            verdict,
            speed,
            cost,
            cost_saving_pct: None,
            measured,
            warnings,
        });
    }
    // Savings relative to the highest-quality preset evaluated.
    if let Some(base) = plans
        .iter()
        .filter(|p| p.preset.is_some())
        .min_by_key(|p| p.preset.map(quality_rank))
        .and_then(|p| p.cost.as_ref().map(|c| c.usd_per_m_blended))
    {
        for p in &mut plans {
            p.cost_saving_pct = p
                .cost
                .as_ref()
                .map(|c| (1.0 - c.usd_per_m_blended / base) * 100.0);
        }
    }
    let candidates: Vec<(Preset, &Verdict)> = plans
        .iter()
        .filter_map(|p| p.preset.map(|pr| (pr, &p.verdict)))
        .collect();
    let best = verdict::best_preset(&candidates, o.ctx);
    if !device.kind.has_dedicated_memory() {
        assumptions.push(format!(
            "usable memory = {usable_formula}; the rest is left to the OS and other programs"
        ));
    }
    Ok(PlanReport {
        model: model.clone(),
        params: model.params(),
        device: device.clone(),
        options: o.clone(),
        usable_bytes: usable,
        usable_formula,
        kv,
        compute,
        overhead_bytes: overhead,
        presets: plans,
        best,
        calibration,
        assumptions,
    })
}

/// Calibrates against the request's runs, each with the weights it was measured on.
fn calibrate_tagged(req: &PlanRequest, start: Efficiency) -> Result<Calibration, PlanError> {
    let o = &req.options;
    // Group runs by weights: the fit shares one efficiency pair across all of them.
    let mut groups: Vec<(WeightEstimate, Vec<MeasuredRun>)> = Vec::new();
    for r in &req.measured {
        let w = match (r.preset, &req.stored) {
            (Some(p), _) => mix::estimate_weights(&req.model, p, o.has_imatrix)?,
            (None, Some(s)) => mix::estimate_stored(&req.model, &s.label, &s.tensors),
            (None, None) => {
                return Err(PlanError::Missing(
                    "stored weights for a run tagged with no preset".into(),
                ));
            }
        };
        match groups.iter_mut().find(|(gw, _)| gw.label == w.label) {
            Some((_, runs)) => runs.push(r.run.clone()),
            None => groups.push((w, vec![r.run.clone()])),
        }
    }
    if groups.len() == 1 {
        let (w, runs) = &groups[0];
        return speed::calibrate(&req.model, w, o.kv_type, &req.device, o.ubatch, runs, start);
    }
    // Several weight sets: fit on a combined objective by calibrating each group, then take the
    // geometric mean of their efficiencies (each group's fit is exact for its own runs).
    let mut fits = Vec::new();
    for (w, runs) in &groups {
        fits.push(speed::calibrate(
            &req.model,
            w,
            o.kv_type,
            &req.device,
            o.ubatch,
            runs,
            start,
        )?);
    }
    let n = fits.len() as f64;
    let gm =
        |f: &dyn Fn(&Calibration) -> f64| (fits.iter().map(|c| f(c).ln()).sum::<f64>() / n).exp();
    let eff = Efficiency {
        bandwidth: gm(&|c| c.efficiency.bandwidth),
        compute: gm(&|c| c.efficiency.compute),
    };
    let mut points = Vec::new();
    for (w, runs) in &groups {
        for r in runs {
            let pred = |e: Efficiency| match r.phase {
                Phase::Prefill => {
                    speed::predict_prefill(
                        &req.model,
                        w,
                        o.kv_type,
                        &req.device,
                        &r.scenario,
                        o.ubatch,
                        e,
                    )
                    .tokens_per_s
                }
                Phase::Decode => {
                    speed::predict_decode(
                        &req.model,
                        w,
                        o.kv_type,
                        &req.device,
                        r.scenario.batch,
                        r.scenario.mean_decode_position(),
                        e,
                    )
                    .tokens_per_s
                }
            };
            let (b, a) = (pred(start), pred(eff));
            points.push(speed::CalibrationPoint {
                phase: r.phase,
                measured_tokens_per_s: r.tokens_per_s,
                predicted_before: b,
                predicted_after: a,
                error_before_pct: speed::prediction_error_pct(b, r.tokens_per_s),
                error_after_pct: speed::prediction_error_pct(a, r.tokens_per_s),
            });
        }
    }
    let m = points.len() as f64;
    Ok(Calibration {
        before: start,
        efficiency: eff,
        mean_abs_error_before_pct: points.iter().map(|p| p.error_before_pct.abs()).sum::<f64>() / m,
        mean_abs_error_after_pct: points.iter().map(|p| p.error_after_pct.abs()).sum::<f64>() / m,
        points,
        notes: vec![format!(
            "{} weight sets: efficiencies are the geometric mean of per-set fits",
            groups.len()
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_bytes_units() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1 << 30), "1.00 GiB");
        assert_eq!(format_bytes(512 << 20), "512 MiB");
        assert_eq!(format_bytes(15 << 29), "7.50 GiB");
    }
}
