//! Weight memory per quantization preset: which ggml type each tensor gets, and its bytes.
//!
//! The per-tensor choice is the engine's own [`crate::preset::plan_quantization`] (llama.cpp's
//! `src/llama-quant.cpp` rules, exactly), run on the tensor list a [`ModelSpec`] implies, so the
//! planner and the quantizer can never disagree. Bytes come from the real block formats,
//! including the shape fallbacks: a k-quant needs rows that are a multiple of 256, so a
//! 576-wide model gets legacy 32-blocks for most tensors — a rule-of-thumb "4.5 bpw" misses that.
//!
//! What the planner adds here is the ordering of presets by quality and the per-role totals the
//! memory chart and the speed model need.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::PlanError;
use super::model::{ModelSpec, TensorKind, TensorShape};
use crate::GgmlType;
pub use crate::preset::Preset;
use crate::preset::{ModelInfo, QuantOptions, TensorSpec, plan_quantization};

/// Presets the planner evaluates by default, best quality first. The order follows the
/// perplexity increase llama.cpp publishes for Llama-3-8B (`tools/quantize/quantize.cpp`,
/// QUANT_OPTIONS); IQ4_NL/IQ4_XS have no published figure and sit between Q4_K_S and Q4_1
/// (non-linear 4.5/4.25 bpw grids beat the linear Q4_1 with fewer bits). F32 (no gain over F16
/// for inference) and the ternary TQ presets (only for ternary-trained models) are left out.
pub const PLANNED_PRESETS: &[Preset] = &[
    Preset::F16,
    Preset::BF16,
    Preset::Q8_0,
    Preset::Q6_K,
    Preset::Q5_K_M,
    Preset::Q5_K_S,
    Preset::Q5_1,
    Preset::Q5_0,
    Preset::Q4_K_M,
    Preset::Q4_K_S,
    Preset::IQ4_NL,
    Preset::IQ4_XS,
    Preset::Q4_1,
    Preset::Q4_0,
    Preset::Q3_K_L,
    Preset::Q3_K_M,
    Preset::Q3_K_S,
    Preset::Q2_K,
];

/// Quality rank of a preset: 0 is the best. F32 ranks first, the ternary presets last.
pub fn quality_rank(p: Preset) -> usize {
    match p {
        Preset::F32 => 0,
        Preset::TQ2_0 => PLANNED_PRESETS.len() + 1,
        Preset::TQ1_0 => PLANNED_PRESETS.len() + 2,
        other => {
            1 + PLANNED_PRESETS
                .iter()
                .position(|&q| q == other)
                .unwrap_or(PLANNED_PRESETS.len())
        }
    }
}

/// Parses a preset name (llama.cpp's names and the `Q3_K`/`Q4_K`/`Q5_K` aliases).
pub fn parse_preset(s: &str) -> Result<Preset, PlanError> {
    Preset::from_name(s.trim()).ok_or_else(|| PlanError::UnknownPreset(s.to_string()))
}

/// Perplexity increase on Llama-3-8B as published by llama.cpp (`tools/quantize/quantize.cpp`
/// QUANT_OPTIONS; the F16/BF16 figures there are for Mistral-7B). `None` where none is published.
pub fn published_ppl_delta(p: Preset) -> Option<f64> {
    Some(match p {
        Preset::F16 => 0.0020,
        Preset::BF16 => -0.0050,
        Preset::Q8_0 => 0.0026,
        Preset::Q6_K => 0.0217,
        Preset::Q5_K_M => 0.0569,
        Preset::Q5_K_S => 0.1049,
        Preset::Q5_1 => 0.1062,
        Preset::Q5_0 => 0.1316,
        Preset::Q4_K_M => 0.1754,
        Preset::Q4_K_S => 0.2689,
        Preset::Q4_1 => 0.4511,
        Preset::Q4_0 => 0.4685,
        Preset::Q3_K_L => 0.5562,
        Preset::Q3_K_M => 0.6569,
        Preset::Q3_K_S => 1.6321,
        Preset::Q2_K => 3.5199,
        _ => return None,
    })
}

/// The GGUF architecture name llama.cpp's converter writes for an HF `model_type`.
pub fn gguf_arch(model_type: &str) -> &str {
    match model_type {
        "mistral" | "mixtral" => "llama",
        "qwen2_moe" => "qwen2moe",
        "qwen3_moe" => "qwen3moe",
        "gemma3_text" => "gemma3",
        "deepseek_v2" | "deepseek_v3" => "deepseek2",
        other => other,
    }
}

/// The type chosen for one tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeChoice {
    pub ty: GgmlType,
    /// The type the mix wanted before the row-length fallback, when the fallback applied.
    pub fallback_from: Option<GgmlType>,
}

/// The tensor list as the preset planner takes it: GGUF shapes, with the types a converter
/// writes from an HF checkpoint (`convert_hf_to_gguf.py --outtype f16`: 2-D weights F16; norms,
/// biases and the MoE router F32).
fn source_tensors(tensors: &[TensorShape]) -> Vec<TensorSpec> {
    tensors
        .iter()
        .map(|t| {
            let (shape, ty) = if t.is_vector() {
                (vec![t.row_len], GgmlType::F32)
            } else if t.experts > 1 {
                (vec![t.row_len, t.rows, t.experts], GgmlType::F16)
            } else if t.kind == TensorKind::Router {
                (vec![t.row_len, t.rows], GgmlType::F32)
            } else {
                (vec![t.row_len, t.rows], GgmlType::F16)
            };
            TensorSpec {
                name: t.name.clone(),
                shape,
                ty,
            }
        })
        .collect()
}

/// Every tensor of `model` with the type `preset` gives it (in the model's tensor order).
pub fn tensor_types(
    model: &ModelSpec,
    preset: Preset,
    has_imatrix: bool,
) -> Result<Vec<(TensorShape, TypeChoice)>, PlanError> {
    let shapes = model.tensors();
    let info = ModelInfo {
        arch: gguf_arch(&model.architecture).to_string(),
        n_layer: u32::try_from(model.n_layers)
            .map_err(|_| PlanError::invalid("n_layers", model.n_layers))?,
        n_head: u32::try_from(model.n_heads)
            .map_err(|_| PlanError::invalid("n_heads", model.n_heads))?,
        n_head_kv: u32::try_from(model.n_kv_heads)
            .map_err(|_| PlanError::invalid("n_kv_heads", model.n_kv_heads))?,
        n_expert: model
            .moe
            .as_ref()
            .map_or(0, |m| u32::try_from(m.n_experts).unwrap_or(u32::MAX)),
    };
    let mut opts = QuantOptions::new(preset);
    opts.has_imatrix = has_imatrix;
    let qp = plan_quantization(&info, &source_tensors(&shapes), &opts)
        .map_err(|e| PlanError::Preset(e.to_string()))?;
    let mut choice: Vec<Option<TypeChoice>> = vec![None; shapes.len()];
    for d in &qp.tensors {
        choice[d.source_index] = Some(TypeChoice {
            ty: d.target_type,
            fallback_from: d.fallback.map(|f| f.wanted),
        });
    }
    shapes
        .into_iter()
        .zip(choice)
        .map(|(t, c)| {
            let c = c.ok_or_else(|| PlanError::Preset(format!("no decision for {}", t.name)))?;
            Ok((t, c))
        })
        .collect()
}

/// Bytes of a tensor stored as `ty`.
fn tensor_bytes(t: &TensorShape, ty: GgmlType) -> u64 {
    let row = ty
        .row_bytes(t.row_len as usize)
        .map(|b| b as u64)
        // Only reachable for F16/F32 (block size 1, always divides); keep a safe upper bound.
        .unwrap_or_else(|| t.row_len.div_ceil(ty.block_size() as u64) * ty.type_size() as u64);
    row * t.rows * t.experts
}

/// One row of the per-type table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeUse {
    pub tensors: u64,
    pub params: u64,
    pub bytes: u64,
}

/// A group of tensors that fell back to another type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FallbackUse {
    pub from: GgmlType,
    pub to: GgmlType,
    pub tensors: u64,
    pub params: u64,
}

/// Weight memory of a model stored in one preset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightEstimate {
    /// Preset name, or a label such as "as stored" for a real file.
    pub label: String,
    pub preset: Option<Preset>,
    pub params: u64,
    pub bytes: u64,
    /// Average bits per weight over every tensor (norms included).
    pub bpw: f64,
    /// Bytes by role: embedding, output, attention, ffn, vectors.
    pub bytes_by_role: BTreeMap<String, u64>,
    /// Tensors, parameters and bytes per ggml type name.
    pub by_type: BTreeMap<String, TypeUse>,
    pub fallbacks: Vec<FallbackUse>,
    /// Bytes one decode step reads for one token: every tensor it multiplies through (the
    /// embedding lookup reads one row, not the matrix; a MoE token reads only its experts).
    pub decode_read_bytes: u64,
    /// The largest single tensor (a WebGPU buffer must hold it whole unless split).
    pub largest_tensor_bytes: u64,
    /// Bytes of stacked MoE expert tensors (0 for dense models).
    pub expert_bytes: u64,
}

fn role(kind: TensorKind) -> &'static str {
    match kind {
        TensorKind::TokenEmbd => "embedding",
        TensorKind::Output => "output",
        TensorKind::AttnQ
        | TensorKind::AttnK
        | TensorKind::AttnV
        | TensorKind::AttnOutput
        | TensorKind::AttnLowRank
        | TensorKind::AttnKvB => "attention",
        TensorKind::FfnGate | TensorKind::FfnUp | TensorKind::FfnDown | TensorKind::Router => "ffn",
        TensorKind::Vector => "vectors",
    }
}

/// One tensor's contribution to a [`WeightEstimate`].
struct Entry {
    kind: TensorKind,
    params: u64,
    bytes: u64,
    ty: GgmlType,
    /// Share of its bytes one decode step reads for one token.
    read_fraction: f64,
    is_experts: bool,
    fallback_from: Option<GgmlType>,
}

struct Accumulator {
    params: u64,
    bytes: u64,
    by_role: BTreeMap<String, u64>,
    by_type: BTreeMap<String, TypeUse>,
    fallbacks: Vec<FallbackUse>,
    decode_read: f64,
    largest: u64,
    experts: u64,
}

impl Accumulator {
    fn new() -> Accumulator {
        Accumulator {
            params: 0,
            bytes: 0,
            by_role: BTreeMap::new(),
            by_type: BTreeMap::new(),
            fallbacks: Vec::new(),
            decode_read: 0.0,
            largest: 0,
            experts: 0,
        }
    }

    fn add(&mut self, e: Entry) {
        self.params += e.params;
        self.bytes += e.bytes;
        if e.is_experts {
            self.experts += e.bytes;
        }
        *self.by_role.entry(role(e.kind).to_string()).or_default() += e.bytes;
        let u = self.by_type.entry(e.ty.name().to_string()).or_default();
        u.tensors += 1;
        u.params += e.params;
        u.bytes += e.bytes;
        self.decode_read += e.bytes as f64 * e.read_fraction;
        self.largest = self.largest.max(e.bytes);
        if let Some(from) = e.fallback_from {
            match self
                .fallbacks
                .iter_mut()
                .find(|f| f.from == from && f.to == e.ty)
            {
                Some(f) => {
                    f.tensors += 1;
                    f.params += e.params;
                }
                None => self.fallbacks.push(FallbackUse {
                    from,
                    to: e.ty,
                    tensors: 1,
                    params: e.params,
                }),
            }
        }
    }

    fn finish(self, label: String, preset: Option<Preset>) -> WeightEstimate {
        WeightEstimate {
            label,
            preset,
            params: self.params,
            bytes: self.bytes,
            bpw: if self.params == 0 {
                0.0
            } else {
                self.bytes as f64 * 8.0 / self.params as f64
            },
            bytes_by_role: self.by_role,
            by_type: self.by_type,
            fallbacks: self.fallbacks,
            decode_read_bytes: self.decode_read.round() as u64,
            largest_tensor_bytes: self.largest,
            expert_bytes: self.experts,
        }
    }
}

/// Fraction of a tensor one decode step reads for one token.
fn decode_read_fraction(model: &ModelSpec, t: &TensorShape) -> f64 {
    match t.kind {
        // A lookup reads one row; tied embeddings are read whole as the output projection.
        TensorKind::TokenEmbd if !model.tied_embeddings => 1.0 / t.rows as f64,
        _ => match &model.moe {
            Some(m) if t.experts > 1 => m.n_experts_used as f64 / m.n_experts as f64,
            _ => 1.0,
        },
    }
}

/// Weight bytes of `model` in `preset`.
pub fn estimate_weights(
    model: &ModelSpec,
    preset: Preset,
    has_imatrix: bool,
) -> Result<WeightEstimate, PlanError> {
    let mut acc = Accumulator::new();
    for (t, c) in tensor_types(model, preset, has_imatrix)? {
        acc.add(Entry {
            kind: t.kind,
            params: t.elements(),
            bytes: tensor_bytes(&t, c.ty),
            ty: c.ty,
            read_fraction: decode_read_fraction(model, &t),
            is_experts: t.experts > 1,
            fallback_from: c.fallback_from,
        });
    }
    Ok(acc.finish(preset.name().to_string(), Some(preset)))
}

/// A tensor of a real file: its GGUF name, type and element count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredTensor {
    pub name: String,
    pub ty: GgmlType,
    pub elements: u64,
    /// `ne[0]` — used to tell a lookup row from the matrix; 0 if unknown.
    #[serde(default)]
    pub row_len: u64,
}

/// The tensor list of a parsed GGUF header.
pub fn stored_tensors(file: &crate::gguf::GgufFile) -> Vec<StoredTensor> {
    file.tensors
        .iter()
        .map(|t| StoredTensor {
            name: t.name.clone(),
            ty: t.ggml_type,
            elements: t.n_elements(),
            row_len: t.row_len(),
        })
        .collect()
}

/// The role a GGUF tensor name plays (for files whose tensors are listed).
pub fn classify_tensor_name(name: &str) -> TensorKind {
    if name == "token_embd.weight" {
        TensorKind::TokenEmbd
    } else if name == "output.weight" {
        TensorKind::Output
    } else if name.ends_with(".bias") || name.contains("_norm") {
        TensorKind::Vector
    } else if name.contains("ffn_gate_inp") {
        TensorKind::Router
    } else if name.contains("attn_kv_b") {
        TensorKind::AttnKvB
    } else if name.contains("attn_q_a") || name.contains("attn_q_b") || name.contains("attn_kv_a") {
        TensorKind::AttnLowRank
    } else if name.contains("attn_q.") {
        TensorKind::AttnQ
    } else if name.contains("attn_k.") {
        TensorKind::AttnK
    } else if name.contains("attn_v.") {
        TensorKind::AttnV
    } else if name.contains("attn_output") || name.contains("attn_qkv") {
        TensorKind::AttnOutput
    } else if name.contains("ffn_gate") {
        TensorKind::FfnGate
    } else if name.contains("ffn_up") {
        TensorKind::FfnUp
    } else if name.contains("ffn_down") {
        TensorKind::FfnDown
    } else {
        TensorKind::Vector
    }
}

/// Weight memory of a real file from its tensor list (exact bytes, no mix rules needed).
pub fn estimate_stored(model: &ModelSpec, label: &str, tensors: &[StoredTensor]) -> WeightEstimate {
    let mut acc = Accumulator::new();
    for st in tensors {
        let kind = classify_tensor_name(&st.name);
        let bytes = (st.elements as u128 * st.ty.type_size() as u128)
            .div_ceil(st.ty.block_size() as u128) as u64;
        let is_experts = st.name.contains("_exps");
        let fraction = match kind {
            TensorKind::TokenEmbd if !model.tied_embeddings => 1.0 / model.vocab.max(1) as f64,
            _ => match &model.moe {
                Some(m) if is_experts => m.n_experts_used as f64 / m.n_experts as f64,
                _ => 1.0,
            },
        };
        acc.add(Entry {
            kind,
            params: st.elements,
            bytes,
            ty: st.ty,
            read_fraction: fraction,
            is_experts,
            fallback_from: None,
        });
    }
    acc.finish(label.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_order_and_parsing() {
        assert!(quality_rank(Preset::Q8_0) < quality_rank(Preset::Q6_K));
        assert!(quality_rank(Preset::Q5_K_M) < quality_rank(Preset::Q5_1));
        assert!(quality_rank(Preset::Q2_K) < quality_rank(Preset::TQ2_0));
        assert_eq!(quality_rank(Preset::F32), 0);
        assert_eq!(parse_preset(" q4_k ").unwrap(), Preset::Q4_K_M);
        assert!(matches!(
            parse_preset("Q7_Z"),
            Err(PlanError::UnknownPreset(_))
        ));
        // Published deltas grow along the order wherever both are published.
        let deltas: Vec<f64> = PLANNED_PRESETS
            .iter()
            .filter_map(|&p| published_ppl_delta(p))
            .skip(2)
            .collect();
        assert!(deltas.windows(2).all(|w| w[0] <= w[1]), "{deltas:?}");
    }

    #[test]
    fn classify_names() {
        assert_eq!(
            classify_tensor_name("blk.0.attn_v.weight"),
            TensorKind::AttnV
        );
        assert_eq!(
            classify_tensor_name("blk.0.ffn_down_exps.weight"),
            TensorKind::FfnDown
        );
        assert_eq!(
            classify_tensor_name("blk.0.ffn_gate_inp.weight"),
            TensorKind::Router
        );
        assert_eq!(
            classify_tensor_name("blk.0.attn_q_norm.weight"),
            TensorKind::Vector
        );
    }
}
