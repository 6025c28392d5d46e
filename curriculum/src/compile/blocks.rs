//! The special fenced blocks: ```` ```quiz ````, ```` ```widget ```` and ```` ```figure ````.
//! Each holds TOML (syntax in `content/README.md`); this module parses and validates it into
//! the app's types.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::markdown::{LinkRef, inline_html, render_inline};
use super::measurements::Measurements;
use super::svg;
use crate::{
    Figure, MeasuredTable, ModelShape, NumberFormatKind, QuantMethod, Quiz, QuizItem, QuizKind,
    SensitivityView, WeightSlice, Widget, WidgetSpec,
};

/// ggml types a widget may name: (name, weights per block, bits per weight). Block geometry
/// from ggml's `ggml/src/ggml-common.h` (`block_q4_0` … `block_iq4_xs`, `block_tq1_0`) as
/// tabulated in engine/src/ggml_type.rs.
pub const WIDGET_GGML_TYPES: &[(&str, u32, f64)] = &[
    ("Q4_0", 32, 4.5),
    ("Q4_1", 32, 5.0),
    ("Q5_0", 32, 5.5),
    ("Q5_1", 32, 6.0),
    ("Q8_0", 32, 8.5),
    ("Q2_K", 256, 2.625),
    ("Q3_K", 256, 3.4375),
    ("Q4_K", 256, 4.5),
    ("Q5_K", 256, 5.5),
    ("Q6_K", 256, 6.5625),
    ("IQ4_NL", 32, 4.5),
    ("IQ4_XS", 256, 4.25),
    ("TQ1_0", 256, 1.6875),
    ("TQ2_0", 256, 2.0625),
];

/// KV cache types llama.cpp accepts for `--cache-type-k/-v` that the kv_cache widget knows:
/// (name, bits per element including block scales).
pub const KV_TYPES: &[(&str, f64)] = &[
    ("F32", 32.0),
    ("F16", 16.0),
    ("BF16", 16.0),
    ("Q8_0", 8.5),
    ("Q5_1", 6.0),
    ("Q5_0", 5.5),
    ("Q4_1", 5.0),
    ("Q4_0", 4.5),
    ("IQ4_NL", 4.5),
];

/// Model shapes for memory widgets, from each model's published config.json (layers =
/// num_hidden_layers, kv_heads = num_key_value_heads, head_dim = hidden_size /
/// num_attention_heads, max_context = max_position_embeddings). SmolLM2's parameter count is
/// the element count of the shipped GGUF (134,515,008).
pub fn model_preset(name: &str) -> Option<ModelShape> {
    let (display, params, layers, kv_heads, head_dim, max_context) = match name {
        "smollm2-135m" => ("SmolLM2-135M", 134_515_008.0, 30, 3, 64, 8192),
        "qwen2.5-0.5b" => ("Qwen2.5-0.5B", 0.49e9, 24, 2, 64, 32768),
        "llama-2-7b" => ("Llama-2-7B", 6.74e9, 32, 32, 128, 4096),
        "llama-3-8b" => ("Llama-3-8B", 8.03e9, 32, 8, 128, 8192),
        "llama-3.1-8b" => ("Llama-3.1-8B", 8.03e9, 32, 8, 128, 131072),
        "llama-2-70b" => ("Llama-2-70B", 68.98e9, 80, 8, 128, 4096),
        _ => return None,
    };
    Some(ModelShape {
        name: display.into(),
        params,
        layers,
        kv_heads,
        head_dim,
        max_context,
    })
}

pub const MODEL_PRESETS: &[&str] = &[
    "smollm2-135m",
    "qwen2.5-0.5b",
    "llama-2-7b",
    "llama-3-8b",
    "llama-3.1-8b",
    "llama-2-70b",
];

/// What a block's parsing reports back besides its value.
#[derive(Default)]
pub struct Sink {
    /// (line relative to the block start, message)
    pub errors: Vec<(usize, String)>,
    pub links: Vec<LinkRef>,
    pub text: String,
}

pub struct Ctx<'a> {
    pub lesson: &'a str,
    pub weights: &'a [WeightSlice],
    pub measurements: Option<&'a Measurements>,
    /// `content/figures/<name>` → bytes
    pub figures: &'a BTreeMap<String, Vec<u8>>,
}

impl Ctx<'_> {
    fn inline(&self, src: &str, sink: &mut Sink) -> String {
        let r = render_inline(src, self.lesson);
        sink.errors.extend(r.errors.iter().cloned());
        sink.links.extend(r.links.iter().map(|l| LinkRef {
            line: 0,
            ..l.clone()
        }));
        sink.text.push_str(&r.text);
        sink.text.push('\n');
        inline_html(&r)
    }

    fn slice(&self, id: &str, sink: &mut Sink) -> Option<&WeightSlice> {
        let s = self.weights.iter().find(|w| w.id == id);
        if s.is_none() {
            let known: Vec<&str> = self.weights.iter().map(|w| w.id.as_str()).collect();
            sink.errors.push((
                0,
                format!("unknown weight slice '{id}' (known: {})", known.join(", ")),
            ));
        }
        s
    }
}

fn toml_error(e: toml::de::Error) -> (usize, String) {
    (0, format!("invalid TOML: {}", e.message()))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

// ---------------------------------------------------------------------------------------------
// Quiz

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    id: Option<String>,
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    prompt: String,
    explain: Option<String>,
    options: Option<Vec<String>>,
    correct: Option<OneOrMany>,
    answer: Option<f64>,
    tolerance: Option<f64>,
    unit: Option<String>,
    items: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(i64),
    Many(Vec<i64>),
}

pub fn parse_quiz(body: &str, default_id: String, ctx: &Ctx<'_>, sink: &mut Sink) -> Option<Quiz> {
    let raw: RawQuiz = match toml::from_str(body) {
        Ok(r) => r,
        Err(e) => {
            sink.errors.push(toml_error(e));
            return None;
        }
    };
    let id = raw.id.unwrap_or(default_id);
    if !valid_id(&id) {
        sink.errors
            .push((0, format!("quiz id '{id}' must be [a-z0-9-]+")));
    }
    if raw.item.is_empty() {
        sink.errors
            .push((0, "a quiz needs at least one [[item]]".into()));
    }
    let mut items = Vec::new();
    for it in raw.item {
        let mut err = |m: String| sink.errors.push((0, format!("quiz item '{}': {m}", it.id)));
        if !valid_id(&it.id) {
            err("item id must be [a-z0-9-]+".into());
        }
        if it.prompt.trim().is_empty() {
            err("empty prompt".into());
        }
        // Fields that belong to other item types are mistakes (a numeric item with options…).
        let present = |name: &str| match name {
            "options" => it.options.is_some(),
            "correct" => it.correct.is_some(),
            "answer" => it.answer.is_some(),
            "tolerance" => it.tolerance.is_some(),
            "unit" => it.unit.is_some(),
            "items" => it.items.is_some(),
            _ => false,
        };
        let allowed: &[&str] = match it.kind.as_str() {
            "choice" => &["options", "correct"],
            "numeric" => &["answer", "tolerance", "unit"],
            "order" => &["items"],
            other => {
                err(format!("unknown type '{other}' (choice, numeric or order)"));
                continue;
            }
        };
        for f in ["options", "correct", "answer", "tolerance", "unit", "items"] {
            if present(f) && !allowed.contains(&f) {
                err(format!("field '{f}' does not belong to a {} item", it.kind));
            }
        }
        let kind = match it.kind.as_str() {
            "choice" => {
                let options = it.options.clone().unwrap_or_default();
                if options.len() < 2 {
                    err("a choice item needs at least two options".into());
                }
                let mut seen = options.clone();
                seen.sort();
                seen.dedup();
                if seen.len() != options.len() {
                    err("options must be distinct".into());
                }
                let correct: Vec<i64> = match &it.correct {
                    Some(OneOrMany::One(i)) => vec![*i],
                    Some(OneOrMany::Many(v)) => v.clone(),
                    None => {
                        err("missing 'correct' (an option index or a list of them)".into());
                        vec![]
                    }
                };
                let mut idx: Vec<u32> = Vec::new();
                for c in &correct {
                    if *c < 0 || *c as usize >= options.len() {
                        err(format!(
                            "correct index {c} is out of range (0..{})",
                            options.len()
                        ));
                    } else {
                        idx.push(*c as u32);
                    }
                }
                let n = idx.len();
                idx.sort_unstable();
                idx.dedup();
                if idx.len() != n {
                    err("correct indices repeat".into());
                }
                if correct.is_empty() && it.correct.is_some() {
                    err("'correct' is empty".into());
                }
                if !options.is_empty() && idx.len() == options.len() {
                    err("every option is correct: that is not a question".into());
                }
                let options_html = options.iter().map(|o| ctx.inline(o, sink)).collect();
                QuizKind::MultipleChoice {
                    options_html,
                    correct: idx,
                }
            }
            "numeric" => {
                let answer = it.answer.unwrap_or(f64::NAN);
                let tolerance = it.tolerance.unwrap_or(f64::NAN);
                if !answer.is_finite() {
                    err("missing or non-finite 'answer'".into());
                }
                if !(tolerance.is_finite() && tolerance > 0.0) {
                    err("'tolerance' must be a finite number > 0".into());
                } else if answer.is_finite() && answer != 0.0 && tolerance >= answer.abs() {
                    err("'tolerance' is as large as the answer itself".into());
                }
                QuizKind::Numeric {
                    answer,
                    tolerance,
                    unit: it.unit.clone(),
                }
            }
            _ => {
                let list = it.items.clone().unwrap_or_default();
                if list.len() < 2 {
                    err("an order item needs at least two items".into());
                }
                let mut seen = list.clone();
                seen.sort();
                seen.dedup();
                if seen.len() != list.len() {
                    err("items must be distinct".into());
                }
                QuizKind::Ordering {
                    items_html: list.iter().map(|o| ctx.inline(o, sink)).collect(),
                }
            }
        };
        let prompt_html = ctx.inline(&it.prompt, sink);
        let explanation_html = it
            .explain
            .as_deref()
            .map(|e| ctx.inline(e, sink))
            .unwrap_or_default();
        items.push(QuizItem {
            id: format!("{}/{}", ctx.lesson, it.id),
            prompt_html,
            explanation_html,
            kind,
        });
    }
    Some(Quiz { id, items })
}

// ---------------------------------------------------------------------------------------------
// Widgets

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PQuantize {
    weights: String,
    #[serde(default = "d_bits")]
    bits: u8,
    #[serde(default = "d_group")]
    group_size: u32,
    #[serde(default)]
    symmetric: bool,
    #[serde(default = "d_method")]
    method: String,
    #[serde(default)]
    use_importance: bool,
}
fn d_bits() -> u8 {
    4
}
fn d_group() -> u32 {
    32
}
fn d_method() -> String {
    "rtn".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PErrorVsBits {
    weights: String,
    #[serde(default = "d_group")]
    group_size: u32,
    #[serde(default)]
    symmetric: bool,
    #[serde(default = "d_sweep")]
    bits: Vec<u8>,
    #[serde(default)]
    model_curve: bool,
}
fn d_sweep() -> Vec<u8> {
    vec![2, 3, 4, 5, 6, 8]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PNumberFormat {
    value: f64,
    formats: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PMemory {
    model: String,
    #[serde(default = "d_bpw")]
    bpw: f64,
    #[serde(default = "d_ctx")]
    context: u32,
    #[serde(default = "d_kv_bits")]
    kv_bits: f64,
    #[serde(default = "d_bw")]
    bandwidth_gbs: f64,
}
fn d_bpw() -> f64 {
    4.5
}
fn d_ctx() -> u32 {
    4096
}
fn d_kv_bits() -> f64 {
    16.0
}
fn d_bw() -> f64 {
    100.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PSensitivity {
    view: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PSpiking {
    #[serde(default = "d_tau")]
    tau_ms: f64,
    #[serde(default = "d_one")]
    threshold: f64,
    #[serde(default = "d_input")]
    input: f64,
    #[serde(default = "d_duration")]
    duration_ms: u32,
}
fn d_tau() -> f64 {
    20.0
}
fn d_one() -> f64 {
    1.0
}
fn d_input() -> f64 {
    0.08
}
fn d_duration() -> u32 {
    200
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PAnnealing {
    weights: String,
    #[serde(default)]
    row: u32,
    col: Option<u32>,
    #[serde(default = "d_count")]
    count: u32,
    #[serde(default = "d_qbits")]
    bits: u8,
    #[serde(default = "d_sweeps")]
    sweeps: u32,
    #[serde(default = "d_one")]
    t_start: f64,
    #[serde(default = "d_t_end")]
    t_end: f64,
    #[serde(default = "d_seed")]
    seed: u64,
}
fn d_count() -> u32 {
    12
}
fn d_qbits() -> u8 {
    2
}
fn d_sweeps() -> u32 {
    2000
}
fn d_t_end() -> f64 {
    0.001
}
fn d_seed() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PBlock {
    weights: String,
    ggml_type: String,
    #[serde(default)]
    row: u32,
    #[serde(default)]
    block: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PKv {
    model: String,
    max_context: Option<u32>,
    kv_types: Option<Vec<String>>,
}

fn params<T: serde::de::DeserializeOwned>(
    table: toml::Table,
    kind: &str,
    sink: &mut Sink,
) -> Option<T> {
    match toml::Value::Table(table).try_into::<T>() {
        Ok(p) => Some(p),
        Err(e) => {
            sink.errors
                .push((0, format!("widget '{kind}': {}", e.message())));
            None
        }
    }
}

fn ggml_type(name: &str, sink: &mut Sink) -> Option<(&'static str, u32, f64)> {
    let t = WIDGET_GGML_TYPES
        .iter()
        .find(|t| t.0.eq_ignore_ascii_case(name))
        .copied();
    if t.is_none() {
        let known: Vec<&str> = WIDGET_GGML_TYPES.iter().map(|t| t.0).collect();
        sink.errors.push((
            0,
            format!("unknown ggml type '{name}' (known: {})", known.join(", ")),
        ));
    }
    t
}

fn preset(name: &str, sink: &mut Sink) -> Option<ModelShape> {
    let m = model_preset(name);
    if m.is_none() {
        sink.errors.push((
            0,
            format!(
                "unknown model '{name}' (known: {})",
                MODEL_PRESETS.join(", ")
            ),
        ));
    }
    m
}

fn check_group(slice: &WeightSlice, group: u32, sink: &mut Sink) {
    if group == 0 || !slice.cols.is_multiple_of(group) {
        sink.errors.push((
            0,
            format!(
                "group_size {group} does not divide the {} columns of '{}'",
                slice.cols, slice.id
            ),
        ));
    }
}

fn measured(ctx: &Ctx<'_>, sink: &mut Sink) -> Option<Measurements> {
    let m = ctx.measurements.cloned();
    if m.is_none() {
        sink.errors.push((
            0,
            "this widget needs content/weights/measurements.json".into(),
        ));
    }
    m
}

pub fn parse_widget(
    body: &str,
    default_id: String,
    ctx: &Ctx<'_>,
    sink: &mut Sink,
) -> Option<WidgetSpec> {
    let mut table: toml::Table = match toml::from_str(body) {
        Ok(t) => t,
        Err(e) => {
            sink.errors.push(toml_error(e));
            return None;
        }
    };
    let take_str = |table: &mut toml::Table, key: &str, sink: &mut Sink| -> Option<String> {
        match table.remove(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s),
            Some(_) => {
                sink.errors
                    .push((0, format!("widget '{key}' must be a string")));
                None
            }
        }
    };
    let Some(kind) = take_str(&mut table, "kind", sink) else {
        sink.errors.push((0, "widget needs kind = \"…\"".into()));
        return None;
    };
    let id = take_str(&mut table, "id", sink).unwrap_or(default_id);
    if !valid_id(&id) {
        sink.errors
            .push((0, format!("widget id '{id}' must be [a-z0-9-]+")));
    }
    let caption_html = take_str(&mut table, "caption", sink).map(|c| ctx.inline(&c, sink));
    let before = sink.errors.len();
    let widget = match kind.as_str() {
        "quantize_matrix" => {
            let p: PQuantize = params(table, &kind, sink)?;
            let slice = ctx.slice(&p.weights, sink)?;
            let method = if p.method == "rtn" {
                if !(1..=8).contains(&p.bits) {
                    sink.errors
                        .push((0, format!("bits {} out of 1..=8", p.bits)));
                }
                check_group(slice, p.group_size, sink);
                QuantMethod::Rtn
            } else {
                let (name, block, _) = ggml_type(&p.method, sink)?;
                if !slice.cols.is_multiple_of(block) {
                    sink.errors.push((
                        0,
                        format!(
                            "{name} needs rows of a multiple of {block}; '{}' has {} columns",
                            slice.id, slice.cols
                        ),
                    ));
                }
                QuantMethod::Ggml(name.to_string())
            };
            if p.use_importance && slice.importance_file.is_none() {
                sink.errors.push((
                    0,
                    format!(
                        "use_importance: slice '{}' has no importance data",
                        slice.id
                    ),
                ));
            }
            Widget::QuantizeMatrix {
                weights: p.weights,
                bits: p.bits,
                group_size: p.group_size,
                symmetric: p.symmetric,
                method,
                use_importance: p.use_importance,
            }
        }
        "error_vs_bits" => {
            let p: PErrorVsBits = params(table, &kind, sink)?;
            let slice = ctx.slice(&p.weights, sink)?;
            check_group(slice, p.group_size, sink);
            if p.bits.is_empty()
                || p.bits.windows(2).any(|w| w[0] >= w[1])
                || p.bits.iter().any(|b| !(1..=8).contains(b))
            {
                sink.errors.push((
                    0,
                    "bits must be a non-empty ascending list within 1..=8".into(),
                ));
            }
            let model_curve = if p.model_curve {
                measured(ctx, sink)?.bits_curves()
            } else {
                Vec::new()
            };
            Widget::ErrorVsBits {
                weights: p.weights,
                group_size: p.group_size,
                symmetric: p.symmetric,
                bits: p.bits,
                model_curve,
            }
        }
        "number_format" => {
            let p: PNumberFormat = params(table, &kind, sink)?;
            if !p.value.is_finite() {
                sink.errors.push((0, "value must be finite".into()));
            }
            let formats = match p.formats {
                None => NumberFormatKind::ALL.to_vec(),
                Some(names) => {
                    if names.is_empty() {
                        sink.errors.push((0, "formats is empty".into()));
                    }
                    names
                        .iter()
                        .filter_map(|n| {
                            let f = NumberFormatKind::from_name(n);
                            if f.is_none() {
                                sink.errors
                                    .push((0, format!("unknown number format '{n}'")));
                            }
                            f
                        })
                        .collect()
                }
            };
            Widget::NumberFormat {
                value: p.value,
                formats,
            }
        }
        "memory_calc" => {
            let p: PMemory = params(table, &kind, sink)?;
            let model = preset(&p.model, sink)?;
            if !(p.bpw > 0.0 && p.bpw <= 32.0) {
                sink.errors
                    .push((0, format!("bpw {} out of (0, 32]", p.bpw)));
            }
            if !(p.kv_bits > 0.0 && p.kv_bits <= 32.0) {
                sink.errors
                    .push((0, format!("kv_bits {} out of (0, 32]", p.kv_bits)));
            }
            if p.context == 0 || p.context > model.max_context {
                sink.errors.push((
                    0,
                    format!(
                        "context {} out of 1..={} for {}",
                        p.context, model.max_context, model.name
                    ),
                ));
            }
            if !(p.bandwidth_gbs > 0.0 && p.bandwidth_gbs.is_finite()) {
                sink.errors.push((0, "bandwidth_gbs must be > 0".into()));
            }
            Widget::MemoryCalc {
                model,
                bpw: p.bpw,
                context: p.context,
                kv_bits: p.kv_bits,
                bandwidth_gbs: p.bandwidth_gbs,
            }
        }
        "layer_sensitivity" => {
            let p: PSensitivity = params(table, &kind, sink)?;
            let view = match p.view.as_str() {
                "kinds" => SensitivityView::Kinds,
                "layers" => SensitivityView::Layers,
                other => {
                    sink.errors
                        .push((0, format!("view '{other}' must be kinds or layers")));
                    return None;
                }
            };
            let m = measured(ctx, sink)?;
            let table: MeasuredTable = match view {
                SensitivityView::Kinds => m.kinds_table(),
                SensitivityView::Layers => m.layers_table(),
            };
            Widget::LayerSensitivity { view, table }
        }
        "spiking_neuron" => {
            let p: PSpiking = params(table, &kind, sink)?;
            if !(p.tau_ms > 0.0 && p.threshold > 0.0 && p.input >= 0.0) {
                sink.errors
                    .push((0, "tau_ms and threshold must be > 0, input >= 0".into()));
            }
            if !(1..=10_000).contains(&p.duration_ms) {
                sink.errors.push((0, "duration_ms out of 1..=10000".into()));
            }
            Widget::SpikingNeuron {
                tau_ms: p.tau_ms,
                threshold: p.threshold,
                input: p.input,
                duration_ms: p.duration_ms,
            }
        }
        "annealing_qubo" => {
            let p: PAnnealing = params(table, &kind, sink)?;
            let slice = ctx.slice(&p.weights, sink)?;
            if p.row >= slice.rows {
                sink.errors.push((
                    0,
                    format!("row {} out of range ({} rows)", p.row, slice.rows),
                ));
            }
            let Some(h) = &slice.hessian else {
                sink.errors.push((
                    0,
                    format!(
                        "annealing_qubo needs a slice with a Hessian block; '{}' has none",
                        slice.id
                    ),
                ));
                return None;
            };
            let col = p.col.unwrap_or(h.col_start);
            if !(2..=24).contains(&p.count)
                || col < h.col_start
                || col + p.count > h.col_start + h.size
            {
                sink.errors.push((
                    0,
                    format!(
                        "count must be 2..=24 and col..col+count inside the Hessian block {}..{}",
                        h.col_start,
                        h.col_start + h.size
                    ),
                ));
            }
            if !(1..=8).contains(&p.bits) || !(1..=1_000_000).contains(&p.sweeps) {
                sink.errors
                    .push((0, "bits 1..=8, sweeps 1..=1000000".into()));
            }
            if !(p.t_start > p.t_end && p.t_end > 0.0) {
                sink.errors.push((0, "need t_start > t_end > 0".into()));
            }
            Widget::AnnealingQubo {
                weights: p.weights,
                row: p.row,
                col,
                count: p.count,
                bits: p.bits,
                sweeps: p.sweeps,
                t_start: p.t_start,
                t_end: p.t_end,
                seed: p.seed,
            }
        }
        "block_format" => {
            let p: PBlock = params(table, &kind, sink)?;
            let slice = ctx.slice(&p.weights, sink)?;
            let (name, block, _) = ggml_type(&p.ggml_type, sink)?;
            if !slice.cols.is_multiple_of(block) {
                sink.errors.push((
                    0,
                    format!(
                        "{name} needs rows of a multiple of {block}; '{}' has {} columns",
                        slice.id, slice.cols
                    ),
                ));
            } else if p.block >= slice.cols / block {
                sink.errors.push((
                    0,
                    format!(
                        "block {} out of range ({} per row)",
                        p.block,
                        slice.cols / block
                    ),
                ));
            }
            if p.row >= slice.rows {
                sink.errors.push((
                    0,
                    format!("row {} out of range ({} rows)", p.row, slice.rows),
                ));
            }
            Widget::BlockFormat {
                weights: p.weights,
                ggml_type: name.to_string(),
                row: p.row,
                block: p.block,
            }
        }
        "kv_cache" => {
            let p: PKv = params(table, &kind, sink)?;
            let model = preset(&p.model, sink)?;
            let max_context = p.max_context.unwrap_or(model.max_context);
            if max_context == 0 {
                sink.errors.push((0, "max_context must be > 0".into()));
            }
            let kv_types: Vec<String> = p
                .kv_types
                .unwrap_or_else(|| vec!["F16".into(), "Q8_0".into(), "Q4_0".into()]);
            if kv_types.is_empty() {
                sink.errors.push((0, "kv_types is empty".into()));
            }
            let mut names = Vec::new();
            for t in &kv_types {
                match KV_TYPES.iter().find(|k| k.0.eq_ignore_ascii_case(t)) {
                    Some(k) => names.push(k.0.to_string()),
                    None => sink
                        .errors
                        .push((0, format!("unknown KV cache type '{t}'"))),
                }
            }
            Widget::KvCache {
                model,
                max_context,
                kv_types: names,
            }
        }
        other => {
            let known: Vec<&str> = crate::WidgetKind::ALL.iter().map(|k| k.name()).collect();
            sink.errors.push((
                0,
                format!(
                    "unknown widget kind '{other}' (known: {})",
                    known.join(", ")
                ),
            ));
            return None;
        }
    };
    if sink.errors.len() > before {
        return None;
    }
    Some(WidgetSpec {
        id,
        caption_html,
        widget,
    })
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    id: String,
    alt: String,
    caption: Option<String>,
    src: Option<String>,
    svg: Option<String>,
}

pub fn parse_figure(body: &str, ctx: &Ctx<'_>, sink: &mut Sink) -> Option<Figure> {
    let raw: RawFigure = match toml::from_str(body) {
        Ok(r) => r,
        Err(e) => {
            sink.errors.push(toml_error(e));
            return None;
        }
    };
    if !valid_id(&raw.id) {
        sink.errors
            .push((0, format!("figure id '{}' must be [a-z0-9-]+", raw.id)));
    }
    if raw.alt.trim().len() < 10 {
        sink.errors.push((
            0,
            format!("figure '{}' needs a real text alternative (alt)", raw.id),
        ));
    }
    sink.text.push_str(&raw.alt);
    sink.text.push('\n');
    let markup = match (&raw.src, &raw.svg) {
        (Some(src), None) => match ctx.figures.get(src.as_str()) {
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => s.to_string(),
                Err(_) => {
                    sink.errors.push((0, format!("figures/{src} is not UTF-8")));
                    return None;
                }
            },
            None => {
                sink.errors.push((
                    0,
                    format!("figure file content/figures/{src} does not exist"),
                ));
                return None;
            }
        },
        (None, Some(svg)) => svg.clone(),
        _ => {
            sink.errors.push((
                0,
                format!("figure '{}' needs exactly one of src or svg", raw.id),
            ));
            return None;
        }
    };
    let svg = match svg::sanitize(&markup, &raw.id, &raw.alt) {
        Ok(s) => s,
        Err(e) => {
            sink.errors.push((0, format!("figure '{}': {e}", raw.id)));
            return None;
        }
    };
    let caption_html = raw.caption.as_deref().map(|c| ctx.inline(c, sink));
    Some(Figure {
        id: raw.id,
        svg,
        alt: raw.alt,
        caption_html,
    })
}
