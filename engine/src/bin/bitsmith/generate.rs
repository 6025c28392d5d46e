//! `bitsmith generate MODEL -p PROMPT -n N [--temp T] [--seed S] [--chat]`: text generation on
//! the engine's forward pass, streamed to stdout token by token.
//!
//! Also home of the model loading the `perplexity` and `kld` subcommands share: the whole GGUF
//! file is read into one buffer that the model's weights point into (no copies), which is the
//! memory the run needs besides the KV cache.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::infer::{
    Backend, GenEvent, Generation, GenerationConfig, Model, SamplerConfig, StopReason, shared,
};
use bitsmith_engine::progress::CancelToken;
use bitsmith_engine::tokenizer::Tokenizer;
use clap::{Args, ValueEnum};

/// Which kernels to run (`auto`: SIMD where the CPU has it, else scalar).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BackendArg {
    Auto,
    Scalar,
    Simd,
}

impl BackendArg {
    pub fn backend(self) -> Backend {
        match self {
            BackendArg::Auto => Backend::detect(),
            BackendArg::Scalar => Backend::Scalar,
            BackendArg::Simd => Backend::Simd,
        }
    }
}

/// A model and its tokenizer, loaded from a GGUF file.
pub struct Loaded {
    pub model: Arc<Model>,
    pub tokenizer: Arc<Tokenizer>,
    pub file_bytes: u64,
}

/// Reads a GGUF file into memory and builds the model over those bytes.
pub fn load(path: &Path, backend: Backend) -> Result<Loaded, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_bytes = bytes.len() as u64;
    let file = GgufFile::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let tokenizer =
        Tokenizer::from_gguf(&file).map_err(|e| format!("{}: tokenizer: {e}", path.display()))?;
    let model = Model::from_gguf(&file, shared(bytes), backend)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Loaded {
        model: Arc::new(model),
        tokenizer: Arc::new(tokenizer),
        file_bytes,
    })
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// GGUF model file (llama, mistral, qwen2 architectures)
    pub model: PathBuf,
    /// The prompt
    #[arg(short = 'p', long)]
    pub prompt: String,
    /// Tokens to generate at most
    #[arg(short = 'n', long = "n-predict", default_value_t = 128)]
    pub n_predict: usize,
    /// Sampling temperature; 0 = greedy
    #[arg(long, default_value_t = 0.8)]
    pub temp: f32,
    /// Top-k (0 = off)
    #[arg(long, default_value_t = 40)]
    pub top_k: usize,
    /// Top-p (1 = off)
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f32,
    /// Repetition penalty (1 = off)
    #[arg(long, default_value_t = 1.0)]
    pub repeat_penalty: f32,
    /// Tokens the repetition penalty looks back over
    #[arg(long, default_value_t = 64)]
    pub repeat_last_n: usize,
    /// Random seed (default: from the clock; printed with --json)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Format the prompt as one user turn with the model's chat template
    #[arg(long)]
    pub chat: bool,
    /// Context size (default: prompt + n)
    #[arg(long, default_value_t = 0)]
    pub ctx: usize,
    /// Keep going after end-of-generation tokens
    #[arg(long)]
    pub ignore_eos: bool,
    /// Kernels
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendArg,
    /// Print one JSON object (text, tokens, timings) instead of streaming text
    #[arg(long)]
    pub json: bool,
}

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (nanoseconds on
/// the CPU first); `None` elsewhere. Benchmarks on a shared machine report tokens per CPU
/// second beside tokens per wall-clock second.
pub fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn tok_per_s(n: usize, t: Duration) -> f64 {
    if t.is_zero() {
        0.0
    } else {
        n as f64 / t.as_secs_f64()
    }
}

pub fn run(args: GenerateArgs) -> Result<(), String> {
    let backend = args.backend.backend();
    let loaded = load(&args.model, backend)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    });
    let cfg = GenerationConfig {
        max_tokens: args.n_predict,
        sampler: SamplerConfig {
            temperature: args.temp,
            top_k: args.top_k,
            top_p: args.top_p,
            repeat_penalty: args.repeat_penalty,
            repeat_last_n: args.repeat_last_n,
            seed,
        },
        n_ctx: args.ctx,
        ubatch: 256,
        stop_at_eog: !args.ignore_eos,
    };
    let mut job = Generation::from_text(
        loaded.model.clone(),
        loaded.tokenizer.clone(),
        &args.prompt,
        args.chat,
        cfg,
        CancelToken::new(),
    )
    .map_err(|e| e.to_string())?;
    let n_prompt = job.prompt().len();
    let (mut t_prompt, mut t_gen) = (Duration::ZERO, Duration::ZERO);
    let (mut c_prompt, mut c_gen) = (Duration::ZERO, Duration::ZERO);
    let mut text = String::new();
    let mut stdout = std::io::stdout().lock();
    let reason = loop {
        let (t0, c0) = (Instant::now(), thread_cpu_time());
        let ev = job.step().map_err(|e| e.to_string())?;
        let dt = t0.elapsed();
        let dc = match (c0, thread_cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => Duration::ZERO,
        };
        match ev {
            GenEvent::Prefill { .. } => {
                t_prompt += dt;
                c_prompt += dc;
            }
            GenEvent::Token { text: piece, .. } => {
                t_gen += dt;
                c_gen += dc;
                if !args.json {
                    let _ = stdout.write_all(piece.as_bytes());
                    let _ = stdout.flush();
                }
                text.push_str(&piece);
            }
            GenEvent::Done {
                reason,
                text: piece,
            } => {
                if !args.json {
                    let _ = stdout.write_all(piece.as_bytes());
                    let _ = writeln!(stdout);
                }
                text.push_str(&piece);
                break reason;
            }
        }
    };
    let n_gen = job.generated().len();
    let stop = match reason {
        StopReason::EndOfGeneration => "end_of_generation",
        StopReason::Limit => "limit",
        StopReason::ContextFull => "context_full",
        StopReason::Cancelled => "cancelled",
    };
    if args.json {
        let out = serde_json::json!({
            "model": args.model.display().to_string(),
            "backend": backend.describe(),
            "seed": seed,
            "prompt_tokens": job.prompt(),
            "tokens": job.generated(),
            "text": text,
            "stop": stop,
            "prompt_seconds": t_prompt.as_secs_f64(),
            "generation_seconds": t_gen.as_secs_f64(),
            "prompt_tokens_per_second": tok_per_s(n_prompt, t_prompt),
            "generation_tokens_per_second": tok_per_s(n_gen, t_gen),
            "prompt_tokens_per_cpu_second": tok_per_s(n_prompt, c_prompt),
            "generation_tokens_per_cpu_second": tok_per_s(n_gen, c_gen),
            "file_bytes": loaded.file_bytes,
            "weight_bytes_per_token": loaded.model.bytes_per_token(),
        });
        println!("{out}");
    } else {
        eprintln!(
            "bitsmith: prompt {n_prompt} tokens in {:.2} s ({:.1} tok/s); generated {n_gen} tokens \
             in {:.2} s ({:.1} tok/s); stop: {stop}; {} kernels, seed {seed}",
            t_prompt.as_secs_f64(),
            tok_per_s(n_prompt, t_prompt),
            t_gen.as_secs_f64(),
            tok_per_s(n_gen, t_gen),
            backend.describe(),
        );
    }
    Ok(())
}
