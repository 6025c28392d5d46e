//! GGUF reader/writer/stream on a real model: SmolLM2-135M-Instruct Q4_1 (98 MB).
//!
//! `scripts/fetch_test_models.sh` puts it in `$BITSMITH_MODELS` or `~/.cache/bitsmith/models/`.
//! Without it these tests print a notice and pass.
// Expected values are gguf-py's outputs printed at full precision, kept verbatim.
#![allow(clippy::excessive_precision)]

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader, GgufValue, GgufWriter};
use std::path::PathBuf;

const MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn model_bytes() -> Option<Vec<u8>> {
    let dir = std::env::var_os("BITSMITH_MODELS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bitsmith/models"))
        })?;
    let path = dir.join(MODEL);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found; run scripts/fetch_test_models.sh",
                path.display()
            );
            None
        }
    }
}

#[test]
fn parses_smollm2_metadata_and_tensors() {
    let Some(bytes) = model_bytes() else { return };
    let f = GgufFile::parse(&bytes).unwrap();
    // Figures cross-checked with gguf-py's GGUFReader on the same file.
    assert_eq!(f.version, 3);
    assert_eq!(f.metadata.len(), 33);
    assert_eq!(f.tensors.len(), 272);
    assert_eq!(f.alignment, 32);
    assert_eq!(f.data_offset, 1_785_664);
    assert_eq!(f.architecture(), Some("llama"));
    assert_eq!(f.get("llama.block_count"), Some(&GgufValue::U32(30)));
    assert_eq!(f.get("llama.embedding_length"), Some(&GgufValue::U32(576)));
    assert_eq!(
        f.get("llama.attention.head_count_kv"),
        Some(&GgufValue::U32(3))
    );
    assert_eq!(
        f.get("llama.rope.freq_base"),
        Some(&GgufValue::F32(100000.0))
    );
    assert_eq!(f.get_str("tokenizer.ggml.model"), Some("gpt2"));
    assert_eq!(f.get_str("tokenizer.ggml.pre"), Some("smollm"));
    let tokens = f.get("tokenizer.ggml.tokens").unwrap().as_array().unwrap();
    assert_eq!(tokens.len(), 49152);
    assert_eq!(tokens.as_strings().unwrap()[1], "<|im_start|>");
    let merges = f.get("tokenizer.ggml.merges").unwrap().as_array().unwrap();
    assert_eq!(merges.as_strings().unwrap()[0], "Ġ t");
    assert_eq!(merges.len(), 48900);
    let types = f
        .get("tokenizer.ggml.token_type")
        .unwrap()
        .as_array()
        .unwrap();
    assert_eq!(&types.as_i32s().unwrap()[..3], &[3, 3, 3]);
    assert_eq!(f.metadata.last().unwrap().0, "general.quantization_version");

    let (i, emb) = f.tensor("token_embd.weight").unwrap();
    assert_eq!(i, 0);
    assert_eq!(emb.dims, vec![576, 49152]);
    assert_eq!(emb.ggml_type, GgmlType::Q8_0);
    assert_eq!(emb.n_bytes(), 30_081_024);
    let (_, k) = f.tensor("blk.0.attn_k.weight").unwrap();
    assert_eq!(
        (k.dims.clone(), k.ggml_type),
        (vec![576, 192], GgmlType::Q4_1)
    );
    assert_eq!(f.data_offset + k.offset, 33_530_176);
    assert_eq!(
        f.tensor("blk.0.attn_norm.weight").unwrap().1.ggml_type,
        GgmlType::F32
    );
}

#[test]
fn smollm2_round_trips_byte_for_byte() {
    let Some(bytes) = model_bytes() else { return };
    let f = GgufFile::parse(&bytes).unwrap();
    let mut w = GgufWriter::from_file(&f).unwrap();
    let header = w.header_bytes();
    assert_eq!(header.len() as u64, f.data_offset);
    assert!(header == bytes[..header.len()], "header differs");
    // Stream tensor data back out chunk by chunk and compare in place (no second copy).
    let mut at = header.len();
    for (i, t) in f.tensors.iter().enumerate() {
        assert_eq!(w.tensors()[i].offset, t.offset, "{}", t.name);
        let data = f.tensor_data(&bytes, i).unwrap();
        let mut pad = 0;
        for chunk in data.chunks(1 << 16) {
            assert_eq!(pad, 0);
            pad = w.push_data(chunk).unwrap();
        }
        at += data.len();
        assert!(bytes[at..at + pad].iter().all(|&b| b == 0));
        at += pad;
    }
    w.finish().unwrap();
    assert_eq!(at, bytes.len());
    assert_eq!(w.total_size(), bytes.len() as u64);
}

/// Streams the whole file in chunks of `size`, checking every event against `parse`.
fn check_stream(bytes: &[u8], f: &GgufFile, size: usize, known: bool) {
    let mut r = if known {
        GgufStreamReader::with_file_size(bytes.len() as u64)
    } else {
        GgufStreamReader::new()
    };
    let mut seen_header = false;
    let mut next_tensor = 0;
    for chunk in bytes.chunks(size) {
        for ev in r.feed(chunk).unwrap() {
            match ev {
                GgufEvent::Header(h) => {
                    assert!(!seen_header);
                    assert!(h == *f, "header differs at chunk size {size}");
                    seen_header = true;
                }
                GgufEvent::Tensor { index, data } => {
                    assert!(seen_header);
                    assert_eq!(index, next_tensor, "chunk size {size}");
                    assert!(data == f.tensor_data(bytes, index).unwrap());
                    next_tensor += 1;
                }
            }
        }
    }
    r.finish().unwrap();
    assert!(r.is_complete());
    assert_eq!(next_tensor, f.tensors.len());
}

#[test]
fn smollm2_streams_identically_for_every_chunk_size() {
    let Some(bytes) = model_bytes() else { return };
    let f = GgufFile::parse(&bytes).unwrap();
    for (size, known) in [
        (bytes.len(), false),
        (4096, true),
        ((1 << 20) + 7, false),
        (7, false),
        (1, true),
    ] {
        check_stream(&bytes, &f, size, known);
    }
}

#[test]
fn smollm2_model_description_and_dequantized_tensors() {
    use bitsmith_engine::model::{ModelDesc, SourceFormat};
    let Some(bytes) = model_bytes() else { return };
    let f = GgufFile::parse(&bytes).unwrap();
    let m = ModelDesc::from_gguf(&f);
    assert_eq!(m.format, SourceFormat::Gguf);
    assert_eq!(m.architecture, "llama");
    let h = &m.hparams;
    assert_eq!(
        (h.block_count, h.embedding_length, h.feed_forward_length),
        (Some(30), Some(576), Some(1536))
    );
    assert_eq!((h.head_count, h.head_count_kv), (Some(9), Some(3)));
    assert_eq!(
        (h.context_length, h.vocab_size, h.file_type),
        (Some(8192), Some(49152), Some(3))
    );
    assert_eq!(h.rope_dimension_count, Some(64));
    assert_eq!(h.layer_norm_rms_epsilon, Some(1e-5));
    assert_eq!(m.n_params(), 134_515_008);
    // Dequantized values match gguf-py's `gguf.quants.dequantize` on the same tensors.
    for (name, first4, row0_sum) in [
        (
            "token_embd.weight",
            [
                -0.10654449462890625f32,
                0.032978057861328125,
                0.048198699951171875,
                -0.022830963134765625,
            ],
            -2.2541093826293945f64,
        ),
        (
            "blk.0.attn_q.weight",
            [
                -0.0963134765625,
                0.1573486328125,
                -0.0963134765625,
                -0.73046875,
            ],
            1.00726318359375,
        ),
        (
            "blk.0.attn_norm.weight",
            [
                0.01397705078125,
                0.0238037109375,
                -0.019775390625,
                -0.0302734375,
            ],
            0.6129436492919922,
        ),
    ] {
        let (i, t) = m.tensor(name).unwrap();
        let r = t.source.range();
        let raw = &bytes[r.start as usize..r.end as usize];
        let v = m.tensor_f32(i, raw).unwrap();
        assert_eq!(v.len() as u64, t.n_elements());
        assert_eq!(&v[..4], &first4, "{name}");
        let s: f64 = v[..576].iter().map(|&x| f64::from(x)).sum();
        assert!((s - row0_sum).abs() < 1e-9, "{name}: {s} vs {row0_sum}");
        assert_eq!(m.tensor_bytes(i, raw).unwrap(), raw);
    }
}
