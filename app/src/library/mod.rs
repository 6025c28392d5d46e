//! The model library: models kept in IndexedDB, in chunks, so they survive reloads and work
//! offline.
//!
//! Layout (object stores created by `store::MIGRATIONS` step 1 → 2):
//! - `lib_chunks`: the bytes, one record per [`CHUNK_SIZE`] slice of a GGUF file, keyed
//!   `[store_id, index]` (an array key). A model's chunks are its file, in order.
//! - `lib_models`: one [`Manifest`] per model, keyed by model id. It lists the checksum of every
//!   chunk and is written **last**, in its own transaction, once every chunk has committed: a model
//!   exists exactly when its manifest does, so a failed or interrupted write (quota, a closed tab,
//!   a crash) never shows up as a half model.
//! - `lib_pending`: resumable downloads ([`Pending`]). Each downloaded chunk is written in the
//!   same transaction as the pending record that counts it, so after any interruption the record
//!   says exactly which bytes are safely stored and the download resumes there.
//!
//! Chunks that belong to no manifest and no pending download are garbage (a write cut short);
//! [`Library::collect_garbage`] deletes them, except while a writer holds the store's Web Lock
//! (`bitsmith-write:<store_id>`, released by the browser when the tab closes), so a write in
//! progress in another tab is never touched.
//!
//! Every chunk read is checked against the manifest's checksum ([`hash`]); a mismatch is a
//! [`LibError::Corrupt`] that names the model, never silently wrong bytes.
//!
//! The library is used by the worker (which writes and reads model bytes) and by the UI (which
//! only lists, deletes and reads manifests): model bytes never sit on the UI thread.

pub mod hash;

#[cfg(target_arch = "wasm32")]
mod db;
#[cfg(target_arch = "wasm32")]
pub use db::{ChunkReader, ChunkWriter, Library, WriteLock};

use serde::{Deserialize, Serialize};

/// Bytes per chunk record: small enough that a write or a read never holds much memory, big
/// enough that a model is a few dozen records (IndexedDB's per-record overhead stays negligible).
pub const CHUNK_SIZE: u32 = 4 << 20;

pub const STORE_CHUNKS: &str = "lib_chunks";
pub const STORE_MODELS: &str = "lib_models";
pub const STORE_PENDING: &str = "lib_pending";

/// Why a library operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibError {
    /// The browser refused to store more (`QuotaExceededError`).
    #[error("the browser's storage for this site is full")]
    Quota,
    #[error("model {0} is not in the library")]
    NotFound(String),
    /// A chunk is missing or its checksum does not match.
    #[error("model {model} is damaged: chunk {index} {why}")]
    Corrupt {
        model: String,
        index: u32,
        why: String,
    },
    #[error("another tab is writing {0}")]
    Busy(String),
    #[error("storage failed: {0}")]
    Storage(String),
}

/// Where a model came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Origin {
    #[default]
    Unknown,
    /// Opened from files on this device (their names).
    Files(Vec<String>),
    /// Downloaded from a URL (the first file's).
    Url(String),
    /// Made here by quantizing another library model.
    Quantized { parent: String, parent_name: String },
}

/// What the library shows about a model without reading its bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// `general.architecture`.
    pub arch: String,
    pub n_params: u64,
    pub n_tensors: u32,
    /// The llama.cpp file type name (`Q4_K_M`, `F16`, …) or the dominant tensor type.
    pub file_type: String,
    /// Bits per weight of the tensor data.
    pub bpw: f64,
}

/// How a quantized model was made (kept with the run).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuantRecord {
    pub preset: String,
    /// `--tensor-type` overrides as `PATTERN=TYPE`, in order.
    pub overrides: Vec<String>,
    pub output_tensor_type: Option<String>,
    pub token_embedding_type: Option<String>,
    /// The llama-quantize command line that reproduces the plan.
    pub command: String,
    pub seconds: f64,
    /// Peak size of the worker's wasm memory during the run.
    pub peak_memory: u64,
    /// Where the work ran: "cpu" (the wasm SIMD path) or "webgpu" (some tensors on the GPU).
    pub backend: String,
    /// The WebGPU adapter that quantized `gpu_tensors`.
    pub gpu_adapter: Option<String>,
    /// Tensors quantized on the GPU (all others were converted or copied on the CPU).
    pub gpu_tensors: Vec<String>,
    /// Why WebGPU was asked for and not used (no adapter), in the browser's words.
    pub gpu_unavailable: Option<String>,
}

/// A measurement of a model (kept with the run, so results survive reloads).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Measurement {
    /// Which text: "builtin" or "custom".
    pub text: String,
    /// Tokens scored.
    pub tokens: u32,
    pub n_ctx: u32,
    pub ppl: f64,
    pub ppl_err: f64,
    /// The source model's perplexity on the same tokens, when measured against it.
    pub ppl_base: Option<f64>,
    /// Mean KL divergence from the source model (nats per token).
    pub kld: Option<f64>,
    pub kld_err: Option<f64>,
    /// Top-1 agreement with the source, 0..1.
    pub top1: Option<f64>,
    /// Per layer: relative RMS error of the hidden state against the source's.
    pub layer_error: Vec<f64>,
    pub seconds: f64,
    pub created_ms: f64,
}

/// A stored model. Written last; see the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub id: String,
    /// What the user sees.
    pub name: String,
    /// The name an export downloads as.
    pub file_name: String,
    /// File size in bytes.
    pub size: u64,
    pub chunk_size: u32,
    /// [`hash::checksum_hex`] of every chunk, in order.
    pub checksums: Vec<String>,
    pub origin: Origin,
    /// Milliseconds since the epoch.
    pub created_ms: f64,
    pub facts: Facts,
    pub quant: Option<QuantRecord>,
    pub measurements: Vec<Measurement>,
}

impl Manifest {
    pub fn n_chunks(&self) -> u32 {
        self.checksums.len() as u32
    }

    /// Checks that the chunk list covers exactly `size` bytes.
    pub fn is_consistent(&self) -> bool {
        self.chunk_size > 0
            && u64::from(self.n_chunks()) == self.size.div_ceil(u64::from(self.chunk_size))
    }

    pub fn is_quantized_here(&self) -> bool {
        matches!(self.origin, Origin::Quantized { .. })
    }
}

/// One file of a resumable download.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PendingFile {
    /// Name within the model (`model.safetensors`, `config.json`, or the GGUF's name).
    pub name: String,
    pub url: String,
    /// Total size (from the server), 0 until known.
    pub size: u64,
    /// Bytes safely stored (always a whole number of chunks, or the whole file).
    pub done: u64,
    /// Where its chunks are stored.
    pub store: String,
    pub checksums: Vec<String>,
    /// The server's validator, sent as `If-Range` on resume so a changed file restarts.
    pub etag: Option<String>,
}

impl PendingFile {
    pub fn complete(&self) -> bool {
        self.size > 0 && self.done == self.size
    }
}

/// A download in progress or interrupted (see the [module docs](self)).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pending {
    /// The id the finished model will have.
    pub id: String,
    pub name: String,
    pub files: Vec<PendingFile>,
    pub created_ms: f64,
}

impl Pending {
    pub fn total(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    pub fn done(&self) -> u64 {
        self.files.iter().map(|f| f.done).sum()
    }

    /// True when it is a single GGUF file: its chunks become the model's without a copy.
    pub fn is_single_gguf(&self) -> bool {
        self.files.len() == 1 && self.files[0].name.to_ascii_lowercase().ends_with(".gguf")
    }
}

/// The chunks holding bytes `start..end` of a file cut into `chunk_size` pieces, as
/// `(chunk index, range within that chunk)`.
pub fn chunk_spans(start: u64, end: u64, chunk_size: u32) -> Vec<(u32, std::ops::Range<usize>)> {
    let cs = u64::from(chunk_size.max(1));
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let index = pos / cs;
        let chunk_end = ((index + 1) * cs).min(end);
        let from = (pos - index * cs) as usize;
        let to = (chunk_end - index * cs) as usize;
        out.push((index as u32, from..to));
        pos = chunk_end;
    }
    out
}

/// A new, practically unique id from a timestamp and a random number.
pub fn new_id(now_ms: f64, random: f64) -> String {
    format!(
        "m{:x}{:06x}",
        now_ms.max(0.0) as u64,
        (random.clamp(0.0, 1.0) * f64::from(0xff_ffff)) as u32
    )
}

/// The store id of staged file `k` of pending download `id` (a single GGUF is staged straight
/// under the model id; see [`Pending::is_single_gguf`]).
pub fn staged_store(id: &str, k: usize) -> String {
    format!("{id}/{k}")
}

/// The model or pending id a chunk store belongs to.
pub fn owner_of(store: &str) -> &str {
    store.split('/').next().unwrap_or(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_a_range_across_chunks() {
        assert_eq!(chunk_spans(0, 0, 10), vec![]);
        assert_eq!(chunk_spans(3, 7, 10), vec![(0, 3..7)]);
        assert_eq!(
            chunk_spans(8, 23, 10),
            vec![(0, 8..10), (1, 0..10), (2, 0..3)]
        );
        assert_eq!(chunk_spans(10, 20, 10), vec![(1, 0..10)]);
        // Every byte once, in order.
        let spans = chunk_spans(5, 1000, 7);
        let total: usize = spans.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(total, 995);
        assert!(spans.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    }

    #[test]
    fn manifests_check_their_chunk_count() {
        let mut m = Manifest {
            size: 10,
            chunk_size: 4,
            checksums: vec!["a".into(), "b".into(), "c".into()],
            ..Manifest::default()
        };
        assert!(m.is_consistent());
        m.checksums.pop();
        assert!(!m.is_consistent());
        m.chunk_size = 0;
        assert!(!m.is_consistent());
    }

    #[test]
    fn ids_and_staging_names() {
        let a = new_id(1_700_000_000_000.0, 0.25);
        let b = new_id(1_700_000_000_000.0, 0.5);
        assert_ne!(a, b);
        assert!(a.starts_with('m'));
        let s = staged_store(&a, 2);
        assert_eq!(owner_of(&s), a);
        assert_eq!(owner_of(&a), a);
    }

    #[test]
    fn pending_totals() {
        let p = Pending {
            files: vec![
                PendingFile {
                    name: "config.json".into(),
                    size: 10,
                    done: 10,
                    ..Default::default()
                },
                PendingFile {
                    name: "model.safetensors".into(),
                    size: 100,
                    done: 40,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!((p.done(), p.total()), (50, 110));
        assert!(p.files[0].complete() && !p.files[1].complete());
        assert!(!p.is_single_gguf());
    }
}
