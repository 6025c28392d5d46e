//! Hugging Face model folders (config.json, tokenizer files, safetensors weights) → the engine's
//! [`ModelDesc`], with the GGUF names, metadata and data llama.cpp's `convert_hf_to_gguf.py`
//! writes for the Llama family (`LlamaForCausalLM`, `MistralForCausalLM` → `llama`;
//! `Qwen2ForCausalLM` → `qwen2`).
//!
//! What is followed, and where (llama.cpp's `convert_hf_to_gguf.py` and `conversion/`):
//! * tensor order: safetensors parts in name order (from `model.safetensors.index.json` when
//!   present), each part's tensors in name order (`ModelBase.index_tensors`, gguf-py's
//!   `SafetensorsLocal`);
//! * names: gguf-py's `TensorNameMap` entries for these architectures (`model.layers.N.self_attn.
//!   q_proj.weight` → `blk.N.attn_q.weight`, …); rotary `inv_freq` buffers are dropped
//!   (`prepare_tensors`);
//! * data: llama's q_proj/k_proj rows permuted (`LlamaModel.permute`), not qwen2's; 1-D tensors,
//!   norms and non-`.weight` tensors F32, the rest in the output type, which by default is the
//!   first 16-bit float type found among the ≥2-D tensors, else F16 (`ModelBase.__init__`);
//! * metadata: `general.*`, `TextModel.set_gguf_parameters`, `LlamaModel.set_gguf_parameters`,
//!   `general.quantization_version`, then the vocabulary ([`vocab`]), in that order.
//!
//! Deviations, all reported in [`HfModel::warnings`] when they apply: general metadata other than
//! `general.name` and `general.size_label` (the converter also mines README model cards and the
//! folder name); a `tokenizer.model` SentencePiece file is not read (the converter prefers it;
//! here tokenizer.json is used); with `tie_word_embeddings` a stored `lm_head.weight` is dropped
//! (the converter keeps it; the weights are identical). Not supported (an error): rope types
//! other than none/linear/llama3 (llama3's factors become the generated `rope_freqs.weight`
//! tensor, as the converter makes it), mixture-of-experts, other architectures.

mod vocab;

use crate::GgmlType;
use crate::gguf::{GgufError, GgufValue};
use crate::model::{HParams, ModelDesc, SourceFormat, TensorDesc, TensorSource};
use crate::safetensors::{SafeDtype, SafetensorsError, SafetensorsFile};
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a folder could not be mapped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HfError {
    #[error("missing file {0}")]
    MissingFile(&'static str),
    #[error("{file} is not valid JSON: {msg}")]
    Json { file: &'static str, msg: String },
    #[error("config.json: {0}")]
    Config(String),
    #[error(
        "unsupported architecture {0:?} (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)"
    )]
    UnsupportedArchitecture(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("cannot name the pre-tokenizer ({0}); pass HfOptions::pre_tokenizer")]
    PreTokenizer(String),
    #[error("{file}: {source}")]
    Safetensors {
        file: String,
        source: SafetensorsError,
    },
    #[error("no safetensors weights (model*.safetensors) given")]
    NoWeights,
    #[error("model.safetensors.index.json and the weight files disagree: {0}")]
    IndexMismatch(String),
    #[error("can not map tensor {0:?}")]
    UnmappedTensor(String),
    #[error("tensor {name:?} has dtype {dtype}, which is not a float type")]
    Dtype { name: String, dtype: SafeDtype },
    #[error("tensor {name:?}: {reason}")]
    Shape { name: String, reason: String },
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

/// The float type of the converted 2-D weights (`--outtype`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutType {
    /// The first 16-bit float type among the weights, else F16 (the converter's `auto`).
    #[default]
    Auto,
    F32,
    F16,
    BF16,
}

/// Choices a caller can make.
#[derive(Clone, Debug, Default)]
pub struct HfOptions {
    /// `general.name` (the converter's `--model-name`); defaults to "model".
    pub name: Option<String>,
    pub out_type: OutType,
    /// Force `tokenizer.ggml.pre` for byte-level vocabularies instead of recognising it.
    pub pre_tokenizer: Option<String>,
}

/// The small files of a folder, as text, and the parsed header of each safetensors file.
#[derive(Clone, Debug, Default)]
pub struct HfParts<'a> {
    pub config_json: &'a str,
    pub tokenizer_json: Option<&'a str>,
    pub tokenizer_config_json: Option<&'a str>,
    pub chat_template_jinja: Option<&'a str>,
    pub chat_template_json: Option<&'a str>,
    pub index_json: Option<&'a str>,
    /// Whether the folder has a SentencePiece `tokenizer.model` (only used for a warning).
    pub has_tokenizer_model: bool,
    /// Every safetensors file: (file name, header).
    pub safetensors: Vec<(String, SafetensorsFile)>,
}

/// A mapped model and notes on where it may differ from llama.cpp's converter.
#[derive(Clone, Debug, PartialEq)]
pub struct HfModel {
    pub model: ModelDesc,
    pub warnings: Vec<String>,
}

/// Ordered GGUF metadata with gguf-py's `add_key_value` semantics: setting an existing key
/// replaces its value in place.
#[derive(Default)]
pub(crate) struct Metadata(Vec<(String, GgufValue)>);

impl Metadata {
    pub(crate) fn set(&mut self, key: &str, v: GgufValue) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = v,
            None => self.0.push((key.to_owned(), v)),
        }
    }
}

fn json(file: &'static str, text: &str) -> Result<Value, HfError> {
    serde_json::from_str(text).map_err(|e| HfError::Json {
        file,
        msg: e.to_string(),
    })
}

/// The config.json view the converter has: `find_hparam` takes the first key present.
struct Config<'a>(&'a Value);

impl Config<'_> {
    fn find(&self, keys: &[&str]) -> Option<&Value> {
        keys.iter().find_map(|k| self.0.get(*k))
    }
    fn find_u32(&self, keys: &[&str]) -> Result<Option<u32>, HfError> {
        match self.find(keys) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| {
                    HfError::Config(format!("{} must be an unsigned integer, got {v}", keys[0]))
                }),
        }
    }
    fn find_f32(&self, keys: &[&str]) -> Result<Option<f32>, HfError> {
        match self.find(keys) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(|x| Some(x as f32))
                .ok_or_else(|| HfError::Config(format!("{} must be a number, got {v}", keys[0]))),
        }
    }
}

const BLOCK_COUNT: &[&str] = &["n_layers", "num_hidden_layers", "n_layer", "num_layers"];
const CONTEXT: &[&str] = &[
    "max_position_embeddings",
    "n_ctx",
    "n_positions",
    "max_length",
    "max_sequence_length",
    "model_max_length",
];
const EMBD: &[&str] = &["hidden_size", "n_embd", "dim"];
const FF: &[&str] = &[
    "prefix_dense_intermediate_size",
    "dense_intermediate_size",
    "intermediate_size",
    "n_inner",
    "hidden_dim",
];
const HEADS: &[&str] = &["num_attention_heads", "n_head", "n_heads"];
const HEADS_KV: &[&str] = &["num_key_value_heads", "n_kv_heads"];
const ROPE_THETA: &[&str] = &[
    "global_rope_theta",
    "rope_global_theta",
    "rope_theta_global",
    "rope_theta",
    "rotary_emb_base",
];
const RMS_EPS: &[&str] = &["rms_norm_eps", "norm_eps"];
const LN_EPS: &[&str] = &["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"];

/// gguf-py's `model_weight_count_rounded_notation(n, min_digits=2)` (`gguf/utility.py`).
pub fn size_label(n_params: u64) -> String {
    let x = n_params as f64;
    let (scaled, suffix) = if x > 1e12 {
        (x * 1e-12, "T")
    } else if x > 1e9 {
        (x * 1e-9, "B")
    } else if x > 1e6 {
        (x * 1e-6, "M")
    } else {
        (x * 1e-3, "K")
    };
    // Python: max(min_digits - len(str(round(scaled)).lstrip('0')), 0); round() is half-even.
    let int_digits = format!("{}", scaled.round_ties_even() as u64)
        .trim_start_matches('0')
        .len();
    let fix = 2usize.saturating_sub(int_digits);
    format!("{scaled:.fix$}{suffix}")
}

/// Maps a Llama-family HF tensor name to its GGUF name (gguf-py `TensorNameMap` for
/// `MODEL_ARCH.LLAMA` / `QWEN2`); `None` for names these architectures do not have.
fn map_tensor_name(name: &str, n_block: u32) -> Option<String> {
    let (stem, suffix) = match name.strip_suffix(".weight") {
        Some(s) => (s, "weight"),
        None => (name.strip_suffix(".bias")?, "bias"),
    };
    let fixed = match stem {
        "model.embed_tokens" => Some("token_embd"),
        "model.norm" => Some("output_norm"),
        "lm_head" => Some("output"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(format!("{f}.{suffix}"));
    }
    let rest = stem.strip_prefix("model.layers.")?;
    let (bid, part) = rest.split_once('.')?;
    if bid.is_empty() || !bid.bytes().all(|b| b.is_ascii_digit()) || bid.len() > 9 {
        return None;
    }
    let bid: u32 = bid.parse().ok()?;
    if bid >= n_block {
        return None;
    }
    let g = match part {
        "input_layernorm" => "attn_norm",
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "post_attention_layernorm" => "ffn_norm",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        _ => return None,
    };
    Some(format!("blk.{bid}.{g}.{suffix}"))
}

/// The rope scaling parameters in config.json (`rope_parameters`, else `rope_scaling`), with
/// `full_attention` taking precedence (TextModel.__init__).
fn rope_params(config: &Value) -> Value {
    let rope = config
        .get("rope_parameters")
        .or_else(|| config.get("rope_scaling"))
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    rope.get("full_attention").cloned().unwrap_or(rope)
}

/// Llama 3.1+ RoPE frequency factors (`LlamaModel.generate_extra_tensors`), `None` unless the
/// rope type is `llama3`: the data of the `rope_freqs.weight` F32 tensor the converter puts
/// first ([`TensorSource::Generated`]). Computed in f32 step by step as the converter's torch
/// code does:
/// `freqs = 1 / base^(arange(0, dim, 2) / dim)`, then per frequency a factor of 1 (short
/// wavelengths), `factor` (long ones) or a smooth blend in between.
pub fn llama3_rope_factors(config: &Value, n_head: u32) -> Result<Option<Vec<f32>>, HfError> {
    let rope = rope_params(config);
    let is_llama3 = rope
        .get("rope_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("llama3"));
    if !is_llama3 {
        return Ok(None);
    }
    let num = |k: &str, default: f64| rope.get(k).and_then(Value::as_f64).unwrap_or(default);
    // rope_theta: TextModel.__init__ mirrors the config's rope_theta into rope_parameters.
    let base = rope
        .get("rope_theta")
        .and_then(Value::as_f64)
        .or_else(|| Config(config).find(ROPE_THETA).and_then(Value::as_f64))
        .unwrap_or(10000.0);
    let dim = match config.get("head_dim").and_then(Value::as_u64) {
        Some(d) => d,
        None => {
            let h = config
                .get("hidden_size")
                .and_then(Value::as_u64)
                .ok_or_else(|| HfError::Config("could not find hidden_size".into()))?;
            h / u64::from(n_head.max(1))
        }
    };
    if dim == 0 || dim > 1 << 16 {
        return Err(HfError::Config(format!("implausible head dimension {dim}")));
    }
    let factor = num("factor", 8.0);
    let low = num("low_freq_factor", 1.0);
    let high = num("high_freq_factor", 4.0);
    let old = num("original_max_position_embeddings", 8192.0);
    // Python scalars meet f32 tensors: each is rounded to f32 where it enters the arithmetic.
    let low_wavelen = (old / low) as f32;
    let high_wavelen = (old / high) as f32;
    let (base32, dim32) = (base as f32, dim as f32);
    let two_pi = (2.0 * std::f64::consts::PI) as f32;
    Ok(Some(
        (0..dim)
            .step_by(2)
            .map(|i| {
                let exponent = i as f32 / dim32;
                let freq = 1.0f32 / (f64::from(base32).powf(f64::from(exponent)) as f32);
                let wavelen = two_pi / freq;
                if wavelen < high_wavelen {
                    1.0
                } else if wavelen > low_wavelen {
                    factor as f32
                } else {
                    let smooth = (old as f32 / wavelen - low as f32) / ((high - low) as f32);
                    1.0 / ((1.0 - smooth) / factor as f32 + smooth)
                }
            })
            .collect(),
    ))
}

/// Maps a folder given as its parts. See the [module docs](self).
pub fn model_from_parts(parts: &HfParts<'_>, opts: &HfOptions) -> Result<HfModel, HfError> {
    let mut warnings = Vec::new();
    let config = json("config.json", parts.config_json)?;
    let cfg = Config(&config);
    let hf_arch = config
        .pointer("/architectures/0")
        .and_then(Value::as_str)
        .ok_or_else(|| HfError::Config("no architectures[0]".into()))?;
    let (arch, undo_permute) = match hf_arch {
        "LlamaForCausalLM" | "MistralForCausalLM" => ("llama", true),
        "Qwen2ForCausalLM" => ("qwen2", false),
        other => return Err(HfError::UnsupportedArchitecture(other.to_owned())),
    };
    if cfg
        .find(&["num_local_experts", "num_experts", "n_routed_experts"])
        .is_some()
    {
        return Err(HfError::Unsupported("mixture-of-experts models".into()));
    }
    let n_block = cfg
        .find_u32(BLOCK_COUNT)?
        .ok_or_else(|| HfError::Config("could not find num_hidden_layers".into()))?;
    let n_head = cfg
        .find_u32(HEADS)?
        .ok_or_else(|| HfError::Config("could not find num_attention_heads".into()))?;
    let n_head_kv = cfg.find_u32(HEADS_KV)?;
    let tied = config
        .get("tie_word_embeddings")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    // ---- tensors ----
    let index = parts
        .index_json
        .map(|t| json("model.safetensors.index.json", t))
        .transpose()?;
    let by_name: BTreeMap<&str, &SafetensorsFile> = parts
        .safetensors
        .iter()
        .map(|(n, f)| (n.as_str(), f))
        .collect();
    let part_names: Vec<&str> = match &index {
        Some(ix) => {
            let wm = ix
                .get("weight_map")
                .and_then(Value::as_object)
                .ok_or_else(|| HfError::IndexMismatch("no weight_map".into()))?;
            let mut names: Vec<&str> = wm.values().filter_map(Value::as_str).collect();
            names.sort_unstable();
            names.dedup();
            for n in &names {
                if !by_name.contains_key(n) {
                    return Err(HfError::IndexMismatch(format!("missing weight file {n}")));
                }
            }
            let listed: std::collections::BTreeSet<&str> = wm.keys().map(String::as_str).collect();
            let present: std::collections::BTreeSet<&str> = names
                .iter()
                .flat_map(|n| by_name[n].tensors.iter().map(|t| t.name.as_str()))
                .collect();
            if listed != present {
                let missing: Vec<_> = listed.difference(&present).take(5).collect();
                let extra: Vec<_> = present.difference(&listed).take(5).collect();
                return Err(HfError::IndexMismatch(format!(
                    "missing tensors {missing:?}, extra tensors {extra:?}"
                )));
            }
            names
        }
        None => by_name
            .keys()
            .copied()
            .filter(|n| n.starts_with("model") && n.ends_with(".safetensors"))
            .collect(),
    };
    if part_names.is_empty() {
        return Err(HfError::NoWeights);
    }
    let all: Vec<(&str, &crate::safetensors::SafeTensorInfo)> = part_names
        .iter()
        .flat_map(|p| by_name[p].tensors.iter().map(move |t| (*p, t)))
        .collect();

    let out_type = match opts.out_type {
        OutType::F32 => GgmlType::F32,
        OutType::F16 => GgmlType::F16,
        OutType::BF16 => GgmlType::BF16,
        OutType::Auto => all
            .iter()
            .filter(|(_, t)| t.shape.len() >= 2)
            .find_map(|(_, t)| match t.dtype {
                SafeDtype::BF16 => Some(GgmlType::BF16),
                SafeDtype::F16 => Some(GgmlType::F16),
                _ => None,
            })
            .unwrap_or(GgmlType::F16),
    };
    // llama_ftype values (ALL_F32, MOSTLY_F16, MOSTLY_BF16 in gguf-py's LlamaFileType).
    let file_type: u32 = match out_type {
        GgmlType::F32 => 0,
        GgmlType::BF16 => 32,
        _ => 1,
    };

    let mut tensors = Vec::new();
    // Llama 3.1+ rope: the converter's generated tensors come before the file's
    // (`ModelBase.prepare_tensors` chains `generate_extra_tensors()` first).
    if let Some(factors) = llama3_rope_factors(&config, n_head)? {
        tensors.push(TensorDesc {
            name: "rope_freqs.weight".into(),
            dims: vec![factors.len() as u64],
            ggml_type: GgmlType::F32,
            source: TensorSource::Generated {
                data: factors.iter().flat_map(|f| f.to_le_bytes()).collect(),
            },
        });
    }
    for (file, t) in &all {
        // ModelBase/LlamaModel.filter_tensors prefix rewrites.
        let mut renamed = t.name.replace("language_model.", "");
        if arch == "llama" {
            renamed = renamed.replace("text_model.", "");
        }
        let name = renamed.as_str();
        if name.ends_with(".attention.masked_bias")
            || name.ends_with(".attention.bias")
            || name.ends_with(".rotary_emb.inv_freq")
        {
            continue;
        }
        let gguf_name = map_tensor_name(name, n_block)
            .ok_or_else(|| HfError::UnmappedTensor(t.name.clone()))?;
        if gguf_name == "output.weight" && tied {
            warnings.push(
                "lm_head.weight dropped: tie_word_embeddings is set (llama.cpp's converter would keep it)"
                    .into(),
            );
            continue;
        }
        if !t.dtype.is_float() {
            return Err(HfError::Dtype {
                name: t.name.clone(),
                dtype: t.dtype,
            });
        }
        if t.shape.len() > 2 {
            return Err(HfError::Shape {
                name: t.name.clone(),
                reason: format!(
                    "{}-D weights are not expected in this architecture",
                    t.shape.len()
                ),
            });
        }
        let permute_heads = if !undo_permute {
            None
        } else if name.ends_with("q_proj.weight") || name.ends_with("q_proj.bias") {
            Some(n_head)
        } else if name.ends_with("k_proj.weight") || name.ends_with("k_proj.bias") {
            // LlamaModel.permute: the kv head count when it differs.
            Some(n_head_kv.unwrap_or(n_head))
        } else {
            None
        };
        if let Some(h) = permute_heads {
            let rows = t.shape[0];
            if h == 0 || rows % (2 * u64::from(h)) != 0 {
                return Err(HfError::Shape {
                    name: t.name.clone(),
                    reason: format!("{rows} rows do not split into {h} heads of rotary pairs"),
                });
            }
        }
        let ggml_type = if t.shape.len() <= 1
            || gguf_name.ends_with("_norm.weight")
            || !gguf_name.ends_with(".weight")
        {
            GgmlType::F32
        } else {
            out_type
        };
        tensors.push(TensorDesc {
            name: gguf_name,
            dims: t.shape.iter().rev().copied().collect(),
            ggml_type,
            source: TensorSource::Safetensors {
                file: (*file).to_owned(),
                range: t.file_range(),
                dtype: t.dtype,
                permute_heads,
            },
        });
    }
    {
        let mut seen = std::collections::HashSet::new();
        for t in &tensors {
            if !seen.insert(t.name.as_str()) {
                return Err(GgufError::DuplicateTensor(t.name.clone()).into());
            }
        }
    }

    // ---- metadata ----
    let mut md = Metadata::default();
    md.set("general.architecture", arch.into());
    md.set("general.type", "model".into());
    md.set(
        "general.name",
        opts.name.clone().unwrap_or_else(|| "model".into()).into(),
    );
    let n_params: u64 = tensors.iter().map(TensorDesc::n_elements).sum();
    if n_params > 0 {
        md.set("general.size_label", size_label(n_params).into());
    }
    warnings.push(
        "general.* metadata other than name and size_label is not derived (the converter also reads model cards)"
            .into(),
    );
    let k = |s: &str| format!("{arch}.{s}");
    md.set(&k("block_count"), GgufValue::U32(n_block));
    if let Some(v) = cfg.find_u32(CONTEXT)? {
        md.set(&k("context_length"), GgufValue::U32(v));
    }
    let n_embd = cfg.find_u32(EMBD)?;
    if let Some(v) = n_embd {
        md.set(&k("embedding_length"), GgufValue::U32(v));
    }
    if let Some(v) = cfg.find_u32(FF)? {
        md.set(&k("feed_forward_length"), GgufValue::U32(v));
    }
    md.set(&k("attention.head_count"), GgufValue::U32(n_head));
    if let Some(v) = n_head_kv {
        md.set(&k("attention.head_count_kv"), GgufValue::U32(v));
    }
    if config.get("is_causal") == Some(&Value::Bool(false)) {
        md.set(&k("attention.causal"), GgufValue::Bool(false));
    }
    // rope_parameters / rope_scaling (TextModel.__init__ / set_gguf_parameters).
    let rope = rope_params(&config);
    let rope_type = rope
        .get("rope_type")
        .or_else(|| rope.get("type"))
        .and_then(Value::as_str);
    match rope_type {
        None => {}
        Some("linear") => {
            if let Some(f) = rope.get("factor").and_then(Value::as_f64) {
                md.set(&k("rope.scaling.type"), "linear".into());
                md.set(&k("rope.scaling.factor"), GgufValue::F32(f as f32));
            }
        }
        // llama3: no metadata; the factors become the `rope_freqs.weight` tensor (below).
        Some(t) if t.eq_ignore_ascii_case("llama3") => {}
        Some(other) => {
            return Err(HfError::Unsupported(format!("rope type {other:?}")));
        }
    }
    let rope_theta = match rope.get("rope_theta").and_then(Value::as_f64) {
        Some(t) => Some(t as f32),
        None => cfg.find_f32(ROPE_THETA)?,
    };
    if let Some(t) = rope_theta {
        md.set(&k("rope.freq_base"), GgufValue::F32(t));
    }
    if let Some(e) = cfg.find_f32(RMS_EPS)? {
        md.set(&k("attention.layer_norm_rms_epsilon"), GgufValue::F32(e));
    }
    if let Some(e) = cfg.find_f32(LN_EPS)? {
        md.set(&k("attention.layer_norm_epsilon"), GgufValue::F32(e));
    }
    let head_dim = cfg.find_u32(&["head_dim"])?;
    if let Some(hd) = head_dim {
        md.set(&k("attention.key_length"), GgufValue::U32(hd));
        md.set(&k("attention.value_length"), GgufValue::U32(hd));
    }
    md.set("general.file_type", GgufValue::U32(file_type));
    let vocab_size = cfg.find_u32(&["vocab_size"])?;
    if arch == "llama" {
        let vs = vocab_size.ok_or_else(|| HfError::Config("could not find vocab_size".into()))?;
        md.set(&k("vocab_size"), GgufValue::U32(vs));
        let rope_dim = match head_dim {
            Some(hd) => hd,
            None => {
                let e =
                    n_embd.ok_or_else(|| HfError::Config("could not find hidden_size".into()))?;
                if n_head == 0 {
                    return Err(HfError::Config("num_attention_heads is 0".into()));
                }
                e / n_head
            }
        };
        md.set(&k("rope.dimension_count"), GgufValue::U32(rope_dim));
    }
    // GGML_QUANT_VERSION (ggml.h).
    md.set("general.quantization_version", GgufValue::U32(2));

    // ---- vocabulary ----
    let tokenizer_text = parts
        .tokenizer_json
        .ok_or(HfError::MissingFile("tokenizer.json"))?;
    let tokenizer = json("tokenizer.json", tokenizer_text)?;
    let tokenizer_config = parts
        .tokenizer_config_json
        .map(|t| json("tokenizer_config.json", t))
        .transpose()?;
    let chat_template_json = parts
        .chat_template_json
        .map(|t| json("chat_template.json", t))
        .transpose()?;
    let inputs = vocab::VocabInputs {
        tokenizer: &tokenizer,
        tokenizer_json_text: tokenizer_text,
        tokenizer_config: tokenizer_config.as_ref(),
        tokenizer_config_text: parts.tokenizer_config_json,
        config: &config,
        chat_template_jinja: parts.chat_template_jinja,
        chat_template_json: chat_template_json.as_ref(),
        pre_override: opts.pre_tokenizer.as_deref(),
    };
    if parts.has_tokenizer_model {
        warnings.push(
            "tokenizer.model (SentencePiece) is not read; the vocabulary comes from tokenizer.json \
             (llama.cpp's converter would take it, with its scores, from tokenizer.model)"
                .into(),
        );
    }
    if arch == "llama" {
        // LlamaModel.set_vocab.
        if let Some(b) = tokenizer_config
            .as_ref()
            .and_then(|tc| tc.get("add_prefix_space"))
            .and_then(Value::as_bool)
        {
            md.set("tokenizer.ggml.add_space_prefix", GgufValue::Bool(b));
        }
        if vocab::is_llama_hf(&tokenizer) {
            vocab::llama_hf(&mut md, &inputs)?;
        } else {
            vocab::gpt2(&mut md, &inputs, vocab_size.map(u64::from))?;
        }
        // "Apply to granite small models only" (sic): every 49152-token vocabulary.
        if vocab_size.unwrap_or(32000) == 49152 {
            md.set("tokenizer.ggml.add_bos_token", GgufValue::Bool(false));
        }
    } else {
        vocab::gpt2(&mut md, &inputs, vocab_size.map(u64::from))?;
    }

    let metadata = md.0;
    let model = ModelDesc {
        architecture: arch.to_owned(),
        hparams: HParams::from_metadata(arch, &metadata),
        metadata,
        tensors,
        format: SourceFormat::Safetensors,
    };
    Ok(HfModel { model, warnings })
}

/// A whole folder in memory: file name (relative to the folder) → bytes.
pub type HfFiles<'a> = BTreeMap<String, &'a [u8]>;

fn text<'a>(files: &HfFiles<'a>, name: &'static str) -> Result<Option<&'a str>, HfError> {
    files
        .get(name)
        .map(|b| {
            std::str::from_utf8(b).map_err(|_| HfError::Json {
                file: name,
                msg: "not UTF-8".into(),
            })
        })
        .transpose()
}

/// Maps a folder held in memory. Safetensors headers are parsed from the bytes given; the
/// returned model's tensor sources point into those same files.
pub fn model_from_files(files: &HfFiles<'_>, opts: &HfOptions) -> Result<HfModel, HfError> {
    let mut safetensors = Vec::new();
    for (name, bytes) in files {
        if name.ends_with(".safetensors") {
            let f = SafetensorsFile::parse(bytes).map_err(|source| HfError::Safetensors {
                file: name.clone(),
                source,
            })?;
            safetensors.push((name.clone(), f));
        }
    }
    let parts = HfParts {
        config_json: text(files, "config.json")?.ok_or(HfError::MissingFile("config.json"))?,
        tokenizer_json: text(files, "tokenizer.json")?,
        tokenizer_config_json: text(files, "tokenizer_config.json")?,
        chat_template_jinja: text(files, "chat_template.jinja")?,
        chat_template_json: text(files, "chat_template.json")?,
        index_json: text(files, "model.safetensors.index.json")?,
        has_tokenizer_model: files.contains_key("tokenizer.model"),
        safetensors,
    };
    model_from_parts(&parts, opts)
}

/// Converts a folder held in memory to a GGUF file, as llama.cpp's converter would.
pub fn convert_files_to_gguf(files: &HfFiles<'_>, opts: &HfOptions) -> Result<Vec<u8>, HfError> {
    let m = model_from_files(files, opts)?.model;
    let mut w = m.gguf_writer()?;
    let mut out = w.header_bytes();
    for (i, t) in m.tensors.iter().enumerate() {
        let r = t.source.range();
        let raw = t
            .source
            .generated()
            .or_else(|| {
                t.source
                    .file()
                    .and_then(|file| files.get(file))
                    .and_then(|b| b.get(r.start as usize..r.end as usize))
            })
            .ok_or_else(|| HfError::Shape {
                name: t.name.clone(),
                reason: "source bytes out of range".into(),
            })?;
        let data = m.tensor_bytes(i, raw)?;
        out.extend(w.encode_tensor(&data)?);
    }
    w.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_labels_match_gguf_py() {
        // Values from gguf.size_label(n, 0, 0, 0).
        assert_eq!(size_label(123_456), "123K");
        assert_eq!(size_label(134_515_008), "135M");
        assert_eq!(size_label(28_000), "28K");
        assert_eq!(size_label(1_500), "1.5K");
        assert_eq!(size_label(7_241_732_096), "7.2B");
        assert_eq!(size_label(999), "1.0K");
    }

    #[test]
    fn llama3_rope_factors_match_the_converter_formula() {
        // Expected values: the converter's loop evaluated in numpy float32 (see
        // gen_safetensors_fixtures.py for the same arithmetic).
        let cfg = serde_json::json!({"hidden_size": 64, "num_attention_heads": 2, "rope_theta": 10000.0,
            "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 256}});
        let f = llama3_rope_factors(&cfg, 2).unwrap().unwrap();
        let mut want = vec![1.0f32; 5];
        want.extend([1.993_638_5, 4.781_833_6]);
        want.extend([8.0; 9]);
        assert_eq!(f.len(), 16);
        for (g, w) in f.iter().zip(&want) {
            // The converter's torch pow may round differently in the last bit.
            assert!((g - w).abs() <= 2.0 * f32::EPSILON * w.abs(), "{g} vs {w}");
        }
        let cfg = serde_json::json!({"head_dim": 16, "hidden_size": 64, "num_attention_heads": 2,
            "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
            "original_max_position_embeddings": 64}});
        let f = llama3_rope_factors(&cfg, 2).unwrap().unwrap();
        assert_eq!(f.len(), 8);
        assert!((f[1] - 2.888_633_5).abs() < 1e-6);
        assert_eq!(&f[2..], &[32.0; 6]);
        assert_eq!(f[0], 1.0);
        let none = serde_json::json!({"rope_scaling": {"rope_type": "linear", "factor": 2.0}});
        assert_eq!(llama3_rope_factors(&none, 2).unwrap(), None);
    }

    #[test]
    fn tensor_names_map_like_gguf_py() {
        let m = |n| map_tensor_name(n, 2);
        assert_eq!(m("model.embed_tokens.weight").unwrap(), "token_embd.weight");
        assert_eq!(m("lm_head.weight").unwrap(), "output.weight");
        assert_eq!(m("model.norm.weight").unwrap(), "output_norm.weight");
        assert_eq!(
            m("model.layers.1.self_attn.q_proj.weight").unwrap(),
            "blk.1.attn_q.weight"
        );
        assert_eq!(
            m("model.layers.0.self_attn.k_proj.bias").unwrap(),
            "blk.0.attn_k.bias"
        );
        assert_eq!(
            m("model.layers.0.mlp.down_proj.weight").unwrap(),
            "blk.0.ffn_down.weight"
        );
        assert_eq!(
            m("model.layers.0.post_attention_layernorm.weight").unwrap(),
            "blk.0.ffn_norm.weight"
        );
        assert_eq!(m("model.layers.2.mlp.up_proj.weight"), None);
        assert_eq!(m("model.layers.x.mlp.up_proj.weight"), None);
        assert_eq!(m("model.layers.0.mlp.up_proj.scale"), None);
        assert_eq!(m("vision.encoder.weight"), None);
    }
}
