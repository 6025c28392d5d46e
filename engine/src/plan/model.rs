//! What a model is, for planning: its shape (from an HF `config.json`, GGUF metadata or typed-in
//! fields) and the weight tensors that shape implies, with their parameter counts.
//!
//! Tensor names and layouts follow llama.cpp's GGUF conventions (`src/llama-arch.cpp` tensor
//! names, `ne[0]` = row length = input features) because the weight estimate chooses a ggml type
//! per tensor the way `src/llama-quant.cpp` does, and those rules look at names and row lengths.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::PlanError;

/// Mixture-of-experts feed-forward layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoeSpec {
    /// Routed experts per MoE layer.
    pub n_experts: u64,
    /// Experts each token is routed to.
    pub n_experts_used: u64,
    /// Hidden width of one routed expert.
    pub expert_ff: u64,
    /// Total hidden width of the always-on shared expert(s) (0 when none).
    pub shared_ff: u64,
    /// Leading layers that keep a dense FFN (`first_k_dense_replace` in DeepSeek configs).
    pub n_dense_leading: u64,
}

/// Multi-head latent attention (DeepSeek-V2/V3): K and V are rebuilt from a small latent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlaSpec {
    pub q_lora_rank: Option<u64>,
    pub kv_lora_rank: u64,
    pub qk_nope_head_dim: u64,
    pub qk_rope_head_dim: u64,
    pub v_head_dim: u64,
}

/// The shape of a decoder-only transformer, as far as memory and speed depend on it.
///
/// Every field is public so a UI can build one from typed-in numbers; [`ModelSpec::validate`]
/// checks it before use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    /// `model_type` of the HF config or `general.architecture` of a GGUF (`llama`, `qwen2`, …).
    pub architecture: String,
    pub n_layers: u64,
    pub hidden: u64,
    pub n_heads: u64,
    pub n_kv_heads: u64,
    /// Dimension of one query/key head.
    pub head_dim: u64,
    /// Dimension of one value head (equal to `head_dim` except in MLA models).
    pub v_head_dim: u64,
    /// Dense FFN hidden width (`intermediate_size`).
    pub intermediate: u64,
    pub vocab: u64,
    /// Longest context the model was trained for (`max_position_embeddings`).
    pub max_context: u64,
    /// The output projection reuses the token embedding matrix.
    pub tied_embeddings: bool,
    /// Bias vectors on the q, k and v projections (Qwen2).
    #[serde(default)]
    pub qkv_bias: bool,
    /// Bias vector on the attention output projection.
    #[serde(default)]
    pub o_bias: bool,
    /// Per-head RMS norms on q and k (Qwen3, Gemma 3).
    #[serde(default)]
    pub qk_norm: bool,
    /// Extra norm vectors per layer beyond the usual two (Gemma 2/3 add post-attention and
    /// post-FFN norms: 2).
    #[serde(default)]
    pub extra_norms_per_layer: u64,
    /// Gated FFN (gate, up, down) as in Llama; false for a plain up/down MLP.
    #[serde(default = "yes")]
    pub gated_ffn: bool,
    /// Attention window of the sliding-window layers, if the model has any.
    #[serde(default)]
    pub sliding_window: Option<u64>,
    /// How many layers use the sliding window (the rest attend to the whole context).
    #[serde(default)]
    pub sliding_layers: u64,
    #[serde(default)]
    pub moe: Option<MoeSpec>,
    #[serde(default)]
    pub mla: Option<MlaSpec>,
    /// What was assumed while reading the source (missing keys, defaults taken).
    #[serde(default)]
    pub assumptions: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A coarse role for a weight tensor; the quantization mix and the speed model key on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TensorKind {
    TokenEmbd,
    Output,
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    /// MLA low-rank projections (`attn_q_a`, `attn_q_b`, `attn_kv_a_mqa`).
    AttnLowRank,
    /// MLA `attn_kv_b`: llama.cpp treats it like `attn_v` when choosing types.
    AttnKvB,
    FfnGate,
    FfnUp,
    FfnDown,
    /// MoE router (`ffn_gate_inp`): never quantized by llama.cpp.
    Router,
    /// 1-D tensors: norms and biases.
    Vector,
}

/// One weight tensor in GGUF layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorShape {
    /// GGUF name, e.g. `blk.3.attn_v.weight`.
    pub name: String,
    pub kind: TensorKind,
    pub layer: Option<u64>,
    /// `ne[0]`: elements per row (input features). Block formats need this divisible by their
    /// block size.
    pub row_len: u64,
    /// `ne[1]`: number of rows (output features); 1 for vectors.
    pub rows: u64,
    /// `ne[2]`: stacked experts (1 for ordinary tensors).
    pub experts: u64,
}

impl TensorShape {
    pub fn elements(&self) -> u64 {
        self.row_len * self.rows * self.experts
    }

    /// 1-D tensors (norms, biases) are kept in F32 by converters and never quantized.
    pub fn is_vector(&self) -> bool {
        self.kind == TensorKind::Vector
    }
}

/// Parameter totals, split the way the memory chart shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamCount {
    pub total: u64,
    pub embedding: u64,
    /// Output projection (0 when tied to the embedding).
    pub output: u64,
    pub attention: u64,
    pub ffn: u64,
    /// Norm vectors and biases.
    pub vectors: u64,
    /// Parameters a single token is multiplied through: everything except the embedding
    /// lookup (a gather, not a matmul) and the routed experts it is not sent to. For a tied model
    /// the embedding matrix counts once, as the output projection.
    pub per_token_matmul: u64,
}

impl ModelSpec {
    /// A dense Llama-style model from its main numbers (`head_dim` = `hidden / n_heads`).
    #[allow(clippy::too_many_arguments)]
    pub fn dense(
        name: &str,
        n_layers: u64,
        hidden: u64,
        n_heads: u64,
        n_kv_heads: u64,
        intermediate: u64,
        vocab: u64,
        max_context: u64,
        tied_embeddings: bool,
    ) -> ModelSpec {
        let head_dim = hidden.checked_div(n_heads).unwrap_or(0);
        ModelSpec {
            name: name.to_string(),
            architecture: "llama".to_string(),
            n_layers,
            hidden,
            n_heads,
            n_kv_heads,
            head_dim,
            v_head_dim: head_dim,
            intermediate,
            vocab,
            max_context,
            tied_embeddings,
            qkv_bias: false,
            o_bias: false,
            qk_norm: false,
            extra_norms_per_layer: 0,
            gated_ffn: true,
            sliding_window: None,
            sliding_layers: 0,
            moe: None,
            mla: None,
            assumptions: Vec::new(),
        }
    }

    /// Checks the numbers are usable: positive sizes, heads divisible, windows in range.
    pub fn validate(&self) -> Result<(), PlanError> {
        let positive = [
            ("n_layers", self.n_layers),
            ("hidden", self.hidden),
            ("n_heads", self.n_heads),
            ("n_kv_heads", self.n_kv_heads),
            ("head_dim", self.head_dim),
            ("v_head_dim", self.v_head_dim),
            ("vocab", self.vocab),
            ("max_context", self.max_context),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(PlanError::invalid(field, "0"));
            }
        }
        if self.intermediate == 0 && self.moe.is_none() {
            return Err(PlanError::invalid("intermediate", "0"));
        }
        if self.mla.is_none() && !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return Err(PlanError::invalid(
                "n_kv_heads",
                format!(
                    "{} does not divide n_heads = {}",
                    self.n_kv_heads, self.n_heads
                ),
            ));
        }
        if self.sliding_layers > self.n_layers {
            return Err(PlanError::invalid(
                "sliding_layers",
                format!("{} > n_layers = {}", self.sliding_layers, self.n_layers),
            ));
        }
        if self.sliding_layers > 0 && self.sliding_window.unwrap_or(0) == 0 {
            return Err(PlanError::invalid(
                "sliding_window",
                "sliding layers need a window > 0",
            ));
        }
        if let Some(moe) = &self.moe {
            if moe.n_experts == 0 || moe.n_experts_used == 0 || moe.n_experts_used > moe.n_experts {
                return Err(PlanError::invalid(
                    "moe",
                    format!("{} of {} experts", moe.n_experts_used, moe.n_experts),
                ));
            }
            if moe.expert_ff == 0 {
                return Err(PlanError::invalid("moe.expert_ff", "0"));
            }
            if moe.n_dense_leading > 0 && self.intermediate == 0 {
                return Err(PlanError::invalid(
                    "intermediate",
                    "0, but dense leading layers need it",
                ));
            }
        }
        Ok(())
    }

    /// Query heads per KV head (llama.cpp's `n_gqa()`); 1 for MLA.
    pub fn n_gqa(&self) -> u64 {
        if self.mla.is_some() || self.n_kv_heads == 0 {
            1
        } else {
            self.n_heads / self.n_kv_heads
        }
    }

    /// Layers that attend to the whole context.
    pub fn full_layers(&self) -> u64 {
        self.n_layers - self.sliding_layers.min(self.n_layers)
    }

    /// Elements one layer stores per token in the K cache and in the V cache.
    ///
    /// GQA: only the KV heads are cached (`n_kv_heads × head_dim`), not all query heads. MLA:
    /// llama.cpp caches the compressed latent plus the RoPE part of the key
    /// (`kv_lora_rank + qk_rope_head_dim`) once, as K, and no separate V (`src/llama-model.cpp`
    /// DeepSeek2 MLA path: `n_embd_head_k_mla`, V read as a view of the latent).
    pub fn kv_elements_per_token_layer(&self) -> (u64, u64) {
        match &self.mla {
            Some(mla) => (mla.kv_lora_rank + mla.qk_rope_head_dim, 0),
            None => (
                self.n_kv_heads * self.head_dim,
                self.n_kv_heads * self.v_head_dim,
            ),
        }
    }

    /// The weight tensors this shape implies, in GGUF naming and file order
    /// (non-layer tensors first, then layer by layer).
    pub fn tensors(&self) -> Vec<TensorShape> {
        let h = self.hidden;
        let mut out = Vec::new();
        let mut push = |name: String, kind, layer, row_len, rows, experts| {
            out.push(TensorShape {
                name,
                kind,
                layer,
                row_len,
                rows,
                experts,
            })
        };
        push(
            "token_embd.weight".into(),
            TensorKind::TokenEmbd,
            None,
            h,
            self.vocab,
            1,
        );
        push(
            "output_norm.weight".into(),
            TensorKind::Vector,
            None,
            h,
            1,
            1,
        );
        if !self.tied_embeddings {
            push(
                "output.weight".into(),
                TensorKind::Output,
                None,
                h,
                self.vocab,
                1,
            );
        }
        for il in 0..self.n_layers {
            let l = Some(il);
            let t = |s: &str| format!("blk.{il}.{s}");
            push(t("attn_norm.weight"), TensorKind::Vector, l, h, 1, 1);
            match &self.mla {
                Some(mla) => {
                    let qk_head = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
                    match mla.q_lora_rank {
                        Some(r) => {
                            push(t("attn_q_a.weight"), TensorKind::AttnLowRank, l, h, r, 1);
                            push(t("attn_q_a_norm.weight"), TensorKind::Vector, l, r, 1, 1);
                            push(
                                t("attn_q_b.weight"),
                                TensorKind::AttnLowRank,
                                l,
                                r,
                                self.n_heads * qk_head,
                                1,
                            );
                        }
                        None => push(
                            t("attn_q.weight"),
                            TensorKind::AttnQ,
                            l,
                            h,
                            self.n_heads * qk_head,
                            1,
                        ),
                    }
                    push(
                        t("attn_kv_a_mqa.weight"),
                        TensorKind::AttnLowRank,
                        l,
                        h,
                        mla.kv_lora_rank + mla.qk_rope_head_dim,
                        1,
                    );
                    push(
                        t("attn_kv_a_norm.weight"),
                        TensorKind::Vector,
                        l,
                        mla.kv_lora_rank,
                        1,
                        1,
                    );
                    push(
                        t("attn_kv_b.weight"),
                        TensorKind::AttnKvB,
                        l,
                        mla.kv_lora_rank,
                        self.n_heads * (mla.qk_nope_head_dim + mla.v_head_dim),
                        1,
                    );
                    push(
                        t("attn_output.weight"),
                        TensorKind::AttnOutput,
                        l,
                        self.n_heads * mla.v_head_dim,
                        h,
                        1,
                    );
                }
                None => {
                    let q = self.n_heads * self.head_dim;
                    let k = self.n_kv_heads * self.head_dim;
                    let v = self.n_kv_heads * self.v_head_dim;
                    push(t("attn_q.weight"), TensorKind::AttnQ, l, h, q, 1);
                    push(t("attn_k.weight"), TensorKind::AttnK, l, h, k, 1);
                    push(t("attn_v.weight"), TensorKind::AttnV, l, h, v, 1);
                    if self.qkv_bias {
                        push(t("attn_q.bias"), TensorKind::Vector, l, q, 1, 1);
                        push(t("attn_k.bias"), TensorKind::Vector, l, k, 1, 1);
                        push(t("attn_v.bias"), TensorKind::Vector, l, v, 1, 1);
                    }
                    if self.qk_norm {
                        push(
                            t("attn_q_norm.weight"),
                            TensorKind::Vector,
                            l,
                            self.head_dim,
                            1,
                            1,
                        );
                        push(
                            t("attn_k_norm.weight"),
                            TensorKind::Vector,
                            l,
                            self.head_dim,
                            1,
                            1,
                        );
                    }
                    push(
                        t("attn_output.weight"),
                        TensorKind::AttnOutput,
                        l,
                        self.n_heads * self.v_head_dim,
                        h,
                        1,
                    );
                }
            }
            if self.o_bias {
                push(t("attn_output.bias"), TensorKind::Vector, l, h, 1, 1);
            }
            if self.extra_norms_per_layer >= 1 {
                push(
                    t("post_attention_norm.weight"),
                    TensorKind::Vector,
                    l,
                    h,
                    1,
                    1,
                );
            }
            if self.extra_norms_per_layer >= 2 {
                push(t("post_ffw_norm.weight"), TensorKind::Vector, l, h, 1, 1);
            }
            push(t("ffn_norm.weight"), TensorKind::Vector, l, h, 1, 1);
            let moe_layer = self.moe.as_ref().filter(|m| il >= m.n_dense_leading);
            match moe_layer {
                Some(m) => {
                    let e = m.n_experts;
                    push(t("ffn_gate_inp.weight"), TensorKind::Router, l, h, e, 1);
                    if self.gated_ffn {
                        push(
                            t("ffn_gate_exps.weight"),
                            TensorKind::FfnGate,
                            l,
                            h,
                            m.expert_ff,
                            e,
                        );
                    }
                    push(
                        t("ffn_up_exps.weight"),
                        TensorKind::FfnUp,
                        l,
                        h,
                        m.expert_ff,
                        e,
                    );
                    push(
                        t("ffn_down_exps.weight"),
                        TensorKind::FfnDown,
                        l,
                        m.expert_ff,
                        h,
                        e,
                    );
                    if m.shared_ff > 0 {
                        if self.gated_ffn {
                            push(
                                t("ffn_gate_shexp.weight"),
                                TensorKind::FfnGate,
                                l,
                                h,
                                m.shared_ff,
                                1,
                            );
                        }
                        push(
                            t("ffn_up_shexp.weight"),
                            TensorKind::FfnUp,
                            l,
                            h,
                            m.shared_ff,
                            1,
                        );
                        push(
                            t("ffn_down_shexp.weight"),
                            TensorKind::FfnDown,
                            l,
                            m.shared_ff,
                            h,
                            1,
                        );
                    }
                }
                None => {
                    let ff = self.intermediate;
                    if self.gated_ffn {
                        push(t("ffn_gate.weight"), TensorKind::FfnGate, l, h, ff, 1);
                    }
                    push(t("ffn_up.weight"), TensorKind::FfnUp, l, h, ff, 1);
                    push(t("ffn_down.weight"), TensorKind::FfnDown, l, ff, h, 1);
                }
            }
        }
        out
    }

    /// Parameter totals from [`ModelSpec::tensors`].
    pub fn params(&self) -> ParamCount {
        let mut c = ParamCount::default();
        let used_fraction = |t: &TensorShape| -> f64 {
            match &self.moe {
                Some(m) if t.experts > 1 => m.n_experts_used as f64 / m.n_experts as f64,
                _ => 1.0,
            }
        };
        let mut per_token = 0.0f64;
        for t in self.tensors() {
            let n = t.elements();
            c.total += n;
            match t.kind {
                TensorKind::TokenEmbd => {
                    c.embedding += n;
                    if self.tied_embeddings {
                        per_token += n as f64;
                    }
                }
                TensorKind::Output => {
                    c.output += n;
                    per_token += n as f64;
                }
                TensorKind::AttnQ
                | TensorKind::AttnK
                | TensorKind::AttnV
                | TensorKind::AttnOutput
                | TensorKind::AttnLowRank
                | TensorKind::AttnKvB => {
                    c.attention += n;
                    per_token += n as f64;
                }
                TensorKind::FfnGate
                | TensorKind::FfnUp
                | TensorKind::FfnDown
                | TensorKind::Router => {
                    c.ffn += n;
                    per_token += n as f64 * used_fraction(&t);
                }
                TensorKind::Vector => c.vectors += n,
            }
        }
        c.per_token_matmul = per_token.round() as u64;
        c
    }

    /// Reads a Hugging Face `config.json` (the text). Multimodal configs that nest the language
    /// model under `text_config` are read from there.
    pub fn from_hf_config(name: &str, json: &str) -> Result<ModelSpec, PlanError> {
        let root: serde_json::Value =
            serde_json::from_str(json).map_err(|e| PlanError::Json(e.to_string()))?;
        let obj = root
            .as_object()
            .ok_or_else(|| PlanError::Json("the config is not a JSON object".into()))?;
        // Merge text_config over the root: the root holds model_type/architectures of the
        // wrapper, text_config the language model's numbers.
        let mut map: serde_json::Map<String, serde_json::Value> = obj.clone();
        if let Some(serde_json::Value::Object(text)) = obj.get("text_config") {
            for (k, v) in text {
                map.insert(k.clone(), v.clone());
            }
        }
        let cfg = HfConfig { map: &map };
        let mut assumptions = Vec::new();

        let model_type = cfg
            .str("model_type")
            .map(str::to_string)
            .or_else(|| {
                cfg.map
                    .get("architectures")
                    .and_then(|a| a.get(0))
                    .and_then(|a| a.as_str())
                    .map(|s| s.to_lowercase())
            })
            .unwrap_or_else(|| {
                assumptions.push("no model_type: assumed a Llama-style decoder".into());
                "llama".into()
            });
        let arch = model_type.as_str();

        let n_layers = cfg.req(&["num_hidden_layers", "n_layer", "num_layers"])?;
        let hidden = cfg.req(&["hidden_size", "n_embd", "d_model"])?;
        let n_heads = cfg.req(&["num_attention_heads", "n_head"])?;
        let n_kv_heads = match cfg.u64(&["num_key_value_heads", "n_head_kv"]) {
            Some(v) => v,
            None => {
                assumptions.push(format!(
                    "num_key_value_heads absent: multi-head attention assumed ({n_heads} KV heads)"
                ));
                n_heads
            }
        };
        let head_dim = match cfg.u64(&["head_dim"]) {
            Some(v) => v,
            None => {
                if n_heads == 0 {
                    return Err(PlanError::invalid("num_attention_heads", "0"));
                }
                hidden / n_heads
            }
        };
        let vocab = cfg.req(&["vocab_size", "n_vocab", "padded_vocab_size"])?;
        let max_context = match cfg.u64(&[
            "max_position_embeddings",
            "n_positions",
            "max_sequence_length",
            "seq_length",
            "n_ctx",
        ]) {
            Some(v) => v,
            None => {
                assumptions.push("max_position_embeddings absent: 4096 assumed".into());
                4096
            }
        };
        let tied_embeddings = match cfg.bool("tie_word_embeddings") {
            Some(v) => v,
            None => {
                // transformers' PretrainedConfig defaults to tied; Llama/Mistral/Qwen2 configs
                // override the class default to untied.
                let untied = matches!(
                    arch,
                    "llama" | "mistral" | "mixtral" | "qwen2" | "qwen2_moe" | "qwen3_moe"
                );
                assumptions.push(format!(
                    "tie_word_embeddings absent: {} assumed (the {arch} config default)",
                    if untied { "untied" } else { "tied" }
                ));
                !untied
            }
        };

        // MoE.
        let n_experts = cfg.u64(&["num_local_experts", "num_experts", "n_routed_experts"]);
        let moe = match n_experts {
            Some(e) if e > 1 => {
                let used = cfg.req(&["num_experts_per_tok", "num_selected_experts"])?;
                let expert_ff = cfg
                    .u64(&["moe_intermediate_size"])
                    .or_else(|| cfg.u64(&["intermediate_size"]))
                    .ok_or_else(|| PlanError::Missing("moe_intermediate_size".into()))?;
                let shared_ff = if let Some(s) = cfg.u64(&["shared_expert_intermediate_size"]) {
                    s
                } else {
                    cfg.u64(&["n_shared_experts"]).unwrap_or(0) * expert_ff
                };
                Some(MoeSpec {
                    n_experts: e,
                    n_experts_used: used,
                    expert_ff,
                    shared_ff,
                    n_dense_leading: cfg.u64(&["first_k_dense_replace"]).unwrap_or(0),
                })
            }
            _ => None,
        };
        let intermediate = match cfg.u64(&["intermediate_size", "n_inner", "ffn_hidden_size"]) {
            Some(v) => v,
            None if moe.is_some() => 0,
            None => {
                assumptions.push("intermediate_size absent: 4 × hidden assumed".into());
                4 * hidden
            }
        };

        // MLA.
        let mla = match cfg.u64(&["kv_lora_rank"]) {
            Some(kv_lora_rank) => Some(MlaSpec {
                q_lora_rank: cfg.u64(&["q_lora_rank"]),
                kv_lora_rank,
                qk_nope_head_dim: cfg.req(&["qk_nope_head_dim"])?,
                qk_rope_head_dim: cfg.req(&["qk_rope_head_dim"])?,
                v_head_dim: cfg.req(&["v_head_dim"])?,
            }),
            None => None,
        };
        let (head_dim, v_head_dim) = match &mla {
            Some(m) => (m.qk_nope_head_dim + m.qk_rope_head_dim, m.v_head_dim),
            None => (head_dim, head_dim),
        };

        // Sliding window: which layers use it depends on the family.
        let mut sliding_window = cfg.u64(&["sliding_window", "attention_window_size"]);
        if cfg.bool("use_sliding_window") == Some(false) {
            // Qwen2 configs carry a sliding_window value but switch it off.
            sliding_window = None;
        }
        let sliding_layers = match sliding_window {
            None => 0,
            Some(_) => {
                if let Some(types) = cfg.map.get("layer_types").and_then(|v| v.as_array()) {
                    types
                        .iter()
                        .filter(|t| t.as_str() == Some("sliding_attention"))
                        .count() as u64
                } else if arch == "gemma2" {
                    // Gemma 2 alternates: even layers local, odd layers global
                    // (transformers modeling_gemma2; llama.cpp set_swa_pattern(2)).
                    n_layers.div_ceil(2)
                } else if arch.starts_with("gemma3") {
                    // Gemma 3: every `sliding_window_pattern`-th layer is global (default 6).
                    let p = cfg.u64(&["sliding_window_pattern"]).unwrap_or(6).max(1);
                    n_layers - n_layers / p
                } else {
                    assumptions.push(format!(
                        "sliding_window set without a layer pattern: all {n_layers} layers assumed windowed"
                    ));
                    n_layers
                }
            }
        };
        if sliding_layers == 0 {
            sliding_window = None;
        }

        let attention_bias = cfg.bool("attention_bias");
        let qkv_bias = attention_bias.unwrap_or(matches!(arch, "qwen2" | "qwen2_moe"));
        let o_bias = attention_bias.unwrap_or(false);
        let qk_norm = matches!(arch, "qwen3" | "qwen3_moe" | "olmo2") || arch.starts_with("gemma3");
        let extra_norms_per_layer = if arch == "gemma2" || arch.starts_with("gemma3") {
            2
        } else {
            0
        };
        let gated_ffn = !matches!(arch, "gpt2" | "gpt_neox" | "gptj" | "phi" | "starcoder2");

        if !KNOWN_ARCHES.contains(&arch) {
            assumptions.push(format!(
                "model_type {arch:?} is not one the planner knows: Llama-style blocks assumed"
            ));
        }

        let spec = ModelSpec {
            name: name.to_string(),
            architecture: model_type.clone(),
            n_layers,
            hidden,
            n_heads,
            n_kv_heads: if mla.is_some() { n_heads } else { n_kv_heads },
            head_dim,
            v_head_dim,
            intermediate,
            vocab,
            max_context,
            tied_embeddings,
            qkv_bias,
            o_bias,
            qk_norm,
            extra_norms_per_layer,
            gated_ffn,
            sliding_window,
            sliding_layers,
            moe,
            mla,
            assumptions,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Builds a spec from GGUF metadata (`general.architecture`, `{arch}.block_count`, …; key
    /// names from llama.cpp `src/llama-arch.cpp` LLM_KV_NAMES).
    ///
    /// `has_output_tensor` says whether the file holds an `output.weight` tensor (untied); pass
    /// `None` when the tensor list is not at hand and the architecture's usual choice is taken.
    pub fn from_gguf_metadata(
        meta: &BTreeMap<String, MetaValue>,
        has_output_tensor: Option<bool>,
    ) -> Result<ModelSpec, PlanError> {
        let arch = meta
            .get("general.architecture")
            .and_then(MetaValue::as_str)
            .ok_or_else(|| PlanError::Missing("general.architecture".into()))?
            .to_string();
        let key = |k: &str| format!("{arch}.{k}");
        let get = |k: &str| meta.get(&key(k)).and_then(MetaValue::as_u64);
        let req = |k: &str| get(k).ok_or_else(|| PlanError::Missing(key(k)));
        let mut assumptions = Vec::new();

        let n_layers = req("block_count")?;
        let hidden = req("embedding_length")?;
        let n_heads = req("attention.head_count")?;
        let n_kv_heads = get("attention.head_count_kv").unwrap_or(n_heads);
        let head_dim = get("attention.key_length").unwrap_or(hidden / n_heads.max(1));
        let v_head_dim = get("attention.value_length").unwrap_or(head_dim);
        let vocab = get("vocab_size")
            .or_else(|| {
                meta.get("tokenizer.ggml.tokens")
                    .and_then(MetaValue::array_len)
            })
            .ok_or_else(|| PlanError::Missing(key("vocab_size")))?;
        let max_context = get("context_length").unwrap_or_else(|| {
            assumptions.push("context_length absent: 4096 assumed".into());
            4096
        });
        let tied_embeddings = match has_output_tensor {
            Some(has) => !has,
            None => {
                let tied = matches!(
                    arch.as_str(),
                    "gemma" | "gemma2" | "gemma3" | "qwen3" | "phi2"
                );
                assumptions.push(format!(
                    "tensor list not given: {} embeddings assumed for {arch}",
                    if tied { "tied" } else { "untied" }
                ));
                tied
            }
        };
        let moe = match get("expert_count") {
            Some(e) if e > 1 => Some(MoeSpec {
                n_experts: e,
                n_experts_used: req("expert_used_count")?,
                expert_ff: get("expert_feed_forward_length")
                    .or_else(|| get("feed_forward_length"))
                    .ok_or_else(|| PlanError::Missing(key("expert_feed_forward_length")))?,
                shared_ff: get("expert_shared_feed_forward_length").unwrap_or(
                    get("expert_shared_count").unwrap_or(0)
                        * get("expert_feed_forward_length").unwrap_or(0),
                ),
                n_dense_leading: get("leading_dense_block_count").unwrap_or(0),
            }),
            _ => None,
        };
        let intermediate = get("feed_forward_length").unwrap_or(0);
        let mla = match get("attention.kv_lora_rank") {
            Some(kv_lora_rank) => {
                let rope = get("rope.dimension_count").unwrap_or(64);
                Some(MlaSpec {
                    q_lora_rank: get("attention.q_lora_rank").filter(|&r| r > 0),
                    kv_lora_rank,
                    qk_nope_head_dim: head_dim.saturating_sub(rope),
                    qk_rope_head_dim: rope,
                    v_head_dim,
                })
            }
            None => None,
        };
        let sliding_window = get("attention.sliding_window").filter(|&w| w > 0);
        let sliding_layers = match sliding_window {
            None => 0,
            Some(_) if arch == "gemma2" => n_layers.div_ceil(2),
            Some(_) if arch == "gemma3" => n_layers - n_layers / 6,
            Some(_) => {
                assumptions.push(format!(
                    "{arch}.attention.sliding_window set: all layers assumed windowed"
                ));
                n_layers
            }
        };
        let spec = ModelSpec {
            name: meta
                .get("general.name")
                .and_then(MetaValue::as_str)
                .unwrap_or(&arch)
                .to_string(),
            architecture: arch.clone(),
            n_layers,
            hidden,
            n_heads,
            n_kv_heads: if mla.is_some() { n_heads } else { n_kv_heads },
            head_dim,
            v_head_dim,
            intermediate,
            vocab,
            max_context,
            tied_embeddings,
            qkv_bias: matches!(arch.as_str(), "qwen2" | "qwen2moe"),
            o_bias: false,
            qk_norm: matches!(arch.as_str(), "qwen3" | "qwen3moe" | "gemma3" | "olmo2"),
            extra_norms_per_layer: if matches!(arch.as_str(), "gemma2" | "gemma3") {
                2
            } else {
                0
            },
            gated_ffn: !matches!(arch.as_str(), "gpt2" | "gptneox" | "phi2" | "starcoder2"),
            sliding_window,
            sliding_layers,
            moe,
            mla,
            assumptions,
        };
        spec.validate()?;
        Ok(spec)
    }
}

impl ModelSpec {
    /// Builds a spec from a parsed GGUF header (a model in the library): its metadata, and its
    /// tensor list to tell whether the output projection is tied.
    pub fn from_gguf(file: &crate::gguf::GgufFile) -> Result<ModelSpec, PlanError> {
        let has_output = file.tensors.iter().any(|t| t.name == "output.weight");
        ModelSpec::from_gguf_metadata(&gguf_meta(file), Some(has_output))
    }
}

/// A GGUF header's metadata reduced to [`MetaValue`]s.
pub fn gguf_meta(file: &crate::gguf::GgufFile) -> BTreeMap<String, MetaValue> {
    use crate::gguf::GgufValue as V;
    file.metadata
        .iter()
        .filter_map(|(k, v)| {
            let m = match v {
                V::U8(x) => MetaValue::Int(i64::from(*x)),
                V::I8(x) => MetaValue::Int(i64::from(*x)),
                V::U16(x) => MetaValue::Int(i64::from(*x)),
                V::I16(x) => MetaValue::Int(i64::from(*x)),
                V::U32(x) => MetaValue::Int(i64::from(*x)),
                V::I32(x) => MetaValue::Int(i64::from(*x)),
                V::U64(x) => MetaValue::Int(i64::try_from(*x).ok()?),
                V::I64(x) => MetaValue::Int(*x),
                V::F32(x) => MetaValue::Float(f64::from(*x)),
                V::F64(x) => MetaValue::Float(*x),
                V::Bool(x) => MetaValue::Bool(*x),
                V::String(x) => MetaValue::Str(x.clone()),
                V::Array(a) => MetaValue::ArrayLen(a.len() as u64),
            };
            Some((k.clone(), m))
        })
        .collect()
}

const KNOWN_ARCHES: &[&str] = &[
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "phi3",
    "olmo2",
    "deepseek_v2",
    "deepseek_v3",
    "granite",
    "smollm3",
];

/// A GGUF metadata value reduced to what the planner reads. The GGUF reader's values map onto
/// it: integers of every width to `Int`, floats to `Float`, arrays to their length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MetaValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    ArrayLen(u64),
}

impl MetaValue {
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            MetaValue::Int(v) if *v >= 0 => Some(*v as u64),
            MetaValue::Float(v) if *v >= 0.0 && v.fract() == 0.0 => Some(*v as u64),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn array_len(&self) -> Option<u64> {
        match self {
            MetaValue::ArrayLen(n) => Some(*n),
            _ => None,
        }
    }
}

struct HfConfig<'a> {
    map: &'a serde_json::Map<String, serde_json::Value>,
}

impl HfConfig<'_> {
    /// The first of `keys` present with a non-negative integer value.
    fn u64(&self, keys: &[&str]) -> Option<u64> {
        keys.iter().find_map(|k| {
            let v = self.map.get(*k)?;
            v.as_u64().or_else(|| {
                v.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            })
        })
    }

    fn req(&self, keys: &[&str]) -> Result<u64, PlanError> {
        if let Some(v) = self.u64(keys) {
            return Ok(v);
        }
        // Present but not an integer is a different mistake from absent.
        for k in keys {
            if let Some(v) = self.map.get(*k).filter(|v| !v.is_null()) {
                return Err(PlanError::invalid(k, v.to_string()));
            }
        }
        Err(PlanError::Missing(keys[0].to_string()))
    }

    fn bool(&self, key: &str) -> Option<bool> {
        self.map.get(key).and_then(|v| v.as_bool())
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(|v| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llama3_8b() -> ModelSpec {
        ModelSpec::dense("Llama-3-8B", 32, 4096, 32, 8, 14336, 128256, 8192, false)
    }

    #[test]
    fn llama3_8b_parameter_count_by_hand() {
        let p = llama3_8b().params();
        // embeddings and output: 128256 × 4096 each.
        assert_eq!(p.embedding, 525_336_576);
        assert_eq!(p.output, 525_336_576);
        // per layer: q 4096² + k,v 4096×1024 + o 4096² = 41_943_040; 32 layers.
        assert_eq!(p.attention, 32 * 41_943_040);
        // per layer: 3 × 4096 × 14336.
        assert_eq!(p.ffn, 32 * 176_160_768);
        assert_eq!(p.vectors, 32 * 2 * 4096 + 4096);
        assert_eq!(p.total, 8_030_261_248);
        assert_eq!(p.per_token_matmul, p.total - p.embedding - p.vectors);
    }

    #[test]
    fn hf_config_missing_and_bad_fields_are_errors() {
        let err = ModelSpec::from_hf_config("x", r#"{"hidden_size": 8}"#).unwrap_err();
        assert_eq!(err, PlanError::Missing("num_hidden_layers".into()));
        let err =
            ModelSpec::from_hf_config("x", r#"{"num_hidden_layers": "two", "hidden_size": 8}"#)
                .unwrap_err();
        assert!(matches!(err, PlanError::Invalid { .. }), "{err:?}");
        assert!(matches!(
            ModelSpec::from_hf_config("x", "not json"),
            Err(PlanError::Json(_))
        ));
    }

    #[test]
    fn gguf_metadata_reads_llama_keys() {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: MetaValue| {
            m.insert(k.to_string(), v);
        };
        put("general.architecture", MetaValue::Str("llama".into()));
        put("general.name", MetaValue::Str("SmolLM2 135M".into()));
        put("llama.block_count", MetaValue::Int(30));
        put("llama.embedding_length", MetaValue::Int(576));
        put("llama.feed_forward_length", MetaValue::Int(1536));
        put("llama.attention.head_count", MetaValue::Int(9));
        put("llama.attention.head_count_kv", MetaValue::Int(3));
        put("llama.context_length", MetaValue::Int(8192));
        put("tokenizer.ggml.tokens", MetaValue::ArrayLen(49152));
        let spec = ModelSpec::from_gguf_metadata(&m, Some(false)).unwrap();
        assert_eq!(spec.head_dim, 64);
        assert!(spec.tied_embeddings);
        assert_eq!(spec.params().total, 134_515_008);
        m.remove("llama.block_count");
        assert_eq!(
            ModelSpec::from_gguf_metadata(&m, Some(false)).unwrap_err(),
            PlanError::Missing("llama.block_count".into())
        );
    }

    #[test]
    fn validate_rejects_indivisible_heads() {
        let mut s = llama3_8b();
        s.n_kv_heads = 5;
        assert!(matches!(s.validate(), Err(PlanError::Invalid { .. })));
    }
}
