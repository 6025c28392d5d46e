//! Text generation as a step-able job: the prompt is processed in micro-batches, then one token
//! is sampled, streamed and fed back per step, until an end-of-generation token, the token
//! limit, a full context, or cancellation.
//!
//! Sans-IO: the caller drives [`Generation::step`] (the browser worker between `await`s, the CLI
//! in a loop via [`Generation::run`]) and receives each new token with its text (UTF-8 split
//! across tokens is held back until complete).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::InferError;
use super::model::{Context, Model, Outputs};
use super::sampler::{Sampler, SamplerConfig};
use crate::progress::{CancelToken, Progress, Stage};
use crate::tokenizer::{ChatMessage, StreamDecoder, Tokenizer};

/// Generation settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationConfig {
    /// Most tokens to generate.
    pub max_tokens: usize,
    pub sampler: SamplerConfig,
    /// Context size; 0 means exactly prompt + `max_tokens`.
    pub n_ctx: usize,
    /// Prompt tokens processed per step (bounds the time one step takes).
    pub ubatch: usize,
    /// Stop at an end-of-generation token (EOS, EOT, `<|im_end|>`, …).
    pub stop_at_eog: bool,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        GenerationConfig {
            max_tokens: 128,
            sampler: SamplerConfig::default(),
            n_ctx: 0,
            ubatch: 64,
            stop_at_eog: true,
        }
    }
}

/// Why generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model produced an end-of-generation token (not included in the output).
    EndOfGeneration,
    /// `max_tokens` were generated.
    Limit,
    /// The context is full.
    ContextFull,
    Cancelled,
}

/// What one step did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum GenEvent {
    /// Prompt tokens processed so far.
    Prefill { done: usize, total: usize },
    /// A generated token and the text it completed (possibly empty).
    Token { id: u32, text: String },
    /// Finished; `text` is whatever the stream decoder still held back.
    Done { reason: StopReason, text: String },
}

/// What [`Decoding::next_step`] asks of its caller.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Run these tokens through the model at the next positions and hand the logits of the rows
    /// `outputs` names to [`Decoding::feed`] (an empty vector for [`Outputs::None`]).
    Forward { tokens: Vec<u32>, outputs: Outputs },
    /// Something happened.
    Event(GenEvent),
}

/// The part of a forward-pass-in-flight [`Decoding`] remembers until its logits arrive.
#[derive(Clone, Debug)]
enum Awaiting {
    Prefill { end: usize },
    Token { id: u32, text: String },
}

/// Generation without a model: prompt batching, sampling, stopping and streaming text, asking
/// its caller for each forward pass ([`Step::Forward`]) and taking the logits back
/// ([`Decoding::feed`]). [`Generation`] drives it with the CPU model; the browser worker drives
/// it with the WebGPU model, whose forward pass is asynchronous. One logic, every backend.
pub struct Decoding {
    tokenizer: Arc<Tokenizer>,
    cfg: GenerationConfig,
    sampler: Sampler,
    prompt: Vec<u32>,
    n_prefilled: usize,
    generated: Vec<u32>,
    logits: Vec<f32>,
    decoder: StreamDecoder,
    finished: Option<StopReason>,
    cancel: CancelToken,
    /// Positions filled in the model's context, and how many it has.
    n_past: usize,
    n_ctx: usize,
    awaiting: Option<Awaiting>,
    /// The event of the forward pass just fed, returned by the next `next_step`.
    ready: Option<GenEvent>,
}

impl Decoding {
    /// Starts from prompt tokens for a model with `n_vocab` tokens. The context the caller
    /// creates must hold [`Decoding::n_ctx`] positions.
    pub fn new(
        tokenizer: Arc<Tokenizer>,
        n_vocab: usize,
        prompt: Vec<u32>,
        cfg: GenerationConfig,
        cancel: CancelToken,
    ) -> Result<Decoding, InferError> {
        if prompt.is_empty() {
            return Err(InferError::Empty("the prompt has no tokens"));
        }
        if cfg.ubatch == 0 {
            return Err(InferError::Config("ubatch must be at least 1".into()));
        }
        let n_ctx = if cfg.n_ctx == 0 {
            prompt.len() + cfg.max_tokens
        } else {
            cfg.n_ctx
        };
        if prompt.len() > n_ctx {
            return Err(InferError::ContextFull {
                n_ctx,
                needed: prompt.len(),
            });
        }
        if let Some(&t) = prompt.iter().find(|&&t| t as usize >= n_vocab) {
            return Err(InferError::TokenOutOfRange { token: t, n_vocab });
        }
        let mut sampler = Sampler::new(cfg.sampler.clone())?;
        for &t in &prompt {
            sampler.accept(t);
        }
        Ok(Decoding {
            decoder: tokenizer.stream_decoder(false),
            tokenizer,
            cfg,
            sampler,
            prompt,
            n_prefilled: 0,
            generated: Vec::new(),
            logits: Vec::new(),
            finished: None,
            cancel,
            n_past: 0,
            n_ctx,
            awaiting: None,
            ready: None,
        })
    }

    /// Context positions the model needs.
    pub fn n_ctx(&self) -> usize {
        self.n_ctx
    }

    pub fn prompt(&self) -> &[u32] {
        &self.prompt
    }

    /// Tokens generated so far.
    pub fn generated(&self) -> &[u32] {
        &self.generated
    }

    pub fn finished(&self) -> Option<StopReason> {
        self.finished
    }

    /// Progress over prompt + `max_tokens` tokens.
    pub fn progress(&self) -> Progress {
        let total = (self.prompt.len() + self.cfg.max_tokens) as u64;
        let (stage, index, count) = if self.finished.is_some() {
            (Stage::Done, self.generated.len(), self.cfg.max_tokens)
        } else if self.n_prefilled < self.prompt.len() {
            (Stage::Prefill, self.n_prefilled, self.prompt.len())
        } else {
            (Stage::Decode, self.generated.len(), self.cfg.max_tokens)
        };
        Progress {
            stage,
            index,
            count,
            name: String::new(),
            bytes_done: (self.n_prefilled + self.generated.len()) as u64,
            bytes_total: total,
        }
    }

    fn finish(&mut self, reason: StopReason) -> Step {
        self.finished = Some(reason);
        Step::Event(GenEvent::Done {
            reason,
            text: self.decoder.finish(),
        })
    }

    /// The next thing to do: a forward pass for the caller to run (one prompt micro-batch, or
    /// the token just sampled fed back), or an event.
    pub fn next_step(&mut self) -> Result<Step, InferError> {
        if self.awaiting.is_some() {
            return Err(InferError::Config(
                "a forward pass is still waiting for its logits".into(),
            ));
        }
        if let Some(ev) = self.ready.take() {
            return Ok(Step::Event(ev));
        }
        if let Some(reason) = self.finished {
            return Ok(Step::Event(GenEvent::Done {
                reason,
                text: String::new(),
            }));
        }
        if self.cancel.is_cancelled() {
            return Ok(self.finish(StopReason::Cancelled));
        }
        let n = self.prompt.len();
        if self.n_prefilled < n {
            let end = (self.n_prefilled + self.cfg.ubatch).min(n);
            let outputs = if end == n {
                Outputs::Last
            } else {
                Outputs::None
            };
            self.awaiting = Some(Awaiting::Prefill { end });
            return Ok(Step::Forward {
                tokens: self.prompt[self.n_prefilled..end].to_vec(),
                outputs,
            });
        }
        if self.generated.len() >= self.cfg.max_tokens {
            return Ok(self.finish(StopReason::Limit));
        }
        if self.logits.is_empty() {
            // The last token could not be fed back: the context was full.
            return Ok(self.finish(StopReason::ContextFull));
        }
        let id = self.sampler.sample(&mut self.logits)?;
        if self.cfg.stop_at_eog && self.tokenizer.is_eog(id) {
            return Ok(self.finish(StopReason::EndOfGeneration));
        }
        self.sampler.accept(id);
        self.generated.push(id);
        let text = self.decoder.push(&self.tokenizer, id)?;
        self.logits.clear();
        // Feed the token back unless nothing more will be sampled.
        if self.generated.len() < self.cfg.max_tokens && self.n_past < self.n_ctx {
            self.awaiting = Some(Awaiting::Token { id, text });
            return Ok(Step::Forward {
                tokens: vec![id],
                outputs: Outputs::Last,
            });
        }
        Ok(Step::Event(GenEvent::Token { id, text }))
    }

    /// The logits of the forward pass [`Decoding::next_step`] asked for.
    pub fn feed(&mut self, logits: Vec<f32>) -> Result<(), InferError> {
        match self.awaiting.take() {
            Some(Awaiting::Prefill { end }) => {
                self.n_past += end - self.n_prefilled;
                self.n_prefilled = end;
                if end == self.prompt.len() {
                    self.logits = logits;
                }
                self.ready = Some(GenEvent::Prefill {
                    done: end,
                    total: self.prompt.len(),
                });
            }
            Some(Awaiting::Token { id, text }) => {
                self.n_past += 1;
                self.logits = logits;
                self.ready = Some(GenEvent::Token { id, text });
            }
            None => {
                return Err(InferError::Config(
                    "logits fed with no forward pass asked for".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A running generation on the CPU model.
pub struct Generation {
    core: Decoding,
    model: Arc<Model>,
    ctx: Context,
}

impl Generation {
    /// Starts a generation from prompt tokens.
    pub fn new(
        model: Arc<Model>,
        tokenizer: Arc<Tokenizer>,
        prompt: Vec<u32>,
        cfg: GenerationConfig,
        cancel: CancelToken,
    ) -> Result<Generation, InferError> {
        let core = Decoding::new(tokenizer, model.n_vocab(), prompt, cfg, cancel)?;
        Ok(Generation {
            ctx: model.new_context(core.n_ctx())?,
            core,
            model,
        })
    }

    /// Starts from text: tokenized as llama.cpp does (BOS if the vocabulary asks for it,
    /// special tokens in the text parsed). With `chat`, the text becomes one user turn
    /// formatted by the model's chat template, with the assistant prompt appended.
    pub fn from_text(
        model: Arc<Model>,
        tokenizer: Arc<Tokenizer>,
        text: &str,
        chat: bool,
        cfg: GenerationConfig,
        cancel: CancelToken,
    ) -> Result<Generation, InferError> {
        let prompt = prompt_tokens(&tokenizer, text, chat)?;
        Generation::new(model, tokenizer, prompt, cfg, cancel)
    }

    pub fn prompt(&self) -> &[u32] {
        self.core.prompt()
    }

    /// Tokens generated so far.
    pub fn generated(&self) -> &[u32] {
        self.core.generated()
    }

    pub fn finished(&self) -> Option<StopReason> {
        self.core.finished()
    }

    /// Progress over prompt + `max_tokens` tokens.
    pub fn progress(&self) -> Progress {
        self.core.progress()
    }

    /// Does one unit of work: one prompt micro-batch, or one generated token.
    pub fn step(&mut self) -> Result<GenEvent, InferError> {
        loop {
            match self.core.next_step()? {
                Step::Event(ev) => return Ok(ev),
                Step::Forward { tokens, outputs } => {
                    let logits = self.model.forward(&mut self.ctx, &tokens, outputs)?;
                    self.core.feed(logits)?;
                }
            }
        }
    }

    /// Steps to the end, handing every event to `on_event`.
    pub fn run(&mut self, on_event: &mut dyn FnMut(&GenEvent)) -> Result<StopReason, InferError> {
        loop {
            let ev = self.step()?;
            on_event(&ev);
            if let GenEvent::Done { reason, .. } = ev {
                return Ok(reason);
            }
        }
    }
}

/// Prompt text to tokens the way llama.cpp's tools do it: optionally through the chat template
/// as a single user message with the assistant turn opened, then `encode(text, add_special =
/// true, parse_special = true)`.
pub fn prompt_tokens(tok: &Tokenizer, text: &str, chat: bool) -> Result<Vec<u32>, InferError> {
    let formatted;
    let text = if chat {
        formatted = tok.apply_chat_template(&[ChatMessage::new("user", text)], true)?;
        formatted.as_str()
    } else {
        text
    };
    Ok(tok.encode(text, true, true)?)
}
