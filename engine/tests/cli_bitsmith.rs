//! End-to-end tests of the `bitsmith` binary on small GGUFs written with the engine's own writer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{GgufArray, GgufFile, GgufValue, TensorInfo, write_gguf};
use bitsmith_engine::pipeline::SourceModel;
use bitsmith_engine::preset::{Preset, QuantOptions};
use bitsmith_engine::quant;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bitsmith"))
}

/// A fresh scratch directory per test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run bitsmith")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Asserts a failed run printed exactly one `bitsmith: error:` line containing `needle`.
fn assert_error(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure, got success");
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected, got:\n{err}");
    assert!(lines[0].starts_with("bitsmith: error: "), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
}

fn values(n: u64, seed: &mut u32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((*seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.2
        })
        .collect()
}

/// A tiny llama-style model. `d` is the embedding width (576 exercises the k-quant
/// fallbacks), weights are stored as `ty`.
fn write_model(path: &Path, d: u64, ty: GgmlType) {
    let tokens: Vec<String> = (0..100).map(|i| format!("tok{i}")).collect();
    let md = vec![
        (
            "general.architecture".to_string(),
            GgufValue::String("llama".into()),
        ),
        ("general.name".to_string(), GgufValue::String("tiny".into())),
        ("llama.block_count".to_string(), GgufValue::U32(2)),
        (
            "llama.embedding_length".to_string(),
            GgufValue::U32(d as u32),
        ),
        ("llama.attention.head_count".to_string(), GgufValue::U32(4)),
        (
            "llama.attention.head_count_kv".to_string(),
            GgufValue::U32(2),
        ),
        ("general.file_type".to_string(), GgufValue::U32(0)),
        (
            "tokenizer.ggml.tokens".to_string(),
            GgufValue::Array(GgufArray::String(tokens)),
        ),
    ];
    let mut seed = 7u32;
    let mut tensors: Vec<(TensorInfo, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, dims: &[u64], ty: GgmlType| {
        let n: u64 = dims.iter().product();
        let v = values(n, &mut seed);
        let row = dims[0] as usize;
        let bytes = ty.row_bytes(row).unwrap() * (n as usize / row);
        let mut data = vec![0u8; bytes];
        quant::quantize_rows(ty, &v, row, &mut data, None).unwrap();
        tensors.push((
            TensorInfo {
                name: name.into(),
                dims: dims.to_vec(),
                ggml_type: ty,
                offset: 0,
            },
            data,
        ));
    };
    add("token_embd.weight", &[d, 100], ty);
    for l in 0..2 {
        add(&format!("blk.{l}.attn_norm.weight"), &[d], GgmlType::F32);
        add(&format!("blk.{l}.attn_q.weight"), &[d, d], ty);
        add(&format!("blk.{l}.attn_k.weight"), &[d, d / 2], ty);
        add(&format!("blk.{l}.attn_v.weight"), &[d, d / 2], ty);
        add(&format!("blk.{l}.attn_output.weight"), &[d, d], ty);
        add(&format!("blk.{l}.ffn_up.weight"), &[d, 512], ty);
        add(&format!("blk.{l}.ffn_down.weight"), &[512, d], ty);
    }
    add("output_norm.weight", &[d], GgmlType::F32);
    let bytes = write_gguf(
        md,
        tensors
            .iter()
            .map(|(i, d)| (i.clone(), d.as_slice()))
            .collect(),
    )
    .unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn parse(path: &Path) -> (GgufFile, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    (GgufFile::parse(&bytes).unwrap(), bytes)
}

fn floats(ty: GgmlType, data: &[u8], ncols: usize) -> Vec<f32> {
    let rows = data.len() / ty.row_bytes(ncols).unwrap();
    let mut out = vec![0f32; rows * ncols];
    for (src, dst) in data
        .chunks_exact(ty.row_bytes(ncols).unwrap())
        .zip(out.chunks_exact_mut(ncols))
    {
        quant::dequantize_row(ty, src, dst).unwrap();
    }
    out
}

#[test]
fn inspect_prints_metadata_tensors_and_totals() {
    let dir = scratch("inspect_text");
    let m = dir.join("m.gguf");
    write_model(&m, 256, GgmlType::Q8_0);
    let o = run(&["inspect", m.to_str().unwrap()]);
    ok(&o);
    let s = stdout(&o);
    assert!(s.contains("general.architecture"), "{s}");
    assert!(s.contains("\"llama\""), "{s}");
    // The 100-entry token list is summarized.
    assert!(s.contains("[STRING × 100]"), "{s}");
    assert!(s.contains("…"), "{s}");
    assert!(s.contains("blk.1.ffn_down.weight"), "{s}");
    assert!(s.contains("Q8_0"), "{s}");
    assert!(s.contains("total: 16 tensors"), "{s}");
}

#[test]
fn inspect_json_is_complete_and_summarizes_long_arrays() {
    let dir = scratch("inspect_json");
    let m = dir.join("m.gguf");
    write_model(&m, 256, GgmlType::F32);
    let o = run(&["inspect", m.to_str().unwrap(), "--json"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tensors = v["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 16);
    let (hdr, _) = parse(&m);
    let params: u64 = hdr.tensors.iter().map(|t| t.n_elements()).sum();
    assert_eq!(v["totals"]["parameters"], params);
    assert_eq!(v["totals"]["by_type"]["F32"]["tensors"], 16);
    assert_eq!(tensors[0]["name"], "token_embd.weight");
    assert_eq!(tensors[0]["shape"], serde_json::json!([256, 100]));
    assert_eq!(tensors[0]["bpw"], 32.0);
    let toks = v["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "tokenizer.ggml.tokens")
        .unwrap();
    assert_eq!(toks["value"]["len"], 100);
    assert_eq!(toks["value"]["head"].as_array().unwrap().len(), 8);
    assert_eq!(v["alignment"], 32);
}

#[test]
fn inspect_errors_are_one_clear_line() {
    let dir = scratch("inspect_errors");
    let missing = dir.join("nope.gguf");
    assert_error(&run(&["inspect", missing.to_str().unwrap()]), "nope.gguf");
    let junk = dir.join("junk.gguf");
    std::fs::write(&junk, b"this is not a model at all").unwrap();
    assert_error(
        &run(&["inspect", junk.to_str().unwrap()]),
        "not a GGUF file",
    );
    // A real header cut in the middle.
    let m = dir.join("m.gguf");
    write_model(&m, 256, GgmlType::F32);
    let bytes = std::fs::read(&m).unwrap();
    let cut = dir.join("cut.gguf");
    std::fs::write(&cut, &bytes[..300]).unwrap();
    let o = run(&["inspect", cut.to_str().unwrap()]);
    assert_error(&o, "cut.gguf");
    let o = run(&["inspect"]);
    assert_eq!(o.status.code(), Some(2));
    assert_error(&o, "required");
}

#[test]
fn quantize_q4_k_m_matches_the_engine_plan_and_quantizers() {
    let dir = scratch("quantize_q4km");
    let src = dir.join("f32.gguf");
    let out = dir.join("q.gguf");
    write_model(&src, 256, GgmlType::F32);
    let o = run(&[
        "quantize",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
        "q4_k_m",
        "--threads",
        "2",
    ]);
    ok(&o);
    assert!(stdout(&o).contains("quant size"), "{}", stdout(&o));
    let (sh, sbytes) = parse(&src);
    let (oh, obytes) = parse(&out);
    let plan = SourceModel::from_gguf(&sh)
        .plan(&QuantOptions::new(Preset::Q4_K_M))
        .unwrap();
    assert_eq!(oh.tensors.len(), plan.tensors.len());
    assert_eq!(oh.get("general.file_type").unwrap().as_u32(), Some(15));
    assert_eq!(
        oh.get("general.quantization_version").unwrap().as_u32(),
        Some(2)
    );
    // Order, types, and data equal to the engine's row quantizer on the source floats.
    for (i, (t, d)) in oh.tensors.iter().zip(&plan.tensors).enumerate() {
        assert_eq!(t.name, d.name);
        assert_eq!(t.ggml_type, d.target_type, "{}", t.name);
        let (si, st) = sh.tensor(&t.name).unwrap();
        let raw = sh.tensor_data(&sbytes, si).unwrap();
        let got = oh.tensor_data(&obytes, i).unwrap();
        let ncols = st.dims[0] as usize;
        let mut want = vec![0u8; got.len()];
        quant::quantize_rows(
            t.ggml_type,
            &floats(GgmlType::F32, raw, ncols),
            ncols,
            &mut want,
            None,
        )
        .unwrap();
        assert!(want == got, "{}", t.name);
    }
    // Mix rules visible in the output: use_more_bits(i, 2) holds for layer 1 only (1 >= 7*2/8),
    // so ffn_down/attn_v get Q6_K there; attn_q stays Q4_K; tied token_embd takes the output
    // rule (Q6_K).
    let ty = |n: &str| oh.tensor(n).unwrap().1.ggml_type;
    assert_eq!(ty("blk.0.ffn_down.weight"), GgmlType::Q4_K);
    assert_eq!(ty("blk.1.ffn_down.weight"), GgmlType::Q6_K);
    assert_eq!(ty("blk.1.attn_v.weight"), GgmlType::Q6_K);
    assert_eq!(ty("blk.0.attn_q.weight"), GgmlType::Q4_K);
    assert_eq!(ty("token_embd.weight"), GgmlType::Q6_K);
    assert_eq!(ty("blk.0.attn_norm.weight"), GgmlType::F32);
    assert!(!dir.join("q.gguf.partial").exists());
}

#[test]
fn thread_count_does_not_change_the_output() {
    let dir = scratch("threads");
    let src = dir.join("f32.gguf");
    write_model(&src, 576, GgmlType::F32);
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let out = dir.join(format!("q{threads}.gguf"));
        ok(&run(&[
            "quantize",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            "Q3_K_M",
            "--threads",
            threads,
        ]));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs[0] == outputs[1]);
}

#[test]
fn fallbacks_and_requantization_are_warned_about() {
    let dir = scratch("fallback");
    let src = dir.join("q8.gguf");
    let out = dir.join("q.gguf");
    // 576 columns: Q4_K cannot hold a row, llama.cpp falls back to Q5_0.
    write_model(&src, 576, GgmlType::Q8_0);
    let o = run(&[
        "quantize",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
        "Q4_K_S",
    ]);
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.lines().all(|l| l.starts_with("bitsmith: warning: ")),
        "{err}"
    );
    assert!(
        err.contains("blk.0.attn_q.weight: ncols 576 not divisible by 256 (required for type Q4_K) -> falling back to Q5_0"),
        "{err}"
    );
    assert!(err.contains("requantizing from Q8_0"), "{err}");
    assert!(
        stdout(&o).contains("required fallback quantization"),
        "{}",
        stdout(&o)
    );
    let (oh, _) = parse(&out);
    assert_eq!(
        oh.tensor("blk.0.attn_q.weight").unwrap().1.ggml_type,
        GgmlType::Q5_0
    );
    // ffn_down rows are 512 long: Q4_K fits; Q4_K_S gives the first eighth (layer 0 of 2 → 2/8
    // = 0, so none) Q5_K — i.e. plain Q4_K here.
    assert_eq!(
        oh.tensor("blk.0.ffn_down.weight").unwrap().1.ggml_type,
        GgmlType::Q4_K
    );
}

#[test]
fn overrides_pure_and_json_summary() {
    let dir = scratch("overrides");
    let src = dir.join("f32.gguf");
    let out = dir.join("q.gguf");
    write_model(&src, 256, GgmlType::F32);
    let o = run(&[
        "quantize",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
        "Q4_0",
        "--tensor-type",
        "attn_q=q8_0",
        "--tensor-type",
        r"blk\.1\.ffn_.*=Q5_1",
        "--token-embedding-type",
        "q6_k",
        "--pure",
        "--json",
    ]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["preset"], "Q4_0");
    assert_eq!(v["ftype"], 2);
    assert_eq!(v["summary"]["tensors"], 16);
    let size = std::fs::metadata(&out).unwrap().len();
    assert_eq!(v["summary"]["file_size"], size);
    let decisions = v["plan"]["tensors"].as_array().unwrap();
    let q = decisions
        .iter()
        .find(|d| d["name"] == "blk.0.attn_q.weight")
        .unwrap();
    assert_eq!(q["target_type"], "Q8_0");
    assert_eq!(q["reason"]["kind"], "override");
    let (oh, _) = parse(&out);
    let ty = |n: &str| oh.tensor(n).unwrap().1.ggml_type;
    assert_eq!(ty("blk.0.attn_q.weight"), GgmlType::Q8_0);
    assert_eq!(ty("blk.1.ffn_up.weight"), GgmlType::Q5_1);
    assert_eq!(ty("blk.0.ffn_up.weight"), GgmlType::Q4_0);
    assert_eq!(ty("token_embd.weight"), GgmlType::Q6_K);
    // --pure: no mix rule (ffn_down would otherwise be unchanged for Q4_0 anyway; attn_v too).
    assert_eq!(ty("blk.0.attn_v.weight"), GgmlType::Q4_0);
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let dir = scratch("bad_args");
    let src = dir.join("f32.gguf");
    write_model(&src, 256, GgmlType::F32);
    let s = src.to_str().unwrap();
    let out = dir.join("o.gguf");
    let o = out.to_str().unwrap();
    let r = run(&["quantize", s, o, "Q9_X"]);
    assert_eq!(r.status.code(), Some(2));
    assert_error(&r, "unknown preset 'Q9_X'");
    assert_error(
        &run(&["quantize", s, o, "Q4_0", "--tensor-type", "attn_q"]),
        "expected REGEX=TYPE",
    );
    assert_error(
        &run(&["quantize", s, o, "Q4_0", "--tensor-type", "attn_q=Q9"]),
        "unknown tensor type 'Q9'",
    );
    assert_error(
        &run(&["quantize", s, o, "Q4_0", "--tensor-type", "(=q8_0"]),
        "bad --tensor-type pattern",
    );
    assert_error(
        &run(&["quantize", s, o, "Q4_0", "--tensor-type", "attn_q=IQ2_XXS"]),
        "cannot quantize to",
    );
    assert_error(&run(&["quantize", s, s, "Q4_0"]), "overwrite the input");
    let nowhere = dir.join("no/such/dir/o.gguf");
    assert_error(
        &run(&["quantize", s, nowhere.to_str().unwrap(), "Q4_0"]),
        "o.gguf.partial",
    );
    assert_error(&run(&["dequantize", s, o, "q4_0"]), "not f32 or f16");
    assert!(!out.exists());
}

#[test]
fn dequantize_to_f32_and_f16() {
    let dir = scratch("dequantize");
    let src = dir.join("q8.gguf");
    write_model(&src, 256, GgmlType::Q8_0);
    let (sh, sbytes) = parse(&src);
    for (arg, ty, ftype) in [("f32", GgmlType::F32, 0), ("F16", GgmlType::F16, 1)] {
        let out = dir.join(format!("{arg}.gguf"));
        ok(&run(&[
            "dequantize",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            arg,
        ]));
        let (oh, obytes) = parse(&out);
        assert_eq!(oh.get("general.file_type").unwrap().as_u32(), Some(ftype));
        for (i, t) in oh.tensors.iter().enumerate() {
            let (si, st) = sh.tensor(&t.name).unwrap();
            let ncols = st.dims[0] as usize;
            let want = floats(st.ggml_type, sh.tensor_data(&sbytes, si).unwrap(), ncols);
            let want_ty = if st.ggml_type == GgmlType::F32 {
                GgmlType::F32
            } else {
                ty
            };
            assert_eq!(t.ggml_type, want_ty, "{}", t.name);
            let got = floats(t.ggml_type, oh.tensor_data(&obytes, i).unwrap(), ncols);
            let tol = if t.ggml_type == GgmlType::F16 {
                1e-3
            } else {
                0.0
            };
            for (a, b) in want.iter().zip(&got) {
                assert!((a - b).abs() <= tol * a.abs().max(1e-3), "{}", t.name);
            }
        }
    }
    // Default target is F32.
    let out = dir.join("default.gguf");
    ok(&run(&[
        "dequantize",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
    ]));
    let (oh, _) = parse(&out);
    assert!(oh.tensors.iter().all(|t| t.ggml_type == GgmlType::F32));
}

/// A Hugging Face folder quantizes exactly like the GGUF llama.cpp's converter makes of it
/// (the fixture's `expected.gguf`), up to `general.name`, which the converter took from its
/// command line.
#[test]
fn safetensors_folder_quantizes_like_its_converted_gguf() {
    let dir = scratch("folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/safetensors");
    for model in ["tiny_llama", "tiny_llama_sharded", "tiny_qwen2"] {
        let folder = fixtures.join(model);
        let from_folder = dir.join(format!("{model}-folder.gguf"));
        let from_gguf = dir.join(format!("{model}-gguf.gguf"));
        let o = run(&[
            "quantize",
            folder.to_str().unwrap(),
            from_folder.to_str().unwrap(),
            "Q8_0",
        ]);
        ok(&o);
        ok(&run(&[
            "quantize",
            folder.join("expected.gguf").to_str().unwrap(),
            from_gguf.to_str().unwrap(),
            "Q8_0",
        ]));
        let (a, ab) = parse(&from_folder);
        let (b, bb) = parse(&from_gguf);
        assert_eq!(a.tensors, b.tensors, "{model}");
        for i in 0..a.tensors.len() {
            assert_eq!(a.tensor_data(&ab, i), b.tensor_data(&bb, i), "{model}");
        }
        let differing: Vec<&str> = a
            .metadata
            .iter()
            .zip(&b.metadata)
            .filter(|(x, y)| x != y)
            .map(|(x, _)| x.0.as_str())
            .collect();
        assert_eq!(a.metadata.len(), b.metadata.len(), "{model}");
        assert!(
            differing.iter().all(|k| *k == "general.name"),
            "{model}: {differing:?}"
        );
    }
    assert_error(
        &run(&["quantize", dir.to_str().unwrap(), "x.gguf", "Q8_0"]),
        "no config.json",
    );
}

#[test]
fn imatrix_is_applied_and_recorded() {
    use bitsmith_engine::imatrix::{Imatrix, ImatrixEntry, ImatrixFormat};
    use std::collections::BTreeMap;

    let dir = scratch("imatrix");
    let src = dir.join("f32.gguf");
    write_model(&src, 256, GgmlType::F32);
    let (sh, sbytes) = parse(&src);
    // Importance for every 2-D weight but blk.1.ffn_up (reported missing).
    let mut entries = BTreeMap::new();
    for t in &sh.tensors {
        if t.dims.len() == 2 && t.name.starts_with("blk.") && t.name != "blk.1.ffn_up.weight" {
            let sums = (0..t.dims[0]).map(|i| 0.5 + (i % 5) as f32).collect();
            entries.insert(
                t.name.clone(),
                ImatrixEntry {
                    sums,
                    counts: vec![1],
                },
            );
        }
    }
    let im = Imatrix {
        format: ImatrixFormat::Legacy,
        entries,
        datasets: vec!["calibration.txt".into()],
        chunk_count: 7,
        chunk_size: 0,
        has_metadata: true,
    };
    let im_path = dir.join("m.imatrix");
    std::fs::write(&im_path, im.write_legacy().unwrap()).unwrap();
    let out = dir.join("q.gguf");
    let o = run(&[
        "quantize",
        src.to_str().unwrap(),
        out.to_str().unwrap(),
        "Q4_K_M",
        "--imatrix",
        im_path.to_str().unwrap(),
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains("blk.1.ffn_up.weight: no importance data"),
        "{}",
        stderr(&o)
    );
    let (oh, obytes) = parse(&out);
    let kv = |k: &str| oh.get(k).cloned();
    assert_eq!(
        kv("quantize.imatrix.file").and_then(|v| v.as_str().map(String::from)),
        Some(im_path.display().to_string())
    );
    assert_eq!(
        kv("quantize.imatrix.dataset").and_then(|v| v.as_str().map(String::from)),
        Some("calibration.txt".into())
    );
    assert_eq!(
        kv("quantize.imatrix.entries_count").and_then(|v| v.as_u32()),
        Some(11)
    );
    assert_eq!(
        kv("quantize.imatrix.chunks_count").and_then(|v| v.as_u32()),
        Some(7)
    );
    let importance = im.importance();
    for (i, t) in oh.tensors.iter().enumerate() {
        let (si, st) = sh.tensor(&t.name).unwrap();
        if st.ggml_type == t.ggml_type {
            continue;
        }
        let ncols = st.dims[0] as usize;
        let vals = floats(GgmlType::F32, sh.tensor_data(&sbytes, si).unwrap(), ncols);
        let got = oh.tensor_data(&obytes, i).unwrap();
        let mut want = vec![0u8; got.len()];
        let w = importance.get(&t.name).map(Vec::as_slice);
        quant::quantize_rows(t.ggml_type, &vals, ncols, &mut want, w).unwrap();
        assert!(want == got, "{}", t.name);
    }
    // A truncated imatrix is a clear error.
    let bad = dir.join("bad.imatrix");
    std::fs::write(&bad, [1u8, 0, 0]).unwrap();
    assert_error(
        &run(&[
            "quantize",
            src.to_str().unwrap(),
            out.to_str().unwrap(),
            "Q4_K_M",
            "--imatrix",
            bad.to_str().unwrap(),
        ]),
        "bad.imatrix",
    );
}
