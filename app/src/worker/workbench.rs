//! The workbench's jobs in the worker: plans, quantization and export of library models (the
//! import side is in `library.rs`). Source bytes are read from IndexedDB a piece at a time and
//! quantized output is written back chunk by chunk, so a model never sits whole in memory.

#[path = "library.rs"]
mod library;
#[path = "run.rs"]
mod run;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::infer::{
    Backend, EvalConfig, KldJob, Model, PerplexityJob, SharedBytes, eval_tokens, shared,
};
use bitsmith_engine::pipeline::{JobOptions, Offload, QuantizeJob, SourceModel};
use bitsmith_engine::preset::{QuantOptions, QuantPlan, Reason};
use bitsmith_engine::progress::CancelToken;
use bitsmith_engine::tokenizer::Tokenizer;
use gloo::worker::{HandlerId, WorkerScope};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;

use super::{EngineWorker, STEP_BUDGET_MS, now_ms, shared_gpu, yield_now};
use crate::library::{
    CHUNK_SIZE, ChunkReader, ChunkWriter, LibError, Library, Manifest, Measurement, Origin,
    QuantRecord, WriteLock, new_id,
};
use crate::protocol::workbench::{
    FailureKind, PlanRow, PlanView, QuantBackend, WbJob, WbOutcome, gpu_quantizes,
    llama_quantize_command, output_file_name,
};
use crate::protocol::{JobId, JobResult, Response};
use library::{Ctx, JobError, format_error, read_header};

thread_local! {
    /// Parsed headers of library models, by id (a model's bytes never change once stored).
    static HEADERS: RefCell<HashMap<String, Rc<GgufFile>>> = RefCell::new(HashMap::new());
    /// The last export's object URL, revoked when the next one is made.
    static LAST_EXPORT: RefCell<Option<String>> = const { RefCell::new(None) };
}

thread_local! {
    /// The worker's one connection to the library (opened on first use).
    static LIBRARY: RefCell<Option<Library>> = const { RefCell::new(None) };
}

/// The library, through one connection kept for the worker's lifetime (a connection per job
/// would pile up open connections, which also hold back future schema upgrades).
pub(crate) async fn shared_library() -> Result<Library, LibError> {
    if let Some(l) = LIBRARY.with(|c| c.borrow().clone()) {
        return Ok(l);
    }
    let l = Library::open().await?;
    LIBRARY.with(|c| *c.borrow_mut() = Some(l.clone()));
    Ok(l)
}

/// Runs a workbench job to its end.
pub async fn run(
    scope: &WorkerScope<EngineWorker>,
    id: HandlerId,
    job: JobId,
    w: WbJob,
    cancel: &Cell<bool>,
) -> Response {
    let ctx = Ctx::new(scope, id, job, cancel);
    let outcome = match w {
        WbJob::Download {
            resume,
            name,
            files,
        } => library::download(&ctx, resume, name, files).await,
        WbJob::ImportFiles { name, files } => library::import_files(&ctx, name, files).await,
        WbJob::Convert { pending } => library::convert_staged(&ctx, pending).await,
        WbJob::Plan { model, options } => plan(&model, &options).await,
        WbJob::Quantize {
            model,
            options,
            backend,
        } => quantize(&ctx, &model, options, backend).await,
        WbJob::Export { model } => export(&ctx, &model).await,
        WbJob::CollectGarbage => collect().await,
        WbJob::Measure {
            model,
            text,
            n_ctx,
            max_chunks,
        } => measure(&ctx, &model, text, n_ctx, max_chunks).await,
        WbJob::GenStart {
            model,
            messages,
            chat,
            max_tokens,
            temperature,
            backend,
        } => {
            let ask = run::Ask {
                messages,
                chat,
                max_tokens,
                temperature,
                backend,
            };
            run::start(&ctx, &model, ask).await
        }
        WbJob::GenNext { session } => run::next(&ctx, session).await,
        WbJob::GenStop { session } => run::stop(session),
    };
    match outcome {
        Ok(result) => Response::Finished {
            job,
            result: JobResult::Workbench(result),
        },
        Err(e) => library::failure(e, job),
    }
}

async fn collect() -> Result<WbOutcome, JobError> {
    let lib = shared_library().await?;
    Ok(WbOutcome::Collected(lib.collect_garbage().await?))
}

/// A model's manifest and parsed header (cached).
/// The planner's description of a library model, from its GGUF header, and the llama.cpp
/// preset of its file type (`general.file_type`), when it is one.
pub(super) async fn library_model_spec(
    model: &str,
) -> Result<(bitsmith_engine::plan::ModelSpec, Option<String>), String> {
    let lib = shared_library().await.map_err(|e| e.to_string())?;
    let (_, header) = source_of(&lib, model).await.map_err(|e| match e {
        JobError::Fail(_, detail) => detail,
        JobError::Cancelled => "cancelled".into(),
    })?;
    let preset = header
        .get("general.file_type")
        .and_then(|v| v.as_u32())
        .and_then(bitsmith_engine::preset::Preset::from_ftype)
        .map(|p| p.name().to_string());
    let spec = bitsmith_engine::plan::ModelSpec::from_gguf(&header).map_err(|e| e.to_string())?;
    Ok((spec, preset))
}

async fn source_of(lib: &Library, model: &str) -> Result<(Manifest, Rc<GgufFile>), JobError> {
    let m = lib.manifest(model).await?;
    if let Some(h) = HEADERS.with(|c| c.borrow().get(model).cloned()) {
        return Ok((m, h));
    }
    let mut reader = ChunkReader::for_model(lib, &m);
    let h = Rc::new(read_header(&mut reader).await?);
    HEADERS.with(|c| c.borrow_mut().insert(model.to_string(), h.clone()));
    Ok((m, h))
}

fn plan_view(plan: &QuantPlan, opts: &QuantOptions, source_file: &str) -> PlanView {
    PlanView {
        preset: plan.preset,
        rows: plan
            .tensors
            .iter()
            .map(|d| PlanRow {
                name: d.name.clone(),
                shape: d.shape.clone(),
                source_type: d.source_type,
                target_type: d.target_type,
                reason: d.reason.to_string(),
                fallback_from: d.fallback.map(|f| f.wanted),
                quantizable: !matches!(
                    d.reason,
                    Reason::NotQuantizable { .. } | Reason::Dequantize
                ),
                n_elements: d.n_elements,
                source_bytes: d.source_bytes,
                output_bytes: d.output_bytes,
            })
            .collect(),
        warnings: plan.warnings.iter().map(|w| w.message.clone()).collect(),
        n_elements: plan.n_elements,
        source_bytes: plan.source_bytes,
        output_bytes: plan.output_bytes,
        source_bpw: plan.source_bpw,
        output_bpw: plan.output_bpw,
        command: llama_quantize_command(opts, source_file, &output_file_name(source_file, opts)),
    }
}

async fn plan(model: &str, opts: &QuantOptions) -> Result<WbOutcome, JobError> {
    let lib = shared_library().await?;
    let (m, header) = source_of(&lib, model).await?;
    let plan = SourceModel::from_gguf(&header)
        .plan(opts)
        .map_err(format_error)?;
    Ok(WbOutcome::Planned(Box::new(plan_view(
        &plan,
        opts,
        &m.file_name,
    ))))
}

/// The worker's wasm memory right now (it only grows, so the last reading is the peak).
pub fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}

/// Source bytes fed to the quantizer per step.
const PIECE: u64 = 1 << 20;

/// Where a quantization's offloaded rows go: the GPU, and what it did.
struct GpuQuant {
    gpu: Rc<bitsmith_gpu::Gpu>,
    /// Tensors with rows quantized on the GPU, in order.
    tensors: Vec<String>,
}

impl GpuQuant {
    /// The rows' bytes from the GPU; rows it cannot take (a non-finite value) are quantized on
    /// the CPU instead, to the same bytes. A failing device is an error: the job stops rather
    /// than mixing outputs of unknown quality.
    async fn quantize(&mut self, rows: &Offload) -> Result<Vec<u8>, JobError> {
        match self.gpu.quantize(rows.ty, &rows.values).await {
            Ok(q) => {
                if self.tensors.last() != Some(&rows.tensor) {
                    self.tensors.push(rows.tensor.clone());
                }
                Ok(q)
            }
            Err(bitsmith_gpu::GpuError::Input(_)) => rows.quantize_on_cpu().map_err(format_error),
            Err(e) => Err(format_error(format!("WebGPU: {e}"))),
        }
    }
}

async fn quantize(
    ctx: &Ctx<'_>,
    model: &str,
    opts: QuantOptions,
    backend: QuantBackend,
) -> Result<WbOutcome, JobError> {
    let started = now_ms();
    let lib = shared_library().await?;
    let (src, header) = source_of(&lib, model).await?;
    let source = SourceModel::from_gguf(&header);
    let plan = source.plan(&opts).map_err(format_error)?;
    let n_elements = plan.n_elements;
    let output_bpw = plan.output_bpw;
    let n_tensors = plan.tensors.len() as u32;
    let mut job =
        QuantizeJob::new(&source, plan, None, JobOptions::default()).map_err(format_error)?;
    // WebGPU when asked for and there is an adapter (any adapter: the user chose it).
    let (mut gpu, gpu_unavailable) = match backend {
        QuantBackend::Cpu => (None, None),
        QuantBackend::Gpu => match shared_gpu().await {
            Ok(gpu) => (
                Some(GpuQuant {
                    gpu,
                    tensors: Vec::new(),
                }),
                None,
            ),
            Err(why) => (None, Some(why)),
        },
    };
    // With a GPU, the tensors whose type it makes go there.
    let on_gpu = gpu.is_some();
    let offload =
        move |d: &bitsmith_engine::preset::TensorDecision| on_gpu && gpu_quantizes(d.target_type);
    let id = new_id(js_sys::Date::now(), js_sys::Math::random());
    let _lock = WriteLock::acquire(&id)
        .await?
        .ok_or_else(|| LibError::Busy(src.name.clone()))?;
    let mut reader = ChunkReader::for_model(&lib, &src);
    let mut writer = ChunkWriter::new(&lib, &id, CHUNK_SIZE);
    let mut peak = wasm_memory_bytes();
    let total = job.plan().source_bytes;
    let expected_size = job.file_size();
    let result = async {
        writer.push(job.header()).await?;
        let mut out = Vec::with_capacity(CHUNK_SIZE as usize + (2 << 20));
        let mut step_start = now_ms();
        while let Some(d) = job.next_tensor() {
            let range = header
                .tensor_range(d.source_index)
                .ok_or_else(|| format_error(format!("tensor {} has no data range", d.name)))?;
            let mut pos = range.start;
            while pos < range.end {
                let end = (pos + PIECE).min(range.end);
                let bytes = reader.read(pos, end).await?;
                let rows = job
                    .feed_offload(&bytes, &mut out, &offload)
                    .map_err(format_error)?;
                drop(bytes);
                if let (Some(rows), Some(g)) = (rows, gpu.as_mut()) {
                    let q = g.quantize(&rows).await?;
                    peak = peak.max(wasm_memory_bytes());
                    drop(rows);
                    job.complete_offload(&q, &mut out).map_err(format_error)?;
                }
                pos = end;
                if out.len() >= CHUNK_SIZE as usize {
                    writer.push(&out).await?;
                    out.clear();
                }
                peak = peak.max(wasm_memory_bytes());
                ctx.progress(job.progress().bytes_done, total);
                ctx.check()?;
                if now_ms() - step_start > STEP_BUDGET_MS {
                    // IndexedDB reads already yield; this covers runs of cached chunks.
                    yield_now().await;
                    step_start = now_ms();
                }
            }
        }
        writer.push(&out).await?;
        drop(out);
        job.finish().map_err(format_error)?;
        Ok::<_, JobError>(writer.finish().await?)
    }
    .await;
    let (checksums, size, _) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = lib.delete_store(&id).await;
            return Err(e);
        }
    };
    if size != expected_size {
        let _ = lib.delete_store(&id).await;
        return Err(format_error(format!(
            "wrote {size} bytes, the plan said {expected_size}"
        )));
    }
    peak = peak.max(wasm_memory_bytes());
    let (gpu_tensors, gpu_adapter) = match gpu {
        Some(g) => (g.tensors, Some(g.gpu.report.name.clone())),
        None => (Vec::new(), None),
    };
    let file_name = output_file_name(&src.file_name, &opts);
    let preset = opts.preset.name().to_string();
    let m = Manifest {
        id,
        name: format!("{} · {}", src.name, file_label(&opts)),
        file_name: file_name.clone(),
        size,
        chunk_size: CHUNK_SIZE,
        checksums,
        origin: Origin::Quantized {
            parent: src.id.clone(),
            parent_name: src.name.clone(),
        },
        created_ms: js_sys::Date::now(),
        facts: crate::library::Facts {
            arch: src.facts.arch.clone(),
            n_params: n_elements,
            n_tensors,
            file_type: preset.clone(),
            bpw: output_bpw,
        },
        quant: Some(QuantRecord {
            preset,
            overrides: opts
                .overrides
                .iter()
                .map(|o| format!("{}={}", o.pattern, o.ty.name().to_ascii_lowercase()))
                .collect(),
            output_tensor_type: opts.output_tensor_type.map(|t| t.name().to_string()),
            token_embedding_type: opts.token_embedding_type.map(|t| t.name().to_string()),
            command: llama_quantize_command(&opts, &src.file_name, &file_name),
            seconds: (now_ms() - started) / 1000.0,
            peak_memory: peak,
            backend: if gpu_tensors.is_empty() {
                "cpu"
            } else {
                "webgpu"
            }
            .into(),
            gpu_adapter: gpu_adapter.filter(|_| !gpu_tensors.is_empty()),
            gpu_tensors,
            gpu_unavailable,
        }),
        measurements: Vec::new(),
    };
    lib.commit_manifest(&m, None).await?;
    Ok(WbOutcome::Model(Box::new(m)))
}

/// "Q4_K_M", or "Q4_K_M (custom)" when the plan was edited.
fn file_label(opts: &QuantOptions) -> String {
    let custom = !opts.overrides.is_empty()
        || opts.output_tensor_type.is_some()
        || opts.token_embedding_type.is_some()
        || opts.pure
        || opts.leave_output_tensor;
    if custom {
        format!("{} +", opts.preset.name())
    } else {
        opts.preset.name().to_string()
    }
}

/// Checks every chunk and builds a Blob of the file a chunk at a time: each step makes a new
/// Blob of (previous Blob, next chunk), so the browser holds the bytes in its blob store (on
/// disk when large) and the worker never holds more than one chunk.
async fn export(ctx: &Ctx<'_>, model: &str) -> Result<WbOutcome, JobError> {
    let lib = shared_library().await?;
    let m = lib.manifest(model).await?;
    let mut reader = ChunkReader::for_model(&lib, &m);
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type("application/octet-stream");
    let js_err = |e: wasm_bindgen::JsValue| {
        JobError::Fail(
            crate::protocol::workbench::FailureKind::Storage,
            format!("{e:?}"),
        )
    };
    let mut blob =
        web_sys::Blob::new_with_blob_sequence_and_options(&Array::new(), &bag).map_err(js_err)?;
    let mut done = 0u64;
    for i in 0..reader.n_chunks() {
        ctx.check()?;
        let c = reader.chunk(i).await?;
        let parts = Array::of2(&blob, &Uint8Array::from(&c[..]));
        blob = web_sys::Blob::new_with_blob_sequence_and_options(&parts, &bag).map_err(js_err)?;
        done += c.len() as u64;
        reader.forget();
        ctx.progress(done, m.size);
    }
    if blob.size() as u64 != m.size {
        return Err(LibError::Corrupt {
            model: m.name.clone(),
            index: reader.n_chunks(),
            why: format!("adds up to {} bytes, not {}", blob.size(), m.size),
        }
        .into());
    }
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_err)?;
    if let Some(old) = LAST_EXPORT.with(|l| l.borrow_mut().replace(url.clone())) {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
    Ok(WbOutcome::Exported {
        url,
        file_name: m.file_name.clone(),
        size: m.size,
    })
}

// ---------------------------------------------------------------------------------------------
// Measure and run (engine::infer)

/// The built-in evaluation text: plain English prose written for Bitsmith (so it is in no
/// model's training data verbatim), long enough for two 256-token chunks with SmolLM2's
/// tokenizer.
const BUILTIN_TEXT: &str = "\
The lighthouse on the northern point was built in the year the harbour froze solid for the \
first time in living memory. The village had argued about it for a decade. Some said a light \
would only invite more ships into waters that had already taken too many; others said the \
ships would come anyway, and that a light was the least a coast could offer to strangers who \
trusted it. In the end the fishermen decided the matter, because they were the ones who rowed \
out at night to pull sailors from the rocks, and they were tired.

The first keeper was a carpenter named Elias, who had helped to raise the tower and knew every \
beam in it. He kept a notebook in which he wrote the weather four times a day: the direction \
of the wind, the height of the swell, the colour of the sky at dawn and at dusk, and the number \
of vessels he could count from the gallery. He was not a scientist, and he did not pretend to \
be one, but he was careful. When he was unsure of something he wrote that he was unsure, and \
when he made a mistake he crossed it out with a single line so that the error could still be \
read. Years later, people who studied the climate of the coast found his notebooks more useful \
than the official records, precisely because he had told them where he might be wrong.

Keeping the light was mostly a matter of small, repeated tasks. The lamp burned oil, and the oil \
left soot on the glass, so the lens had to be cleaned every morning with soft cloth and a little \
spirit. The wick had to be trimmed so that the flame stayed even. The clockwork that turned the \
lens had to be wound every few hours, and if the keeper fell asleep the beam would stop sweeping \
and become a steady glow, which a captain at sea could mistake for the lamp of a house or another \
ship. Elias slept in short pieces, like a sailor on watch, and he said that after the first \
winter he no longer noticed the difference.

The tower changed the village in ways nobody had predicted. Merchants began to time their \
arrivals to the evening, when the light was lit and the harbour mouth was easy to find. A small \
market grew up on the quay to meet them. Children learned to tell the time of night by the \
rhythm of the beam on their bedroom walls, three quick flashes and a long dark pause. The \
fishermen, who had asked for the light so that they would have fewer rescues to make, found \
that they went out further and stayed out longer, because they knew they could find their way \
home.

Not everything improved. In fog the light was nearly useless, and the fog came often in early \
summer, thick and white and silent. For those days the village bought a bell, and later a horn \
driven by compressed air that could be heard for miles. The horn was loud enough to rattle \
windows, and for a while there were complaints, until a fishing boat that had lost its compass \
followed the sound into the harbour on a morning when nothing at all could be seen. After that \
nobody complained about the horn again, or at least not in public.

When electricity reached the point, the oil lamp was replaced by a bulb that was brighter and \
needed no trimming, and the clockwork was replaced by a motor. The keeper's work became lighter, \
and then, slowly, unnecessary. The last keeper left the tower on a grey afternoon in autumn, \
handing the key to an engineer who would visit once a month to check the equipment. She took \
the notebooks with her. They are kept now in a small museum in the old customs house, in a \
glass case near the window, and visitors who lean close can still read the careful handwriting: \
wind from the west, swell moderate, sky clear at dusk, four ships, one of them unknown to me.

People sometimes ask why the village still paints the tower every spring, when machines do all \
the work and the ships carry satellite receivers that know their position to within a few \
metres. The answer the old people give is that a light is a promise, and promises have to be \
kept up even when nobody seems to need them. The younger people say it is simply the most \
beautiful thing in the village, and that is reason enough.";

/// A model loaded for inference, and its tokenizer.
pub(super) struct Loaded {
    pub model: Arc<Model>,
    pub tok: Arc<Tokenizer>,
    /// The file's header and tensor bytes (shared with `model`, not copies), from which the
    /// WebGPU model is built when a generation asks for it.
    pub header: Rc<GgufFile>,
    pub chunks: Vec<(u64, SharedBytes)>,
    /// The model uploaded to the GPU, once a generation ran there.
    pub on_gpu: RefCell<Option<Rc<bitsmith_gpu::llama::GpuLlama>>>,
}

thread_local! {
    /// Models loaded for inference, most recent first (at most two: a run and its source).
    static LOADED: RefCell<Vec<(String, Rc<Loaded>)>> = const { RefCell::new(Vec::new()) };
}

fn infer_err(e: impl std::fmt::Display) -> JobError {
    JobError::Fail(FailureKind::Inference, e.to_string())
}

/// Loads a library model for inference: each tensor is read (and checked) into its own buffer,
/// so the file is never one allocation.
pub(super) async fn load(lib: &Library, id: &str) -> Result<Rc<Loaded>, JobError> {
    if let Some(l) = LOADED.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, l)| l.clone())
    }) {
        return Ok(l);
    }
    let (m, header) = source_of(lib, id).await?;
    let mut reader = ChunkReader::for_model(lib, &m);
    let mut bufs = Vec::with_capacity(header.tensors.len());
    for i in 0..header.tensors.len() {
        let r = header
            .tensor_range(i)
            .ok_or_else(|| format_error(format!("tensor #{i} has no data range")))?;
        let bytes = reader.read(r.start, r.end).await?;
        bufs.push((r.start, shared(bytes)));
    }
    reader.forget();
    let model = Model::from_gguf_chunks(&header, &bufs, Backend::detect()).map_err(infer_err)?;
    let tok = Tokenizer::from_gguf(&*header).map_err(infer_err)?;
    let loaded = Rc::new(Loaded {
        model: Arc::new(model),
        tok: Arc::new(tok),
        header,
        chunks: bufs,
        on_gpu: RefCell::new(None),
    });
    LOADED.with(|c| {
        let mut c = c.borrow_mut();
        c.insert(0, (id.to_string(), loaded.clone()));
        c.truncate(2);
    });
    Ok(loaded)
}

/// Runs an evaluation job step by step, reporting progress and yielding between steps.
async fn drive(
    ctx: &Ctx<'_>,
    mut step: impl FnMut() -> Result<(bool, bitsmith_engine::progress::Progress), JobError>,
) -> Result<(), JobError> {
    loop {
        ctx.check()?;
        let (done, p) = step()?;
        ctx.progress(p.bytes_done, p.bytes_total);
        yield_now().await;
        if done {
            return Ok(());
        }
    }
}

async fn measure(
    ctx: &Ctx<'_>,
    model: &str,
    text: Option<String>,
    n_ctx: u32,
    max_chunks: u32,
) -> Result<WbOutcome, JobError> {
    let started = now_ms();
    let lib = shared_library().await?;
    let mut m = lib.manifest(model).await?;
    let base_id = match &m.origin {
        Origin::Quantized { parent, .. } if lib.manifest(parent).await.is_ok() => {
            Some(parent.clone())
        }
        _ => None,
    };
    let q = load(&lib, model).await?;
    let base = match &base_id {
        Some(b) => Some(load(&lib, b).await?),
        None => None,
    };
    let kind = if text.is_some() { "custom" } else { "builtin" };
    let tokens = eval_tokens(&q.tok, text.as_deref().unwrap_or(BUILTIN_TEXT)).map_err(infer_err)?;
    // A short text gets a shorter context rather than an error (two chunks are needed).
    let n_ctx = (n_ctx as usize).min(tokens.len() / 2);
    if n_ctx < 16 {
        return Err(infer_err(format!(
            "the text has {} tokens; at least 32 are needed",
            tokens.len()
        )));
    }
    let cfg = EvalConfig {
        ubatch: 32,
        max_chunks: Some(max_chunks.max(1) as usize),
        ..EvalConfig::for_tokenizer(&q.tok, n_ctx)
    };
    let mut meas = Measurement {
        text: kind.into(),
        n_ctx: n_ctx as u32,
        created_ms: js_sys::Date::now(),
        ..Measurement::default()
    };
    match base {
        Some(base) => {
            let mut job = KldJob::new(
                base.model.clone(),
                q.model.clone(),
                tokens,
                cfg,
                CancelToken::new(),
            )
            .map_err(infer_err)?;
            drive(ctx, || Ok((job.step().map_err(infer_err)?, job.progress()))).await?;
            let r = job.result();
            meas.tokens = r.count as u32;
            meas.ppl = r.ppl_quant;
            meas.ppl_err = r.ppl_quant_err;
            meas.ppl_base = Some(r.ppl_base);
            meas.kld = Some(r.kld_mean);
            meas.kld_err = Some(r.kld_err);
            meas.top1 = Some(r.top1_agreement);
            meas.layer_error = r.layer_rel_rms;
        }
        None => {
            let mut job = PerplexityJob::new(q.model.clone(), tokens, cfg, CancelToken::new())
                .map_err(infer_err)?;
            drive(ctx, || Ok((job.step().map_err(infer_err)?, job.progress()))).await?;
            let r = job.result();
            meas.tokens = r.count as u32;
            meas.ppl = r.ppl;
            meas.ppl_err = r.ppl_err;
        }
    }
    meas.seconds = (now_ms() - started) / 1000.0;
    m.measurements.push(meas.clone());
    lib.update_manifest(&m).await?;
    Ok(WbOutcome::Measured {
        model: model.to_string(),
        measurement: Box::new(meas),
    })
}
