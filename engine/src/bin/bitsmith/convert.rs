//! `bitsmith quantize` and `bitsmith dequantize`: plan with the engine, stream tensors from the
//! input file through a [`QuantizeJob`], write the output to `OUTPUT.partial` and rename it
//! into place once complete (a failed or interrupted run never leaves a truncated OUTPUT).

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::GgufValue;
use bitsmith_engine::imatrix::Imatrix;
use bitsmith_engine::pipeline::{
    ImatrixData, JobOptions, JobSummary, QuantizeJob, SourceModel, run_job,
};
use bitsmith_engine::preset::{Preset, QuantOptions, QuantPlan, TensorTypeOverride};
use bitsmith_engine::progress::{CancelToken, Progress, ProgressSink};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::input::Input;

/// Source bytes read per step: bounds memory (one chunk in, one chunk out) and sets the
/// progress/cancel granularity.
const CHUNK_BYTES: usize = 16 << 20;

#[derive(clap::Args)]
pub struct QuantizeArgs {
    /// Input: a GGUF file, or a Hugging Face model folder (config.json, tokenizer.json,
    /// *.safetensors; Llama/Mistral/Qwen2), converted like llama.cpp's convert_hf_to_gguf.py.
    pub input: PathBuf,
    /// Output GGUF file.
    pub output: PathBuf,
    /// llama.cpp preset: Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0, Q4_K_M, Q4_K_S, Q4_1, Q4_0,
    /// IQ4_NL, IQ4_XS, Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, TQ2_0, TQ1_0, F16, BF16, F32
    /// (aliases Q3_K, Q4_K, Q5_K).
    #[arg(value_name = "TYPE", value_parser = parse_preset)]
    pub preset: Preset,
    /// Per-tensor type override, REGEX=TYPE (repeatable; first match wins), as llama-quantize's
    /// --tensor-type.
    #[arg(long = "tensor-type", value_name = "REGEX=TYPE", value_parser = parse_override)]
    pub tensor_type: Vec<TensorTypeOverride>,
    /// Type of output.weight.
    #[arg(long, value_name = "TYPE", value_parser = parse_type)]
    pub output_tensor_type: Option<GgmlType>,
    /// Type of token_embd.weight.
    #[arg(long, value_name = "TYPE", value_parser = parse_type)]
    pub token_embedding_type: Option<GgmlType>,
    /// Quantize every eligible tensor to the preset's default type (no mix rules).
    #[arg(long)]
    pub pure: bool,
    /// Keep output.weight in its source type.
    #[arg(long)]
    pub leave_output_tensor: bool,
    /// Importance matrix from llama-imatrix (GGUF or legacy .dat).
    #[arg(long, value_name = "FILE")]
    pub imatrix: Option<PathBuf>,
    /// Worker threads (default: all cores). The output is the same for any value.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print a JSON summary (plan, warnings, sizes, time) on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also list every tensor's decision.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(clap::Args)]
pub struct DequantizeArgs {
    /// Input GGUF file.
    pub input: PathBuf,
    /// Output GGUF file.
    pub output: PathBuf,
    /// Target type.
    #[arg(value_name = "TYPE", default_value = "f32", value_parser = parse_float_type)]
    pub to: GgmlType,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    s.parse::<Preset>().map_err(|e| e.to_string())
}

fn parse_override(s: &str) -> Result<TensorTypeOverride, String> {
    s.parse::<TensorTypeOverride>().map_err(|e| e.to_string())
}

fn parse_type(s: &str) -> Result<GgmlType, String> {
    GgmlType::from_name(s).ok_or_else(|| format!("unknown tensor type '{s}'"))
}

fn parse_float_type(s: &str) -> Result<GgmlType, String> {
    match GgmlType::from_name(s) {
        Some(t @ (GgmlType::F32 | GgmlType::F16)) => Ok(t),
        _ => Err(format!("'{s}' is not f32 or f16")),
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn run_quantize(args: QuantizeArgs) -> Result<(), String> {
    let input = Input::open(&args.input)?;
    let source = input.source_model();
    let (imatrix, extra_metadata) = match &args.imatrix {
        Some(path) => {
            let (data, kv) = load_imatrix(path)?;
            (Some(data), kv)
        }
        None => (None, Vec::new()),
    };
    let opts = QuantOptions {
        preset: args.preset,
        overrides: args.tensor_type.clone(),
        output_tensor_type: args.output_tensor_type,
        token_embedding_type: args.token_embedding_type,
        pure: args.pure,
        leave_output_tensor: args.leave_output_tensor,
        has_imatrix: imatrix.is_some(),
    };
    let plan = source
        .plan(&opts)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    execute(
        input,
        &source,
        plan,
        Job {
            output: &args.output,
            threads,
            imatrix,
            extra_metadata,
            json_out: args.json,
            verbose: args.verbose,
        },
    )
}

/// Reads an imatrix file and returns its importance weights plus the metadata llama-quantize
/// records about it (`quantize.imatrix.*`, set as KV overrides in `tools/quantize/quantize.cpp`:
/// the file name and first dataset cut to 127 bytes, the entry count, the chunk count if known).
fn load_imatrix(path: &Path) -> Result<(ImatrixData, Vec<(String, GgufValue)>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let im = Imatrix::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let data = im.importance();
    let clip = |s: &str| -> String {
        let mut end = s.len().min(127);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    };
    let mut kv = vec![(
        "quantize.imatrix.file".to_string(),
        GgufValue::String(clip(&path.display().to_string())),
    )];
    if let Some(ds) = im.datasets.first() {
        kv.push((
            "quantize.imatrix.dataset".to_string(),
            GgufValue::String(clip(ds)),
        ));
    }
    kv.push((
        "quantize.imatrix.entries_count".to_string(),
        GgufValue::U32(data.len() as u32),
    ));
    if im.chunk_count > 0 {
        kv.push((
            "quantize.imatrix.chunks_count".to_string(),
            GgufValue::U32(im.chunk_count),
        ));
    }
    Ok((data, kv))
}

pub fn run_dequantize(args: DequantizeArgs) -> Result<(), String> {
    let input = Input::open(&args.input)?;
    let source = input.source_model();
    let plan = source
        .plan_dequantize(args.to)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let threads = args.threads.unwrap_or_else(default_threads).max(1);
    execute(
        input,
        &source,
        plan,
        Job {
            output: &args.output,
            threads,
            imatrix: None,
            extra_metadata: Vec::new(),
            json_out: args.json,
            verbose: false,
        },
    )
}

/// What to run besides the plan.
struct Job<'a> {
    output: &'a Path,
    threads: usize,
    imatrix: Option<ImatrixData>,
    extra_metadata: Vec<(String, GgufValue)>,
    json_out: bool,
    verbose: bool,
}

/// Runs a plan and reports. Warnings go to stderr one per line (`bitsmith: warning: …`).
fn execute(
    mut input: Input,
    source: &SourceModel,
    plan: QuantPlan,
    job: Job<'_>,
) -> Result<(), String> {
    let Job {
        output,
        threads,
        imatrix,
        extra_metadata,
        json_out,
        verbose,
    } = job;
    if same_file(&input.path, output) {
        return Err(format!(
            "{}: output would overwrite the input",
            output.display()
        ));
    }
    for w in &input.warnings {
        eprintln!("bitsmith: warning: {w}");
    }
    for w in &plan.warnings {
        eprintln!("bitsmith: warning: {}", w.message);
    }
    if verbose && !json_out {
        for d in &plan.tensors {
            println!(
                "{:<40} {:<18} {:>6} -> {:<6} {}",
                d.name,
                format!("{:?}", d.shape),
                d.source_type.name(),
                d.target_type.name(),
                d.reason
            );
        }
    }
    let job = QuantizeJob::new(
        source,
        plan.clone(),
        imatrix,
        JobOptions {
            threads,
            extra_metadata,
            ..JobOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    // llama.cpp logs "did not find weights for …" for these and goes on without.
    for name in job.missing_imatrix() {
        eprintln!(
            "bitsmith: warning: {name}: no importance data in the imatrix; quantized without"
        );
    }

    let partial = partial_path(output);
    let file = File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut bar = Bar::new(plan.source_bytes, json_out);
    let started = Instant::now();
    let result = run_job(
        job,
        |i, off, buf| input.read_tensor(i, off, buf),
        |bytes| {
            out.write_all(bytes)
                .map_err(|e| format!("{}: {e}", partial.display()))
        },
        &mut bar,
        &CancelToken::new(),
        CHUNK_BYTES,
    );
    let finished = result.map_err(|e| e.to_string()).and_then(|summary| {
        // No fsync, like llama-quantize: the rename only guarantees that OUTPUT never holds a
        // partial file from a failed or interrupted run of this process.
        out.flush()
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        std::fs::rename(&partial, output).map_err(|e| format!("{}: {e}", output.display()))?;
        Ok(summary)
    });
    bar.finish();
    let summary = match finished {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let seconds = started.elapsed().as_secs_f64();

    report(
        &input.path,
        output,
        &plan,
        &summary,
        threads,
        seconds,
        json_out,
    )
}

fn report(
    input: &Path,
    output: &Path,
    plan: &QuantPlan,
    s: &JobSummary,
    threads: usize,
    seconds: f64,
    json_out: bool,
) -> Result<(), String> {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    if json_out {
        let doc = json!({
            "input": input.display().to_string(),
            "output": output.display().to_string(),
            "preset": plan.preset,
            "ftype": plan.ftype,
            "threads": threads,
            "seconds": seconds,
            "summary": s,
            "plan": plan,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!(
        "{} -> {} ({})",
        input.display(),
        output.display(),
        plan.preset
    );
    println!(
        "  model size: {:>9.2} MiB ({:.2} bpw)",
        mib(plan.source_bytes),
        plan.source_bpw
    );
    println!(
        "  quant size: {:>9.2} MiB ({:.2} bpw)",
        mib(s.output_bytes),
        plan.output_bpw
    );
    println!(
        "  {} tensors: {} converted, {} copied; file {} bytes; {:.2} s on {} thread(s)",
        s.tensors, s.converted, s.copied, s.file_size, seconds, threads
    );
    if plan.n_fallback > 0 {
        println!(
            "  {} of {} tensor(s) required fallback quantization",
            plan.n_fallback, s.tensors
        );
    }
    Ok(())
}

fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    output.with_file_name(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// An indicatif bar on a terminal; nothing otherwise (pipes, CI logs, `--json`).
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(total: u64, quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let pb = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {bytes}/{total_bytes} {eta:>4} {msg}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        Bar(Some(pb))
    }

    fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

impl ProgressSink for Bar {
    fn report(&mut self, p: &Progress) {
        if let Some(pb) = &self.0 {
            pb.set_position(p.bytes_done);
            pb.set_message(format!(
                "[{}/{}] {} {}",
                p.index + 1,
                p.count,
                p.stage.label(),
                p.name
            ));
        }
    }
}
