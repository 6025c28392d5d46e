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

/// A running generation.
pub struct Generation {
    model: Arc<Model>,
    tokenizer: Arc<Tokenizer>,
    cfg: GenerationConfig,
    ctx: Context,
    sampler: Sampler,
    prompt: Vec<u32>,
    n_prefilled: usize,
    generated: Vec<u32>,
    logits: Vec<f32>,
    decoder: StreamDecoder,
    finished: Option<StopReason>,
    cancel: CancelToken,
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
        if let Some(&t) = prompt.iter().find(|&&t| t as usize >= model.n_vocab()) {
            return Err(InferError::TokenOutOfRange {
                token: t,
                n_vocab: model.n_vocab(),
            });
        }
        let mut sampler = Sampler::new(cfg.sampler.clone())?;
        for &t in &prompt {
            sampler.accept(t);
        }
        Ok(Generation {
            ctx: model.new_context(n_ctx)?,
            decoder: tokenizer.stream_decoder(false),
            model,
            tokenizer,
            cfg,
            sampler,
            prompt,
            n_prefilled: 0,
            generated: Vec::new(),
            logits: Vec::new(),
            finished: None,
            cancel,
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

    fn finish(&mut self, reason: StopReason) -> GenEvent {
        self.finished = Some(reason);
        GenEvent::Done {
            reason,
            text: self.decoder.finish(),
        }
    }

    /// Does one unit of work: one prompt micro-batch, or one generated token.
    pub fn step(&mut self) -> Result<GenEvent, InferError> {
        if let Some(reason) = self.finished {
            return Ok(GenEvent::Done {
                reason,
                text: String::new(),
            });
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
            let logits =
                self.model
                    .forward(&mut self.ctx, &self.prompt[self.n_prefilled..end], outputs)?;
            self.n_prefilled = end;
            if end == n {
                self.logits = logits;
            }
            return Ok(GenEvent::Prefill {
                done: end,
                total: n,
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
        // Feed the token back unless nothing more will be sampled.
        self.logits.clear();
        if self.generated.len() < self.cfg.max_tokens && self.ctx.n_past() < self.ctx.capacity() {
            self.logits = self.model.forward(&mut self.ctx, &[id], Outputs::Last)?;
        }
        Ok(GenEvent::Token { id, text })
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
