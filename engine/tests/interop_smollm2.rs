//! Interop proof against llama.cpp on SmolLM2-135M-Instruct: runs `scripts/interop_llama.py`
//! with this build's `bitsmith` binary.
//!
//! The script dequantizes the shipped Q4_1 GGUF to F32 with `bitsmith dequantize`, quantizes it
//! to Q8_0, Q4_K_M and Q2_K with both `bitsmith quantize` and llama.cpp's `llama_model_quantize`
//! (llama-cpp-python 0.3.36, nthread=1), compares the files (metadata, tensor order, types,
//! data), loads Bitsmith's files in `llama_cpp.Llama` and generates text, repeats Q4_K_M with a
//! synthetic importance matrix, and checks that F32 → Q4_1 reproduces the shipped file's tensor
//! data.
//!
//! Needs the model (`scripts/fetch_test_models.sh`: `$BITSMITH_MODELS` or
//! `~/.cache/bitsmith/models/`) and a Python with `llama_cpp`, `gguf` and `numpy`
//! (`scripts/build_llama_wheel.sh`; `$BITSMITH_PYTHON` picks the interpreter, default
//! `python3`). Without them the test prints a SKIPPED notice and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

const MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn model_path() -> Option<PathBuf> {
    let dir = std::env::var_os("BITSMITH_MODELS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bitsmith/models"))
        })?;
    let p = dir.join(MODEL);
    p.is_file().then_some(p)
}

fn python() -> String {
    std::env::var("BITSMITH_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn python_has_llama_cpp(py: &str) -> bool {
    Command::new(py)
        .args(["-c", "import llama_cpp, gguf, numpy"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bitsmith_matches_llama_cpp_on_smollm2() {
    let Some(model) = model_path() else {
        eprintln!("SKIPPED: {MODEL} not found; run scripts/fetch_test_models.sh");
        return;
    };
    let py = python();
    if !python_has_llama_cpp(&py) {
        eprintln!(
            "SKIPPED: {py} cannot import llama_cpp, gguf and numpy; run scripts/build_llama_wheel.sh"
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop_llama.py");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop_smollm2");
    let _ = std::fs::remove_dir_all(&work);
    let out = Command::new(&py)
        .arg(&script)
        .args(["--bitsmith", env!("CARGO_BIN_EXE_bitsmith")])
        .arg("--model")
        .arg(&model)
        .arg("--workdir")
        .arg(&work)
        .args(["--types", "Q8_0,Q4_K_M,Q2_K", "--threads", "2"])
        .output()
        .expect("run interop_llama.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); exit {:?}\nstderr:\n{stderr}",
            out.status
        )
    });
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());

    for preset in ["Q8_0", "Q4_K_M", "Q2_K"] {
        let r = &report["types"][preset];
        assert_eq!(
            r["type_mismatches"],
            serde_json::json!({}),
            "{preset} types"
        );
        assert_eq!(r["data_mismatches"], serde_json::json!({}), "{preset} data");
        assert_eq!(r["metadata_keys_equal"], true, "{preset} metadata keys");
        assert_eq!(
            r["metadata_values_differing"],
            serde_json::json!([]),
            "{preset} metadata values"
        );
        assert_eq!(r["tensor_order_equal"], true, "{preset} tensor order");
        // Same metadata, order, types and data: the files are identical byte for byte.
        assert_eq!(r["files_identical"], true, "{preset} whole file");
        assert_eq!(r["loads_and_generates"], true, "{preset} llama.cpp load");
        assert_eq!(r["same_text"], true, "{preset} generated text");
    }
    // Q4_K_M on SmolLM2 (576-wide rows) exercises the shape fallbacks and use_more_bits.
    let types = &report["types"]["Q4_K_M"]["types"];
    assert!(types["Q5_0"].as_u64().unwrap_or(0) > 0, "{types}");
    assert!(types["Q6_K"].as_u64().unwrap_or(0) > 0, "{types}");
    // With an importance matrix (same values through --imatrix and llama's params.imatrix).
    let im = &report["imatrix_q4_k_m"];
    assert_eq!(
        im["type_mismatches"],
        serde_json::json!({}),
        "imatrix types"
    );
    assert_eq!(im["data_mismatches"], serde_json::json!({}), "imatrix data");
    assert_eq!(im["imatrix_changes_output"], true, "imatrix must matter");
    assert_eq!(im["ok"], true, "imatrix Q4_K_M");
    assert_eq!(report["q4_1_round_trip"]["ok"], true, "Q4_1 round trip");
    assert!(out.status.success(), "script failed:\n{stderr}");
}
