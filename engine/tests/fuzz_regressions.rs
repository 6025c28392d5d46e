//! Replays every input that ever made a fuzz target fail (`scripts/fuzz.sh` copies them to
//! tests/fixtures/fuzz_regressions/<target>/) through the same checks the targets in fuzz/ make,
//! on stable Rust: errors are fine, panics and broken invariants are not. Each target's seed
//! fixtures are replayed too, so the checks themselves are exercised even with no regressions.

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader, GgufWriter};
use bitsmith_engine::imatrix::{Imatrix, ImatrixFormat};
use bitsmith_engine::safetensors::{SafetensorsFile, SafetensorsStreamReader, to_f32};
use std::path::{Path, PathBuf};

fn gguf_parse(data: &[u8]) {
    if let Ok(f) = GgufFile::parse(data) {
        let mut w = GgufWriter::from_file(&f).expect("a parsed header is writable");
        let _ = w.header_bytes();
        for i in 0..f.tensors.len() {
            let d = f.tensor_data(data, i).expect("parse checked the range");
            if !d.is_empty() {
                w.encode_tensor(d).expect("sizes match");
            }
        }
        w.finish().expect("every tensor written");
    }
}

fn gguf_stream(input: &[u8]) {
    let Some((&sel, data)) = input.split_first() else {
        return;
    };
    let chunk = 1 + usize::from(sel % 64);
    let mut r = if sel & 0x80 != 0 {
        GgufStreamReader::with_file_size(data.len() as u64)
    } else {
        GgufStreamReader::new()
    };
    let mut header = None;
    for c in data.chunks(chunk) {
        match r.feed(c) {
            Ok(evs) => {
                for e in evs {
                    if let GgufEvent::Header(h) = e {
                        header = Some(h);
                    }
                }
            }
            Err(_) => return,
        }
    }
    if r.finish().is_ok()
        && let (Some(h), Ok(f)) = (header, GgufFile::parse(data))
    {
        assert_eq!(h, f);
    }
}

fn safetensors_parse(data: &[u8]) {
    let parsed = SafetensorsFile::parse(data);
    if let Ok(f) = &parsed {
        for t in &f.tensors {
            let d = f.tensor_data(data, t).expect("parse checked the range");
            if t.dtype.is_float() {
                assert_eq!(to_f32(t.dtype, d).unwrap().len() as u64, t.n_elements());
            }
        }
    }
    let mut r = SafetensorsStreamReader::new(Some(data.len() as u64));
    let mut ok = true;
    for c in data.chunks(7) {
        if r.feed(c).is_err() {
            ok = false;
            break;
        }
    }
    ok = ok && r.finish().is_ok();
    assert_eq!(ok, parsed.is_ok());
}

fn imatrix_parse(data: &[u8]) {
    if let Ok(m) = Imatrix::parse(data) {
        let imp = m.importance();
        assert_eq!(imp.len(), m.entries.len());
        if m.format == ImatrixFormat::Legacy {
            let again = Imatrix::parse(&m.write_legacy().expect("legacy data writes as legacy"))
                .expect("written legacy file parses");
            assert_eq!(again.entries.len(), m.entries.len());
        } else {
            let _ = m.write_gguf();
        }
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn replay(target: &str, check: fn(&[u8]), seeds: &[&str]) -> usize {
    let mut inputs = files_in(&fixtures().join("fuzz_regressions").join(target));
    for s in seeds {
        inputs.extend(files_in(&fixtures().join(s)));
    }
    for p in &inputs {
        let data = std::fs::read(p).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "{target} fails on {}", p.display());
    }
    inputs.len()
}

#[test]
fn gguf_parse_regressions() {
    assert!(
        replay(
            "gguf_parse",
            gguf_parse,
            &["gguf/imatrix", "safetensors/tiny_llama"]
        ) > 0
    );
}

#[test]
fn gguf_stream_regressions() {
    assert!(
        replay(
            "gguf_stream",
            gguf_stream,
            &["gguf/imatrix", "safetensors/tiny_qwen2"]
        ) > 0
    );
}

#[test]
fn safetensors_parse_regressions() {
    assert!(
        replay(
            "safetensors_parse",
            safetensors_parse,
            &["safetensors/tiny_llama"]
        ) > 0
    );
}

#[test]
fn imatrix_parse_regressions() {
    assert!(replay("imatrix_parse", imatrix_parse, &["gguf/imatrix"]) > 0);
}
