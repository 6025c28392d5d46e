//! The engine's text generation, exported to JavaScript for the browser inference benchmark
//! (bench/wasm-infer/www/bench.mjs, driven by scripts/bench_infer.sh).
//!
//! [`InferBench::run`] does what `bitsmith generate --json` does, minus the file system: greedy
//! generation of `n` tokens after a prompt, on the CPU path the app's engine worker uses (wasm
//! simd128 `vec_dot`, one thread), and times the two phases the way llama.cpp reports them:
//! prompt processing (all prompt tokens, in micro-batches) and generation (each further token).

use std::sync::Arc;

use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::infer::{
    Backend, GenEvent, Generation, GenerationConfig, Model, SamplerConfig, shared,
};
use bitsmith_engine::progress::CancelToken;
use bitsmith_engine::tokenizer::Tokenizer;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now_ms() -> f64;
}

#[wasm_bindgen]
pub struct InferBench {
    model: Arc<Model>,
    tokenizer: Arc<Tokenizer>,
}

/// One run's figures.
#[wasm_bindgen(getter_with_clone)]
pub struct RunResult {
    pub prompt_tokens: u32,
    pub prompt_ms: f64,
    pub generated_tokens: u32,
    pub generation_ms: f64,
    pub text: String,
}

#[wasm_bindgen]
impl InferBench {
    /// Builds the model over a copy of `file` (a whole GGUF) in wasm memory, as the app's
    /// worker does after reading the model from IndexedDB.
    #[wasm_bindgen(constructor)]
    pub fn new(file: &Uint8Array) -> Result<InferBench, JsError> {
        let bytes = file.to_vec();
        let parsed = GgufFile::parse(&bytes)?;
        let tokenizer = Tokenizer::from_gguf(&parsed)?;
        let model = Model::from_gguf(&parsed, shared(bytes), Backend::detect())?;
        Ok(InferBench {
            model: Arc::new(model),
            tokenizer: Arc::new(tokenizer),
        })
    }

    /// The kernels in use (`simd` when the build has simd128).
    pub fn backend(&self) -> String {
        format!("{:?}", Backend::detect())
    }

    /// Greedy generation of exactly `n` tokens (end-of-generation tokens do not stop it, so
    /// every run does the same work) after `prompt` (a plain completion, no chat template).
    pub fn run(&self, prompt: &str, n: u32, n_ctx: u32) -> Result<RunResult, JsError> {
        let cfg = GenerationConfig {
            max_tokens: n as usize,
            sampler: SamplerConfig {
                temperature: 0.0,
                ..SamplerConfig::default()
            },
            n_ctx: n_ctx as usize,
            ubatch: 256,
            stop_at_eog: false,
        };
        let mut job = Generation::from_text(
            self.model.clone(),
            self.tokenizer.clone(),
            prompt,
            false,
            cfg,
            CancelToken::new(),
        )?;
        let prompt_tokens = job.prompt().len() as u32;
        let (mut prompt_ms, mut generation_ms, mut generated) = (0f64, 0f64, 0u32);
        let mut text = String::new();
        loop {
            let t0 = now_ms();
            let ev = job.step()?;
            let dt = now_ms() - t0;
            match ev {
                GenEvent::Prefill { .. } => prompt_ms += dt,
                GenEvent::Token { text: piece, .. } => {
                    generated += 1;
                    generation_ms += dt;
                    text.push_str(&piece);
                }
                GenEvent::Done { text: rest, .. } => {
                    text.push_str(&rest);
                    break;
                }
            }
        }
        Ok(RunResult {
            prompt_tokens,
            prompt_ms,
            generated_tokens: generated,
            generation_ms,
            text,
        })
    }
}
