//! Hand-worked memory cases for the planner: parameter counts, KV cache, weight bytes.

use bitsmith_engine::GgmlType;
use bitsmith_engine::plan::memory::{KvType, kv_cache};
use bitsmith_engine::plan::mix::{StoredTensor, estimate_stored, estimate_weights, tensor_types};
use bitsmith_engine::plan::{ModelSpec, Preset, find_model};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn llama3_8b() -> ModelSpec {
    find_model("llama-3.1-8b-instruct").unwrap().spec().unwrap()
}

#[test]
fn llama3_8b_kv_at_8192_f16_is_exactly_one_gib() {
    // 2 (K,V) × 32 layers × 8 KV heads × 128 dims × 8192 tokens × 2 bytes = 2^30.
    let kv = kv_cache(&llama3_8b(), 8192, 1, KvType::F16);
    assert_eq!(kv.bytes, 1 << 30);
    assert_eq!(kv.k_bytes, kv.v_bytes);
    assert!(kv.formula.contains("8 KV heads"), "{}", kv.formula);
    assert!(kv.formula.ends_with("1.00 GiB"), "{}", kv.formula);
    // A calculator that ignores GQA (all 32 heads, i.e. hidden 4096) says 4 GiB.
    assert_eq!(kv.naive_bytes, 4 << 30);
    // Batch multiplies, q8_0 and q4_0 shrink by their block sizes.
    assert_eq!(kv_cache(&llama3_8b(), 8192, 4, KvType::F16).bytes, 4 << 30);
    assert_eq!(
        kv_cache(&llama3_8b(), 8192, 1, KvType::Q8_0).bytes,
        (1u64 << 30) / 64 * 34
    );
    assert_eq!(
        kv_cache(&llama3_8b(), 8192, 1, KvType::Q4_0).bytes,
        (1u64 << 30) / 64 * 18
    );
}

#[test]
fn parameter_counts_match_published_models() {
    let exact = [
        // (catalog id, parameters counted by hand from the configs)
        ("llama-3.1-8b-instruct", 8_030_261_248u64),
        ("smollm2-135m-instruct", 134_515_008),
        ("smollm2-360m-instruct", 361_821_120),
        ("llama-3.2-1b-instruct", 1_235_814_400),
        ("llama-3.2-3b-instruct", 3_212_749_824),
        ("mistral-7b-instruct-v0.3", 7_248_023_552),
    ];
    for (id, n) in exact {
        let p = find_model(id).unwrap().spec().unwrap().params();
        assert_eq!(p.total, n, "{id}");
    }
    // Rounded figures from the model cards.
    let approx = [
        ("qwen2.5-0.5b-instruct", 0.494e9),
        ("qwen2.5-1.5b-instruct", 1.544e9),
        ("qwen2.5-7b-instruct", 7.616e9),
        ("tinyllama-1.1b-chat", 1.100e9),
        ("gemma-2-2b-it", 2.614e9),
        ("smollm2-1.7b-instruct", 1.711e9),
    ];
    for (id, n) in approx {
        let p = find_model(id).unwrap().spec().unwrap().params();
        let rel = (p.total as f64 - n).abs() / n;
        assert!(rel < 0.002, "{id}: {} vs {n}", p.total);
    }
    // SmolLM2-135M is tied: no output matrix, the embedding serves as the output projection.
    let s = find_model("SmolLM2-135M").unwrap().spec().unwrap();
    assert!(s.tied_embeddings);
    let p = s.params();
    assert_eq!(p.output, 0);
    assert_eq!(p.embedding, 49152 * 576);
    assert_eq!(p.per_token_matmul, p.total - p.vectors);
}

#[test]
fn sliding_window_layers_are_capped() {
    let g = find_model("gemma-2-2b").unwrap().spec().unwrap();
    assert_eq!(g.sliding_window, Some(4096));
    assert_eq!(g.sliding_layers, 13);
    // Per token and layer: 2 × 4 KV heads × 256 dims × 2 B = 4096 B.
    let kv = kv_cache(&g, 8192, 1, KvType::F16);
    assert_eq!(kv.bytes, (13 * 8192 + 13 * 4096) * 4096);
    assert_eq!(kv.sliding_tokens, 4096);
    // Within the window there is nothing to cap.
    assert_eq!(kv_cache(&g, 2048, 1, KvType::F16).bytes, 26 * 2048 * 4096);
    // The naive formula (2 × layers × hidden × ctx × 2 B) is 3× too big for this model.
    assert!(kv.naive_bytes as f64 / kv.bytes as f64 > 2.9);
    // Qwen2.5 carries sliding_window but switches it off.
    let q = find_model("qwen2.5-7b").unwrap().spec().unwrap();
    assert_eq!(q.sliding_window, None);
    assert_eq!(
        kv_cache(&q, 32768, 1, KvType::F16).bytes,
        2 * 28 * 4 * 128 * 32768 * 2
    );
}

#[test]
fn gemma3_pattern_and_layer_types_from_config() {
    let cfg = r#"{"model_type":"gemma3_text","num_hidden_layers":26,"hidden_size":1152,
        "intermediate_size":6912,"num_attention_heads":4,"num_key_value_heads":1,"head_dim":256,
        "vocab_size":262144,"max_position_embeddings":32768,"sliding_window":512,
        "sliding_window_pattern":6}"#;
    let g = ModelSpec::from_hf_config("gemma-3-1b", cfg).unwrap();
    // 26 layers, every 6th global: 4 global, 22 local.
    assert_eq!(g.sliding_layers, 22);
    assert!(g.qk_norm && g.tied_embeddings);
    let kv = kv_cache(&g, 32768, 1, KvType::F16);
    assert_eq!(kv.bytes, (4 * 32768 + 22 * 512) * 2 * 256 * 2);
    let naive = kv.naive_bytes as f64 / kv.bytes as f64;
    assert!(naive > 7.0, "naive/real = {naive}");
    let cfg2 = r#"{"model_type":"x","num_hidden_layers":4,"hidden_size":64,"num_attention_heads":4,
        "num_key_value_heads":2,"intermediate_size":128,"vocab_size":100,"sliding_window":16,
        "layer_types":["sliding_attention","full_attention","sliding_attention","sliding_attention"]}"#;
    let m = ModelSpec::from_hf_config("x", cfg2).unwrap();
    assert_eq!(m.sliding_layers, 3);
    assert!(
        m.assumptions
            .iter()
            .any(|a| a.contains("not one the planner knows"))
    );
}

#[test]
fn mla_and_moe_from_deepseek_v2_lite_config() {
    // deepseek-ai/DeepSeek-V2-Lite config.json (planning fields).
    let cfg = r#"{"model_type":"deepseek_v2","num_hidden_layers":27,"hidden_size":2048,
        "intermediate_size":10944,"moe_intermediate_size":1408,"num_attention_heads":16,
        "num_key_value_heads":16,"n_routed_experts":64,"n_shared_experts":2,
        "num_experts_per_tok":6,"first_k_dense_replace":1,"kv_lora_rank":512,"q_lora_rank":null,
        "qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"vocab_size":102400,
        "max_position_embeddings":163840,"tie_word_embeddings":false}"#;
    let m = ModelSpec::from_hf_config("DeepSeek-V2-Lite", cfg).unwrap();
    let p = m.params();
    // 15.7B total, 2.4B activated per token (model card).
    assert!((p.total as f64 / 15.7e9 - 1.0).abs() < 0.005, "{}", p.total);
    assert!(
        ((p.per_token_matmul as f64) / 2.4e9 - 1.0).abs() < 0.03,
        "{}",
        p.per_token_matmul
    );
    // MLA caches 512 + 64 values per token and layer, once.
    let kv = kv_cache(&m, 4096, 1, KvType::F16);
    assert_eq!(kv.bytes, 27 * 576 * 4096 * 2);
    assert_eq!(kv.v_bytes, 0);
    // Mixtral-8x7B: 46.7B (exact by hand).
    let mixtral = r#"{"model_type":"mixtral","num_hidden_layers":32,"hidden_size":4096,
        "intermediate_size":14336,"num_attention_heads":32,"num_key_value_heads":8,
        "num_local_experts":8,"num_experts_per_tok":2,"vocab_size":32000,
        "max_position_embeddings":32768,"tie_word_embeddings":false}"#;
    let mx = ModelSpec::from_hf_config("Mixtral-8x7B", mixtral).unwrap();
    assert_eq!(mx.params().total, 46_702_792_704);
    // Weight estimates for both run through the preset planner.
    let w = estimate_weights(&mx, Preset::Q4_K_M, false).unwrap();
    assert!(w.expert_bytes > w.bytes * 9 / 10);
    assert!(w.decode_read_bytes < w.bytes / 3);
    estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
}

#[test]
fn llama3_8b_weight_bytes_match_llama_cpp_published_sizes() {
    // Sizes printed by llama-quantize for Llama-3-8B (tools/quantize/quantize.cpp,
    // QUANT_OPTIONS), in GiB. Those include the GGUF header (~5 MB of vocabulary), which tensor
    // bytes do not, so ours must be slightly below and within 0.6 %.
    let m = llama3_8b();
    let published = [
        (Preset::Q8_0, 7.96),
        (Preset::Q6_K, 6.14),
        (Preset::Q5_K_M, 5.33),
        (Preset::Q5_K_S, 5.21),
        (Preset::Q5_1, 5.65),
        (Preset::Q5_0, 5.21),
        (Preset::Q4_K_M, 4.58),
        (Preset::Q4_K_S, 4.37),
        (Preset::Q4_1, 4.78),
        (Preset::Q4_0, 4.34),
        (Preset::Q3_K_L, 4.03),
        (Preset::Q3_K_M, 3.74),
        (Preset::Q3_K_S, 3.41),
        (Preset::Q2_K, 2.96),
    ];
    for (p, gib) in published {
        let w = estimate_weights(&m, p, false).unwrap();
        let ours = w.bytes as f64 / GIB;
        let rel = (ours - gib) / gib;
        assert!(rel.abs() < 0.006, "{p}: {ours:.3} GiB vs published {gib}");
        assert!(
            w.fallbacks.is_empty(),
            "{p}: 4096-wide rows never fall back"
        );
    }
    // Q4_K_M by hand: 16 of 32 attn_v and ffn_down layers in Q6_K (use_more_bits), output Q6_K.
    let w = estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
    let q6 = &w.by_type["Q6_K"];
    assert_eq!(q6.tensors, 16 + 16 + 1);
    assert_eq!(
        q6.params,
        16 * 4096 * 1024 + 16 * 14336 * 4096 + 128256 * 4096
    );
}

#[test]
fn smollm2_q4_1_matches_the_shipped_file_tensor_for_tensor() {
    #[derive(serde::Deserialize)]
    struct T {
        name: String,
        #[serde(rename = "type")]
        ty: String,
        shape: Vec<u64>,
        bytes: u64,
    }
    #[derive(serde::Deserialize)]
    struct F {
        tensor_data_bytes: u64,
        tensors: Vec<T>,
    }
    let f: F =
        serde_json::from_str(include_str!("fixtures/plan/smollm2-135m-q4_1.tensors.json")).unwrap();
    let m = find_model("smollm2-135m-instruct").unwrap().spec().unwrap();
    let ours = tensor_types(&m, Preset::Q4_1, false).unwrap();
    assert_eq!(ours.len(), f.tensors.len());
    for t in &f.tensors {
        let (shape, choice) = ours
            .iter()
            .find(|(s, _)| s.name == t.name)
            .unwrap_or_else(|| panic!("{} not planned", t.name));
        assert_eq!(choice.ty.name(), t.ty, "{}", t.name);
        assert_eq!(shape.row_len, t.shape[0], "{}", t.name);
        assert_eq!(
            shape.elements(),
            t.shape.iter().product::<u64>(),
            "{}",
            t.name
        );
    }
    let w = estimate_weights(&m, Preset::Q4_1, false).unwrap();
    assert_eq!(w.bytes, f.tensor_data_bytes);
    // The tied embedding wanted Q6_K but 576 is not a multiple of 256: Q8_0.
    assert_eq!(w.fallbacks.len(), 1);
    assert_eq!(
        (w.fallbacks[0].from, w.fallbacks[0].to),
        (GgmlType::Q6_K, GgmlType::Q8_0)
    );
    // The same bytes through the stored-file path (a library model's real tensor list).
    let stored: Vec<StoredTensor> = f
        .tensors
        .iter()
        .map(|t| StoredTensor {
            name: t.name.clone(),
            ty: GgmlType::from_name(&t.ty).unwrap(),
            elements: t.shape.iter().product(),
            row_len: t.shape[0],
        })
        .collect();
    let s = estimate_stored(&m, "as stored", &stored);
    assert_eq!(s.bytes, f.tensor_data_bytes);
    assert_eq!(s.bytes, f.tensors.iter().map(|t| t.bytes).sum::<u64>());
    assert_eq!(s.decode_read_bytes, w.decode_read_bytes);
}

#[test]
fn k_quant_presets_fall_back_on_576_wide_rows() {
    let m = find_model("smollm2-135m-instruct").unwrap().spec().unwrap();
    let w = estimate_weights(&m, Preset::Q4_K_M, false).unwrap();
    // Every layer tensor with 576-wide rows leaves its k-quant; only ffn_down (rows of 1536)
    // keeps one. (The tied embedding goes to Q8_0 by the output rule itself, not a fallback.)
    let fell: u64 = w.fallbacks.iter().map(|f| f.tensors).sum();
    assert_eq!(fell, 30 * 6);
    assert!(w.by_type.contains_key("Q5_0"));
    assert_eq!(w.by_type["Q4_K"].tensors + w.by_type["Q6_K"].tensors, 30);
    // A rule-of-thumb 4.5 bpw (Q4_K's format) under-counts this model.
    assert!(w.bpw > 5.5, "{}", w.bpw);
}

#[test]
fn kv_and_compute_match_what_llama_cpp_allocates() {
    // Sizes llama.cpp reported for SmolLM2-135M Q4_1 on the CPU
    // (scripts/plan_llama_memory.py writes the fixture).
    #[derive(serde::Deserialize)]
    struct Run {
        ctx: u64,
        ubatch: u64,
        flash_attention: bool,
        kv_mib: f64,
        compute_mib: f64,
        model_mib: f64,
    }
    #[derive(serde::Deserialize)]
    struct F {
        runs: Vec<Run>,
    }
    let f: F =
        serde_json::from_str(include_str!("fixtures/plan/llama-cpp-memory-smollm2.json")).unwrap();
    let m = find_model("smollm2-135m-instruct").unwrap().spec().unwrap();
    let w = estimate_weights(&m, Preset::Q4_1, false).unwrap();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    assert_eq!(f.runs.len(), 6);
    for r in &f.runs {
        // Weights and KV cache: exact (llama.cpp prints two decimals).
        assert!((mib(w.bytes) - r.model_mib).abs() < 0.005);
        let kv = kv_cache(&m, r.ctx, 1, KvType::F16);
        assert!((mib(kv.bytes) - r.kv_mib).abs() < 0.005, "ctx {}", r.ctx);
        // Compute buffer: within 5 % (the estimate leaves out small per-node tensors).
        let c = bitsmith_engine::plan::memory::compute_buffer(
            &m,
            r.ctx,
            1,
            r.ubatch,
            r.flash_attention,
        );
        let rel = (mib(c.bytes) - r.compute_mib) / r.compute_mib;
        assert!(
            rel.abs() < 0.05,
            "ctx {} fa {}: ours {:.2} MiB vs llama.cpp {} MiB",
            r.ctx,
            r.flash_attention,
            mib(c.bytes),
            r.compute_mib
        );
    }
}
