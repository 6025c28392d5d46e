//! imatrix files written the way llama-imatrix writes them (`scripts/gen_imatrix_fixtures.py`:
//! the GGUF one by ggml's own gguf writer), read, normalised and written back.

use bitsmith_engine::imatrix::{Imatrix, ImatrixFormat};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gguf/imatrix")
            .join(name),
    )
    .unwrap()
}

fn expected() -> serde_json::Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

fn expected_importance(name: &str) -> Vec<f32> {
    expected()["importance"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn gguf_imatrix_from_ggml_reads_exactly() {
    let bytes = fixture("small.imatrix.gguf");
    let m = Imatrix::parse(&bytes).unwrap();
    assert_eq!(m.format, ImatrixFormat::Gguf);
    assert!(m.has_metadata);
    assert_eq!(m.datasets, vec!["calibration.txt"]);
    assert_eq!(m.chunk_count, 3);
    assert_eq!(m.chunk_size, 512);
    assert_eq!(m.entries.len(), 4);
    assert_eq!(
        m.entries["blk.1.ffn_up_exps.weight"].counts,
        vec![1536, 1536, 0, 700]
    );
    let imp = m.importance();
    for name in m.entries.keys() {
        assert_eq!(imp[name], expected_importance(name), "{name}");
    }
    // Experts with a zero count get all-ones weights.
    assert!(
        imp["blk.1.ffn_up_exps.weight"][64..96]
            .iter()
            .all(|&x| x == 1.0)
    );
}

#[test]
fn gguf_imatrix_writes_back_byte_for_byte() {
    let bytes = fixture("small.imatrix.gguf");
    let m = Imatrix::parse(&bytes).unwrap();
    assert!(m.write_gguf().unwrap() == bytes);
}

#[test]
fn gguf_to_legacy_matches_llama_imatrix_dat_output() {
    let m = Imatrix::parse(&fixture("small.imatrix.gguf")).unwrap();
    assert!(m.write_legacy().unwrap() == fixture("small.imatrix.dat"));
}

#[test]
fn legacy_imatrix_reads_and_round_trips() {
    let bytes = fixture("small.imatrix.dat");
    let m = Imatrix::parse(&bytes).unwrap();
    assert_eq!(m.format, ImatrixFormat::Legacy);
    assert_eq!(m.chunk_count, 3);
    assert_eq!(m.datasets, vec!["calibration.txt"]);
    // ncall = ceil(1536 / 512).
    assert_eq!(m.entries["blk.0.attn_q.weight"].counts, vec![3]);
    let imp = m.importance();
    for name in m.entries.keys() {
        let want = expected_importance(name);
        // The legacy format stores (sum/count)*ncall in f32: equal up to rounding.
        for (g, w) in imp[name].iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                "{name}: {g} vs {w}"
            );
        }
    }
    assert!(m.write_legacy().unwrap() == bytes);
}
