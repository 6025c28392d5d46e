//! Byte-exactness of the k-quants (Q2_K..Q6_K, Q8_K) against llama.cpp.
//!
//! The fixtures in `tests/fixtures/quant/` come from `scripts/gen_quant_fixtures.py`, which
//! runs llama.cpp's own `ggml_quantize_chunk` (and `quantize_row_q8_K_ref`, `dequantize_row_*`)
//! from the libggml-base.so shipped in llama-cpp-python 0.3.36. Inputs: 10 rows of 512 values
//! covering Gaussian, LLM-scale, heavy-tailed-with-outliers, all-zero, constant, tiny
//! (fp16-subnormal scales), f32-subnormal, negative-max/tie-heavy, huge and positive-offset
//! data; plus one 512-value importance matrix.
//!
//! We require every block to be byte-identical, with and without the imatrix, and our
//! dequantization of ggml's bytes to be bit-identical to ggml's. (The reference library is
//! built for baseline x86-64 without FMA, so no fused multiply-add tolerance is needed; see the
//! note in `src/quant/kquants.rs`.)
//!
//! A larger optional check: set `BITSMITH_KQUANT_STRESS_DIR` to a directory holding
//! `input.f32` / `imatrix.f32` (rows of 2048, one imatrix row per input row) and
//! `<T>.bin` / `<T>.imatrix.bin` made by the same llama.cpp calls, and
//! `stress_directory_is_byte_exact` compares those too.

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::{dequantize_row, quantize_row};
use std::path::{Path, PathBuf};

const N_PER_ROW: usize = 512;

const KQUANTS: [GgmlType; 6] = [
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::Q8_K,
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quant")
}

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

fn assert_byte_exact(ty: GgmlType, imatrix: bool) {
    let dir = fixture_dir();
    let x = read_f32(&dir, "input.f32");
    let w = read_f32(&dir, "imatrix.f32");
    assert_eq!(w.len(), N_PER_ROW);
    let suffix = if imatrix { ".imatrix" } else { "" };
    let expected = read(&dir, &format!("{ty}{suffix}.bin"));
    let (same, total, notes) =
        compare_blocks(ty, &x, N_PER_ROW, imatrix.then_some(&w[..]), &expected);
    assert_eq!(total, x.len() / 256);
    assert!(
        same == total,
        "{ty}{suffix}: {same}/{total} blocks identical\n{}",
        notes.join("\n")
    );
}

fn assert_dequant_exact(ty: GgmlType, imatrix: bool) {
    let dir = fixture_dir();
    let suffix = if imatrix { ".imatrix" } else { "" };
    let bytes = read(&dir, &format!("{ty}{suffix}.bin"));
    let want = read_f32(&dir, &format!("{ty}{suffix}.deq.f32"));
    let mut got = vec![f32::NAN; want.len()];
    let row_bytes = ty.row_bytes(N_PER_ROW).unwrap();
    for (src, dst) in bytes
        .chunks_exact(row_bytes)
        .zip(got.as_chunks_mut::<N_PER_ROW>().0)
    {
        dequantize_row(ty, src, dst).unwrap();
    }
    for (i, (g, e)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g.to_bits(),
            e.to_bits(),
            "{ty}{suffix} element {i}: {g} vs {e}"
        );
    }
}

macro_rules! kquant_tests {
    ($($name:ident: $ty:expr,)*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn quantize_matches_llama_cpp() {
                assert_byte_exact($ty, false);
            }
            #[test]
            fn dequantize_matches_llama_cpp() {
                assert_dequant_exact($ty, false);
            }
        }
    )*};
}

macro_rules! kquant_imatrix_tests {
    ($($name:ident: $ty:expr,)*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn quantize_with_imatrix_matches_llama_cpp() {
                assert_byte_exact($ty, true);
            }
            #[test]
            fn dequantize_imatrix_bytes_matches_llama_cpp() {
                assert_dequant_exact($ty, true);
            }
        }
    )*};
}

kquant_tests! {
    q2_k: GgmlType::Q2_K,
    q3_k: GgmlType::Q3_K,
    q4_k: GgmlType::Q4_K,
    q5_k: GgmlType::Q5_K,
    q6_k: GgmlType::Q6_K,
    q8_k: GgmlType::Q8_K,
}

kquant_imatrix_tests! {
    q2_k_imatrix: GgmlType::Q2_K,
    q3_k_imatrix: GgmlType::Q3_K,
    q4_k_imatrix: GgmlType::Q4_K,
    q5_k_imatrix: GgmlType::Q5_K,
    q6_k_imatrix: GgmlType::Q6_K,
}

/// The imatrix must actually matter: ggml's bytes with and without it differ, and so do ours
/// (guards against a dispatch that silently ignores the weights and still passes because a
/// fixture happened to be generated the same way).
#[test]
fn imatrix_fixtures_differ_from_plain_ones() {
    let dir = fixture_dir();
    for ty in &KQUANTS[..5] {
        let a = read(&dir, &format!("{ty}.bin"));
        let b = read(&dir, &format!("{ty}.imatrix.bin"));
        assert_ne!(a, b, "{ty}");
    }
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
