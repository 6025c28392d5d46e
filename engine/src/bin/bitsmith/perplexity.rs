//! `bitsmith perplexity MODEL TEXTFILE [--ctx 512] [--json]`: perplexity exactly as
//! llama.cpp's `llama-perplexity -m MODEL -f TEXTFILE -c CTX` computes it in its default mode
//! (chunks of CTX tokens from an empty cache, the second half of each chunk scored; see
//! `bitsmith_engine::infer::eval`), printed the same way: `[1]x,[2]y,...` then
//! `Final estimate: PPL = x +/- y`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use bitsmith_engine::infer::{EvalConfig, PerplexityJob, eval_tokens};
use bitsmith_engine::progress::CancelToken;
use clap::Args;

use crate::generate::{BackendArg, load};

#[derive(Args, Debug)]
pub struct PerplexityArgs {
    /// GGUF model file
    pub model: PathBuf,
    /// UTF-8 text to evaluate (at least 2×ctx tokens)
    pub text: PathBuf,
    /// Tokens per chunk (llama-perplexity's -c)
    #[arg(short = 'c', long, default_value_t = 512)]
    pub ctx: usize,
    /// Evaluate at most this many chunks
    #[arg(long)]
    pub chunks: Option<usize>,
    /// Tokens evaluated per step
    #[arg(long, default_value_t = 512)]
    pub batch: usize,
    /// Kernels
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendArg,
    /// Print one JSON object instead of llama-perplexity's text
    #[arg(long)]
    pub json: bool,
}

pub fn read_text(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

pub fn run(args: PerplexityArgs) -> Result<(), String> {
    let backend = args.backend.backend();
    let loaded = load(&args.model, backend)?;
    let text = read_text(&args.text)?;
    let tokens = eval_tokens(&loaded.tokenizer, &text).map_err(|e| e.to_string())?;
    let n_tokens = tokens.len();
    let cfg = EvalConfig {
        ubatch: args.batch.max(1),
        max_chunks: args.chunks,
        ..EvalConfig::for_tokenizer(&loaded.tokenizer, args.ctx)
    };
    let mut job = PerplexityJob::new(loaded.model.clone(), tokens, cfg, CancelToken::new())
        .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let mut printed = 0;
    let tty = std::io::stderr().is_terminal();
    if !args.json {
        eprintln!(
            "perplexity: {n_tokens} tokens, {} chunks of n_ctx={}, scoring {} tokens per chunk ({} kernels)",
            job.progress().count,
            args.ctx,
            job.scored_per_chunk(),
            backend.describe()
        );
    }
    loop {
        let done = job.step().map_err(|e| e.to_string())?;
        let r = job.result();
        if !args.json {
            while printed < r.chunk_ppl.len() {
                print!("[{}]{:.4},", printed + 1, r.chunk_ppl[printed]);
                let _ = std::io::stdout().flush();
                printed += 1;
            }
            if tty && !done {
                let p = job.progress();
                eprint!("\r{:5.1}% ", 100.0 * p.fraction());
            }
        }
        if done {
            break;
        }
    }
    let r = job.result();
    let secs = t0.elapsed().as_secs_f64();
    if args.json {
        let out = serde_json::json!({
            "model": args.model.display().to_string(),
            "text": args.text.display().to_string(),
            "backend": backend.describe(),
            "n_ctx": r.n_ctx,
            "n_chunks": r.n_chunks,
            "n_tokens": r.n_tokens,
            "scored_tokens": r.count,
            "ppl": r.ppl,
            "ppl_err": r.ppl_err,
            "mean_nll": r.mean_nll,
            "nll_stderr": r.nll_stderr,
            "chunk_ppl": r.chunk_ppl,
            "seconds": secs,
            "tokens_per_second": (r.n_chunks * r.n_ctx) as f64 / secs.max(1e-9),
        });
        println!("{out}");
    } else {
        if tty {
            eprint!("\r        \r");
        }
        println!();
        println!("Final estimate: PPL = {:.4} +/- {:.5}", r.ppl, r.ppl_err);
        eprintln!(
            "perplexity: {:.2} s ({:.1} tokens/s)",
            secs,
            (r.n_chunks * r.n_ctx) as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}
