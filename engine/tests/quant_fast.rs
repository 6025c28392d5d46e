//! The fast quantizers (`quant::fast`, which `quant::quantize_row` dispatches to) must write
//! exactly the bytes of the scalar reference (`quant::quantize_row_reference`, itself checked
//! against llama.cpp by quant_fixtures.rs), for every instruction set this CPU runs
//! (`fast::Isa::Baseline`, and `Avx2` where available).
//!
//! Inputs: every row of the llama.cpp fixture inputs (ordinary and NaN/inf/huge rows, with and
//! without the fixture imatrix) for every quantizable type, then deterministic pattern rows
//! (tests/common/fast_rows.rs: ±0, rounding ties, first-of-equal-magnitudes, one-hot,
//! constant, subnormal, near-`f32::MAX`, infinite and NaN blocks, with several kinds of
//! importance weights) at row lengths covering partial and multiple lane batches. The same
//! checks run in headless Chromium in wasm_quant_fast.rs.
// Test code: fixed-size block views read clearer as chunks_exact here.
#![allow(clippy::chunks_exact_to_as_chunks, clippy::manual_is_multiple_of)]

mod common {
    pub mod fast_rows;
    pub mod fixtures;
}

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::{self, QuantError, fast};
use common::fast_rows::{Rng, check_patterns, check_row, pattern_row};
use common::fixtures::{N_PER_ROW, read_f32};

#[test]
fn fast_types_are_quantizable_and_dispatched() {
    for &ty in fast::FAST_TYPES {
        assert!(quant::can_quantize(ty), "{ty}");
    }
    // Types without a fast path report so and leave the buffer alone.
    let x = vec![1.0f32; 256];
    for &ty in quant::QUANTIZABLE {
        let Some(bytes) = ty.row_bytes(256) else {
            continue;
        };
        let mut out = vec![0xEEu8; bytes];
        let used = fast::quantize_row_with(fast::Isa::detect(), ty, &x, &mut out, None).unwrap();
        assert_eq!(used, fast::has_fast_path(ty), "{ty}");
        if !used {
            assert!(
                out.iter().all(|&b| b == 0xEE),
                "{ty} wrote without a fast path"
            );
        }
    }
}

#[test]
fn fast_entry_point_checks_sizes() {
    let x = vec![0.5f32; 64];
    let mut out = vec![0u8; 10];
    assert!(matches!(
        fast::quantize_row_with(fast::Isa::Baseline, GgmlType::Q4_0, &x, &mut out, None),
        Err(QuantError::Size {
            expected: 36,
            got: 10
        })
    ));
    let mut out = vec![0u8; 36];
    assert!(matches!(
        fast::quantize_row_with(
            fast::Isa::Baseline,
            GgmlType::Q4_0,
            &x[..40],
            &mut out,
            None
        ),
        Err(QuantError::PartialBlock { n: 40, .. })
    ));
    assert!(matches!(
        fast::quantize_row_with(
            fast::Isa::Baseline,
            GgmlType::Q4_0,
            &x,
            &mut out,
            Some(&x[..32])
        ),
        Err(QuantError::ImatrixLen {
            expected: 64,
            got: 32
        })
    ));
}

#[test]
fn fixture_rows_match_the_reference_for_every_type() {
    let input = read_f32("input.f32");
    let special = read_f32("special.f32");
    let imatrix = read_f32("imatrix.f32");
    assert_eq!(imatrix.len(), N_PER_ROW);
    let mut failures = Vec::new();
    let mut checked = 0;
    for &ty in quant::QUANTIZABLE {
        for (name, rows) in [("input", &input), ("special", &special)] {
            for (r, x) in rows.chunks_exact(N_PER_ROW).enumerate() {
                let label = format!("{name} row {r}");
                failures.extend(check_row(ty, &label, x, None));
                failures.extend(check_row(
                    ty,
                    &format!("{label} + imatrix"),
                    x,
                    Some(&imatrix),
                ));
                checked += 2;
            }
        }
    }
    assert_eq!(checked, quant::QUANTIZABLE.len() * 2 * 13);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pattern_rows_match_the_reference() {
    let mut failures = Vec::new();
    for &ty in fast::FAST_TYPES {
        let (checked, fast_rows, f) = check_patterns(ty, 0x00C0_FFEE, 48);
        assert!(checked >= 48 * 2 * 4, "{ty}: {checked}");
        assert!(
            fast_rows * 4 >= checked * 3,
            "{ty}: only {fast_rows} of {checked} rows fast"
        );
        failures.extend(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn long_random_rows_match_the_reference() {
    // Many ordinary-looking rows (mixed patterns are rarer here) so that every lane position
    // meets every kind of block.
    let mut rng = Rng::new(0x5EED_1234);
    let mut failures = Vec::new();
    for &ty in fast::FAST_TYPES {
        for r in 0..16 {
            let x = pattern_row(&mut rng, 4096, 64, r, true, false);
            failures.extend(check_row(ty, &format!("long row {r}"), &x, None));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_check_would_catch_a_difference() {
    // Guard against a vacuous comparison: a row quantized as another type, or with a flipped
    // byte, is reported.
    let x: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).sin()).collect();
    assert!(check_row(GgmlType::Q4_K, "sine", &x, None).is_empty());
    let mut a = vec![0u8; GgmlType::Q8_0.row_bytes(256).unwrap()];
    quant::quantize_row(GgmlType::Q8_0, &x, &mut a, None).unwrap();
    let mut b = a.clone();
    b[40] ^= 1;
    assert_ne!(a, b);
    let y: Vec<f32> = x.iter().map(|v| v * 1.001).collect();
    let mut c = vec![0u8; a.len()];
    quant::quantize_row_reference(GgmlType::Q8_0, &y, &mut c, None).unwrap();
    assert_ne!(a, c, "scaled input must change the bytes");
}
