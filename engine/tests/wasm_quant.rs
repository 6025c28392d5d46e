//! The quantizers compiled to WebAssembly and run in a browser must give the same bytes as
//! llama.cpp, exactly as the native build does: every type in `quant::QUANTIZABLE`, with and
//! without an importance matrix, and on NaN / inf / huge inputs where fixtures exist; and the
//! dequantized values must be the same f32 bits (NaN sign and payload included).
//!
//! The fixtures are the native test's (`tests/fixtures/quant/`, from
//! scripts/gen_quant_fixtures.py), compiled in with `include_bytes!` by the shared
//! `common/fixtures.rs`, which also holds the comparison, so the two targets run one check.
//!
//! Run in headless Chromium with scripts/test_wasm.sh (it sets the wasm-bindgen-test runner and
//! chromedriver; engine/webdriver.json holds the browser flags).
#![cfg(target_arch = "wasm32")]

mod common {
    pub mod fixtures;
}

use bitsmith_engine::quant;
use common::fixtures::{CASES, Variant, assert_variant_exact, case_of, check_case, read_f32};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn every_quantizable_type_is_checked() {
    for &ty in quant::QUANTIZABLE {
        assert!(case_of(ty).is_some(), "{ty} has no fixture case");
    }
    assert_eq!(CASES.len(), quant::QUANTIZABLE.len());
}

#[wasm_bindgen_test]
fn quantize_matches_ggml_without_imatrix() {
    assert_variant_exact(Variant::Plain);
}

#[wasm_bindgen_test]
fn quantize_matches_ggml_with_imatrix() {
    assert_variant_exact(Variant::Imatrix);
}

#[wasm_bindgen_test]
fn imatrix_is_ignored_where_ggml_ignores_it() {
    assert_variant_exact(Variant::ImatrixIgnored);
}

#[wasm_bindgen_test]
fn nan_inf_and_huge_inputs_match_ggml() {
    assert_variant_exact(Variant::Special);
}

/// Guards the embedding itself: a case list that silently embedded nothing (or the wrong
/// input) would make the checks above vacuous, so count what each variant covered.
#[wasm_bindgen_test]
fn every_case_and_variant_was_compared() {
    let input = read_f32("input.f32");
    let special = read_f32("special.f32");
    let imatrix = read_f32("imatrix.f32");
    assert_eq!(input.len(), 10 * common::fixtures::N_PER_ROW);
    assert_eq!(special.len(), 3 * common::fixtures::N_PER_ROW);
    let mut compared = 0;
    for c in CASES {
        for v in Variant::ALL.into_iter().filter(|v| v.applies_to(c)) {
            let x = if v == Variant::Special {
                &special
            } else {
                &input
            };
            assert_eq!(check_case(c, v, x, &imatrix), Vec::<String>::new());
            compared += 1;
        }
    }
    // 18 types x (plain + imatrix-or-ignored) + 12 with special fixtures.
    assert_eq!(compared, 18 * 2 + 12);
}
