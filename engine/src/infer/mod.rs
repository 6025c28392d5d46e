//! Running a model: quantized dot products, the Llama-family forward pass, sampling,
//! generation and evaluation (perplexity, KL divergence against a base model).
//!
//! Everything here is sans-IO like the rest of the engine. A [`Model`] borrows its tensor data
//! from byte buffers the caller owns ([`SharedBytes`]: the GGUF file read once into memory, or
//! one buffer per chunk/tensor as the web worker receives them) and never dequantizes a whole
//! weight matrix: matrix-vector products run on the quantized blocks, with the activations
//! quantized on the fly to the block type ggml pairs with each weight type ([`ActType`]).
//!
//! Long jobs ([`Generation`], [`PerplexityJob`], [`KldJob`]) are step-able state machines: each
//! `step` does a bounded amount of work (one micro-batch of tokens), so the browser worker can
//! yield between steps; each checks a [`crate::progress::CancelToken`] and reports
//! [`crate::progress::Progress`].
//!
//! Kernels: `vec_dot::scalar` is the reference every fast kernel is tested against; AVX2 (x86-64,
//! detected at run time) and simd128 (wasm32 built with `+simd128`) versions cover the hot types.
//! [`Backend`] picks between them at run time; the scalar path always works.

pub mod eval;
pub mod generate;
pub mod hparams;
pub mod kv_cache;
pub mod matmul;
pub mod model;
pub mod sampler;
pub mod vec_dot;
pub mod weights;

pub use eval::{
    EvalConfig, KldConfig, KldJob, KldResult, PerplexityConfig, PerplexityJob, PerplexityResult,
    Quantiles, eval_tokens,
};
pub use generate::{
    Decoding, GenEvent, Generation, GenerationConfig, Step, StopReason, prompt_tokens,
};
pub use hparams::{Arch, Hparams, RopeKind};
pub use kv_cache::KvCache;
pub use model::{Context, Model, Outputs, SharedModel};
pub use sampler::{Rng, Sampler, SamplerConfig};
pub use vec_dot::{ActType, Backend};
pub use weights::{SharedBytes, TensorBytes, Weight, shared};

use crate::GgmlType;
use crate::progress::Cancelled;
use crate::quant::QuantError;
use crate::tokenizer::TokenizerError;

/// Why a model could not be loaded or run.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum InferError {
    #[error("architecture {0:?} is not supported (supported: llama, mistral, qwen2)")]
    UnsupportedArch(String),
    #[error("the GGUF file has no general.architecture")]
    NoArch,
    #[error("metadata key {0:?} is missing or has the wrong type")]
    MissingKey(String),
    #[error("metadata key {key:?} has an invalid value: {reason}")]
    BadValue { key: String, reason: String },
    #[error("rope scaling type {0:?} is not supported (supported: none, linear)")]
    UnsupportedRopeScaling(String),
    #[error("tensor {0:?} is missing")]
    MissingTensor(String),
    #[error("tensor {name:?} has shape {got:?}, expected {expected:?}")]
    TensorShape {
        name: String,
        expected: Vec<u64>,
        got: Vec<u64>,
    },
    #[error("tensor {name:?} has type {ty}, which cannot be used here")]
    TensorType { name: String, ty: GgmlType },
    #[error("tensor {name:?}: its data is not in the bytes given ({reason})")]
    TensorData { name: String, reason: String },
    #[error("weight type {0} has no dot-product kernel")]
    NoKernel(GgmlType),
    #[error("dot product: {0}")]
    DotSize(String),
    #[error("token id {token} is outside the vocabulary of {n_vocab}")]
    TokenOutOfRange { token: u32, n_vocab: usize },
    #[error("the context holds {n_ctx} tokens; {needed} would not fit")]
    ContextFull { n_ctx: usize, needed: usize },
    #[error("empty input: {0}")]
    Empty(&'static str),
    #[error("the text has {got} tokens; at least {needed} are needed ({why})")]
    TooFewTokens {
        got: usize,
        needed: usize,
        why: String,
    },
    #[error("the two models differ: {0}")]
    Mismatch(String),
    #[error("invalid setting: {0}")]
    Config(String),
    #[error(transparent)]
    Quant(#[from] QuantError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error("cancelled")]
    Cancelled,
}

impl From<Cancelled> for InferError {
    fn from(_: Cancelled) -> Self {
        InferError::Cancelled
    }
}
