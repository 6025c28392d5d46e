//! The planner's messages and their conversion to and from the engine's `plan` module.
//!
//! The page sends its form as typed (`PlanForm`: the URL's contents) with what the browser
//! reported about itself (`PlanAsk`); the worker parses it (`form`), plans, and answers with a
//! flat, render-ready digest of the engine's `PlanReport` (`PlanView`), so the page decodes only
//! what it shows and never computes. The conversions run in the worker; they live here, beside
//! the types, so their tests run natively. `DeviceBenchResult` is the "this device"
//! micro-benchmark's result (CPU figures, and WebGPU ones where the worker has an adapter).

use bitsmith_engine::plan::{
    self, BrowserProbe, CostOptions, DeviceSpec, Fit, KvType, MeasuredRun, ModelSpec, Phase,
    PlanOptions, PlanReport, PlanRequest, Preset, SpeedScenario, TaggedRun,
};
use serde::{Deserialize, Serialize};

mod form;
pub use form::{
    COST_FIELDS, FieldError, MODEL_FIELDS, PlanAnswer, PlanAsk, PlanForm, Src, THIS_DEVICE,
    WORKLOAD_FIELDS, answer, answer_input, parse_measured,
};

/// Where the model's shape comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ModelSource {
    /// A model of the bundled catalog, by id.
    Catalog(String),
    /// The text of a Hugging Face `config.json`, pasted by the user (parsed in the worker).
    HfConfig(String),
    /// Numbers typed in.
    Fields(ModelFields),
    /// A model in the library, by id: the worker reads its GGUF header and plans with
    /// [`ModelSource::Spec`].
    Library(String),
    /// A model already described (from a library model's real metadata).
    Spec(Box<ModelSpec>),
}

/// A run the engine measured in the workbench's Run on this device (the CPU path): prompt
/// processing (`Prefill`, `tokens` = prompt length) or generation (`Decode`, `tokens` =
/// tokens generated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineRun {
    pub phase: Phase,
    pub tokens: u64,
    pub tokens_per_s: f64,
}

/// An [`EngineRun`] kept in IndexedDB (key [`ENGINE_RUNS_KEY`]) with the library model it ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRun {
    pub model: String,
    pub run: EngineRun,
}

/// The settings-store key of the recorded runs (newest last, at most [`ENGINE_RUNS_KEPT`]).
pub const ENGINE_RUNS_KEY: &str = "engine-runs";
pub const ENGINE_RUNS_KEPT: usize = 64;

/// A dense decoder described by its main numbers (the fields of an HF config).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelFields {
    /// Total parameters. When `intermediate` is absent, the FFN width is solved from it.
    pub params: Option<u64>,
    pub layers: u64,
    pub hidden: u64,
    pub heads: u64,
    pub kv_heads: u64,
    /// `hidden / heads` when absent.
    pub head_dim: Option<u64>,
    pub intermediate: Option<u64>,
    pub vocab: u64,
    pub context: u64,
    pub tied: bool,
}

/// Which device to plan for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DeviceSource {
    /// A device of the bundled database, by id.
    Catalog(String),
    /// The machine the browser runs on, as detected and measured.
    This(BrowserProbe),
}

/// A measured speed (llama-bench's `pp512` / `tg128` notation), to calibrate the roofline and
/// show the prediction's error beside it. The workbench will add its own runs here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredSample {
    /// Preset name as llama.cpp spells it (`Q4_K_M`).
    pub preset: String,
    pub phase: Phase,
    /// Prompt tokens processed (prefill) or tokens generated from an empty context (decode).
    pub tokens: u64,
    pub batch: u64,
    pub tokens_per_s: f64,
}

impl MeasuredSample {
    /// The engine's view: `ppN` is a prompt of N tokens; `tgN` generates N tokens from an empty
    /// context, so the average token sits at position N/2 (llama-bench's definitions).
    pub fn run(&self) -> MeasuredRun {
        let (prompt_tokens, output_tokens) = match self.phase {
            Phase::Prefill => (self.tokens.max(1), 0),
            Phase::Decode => (0, self.tokens.max(1)),
        };
        MeasuredRun {
            phase: self.phase,
            scenario: SpeedScenario {
                prompt_tokens,
                output_tokens,
                batch: self.batch.max(1),
            },
            tokens_per_s: self.tokens_per_s,
        }
    }
}

/// Everything the planner page sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanInput {
    pub model: ModelSource,
    pub device: DeviceSource,
    pub ctx: u64,
    pub batch: u64,
    pub kv: KvType,
    pub flash_attention: bool,
    pub prompt_tokens: u64,
    pub output_tokens: u64,
    /// Machine price; `None` takes the device's listed price (cloud GPUs), if any.
    pub usd_per_hour: Option<f64>,
    pub utilization: f64,
    pub api_input_usd_per_m: Option<f64>,
    pub api_output_usd_per_m: Option<f64>,
    pub measured: Vec<MeasuredSample>,
}

/// Catalog models and database devices, for the pickers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanLists {
    pub models: Vec<ListItem>,
    pub devices: Vec<ListItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    pub id: String,
    pub name: String,
    /// Device kind (`cloud_gpu`, …) for grouping; empty for models.
    pub group: String,
}

/// The model as the planner read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub name: String,
    pub architecture: String,
    pub params: u64,
    pub layers: u64,
    pub hidden: u64,
    pub heads: u64,
    pub kv_heads: u64,
    pub head_dim: u64,
    pub intermediate: u64,
    pub vocab: u64,
    pub max_context: u64,
    pub tied: bool,
    pub sliding_window: Option<u64>,
    pub sliding_layers: u64,
    /// (experts, experts used per token).
    pub moe: Option<(u64, u64)>,
    pub mla: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    /// `DeviceKind::name()`.
    pub kind: String,
    pub memory_gib: f64,
    pub usable_bytes: u64,
    pub usable_formula: String,
    pub bandwidth_gbs: f64,
    pub tflops: f64,
    pub usd_per_hour: Option<f64>,
    pub price_note: Option<String>,
    pub source: String,
    pub notes: Option<String>,
    pub measured: bool,
}

/// One part of the memory total, with the formula that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub bytes: u64,
    pub formula: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    pub usd_per_hour: f64,
    pub per_m_input: f64,
    pub per_m_output: f64,
    pub per_m_blended: f64,
    pub monthly: f64,
    pub capacity_tokens_per_month: f64,
    pub api_blended: Option<f64>,
    pub break_even_tokens_per_month: Option<f64>,
    pub break_even_within_capacity: Option<bool>,
    /// Blended cost saved against the highest-quality preset, in percent.
    pub saving_pct: Option<f64>,
    pub formulas: Vec<String>,
}

/// A measured run beside the prediction for the same preset and phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredView {
    pub preset: String,
    pub phase: Phase,
    pub tokens: u64,
    pub measured: f64,
    /// Predicted with the default efficiencies, then with the calibrated ones.
    pub predicted_before: f64,
    pub predicted_after: f64,
    pub error_before_pct: f64,
    pub error_after_pct: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationView {
    pub before: (f64, f64),
    pub after: (f64, f64),
    pub mean_abs_error_before_pct: f64,
    pub mean_abs_error_after_pct: f64,
    pub points: Vec<MeasuredView>,
    pub notes: Vec<String>,
}

/// Everything about one preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresetRow {
    pub label: String,
    pub bpw: f64,
    /// Perplexity increase llama.cpp publishes for the preset on Llama-3-8B.
    pub ppl_delta: Option<f64>,
    pub weights: Part,
    pub total_bytes: u64,
    pub fit: Fit,
    pub max_context: u64,
    pub prefill_tps: f64,
    pub decode_tps: f64,
    /// Decode at the end of a full context.
    pub decode_at_ctx_tps: Option<f64>,
    pub prefill_memory_bound: bool,
    pub decode_memory_bound: bool,
    pub prefill_formula: String,
    pub decode_formula: String,
    pub cost: Option<CostView>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub model: ModelView,
    pub device: DeviceView,
    pub ctx: u64,
    pub batch: u64,
    pub kv_type: String,
    pub kv: Part,
    /// What a calculator that ignores GQA and windows would say for the KV cache.
    pub kv_naive_bytes: u64,
    pub compute: Part,
    pub overhead: Part,
    /// Best quality first.
    pub rows: Vec<PresetRow>,
    /// Index into `rows` of the recommended preset.
    pub best: Option<usize>,
    pub best_fit: Option<Fit>,
    /// The efficiencies the speeds use: (bandwidth, compute).
    pub efficiency: (f64, f64),
    pub efficiency_source: EfficiencySource,
    pub calibration: Option<CalibrationView>,
    pub assumptions: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EfficiencySource {
    Defaults,
    MeasuredDevice,
    Calibrated,
}

/// The "this device" micro-benchmark's result: one thread of the engine worker (stream, GEMM),
/// then the WebGPU matvec kernel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceBenchResult {
    /// Best pass of a read-only stream over `buffer_bytes`, GB/s (1e9 B/s).
    pub bandwidth_gbs: f64,
    pub buffer_bytes: u64,
    /// Best f32 GEMM of `gemm_n`³, GFLOP/s (2 FLOPs per multiply-add).
    pub cpu_gflops: f64,
    pub gemm_n: u32,
    /// Largest relative difference of the timed GEMM against the naive reference.
    pub gemm_check: f32,
    /// Busy time of the whole benchmark.
    pub millis: f64,
    /// The WebGPU phase's figures, when it ran and its check passed.
    #[serde(default)]
    pub gpu: Option<GpuBenchFigures>,
    /// Why there are no WebGPU figures (no adapter, a kernel error, a failed check).
    /// (`serde(default)`: measurements saved before the GPU phase existed still load.)
    #[serde(default)]
    pub gpu_missing: Option<String>,
}

/// The "this device" benchmark's WebGPU phase: the engine's F32 matrix-vector kernel streaming
/// an `n × n` weight (`bitsmith_gpu::bench_matvec`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuBenchFigures {
    /// The adapter's name as the engine worker opened it.
    pub adapter: String,
    /// A software adapter (SwiftShader, lavapipe): its figures describe the CPU emulating it.
    pub software: bool,
    /// Best batch, weight bytes streamed per second, GB/s.
    pub bandwidth_gbs: f64,
    /// Best batch, 2·n² FLOPs per matvec, GFLOP/s (memory-bound: not the GPU's peak).
    pub gflops: f64,
    pub n: u32,
    pub weight_bytes: u64,
    /// Largest relative difference of sampled outputs against `ops::matvec_dequant`.
    pub check: f32,
}

/// Why a plan could not be made (shown to the user).
fn err(e: plan::PlanError) -> String {
    e.to_string()
}

impl ModelFields {
    /// The spec: a dense Llama-style decoder. Without an FFN width it is solved from `params`:
    /// the parameter count is linear in it (gate, up and down projections per layer).
    pub fn spec(&self) -> Result<ModelSpec, String> {
        let build = |ff: u64| {
            let mut m = ModelSpec::dense(
                "custom",
                self.layers,
                self.hidden,
                self.heads,
                self.kv_heads,
                ff,
                self.vocab,
                self.context,
                self.tied,
            );
            if let Some(hd) = self.head_dim.filter(|&h| h > 0) {
                m.head_dim = hd;
                m.v_head_dim = hd;
            }
            m
        };
        let mut spec = match (self.intermediate.filter(|&i| i > 0), self.params) {
            (Some(ff), given) => {
                let m = build(ff);
                if let Some(p) = given.filter(|&p| p > 0) {
                    let got = m.params().total;
                    let off = (got as f64 - p as f64) / p as f64;
                    if off.abs() > 0.02 {
                        let mut m = m;
                        m.assumptions.push(format!(
                            "the shape gives {got} parameters, {:+.1} % from the {p} entered",
                            off * 100.0
                        ));
                        return Ok(m);
                    }
                }
                m
            }
            (None, Some(p)) if p > 0 => {
                let (p1, p2) = (build(1).params().total, build(2).params().total);
                let slope = p2.saturating_sub(p1);
                if slope == 0 || p <= p1 {
                    return Err(format!(
                        "{p} parameters is fewer than the shape needs without an FFN ({p1})"
                    ));
                }
                let ff = ((p - (p1 - slope)) as f64 / slope as f64).round() as u64;
                let mut m = build(ff.max(1));
                m.assumptions.push(format!(
                    "intermediate_size {ff} solved from {p} parameters (gated FFN: 3 × hidden × ff per layer)"
                ));
                m
            }
            _ => return Err("enter the parameter count or the FFN width".into()),
        };
        spec.name = "custom".into();
        Ok(spec)
    }
}

impl PlanInput {
    /// The engine's request, and the measured samples in the order the calibration reports
    /// them (grouped by preset in order of first appearance).
    pub fn to_request(&self) -> Result<(PlanRequest, Vec<MeasuredSample>), String> {
        let model = match &self.model {
            ModelSource::Catalog(id) => plan::find_model(id).map_err(err)?.spec().map_err(err)?,
            ModelSource::HfConfig(json) => {
                ModelSpec::from_hf_config("config.json", json).map_err(err)?
            }
            ModelSource::Fields(f) => f.spec()?,
            ModelSource::Spec(spec) => (**spec).clone(),
            ModelSource::Library(_) => {
                return Err("a library model is read by the worker before planning".into());
            }
        };
        let device: DeviceSpec = match &self.device {
            DeviceSource::Catalog(id) => plan::find_device(id).map_err(err)?.clone(),
            DeviceSource::This(probe) => plan::device_from_probe(probe),
        };
        let options = PlanOptions {
            ctx: self.ctx,
            batch: self.batch,
            kv_type: self.kv,
            flash_attention: self.flash_attention,
            prompt_tokens: self.prompt_tokens.max(1),
            output_tokens: self.output_tokens.max(1),
            ..PlanOptions::default()
        };
        let mut groups: Vec<(Preset, Vec<MeasuredSample>)> = Vec::new();
        for s in &self.measured {
            let p = plan::parse_preset(&s.preset).map_err(err)?;
            if !(s.tokens_per_s.is_finite() && s.tokens_per_s > 0.0) {
                return Err(format!("measured {}: tokens/s must be > 0", s.preset));
            }
            match groups.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(s.clone()),
                None => groups.push((p, vec![s.clone()])),
            }
        }
        let ordered: Vec<MeasuredSample> = groups.iter().flat_map(|(_, v)| v.clone()).collect();
        let measured = groups
            .iter()
            .flat_map(|(p, v)| {
                v.iter().map(move |s| TaggedRun {
                    preset: Some(*p),
                    run: s.run(),
                })
            })
            .collect();
        let req = PlanRequest {
            model,
            device,
            options,
            efficiency: None,
            measured,
            cost: Some(CostOptions {
                usd_per_hour: self.usd_per_hour,
                utilization: self.utilization,
                api_input_usd_per_m: self.api_input_usd_per_m,
                api_output_usd_per_m: self.api_output_usd_per_m,
            }),
            stored: None,
        };
        Ok((req, ordered))
    }
}

/// Plans and digests the report for the page.
pub fn plan_view(input: &PlanInput) -> Result<PlanView, String> {
    let (req, samples) = input.to_request()?;
    let report = plan::plan(&req).map_err(err)?;
    Ok(view_of(&report, &samples))
}

fn view_of(r: &PlanReport, samples: &[MeasuredSample]) -> PlanView {
    let m = &r.model;
    let d = &r.device;
    let item = |p: &plan::PresetPlan, key: &str| {
        p.memory
            .items
            .iter()
            .find(|i| i.key == key)
            .map(|i| Part {
                bytes: i.bytes,
                formula: i.formula.clone(),
            })
            .unwrap_or(Part {
                bytes: 0,
                formula: String::new(),
            })
    };
    let rows: Vec<PresetRow> = r
        .presets
        .iter()
        .map(|p| PresetRow {
            label: p.label.clone(),
            bpw: p.weights.bpw,
            ppl_delta: p.preset.and_then(plan::mix::published_ppl_delta),
            weights: item(p, "weights"),
            total_bytes: p.memory.total,
            fit: p.verdict.fit,
            max_context: p.verdict.max_context,
            prefill_tps: p.speed.prefill.tokens_per_s,
            decode_tps: p.speed.decode.tokens_per_s,
            decode_at_ctx_tps: p.speed.decode_at_context.as_ref().map(|e| e.tokens_per_s),
            prefill_memory_bound: p.speed.prefill.memory_bound,
            decode_memory_bound: p.speed.decode.memory_bound,
            prefill_formula: p.speed.prefill.formula.clone(),
            decode_formula: p.speed.decode.formula.clone(),
            cost: p.cost.as_ref().map(|c| CostView {
                usd_per_hour: c.usd_per_hour,
                per_m_input: c.usd_per_m_input,
                per_m_output: c.usd_per_m_output,
                per_m_blended: c.usd_per_m_blended,
                monthly: c.monthly_usd,
                capacity_tokens_per_month: c.capacity_tokens_per_month,
                api_blended: c.api_blended_usd_per_m,
                break_even_tokens_per_month: c.break_even_tokens_per_month,
                break_even_within_capacity: c.break_even_within_capacity,
                saving_pct: p.cost_saving_pct,
                formulas: c.formulas.clone(),
            }),
            warnings: p.warnings.clone(),
        })
        .collect();
    let best = r
        .best
        .as_ref()
        .and_then(|b| r.presets.iter().position(|p| p.preset == Some(b.preset)));
    let first = r.presets.first();
    let (efficiency, efficiency_source) = match (&r.calibration, first) {
        (Some(c), _) => (
            (c.efficiency.bandwidth, c.efficiency.compute),
            EfficiencySource::Calibrated,
        ),
        (None, Some(p)) => (
            (p.speed.efficiency.bandwidth, p.speed.efficiency.compute),
            if d.measured {
                EfficiencySource::MeasuredDevice
            } else {
                EfficiencySource::Defaults
            },
        ),
        (None, None) => ((0.0, 0.0), EfficiencySource::Defaults),
    };
    let calibration = r.calibration.as_ref().map(|c| CalibrationView {
        before: (c.before.bandwidth, c.before.compute),
        after: (c.efficiency.bandwidth, c.efficiency.compute),
        mean_abs_error_before_pct: c.mean_abs_error_before_pct,
        mean_abs_error_after_pct: c.mean_abs_error_after_pct,
        // The engine reports the points in run order, grouped by weights; `samples` is in
        // that order.
        points: c
            .points
            .iter()
            .zip(samples)
            .map(|(pt, s)| MeasuredView {
                preset: s.preset.clone(),
                phase: pt.phase,
                tokens: s.tokens,
                measured: pt.measured_tokens_per_s,
                predicted_before: pt.predicted_before,
                predicted_after: pt.predicted_after,
                error_before_pct: pt.error_before_pct,
                error_after_pct: pt.error_after_pct,
            })
            .collect(),
        notes: c.notes.clone(),
    });
    PlanView {
        model: ModelView {
            name: m.name.clone(),
            architecture: m.architecture.clone(),
            params: r.params.total,
            layers: m.n_layers,
            hidden: m.hidden,
            heads: m.n_heads,
            kv_heads: m.n_kv_heads,
            head_dim: m.head_dim,
            intermediate: m.intermediate,
            vocab: m.vocab,
            max_context: m.max_context,
            tied: m.tied_embeddings,
            sliding_window: m.sliding_window,
            sliding_layers: m.sliding_layers,
            moe: m.moe.as_ref().map(|x| (x.n_experts, x.n_experts_used)),
            mla: m.mla.is_some(),
        },
        device: DeviceView {
            id: d.id.clone(),
            name: d.name.clone(),
            kind: d.kind.name().to_string(),
            memory_gib: d.memory_gib,
            usable_bytes: r.usable_bytes,
            usable_formula: r.usable_formula.clone(),
            bandwidth_gbs: d.bandwidth_gbs,
            tflops: d.fp16_tflops,
            usd_per_hour: d.usd_per_hour,
            price_note: d.price_note.clone(),
            source: d.source.clone(),
            notes: d.notes.clone(),
            measured: d.measured,
        },
        ctx: r.options.ctx,
        batch: r.options.batch,
        kv_type: r.kv.kv_type.name().to_string(),
        kv: Part {
            bytes: r.kv.bytes,
            formula: r.kv.formula.clone(),
        },
        kv_naive_bytes: r.kv.naive_bytes,
        compute: Part {
            bytes: r.compute.bytes,
            formula: r.compute.formula.clone(),
        },
        overhead: first.map(|p| item(p, "overhead")).unwrap_or(Part {
            bytes: r.overhead_bytes,
            formula: String::new(),
        }),
        rows,
        best,
        best_fit: r.best.as_ref().map(|b| b.fit),
        efficiency,
        efficiency_source,
        calibration,
        assumptions: r.assumptions.clone(),
    }
}

/// The pickers' contents.
pub fn plan_lists() -> Result<PlanLists, String> {
    let models = plan::catalog()
        .map_err(err)?
        .iter()
        .map(|m| ListItem {
            id: m.id.clone(),
            name: m.name.clone(),
            group: String::new(),
        })
        .collect();
    let devices = plan::devices()
        .map_err(err)?
        .iter()
        .map(|d| ListItem {
            id: d.id.clone(),
            name: d.name.clone(),
            group: d.kind.name().to_string(),
        })
        .collect();
    Ok(PlanLists { models, devices })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn input(model: ModelSource, device: &str) -> PlanInput {
        PlanInput {
            model,
            device: DeviceSource::Catalog(device.into()),
            ctx: 8192,
            batch: 1,
            kv: KvType::F16,
            flash_attention: true,
            prompt_tokens: 512,
            output_tokens: 128,
            usd_per_hour: None,
            utilization: 0.5,
            api_input_usd_per_m: None,
            api_output_usd_per_m: None,
            measured: vec![],
        }
    }

    #[test]
    fn llama3_8b_kv_cache_at_8192_f16_is_one_gib() {
        // 2 (K,V) × 32 layers × 8 KV heads × 128 dims × 8192 tokens × 2 B = 1 GiB exactly; a
        // calculator ignoring GQA (32 heads) would say 4 GiB.
        let v = plan_view(&input(
            ModelSource::Catalog("llama-3.1-8b-instruct".into()),
            "rtx-4090",
        ))
        .unwrap();
        assert_eq!(v.kv.bytes, GIB);
        assert_eq!(v.kv_naive_bytes, 4 * GIB);
        assert_eq!(v.model.kv_heads, 8);
        assert!(v.kv.formula.contains("8 KV heads"), "{}", v.kv.formula);
        // 24 GiB card: F16 (~15 GiB of weights) fits, so it is the best preset.
        let best = &v.rows[v.best.unwrap()];
        assert_eq!(best.label, "F16");
        assert_eq!(best.fit, Fit::Fits);
        assert!(v.rows.iter().all(|r| r.total_bytes > r.weights.bytes + GIB));
    }

    #[test]
    fn pasted_config_and_typed_fields_agree_with_the_catalog() {
        let cat = plan_view(&input(
            ModelSource::Catalog("llama-3.1-8b-instruct".into()),
            "rtx-3060-12gb",
        ))
        .unwrap();
        let json = r#"{"model_type":"llama","num_hidden_layers":32,"hidden_size":4096,
            "num_attention_heads":32,"num_key_value_heads":8,"intermediate_size":14336,
            "vocab_size":128256,"max_position_embeddings":131072,"tie_word_embeddings":false}"#;
        let pasted =
            plan_view(&input(ModelSource::HfConfig(json.into()), "rtx-3060-12gb")).unwrap();
        assert_eq!(pasted.model.params, cat.model.params);
        assert_eq!(pasted.rows[0].weights.bytes, cat.rows[0].weights.bytes);
        // Typed numbers with the FFN width solved from the parameter count.
        let fields = ModelFields {
            params: Some(cat.model.params),
            layers: 32,
            hidden: 4096,
            heads: 32,
            kv_heads: 8,
            head_dim: None,
            intermediate: None,
            vocab: 128256,
            context: 131072,
            tied: false,
        };
        let typed = plan_view(&input(ModelSource::Fields(fields), "rtx-3060-12gb")).unwrap();
        assert_eq!(typed.model.intermediate, 14336);
        assert_eq!(typed.model.params, cat.model.params);
        assert!(typed.assumptions.iter().any(|a| a.contains("solved")));
        // 12 GiB: F16 does not fit; the best preset is a quantized one.
        let best = &typed.rows[typed.best.unwrap()];
        assert_ne!(best.label, "F16");
        assert_eq!(typed.rows[0].fit, Fit::DoesNotFit);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(
            plan_view(&input(
                ModelSource::HfConfig("{not json".into()),
                "rtx-4090"
            ))
            .is_err()
        );
        assert!(plan_view(&input(ModelSource::Catalog("nope".into()), "rtx-4090")).is_err());
        let mut i = input(
            ModelSource::Catalog("smollm2-135m-instruct".into()),
            "rtx-4090",
        );
        i.ctx = 0;
        assert!(plan_view(&i).is_err());
        let none = ModelFields {
            layers: 2,
            hidden: 64,
            heads: 4,
            kv_heads: 4,
            vocab: 100,
            context: 128,
            ..Default::default()
        };
        assert!(none.spec().is_err());
    }

    #[test]
    fn measured_runs_calibrate_and_show_errors() {
        let mut i = input(
            ModelSource::Catalog("llama-3.1-8b-instruct".into()),
            "rtx-4090",
        );
        let sample = |preset: &str, phase, tokens, tps| MeasuredSample {
            preset: preset.into(),
            phase,
            tokens,
            batch: 1,
            tokens_per_s: tps,
        };
        // Interleaved presets: the view must still pair each point with its own sample.
        i.measured = vec![
            sample("Q4_K_M", Phase::Decode, 128, 120.0),
            sample("Q8_0", Phase::Decode, 128, 80.0),
            sample("Q4_K_M", Phase::Prefill, 512, 9000.0),
        ];
        let v = plan_view(&i).unwrap();
        assert_eq!(v.efficiency_source, EfficiencySource::Calibrated);
        let c = v.calibration.unwrap();
        assert_eq!(c.points.len(), 3);
        for p in &c.points {
            let want = i
                .measured
                .iter()
                .find(|s| s.preset == p.preset && s.phase == p.phase)
                .unwrap();
            assert_eq!(p.measured, want.tokens_per_s);
            let err = (p.predicted_after - p.measured) / p.measured * 100.0;
            assert!((err - p.error_after_pct).abs() < 1e-9);
        }
        assert!(c.mean_abs_error_after_pct <= c.mean_abs_error_before_pct + 1e-9);
        i.measured = vec![sample("Q9_Z", Phase::Decode, 128, 1.0)];
        assert!(plan_view(&i).is_err());
    }

    #[test]
    fn cost_uses_the_entered_price_and_api() {
        let mut i = input(
            ModelSource::Catalog("llama-3.1-8b-instruct".into()),
            "rtx-4090",
        );
        let v = plan_view(&i).unwrap();
        assert!(v.rows.iter().all(|r| r.cost.is_none()), "no price, no cost");
        i.usd_per_hour = Some(0.7);
        i.api_input_usd_per_m = Some(0.2);
        i.api_output_usd_per_m = Some(0.6);
        let v = plan_view(&i).unwrap();
        let c = v.rows[v.best.unwrap()].cost.clone().unwrap();
        // 730 h × $0.70.
        assert!((c.monthly - 511.0).abs() < 1e-9);
        let api = (512.0 * 0.2 + 128.0 * 0.6) / 640.0;
        assert!((c.api_blended.unwrap() - api).abs() < 1e-12);
        assert!((c.break_even_tokens_per_month.unwrap() - 511.0 / api * 1e6).abs() < 1.0);
        // Cheaper presets save against F16.
        let q4 = v.rows.iter().find(|r| r.label == "Q4_K_M").unwrap();
        assert!(q4.cost.as_ref().unwrap().saving_pct.unwrap() > 0.0);
    }

    #[test]
    fn this_device_from_a_probe() {
        let mut i = input(ModelSource::Catalog("smollm2-135m-instruct".into()), "x");
        i.device = DeviceSource::This(BrowserProbe {
            device_memory_gib: Some(8.0),
            hardware_concurrency: Some(4),
            adapter: Some("SwiftShader".into()),
            is_fallback_adapter: true,
            measured_bandwidth_gbs: Some(10.0),
            measured_cpu_gflops: Some(2.0),
            ..Default::default()
        });
        let v = plan_view(&i).unwrap();
        assert_eq!(v.device.id, "this-device");
        assert!(v.device.measured);
        assert_eq!(v.device.bandwidth_gbs, 10.0);
        assert_eq!(v.efficiency_source, EfficiencySource::MeasuredDevice);
        assert_eq!(v.device.usable_bytes, 6 * GIB);
    }

    /// A measurement saved (IndexedDB, self-describing) before the GPU phase existed still
    /// loads, without GPU figures; a new one survives the worker's postcard codec.
    #[test]
    fn bench_results_old_and_new_decode() {
        let old = r#"{"bandwidth_gbs":9.5,"buffer_bytes":134217728,"cpu_gflops":3.0,
            "gemm_n":256,"gemm_check":1e-7,"millis":3000.0}"#;
        let r: DeviceBenchResult = serde_json::from_str(old).unwrap();
        assert_eq!(
            (r.bandwidth_gbs, &r.gpu, &r.gpu_missing),
            (9.5, &None, &None)
        );
        let new = DeviceBenchResult {
            gpu: Some(GpuBenchFigures {
                adapter: "SwiftShader Device".into(),
                software: true,
                bandwidth_gbs: 4.0,
                gflops: 2.0,
                n: 4096,
                weight_bytes: 64 << 20,
                check: 1e-7,
            }),
            ..r
        };
        let bytes = crate::protocol::encode(&new);
        assert_eq!(
            crate::protocol::decode::<DeviceBenchResult>(&bytes).unwrap(),
            new
        );
    }

    #[test]
    fn lists_cover_the_bundled_data() {
        let l = plan_lists().unwrap();
        assert!(l.models.iter().any(|m| m.id == "llama-3.1-8b-instruct"));
        assert!(l.devices.iter().any(|d| d.group == "cloud_gpu"));
    }
}
