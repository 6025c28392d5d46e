//! Getting a real model into a browser test. wasm-bindgen-test-runner serves only the test
//! bundle, so scripts/test_wasm.sh runs a static file server over `$BITSMITH_MODELS` (with
//! `Access-Control-Allow-Origin: *`: the test page is on another port, hence another origin)
//! and compiles its URL in as `BITSMITH_MODEL_URL`.
//!
//! Built without that variable (a plain `cargo test --target wasm32-unknown-unknown`), there
//! is no server to ask and [`fetch_model`] returns `None` after saying why; given the URL, any
//! failure to fetch the file is a test failure, never a skip.
//!
//! Shared by engine/tests/wasm_infer.rs and gpu/tests/wasm_llama.rs (by `#[path]`).

#![allow(dead_code)]

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, which windows and workers both have (`web_sys::window()` is `None`
    /// in the dedicated worker these tests run in).
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str) -> Promise;
}

/// The model server's base URL, as scripts/test_wasm.sh set it when this test was compiled.
pub const MODEL_URL: Option<&str> = option_env!("BITSMITH_MODEL_URL");

/// `name` (a file in `$BITSMITH_MODELS`) from the test server, or `None` when this build has
/// no server URL. Panics when the URL is set and the fetch fails.
pub async fn fetch_model(name: &str) -> Option<Vec<u8>> {
    let Some(base) = MODEL_URL else {
        wasm_bindgen_test::console_log!(
            "NOTICE: built without BITSMITH_MODEL_URL, so there is no model server; \
             skipping (run scripts/test_wasm.sh, which serves $BITSMITH_MODELS)"
        );
        return None;
    };
    let url = format!("{}/{name}", base.trim_end_matches('/'));
    let resp = JsFuture::from(global_fetch(&url))
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e:?}"));
    let resp: Response = resp.dyn_into().expect("fetch resolves to a Response");
    assert!(
        resp.ok(),
        "fetch {url}: HTTP {} {} (is the model in $BITSMITH_MODELS? run scripts/fetch_test_models.sh)",
        resp.status(),
        resp.status_text()
    );
    let buf = JsFuture::from(resp.array_buffer().expect("Response.arrayBuffer"))
        .await
        .unwrap_or_else(|e| panic!("reading {url}: {e:?}"));
    Some(Uint8Array::new(&buf).to_vec())
}

/// Wall-clock milliseconds, for the timings the tests log (`std::time::Instant` panics in
/// wasm32-unknown-unknown).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
