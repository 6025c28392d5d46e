//! `bitsmith plan`'s module, compiled here on its own (as the binary compiles it) and driven
//! through clap, so the CLI is tested whether or not `main` has wired the subcommand yet.

#[path = "../src/bin/bitsmith/plan.rs"]
mod plan;

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: plan::PlanArgs,
}

fn render(argv: &[&str]) -> Result<String, String> {
    let cli = Cli::try_parse_from(std::iter::once("plan").chain(argv.iter().copied()))
        .map_err(|e| e.to_string())?;
    plan::render(&cli.args)
}

#[test]
fn catalog_model_on_a_device() {
    let out = render(&[
        "--catalog",
        "llama-3.1-8b-instruct",
        "--device",
        "rtx-3060-12gb",
        "--ctx",
        "8192",
    ])
    .unwrap();
    assert!(out.contains("Model:   Llama-3.1-8B-Instruct"), "{out}");
    assert!(out.contains("Memory for Q8_0:"), "{out}");
    assert!(out.contains("KV cache (f16)"), "{out}");
    assert!(out.contains("Best: Q8_0 (fits)"), "{out}");
    assert!(out.contains("does not fit"), "{out}");
    assert!(out.contains("memory-bound"), "{out}");
    // One row per planned preset.
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("Q4_K_M ") || l.starts_with("F16 "))
            .count(),
        2
    );
    run_ok(&["--list-devices"]);
}

fn run_ok(argv: &[&str]) {
    let cli = Cli::try_parse_from(std::iter::once("plan").chain(argv.iter().copied())).unwrap();
    plan::run(cli.args).unwrap();
}

#[test]
fn config_file_json_cost_and_calibration() {
    let dir = std::env::temp_dir().join(format!("bitsmith-plan-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.json");
    std::fs::write(
        &cfg,
        r#"{"model_type":"llama","num_hidden_layers":30,"hidden_size":576,
            "intermediate_size":1536,"num_attention_heads":9,"num_key_value_heads":3,
            "vocab_size":49152,"max_position_embeddings":8192,"tie_word_embeddings":true}"#,
    )
    .unwrap();
    let out = render(&[
        "--config",
        cfg.to_str().unwrap(),
        "--device",
        "nvidia-t4",
        "--preset",
        "Q8_0,Q4_K_M",
        "--kv",
        "q8_0",
        "--api-input",
        "0.1",
        "--api-output",
        "0.4",
        "--measured-decode",
        "300",
        "--json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["params"]["total"], 134_515_008u64);
    assert_eq!(v["presets"].as_array().unwrap().len(), 2);
    assert_eq!(v["options"]["kv_type"], "q8_0");
    assert!(
        v["presets"][0]["cost"]["break_even_tokens_per_month"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let cal = &v["calibration"];
    let err = cal["points"][0]["error_after_pct"].as_f64().unwrap();
    assert!(err.abs() < 0.1, "{cal}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn memory_only_and_lists() {
    let out = render(&["--catalog", "gemma-2-2b", "--ctx", "8192"]).unwrap();
    assert!(out.contains("13 sliding layers × 4096 tokens"), "{out}");
    assert!(out.contains("no --device"), "{out}");
    let out = render(&["--list-models"]).unwrap();
    assert_eq!(out.lines().count(), 13);
    let out = render(&["--list-devices"]).unwrap();
    assert!(out.contains("h100-sxm"));
}

#[test]
fn usage_errors_are_messages() {
    assert!(
        render(&[])
            .unwrap_err()
            .contains("--catalog NAME or --gguf FILE")
    );
    assert!(render(&["--catalog", "nope-9000"]).is_err());
    assert!(
        render(&["--catalog", "tinyllama", "--device", "toaster"])
            .unwrap_err()
            .contains("toaster")
    );
    assert!(render(&["--catalog", "tinyllama", "--kv", "q5"]).is_err());
    assert!(render(&["--catalog", "tinyllama", "--preset", "Q9"]).is_err());
    // --config and --catalog are exclusive.
    assert!(render(&["--catalog", "tinyllama", "--config", "x.json"]).is_err());
    assert!(
        render(&[
            "--catalog",
            "tinyllama",
            "--device",
            "t4",
            "--measured-decode",
            "50"
        ])
        .unwrap_err()
        .contains("--preset")
    );
}

#[test]
#[ignore = "prints sample reports for a human to read"]
fn show() {
    for argv in [
        &[
            "--catalog",
            "llama-3.1-8b-instruct",
            "--device",
            "rtx-3060-12gb",
            "--ctx",
            "8192",
        ][..],
        &[
            "--catalog",
            "smollm2-135m",
            "--device",
            "nvidia-t4",
            "--api-input",
            "0.1",
            "--api-output",
            "0.4",
            "--preset",
            "Q8_0,Q4_K_M,Q4_0",
        ][..],
        &[
            "--catalog",
            "qwen2.5-1.5b",
            "--device",
            "iphone-15-pro",
            "--ctx",
            "32768",
        ][..],
    ] {
        println!(
            "$ bitsmith plan {}\n{}",
            argv.join(" "),
            render(argv).unwrap()
        );
    }
    // A real file: BITSMITH_PLAN_GGUF=path/to/model.gguf cargo test … show -- --ignored
    if let Ok(path) = std::env::var("BITSMITH_PLAN_GGUF") {
        let argv = [
            "--gguf",
            path.as_str(),
            "--device",
            "pixel-8",
            "--preset",
            "Q4_K_M,Q8_0",
        ];
        println!(
            "$ bitsmith plan {}\n{}",
            argv.join(" "),
            render(&argv).unwrap()
        );
    }
}

#[test]
fn gguf_header_gives_shape_and_exact_stored_bytes() {
    // A GGUF with SmolLM2-135M's metadata and tensor list (no data needed for planning; the
    // header parser only checks offsets against the file size, so the data is zero-filled).
    use bitsmith_engine::GgmlType;
    use bitsmith_engine::gguf::{GgufArray, GgufValue, GgufWriter, TensorInfo};
    #[derive(serde::Deserialize)]
    struct T {
        name: String,
        #[serde(rename = "type")]
        ty: String,
        shape: Vec<u64>,
    }
    #[derive(serde::Deserialize)]
    struct F {
        tensor_data_bytes: u64,
        tensors: Vec<T>,
    }
    let f: F =
        serde_json::from_str(include_str!("fixtures/plan/smollm2-135m-q4_1.tensors.json")).unwrap();
    let u32v = |v| GgufValue::U32(v);
    let meta = vec![
        (
            "general.architecture".to_string(),
            GgufValue::String("llama".into()),
        ),
        (
            "general.name".to_string(),
            GgufValue::String("SmolLM2 135M".into()),
        ),
        ("llama.block_count".to_string(), u32v(30)),
        ("llama.context_length".to_string(), u32v(8192)),
        ("llama.embedding_length".to_string(), u32v(576)),
        ("llama.feed_forward_length".to_string(), u32v(1536)),
        ("llama.attention.head_count".to_string(), u32v(9)),
        ("llama.attention.head_count_kv".to_string(), u32v(3)),
        (
            "tokenizer.ggml.tokens".to_string(),
            GgufValue::Array(GgufArray::String(vec![String::new(); 49152])),
        ),
    ];
    let infos: Vec<TensorInfo> = f
        .tensors
        .iter()
        .map(|t| TensorInfo {
            name: t.name.clone(),
            dims: t.shape.clone(),
            ggml_type: GgmlType::from_name(&t.ty).unwrap(),
            offset: 0,
        })
        .collect();
    let w = GgufWriter::new(meta, infos).unwrap();
    let dir = std::env::temp_dir().join(format!("bitsmith-plan-gguf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("smollm2.gguf");
    std::fs::write(&path, w.header_bytes()).unwrap();
    // The data section as a sparse hole: the planner reads only the header.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(w.total_size())
        .unwrap();
    let out = render(&[
        "--gguf",
        path.to_str().unwrap(),
        "--device",
        "pixel-8",
        "--json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["params"]["total"], 134_515_008u64);
    assert_eq!(v["model"]["tied_embeddings"], true);
    let last = v["presets"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["label"], "as stored (smollm2.gguf)");
    assert_eq!(last["weights"]["bytes"], f.tensor_data_bytes);
    assert_eq!(last["verdict"]["fit"], "fits");
    let text = render(&["--gguf", path.to_str().unwrap(), "--device", "pixel-8"]).unwrap();
    assert!(
        text.contains("Memory for as stored (smollm2.gguf):"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
