//! Safetensors + HF config/tokenizer → GGUF, checked against `expected.gguf` in each fixture
//! folder: what llama.cpp's convert_hf_to_gguf.py writes for that folder, re-done with gguf-py by
//! `scripts/gen_safetensors_fixtures.py` (see there for how and why).

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{GgufFile, GgufValue};
use bitsmith_engine::hf::{self, HfFiles, HfOptions, OutType};
use bitsmith_engine::model::{ModelDesc, SourceFormat, TensorSource};
use bitsmith_engine::safetensors::{
    SafeDtype, SafetensorsEvent, SafetensorsFile, SafetensorsStreamReader, to_f32,
};
use std::path::Path;

fn fixture_dir(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/safetensors")
        .join(name)
}

/// Every file of a fixture folder except the expected output.
fn load(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "expected.gguf")
        .map(|p| {
            (
                p.file_name().unwrap().to_str().unwrap().to_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn files(v: &[(String, Vec<u8>)]) -> HfFiles<'_> {
    v.iter().map(|(n, b)| (n.clone(), b.as_slice())).collect()
}

fn expected(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir(name).join("expected.gguf")).unwrap()
}

fn opts(name: &str) -> HfOptions {
    HfOptions {
        name: Some(name.to_owned()),
        ..Default::default()
    }
}

/// Compares key by key and tensor by tensor (for readable failures), then byte for byte.
fn assert_same_gguf(got: &[u8], want: &[u8]) {
    let g = GgufFile::parse(got).unwrap();
    let w = GgufFile::parse(want).unwrap();
    let gk: Vec<&str> = g.metadata.iter().map(|(k, _)| k.as_str()).collect();
    let wk: Vec<&str> = w.metadata.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(gk, wk, "metadata keys/order");
    for ((k, gv), (_, wv)) in g.metadata.iter().zip(&w.metadata) {
        assert_eq!(gv, wv, "metadata {k}");
    }
    assert_eq!(g.tensors, w.tensors, "tensor infos");
    for i in 0..w.tensors.len() {
        assert!(
            g.tensor_data(got, i) == w.tensor_data(want, i),
            "tensor data of {}",
            w.tensors[i].name
        );
    }
    assert!(got == want, "files differ although every part matched");
}

#[test]
fn tiny_llama_converts_exactly_like_llama_cpp() {
    let v = load("tiny_llama");
    let got = hf::convert_files_to_gguf(&files(&v), &opts("tiny llama")).unwrap();
    assert_same_gguf(&got, &expected("tiny_llama"));
}

/// Llama 3.1 rope scaling: the converter generates `rope_freqs.weight` (first, F32) from the
/// rope parameters; ours must be the same tensor, in the same place, with the same bytes.
#[test]
fn tiny_llama3_gets_the_converters_rope_freqs_tensor() {
    let v = load("tiny_llama3");
    let got = hf::convert_files_to_gguf(&files(&v), &opts("tiny llama3")).unwrap();
    assert_same_gguf(&got, &expected("tiny_llama3"));
    let g = GgufFile::parse(&got).unwrap();
    assert_eq!(g.tensors[0].name, "rope_freqs.weight");
    assert_eq!(g.tensors[0].dims, vec![4]);
    let f: Vec<f32> = g
        .tensor_data(&got, 0)
        .unwrap()
        .as_chunks::<4>()
        .0
        .iter()
        .map(|b| f32::from_le_bytes(*b))
        .collect();
    // Head dim 8, theta 5e5, original context 512: one frequency kept, one blended, two scaled.
    assert_eq!(f[0], 1.0);
    assert!(f[1] > 1.0 && f[1] < 8.0, "{f:?}");
    assert_eq!(&f[2..], &[8.0, 8.0]);
}

#[test]
fn sharded_tiny_llama_converts_exactly_like_llama_cpp() {
    let v = load("tiny_llama_sharded");
    let got = hf::convert_files_to_gguf(&files(&v), &opts("tiny llama")).unwrap();
    assert_same_gguf(&got, &expected("tiny_llama_sharded"));
    // The parts' order decides the tensor order: layer 1 (first shard) comes first.
    let f = GgufFile::parse(&got).unwrap();
    assert_eq!(f.tensors[0].name, "blk.1.attn_norm.weight");
}

#[test]
fn tiny_qwen2_bf16_converts_exactly_like_llama_cpp() {
    let v = load("tiny_qwen2");
    let got = hf::convert_files_to_gguf(&files(&v), &opts("tiny qwen2")).unwrap();
    assert_same_gguf(&got, &expected("tiny_qwen2"));
}

#[test]
fn tiny_mistral_spm_vocab_converts_exactly_like_llama_cpp() {
    let v = load("tiny_mistral");
    let got = hf::convert_files_to_gguf(&files(&v), &opts("tiny mistral")).unwrap();
    assert_same_gguf(&got, &expected("tiny_mistral"));
}

#[test]
fn model_description_matches_the_gguf_one() {
    let v = load("tiny_llama");
    let m = hf::model_from_files(&files(&v), &opts("tiny llama")).unwrap();
    assert!(m.warnings.iter().any(|w| w.contains("general.*")));
    let m = m.model;
    assert_eq!(m.format, SourceFormat::Safetensors);
    assert_eq!(m.architecture, "llama");
    assert_eq!(m.hparams.block_count, Some(2));
    assert_eq!(m.hparams.head_count_kv, Some(2));
    assert_eq!(m.hparams.rope_dimension_count, Some(8));
    assert_eq!(m.hparams.vocab_size, Some(300));
    assert_eq!(m.hparams.file_type, Some(1));
    // Tied embeddings: no output.weight.
    assert!(m.tensor("output.weight").is_none());
    assert!(m.tensor("token_embd.weight").is_some());
    // The same description as reading the expected GGUF, apart from where bytes come from.
    let want = expected("tiny_llama");
    let g = ModelDesc::from_gguf(&GgufFile::parse(&want).unwrap());
    assert_eq!(g.format, SourceFormat::Gguf);
    assert_eq!(m.metadata, g.metadata);
    assert_eq!(m.hparams, g.hparams);
    assert_eq!(m.tensors.len(), g.tensors.len());
    for (a, b) in m.tensors.iter().zip(&g.tensors) {
        assert_eq!(
            (&a.name, &a.dims, a.ggml_type),
            (&b.name, &b.dims, b.ggml_type)
        );
    }
    // Q is permuted; V is not.
    let (qi, q) = m.tensor("blk.0.attn_q.weight").unwrap();
    assert!(matches!(
        q.source,
        TensorSource::Safetensors {
            permute_heads: Some(4),
            dtype: SafeDtype::F16,
            ..
        }
    ));
    let (_, k) = m.tensor("blk.0.attn_k.weight").unwrap();
    assert!(matches!(
        k.source,
        TensorSource::Safetensors {
            permute_heads: Some(2),
            ..
        }
    ));
    let (_, vv) = m.tensor("blk.0.attn_v.weight").unwrap();
    assert!(matches!(
        vv.source,
        TensorSource::Safetensors {
            permute_heads: None,
            ..
        }
    ));
    // f32 values of the safetensors tensor equal the GGUF's (F16, exact).
    let st = &v.iter().find(|(n, _)| n == "model.safetensors").unwrap().1;
    let r = q.source.range();
    let from_st = m
        .tensor_f32(qi, &st[r.start as usize..r.end as usize])
        .unwrap();
    let (gi, gq) = g.tensor("blk.0.attn_q.weight").unwrap();
    let gr = gq.source.range();
    let from_gguf = g
        .tensor_f32(gi, &want[gr.start as usize..gr.end as usize])
        .unwrap();
    assert_eq!(from_st, from_gguf);
}

#[test]
fn qwen2_is_not_permuted_and_keeps_biases() {
    let v = load("tiny_qwen2");
    let m = hf::model_from_files(&files(&v), &opts("q")).unwrap().model;
    assert_eq!(m.architecture, "qwen2");
    for t in &m.tensors {
        assert!(
            matches!(
                t.source,
                TensorSource::Safetensors {
                    permute_heads: None,
                    ..
                }
            ),
            "{}",
            t.name
        );
    }
    let (_, b) = m.tensor("blk.0.attn_q.bias").unwrap();
    assert_eq!(b.ggml_type, GgmlType::F32);
    assert_eq!(
        m.tensor("output.weight").unwrap().1.ggml_type,
        GgmlType::BF16
    );
}

#[test]
fn out_type_can_be_forced() {
    let v = load("tiny_llama");
    for (ot, ty, ft) in [
        (OutType::F32, GgmlType::F32, 0),
        (OutType::BF16, GgmlType::BF16, 32),
    ] {
        let o = HfOptions {
            out_type: ot,
            ..opts("x")
        };
        let m = hf::model_from_files(&files(&v), &o).unwrap().model;
        assert_eq!(m.tensor("blk.0.ffn_up.weight").unwrap().1.ggml_type, ty);
        assert_eq!(m.get("general.file_type"), Some(&GgufValue::U32(ft)));
        // And the data converts.
        let g = hf::convert_files_to_gguf(&files(&v), &o).unwrap();
        GgufFile::parse(&g).unwrap();
    }
}

#[test]
fn folder_errors_are_typed() {
    let v = load("tiny_llama");
    let mut f = files(&v);
    f.remove("tokenizer.json");
    assert!(matches!(
        hf::model_from_files(&f, &opts("x")),
        Err(hf::HfError::MissingFile("tokenizer.json"))
    ));
    let mut f = files(&v);
    f.remove("model.safetensors");
    assert!(matches!(
        hf::model_from_files(&f, &opts("x")),
        Err(hf::HfError::NoWeights)
    ));
    let cfg = br#"{"architectures": ["GPTNeoXForCausalLM"], "num_hidden_layers": 1}"#;
    let mut f = files(&v);
    f.insert("config.json".into(), cfg);
    assert!(matches!(
        hf::model_from_files(&f, &opts("x")),
        Err(hf::HfError::UnsupportedArchitecture(_))
    ));
    // A shard the index names is missing.
    let s = load("tiny_llama_sharded");
    let mut f = files(&s);
    f.remove("model-00002-of-00002.safetensors");
    assert!(matches!(
        hf::model_from_files(&f, &opts("x")),
        Err(hf::HfError::IndexMismatch(_))
    ));
    // A truncated weight file.
    let st = &v.iter().find(|(n, _)| n == "model.safetensors").unwrap().1;
    let mut f = files(&v);
    f.insert("model.safetensors".into(), &st[..st.len() - 1]);
    assert!(matches!(
        hf::model_from_files(&f, &opts("x")),
        Err(hf::HfError::Safetensors { .. })
    ));
}

#[test]
fn safetensors_reader_agrees_with_the_reference_writer() {
    // model.safetensors of tiny_llama was written by the `safetensors` PyPI package.
    let v = load("tiny_llama");
    let st = &v.iter().find(|(n, _)| n == "model.safetensors").unwrap().1;
    let f = SafetensorsFile::parse(st).unwrap();
    assert_eq!(f.tensors.len(), 21);
    let names: Vec<&str> = f.tensors.iter().map(|t| t.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let e = f.tensor("model.embed_tokens.weight").unwrap();
    assert_eq!((e.dtype, e.shape.clone()), (SafeDtype::F16, vec![300, 32]));
    let inv = f
        .tensor("model.layers.0.self_attn.rotary_emb.inv_freq")
        .unwrap();
    assert_eq!(inv.dtype, SafeDtype::F32);
    let vals = to_f32(inv.dtype, f.tensor_data(st, inv).unwrap()).unwrap();
    assert_eq!(vals[0], 1.0);
    assert!((vals[1] - 0.1).abs() < 1e-6);

    // Streaming gives the same header and every tensor's bytes, for any chunk size.
    for size in [1, 7, 4096, st.len()] {
        for known in [None, Some(st.len() as u64)] {
            let mut r = SafetensorsStreamReader::new(known);
            let mut evs = Vec::new();
            for c in st.chunks(size) {
                evs.extend(r.feed(c).unwrap());
            }
            r.finish().unwrap();
            assert_eq!(evs[0], SafetensorsEvent::Header(f.clone()), "chunk {size}");
            assert_eq!(evs.len(), 1 + f.tensors.len());
            for ev in &evs[1..] {
                let SafetensorsEvent::Tensor { index, data } = ev else {
                    panic!()
                };
                assert_eq!(
                    data.as_slice(),
                    f.tensor_data(st, &f.tensors[*index]).unwrap()
                );
            }
        }
    }
}
