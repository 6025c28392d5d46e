//! Memory besides the weights: KV cache, compute buffers and runtime overhead, each with the
//! formula that produced it so the UI can show its working.

use serde::{Deserialize, Serialize};

use super::PlanError;
use super::format_bytes;
use super::model::ModelSpec;
use crate::GgmlType;

/// Element type of the KV cache (llama.cpp `--cache-type-k/-v`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvType {
    F16,
    Q8_0,
    Q4_0,
}

impl KvType {
    pub const ALL: &'static [KvType] = &[KvType::F16, KvType::Q8_0, KvType::Q4_0];

    pub fn ggml(self) -> GgmlType {
        match self {
            KvType::F16 => GgmlType::F16,
            KvType::Q8_0 => GgmlType::Q8_0,
            KvType::Q4_0 => GgmlType::Q4_0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KvType::F16 => "f16",
            KvType::Q8_0 => "q8_0",
            KvType::Q4_0 => "q4_0",
        }
    }

    pub fn from_name(s: &str) -> Result<KvType, PlanError> {
        KvType::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| PlanError::invalid("kv type", s))
    }

    /// Bytes per element as a fraction: f16 2/1, q8_0 34/32, q4_0 18/32 (block layouts in
    /// ggml `ggml-common.h`: a 32-element block carries an f16 scale).
    pub fn bytes_per_element(self) -> (u64, u64) {
        let t = self.ggml();
        (t.type_size() as u64, t.block_size() as u64)
    }

    /// Bytes of one cache row of `elements` values (rounded up to whole blocks).
    fn row_bytes(self, elements: u64) -> u64 {
        let (num, den) = self.bytes_per_element();
        elements.div_ceil(den) * num
    }

    fn per_element_text(self) -> String {
        let (num, den) = self.bytes_per_element();
        if den == 1 {
            format!("{num} B")
        } else {
            format!("{num}/{den} B")
        }
    }
}

/// The KV cache for a context and batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KvEstimate {
    pub kv_type: KvType,
    pub ctx: u64,
    pub batch: u64,
    pub bytes: u64,
    pub k_bytes: u64,
    pub v_bytes: u64,
    pub full_layers: u64,
    pub sliding_layers: u64,
    /// Tokens a sliding layer keeps per sequence (`min(ctx, window)`).
    pub sliding_tokens: u64,
    pub formula: String,
    /// What a calculator that ignores GQA, windows and MLA would say:
    /// `2 × n_layers × hidden × ctx × batch × bytes` — shown for comparison only.
    pub naive_bytes: u64,
    pub notes: Vec<String>,
}

/// KV cache bytes = Σ over layers of cached tokens × (K row + V row).
///
/// Full-attention layers cache `ctx` tokens per sequence, sliding-window layers only
/// `min(ctx, window)` (llama.cpp's iSWA cache additionally keeps one micro-batch of slack,
/// `src/llama-kv-cache-iswa.cpp`; that slack is not counted here). Rows are
/// `n_kv_heads × head_dim` (GQA-aware), or the MLA latent.
pub fn kv_cache(model: &ModelSpec, ctx: u64, batch: u64, kv_type: KvType) -> KvEstimate {
    let (k_el, v_el) = model.kv_elements_per_token_layer();
    let k_row = kv_type.row_bytes(k_el);
    let v_row = kv_type.row_bytes(v_el);
    let full = model.full_layers();
    let sliding = model.n_layers - full;
    let window = model.sliding_window.unwrap_or(ctx);
    let sliding_tokens = ctx.min(window);
    let cells_full = full * ctx * batch;
    let cells_sliding = sliding * sliding_tokens * batch;
    let k_bytes = (cells_full + cells_sliding) * k_row;
    let v_bytes = (cells_full + cells_sliding) * v_row;
    let bytes = k_bytes + v_bytes;
    let per = kv_type.per_element_text();
    let tname = kv_type.name();
    let mut notes = Vec::new();
    let block = kv_type.bytes_per_element().1;
    if block > 1 && (k_el % block != 0 || v_el % block != 0) {
        notes.push(format!(
            "{tname} needs rows that are a multiple of {block}; llama.cpp refuses this cache type for rows of {k_el}/{v_el}"
        ));
    }
    let formula = match &model.mla {
        Some(m) => format!(
            "{} layers × ({} latent + {} rope) × {ctx} tokens × {batch} seq × {per} ({tname}) = {} — MLA caches one latent per token, no separate V",
            model.n_layers,
            m.kv_lora_rank,
            m.qk_rope_head_dim,
            format_bytes(bytes)
        ),
        None if sliding > 0 => format!(
            "2 (K,V) × {} KV heads × {} dims × ({full} full layers × {ctx} tokens + {sliding} sliding layers × {sliding_tokens} tokens) × {batch} seq × {per} ({tname}) = {}",
            model.n_kv_heads,
            model.head_dim,
            format_bytes(bytes)
        ),
        None => format!(
            "2 (K,V) × {} layers × {} KV heads × {} dims × {ctx} tokens × {batch} seq × {per} ({tname}) = {}",
            model.n_layers,
            model.n_kv_heads,
            model.head_dim,
            format_bytes(bytes)
        ),
    };
    let (num, den) = kv_type.bytes_per_element();
    let naive_bytes = (2 * model.n_layers * model.hidden * ctx * batch * num) / den;
    KvEstimate {
        kv_type,
        ctx,
        batch,
        bytes,
        k_bytes,
        v_bytes,
        full_layers: full,
        sliding_layers: sliding,
        sliding_tokens,
        formula,
        naive_bytes,
        notes,
    }
}

/// The scratch memory a forward pass needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputeEstimate {
    pub bytes: u64,
    pub ubatch: u64,
    pub logits_bytes: u64,
    /// Score matrix plus KQ mask.
    pub attention_bytes: u64,
    pub ffn_bytes: u64,
    pub residual_bytes: u64,
    pub formula: String,
}

/// Compute buffer ≈ max(logits, attention, FFN activations) + residual stream.
///
/// ggml's graph allocator reuses memory between nodes, so the peak is the largest stage, not
/// the sum. llama.cpp reserves the graph for a full micro-batch of outputs (`n_ubatch`, default
/// 512) — logits `vocab × ubatch × 4 B`. The attention stage holds the KQ mask
/// `kv_cells × ubatch` (f32, or f16 with flash attention) and, without flash attention, the
/// score matrix `n_heads × kv_cells × ubatch × 4 B` (flash attention tiles it away). The FFN
/// holds gate and up activations `2 × ff × ubatch × 4 B`; the residual stream and its normed
/// copy `2 × hidden × ubatch × 4 B` live throughout. Checked against llama.cpp's reported
/// "compute buffer size" for SmolLM2-135M on CPU (see `tests/plan_memory.rs`).
pub fn compute_buffer(
    model: &ModelSpec,
    ctx: u64,
    batch: u64,
    ubatch: u64,
    flash_attention: bool,
) -> ComputeEstimate {
    let ub = ubatch.min(ctx * batch).max(1);
    let logits = model.vocab * ub * 4;
    let cells = ctx * batch;
    let (scores, mask) = if flash_attention {
        (0, cells * ub * 2)
    } else {
        (model.n_heads * cells * ub * 4, cells * ub * 4)
    };
    let attention = scores + mask;
    let ff = match &model.moe {
        Some(m) => (m.expert_ff * m.n_experts_used + m.shared_ff).max(model.intermediate),
        None => model.intermediate,
    };
    let ffn = 2 * ff * ub * 4;
    let residual = 2 * model.hidden * ub * 4;
    let bytes = logits.max(attention).max(ffn) + residual;
    let scores_text = if flash_attention {
        format!(
            "attention: mask {cells} cells × {ub} × 2 B = {} (flash attention: no score matrix)",
            format_bytes(attention)
        )
    } else {
        format!(
            "attention: scores {} heads × {cells} cells × {ub} × 4 B + mask {cells} × {ub} × 4 B = {}",
            model.n_heads,
            format_bytes(attention)
        )
    };
    let formula = format!(
        "max(logits {} vocab × {ub} ubatch × 4 B = {}, {scores_text}, FFN 2 × {ff} × {ub} × 4 B = {}) + residual 2 × {} × {ub} × 4 B = {}",
        model.vocab,
        format_bytes(logits),
        format_bytes(ffn),
        model.hidden,
        format_bytes(bytes)
    );
    ComputeEstimate {
        bytes,
        ubatch: ub,
        logits_bytes: logits,
        attention_bytes: attention,
        ffn_bytes: ffn,
        residual_bytes: residual,
        formula,
    }
}

/// One bar of the memory chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryItem {
    /// Stable key: `weights`, `kv_cache`, `compute`, `overhead`.
    pub key: String,
    pub label: String,
    pub bytes: u64,
    pub formula: String,
}

/// Everything resident while the model runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryBreakdown {
    pub items: Vec<MemoryItem>,
    pub total: u64,
}

impl MemoryBreakdown {
    pub fn new(items: Vec<MemoryItem>) -> MemoryBreakdown {
        let total = items.iter().map(|i| i.bytes).sum();
        MemoryBreakdown { items, total }
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.items.iter().find(|i| i.key == key).map(|i| i.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_bytes_per_element() {
        assert_eq!(KvType::F16.bytes_per_element(), (2, 1));
        assert_eq!(KvType::Q8_0.bytes_per_element(), (34, 32));
        assert_eq!(KvType::Q4_0.bytes_per_element(), (18, 32));
        assert_eq!(KvType::from_name("Q8_0").unwrap(), KvType::Q8_0);
        assert!(KvType::from_name("q3").is_err());
    }

    #[test]
    fn quantized_kv_scales_by_block_size() {
        let m = ModelSpec::dense("m", 32, 4096, 32, 8, 14336, 128256, 8192, false);
        let f16 = kv_cache(&m, 8192, 1, KvType::F16).bytes;
        assert_eq!(kv_cache(&m, 8192, 1, KvType::Q8_0).bytes, f16 / 64 * 34);
        assert_eq!(kv_cache(&m, 8192, 1, KvType::Q4_0).bytes, f16 / 64 * 18);
    }

    #[test]
    fn compute_buffer_llama3_8b_by_hand() {
        let m = ModelSpec::dense("m", 32, 4096, 32, 8, 14336, 128256, 8192, false);
        let c = compute_buffer(&m, 8192, 1, 512, false);
        // scores 32 × 8192 × 512 × 4 = 512 MiB + mask 16 MiB dominate the logits (250.5 MiB);
        // + residual 16 MiB.
        assert_eq!(c.attention_bytes, (512 << 20) + (16 << 20));
        assert_eq!(c.logits_bytes, 128256 * 512 * 4);
        assert_eq!(c.bytes, (528 << 20) + 2 * 4096 * 512 * 4);
        let fa = compute_buffer(&m, 8192, 1, 512, true);
        assert_eq!(fa.bytes, 128256 * 512 * 4 + 2 * 4096 * 512 * 4);
    }
}
