//! Getting model bytes into the library, in the worker: resumable HTTP Range downloads, picked
//! files (read through `blob:` URLs the same way), and safetensors folders converted to GGUF.
//!
//! Every path writes through `library::ChunkWriter` and commits the manifest last, so a failure
//! at any point leaves either nothing (the chunks are deleted here, or by garbage collection if
//! the tab died) or, for a download, a pending record that resumes where it stopped.

use std::cell::Cell;

use bitsmith_engine::gguf::{GgufEvent, GgufFile, GgufStreamReader};
use bitsmith_engine::hf::{HfOptions, HfParts, model_from_parts};
use bitsmith_engine::model::{ModelDesc, TensorSource};
use bitsmith_engine::preset::Preset;
use bitsmith_engine::safetensors::{SafetensorsFile, header_len, to_f32};
use bitsmith_engine::{GgmlType, quant};
use gloo::worker::{HandlerId, WorkerScope};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{EngineWorker, now_ms};
use crate::library::{
    CHUNK_SIZE, ChunkReader, ChunkWriter, Facts, LibError, Library, Manifest, Origin, Pending,
    PendingFile, WriteLock, new_id, staged_store,
};
use crate::protocol::workbench::{FailureKind, RemoteFile, WbOutcome};
use crate::protocol::{JobId, Response};

/// Bytes asked for per Range request: a few chunks, so a slow link still reports progress
/// while each request stays cheap to redo.
const SPAN: u64 = 16 << 20;

/// How a job ends early.
#[derive(Debug)]
pub enum JobError {
    Cancelled,
    Fail(FailureKind, String),
}

impl From<LibError> for JobError {
    fn from(e: LibError) -> Self {
        let kind = match &e {
            LibError::Quota => FailureKind::Quota,
            LibError::NotFound(_) => FailureKind::NotFound,
            LibError::Corrupt { .. } => FailureKind::Corrupt,
            LibError::Busy(_) => FailureKind::Busy,
            LibError::Storage(_) => FailureKind::Storage,
        };
        JobError::Fail(kind, e.to_string())
    }
}

pub fn format_error(e: impl std::fmt::Display) -> JobError {
    JobError::Fail(FailureKind::Format, e.to_string())
}

fn network(e: impl std::fmt::Display) -> JobError {
    JobError::Fail(FailureKind::Network, e.to_string())
}

fn js_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// What a job needs to report progress and notice a cancel.
pub struct Ctx<'a> {
    pub scope: &'a WorkerScope<EngineWorker>,
    pub id: HandlerId,
    pub job: JobId,
    pub cancel: &'a Cell<bool>,
    last: Cell<f64>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        scope: &'a WorkerScope<EngineWorker>,
        id: HandlerId,
        job: JobId,
        cancel: &'a Cell<bool>,
    ) -> Self {
        Ctx {
            scope,
            id,
            job,
            cancel,
            last: Cell::new(f64::NEG_INFINITY),
        }
    }

    /// Reports progress, at most ten times a second (and always at the end).
    pub fn progress(&self, done: u64, total: u64) {
        let now = now_ms();
        if now - self.last.get() >= 100.0 || done >= total {
            self.last.set(now);
            self.scope.respond(
                self.id,
                Response::Progress {
                    job: self.job,
                    done,
                    total,
                },
            );
        }
    }

    pub fn check(&self) -> Result<(), JobError> {
        if self.cancel.get() {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP (also `blob:` URLs, which Chromium, Firefox and Safari serve Range requests from)

async fn http(
    url: &str,
    method: &str,
    range: Option<(u64, u64)>,
    if_range: Option<&str>,
) -> Result<web_sys::Response, JobError> {
    let headers = web_sys::Headers::new().map_err(|e| network(js_text(&e)))?;
    if let Some((start, end_incl)) = range {
        headers
            .set("Range", &format!("bytes={start}-{end_incl}"))
            .map_err(|e| network(js_text(&e)))?;
    }
    if let Some(tag) = if_range {
        headers
            .set("If-Range", tag)
            .map_err(|e| network(js_text(&e)))?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let resp = JsFuture::from(global.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| network(js_text(&e)))?;
    Ok(resp.unchecked_into())
}

/// The total size in a `Content-Range: bytes a-b/total` header (when CORS lets us read it).
fn content_range_total(resp: &web_sys::Response) -> Option<u64> {
    let v = resp.headers().get("content-range").ok()??;
    v.rsplit_once('/')?.1.trim().parse().ok()
}

fn header_u64(resp: &web_sys::Response, name: &str) -> Option<u64> {
    resp.headers().get(name).ok()??.trim().parse().ok()
}

/// A strong validator for `If-Range` (weak ETags may not be used there).
fn strong_etag(resp: &web_sys::Response) -> Option<String> {
    resp.headers()
        .get("etag")
        .ok()
        .flatten()
        .filter(|t| !t.starts_with("W/"))
}

/// The size of a remote file and its validator: a one-byte Range request answers both when the
/// server allows reading `Content-Range`; otherwise a HEAD's `Content-Length` (always readable).
async fn probe(url: &str) -> Result<(u64, Option<String>), JobError> {
    let resp = http(url, "GET", Some((0, 0)), None).await?;
    if resp.status() == 206
        && let Some(total) = content_range_total(&resp)
    {
        let tag = strong_etag(&resp);
        let _ = resp.body().map(|b| b.cancel());
        return Ok((total, tag));
    }
    let _ = resp.body().map(|b| b.cancel());
    let head = http(url, "HEAD", None, None).await?;
    if !head.ok() {
        return Err(network(format!("HTTP {} for {url}", head.status())));
    }
    let size = header_u64(&head, "content-length")
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            network(format!(
                "{url}: the server does not say how big the file is"
            ))
        })?;
    Ok((size, strong_etag(&head)))
}

/// Reads a response body piece by piece.
struct Body {
    reader: web_sys::ReadableStreamDefaultReader,
}

impl Body {
    fn new(resp: &web_sys::Response) -> Result<Body, JobError> {
        let stream = resp
            .body()
            .ok_or_else(|| network("the response has no body"))?;
        Ok(Body {
            reader: stream.get_reader().unchecked_into(),
        })
    }

    async fn next(&mut self) -> Result<Option<Vec<u8>>, JobError> {
        let r = JsFuture::from(self.reader.read())
            .await
            .map_err(|e| network(js_text(&e)))?;
        let done = Reflect::get(&r, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(None);
        }
        let value =
            Reflect::get(&r, &JsValue::from_str("value")).map_err(|e| network(js_text(&e)))?;
        Ok(Some(Uint8Array::new(&value).to_vec()))
    }

    fn cancel(self) {
        let _ = self.reader.cancel();
    }
}

/// Bytes `start..end` of a URL in one Range request.
async fn read_url(url: &str, start: u64, end: u64) -> Result<Vec<u8>, JobError> {
    if start == end {
        return Ok(Vec::new());
    }
    let resp = http(url, "GET", Some((start, end - 1)), None).await?;
    let want = (end - start) as usize;
    let bytes = match resp.status() {
        206 => {
            let buf = JsFuture::from(resp.array_buffer().map_err(|e| network(js_text(&e)))?)
                .await
                .map_err(|e| network(js_text(&e)))?;
            Uint8Array::new(&buf).to_vec()
        }
        200 => {
            // No Range support: take the slice from the whole body (only sane for small files).
            let buf = JsFuture::from(resp.array_buffer().map_err(|e| network(js_text(&e)))?)
                .await
                .map_err(|e| network(js_text(&e)))?;
            let all = Uint8Array::new(&buf);
            all.subarray(start as u32, end as u32).to_vec()
        }
        s => return Err(network(format!("HTTP {s} for {url}"))),
    };
    if bytes.len() != want {
        return Err(network(format!(
            "{url}: asked for {want} bytes at {start}, got {}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Why a file transfer stopped.
enum Stop {
    Err(JobError),
    /// The server sent the whole file instead of the asked range: it changed (If-Range) or
    /// ignores ranges. Start the file again from its first byte.
    Restart,
}

impl From<JobError> for Stop {
    fn from(e: JobError) -> Self {
        Stop::Err(e)
    }
}

impl From<LibError> for Stop {
    fn from(e: LibError) -> Self {
        Stop::Err(e.into())
    }
}

/// Streams `url` from the writer's committed offset to `size` into `writer`, in Range requests.
/// Progress counts `before` bytes of earlier files out of `total`.
async fn transfer(
    ctx: &Ctx<'_>,
    url: &str,
    size: u64,
    etag: Option<&str>,
    writer: &mut ChunkWriter,
    gguf: bool,
    (before, total): (u64, u64),
) -> Result<(), Stop> {
    let mut pos = writer.committed();
    let mut checked_magic = !gguf || pos > 0;
    while pos < size {
        ctx.check()?;
        let end = (pos + SPAN).min(size);
        let resp = http(url, "GET", Some((pos, end - 1)), etag).await?;
        match resp.status() {
            206 => {
                if let Some(t) = content_range_total(&resp)
                    && t != size
                {
                    return Err(Stop::Restart);
                }
            }
            200 if pos == 0 => {}
            200 => return Err(Stop::Restart),
            416 => return Err(Stop::Restart),
            s => {
                return Err(
                    JobError::Fail(FailureKind::Network, format!("HTTP {s} for {url}")).into(),
                );
            }
        }
        let whole = resp.status() == 200;
        let mut body = Body::new(&resp)?;
        let goal = if whole { size } else { end };
        while pos < goal {
            let Some(piece) = body.next().await? else {
                break;
            };
            let take = piece.len().min((goal - pos) as usize);
            if !checked_magic && pos == 0 && take >= 4 {
                // An SPA fallback page or an error page is not a model: stop before storing it.
                if &piece[..4] != b"GGUF" {
                    body.cancel();
                    return Err(format_error(
                        "this is not a GGUF file (it does not start with \"GGUF\")",
                    )
                    .into());
                }
                checked_magic = true;
            }
            writer.push(&piece[..take]).await?;
            pos += take as u64;
            ctx.progress(before + pos, total);
            if ctx.cancel.get() {
                body.cancel();
                return Err(JobError::Cancelled.into());
            }
        }
        if pos < goal {
            return Err(network(format!(
                "{url}: the connection closed after {pos} of {size} bytes"
            ))
            .into());
        }
        if whole {
            body.cancel();
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// GGUF headers and facts

/// Parses the GGUF header at the start of a stored file, feeding small pieces so no tensor
/// data is buffered.
pub async fn read_header(reader: &mut ChunkReader) -> Result<GgufFile, JobError> {
    let mut s = GgufStreamReader::with_file_size(reader.size());
    for i in 0..reader.n_chunks() {
        let c = reader.chunk(i).await?;
        for piece in c.chunks(64 << 10) {
            for ev in s.feed(piece).map_err(format_error)? {
                if let GgufEvent::Header(f) = ev {
                    return Ok(f);
                }
            }
        }
    }
    Err(format_error("the file ends before its GGUF header does"))
}

/// The library's summary of a model.
pub fn facts_of(
    arch: &str,
    metadata_ftype: Option<u32>,
    tensors: impl Iterator<Item = (u64, u64, GgmlType)>,
) -> Facts {
    let (mut n_params, mut bytes, mut n) = (0u64, 0u64, 0u32);
    let mut by_type: std::collections::BTreeMap<GgmlType, u64> = Default::default();
    for (elements, b, ty) in tensors {
        n_params += elements;
        bytes += b;
        n += 1;
        *by_type.entry(ty).or_default() += elements;
    }
    let file_type = metadata_ftype
        .and_then(Preset::from_ftype)
        .map(|p| p.name().to_string())
        .or_else(|| {
            by_type
                .iter()
                .max_by_key(|(_, e)| **e)
                .map(|(t, _)| t.name().to_string())
        })
        .unwrap_or_default();
    Facts {
        arch: arch.to_string(),
        n_params,
        n_tensors: n,
        file_type,
        bpw: if n_params == 0 {
            0.0
        } else {
            bytes as f64 * 8.0 / n_params as f64
        },
    }
}

pub fn facts_of_gguf(f: &GgufFile) -> Facts {
    facts_of(
        f.architecture().unwrap_or_default(),
        f.get("general.file_type").and_then(|v| v.as_u32()),
        f.tensors
            .iter()
            .map(|t| (t.n_elements(), t.n_bytes(), t.ggml_type)),
    )
}

/// Reads the header of a freshly written model; a file that is not a GGUF is deleted.
async fn check_gguf(lib: &Library, m: &Manifest) -> Result<GgufFile, JobError> {
    let mut reader = ChunkReader::for_model(lib, m);
    match read_header(&mut reader).await {
        Ok(f) => Ok(f),
        Err(e) => {
            let _ = lib.delete(&m.id).await;
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Downloads

/// Downloads (or resumes) a model from URLs. See `WbJob::Download`.
pub async fn download(
    ctx: &Ctx<'_>,
    resume: Option<String>,
    name: String,
    files: Vec<RemoteFile>,
) -> Result<WbOutcome, JobError> {
    let lib = super::shared_library().await?;
    let mut pending = match resume {
        Some(id) => lib.pending(&id).await?.ok_or(LibError::NotFound(id))?,
        None => {
            let id = new_id(js_sys::Date::now(), js_sys::Math::random());
            let single = files.len() == 1 && files[0].name.to_ascii_lowercase().ends_with(".gguf");
            Pending {
                files: files
                    .iter()
                    .enumerate()
                    .map(|(k, f)| PendingFile {
                        name: f.name.clone(),
                        url: f.url.clone(),
                        size: 0,
                        store: if single {
                            id.clone()
                        } else {
                            staged_store(&id, k)
                        },
                        ..PendingFile::default()
                    })
                    .collect(),
                id,
                name,
                created_ms: js_sys::Date::now(),
            }
        }
    };
    let _lock = WriteLock::acquire(&pending.id)
        .await?
        .ok_or_else(|| LibError::Busy(pending.name.clone()))?;
    for f in pending.files.iter_mut().filter(|f| f.size == 0) {
        let (size, etag) = probe(&f.url).await?;
        f.size = size;
        f.etag = etag;
    }
    // The record exists before any chunk does, so garbage collection keeps what follows.
    lib.put_pending(&pending).await?;
    let total = pending.total();
    for k in 0..pending.files.len() {
        if pending.files[k].complete() {
            continue;
        }
        let mut restarted = false;
        loop {
            let before: u64 = pending.files[..k].iter().map(|f| f.size).sum();
            let f = pending.files[k].clone();
            let mut writer = ChunkWriter::resume(&lib, pending.clone(), k, CHUNK_SIZE);
            let gguf = is_gguf(&f.name);
            match transfer(
                ctx,
                &f.url,
                f.size,
                f.etag.as_deref(),
                &mut writer,
                gguf,
                (before, total),
            )
            .await
            {
                Ok(()) => {
                    let (_, _, p) = writer.finish().await?;
                    pending = p.expect("a download writer carries its pending record");
                    break;
                }
                Err(Stop::Restart) if !restarted => {
                    // The file changed on the server (or it ignores ranges): start it over.
                    restarted = true;
                    lib.delete_store(&f.store).await?;
                    let (size, etag) = probe(&f.url).await?;
                    let pf = &mut pending.files[k];
                    *pf = PendingFile {
                        size,
                        etag,
                        ..PendingFile {
                            name: pf.name.clone(),
                            url: pf.url.clone(),
                            store: pf.store.clone(),
                            ..PendingFile::default()
                        }
                    };
                    lib.put_pending(&pending).await?;
                }
                Err(Stop::Restart) => {
                    return Err(network(format!(
                        "{}: the server keeps changing the file",
                        f.url
                    )));
                }
                Err(Stop::Err(JobError::Fail(FailureKind::Format, d))) => {
                    // Not a model: nothing worth resuming.
                    let _ = lib.delete(&pending.id).await;
                    return Err(JobError::Fail(FailureKind::Format, d));
                }
                Err(Stop::Err(e @ JobError::Fail(FailureKind::Quota, _))) => {
                    // Storage is full: keep nothing half-stored (the user frees space, then
                    // starts again).
                    let _ = lib.delete(&pending.id).await;
                    return Err(e);
                }
                Err(Stop::Err(e)) => return Err(e),
            }
        }
    }
    if pending.is_single_gguf() {
        let f = &pending.files[0];
        let mut m = Manifest {
            id: pending.id.clone(),
            name: pending.name.clone(),
            file_name: f.name.clone(),
            size: f.size,
            chunk_size: CHUNK_SIZE,
            checksums: f.checksums.clone(),
            origin: Origin::Url(f.url.clone()),
            created_ms: js_sys::Date::now(),
            ..Manifest::default()
        };
        let header = check_gguf(&lib, &m).await?;
        m.facts = facts_of_gguf(&header);
        lib.commit_manifest(&m, Some(&pending.id)).await?;
        Ok(WbOutcome::Model(Box::new(m)))
    } else {
        Ok(WbOutcome::Staged(Box::new(pending)))
    }
}

// ---------------------------------------------------------------------------------------------
// Picked files

fn is_gguf(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".gguf")
}

fn is_safetensors(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".safetensors")
}

/// Imports files picked on this device. See `WbJob::ImportFiles`.
pub async fn import_files(
    ctx: &Ctx<'_>,
    name: String,
    files: Vec<RemoteFile>,
) -> Result<WbOutcome, JobError> {
    let lib = super::shared_library().await?;
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    // A folder with safetensors weights and a config is converted, even if it also holds a
    // GGUF (an earlier conversion, say); otherwise one GGUF file is copied as it is.
    let is_folder_model = files.iter().any(|f| is_safetensors(&f.name))
        && files
            .iter()
            .any(|f| f.name.rsplit('/').next() == Some("config.json"));
    let ggufs: Vec<&RemoteFile> = files
        .iter()
        .filter(|f| is_gguf(&f.name) && !is_folder_model)
        .collect();
    if let [gguf] = ggufs.as_slice() {
        let size = match gguf.size {
            Some(s) => s,
            None => probe(&gguf.url).await?.0,
        };
        let id = new_id(js_sys::Date::now(), js_sys::Math::random());
        let _lock = WriteLock::acquire(&id)
            .await?
            .ok_or_else(|| LibError::Busy(name.clone()))?;
        let mut writer = ChunkWriter::new(&lib, &id, CHUNK_SIZE);
        let copied = async {
            match transfer(ctx, &gguf.url, size, None, &mut writer, true, (0, size)).await {
                Ok(()) => Ok(writer.finish().await?),
                Err(Stop::Err(e)) => Err(e),
                Err(Stop::Restart) => Err(network("the file changed while it was read")),
            }
        }
        .await;
        let (checksums, written, _) = match copied {
            Ok(v) => v,
            Err(e) => {
                let _ = lib.delete_store(&id).await;
                return Err(e);
            }
        };
        let mut m = Manifest {
            id,
            name,
            file_name: gguf
                .name
                .rsplit('/')
                .next()
                .unwrap_or(&gguf.name)
                .to_string(),
            size: written,
            chunk_size: CHUNK_SIZE,
            checksums,
            origin: Origin::Files(names),
            created_ms: js_sys::Date::now(),
            ..Manifest::default()
        };
        let header = check_gguf(&lib, &m).await?;
        m.facts = facts_of_gguf(&header);
        lib.commit_manifest(&m, None).await?;
        return Ok(WbOutcome::Model(Box::new(m)));
    }
    if !ggufs.is_empty() {
        return Err(format_error("pick one .gguf file at a time"));
    }
    if !files.iter().any(|f| is_safetensors(&f.name)) {
        return Err(format_error(
            "pick a .gguf file, or a safetensors model: *.safetensors with config.json and tokenizer.json",
        ));
    }
    let mut sources = Vec::new();
    for f in files.into_iter().filter(|f| !is_gguf(&f.name)) {
        let size = match f.size {
            Some(s) => s,
            None => probe(&f.url).await?.0,
        };
        // Files of a picked folder carry their relative path; the converter wants bare names.
        let bare = f.name.rsplit('/').next().unwrap_or(&f.name).to_string();
        sources.push((bare, Source::Url { url: f.url, size }));
    }
    let m = convert(ctx, &lib, name, sources, Origin::Files(names)).await?;
    Ok(WbOutcome::Model(Box::new(m)))
}

/// Converts a finished staged download. See `WbJob::Convert`.
pub async fn convert_staged(ctx: &Ctx<'_>, pending: String) -> Result<WbOutcome, JobError> {
    let lib = super::shared_library().await?;
    let p = lib
        .pending(&pending)
        .await?
        .ok_or(LibError::NotFound(pending.clone()))?;
    if let Some(f) = p.files.iter().find(|f| !f.complete()) {
        return Err(network(format!("{} is not fully downloaded yet", f.name)));
    }
    let sources = p
        .files
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                Source::Stored(ChunkReader::for_staged(&lib, &f.name, f, CHUNK_SIZE)),
            )
        })
        .collect();
    let origin = Origin::Url(
        p.files
            .iter()
            .find(|f| is_safetensors(&f.name))
            .map(|f| f.url.clone())
            .unwrap_or_default(),
    );
    let m = convert(ctx, &lib, p.name.clone(), sources, origin).await?;
    // The staged files are no longer needed.
    lib.delete(&p.id).await?;
    Ok(WbOutcome::Model(Box::new(m)))
}

/// Where a file of a folder being converted is read from.
enum Source {
    Url { url: String, size: u64 },
    Stored(ChunkReader),
}

impl Source {
    fn size(&self) -> u64 {
        match self {
            Source::Url { size, .. } => *size,
            Source::Stored(r) => r.size(),
        }
    }

    async fn read(&mut self, start: u64, end: u64) -> Result<Vec<u8>, JobError> {
        match self {
            Source::Url { url, .. } => read_url(url, start, end).await,
            Source::Stored(r) => Ok(r.read(start, end).await?),
        }
    }

    async fn text(&mut self, name: &str) -> Result<String, JobError> {
        let n = self.size();
        let bytes = self.read(0, n).await?;
        String::from_utf8(bytes).map_err(|_| format_error(format!("{name} is not UTF-8 text")))
    }
}

/// The text of a small file of the folder, if it is there.
async fn small_text(
    sources: &mut [(String, Source)],
    file: &str,
) -> Result<Option<String>, JobError> {
    match sources.iter_mut().find(|(n, _)| n == file) {
        Some((_, s)) => Ok(Some(s.text(file).await?)),
        None => Ok(None),
    }
}

/// Rows converted per step for tensors that need no permutation: about this many source bytes.
const SLAB_BYTES: u64 = 4 << 20;

/// Converts a safetensors folder to a GGUF model in the library, tensor by tensor (the way
/// `hf::convert_files_to_gguf` does in memory), without ever holding more than one tensor.
async fn convert(
    ctx: &Ctx<'_>,
    lib: &Library,
    name: String,
    mut sources: Vec<(String, Source)>,
    origin: Origin,
) -> Result<Manifest, JobError> {
    let config = small_text(&mut sources, "config.json")
        .await?
        .ok_or_else(|| format_error("config.json is missing"))?;
    let tokenizer = small_text(&mut sources, "tokenizer.json").await?;
    let tokenizer_config = small_text(&mut sources, "tokenizer_config.json").await?;
    let chat_jinja = small_text(&mut sources, "chat_template.jinja").await?;
    let chat_json = small_text(&mut sources, "chat_template.json").await?;
    let index = small_text(&mut sources, "model.safetensors.index.json").await?;
    let mut headers = Vec::new();
    for (n, s) in sources.iter_mut().filter(|(n, _)| is_safetensors(n)) {
        let size = s.size();
        let head = s.read(0, 8.min(size)).await?;
        let len = header_len(&head).ok_or_else(|| format_error(format!("{n}: too short")))?;
        let prefix = s.read(0, (8 + len).min(size)).await?;
        let file = match SafetensorsFile::parse_prefix(&prefix, Some(size)).map_err(format_error)? {
            Ok(f) => f,
            Err(_) => return Err(format_error(format!("{n}: truncated header"))),
        };
        headers.push((n.clone(), file));
    }
    let parts = HfParts {
        config_json: &config,
        tokenizer_json: tokenizer.as_deref(),
        tokenizer_config_json: tokenizer_config.as_deref(),
        chat_template_jinja: chat_jinja.as_deref(),
        chat_template_json: chat_json.as_deref(),
        index_json: index.as_deref(),
        has_tokenizer_model: sources.iter().any(|(n, _)| n == "tokenizer.model"),
        safetensors: headers,
    };
    let opts = HfOptions {
        name: Some(name.clone()),
        ..HfOptions::default()
    };
    let model = model_from_parts(&parts, &opts).map_err(format_error)?.model;
    let mut gguf = model.gguf_writer().map_err(format_error)?;

    let id = new_id(js_sys::Date::now(), js_sys::Math::random());
    let _lock = WriteLock::acquire(&id)
        .await?
        .ok_or_else(|| LibError::Busy(name.clone()))?;
    let mut writer = ChunkWriter::new(lib, &id, CHUNK_SIZE);
    let total: u64 = model.tensors.iter().map(|t| t.n_bytes()).sum();
    let written = async {
        writer.push(&gguf.header_bytes()).await?;
        let mut done = 0u64;
        for i in 0..model.tensors.len() {
            ctx.check()?;
            let out = tensor_data(&model, i, &mut sources, &mut gguf, &mut writer).await?;
            done += out;
            ctx.progress(done, total);
        }
        gguf.finish().map_err(format_error)?;
        Ok::<_, JobError>(writer.finish().await?)
    }
    .await;
    let (checksums, size, _) = match written {
        Ok(v) => v,
        Err(e) => {
            let _ = lib.delete_store(&id).await;
            return Err(e);
        }
    };
    let file_type = model
        .tensors
        .iter()
        .map(|t| t.ggml_type)
        .find(|t| *t != GgmlType::F32)
        .unwrap_or(GgmlType::F32);
    let m = Manifest {
        id,
        file_name: format!("{}-{}.gguf", safe_file_stem(&name), file_type.name()),
        name,
        size,
        chunk_size: CHUNK_SIZE,
        checksums,
        origin,
        created_ms: js_sys::Date::now(),
        facts: facts_of(
            &model.architecture,
            None,
            model
                .tensors
                .iter()
                .map(|t| (t.n_elements(), t.n_bytes(), t.ggml_type)),
        ),
        ..Manifest::default()
    };
    lib.commit_manifest(&m, None).await?;
    Ok(m)
}

/// A file name stem from a model name (letters, digits, `.-_` kept).
pub fn safe_file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "model".into() } else { s }
}

/// Writes tensor `i`'s GGUF data (and padding) to `writer`; returns its data size.
async fn tensor_data(
    model: &ModelDesc,
    i: usize,
    sources: &mut [(String, Source)],
    gguf: &mut bitsmith_engine::gguf::GgufWriter,
    writer: &mut ChunkWriter,
) -> Result<u64, JobError> {
    let t = &model.tensors[i];
    if let Some(data) = t.source.generated() {
        // Made by the converter (Llama 3's rope factors), not read from a file.
        let len = data.len() as u64;
        emit(gguf, writer, data.to_vec()).await?;
        return Ok(len);
    }
    let file = t
        .source
        .file()
        .ok_or_else(|| format_error("a safetensors tensor without a file"))?;
    let src = &mut sources
        .iter_mut()
        .find(|(n, _)| n == file)
        .ok_or_else(|| format_error(format!("{file} is missing")))?
        .1;
    let range = t.source.range();
    let TensorSource::Safetensors {
        dtype,
        permute_heads,
        ..
    } = &t.source
    else {
        return Err(format_error("expected a safetensors tensor"));
    };
    let mut out_len = 0u64;
    if permute_heads.is_some() {
        // Q/K rows are reordered across the whole tensor: convert it at once (these are the
        // small attention projections).
        let raw = src.read(range.start, range.end).await?;
        let data = model.tensor_bytes(i, &raw).map_err(format_error)?;
        out_len += data.len() as u64;
        emit(gguf, writer, data).await?;
    } else {
        // Element-wise conversion (what `ModelDesc::tensor_bytes` does without permutation),
        // a slab of whole rows at a time.
        let row_bytes = t.row_len() * dtype.size();
        let rows_per_slab = (SLAB_BYTES / row_bytes.max(1)).max(1);
        let mut pos = range.start;
        while pos < range.end {
            let end = (pos + rows_per_slab * row_bytes).min(range.end);
            let raw = src.read(pos, end).await?;
            let values = to_f32(*dtype, &raw).map_err(format_error)?;
            drop(raw);
            let mut data =
                vec![0u8; values.len() / t.ggml_type.block_size() * t.ggml_type.type_size()];
            quant::quantize_row(t.ggml_type, &values, &mut data, None).map_err(format_error)?;
            out_len += data.len() as u64;
            emit(gguf, writer, data).await?;
            pos = end;
        }
    }
    Ok(out_len)
}

/// Appends tensor data (and the padding after the tensor's last byte) to the output.
async fn emit(
    gguf: &mut bitsmith_engine::gguf::GgufWriter,
    writer: &mut ChunkWriter,
    data: Vec<u8>,
) -> Result<(), JobError> {
    let pad = gguf.push_data(&data).map_err(format_error)?;
    writer.push(&data).await?;
    if pad > 0 {
        writer.push(&vec![0u8; pad]).await?;
    }
    Ok(())
}

/// The response for a job that ended early.
pub fn failure(e: JobError, job: JobId) -> Response {
    match e {
        JobError::Cancelled => Response::Cancelled { job },
        JobError::Fail(kind, detail) => Response::Finished {
            job,
            result: crate::protocol::JobResult::Workbench(WbOutcome::Failed(
                crate::protocol::workbench::WbFailure { kind, detail },
            )),
        },
    }
}
