//! The workbench's Run in the worker: chat or completion, one short job per token, on the CPU
//! kernels or on WebGPU.
//!
//! Both backends share the engine's [`Decoding`] (prompt batching, sampling, stopping, text
//! streaming); only the forward pass differs: the CPU model is synchronous
//! ([`Generation`]), the GPU model ([`GpuLlama`]) answers asynchronously (a WebGPU read-back
//! resolves only after yielding to the event loop). Which one runs is chosen per generation
//! ([`RunBackend`]); the CPU path always works, and when the GPU is asked for but cannot be
//! used the answer says why ([`NoGpu`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use bitsmith_engine::device::AdapterReport;
use bitsmith_engine::infer::{
    Decoding, GenEvent, Generation, GenerationConfig, SamplerConfig, Step, StopReason,
    prompt_tokens,
};
use bitsmith_engine::progress::CancelToken;
use bitsmith_engine::tokenizer::ChatMessage;
use bitsmith_gpu::Gpu;
use bitsmith_gpu::llama::{GpuContext, GpuLlama};

use super::library::{Ctx, JobError};
use super::{Loaded, infer_err, load, shared_library, wasm_memory_bytes};
use crate::library::LibError;
use crate::protocol::workbench::{GenEnd, NoGpu, RanOn, RunBackend, WbOutcome};
use crate::worker::{shared_gpu, yield_now};

/// What the learner asked for.
pub struct Ask {
    pub messages: Vec<(String, String)>,
    pub chat: bool,
    pub max_tokens: u32,
    pub temperature: f32,
    pub backend: RunBackend,
}

/// A generation on the GPU: the shared decoding logic and the GPU model's context.
struct GpuRun {
    core: Decoding,
    gpu: Rc<Gpu>,
    model: Rc<GpuLlama>,
    ctx: GpuContext,
}

impl GpuRun {
    async fn step(&mut self) -> Result<GenEvent, JobError> {
        loop {
            match self.core.next_step().map_err(infer_err)? {
                Step::Event(ev) => return Ok(ev),
                Step::Forward { tokens, outputs } => {
                    let logits = self
                        .model
                        .forward(&self.gpu, &mut self.ctx, &tokens, outputs)
                        .await
                        .map_err(infer_err)?;
                    self.core.feed(logits).map_err(infer_err)?;
                }
            }
        }
    }
}

enum Backend {
    Cpu(Box<Generation>),
    Gpu(Box<GpuRun>),
}

struct Session {
    backend: Backend,
    n_prompt: u32,
    ran_on: RanOn,
}

impl Session {
    fn generated(&self) -> u32 {
        match &self.backend {
            Backend::Cpu(g) => g.generated().len() as u32,
            Backend::Gpu(r) => r.core.generated().len() as u32,
        }
    }
}

thread_local! {
    /// Generations in progress, by session id. A session is taken out while it steps (the GPU
    /// step awaits) and put back unless it ended.
    static SESSIONS: RefCell<HashMap<u32, Session>> = RefCell::new(HashMap::new());
    static NEXT_SESSION: Cell<u32> = const { Cell::new(1) };
}

/// A software adapter (SwiftShader, llvmpipe/lavapipe, WARP): WebGPU works, but slower than
/// the CPU kernels, so Auto does not pick it.
fn is_software(r: &AdapterReport) -> bool {
    let name = r.name.to_lowercase();
    r.device_type.eq_ignore_ascii_case("cpu")
        || ["swiftshader", "llvmpipe", "lavapipe", "warp", "software"]
            .iter()
            .any(|s| name.contains(s))
}

/// The GPU model of `l`, uploaded on first use and kept with the loaded model.
fn gpu_model(l: &Loaded, gpu: &Gpu) -> Result<Rc<GpuLlama>, NoGpu> {
    if let Some(m) = l.on_gpu.borrow().as_ref() {
        return Ok(m.clone());
    }
    let m = GpuLlama::from_gguf_chunks(gpu, &l.header, &l.chunks)
        .map(Rc::new)
        .map_err(|e| NoGpu::Model {
            detail: e.to_string(),
        })?;
    *l.on_gpu.borrow_mut() = Some(m.clone());
    Ok(m)
}

/// Where this generation runs: the GPU model and device, or why not.
async fn choose(l: &Loaded, want: RunBackend) -> Result<(Rc<Gpu>, Rc<GpuLlama>), Option<NoGpu>> {
    if want == RunBackend::Cpu {
        return Err(None);
    }
    let gpu = shared_gpu()
        .await
        .map_err(|detail| Some(NoGpu::NoAdapter { detail }))?;
    if want == RunBackend::Auto && is_software(&gpu.report) {
        return Err(Some(NoGpu::Software {
            adapter: gpu.report.name.clone(),
        }));
    }
    let model = gpu_model(l, &gpu).map_err(Some)?;
    Ok((gpu, model))
}

pub async fn start(ctx: &Ctx<'_>, model: &str, ask: Ask) -> Result<WbOutcome, JobError> {
    let lib = shared_library().await?;
    let l = load(&lib, model).await?;
    let prompt = if ask.chat {
        let msgs: Vec<ChatMessage> = ask
            .messages
            .iter()
            .map(|(role, text)| ChatMessage::new(role.as_str(), text.as_str()))
            .collect();
        let text = l.tok.apply_chat_template(&msgs, true).map_err(infer_err)?;
        l.tok.encode(&text, true, true).map_err(infer_err)?
    } else {
        let text = ask
            .messages
            .last()
            .map(|(_, t)| t.as_str())
            .unwrap_or_default();
        prompt_tokens(&l.tok, text, false).map_err(infer_err)?
    };
    let n_prompt = prompt.len() as u32;
    let cfg = GenerationConfig {
        max_tokens: ask.max_tokens.clamp(1, 2048) as usize,
        sampler: SamplerConfig {
            temperature: ask.temperature,
            seed: (js_sys::Math::random() * 1e15) as u64,
            ..SamplerConfig::default()
        },
        ubatch: 32,
        ..GenerationConfig::default()
    };
    let (backend, ran_on) = match choose(&l, ask.backend).await {
        Ok((gpu, model)) => {
            let core = Decoding::new(
                l.tok.clone(),
                l.model.n_vocab(),
                prompt,
                cfg,
                CancelToken::new(),
            )
            .map_err(infer_err)?;
            let gctx = model.new_context(&gpu, core.n_ctx()).map_err(infer_err)?;
            let adapter = gpu.report.name.clone();
            let run = GpuRun {
                core,
                gpu,
                model,
                ctx: gctx,
            };
            (Backend::Gpu(Box::new(run)), RanOn::Gpu { adapter })
        }
        Err(why_not_gpu) => {
            let g = Generation::new(
                l.model.clone(),
                l.tok.clone(),
                prompt,
                cfg,
                CancelToken::new(),
            )
            .map_err(infer_err)?;
            (Backend::Cpu(Box::new(g)), RanOn::Cpu { why_not_gpu })
        }
    };
    let session = NEXT_SESSION.with(|n| {
        let s = n.get();
        n.set(s + 1);
        s
    });
    SESSIONS.with(|s| {
        s.borrow_mut().insert(
            session,
            Session {
                backend,
                n_prompt,
                ran_on,
            },
        )
    });
    next(ctx, session).await
}

/// Steps a generation to its next token (the prompt first, in micro-batches).
pub async fn next(ctx: &Ctx<'_>, session: u32) -> Result<WbOutcome, JobError> {
    loop {
        if ctx.cancel.get() {
            SESSIONS.with(|s| s.borrow_mut().remove(&session));
            return Err(JobError::Cancelled);
        }
        let Some(mut s) = SESSIONS.with(|s| s.borrow_mut().remove(&session)) else {
            return Err(LibError::NotFound(format!("generation {session}")).into());
        };
        let ev = match &mut s.backend {
            Backend::Cpu(g) => g.step().map_err(infer_err)?,
            Backend::Gpu(r) => r.step().await?,
        };
        let out = |s: &Session, text: String, done: Option<GenEnd>| WbOutcome::Generated {
            session,
            text,
            prompt_tokens: s.n_prompt,
            generated: s.generated(),
            done,
            memory: wasm_memory_bytes(),
            ran_on: s.ran_on.clone(),
        };
        match ev {
            GenEvent::Prefill { done, total } => {
                SESSIONS.with(|m| m.borrow_mut().insert(session, s));
                ctx.progress(done as u64, total as u64);
                yield_now().await;
            }
            GenEvent::Token { text, .. } => {
                let o = out(&s, text, None);
                SESSIONS.with(|m| m.borrow_mut().insert(session, s));
                return Ok(o);
            }
            GenEvent::Done { reason, text } => {
                let end = match reason {
                    StopReason::EndOfGeneration => GenEnd::EndOfText,
                    StopReason::Limit => GenEnd::Limit,
                    StopReason::ContextFull => GenEnd::ContextFull,
                    StopReason::Cancelled => GenEnd::Stopped,
                };
                return Ok(out(&s, text, Some(end)));
            }
        }
    }
}

/// Ends a generation early and frees it.
pub fn stop(session: u32) -> Result<WbOutcome, JobError> {
    let s = SESSIONS.with(|s| s.borrow_mut().remove(&session));
    Ok(WbOutcome::Generated {
        session,
        text: String::new(),
        prompt_tokens: 0,
        generated: s.as_ref().map_or(0, Session::generated),
        done: Some(GenEnd::Stopped),
        memory: wasm_memory_bytes(),
        ran_on: s.map_or(RanOn::Cpu { why_not_gpu: None }, |s| s.ran_on),
    })
}
