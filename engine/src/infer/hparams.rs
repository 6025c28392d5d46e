//! Hyper-parameters of a Llama-family model, read from GGUF metadata the way llama.cpp's
//! `llama_model::load_hparams` (src/llama-model.cpp) reads them, with key names from
//! src/llama-arch.cpp (`LLM_KV_*`).

use serde::{Deserialize, Serialize};

use super::InferError;
use crate::gguf::{GgufFile, GgufValue};

/// The architectures this forward pass runs. Mistral (7B v0.x) and SmolLM/SmolLM2 models are
/// stored with `general.architecture = llama` by llama.cpp's converter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    Llama,
    Qwen2,
}

impl Arch {
    pub fn from_name(name: &str) -> Option<Arch> {
        match name {
            "llama" | "mistral" => Some(Arch::Llama),
            "qwen2" => Some(Arch::Qwen2),
            _ => None,
        }
    }

    /// How RoPE pairs up a head's dimensions (`llama_model_rope_type` in src/llama-model.cpp:
    /// LLM_ARCH_LLAMA is `LLAMA_ROPE_TYPE_NORM`, LLM_ARCH_QWEN2 `LLAMA_ROPE_TYPE_NEOX`).
    pub fn rope_kind(self) -> RopeKind {
        match self {
            Arch::Llama => RopeKind::Norm,
            Arch::Qwen2 => RopeKind::Neox,
        }
    }
}

/// RoPE pairing: `Norm` rotates adjacent dimensions `(2i, 2i+1)` (the converter permutes
/// llama's Q/K rows for this), `Neox` rotates `(i, i + n_rot/2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RopeKind {
    Norm,
    Neox,
}

/// Everything the forward pass needs to know about the model's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hparams {
    pub arch: Arch,
    pub n_vocab: usize,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    /// Dimensions per attention head for Q and K (`attention.key_length`, default n_embd/n_head).
    pub head_dim: usize,
    /// Dimensions per head for V (`attention.value_length`, default `head_dim`).
    pub head_dim_v: usize,
    pub n_ff: usize,
    pub rms_eps: f32,
    /// `rope.freq_base` (default 10000).
    pub rope_base: f32,
    /// 1 / `rope.scaling.factor` for linear scaling (1 without scaling).
    pub rope_freq_scale: f32,
    /// Dimensions of each head that RoPE rotates (`rope.dimension_count`, default head_dim).
    pub n_rot: usize,
    pub rope_kind: RopeKind,
    /// The context length the model was trained with (`context_length`).
    pub n_ctx_train: usize,
}

impl Hparams {
    /// Q/K/V widths.
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }
    pub fn v_dim(&self) -> usize {
        self.n_head_kv * self.head_dim_v
    }

    /// Reads the hyper-parameters. `n_vocab` comes from the caller (the embedding's row count,
    /// which is what llama.cpp trusts too).
    pub fn from_gguf(file: &GgufFile, n_vocab: usize) -> Result<Hparams, InferError> {
        let arch_name = file.architecture().ok_or(InferError::NoArch)?;
        let arch = Arch::from_name(arch_name)
            .ok_or_else(|| InferError::UnsupportedArch(arch_name.to_owned()))?;
        let key = |k: &str| format!("{arch_name}.{k}");
        let get_usize = |k: &str| -> Result<Option<usize>, InferError> {
            match file.get(&key(k)) {
                None => Ok(None),
                Some(v) => v
                    .as_u32()
                    .map(|x| Some(x as usize))
                    .ok_or_else(|| InferError::MissingKey(key(k))),
            }
        };
        let need = |k: &str| -> Result<usize, InferError> {
            get_usize(k)?.ok_or_else(|| InferError::MissingKey(key(k)))
        };
        let get_f32 = |k: &str| -> Result<Option<f32>, InferError> {
            match file.get(&key(k)) {
                None => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(|x| Some(x as f32))
                    .ok_or_else(|| InferError::MissingKey(key(k))),
            }
        };

        let n_embd = need("embedding_length")?;
        let n_layer = need("block_count")?;
        let n_head = need("attention.head_count")?;
        let n_head_kv = get_usize("attention.head_count_kv")?.unwrap_or(n_head);
        let n_ff = need("feed_forward_length")?;
        let bad = |k: &str, reason: String| InferError::BadValue {
            key: key(k),
            reason,
        };
        if n_embd == 0 || n_layer == 0 || n_head == 0 || n_ff == 0 {
            return Err(bad("embedding_length", "a model dimension is zero".into()));
        }
        if n_head_kv == 0 || !n_head.is_multiple_of(n_head_kv) {
            return Err(bad(
                "attention.head_count_kv",
                format!("{n_head_kv} does not divide the head count {n_head}"),
            ));
        }
        let head_dim = match get_usize("attention.key_length")? {
            Some(d) => d,
            None if n_embd.is_multiple_of(n_head) => n_embd / n_head,
            None => {
                return Err(bad(
                    "attention.head_count",
                    format!("{n_head} heads do not divide the width {n_embd}"),
                ));
            }
        };
        let head_dim_v = get_usize("attention.value_length")?.unwrap_or(head_dim);
        if head_dim == 0 || head_dim_v == 0 {
            return Err(bad("attention.key_length", "zero head size".into()));
        }
        let n_rot = get_usize("rope.dimension_count")?.unwrap_or(head_dim);
        if n_rot > head_dim || !n_rot.is_multiple_of(2) {
            return Err(bad(
                "rope.dimension_count",
                format!("{n_rot} must be even and at most the head size {head_dim}"),
            ));
        }
        let rms_eps = get_f32("attention.layer_norm_rms_epsilon")?
            .ok_or_else(|| InferError::MissingKey(key("attention.layer_norm_rms_epsilon")))?;
        let rope_base = get_f32("rope.freq_base")?.unwrap_or(10000.0);
        if !(rope_base.is_finite() && rope_base > 0.0) {
            return Err(bad("rope.freq_base", format!("{rope_base}")));
        }
        // llama.cpp: `rope.scaling.type` defaults to "linear"; the factor comes from
        // `rope.scaling.factor` or the older `rope.scale_linear`; 0 or absent means none.
        let scaling = match file.get(&key("rope.scaling.type")) {
            None => "linear".to_owned(),
            Some(GgufValue::String(s)) => s.clone(),
            Some(_) => return Err(InferError::MissingKey(key("rope.scaling.type"))),
        };
        let factor = match get_f32("rope.scaling.factor")? {
            Some(f) => f,
            None => get_f32("rope.scale_linear")?.unwrap_or(0.0),
        };
        let rope_freq_scale = match scaling.as_str() {
            "none" => 1.0,
            "linear" => {
                if factor == 0.0 {
                    1.0
                } else if factor.is_finite() && factor > 0.0 {
                    1.0 / factor
                } else {
                    return Err(bad("rope.scaling.factor", format!("{factor}")));
                }
            }
            other => return Err(InferError::UnsupportedRopeScaling(other.to_owned())),
        };
        let n_ctx_train = get_usize("context_length")?.unwrap_or(2048);
        Ok(Hparams {
            arch,
            n_vocab,
            n_embd,
            n_layer,
            n_head,
            n_head_kv,
            head_dim,
            head_dim_v,
            n_ff,
            rms_eps,
            rope_base,
            rope_freq_scale,
            n_rot,
            rope_kind: arch.rope_kind(),
            n_ctx_train,
        })
    }
}
