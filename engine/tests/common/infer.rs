//! The checks of the forward pass against llama.cpp's fixtures (tests/fixtures/infer/, from
//! scripts/gen_infer_fixtures.py), shared by the native test (tests/infer_smollm2.rs, models
//! read from disk) and the browser test (tests/wasm_infer.rs, the model fetched over HTTP), so
//! both targets hold the model to one set of tolerances. Why the tolerances are what they are
//! is explained at the top of tests/infer_smollm2.rs.
//!
//! Include it as `mod common { pub mod infer; }`.

#![allow(dead_code)] // each test binary uses a subset

use std::sync::Arc;

use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::infer::{
    Backend, EvalConfig, GenEvent, Generation, GenerationConfig, Model, Outputs, PerplexityJob,
    SamplerConfig, StopReason, eval_tokens, prompt_tokens, shared,
};
use bitsmith_engine::progress::{CancelToken, NoProgress};
use bitsmith_engine::tokenizer::Tokenizer;
use serde_json::Value;

pub const F32_MAX_TOL: f32 = 1e-3;
pub const Q_RMS_TOL: f64 = 0.5;
pub const Q_MAX_TOL: f32 = 2.0;
pub const Q_TIE: f32 = 0.5;
pub const MAX_NEAR_TIES: usize = 3;
pub const PPL_REL_TOL: f64 = 0.005;

/// The text llama.cpp's perplexity fixture was computed on (compiled in, so the browser test
/// has it too).
pub const PPL_TEXT: &str = include_str!("../fixtures/infer/ppl_text.txt");

/// Prints a measurement: to stdout natively, to the browser console (which
/// wasm-bindgen-test-runner relays) in wasm, where `println!` goes nowhere.
#[macro_export]
macro_rules! report {
    ($($t:tt)*) => {{
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_test::console_log!($($t)*);
        #[cfg(not(target_arch = "wasm32"))]
        println!($($t)*);
    }};
}

pub struct Loaded {
    pub model: Arc<Model>,
    pub tok: Arc<Tokenizer>,
}

impl Loaded {
    /// Parses a whole GGUF file and loads it on the fastest CPU kernels this build has (AVX2
    /// natively, simd128 in wasm).
    pub fn from_bytes(bytes: Vec<u8>) -> Loaded {
        let file = GgufFile::parse(&bytes).unwrap();
        let tok = Tokenizer::from_gguf(&file).unwrap();
        let model = Model::from_gguf(&file, shared(bytes), Backend::detect()).unwrap();
        Loaded {
            model: Arc::new(model),
            tok: Arc::new(tok),
        }
    }
}

/// `(max |Δlogit|, RMS Δlogit)` tolerances for a model variant.
pub fn tolerances(variant: &str) -> (f32, f64) {
    if variant == "F32" {
        (F32_MAX_TOL, f64::from(F32_MAX_TOL))
    } else {
        (Q_MAX_TOL, Q_RMS_TOL)
    }
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// `(max |a - b|, RMS(a - b))`.
pub fn diff(a: &[f32], b: &[f32]) -> (f32, f64) {
    let max = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    let ss: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
    (max, (ss / a.len() as f64).sqrt())
}

pub fn argmax(v: &[f32]) -> usize {
    bitsmith_engine::infer::sampler::argmax(v) as usize
}

/// The tokenizer reproduces llama.cpp's ids for the prompt, the chat-formatted prompt and the
/// perplexity text; returns the perplexity text's tokens.
pub fn check_tokens(m: &Loaded, fx: &Value) -> Vec<u32> {
    assert_eq!(m.model.n_vocab() as u64, fx["n_vocab"].as_u64().unwrap());
    assert_eq!(
        m.tok
            .encode(fx["prompt"].as_str().unwrap(), true, true)
            .unwrap(),
        ids(&fx["prompt_tokens"])
    );
    assert_eq!(
        prompt_tokens(&m.tok, fx["chat_user"].as_str().unwrap(), true).unwrap(),
        ids(&fx["chat_tokens"]),
        "chat template + tokenizer"
    );
    let ppl_tokens = eval_tokens(&m.tok, PPL_TEXT).unwrap();
    assert_eq!(ppl_tokens, ids(&fx["ppl_text_tokens"]));
    ppl_tokens
}

/// Logits at every position of the fixture's prompt (one batch): the top logit within
/// `max_tol` of llama.cpp's, and llama.cpp's argmax ours or within `max_tol` of it. Returns
/// every row and the largest |Δ max_logit| seen.
pub fn check_prompt_logits(m: &Loaded, variant: &str, fx: &Value, max_tol: f32) -> (Vec<f32>, f32) {
    let nv = m.model.n_vocab();
    let prompt = ids(&fx["prompt_tokens"]);
    let mut ctx = m.model.new_context(64).unwrap();
    let logits = m.model.forward(&mut ctx, &prompt, Outputs::All).unwrap();
    assert_eq!(logits.len(), prompt.len() * nv);
    let want_arg = ids(&fx["argmax"]);
    let mut worst = 0f32;
    for (i, row) in logits.chunks_exact(nv).enumerate() {
        let a = argmax(row);
        let want_max = fx["max_logit"][i].as_f64().unwrap() as f32;
        worst = worst.max((row[a] - want_max).abs());
        assert!(
            (row[a] - want_max).abs() <= max_tol,
            "{variant} pos {i}: max logit {} vs llama.cpp {want_max}",
            row[a]
        );
        if a != want_arg[i] as usize {
            let theirs = row[want_arg[i] as usize];
            assert!(
                row[a] - theirs <= max_tol,
                "{variant} pos {i}: argmax {a} vs llama.cpp {} ({} vs {theirs})",
                want_arg[i],
                row[a]
            );
        }
    }
    (logits, worst)
}

fn greedy(m: &Loaded, prompt: Vec<u32>, n: usize) -> Vec<u32> {
    let cfg = GenerationConfig {
        max_tokens: n,
        sampler: SamplerConfig::greedy(),
        // llama.cpp's fixture does not stop at end-of-generation tokens either.
        stop_at_eog: false,
        ubatch: 512,
        ..GenerationConfig::default()
    };
    let mut g = Generation::new(
        m.model.clone(),
        m.tok.clone(),
        prompt,
        cfg,
        CancelToken::new(),
    )
    .unwrap();
    let mut out = Vec::new();
    let reason = g
        .run(&mut |e| {
            if let GenEvent::Token { id, .. } = e {
                out.push(*id);
            }
        })
        .unwrap();
    assert_eq!(reason, StopReason::Limit);
    out
}

/// Greedy generation must equal llama.cpp's; for quantized models a divergence at a near-tie
/// is accepted when llama.cpp's tokens, fed back one by one, are each our argmax or within
/// `Q_TIE` of it (at most `MAX_NEAR_TIES` such steps). Returns how many leading tokens match.
pub fn check_greedy(
    m: &Loaded,
    variant: &str,
    prompt: Vec<u32>,
    want: &[u32],
    exact: bool,
) -> usize {
    let got = greedy(m, prompt.clone(), want.len());
    let same = got.iter().zip(want).take_while(|(a, b)| a == b).count();
    if got == want {
        report!(
            "{variant}: greedy {} tokens identical to llama.cpp",
            want.len()
        );
        return same;
    }
    assert!(!exact, "{variant}: greedy {got:?} vs llama.cpp {want:?}");
    let nv = m.model.n_vocab();
    let mut ctx = m.model.new_context(prompt.len() + want.len()).unwrap();
    let mut logits = m.model.forward(&mut ctx, &prompt, Outputs::Last).unwrap();
    let mut ties = Vec::new();
    for (i, &t) in want.iter().enumerate() {
        assert_eq!(logits.len(), nv);
        let a = argmax(&logits);
        if a != t as usize {
            let gap = logits[a] - logits[t as usize];
            assert!(
                gap <= Q_TIE,
                "{variant}: step {i}: llama.cpp's token {t} is {gap} below our argmax {a}"
            );
            ties.push((i, gap));
        }
        logits = m.model.forward(&mut ctx, &[t], Outputs::Last).unwrap();
    }
    report!(
        "{variant}: greedy diverges from llama.cpp after {same} tokens at a near-tie; teacher-forced near-ties (step, gap): {ties:?}"
    );
    assert!(ties.len() <= MAX_NEAR_TIES, "{variant}: {ties:?}");
    same
}

/// Perplexity over the fixture text (n_ctx 512, llama-perplexity's chunking and scoring)
/// within `PPL_REL_TOL` of llama.cpp's, its ± within 5%. Returns (ours, llama.cpp's).
pub fn check_perplexity(m: &Loaded, variant: &str, fx: &Value, tokens: Vec<u32>) -> (f64, f64) {
    let cfg = EvalConfig::for_tokenizer(&m.tok, 512);
    let mut job = PerplexityJob::new(m.model.clone(), tokens, cfg, CancelToken::new()).unwrap();
    let r = job.run(&mut NoProgress).unwrap();
    let want = &fx["perplexity"];
    let want_ppl = want["ppl"].as_f64().unwrap();
    assert_eq!(r.count as u64, want["count"].as_u64().unwrap());
    assert_eq!(r.n_chunks as u64, want["n_chunks"].as_u64().unwrap());
    let rel = (r.ppl - want_ppl).abs() / want_ppl;
    report!(
        "{variant}: PPL {:.4} ± {:.5} (llama.cpp {want_ppl:.4} ± {:.5}), relative difference {rel:.2e}",
        r.ppl,
        r.ppl_err,
        want["ppl_err"].as_f64().unwrap()
    );
    assert!(rel <= PPL_REL_TOL, "{variant}: PPL {} vs {want_ppl}", r.ppl);
    let want_err = want["ppl_err"].as_f64().unwrap();
    assert!((r.ppl_err - want_err).abs() / want_err < 0.05);
    (r.ppl, want_ppl)
}
