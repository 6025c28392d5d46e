//! The workbench's jobs in the worker: plans, quantization and export of library models (the
//! import side is in `library.rs`). Source bytes are read from IndexedDB a piece at a time and
//! quantized output is written back chunk by chunk, so a model never sits whole in memory.

#[path = "library.rs"]
mod library;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use bitsmith_engine::gguf::GgufFile;
use bitsmith_engine::pipeline::{JobOptions, QuantizeJob, SourceModel};
use bitsmith_engine::preset::{QuantOptions, QuantPlan, Reason};
use gloo::worker::{HandlerId, WorkerScope};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;

use super::{EngineWorker, STEP_BUDGET_MS, now_ms, yield_now};
use crate::library::{
    CHUNK_SIZE, ChunkReader, ChunkWriter, LibError, Library, Manifest, Origin, QuantRecord,
    WriteLock, new_id,
};
use crate::protocol::workbench::{
    PlanRow, PlanView, WbJob, WbOutcome, llama_quantize_command, output_file_name,
};
use crate::protocol::{JobId, JobResult, Response};
use library::{Ctx, JobError, format_error, read_header};

thread_local! {
    /// Parsed headers of library models, by id (a model's bytes never change once stored).
    static HEADERS: RefCell<HashMap<String, Rc<GgufFile>>> = RefCell::new(HashMap::new());
    /// The last export's object URL, revoked when the next one is made.
    static LAST_EXPORT: RefCell<Option<String>> = const { RefCell::new(None) };
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
        WbJob::Quantize { model, options } => quantize(&ctx, &model, options).await,
        WbJob::Export { model } => export(&ctx, &model).await,
        WbJob::CollectGarbage => collect().await,
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
    let lib = Library::open().await?;
    Ok(WbOutcome::Collected(lib.collect_garbage().await?))
}

/// A model's manifest and parsed header (cached).
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
    let lib = Library::open().await?;
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

async fn quantize(ctx: &Ctx<'_>, model: &str, opts: QuantOptions) -> Result<WbOutcome, JobError> {
    let started = now_ms();
    let lib = Library::open().await?;
    let (src, header) = source_of(&lib, model).await?;
    let source = SourceModel::from_gguf(&header);
    let plan = source.plan(&opts).map_err(format_error)?;
    let n_elements = plan.n_elements;
    let output_bpw = plan.output_bpw;
    let n_tensors = plan.tensors.len() as u32;
    let mut job =
        QuantizeJob::new(&source, plan, None, JobOptions::default()).map_err(format_error)?;
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
                job.feed(&bytes, &mut out).map_err(format_error)?;
                drop(bytes);
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
            backend: "cpu".into(),
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
    let lib = Library::open().await?;
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
