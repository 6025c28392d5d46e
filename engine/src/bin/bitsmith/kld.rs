//! `bitsmith kld BASE QUANTIZED TEXTFILE [--ctx 512] [--json]`: how far a quantized model's
//! next-token distributions are from its base model's, on llama-perplexity's chunks: KL
//! divergence, top-1 agreement, per-token ΔNLL, both perplexities, and the per-layer error of
//! the hidden state. The statistics follow llama-perplexity's `--kl-divergence` report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use bitsmith_engine::infer::{EvalConfig, KldJob, Quantiles, eval_tokens};
use bitsmith_engine::progress::CancelToken;
use clap::Args;

use crate::generate::{BackendArg, load};
use crate::perplexity::read_text;

#[derive(Args, Debug)]
pub struct KldArgs {
    /// The base model (e.g. F16/F32) GGUF file
    pub base: PathBuf,
    /// The quantized model GGUF file
    pub quantized: PathBuf,
    /// UTF-8 text to evaluate (at least 2×ctx tokens)
    pub text: PathBuf,
    /// Tokens per chunk
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
    /// Print one JSON object instead of the text report
    #[arg(long)]
    pub json: bool,
}

fn print_quantiles(name: &str, q: &Quantiles) {
    for (label, v) in [
        ("Maximum", q.max),
        ("99.9%  ", q.p99_9),
        ("99.0%  ", q.p99),
        ("95.0%  ", q.p95),
        ("90.0%  ", q.p90),
        ("Median ", q.median),
        ("10.0%  ", q.p10),
        ("5.0%   ", q.p5),
        ("1.0%   ", q.p1),
        ("0.1%   ", q.p0_1),
        ("Minimum", q.min),
    ] {
        println!("{label} {name}: {v:10.6}");
    }
}

pub fn run(args: KldArgs) -> Result<(), String> {
    let backend = args.backend.backend();
    let base = load(&args.base, backend)?;
    let quant = load(&args.quantized, backend)?;
    let text = read_text(&args.text)?;
    let tokens = eval_tokens(&base.tokenizer, &text).map_err(|e| e.to_string())?;
    let cfg = EvalConfig {
        ubatch: args.batch.max(1),
        max_chunks: args.chunks,
        ..EvalConfig::for_tokenizer(&base.tokenizer, args.ctx)
    };
    let mut job = KldJob::new(
        base.model.clone(),
        quant.model.clone(),
        tokens,
        cfg,
        CancelToken::new(),
    )
    .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let tty = std::io::stderr().is_terminal() && !args.json;
    while !job.step().map_err(|e| e.to_string())? {
        if tty {
            eprint!("\r{:5.1}% ", 100.0 * job.progress().fraction());
        }
    }
    if tty {
        eprint!("\r        \r");
    }
    let r = job.result();
    let secs = t0.elapsed().as_secs_f64();
    if args.json {
        let mut v = serde_json::to_value(&r).map_err(|e| e.to_string())?;
        v["base"] = args.base.display().to_string().into();
        v["quantized"] = args.quantized.display().to_string().into();
        v["backend"] = backend.describe().into();
        v["seconds"] = secs.into();
        println!("{v}");
        return Ok(());
    }
    println!(
        "kld: {} chunks of n_ctx={}, {} tokens scored ({} kernels, {:.1} s)",
        r.n_chunks,
        r.n_ctx,
        r.count,
        backend.describe(),
        secs
    );
    println!("====== Perplexity statistics ======");
    println!(
        "Mean PPL(Q)                   : {:10.6} ± {:10.6}",
        r.ppl_quant, r.ppl_quant_err
    );
    println!(
        "Mean PPL(base)                : {:10.6} ± {:10.6}",
        r.ppl_base, r.ppl_base_err
    );
    println!(
        "Mean ln(PPL(Q)/PPL(base))     : {:10.6} ± {:10.6}",
        r.ln_ppl_ratio, r.ln_ppl_ratio_err
    );
    println!(
        "Mean PPL(Q)/PPL(base)         : {:10.6}",
        r.ln_ppl_ratio.exp()
    );
    println!();
    println!("====== KL divergence statistics ======");
    println!("Mean    KLD: {:10.6} ± {:10.6}", r.kld_mean, r.kld_err);
    print_quantiles("KLD", &r.kld_quantiles);
    println!();
    println!("====== Token statistics ======");
    println!(
        "Same top token: {:6.3} ± {:5.3} %",
        100.0 * r.top1_agreement,
        100.0 * r.top1_err
    );
    println!("RMS Δp        : {:6.3} %", 100.0 * r.delta_p_rms);
    println!("Mean ΔNLL     : {:10.6}", r.delta_nll_mean);
    print_quantiles("ΔNLL", &r.delta_nll_quantiles);
    println!();
    println!("====== Per-layer hidden-state error (relative RMS) ======");
    for (l, e) in r.layer_rel_rms.iter().enumerate() {
        println!("layer {l:3}: {e:.6}");
    }
    Ok(())
}
