//! The forward pass compiled to WebAssembly (simd128 kernels, the browser build's CPU path)
//! against llama.cpp on the real SmolLM2-135M-Instruct Q4_1 file, in headless Chromium: the
//! same checks and tolerances as the native tests/infer_smollm2.rs (shared through
//! tests/common/infer.rs), on the same fixture (tests/fixtures/infer/smollm2_q4_1.json):
//!
//! * the tokenizer reproduces llama.cpp's ids (prompt, chat-formatted prompt, perplexity text);
//! * the top logit and its token at every prompt position within the quantized tolerance;
//! * greedy generation of 32 tokens, plain and chat prompts, equal to llama.cpp's (or at most
//!   three teacher-forced near-ties, as natively);
//! * perplexity over tests/fixtures/infer/ppl_text.txt within 0.5% of llama.cpp's.
//!
//! The model comes over HTTP from the server scripts/test_wasm.sh runs (tests/common/fetch.rs);
//! built without that server's URL the tests say so and pass. Each stage logs its time in
//! the browser (Date.now) so the runner's output shows where the minutes go.

#![cfg(target_arch = "wasm32")]

mod common {
    pub mod fetch;
    pub mod infer;
}

use std::cell::RefCell;
use std::rc::Rc;

use bitsmith_engine::infer::Backend;
use common::fetch::{fetch_model, now_ms};
use common::infer::{
    Loaded, Q_MAX_TOL, check_greedy, check_perplexity, check_prompt_logits, check_tokens, ids,
};
use serde_json::Value;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

// In a dedicated worker, not the page: a check that computes for more than 30 s without
// yielding would block the page's main thread, and chromedriver, which reads the results
// from the page, gives up on an unresponsive renderer after 30 s.
wasm_bindgen_test_configure!(run_in_dedicated_worker);

const MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const VARIANT: &str = "Q4_1";

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/infer/smollm2_q4_1.json")).unwrap()
}

thread_local! {
    /// The model, fetched and loaded once for every test in this file (they run one after
    /// another in one page; fetching 94 MB three times would only cost time and memory).
    static LOADED: RefCell<Option<Rc<Loaded>>> = const { RefCell::new(None) };
}

async fn model() -> Option<Rc<Loaded>> {
    if let Some(m) = LOADED.with(|c| c.borrow().clone()) {
        return Some(m);
    }
    let t0 = now_ms();
    let bytes = fetch_model(MODEL).await?;
    let t1 = now_ms();
    let m = Rc::new(Loaded::from_bytes(bytes));
    report!(
        "{MODEL}: fetched {} MB in {:.0} ms, loaded in {:.0} ms, kernels: {}",
        m.model.weight_bytes() >> 20,
        t1 - t0,
        now_ms() - t1,
        m.model.backend().describe()
    );
    LOADED.with(|c| *c.borrow_mut() = Some(m.clone()));
    Some(m)
}

/// The browser build's CPU path is the simd128 one (.cargo/config.toml enables the target
/// feature); without it this file would silently test the scalar kernels instead.
#[wasm_bindgen_test]
fn the_cpu_backend_is_simd128() {
    assert_eq!(Backend::detect(), Backend::Simd);
    assert_eq!(Backend::Simd.describe(), "simd128");
}

#[wasm_bindgen_test]
async fn tokens_and_prompt_logits_match_llama_cpp() {
    let Some(m) = model().await else { return };
    assert_eq!(m.model.backend(), Backend::Simd);
    let fx = fixture();
    let t0 = now_ms();
    check_tokens(&m, &fx);
    let t1 = now_ms();
    let (_, worst) = check_prompt_logits(&m, VARIANT, &fx, Q_MAX_TOL);
    report!(
        "{VARIANT}: tokenizer {:.0} ms; {} prompt positions: max |Δ max_logit| vs llama.cpp {worst:.4} (tolerance {Q_MAX_TOL}), {:.0} ms",
        t1 - t0,
        ids(&fx["prompt_tokens"]).len(),
        now_ms() - t1
    );
}

#[wasm_bindgen_test]
async fn greedy_generation_matches_llama_cpp() {
    let Some(m) = model().await else { return };
    let fx = fixture();
    let t0 = now_ms();
    let want = ids(&fx["greedy"]);
    let want_chat = ids(&fx["chat_greedy"]);
    // The fixture holds 32 tokens of each; fewer would make this a weaker check.
    assert_eq!((want.len(), want_chat.len()), (32, 32));
    let plain = check_greedy(&m, VARIANT, ids(&fx["prompt_tokens"]), &want, false);
    let chat = check_greedy(&m, VARIANT, ids(&fx["chat_tokens"]), &want_chat, false);
    report!(
        "{VARIANT}: greedy tokens equal to llama.cpp's before any divergence: plain {plain}/32, chat {chat}/32; {:.0} ms",
        now_ms() - t0
    );
}

#[wasm_bindgen_test]
async fn perplexity_matches_llama_cpp() {
    let Some(m) = model().await else { return };
    let fx = fixture();
    let t0 = now_ms();
    let tokens = ids(&fx["ppl_text_tokens"]);
    check_perplexity(&m, VARIANT, &fx, tokens);
    report!("{VARIANT}: perplexity in {:.0} ms", now_ms() - t0);
}
