//! Large optional byte-exactness check of the k-quants (Q2_K..Q6_K, Q8_K) against llama.cpp.
//!
//! The committed fixtures of every quant type, k-quants included, are checked by
//! `quant_fixtures.rs` (and in the browser by `wasm_quant.rs`). This file keeps the one check
//! that needs data too big to commit: set `BITSMITH_KQUANT_STRESS_DIR` to a directory holding
//! `input.f32` / `imatrix.f32` (rows of 2048, one imatrix row per input row) and
//! `<T>.bin` / `<T>.imatrix.bin` made by llama.cpp's `ggml_quantize_chunk` (Q8_K:
//! `quantize_row_q8_K_ref`), and `stress_directory_is_byte_exact` compares them block by block.
//! Without the variable the test passes after saying it skipped.

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::quantize_row;
use std::path::{Path, PathBuf};

const KQUANTS: [GgmlType; 6] = [
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::Q8_K,
];

fn read(dir: &Path, name: &str) -> Vec<u8> {
    let p = dir.join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn read_f32(dir: &Path, name: &str) -> Vec<f32> {
    read(dir, name)
        .as_chunks::<4>()
        .0
        .iter()
        .map(|&b| f32::from_le_bytes(b))
        .collect()
}

/// Quantizes every row with Bitsmith and compares to `expected` block by block.
/// Returns (identical blocks, total blocks, description of the first few mismatches).
fn compare_blocks(
    ty: GgmlType,
    x: &[f32],
    n_per_row: usize,
    imatrix: Option<&[f32]>,
    expected: &[u8],
) -> (usize, usize, Vec<String>) {
    let row_bytes = ty.row_bytes(n_per_row).unwrap();
    let bsize = ty.type_size();
    assert_eq!(
        expected.len(),
        x.len() / n_per_row * row_bytes,
        "{ty} fixture size"
    );
    let mut same = 0;
    let mut total = 0;
    let mut notes = Vec::new();
    for (r, (row, want)) in x
        .chunks_exact(n_per_row)
        .zip(expected.chunks_exact(row_bytes))
        .enumerate()
    {
        let w = imatrix.map(|w| {
            if w.len() == n_per_row {
                w
            } else {
                &w[r * n_per_row..(r + 1) * n_per_row]
            }
        });
        let mut got = vec![0u8; row_bytes];
        quantize_row(ty, row, &mut got, w).unwrap();
        for (b, (g, e)) in got
            .chunks_exact(bsize)
            .zip(want.chunks_exact(bsize))
            .enumerate()
        {
            total += 1;
            if g == e {
                same += 1;
            } else if notes.len() < 8 {
                let first = g.iter().zip(e).position(|(a, b)| a != b).unwrap();
                let ndiff = g.iter().zip(e).filter(|(a, b)| a != b).count();
                notes.push(format!(
                    "row {r} block {b}: {ndiff} bytes differ, first at {first} (got {:#04x}, want {:#04x})",
                    g[first], e[first]
                ));
            }
        }
    }
    (same, total, notes)
}

/// Optional large comparison (see the module docs). Skipped when the variable is unset.
#[test]
fn stress_directory_is_byte_exact() {
    let Some(dir) = std::env::var_os("BITSMITH_KQUANT_STRESS_DIR") else {
        eprintln!("BITSMITH_KQUANT_STRESS_DIR not set; skipping");
        return;
    };
    let dir = PathBuf::from(dir);
    let n = 2048;
    let x = read_f32(&dir, "input.f32");
    let w = read_f32(&dir, "imatrix.f32");
    let mut failures = Vec::new();
    for ty in KQUANTS {
        for imatrix in [false, true] {
            if imatrix && ty == GgmlType::Q8_K {
                continue;
            }
            let suffix = if imatrix { ".imatrix" } else { "" };
            let expected = read(&dir, &format!("{ty}{suffix}.bin"));
            let (same, total, notes) =
                compare_blocks(ty, &x, n, imatrix.then_some(&w[..]), &expected);
            eprintln!("{ty}{suffix}: {same}/{total} blocks identical");
            if same != total {
                failures.push(format!(
                    "{ty}{suffix}: {same}/{total}\n{}",
                    notes.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
