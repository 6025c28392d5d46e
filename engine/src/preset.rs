//! llama.cpp's quantization presets ("ftypes" such as `Q4_K_M`) and its exact per-tensor type
//! choice, so that a model quantized by Bitsmith gets the same tensor types as one made by
//! `llama-quantize`.
//!
//! Everything here follows `src/llama-quant.cpp` of the llama.cpp vendored in
//! llama-cpp-python 0.3.36 (the version the interop tests compare against):
//! - `tensor_allows_quantization`: which tensors are quantized at all;
//! - `tensor_get_category` / `category_is_attn_v`: the broad tensor roles;
//! - `llama_tensor_get_type` (overrides, `--pure`, shape fallback) and
//!   `llama_tensor_get_type_impl` (the per-preset mix rules);
//! - `tensor_type_fallback`: what replaces a type whose block does not divide the row length;
//! - `init_quantize_state_counters` and the `weights_map` order of `llama_model_loader`
//!   (`weight_name_comparer` in `src/llama-model-loader.h`), since the mix rules count
//!   `attn_v`/`ffn_down` tensors in that order.
//!
//! [`plan_quantization`] returns a serde-serializable [`QuantPlan`]: one [`TensorDecision`] per
//! tensor with the reason for its type, the warnings a user should see (shape fallbacks,
//! requantizing an already-quantized source), and the predicted output size and bits per weight.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::GgmlType;
use crate::gguf::{GgufArray, GgufValue};
use crate::quant;

/// A llama.cpp file type ("ftype"): the quantization mix chosen for a whole model.
///
/// The names, aliases and `llama_ftype` ids are those of `tools/quantize/quantize.cpp`
/// (`QUANT_OPTIONS`) and `include/llama.h` (`enum llama_ftype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types)]
pub enum Preset {
    F32,
    F16,
    BF16,
    Q8_0,
    Q6_K,
    Q5_K_M,
    Q5_K_S,
    Q5_1,
    Q5_0,
    Q4_K_M,
    Q4_K_S,
    Q4_1,
    Q4_0,
    IQ4_NL,
    IQ4_XS,
    Q3_K_L,
    Q3_K_M,
    Q3_K_S,
    Q2_K,
    TQ2_0,
    TQ1_0,
}

/// (preset, name, llama_ftype id, default tensor type, description).
/// Ids: `include/llama.h`; default types: `llama_ftype_get_default_type` in `src/llama-quant.cpp`;
/// descriptions: `QUANT_OPTIONS` in `tools/quantize/quantize.cpp`.
const PRESETS: &[(Preset, &str, u32, GgmlType, &str)] = &[
    (Preset::F32, "F32", 0, GgmlType::F32, "26.00G @ 7B"),
    (
        Preset::F16,
        "F16",
        1,
        GgmlType::F16,
        "14.00G, +0.0020 ppl @ Mistral-7B",
    ),
    (
        Preset::BF16,
        "BF16",
        32,
        GgmlType::BF16,
        "14.00G, -0.0050 ppl @ Mistral-7B",
    ),
    (
        Preset::Q8_0,
        "Q8_0",
        7,
        GgmlType::Q8_0,
        "7.96G, +0.0026 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q6_K,
        "Q6_K",
        18,
        GgmlType::Q6_K,
        "6.14G, +0.0217 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q5_K_M,
        "Q5_K_M",
        17,
        GgmlType::Q5_K,
        "5.33G, +0.0569 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q5_K_S,
        "Q5_K_S",
        16,
        GgmlType::Q5_K,
        "5.21G, +0.1049 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q5_1,
        "Q5_1",
        9,
        GgmlType::Q5_1,
        "5.65G, +0.1062 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q5_0,
        "Q5_0",
        8,
        GgmlType::Q5_0,
        "5.21G, +0.1316 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q4_K_M,
        "Q4_K_M",
        15,
        GgmlType::Q4_K,
        "4.58G, +0.1754 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q4_K_S,
        "Q4_K_S",
        14,
        GgmlType::Q4_K,
        "4.37G, +0.2689 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q4_1,
        "Q4_1",
        3,
        GgmlType::Q4_1,
        "4.78G, +0.4511 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q4_0,
        "Q4_0",
        2,
        GgmlType::Q4_0,
        "4.34G, +0.4685 ppl @ Llama-3-8B",
    ),
    (
        Preset::IQ4_NL,
        "IQ4_NL",
        25,
        GgmlType::IQ4_NL,
        "4.50 bpw non-linear quantization",
    ),
    (
        Preset::IQ4_XS,
        "IQ4_XS",
        30,
        GgmlType::IQ4_XS,
        "4.25 bpw non-linear quantization",
    ),
    (
        Preset::Q3_K_L,
        "Q3_K_L",
        13,
        GgmlType::Q3_K,
        "4.03G, +0.5562 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q3_K_M,
        "Q3_K_M",
        12,
        GgmlType::Q3_K,
        "3.74G, +0.6569 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q3_K_S,
        "Q3_K_S",
        11,
        GgmlType::Q3_K,
        "3.41G, +1.6321 ppl @ Llama-3-8B",
    ),
    (
        Preset::Q2_K,
        "Q2_K",
        10,
        GgmlType::Q2_K,
        "2.96G, +3.5199 ppl @ Llama-3-8B",
    ),
    (
        Preset::TQ2_0,
        "TQ2_0",
        37,
        GgmlType::TQ2_0,
        "2.06 bpw ternarization",
    ),
    (
        Preset::TQ1_0,
        "TQ1_0",
        36,
        GgmlType::TQ1_0,
        "1.69 bpw ternarization",
    ),
];

/// `quantize.cpp` accepts these short names for the `_M` mixes.
const ALIASES: &[(&str, Preset)] = &[
    ("Q3_K", Preset::Q3_K_M),
    ("Q4_K", Preset::Q4_K_M),
    ("Q5_K", Preset::Q5_K_M),
];

impl Preset {
    /// Every preset, from largest to smallest.
    pub fn all() -> impl Iterator<Item = Preset> {
        PRESETS.iter().map(|row| row.0)
    }

    fn row(self) -> &'static (Preset, &'static str, u32, GgmlType, &'static str) {
        PRESETS
            .iter()
            .find(|row| row.0 == self)
            .expect("every preset has a table row")
    }

    /// The name `llama-quantize` takes (`Q4_K_M`).
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The `llama_ftype` id written to `general.file_type`.
    pub fn ftype(self) -> u32 {
        self.row().2
    }

    /// The type most tensors get (`llama_ftype_get_default_type`).
    pub fn default_type(self) -> GgmlType {
        self.row().3
    }

    /// llama.cpp's one-line size/quality note for this preset.
    pub fn description(self) -> &'static str {
        self.row().4
    }

    /// The preset whose `llama_ftype` id is `ftype`.
    pub fn from_ftype(ftype: u32) -> Option<Preset> {
        PRESETS.iter().find(|row| row.2 == ftype).map(|row| row.0)
    }

    /// Parses a preset name case-insensitively, including the aliases `Q3_K`, `Q4_K`, `Q5_K`.
    pub fn from_name(name: &str) -> Option<Preset> {
        PRESETS
            .iter()
            .find(|row| row.1.eq_ignore_ascii_case(name))
            .map(|row| row.0)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
                    .map(|(_, p)| *p)
            })
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = PlanError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::from_name(s).ok_or_else(|| PlanError::UnknownPreset(s.to_string()))
    }
}

/// The model hyper-parameters the mix rules look at (`llama_hparams` fields read by
/// `llama_tensor_get_type_impl`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// `general.architecture` (`llama`, `falcon`, `qwen2`, …).
    pub arch: String,
    /// `{arch}.block_count` (`n_layer_all`): the denominator of the `ffn_down` layer rules.
    pub n_layer: u32,
    /// `{arch}.attention.head_count` of layer 0.
    pub n_head: u32,
    /// `{arch}.attention.head_count_kv` of layer 0 (defaults to `n_head`).
    pub n_head_kv: u32,
    /// `{arch}.expert_count` (0 for dense models).
    pub n_expert: u32,
}

impl ModelInfo {
    /// Reads the hyper-parameters from GGUF metadata the way `llama_model::load_hparams` does:
    /// `{arch}.block_count`, `{arch}.attention.head_count[_kv]` (a number or a per-layer array,
    /// of which layer 0 counts), `{arch}.expert_count`. When `block_count` is missing (llama.cpp
    /// would refuse the file) the layer count is taken from the highest `blk.N.` tensor name.
    pub fn from_metadata<'a>(
        metadata: &[(String, GgufValue)],
        tensor_names: impl IntoIterator<Item = &'a str>,
    ) -> ModelInfo {
        let get = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let arch = get("general.architecture")
            .and_then(GgufValue::as_str)
            .unwrap_or("")
            .to_string();
        let num = |suffix: &str| -> Option<u32> {
            match get(&format!("{arch}.{suffix}"))? {
                GgufValue::Array(a) => first_int(a),
                v => v.as_u32(),
            }
        };
        let n_layer = num("block_count").unwrap_or_else(|| {
            tensor_names
                .into_iter()
                .filter_map(sscanf_layer)
                .filter(|&l| l >= 0)
                .max()
                .map_or(0, |l| u32::try_from(l + 1).unwrap_or(u32::MAX))
        });
        let n_head = num("attention.head_count").unwrap_or(0);
        ModelInfo {
            n_layer,
            n_head,
            n_head_kv: num("attention.head_count_kv").unwrap_or(n_head),
            n_expert: num("expert_count").unwrap_or(0),
            arch,
        }
    }

    /// Query heads per KV head (`llama_hparams::n_gqa`, 0 when there are no KV heads).
    pub fn n_gqa(&self) -> u32 {
        self.n_head.checked_div(self.n_head_kv).unwrap_or(0)
    }

    /// Whether llama.cpp classifies the model as `LLM_TYPE_70B`, which gets a bigger `attn_v`.
    /// Source: the `load_arch_hparams` of `src/models/{llama,qwen2,deci,olmo,jais2}.cpp`.
    pub fn is_70b(&self) -> bool {
        match self.arch.as_str() {
            "llama" => self.n_expert != 8 && self.n_layer == 80 && self.n_head != self.n_head_kv,
            "qwen2" | "deci" | "olmo" => self.n_layer == 80,
            "jais2" => self.n_layer == 68,
            _ => false,
        }
    }
}

/// First element of an integer array (per-layer hyper-parameters), as `u32`.
fn first_int(a: &GgufArray) -> Option<u32> {
    match a {
        GgufArray::U8(v) => v.first().map(|&x| x.into()),
        GgufArray::U16(v) => v.first().map(|&x| x.into()),
        GgufArray::U32(v) => v.first().copied(),
        GgufArray::U64(v) => v.first().and_then(|&x| u32::try_from(x).ok()),
        GgufArray::I8(v) => v.first().and_then(|&x| u32::try_from(x).ok()),
        GgufArray::I16(v) => v.first().and_then(|&x| u32::try_from(x).ok()),
        GgufArray::I32(v) => v.first().and_then(|&x| u32::try_from(x).ok()),
        GgufArray::I64(v) => v.first().and_then(|&x| u32::try_from(x).ok()),
        _ => None,
    }
}

/// One tensor of the source model, as the planner needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    /// ggml order: `shape[0]` is the row length (`ne[0]`).
    pub shape: Vec<u64>,
    pub ty: GgmlType,
}

impl TensorSpec {
    pub fn n_elements(&self) -> u64 {
        self.shape.iter().product()
    }

    /// `ggml_n_dims`: trailing dimensions of size 1 do not count, so `[4096, 1]` is 1-D.
    pub fn n_dims(&self) -> usize {
        (1..self.shape.len())
            .rev()
            .find(|&i| self.shape[i] > 1)
            .map_or(1, |i| i + 1)
    }

    /// Row length (`ne[0]`).
    pub fn ncols(&self) -> u64 {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Number of rows (`ggml_nrows`: product of every dimension but the first).
    pub fn nrows(&self) -> u64 {
        self.shape.iter().skip(1).product()
    }
}

/// Bytes of a tensor of `shape` stored as `ty`, or `None` when rows are not whole blocks.
pub fn tensor_bytes(ty: GgmlType, shape: &[u64]) -> Option<u64> {
    let ncols = usize::try_from(shape.first().copied().unwrap_or(1)).ok()?;
    let row = ty.row_bytes(ncols)? as u64;
    shape
        .iter()
        .skip(1)
        .try_fold(row, |acc, &d| acc.checked_mul(d))
}

/// A `--tensor-type REGEX=TYPE` override: tensors whose name matches `pattern` (searched
/// anywhere in the name, like `std::regex_search`) get `ty`. The first matching override wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorTypeOverride {
    pub pattern: String,
    pub ty: GgmlType,
}

impl FromStr for TensorTypeOverride {
    type Err = PlanError;

    /// Parses `REGEX=TYPE` the way `parse_tensor_type` in `tools/quantize/quantize.cpp` does:
    /// split at the first `=`, lower-case the pattern, type name case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| PlanError::BadOverride {
            spec: s.to_string(),
            why: why.to_string(),
        };
        let (name, ty) = s
            .split_once('=')
            .ok_or_else(|| bad("expected REGEX=TYPE"))?;
        if name.is_empty() {
            return Err(bad("missing tensor name pattern"));
        }
        if ty.is_empty() {
            return Err(bad("missing quantization type"));
        }
        let ty = GgmlType::from_name(ty).ok_or_else(|| PlanError::UnknownType(ty.to_string()))?;
        Ok(TensorTypeOverride {
            pattern: name.to_lowercase(),
            ty,
        })
    }
}

/// The user's choices: a preset plus llama-quantize's per-tensor options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantOptions {
    pub preset: Preset,
    /// `--tensor-type`, in order (first match wins).
    pub overrides: Vec<TensorTypeOverride>,
    /// `--output-tensor-type`.
    pub output_tensor_type: Option<GgmlType>,
    /// `--token-embedding-type`.
    pub token_embedding_type: Option<GgmlType>,
    /// `--pure`: every quantizable tensor gets the preset's default type (no mix rules).
    pub pure: bool,
    /// `--leave-output-tensor`: keep `output.weight` in its source type.
    pub leave_output_tensor: bool,
    /// Whether an importance matrix will be supplied (some mix rules depend on it).
    pub has_imatrix: bool,
}

impl QuantOptions {
    pub fn new(preset: Preset) -> Self {
        QuantOptions {
            preset,
            overrides: Vec::new(),
            output_tensor_type: None,
            token_embedding_type: None,
            pure: false,
            leave_output_tensor: false,
            has_imatrix: false,
        }
    }
}

/// Why a tensor got its type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// llama.cpp never quantizes this tensor; it keeps its source type.
    NotQuantizable { why: String },
    /// `--token-embedding-type`.
    TokenEmbeddingType,
    /// `--output-tensor-type` (also applied to a tied `token_embd`).
    OutputTensorType,
    /// A `--tensor-type` pattern matched.
    Override { pattern: String },
    /// `--pure`: the preset's default type.
    Pure,
    /// A float preset (F32/F16/BF16): every quantizable tensor takes that type.
    FloatPreset,
    /// The preset's default type; no mix rule applied.
    PresetDefault,
    /// A mix rule of `llama_tensor_get_type_impl` picked the type.
    PresetRule { rule: String },
    /// `bitsmith dequantize`: every quantized tensor goes back to a float type.
    Dequantize,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NotQuantizable { why } => write!(f, "kept: {why}"),
            Reason::TokenEmbeddingType => f.write_str("--token-embedding-type"),
            Reason::OutputTensorType => f.write_str("--output-tensor-type"),
            Reason::Override { pattern } => write!(f, "--tensor-type {pattern}"),
            Reason::Pure => f.write_str("--pure: preset default"),
            Reason::FloatPreset => f.write_str("float preset"),
            Reason::PresetDefault => f.write_str("preset default"),
            Reason::PresetRule { rule } => f.write_str(rule),
            Reason::Dequantize => f.write_str("dequantize"),
        }
    }
}

/// A type the shape forced to change (`tensor_type_fallback`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    /// The type the rules chose.
    pub wanted: GgmlType,
    /// Row length that is not a multiple of `wanted`'s block.
    pub ncols: u64,
    pub block: usize,
}

/// Kinds of [`PlanWarning`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The row length does not fit the chosen type; a fallback type is used.
    Fallback,
    /// The source tensor is already quantized and will be dequantized and quantized again.
    Requantize,
    /// An option had no effect (e.g. `--tensor-type` with a float preset, as in llama.cpp).
    IgnoredOption,
}

/// Something the user should see before/while quantizing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanWarning {
    pub kind: WarningKind,
    /// The tensor concerned (empty for model-wide warnings).
    pub tensor: String,
    pub message: String,
}

/// The decision for one tensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorDecision {
    pub name: String,
    pub shape: Vec<u64>,
    /// Index of this tensor in the `tensors` slice given to [`plan_quantization`].
    pub source_index: usize,
    pub source_type: GgmlType,
    pub target_type: GgmlType,
    pub reason: Reason,
    pub fallback: Option<Fallback>,
    pub n_elements: u64,
    pub source_bytes: u64,
    pub output_bytes: u64,
}

impl TensorDecision {
    /// True when the tensor's data must be converted (otherwise it is copied byte for byte,
    /// as llama.cpp does when `cur_type == new_type`).
    pub fn converts(&self) -> bool {
        self.source_type != self.target_type
    }

    /// Bits per weight of the output tensor.
    pub fn output_bpw(&self) -> f64 {
        bpw(self.output_bytes, self.n_elements)
    }
}

/// The whole-model plan: per-tensor decisions in output (llama.cpp) order, warnings and totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantPlan {
    pub preset: Preset,
    /// `general.file_type` of the output.
    pub ftype: u32,
    pub tensors: Vec<TensorDecision>,
    pub warnings: Vec<PlanWarning>,
    pub n_elements: u64,
    /// Sum of source tensor data sizes (no padding), as llama.cpp's "model size".
    pub source_bytes: u64,
    /// Sum of output tensor data sizes (no padding), as llama.cpp's "quant size".
    pub output_bytes: u64,
    pub source_bpw: f64,
    pub output_bpw: f64,
    /// Number of tensors that needed a shape fallback.
    pub n_fallback: usize,
}

fn bpw(bytes: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        bytes as f64 * 8.0 / n as f64
    }
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("unknown preset '{0}' (expected one of {list})", list = preset_list())]
    UnknownPreset(String),
    #[error("unknown tensor type '{0}'")]
    UnknownType(String),
    #[error("bad --tensor-type '{spec}': {why}")]
    BadOverride { spec: String, why: String },
    #[error("bad --tensor-type pattern '{pattern}': {why}")]
    BadPattern { pattern: String, why: String },
    #[error("duplicate tensor name '{0}'")]
    DuplicateTensor(String),
    #[error("tensor '{name}' has a shape {shape:?} that does not fit its type {ty}")]
    BadShape {
        name: String,
        shape: Vec<u64>,
        ty: GgmlType,
    },
    #[error("no tensor type fallback is defined for type {ty} (tensor '{tensor}')")]
    NoFallback { tensor: String, ty: GgmlType },
    #[error("failed to determine the layer of tensor '{0}' (expected a name like blk.N.…)")]
    NoLayer(String),
    #[error("bad layer {layer} for tensor '{tensor}': must be in [0, {n_layer})")]
    BadLayer {
        tensor: String,
        layer: i64,
        n_layer: u32,
    },
    #[error("tensor '{tensor}' would need type {ty}, which Bitsmith cannot quantize to")]
    Unsupported { tensor: String, ty: GgmlType },
    #[error("tensor '{tensor}' is stored as {ty}, which Bitsmith cannot convert from")]
    CannotConvert { tensor: String, ty: GgmlType },
}

fn preset_list() -> String {
    Preset::all()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `tensor_category` of `src/llama-quant.cpp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    TokenEmbd,
    AttnQ,
    AttnV,
    AttnK,
    AttnQkv,
    AttnKvB,
    AttnOutput,
    FfnUp,
    FfnGate,
    FfnDown,
    Output,
    Other,
}

fn is_token_embd(name: &str) -> bool {
    name == "token_embd.weight" || name == "per_layer_token_embd.weight"
}

/// `tensor_get_category`: the checks run in this order, by substring.
fn category(name: &str) -> Category {
    if name == "output.weight" {
        return Category::Output;
    }
    if is_token_embd(name) {
        return Category::TokenEmbd;
    }
    let checks = [
        ("attn_qkv.weight", Category::AttnQkv),
        ("attn_kv_b.weight", Category::AttnKvB),
        ("attn_v.weight", Category::AttnV),
        ("attn_k.weight", Category::AttnK),
        ("attn_q.weight", Category::AttnQ),
        ("attn_output.weight", Category::AttnOutput),
        ("ffn_up", Category::FfnUp),
        ("ffn_gate", Category::FfnGate),
        ("ffn_down", Category::FfnDown),
    ];
    checks
        .iter()
        .find(|(pat, _)| name.contains(pat))
        .map_or(Category::Other, |(_, c)| *c)
}

/// `category_is_attn_v`: attention-V-like tensors, the most sensitive to quantization.
fn is_attn_v(c: Category) -> bool {
    matches!(c, Category::AttnV | Category::AttnQkv | Category::AttnKvB)
}

/// `tensor_allows_quantization`: `Err(why)` for tensors llama.cpp keeps in their source type.
fn allows_quantization(
    opts: &QuantOptions,
    arch: &str,
    t: &TensorSpec,
) -> Result<(), &'static str> {
    if t.n_dims() < 2 {
        return Err("1-D tensor (only 2-D and 3-D weights are quantized)");
    }
    let name = t.name.as_str();
    // llama.cpp tests `name.rfind("weight") == name.size() - 6` on size_t, which also holds for
    // 5-character names (npos == 5 - 6 after wrap-around); reproduced for exactness.
    if !(name.ends_with("weight") || name.len() == 5) {
        return Err("name does not end in 'weight'");
    }
    if name.contains("_norm.weight") {
        return Err("normalization weight");
    }
    if opts.leave_output_tensor && name == "output.weight" {
        return Err("--leave-output-tensor");
    }
    if name.contains("ffn_gate_inp.weight") {
        return Err("expert gating tensor");
    }
    if name.contains("ffn_gate_tid2eid.weight") {
        return Err("token-to-expert routing table");
    }
    if name.contains("altup") || name.contains("laurel") {
        return Err("very small tensor (altup/laurel)");
    }
    if name.contains("per_layer_model_proj") {
        return Err("small projection (per_layer_model_proj)");
    }
    // LLM_TN(arch)(LLM_TENSOR_POS_EMBD / LLM_TENSOR_TOKEN_TYPES, "weight"): the same names for
    // every architecture (`LLM_TENSOR_NAMES` in `src/llama-arch.cpp`).
    if name == "position_embd.weight" {
        return Err("positional embeddings");
    }
    if name == "token_types.weight" {
        return Err("token type embeddings");
    }
    if name.contains("ssm_conv1d") || name.contains("shortconv.conv.weight") {
        return Err("small conv1d weight");
    }
    if name.contains("indexer.k_proj.weight") || name.contains("indexer.q_proj.weight") {
        return Err("tiny indexer projection");
    }
    if arch == "glm5-next" {
        const GLM5: &[&str] = &[
            "hc_",
            "indexer.attn_q_b",
            "indexer.attn_k",
            "indexer.proj",
            "indexer_compressor_gate",
            "indexer_compressor_ape",
            "ssm_f_a.weight",
            "ssm_f_b.weight",
            "ssm_g_a.weight",
            "ssm_g_b.weight",
            "ssm_beta.weight",
            "attn_kv_a_mqa.weight",
            "attn_k_b.weight",
            "attn_v_b.weight",
        ];
        if GLM5.iter().any(|p| name.contains(p)) {
            return Err("glm5-next tensor kept unquantized");
        }
    }
    const RWKV: &[&str] = &[
        "time_mix_first.weight",
        "time_mix_w0.weight",
        "time_mix_w1.weight",
        "time_mix_w2.weight",
        "time_mix_v0.weight",
        "time_mix_v1.weight",
        "time_mix_v2.weight",
        "time_mix_a0.weight",
        "time_mix_a1.weight",
        "time_mix_a2.weight",
        "time_mix_g1.weight",
        "time_mix_g2.weight",
        "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight",
        "time_mix_lerp_fused.weight",
    ];
    if RWKV.iter().any(|p| name.contains(p)) {
        return Err("small RWKV weight");
    }
    if name.contains("attn_rel_b.weight") {
        return Err("relative position bias");
    }
    const MULTIMODAL: &[&str] = &[
        ".position_embd",
        "sam.pos_embd",
        "sam.neck.",
        "sam.net_",
        ".rel_pos",
        ".patch_embd",
        ".patch_merger",
        "a.rvq.codebook",
        "mm.a.code_embd",
    ];
    if MULTIMODAL.iter().any(|p| name.contains(p)) {
        return Err("multimodal tensor kept unquantized");
    }
    Ok(())
}

/// The layer number of a `blk.N.` name the way `sscanf(name, "blk.%d.", &layer)` reads it:
/// `%d` skips white space and takes an optional sign; the trailing `.` need not match.
fn sscanf_layer(name: &str) -> Option<i64> {
    let rest = name.strip_prefix("blk.")?;
    let rest = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    // Saturate instead of overflowing on absurd numbers.
    let v: i64 = digits[..end].parse().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// `weight_name_comparer` of `src/llama-model-loader.h`: tensors without a layer (-1) first,
/// then by layer number, then by name (byte order). The output file has its tensors in this
/// order, and the mix rules count tensors in it.
pub fn llama_tensor_order(a: &str, b: &str) -> Ordering {
    let la = sscanf_layer(a).unwrap_or(-1);
    let lb = sscanf_layer(b).unwrap_or(-1);
    la.cmp(&lb).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// `use_more_bits` of `llama_tensor_get_type_impl`: the first and last eighth of the layers
/// and every third layer in between get more bits.
fn use_more_bits(i_layer: i64, n_layers: i64) -> bool {
    i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2
}

/// The counters of `quantize_state_impl`.
struct State<'a> {
    model: &'a ModelInfo,
    opts: &'a QuantOptions,
    patterns: Vec<(Regex, &'a TensorTypeOverride)>,
    n_attention_wv: i64,
    n_ffn_down: i64,
    n_ffn_gate: i64,
    n_ffn_up: i64,
    i_attention_wv: i64,
    i_ffn_down: i64,
    i_ffn_gate: i64,
    i_ffn_up: i64,
    has_tied_embeddings: bool,
}

impl State<'_> {
    /// `layer_info`: for MoE models the layer comes from the name, since expert tensors are not
    /// stored in layer order; otherwise it is the running counter.
    fn layer_info(&self, counter: i64, n_layer: i64, name: &str) -> Result<(i64, i64), PlanError> {
        if self.model.n_expert.max(1) > 1 {
            let layer = sscanf_layer(name).ok_or_else(|| PlanError::NoLayer(name.to_string()))?;
            if layer < 0 || layer >= n_layer {
                return Err(PlanError::BadLayer {
                    tensor: name.to_string(),
                    layer,
                    n_layer: self.model.n_layer,
                });
            }
            return Ok((layer, n_layer));
        }
        Ok((counter, n_layer))
    }

    /// `llama_tensor_get_type_impl` for the presets Bitsmith supports. Returns the type and the
    /// rule that changed it (`None`: the type passed in was kept). Branches only reachable with
    /// presets Bitsmith does not offer (IQ1/IQ2/IQ3 mixes, Q2_K_S, MXFP4_MOE) are left out.
    fn rules(
        &mut self,
        new_type: GgmlType,
        t: &TensorSpec,
        cat: Category,
    ) -> Result<(GgmlType, Option<Reason>), PlanError> {
        use GgmlType as T;
        use Preset as P;
        let ftype = self.opts.preset;
        let m = self.model;
        let name = t.name.as_str();
        let arch = m.arch.as_str();
        let falcon = arch == "falcon";
        let rule = |ty: GgmlType, rule: String| Ok((ty, Some(Reason::PresetRule { rule })));

        // glm5-next: these tensors are not quantized below Q8_0 (float targets excepted).
        if arch == "glm5-next"
            && (name.contains("attn_q_a")
                || name.contains("attn_q_b")
                || name.contains("nextn.eh_proj"))
            && !matches!(new_type, T::F32 | T::BF16 | T::F16)
        {
            return rule(T::Q8_0, "glm5-next: kept at Q8_0 or better".into());
        }

        // Tied embeddings share the output tensor, so token_embd follows the output rules.
        if cat == Category::Output || (self.has_tied_embeddings && cat == Category::TokenEmbd) {
            let what = if cat == Category::Output {
                "output"
            } else {
                "tied token_embd (output rules)"
            };
            if let Some(ty) = self.opts.output_tensor_type {
                return Ok((ty, Some(Reason::OutputTensorType)));
            }
            let nx = t.ncols();
            if falcon || !nx.is_multiple_of(new_type.block_size() as u64) {
                return rule(T::Q8_0, format!("{what}: Q8_0 (falcon or row length)"));
            }
            if new_type != T::Q8_0 {
                return rule(T::Q6_K, format!("{what}: Q6_K"));
            }
            return Ok((new_type, None));
        }

        if cat == Category::TokenEmbd {
            // An explicit --token-embedding-type returned earlier (llama_tensor_get_type).
            if matches!(ftype, P::TQ1_0 | P::TQ2_0) {
                return rule(T::Q4_K, "token_embd: Q4_K for ternary presets".into());
            }
            return Ok((new_type, None));
        }

        if is_attn_v(cat) {
            // Note: ATTENTION_QKV is attn_v-like, so llama.cpp's later `attn_qkv` branch is
            // unreachable; attn_qkv tensors follow these rules.
            let gqa = m.n_gqa();
            let i = self.i_attention_wv;
            let n = self.n_attention_wv;
            let mut ty = new_type;
            let mut why = None;
            match ftype {
                P::Q2_K => {
                    ty = if gqa >= 4 { T::Q4_K } else { T::Q3_K };
                    why = Some(format!("attn_v: Q2_K mix, n_gqa={gqa}"));
                }
                P::Q3_K_M => {
                    ty = if i < 2 { T::Q5_K } else { T::Q4_K };
                    why = Some(format!("attn_v: Q3_K_M mix, attn_v #{i}"));
                }
                P::Q3_K_L => {
                    ty = T::Q5_K;
                    why = Some("attn_v: Q3_K_L mix".into());
                }
                P::IQ4_NL | P::IQ4_XS if gqa >= 4 => {
                    ty = T::Q5_K;
                    why = Some(format!("attn_v: n_gqa={gqa} >= 4"));
                }
                P::Q4_K_M | P::Q5_K_M if use_more_bits(i, n) => {
                    ty = T::Q6_K;
                    why = Some(format!("attn_v: use_more_bits({i}, {n})"));
                }
                P::Q4_K_S if i < 4 => {
                    ty = T::Q5_K;
                    why = Some(format!("attn_v: Q4_K_S mix, attn_v #{i} < 4"));
                }
                _ => {}
            }
            if m.is_70b() && matches!(ty, T::Q3_K | T::Q4_K) {
                ty = T::Q5_K;
                why = Some("attn_v: 70B model (8 heads share attn_v)".into());
            }
            if m.n_expert == 8 {
                ty = T::Q8_0;
                why = Some("attn_v: 8-expert model".into());
            }
            self.i_attention_wv += 1;
            return Ok((ty, why.map(|rule| Reason::PresetRule { rule })));
        }

        match cat {
            Category::AttnK if m.n_expert == 8 => rule(T::Q8_0, "attn_k: 8-expert model".into()),
            Category::FfnDown => {
                let (i, n) = self.layer_info(self.i_ffn_down, self.n_ffn_down, name)?;
                let umb = use_more_bits(i, n);
                let out = match ftype {
                    P::Q2_K => Some((T::Q3_K, "ffn_down: Q2_K mix".to_string())),
                    P::Q3_K_M => {
                        let ty = if i < n / 16 {
                            T::Q5_K
                        } else if !falcon || umb {
                            T::Q4_K
                        } else {
                            T::Q3_K
                        };
                        Some((ty, format!("ffn_down: Q3_K_M mix, layer {i}/{n}")))
                    }
                    P::Q3_K_L => {
                        let ty = if falcon { T::Q4_K } else { T::Q5_K };
                        Some((ty, "ffn_down: Q3_K_L mix".to_string()))
                    }
                    P::Q4_K_M => {
                        if falcon {
                            let ty = if i < n / 16 {
                                T::Q6_K
                            } else if umb {
                                T::Q5_K
                            } else {
                                T::Q4_K
                            };
                            Some((ty, format!("ffn_down: falcon Q4_K_M mix, layer {i}/{n}")))
                        } else if umb {
                            Some((T::Q6_K, format!("ffn_down: use_more_bits({i}, {n})")))
                        } else {
                            None
                        }
                    }
                    P::IQ4_NL | P::IQ4_XS if i < n / 8 && !self.opts.has_imatrix => Some((
                        T::Q5_K,
                        format!("ffn_down: first eighth (layer {i}/{n}), no imatrix"),
                    )),
                    P::Q5_K_M if umb => {
                        Some((T::Q6_K, format!("ffn_down: use_more_bits({i}, {n})")))
                    }
                    P::Q4_K_S if !falcon && i < n / 8 => Some((
                        T::Q5_K,
                        format!("ffn_down: Q4_K_S mix, first eighth (layer {i}/{n})"),
                    )),
                    P::Q4_0 | P::Q5_0 if self.opts.has_imatrix && i < n / 8 => {
                        let ty = if ftype == P::Q4_0 { T::Q4_1 } else { T::Q5_1 };
                        Some((
                            ty,
                            format!("ffn_down: first eighth with imatrix (layer {i}/{n})"),
                        ))
                    }
                    _ => None,
                };
                self.i_ffn_down += 1;
                Ok(match out {
                    Some((ty, rule)) => (ty, Some(Reason::PresetRule { rule })),
                    None => (new_type, None),
                })
            }
            Category::AttnOutput => {
                let out = if !falcon {
                    if m.n_expert == 8 {
                        matches!(
                            ftype,
                            P::Q2_K
                                | P::Q3_K_S
                                | P::Q3_K_M
                                | P::IQ4_NL
                                | P::Q4_K_S
                                | P::Q4_K_M
                                | P::IQ4_XS
                        )
                        .then_some(T::Q5_K)
                    } else {
                        match ftype {
                            P::Q2_K => Some(T::Q3_K),
                            P::Q3_K_M => Some(T::Q4_K),
                            P::Q3_K_L => Some(T::Q5_K),
                            _ => None,
                        }
                    }
                } else {
                    (ftype == P::Q3_K_L).then_some(T::Q4_K)
                };
                match out {
                    Some(ty) => rule(ty, format!("attn_output: {ftype} mix")),
                    None => Ok((new_type, None)),
                }
            }
            Category::FfnGate => {
                // Only the IQ3_XS mix changes ffn_gate; the counter (and the layer check for
                // MoE models) still runs.
                self.layer_info(self.i_ffn_gate, self.n_ffn_gate, name)?;
                self.i_ffn_gate += 1;
                Ok((new_type, None))
            }
            Category::FfnUp => {
                self.layer_info(self.i_ffn_up, self.n_ffn_up, name)?;
                self.i_ffn_up += 1;
                Ok((new_type, None))
            }
            _ => Ok((new_type, None)),
        }
    }
}

/// `tensor_type_fallback`: the replacement when the row length is not a multiple of the block
/// size, or `None` when `ty` fits. `Err` for a 256-block type with no defined fallback.
fn shape_fallback(t: &TensorSpec, ty: GgmlType) -> Result<Option<GgmlType>, PlanError> {
    use GgmlType as T;
    let ncols = t.ncols();
    let block = ty.block_size() as u64;
    if ncols.is_multiple_of(block) {
        return Ok(None);
    }
    let mut out = match ty {
        T::IQ1_S
        | T::IQ1_M
        | T::IQ2_XXS
        | T::IQ2_XS
        | T::IQ2_S
        | T::IQ3_XXS
        | T::IQ3_S
        | T::IQ4_XS => T::IQ4_NL,
        T::Q2_K | T::Q3_K | T::TQ1_0 | T::TQ2_0 => T::Q4_0,
        T::Q4_K => T::Q5_0,
        T::Q5_K => T::Q5_1,
        T::Q6_K => T::Q8_0,
        // Already a 32-block type: nothing smaller to demote to; F16 below.
        other if block <= 32 => other,
        other => {
            return Err(PlanError::NoFallback {
                tensor: t.name.clone(),
                ty: other,
            });
        }
    };
    if !ncols.is_multiple_of(out.block_size() as u64) {
        // "must use F16 due to unusual shape": the row is not even a multiple of 32.
        out = T::F16;
    }
    Ok(Some(out))
}

/// Decides the output type of every tensor exactly as `llama_model_quantize` would for
/// `opts.preset`, in llama.cpp's output order.
pub fn plan_quantization(
    model: &ModelInfo,
    tensors: &[TensorSpec],
    opts: &QuantOptions,
) -> Result<QuantPlan, PlanError> {
    let mut seen = HashSet::new();
    for t in tensors {
        if !seen.insert(t.name.as_str()) {
            return Err(PlanError::DuplicateTensor(t.name.clone()));
        }
        if tensor_bytes(t.ty, &t.shape).is_none() {
            return Err(PlanError::BadShape {
                name: t.name.clone(),
                shape: t.shape.clone(),
                ty: t.ty,
            });
        }
    }

    let patterns = opts
        .overrides
        .iter()
        .map(|o| {
            Regex::new(&o.pattern)
                .map(|re| (re, o))
                .map_err(|e| PlanError::BadPattern {
                    pattern: o.pattern.clone(),
                    why: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by(|&a, &b| llama_tensor_order(&tensors[a].name, &tensors[b].name));

    // init_quantize_state_counters: every tensor counts, quantizable or not.
    let n_attention_wv = tensors
        .iter()
        .filter(|t| is_attn_v(category(&t.name)))
        .count() as i64;
    let has_output = tensors
        .iter()
        .any(|t| category(&t.name) == Category::Output);
    let n_layer = i64::from(model.n_layer);
    let mut st = State {
        model,
        opts,
        patterns,
        n_attention_wv,
        n_ffn_down: n_layer,
        n_ffn_gate: n_layer,
        n_ffn_up: n_layer,
        i_attention_wv: 0,
        i_ffn_down: 0,
        i_ffn_gate: 0,
        i_ffn_up: 0,
        has_tied_embeddings: !has_output,
    };

    let default_type = opts.preset.default_type();
    let mut warnings = Vec::new();
    let mut decisions = Vec::with_capacity(tensors.len());
    let mut n_fallback = 0;

    if !default_type.is_quantized() && (!opts.overrides.is_empty() || opts.pure) {
        warnings.push(PlanWarning {
            kind: WarningKind::IgnoredOption,
            tensor: String::new(),
            message: format!(
                "--tensor-type and --pure have no effect with the float preset {} (as in llama.cpp)",
                opts.preset
            ),
        });
    }

    for &idx in &order {
        let t = &tensors[idx];
        let cat = category(&t.name);
        let (target, reason, fallback) = match allows_quantization(opts, &model.arch, t) {
            Err(why) => (
                t.ty,
                Reason::NotQuantizable {
                    why: why.to_string(),
                },
                None,
            ),
            Ok(()) => decide(&mut st, t, cat, default_type)?,
        };
        if let Some(fb) = fallback {
            n_fallback += 1;
            let forced = if target == GgmlType::F16 {
                " (must use F16 due to unusual shape)"
            } else {
                ""
            };
            warnings.push(PlanWarning {
                kind: WarningKind::Fallback,
                tensor: t.name.clone(),
                message: format!(
                    "{}: ncols {} not divisible by {} (required for type {}){} -> falling back to {}",
                    t.name, fb.ncols, fb.block, fb.wanted, forced, target
                ),
            });
        }
        let converts = target != t.ty;
        if converts {
            if !quant::can_quantize(target) {
                return Err(PlanError::Unsupported {
                    tensor: t.name.clone(),
                    ty: target,
                });
            }
            if !quant::can_quantize(t.ty) {
                return Err(PlanError::CannotConvert {
                    tensor: t.name.clone(),
                    ty: t.ty,
                });
            }
            if t.ty.is_quantized() {
                warnings.push(PlanWarning {
                    kind: WarningKind::Requantize,
                    tensor: t.name.clone(),
                    message: format!(
                        "{}: requantizing from {} to {}: the source is already quantized, so \
                         its rounding error adds to the new one (llama.cpp needs \
                         --allow-requantize for this)",
                        t.name, t.ty, target
                    ),
                });
            }
        }
        let source_bytes = tensor_bytes(t.ty, &t.shape).unwrap_or(0);
        let output_bytes = if converts {
            tensor_bytes(target, &t.shape).ok_or_else(|| PlanError::BadShape {
                name: t.name.clone(),
                shape: t.shape.clone(),
                ty: target,
            })?
        } else {
            source_bytes
        };
        decisions.push(TensorDecision {
            name: t.name.clone(),
            shape: t.shape.clone(),
            source_index: idx,
            source_type: t.ty,
            target_type: target,
            reason,
            fallback,
            n_elements: t.n_elements(),
            source_bytes,
            output_bytes,
        });
    }

    let n_elements = decisions.iter().map(|d| d.n_elements).sum();
    let source_bytes = decisions.iter().map(|d| d.source_bytes).sum();
    let output_bytes = decisions.iter().map(|d| d.output_bytes).sum();
    Ok(QuantPlan {
        preset: opts.preset,
        ftype: opts.preset.ftype(),
        tensors: decisions,
        warnings,
        n_elements,
        source_bytes,
        output_bytes,
        source_bpw: bpw(source_bytes, n_elements),
        output_bpw: bpw(output_bytes, n_elements),
        n_fallback,
    })
}

/// `llama_tensor_get_type` for a quantizable tensor.
fn decide(
    st: &mut State<'_>,
    t: &TensorSpec,
    cat: Category,
    default_type: GgmlType,
) -> Result<(GgmlType, Reason, Option<Fallback>), PlanError> {
    let opts = st.opts;
    // Explicit embedding/output types win over everything. llama.cpp returns them without the
    // shape check (and would then abort on an incompatible row length); Bitsmith applies the
    // same fallback as for other tensors instead.
    let early = if let (Some(ty), Category::TokenEmbd) = (opts.token_embedding_type, cat) {
        // per_layer_token_embd follows --token-embedding-type unless a --tensor-type names it.
        let named = t.name == "per_layer_token_embd.weight"
            && st.patterns.iter().any(|(re, _)| re.is_match(&t.name));
        (!named).then_some((ty, Reason::TokenEmbeddingType))
    } else if let (Some(ty), Category::Output) = (opts.output_tensor_type, cat) {
        Some((ty, Reason::OutputTensorType))
    } else {
        None
    };
    if let Some((ty, reason)) = early {
        let fb = shape_fallback(t, ty)?;
        return Ok(with_fallback(t, ty, reason, fb));
    }

    if !default_type.is_quantized() {
        return Ok((default_type, Reason::FloatPreset, None));
    }

    let mut new_type = default_type;
    let mut reason = Reason::PresetDefault;
    let mut manual = false;
    if let Some((_, o)) = st.patterns.iter().find(|(re, _)| re.is_match(&t.name)) {
        new_type = o.ty;
        reason = Reason::Override {
            pattern: o.pattern.clone(),
        };
        manual = true;
    }
    if !manual {
        if opts.pure {
            reason = Reason::Pure;
        } else {
            let (ty, why) = st.rules(new_type, t, cat)?;
            new_type = ty;
            if let Some(why) = why {
                reason = why;
            }
        }
    }
    let fb = shape_fallback(t, new_type)?;
    Ok(with_fallback(t, new_type, reason, fb))
}

fn with_fallback(
    t: &TensorSpec,
    wanted: GgmlType,
    reason: Reason,
    fb: Option<GgmlType>,
) -> (GgmlType, Reason, Option<Fallback>) {
    match fb {
        None => (wanted, reason, None),
        Some(ty) => (
            ty,
            reason,
            Some(Fallback {
                wanted,
                ncols: t.ncols(),
                block: wanted.block_size(),
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GgmlType as T;

    fn spec(name: &str, shape: &[u64], ty: GgmlType) -> TensorSpec {
        TensorSpec {
            name: name.into(),
            shape: shape.to_vec(),
            ty,
        }
    }

    /// A llama-style model: `n_layer` blocks, row length `d`, FFN width `ff`.
    fn llama_like(n_layer: u32, d: u64, ff: u64, tied: bool) -> Vec<TensorSpec> {
        let mut v = vec![
            spec("token_embd.weight", &[d, 1000], T::F32),
            spec("output_norm.weight", &[d], T::F32),
        ];
        if !tied {
            v.push(spec("output.weight", &[d, 1000], T::F32));
        }
        for i in 0..n_layer {
            let p = |s: &str| format!("blk.{i}.{s}");
            v.push(spec(&p("attn_norm.weight"), &[d], T::F32));
            v.push(spec(&p("attn_q.weight"), &[d, d], T::F32));
            v.push(spec(&p("attn_k.weight"), &[d, d / 4], T::F32));
            v.push(spec(&p("attn_v.weight"), &[d, d / 4], T::F32));
            v.push(spec(&p("attn_output.weight"), &[d, d], T::F32));
            v.push(spec(&p("ffn_norm.weight"), &[d], T::F32));
            v.push(spec(&p("ffn_gate.weight"), &[d, ff], T::F32));
            v.push(spec(&p("ffn_up.weight"), &[d, ff], T::F32));
            v.push(spec(&p("ffn_down.weight"), &[ff, d], T::F32));
        }
        v
    }

    fn model(n_layer: u32, n_head: u32, n_head_kv: u32) -> ModelInfo {
        ModelInfo {
            arch: "llama".into(),
            n_layer,
            n_head,
            n_head_kv,
            n_expert: 0,
        }
    }

    fn ty_of(plan: &QuantPlan, name: &str) -> GgmlType {
        plan.tensors
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} not in plan"))
            .target_type
    }

    #[test]
    fn preset_names_ids_and_aliases() {
        assert_eq!(Preset::from_name("q4_k_m"), Some(Preset::Q4_K_M));
        assert_eq!(Preset::from_name("Q4_K"), Some(Preset::Q4_K_M));
        assert_eq!(Preset::from_name("q3_k"), Some(Preset::Q3_K_M));
        assert_eq!(Preset::from_name("Q5_K"), Some(Preset::Q5_K_M));
        assert_eq!(Preset::from_name("Q9"), None);
        // include/llama.h ids.
        assert_eq!(Preset::Q4_K_M.ftype(), 15);
        assert_eq!(Preset::Q8_0.ftype(), 7);
        assert_eq!(Preset::BF16.ftype(), 32);
        assert_eq!(Preset::TQ1_0.ftype(), 36);
        assert_eq!(Preset::all().count(), 21);
        for p in Preset::all() {
            assert_eq!(Preset::from_ftype(p.ftype()), Some(p));
            assert_eq!(Preset::from_name(p.name()), Some(p));
            assert!(quant::can_quantize(p.default_type()), "{p}");
        }
        let e = "Q9".parse::<Preset>().unwrap_err().to_string();
        assert!(e.contains("Q4_K_M"), "{e}");
    }

    #[test]
    fn order_matches_weight_name_comparer() {
        let mut names = vec![
            "blk.10.attn_q.weight",
            "blk.2.ffn_up.weight",
            "output.weight",
            "blk.2.attn_k.weight",
            "token_embd.weight",
            "blk.0.attn_v.weight",
            "output_norm.weight",
        ];
        names.sort_by(|a, b| llama_tensor_order(a, b));
        assert_eq!(
            names,
            vec![
                "output.weight",
                "output_norm.weight",
                "token_embd.weight",
                "blk.0.attn_v.weight",
                "blk.2.attn_k.weight",
                "blk.2.ffn_up.weight",
                "blk.10.attn_q.weight",
            ]
        );
        assert_eq!(sscanf_layer("blk. -3.x"), Some(-3));
        assert_eq!(sscanf_layer("blk.x"), None);
        assert_eq!(sscanf_layer("blk.7"), Some(7));
    }

    #[test]
    fn n_dims_ignores_trailing_ones() {
        assert_eq!(spec("a", &[4096, 1], T::F32).n_dims(), 1);
        assert_eq!(spec("a", &[4096, 1, 1, 1], T::F32).n_dims(), 1);
        assert_eq!(spec("a", &[1, 4096], T::F32).n_dims(), 2);
        assert_eq!(spec("a", &[64, 64, 8], T::F32).n_dims(), 3);
    }

    #[test]
    fn which_tensors_are_quantized() {
        let m = model(1, 8, 8);
        let ts = vec![
            spec("blk.0.attn_norm.weight", &[256, 256], T::F32), // 2-D norm: kept
            spec("blk.0.attn_q.bias", &[256, 256], T::F32),      // not *weight
            spec("blk.0.ffn_gate_inp.weight", &[256, 8], T::F32),
            spec("position_embd.weight", &[256, 256], T::F32),
            spec("token_types.weight", &[256, 2], T::F32),
            spec("blk.0.ssm_conv1d.weight", &[256, 4], T::F32),
            spec("blk.0.attn_q.weight", &[256, 1], T::F32), // 1-D in ggml's eyes
            spec("blk.0.attn_k.weight", &[256, 256], T::F32),
            spec("v.blk.0.attn_out.position_embd.weight", &[256, 256], T::F32),
        ];
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q8_0)).unwrap();
        for d in &plan.tensors {
            let want = if d.name == "blk.0.attn_k.weight" {
                T::Q8_0
            } else {
                T::F32
            };
            assert_eq!(d.target_type, want, "{}: {}", d.name, d.reason);
            if want == T::F32 {
                assert!(
                    matches!(d.reason, Reason::NotQuantizable { .. }),
                    "{}",
                    d.name
                );
            }
        }
    }

    #[test]
    fn q4_k_m_follows_use_more_bits_for_attn_v_and_ffn_down() {
        // 30 layers like SmolLM2-135M: use_more_bits(i, 30) is true for i < 3, i >= 26 and
        // (i - 3) % 3 == 2, i.e. 0,1,2,5,8,11,14,17,20,23,26,27,28,29.
        let m = model(30, 9, 3);
        let ts = llama_like(30, 256, 512, true);
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_K_M)).unwrap();
        let more: Vec<u32> = vec![0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29];
        for i in 0..30 {
            let want = if more.contains(&i) { T::Q6_K } else { T::Q4_K };
            assert_eq!(ty_of(&plan, &format!("blk.{i}.attn_v.weight")), want, "{i}");
            assert_eq!(
                ty_of(&plan, &format!("blk.{i}.ffn_down.weight")),
                want,
                "{i}"
            );
            assert_eq!(ty_of(&plan, &format!("blk.{i}.attn_q.weight")), T::Q4_K);
            assert_eq!(ty_of(&plan, &format!("blk.{i}.ffn_up.weight")), T::Q4_K);
            assert_eq!(ty_of(&plan, &format!("blk.{i}.attn_norm.weight")), T::F32);
        }
        // Tied embeddings: token_embd takes the output rule (Q6_K).
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::Q6_K);
        assert!(matches!(
            plan.tensors
                .iter()
                .find(|d| d.name == "token_embd.weight")
                .unwrap()
                .reason,
            Reason::PresetRule { .. }
        ));
    }

    #[test]
    fn untied_token_embd_keeps_default_output_gets_q6_k() {
        let m = model(4, 8, 8);
        let ts = llama_like(4, 256, 512, false);
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_0)).unwrap();
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::Q4_0);
        assert_eq!(ty_of(&plan, "output.weight"), T::Q6_K);
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q8_0)).unwrap();
        assert_eq!(ty_of(&plan, "output.weight"), T::Q8_0);
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::TQ1_0)).unwrap();
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "output.weight"), T::Q6_K);
        assert_eq!(ty_of(&plan, "blk.0.attn_q.weight"), T::TQ1_0);
    }

    #[test]
    fn q2_k_and_q3_k_mixes_depend_on_gqa_and_counters() {
        let ts = llama_like(8, 256, 512, false);
        // n_gqa = 3 < 4: attn_v Q3_K.
        let plan =
            plan_quantization(&model(8, 9, 3), &ts, &QuantOptions::new(Preset::Q2_K)).unwrap();
        assert_eq!(ty_of(&plan, "blk.3.attn_v.weight"), T::Q3_K);
        assert_eq!(ty_of(&plan, "blk.3.ffn_down.weight"), T::Q3_K);
        assert_eq!(ty_of(&plan, "blk.3.attn_output.weight"), T::Q3_K);
        assert_eq!(ty_of(&plan, "blk.3.attn_q.weight"), T::Q2_K);
        // n_gqa = 4: attn_v Q4_K.
        let plan =
            plan_quantization(&model(8, 8, 2), &ts, &QuantOptions::new(Preset::Q2_K)).unwrap();
        assert_eq!(ty_of(&plan, "blk.3.attn_v.weight"), T::Q4_K);

        let plan =
            plan_quantization(&model(8, 8, 2), &ts, &QuantOptions::new(Preset::Q3_K_M)).unwrap();
        // First two attn_v (counter order) Q5_K, then Q4_K.
        assert_eq!(ty_of(&plan, "blk.0.attn_v.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.1.attn_v.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.2.attn_v.weight"), T::Q4_K);
        // ffn_down: i < 8/16 = 0 never; non-falcon → Q4_K.
        assert_eq!(ty_of(&plan, "blk.0.ffn_down.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "blk.0.attn_output.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "blk.0.attn_k.weight"), T::Q3_K);

        let plan =
            plan_quantization(&model(8, 8, 2), &ts, &QuantOptions::new(Preset::Q4_K_S)).unwrap();
        for i in 0..8 {
            let v = if i < 4 { T::Q5_K } else { T::Q4_K };
            assert_eq!(ty_of(&plan, &format!("blk.{i}.attn_v.weight")), v);
            let d = if i < 1 { T::Q5_K } else { T::Q4_K };
            assert_eq!(ty_of(&plan, &format!("blk.{i}.ffn_down.weight")), d);
        }
    }

    #[test]
    fn layer_counters_follow_sorted_order_not_input_order() {
        let m = model(30, 9, 3);
        let mut ts = llama_like(30, 256, 512, true);
        ts.reverse();
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_K_M)).unwrap();
        assert_eq!(ty_of(&plan, "blk.5.attn_v.weight"), T::Q6_K);
        assert_eq!(ty_of(&plan, "blk.6.attn_v.weight"), T::Q4_K);
        assert_eq!(plan.tensors[0].name, "output_norm.weight");
        let src = &ts[plan.tensors[0].source_index];
        assert_eq!(src.name, plan.tensors[0].name);
    }

    #[test]
    fn shape_fallbacks_warn_and_pick_llama_cpp_types() {
        let m = model(1, 8, 8);
        // 576 = 18 * 32: not a multiple of 256; 100: not a multiple of 32.
        let ts = vec![
            spec("blk.0.attn_q.weight", &[576, 64], T::F32),
            spec("blk.0.attn_k.weight", &[100, 64], T::F32),
        ];
        let cases = [
            (Preset::Q4_K_S, T::Q5_0),
            (Preset::Q5_K_S, T::Q5_1),
            (Preset::Q6_K, T::Q8_0),
            (Preset::Q2_K, T::Q4_0),
            (Preset::Q3_K_S, T::Q4_0),
            (Preset::TQ2_0, T::Q4_0),
            (Preset::IQ4_XS, T::IQ4_NL),
        ];
        for (p, want) in cases {
            let plan = plan_quantization(&m, &ts, &QuantOptions::new(p)).unwrap();
            assert_eq!(ty_of(&plan, "blk.0.attn_q.weight"), want, "{p}");
            assert_eq!(ty_of(&plan, "blk.0.attn_k.weight"), T::F16, "{p}");
            assert_eq!(plan.n_fallback, 2);
            let w: Vec<_> = plan
                .warnings
                .iter()
                .filter(|w| w.kind == WarningKind::Fallback)
                .collect();
            assert_eq!(w.len(), 2);
            assert!(w[0].message.contains("falling back"), "{}", w[0].message);
            assert!(
                w.iter()
                    .any(|w| w.message.contains("must use F16 due to unusual shape")),
                "{w:?}"
            );
        }
        // 32-block types: 576 fits, 100 goes to F16.
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_0)).unwrap();
        assert_eq!(ty_of(&plan, "blk.0.attn_q.weight"), T::Q4_0);
        assert_eq!(ty_of(&plan, "blk.0.attn_k.weight"), T::F16);
        assert_eq!(plan.n_fallback, 1);
    }

    #[test]
    fn output_rule_uses_q8_0_when_row_does_not_fit() {
        let m = model(1, 8, 8);
        let ts = vec![spec("output.weight", &[576, 100], T::F32)];
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_K_M)).unwrap();
        assert_eq!(ty_of(&plan, "output.weight"), T::Q8_0);
        assert_eq!(plan.n_fallback, 0);
    }

    #[test]
    fn overrides_output_and_embedding_types() {
        let m = model(30, 9, 3);
        let ts = llama_like(30, 256, 512, true);
        let mut o = QuantOptions::new(Preset::Q4_K_M);
        o.overrides = vec![
            "ATTN_V=q8_0".parse().unwrap(), // pattern lower-cased like quantize.cpp
            r"blk\.1\.ffn_.*=Q5_K".parse().unwrap(),
        ];
        o.token_embedding_type = Some(T::Q8_0);
        let plan = plan_quantization(&m, &ts, &o).unwrap();
        assert_eq!(ty_of(&plan, "blk.6.attn_v.weight"), T::Q8_0);
        assert_eq!(ty_of(&plan, "blk.1.ffn_up.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.1.ffn_down.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::Q8_0);
        let d = plan
            .tensors
            .iter()
            .find(|d| d.name == "blk.1.ffn_down.weight")
            .unwrap();
        assert_eq!(
            d.reason,
            Reason::Override {
                pattern: r"blk\.1\.ffn_.*".into()
            }
        );
        // A manual override skips the rule, so it does not advance the ffn_down counter:
        // blk.2 is then counted as layer 1 (use_more_bits(1, 30) = true), blk.3 as 2 (true),
        // blk.4 as 3 (false), blk.6 as 5 (true) — one step behind the unmodified plan.
        assert_eq!(ty_of(&plan, "blk.4.ffn_down.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "blk.6.ffn_down.weight"), T::Q6_K);
        assert_eq!(ty_of(&plan, "blk.5.ffn_down.weight"), T::Q4_K);

        // Tied model + --output-tensor-type: token_embd takes it through the output rule.
        let mut o = QuantOptions::new(Preset::Q4_K_M);
        o.output_tensor_type = Some(T::Q8_0);
        let plan = plan_quantization(&m, &ts, &o).unwrap();
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::Q8_0);
        let te = plan
            .tensors
            .iter()
            .find(|d| d.name == "token_embd.weight")
            .unwrap();
        assert_eq!(te.reason, Reason::OutputTensorType);

        assert!(matches!(
            "nonsense".parse::<TensorTypeOverride>(),
            Err(PlanError::BadOverride { .. })
        ));
        assert!(matches!(
            "a=Q9_9".parse::<TensorTypeOverride>(),
            Err(PlanError::UnknownType(_))
        ));
        let mut o = QuantOptions::new(Preset::Q4_0);
        o.overrides = vec!["(=q8_0".parse().unwrap()];
        assert!(matches!(
            plan_quantization(&m, &ts, &o),
            Err(PlanError::BadPattern { .. })
        ));
    }

    #[test]
    fn pure_uses_default_everywhere_float_presets_ignore_overrides() {
        let m = model(30, 9, 3);
        let ts = llama_like(30, 256, 512, true);
        let mut o = QuantOptions::new(Preset::Q4_K_M);
        o.pure = true;
        let plan = plan_quantization(&m, &ts, &o).unwrap();
        for d in &plan.tensors {
            if d.shape.len() > 1 {
                assert_eq!(d.target_type, T::Q4_K, "{}", d.name);
            }
        }
        let mut o = QuantOptions::new(Preset::F16);
        o.overrides = vec!["attn_v=q8_0".parse().unwrap()];
        let plan = plan_quantization(&m, &ts, &o).unwrap();
        assert_eq!(ty_of(&plan, "blk.0.attn_v.weight"), T::F16);
        assert_eq!(ty_of(&plan, "token_embd.weight"), T::F16);
        assert_eq!(ty_of(&plan, "blk.0.attn_norm.weight"), T::F32);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.kind == WarningKind::IgnoredOption)
        );
    }

    #[test]
    fn requantize_warns_and_same_type_is_a_copy() {
        let m = model(1, 8, 8);
        let ts = vec![
            spec("blk.0.attn_q.weight", &[256, 4], T::Q4_1),
            spec("blk.0.attn_k.weight", &[256, 4], T::Q8_0),
        ];
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_1)).unwrap();
        let q = plan
            .tensors
            .iter()
            .find(|d| d.name.contains("attn_q"))
            .unwrap();
        assert!(!q.converts());
        assert_eq!(q.output_bytes, q.source_bytes);
        let w: Vec<_> = plan
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::Requantize)
            .collect();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].tensor, "blk.0.attn_k.weight");
        assert!(w[0].message.contains("requantizing from Q8_0 to Q4_1"));
    }

    #[test]
    fn sizes_and_bpw() {
        let m = model(1, 8, 8);
        let ts = vec![
            spec("blk.0.attn_q.weight", &[256, 4], T::F32),
            spec("blk.0.attn_norm.weight", &[256], T::F32),
        ];
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q8_0)).unwrap();
        assert_eq!(plan.n_elements, 1280);
        assert_eq!(plan.source_bytes, 1280 * 4);
        assert_eq!(plan.output_bytes, 4 * 8 * 34 + 256 * 4);
        assert!((plan.output_bpw - (4.0 * 8.0 * 34.0 + 1024.0) * 8.0 / 1280.0).abs() < 1e-12);
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["tensors"][0]["reason"]["kind"], "not_quantizable");
        assert_eq!(json["preset"], "Q8_0");
    }

    #[test]
    fn moe_layers_come_from_names_and_8_experts_bump_attn() {
        let mut m = model(4, 8, 8);
        m.n_expert = 8;
        let ts = vec![
            spec("blk.3.ffn_down_exps.weight", &[256, 256, 8], T::F32),
            spec("blk.0.attn_v.weight", &[256, 64], T::F32),
            spec("blk.0.attn_k.weight", &[256, 64], T::F32),
            spec("blk.0.attn_output.weight", &[256, 256], T::F32),
        ];
        let plan = plan_quantization(&m, &ts, &QuantOptions::new(Preset::Q4_K_M)).unwrap();
        // use_more_bits(3, 4): 3 >= 7*4/8 = 3 → Q6_K.
        assert_eq!(ty_of(&plan, "blk.3.ffn_down_exps.weight"), T::Q6_K);
        assert_eq!(ty_of(&plan, "blk.0.attn_v.weight"), T::Q8_0);
        assert_eq!(ty_of(&plan, "blk.0.attn_k.weight"), T::Q8_0);
        assert_eq!(ty_of(&plan, "blk.0.attn_output.weight"), T::Q5_K);
        let bad = vec![spec("blk.9.ffn_down_exps.weight", &[256, 256, 8], T::F32)];
        assert!(matches!(
            plan_quantization(&m, &bad, &QuantOptions::new(Preset::Q4_K_M)),
            Err(PlanError::BadLayer { layer: 9, .. })
        ));
    }

    #[test]
    fn seventy_b_and_falcon_rules() {
        let ts = llama_like(80, 256, 512, false);
        let plan =
            plan_quantization(&model(80, 64, 8), &ts, &QuantOptions::new(Preset::Q3_K_S)).unwrap();
        // Q3_K_S has no attn_v rule → Q3_K, bumped to Q5_K on a 70B model.
        assert_eq!(ty_of(&plan, "blk.0.attn_v.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.40.attn_v.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.40.attn_q.weight"), T::Q3_K);
        // The same model with n_head == n_head_kv is "65B": no bump.
        let plan =
            plan_quantization(&model(80, 64, 64), &ts, &QuantOptions::new(Preset::Q3_K_S)).unwrap();
        assert_eq!(ty_of(&plan, "blk.40.attn_v.weight"), T::Q3_K);
        let mut falcon = model(4, 8, 8);
        falcon.arch = "falcon".into();
        let ts = llama_like(4, 256, 512, false);
        let plan = plan_quantization(&falcon, &ts, &QuantOptions::new(Preset::Q4_K_M)).unwrap();
        assert_eq!(ty_of(&plan, "output.weight"), T::Q8_0);
        // falcon Q4_K_M ffn_down: i < 4/16 = 0 never; use_more_bits(i, 4) for i = 2 ((2-0)%3
        // == 2) and i = 3 (>= 7*4/8) → Q5_K, else Q4_K.
        assert_eq!(ty_of(&plan, "blk.0.ffn_down.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "blk.1.ffn_down.weight"), T::Q4_K);
        assert_eq!(ty_of(&plan, "blk.2.ffn_down.weight"), T::Q5_K);
        assert_eq!(ty_of(&plan, "blk.3.ffn_down.weight"), T::Q5_K);
    }

    #[test]
    fn model_info_from_metadata() {
        let md = vec![
            (
                "general.architecture".to_string(),
                GgufValue::String("llama".into()),
            ),
            ("llama.block_count".to_string(), GgufValue::U32(30)),
            (
                "llama.attention.head_count".to_string(),
                GgufValue::Array(GgufArray::I32(vec![9, 9])),
            ),
            (
                "llama.attention.head_count_kv".to_string(),
                GgufValue::U32(3),
            ),
        ];
        let m = ModelInfo::from_metadata(&md, []);
        assert_eq!(m, model(30, 9, 3));
        assert_eq!(m.n_gqa(), 3);
        // No block_count: from names; no head_count_kv: = head_count.
        let md = vec![
            (
                "general.architecture".to_string(),
                GgufValue::String("qwen2".into()),
            ),
            ("qwen2.attention.head_count".to_string(), GgufValue::U32(8)),
        ];
        let m =
            ModelInfo::from_metadata(&md, ["blk.0.x.weight", "blk.11.y.weight", "output.weight"]);
        assert_eq!(
            (m.n_layer, m.n_head, m.n_head_kv, m.n_expert),
            (12, 8, 8, 0)
        );
    }

    #[test]
    fn duplicate_and_bad_shapes_are_errors() {
        let m = model(1, 8, 8);
        let dup = vec![
            spec("a.weight", &[32, 2], T::F32),
            spec("a.weight", &[32, 2], T::F32),
        ];
        assert!(matches!(
            plan_quantization(&m, &dup, &QuantOptions::new(Preset::Q8_0)),
            Err(PlanError::DuplicateTensor(_))
        ));
        let bad = vec![spec("a.weight", &[33, 2], T::Q8_0)];
        assert!(matches!(
            plan_quantization(&m, &bad, &QuantOptions::new(Preset::Q8_0)),
            Err(PlanError::BadShape { .. })
        ));
    }
}
