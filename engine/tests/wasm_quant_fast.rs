//! The fast quantizers compiled to WebAssembly (with simd128, from .cargo/config.toml) and run
//! in a browser must write exactly the bytes of the scalar reference, as natively
//! (tests/quant_fast.rs): on every row of the llama.cpp fixture inputs for every quantizable
//! type, with and without the fixture imatrix, and on the deterministic pattern rows (±0,
//! ties, subnormals, huge values, infinities, NaNs) for every type with a fast path.
//!
//! Run in headless Chromium with `scripts/test_wasm.sh bitsmith-engine:wasm_quant_fast`.
#![cfg(target_arch = "wasm32")]

mod common {
    pub mod fast_rows;
    pub mod fixtures;
}

use bitsmith_engine::quant::{self, fast};
use common::fast_rows::{check_patterns, check_row};
use common::fixtures::{N_PER_ROW, read_f32};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn built_with_simd128_and_fast_paths_on() {
    // The point of this file is the simd128 build; a build without it would test the
    // portable kernels only (they are checked too, as `Isa::Portable`).
    assert!(cfg!(target_feature = "simd128"), "build with +simd128");
    assert!(fast::Isa::Baseline.available());
    assert!(!fast::Isa::Avx2.available());
    assert_eq!(fast::Isa::detect(), fast::Isa::Baseline);
}

#[wasm_bindgen_test]
fn fixture_rows_match_the_reference_for_every_type() {
    let input = read_f32("input.f32");
    let special = read_f32("special.f32");
    let imatrix = read_f32("imatrix.f32");
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

#[wasm_bindgen_test]
fn pattern_rows_match_the_reference() {
    let mut failures = Vec::new();
    for &ty in fast::FAST_TYPES {
        // Fewer rows than natively: the same seed and patterns, a shorter run.
        let (checked, fast_rows, f) = check_patterns(ty, 0x00C0_FFEE, 24);
        assert!(
            fast_rows * 4 >= checked * 3,
            "{ty}: only {fast_rows} of {checked} rows fast"
        );
        failures.extend(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
