//! Model-level quantization: a source model plus a [`QuantPlan`] in, a GGUF file out, streamed
//! tensor by tensor.
//!
//! Sans-IO. A [`QuantizeJob`] produces the output header up front (every output tensor size is
//! known from the plan, so unlike llama.cpp nothing has to be patched afterwards), then takes
//! each source tensor's bytes, in the plan's order, in chunks of any size, and appends the
//! converted bytes (and the alignment padding after each tensor) to a caller-owned buffer. It
//! only keeps a partial row between calls, so peak memory is the caller's chunk plus one chunk
//! of output. [`run_job`] drives a job from two caller-supplied closures (read a byte range of a
//! source tensor, write output bytes) with progress and cancellation.
//!
//! The output matches what `llama_model_quantize` (`src/llama-quant.cpp`, llama.cpp as vendored
//! in llama-cpp-python 0.3.36) writes:
//! - metadata: the source key/value pairs in order, then `general.quantization_version = 2`
//!   (`GGML_QNT_VERSION`, `ggml/include/ggml.h`) and `general.file_type = ftype`; both are
//!   "set" with gguf's remove-then-append semantics (`gguf_set_val_u32` in `ggml/src/gguf.cpp`),
//!   so an existing key moves to the end. `split.no`, `split.count`, `split.tensors.count` are
//!   removed; extra pairs (llama-quantize's `quantize.imatrix.*` overrides) are set last.
//! - tensor order: `weight_name_comparer` (see [`crate::preset::llama_tensor_order`]).
//! - tensor infos: dimensions trimmed to `ggml_n_dims` (trailing 1s dropped, as
//!   `write_tensor_meta` in `gguf.cpp` does); data aligned to 32 (`GGUF_DEFAULT_ALIGNMENT`) and
//!   zero-padded after each tensor.
//! - data: tensors whose type does not change are copied byte for byte; the others are
//!   dequantized to f32 when needed and quantized row by row with the importance matrix of
//!   that tensor, if any (for 3-D expert tensors, one imatrix slice of `ne[0]` per expert).
//!
//! Deviation: when the source declares a `general.alignment`, llama.cpp copies the key but
//! still aligns to 32 (its output context keeps the default), which yields a file readers
//! misparse; Bitsmith aligns to the declared value instead.
//!
//! Threads: `threads > 1` splits each slab of rows into contiguous ranges quantized by
//! `std::thread::scope` workers. Every row is quantized independently, so the output is the same
//! for any thread count. On wasm32 the job always runs on the calling thread.

use std::collections::HashMap;

use crate::GgmlType;
use crate::gguf::{GgufError, GgufFile, GgufValue, GgufWriter, TensorInfo};
use crate::model::ModelDesc;
use crate::preset::{
    ModelInfo, PlanError, Preset, QuantOptions, QuantPlan, Reason, TensorDecision, TensorSpec,
    llama_tensor_order, plan_quantization, tensor_bytes,
};
use crate::progress::{CancelToken, Cancelled, Progress, ProgressSink, Stage};
use crate::quant::{self, QuantError};

/// `GGML_QNT_VERSION` (`ggml/include/ggml.h`): written as `general.quantization_version`.
pub const QUANTIZATION_VERSION: u32 = 2;

/// Per-tensor importance weights, keyed by tensor name (`blk.0.attn_q.weight`), as llama-quantize
/// receives them: `ne[0]` values per tensor, times `ne[2]` for 3-D expert tensors.
pub type ImatrixData = HashMap<String, Vec<f32>>;

/// Why a quantization job failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error("tensor '{tensor}': {source}")]
    Quant {
        tensor: String,
        #[source]
        source: QuantError,
    },
    #[error(
        "imatrix size {got} is different from tensor size {expected} for '{tensor}' \
         (the imatrix was made for another model?)"
    )]
    ImatrixSize {
        tensor: String,
        expected: usize,
        got: usize,
    },
    #[error("imatrix entry '{0}' contains a non-finite value")]
    ImatrixNonFinite(String),
    #[error("plan and source disagree: {0}")]
    PlanMismatch(String),
    #[error("tensor '{tensor}' got {got} bytes, expected {expected}")]
    DataSize {
        tensor: String,
        expected: u64,
        got: u64,
    },
    #[error("data given after the last tensor")]
    UnexpectedData,
    #[error("tensor '{0}' did not get all of its data")]
    Incomplete(String),
    #[error("offloaded rows of '{tensor}': {detail}")]
    Offload { tensor: String, detail: String },
    #[error("reading the source failed: {0}")]
    Read(String),
    #[error("writing the output failed: {0}")]
    Write(String),
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
}

/// The source of a job: metadata to carry over and the tensor list. Built from a GGUF header,
/// or by a safetensors/HF converter that maps names and metadata to GGUF conventions.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceModel {
    pub metadata: Vec<(String, GgufValue)>,
    pub tensors: Vec<TensorSpec>,
}

impl SourceModel {
    /// The model described by a parsed GGUF header.
    pub fn from_gguf(file: &GgufFile) -> SourceModel {
        SourceModel {
            metadata: file.metadata.clone(),
            tensors: file
                .tensors
                .iter()
                .map(|t| TensorSpec {
                    name: t.name.clone(),
                    shape: t.dims.clone(),
                    ty: t.ggml_type,
                })
                .collect(),
        }
    }

    /// The model in an engine [`ModelDesc`] (a GGUF header or a mapped safetensors folder):
    /// its metadata and its tensors with the types [`ModelDesc::tensor_bytes`] produces, so a
    /// safetensors folder quantizes like llama.cpp's converter output would.
    pub fn from_desc(desc: &ModelDesc) -> SourceModel {
        SourceModel {
            metadata: desc.metadata.clone(),
            tensors: desc
                .tensors
                .iter()
                .map(|t| TensorSpec {
                    name: t.name.clone(),
                    shape: t.dims.clone(),
                    ty: t.ggml_type,
                })
                .collect(),
        }
    }

    /// The hyper-parameters the preset rules need.
    pub fn model_info(&self) -> ModelInfo {
        ModelInfo::from_metadata(&self.metadata, self.tensors.iter().map(|t| t.name.as_str()))
    }

    /// `plan_quantization` for this model.
    pub fn plan(&self, opts: &QuantOptions) -> Result<QuantPlan, PlanError> {
        plan_quantization(&self.model_info(), &self.tensors, opts)
    }

    /// A plan that turns every quantized tensor (and every float tensor of another float type)
    /// back into `target` (F32, F16 or BF16), in llama.cpp's tensor order. F32 tensors stay F32
    /// when the target is a 16-bit type, as llama.cpp's F16/BF16 files keep norms in F32.
    pub fn plan_dequantize(&self, target: GgmlType) -> Result<QuantPlan, PlanError> {
        let preset = match target {
            GgmlType::F32 => Preset::F32,
            GgmlType::F16 => Preset::F16,
            GgmlType::BF16 => Preset::BF16,
            other => return Err(PlanError::UnknownType(other.name().to_string())),
        };
        let mut order: Vec<usize> = (0..self.tensors.len()).collect();
        order.sort_by(|&a, &b| llama_tensor_order(&self.tensors[a].name, &self.tensors[b].name));
        let mut tensors = Vec::with_capacity(order.len());
        for idx in order {
            let t = &self.tensors[idx];
            let source_bytes = tensor_bytes(t.ty, &t.shape).ok_or_else(|| PlanError::BadShape {
                name: t.name.clone(),
                shape: t.shape.clone(),
                ty: t.ty,
            })?;
            let is_float = matches!(t.ty, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16);
            let convert = t.ty.is_quantized() || (is_float && t.ty != GgmlType::F32);
            let (target_type, reason) = if convert {
                if !quant::can_quantize(t.ty) {
                    return Err(PlanError::CannotConvert {
                        tensor: t.name.clone(),
                        ty: t.ty,
                    });
                }
                (target, Reason::Dequantize)
            } else {
                let why = if is_float {
                    "already F32"
                } else {
                    "integer tensor"
                };
                (
                    t.ty,
                    Reason::NotQuantizable {
                        why: why.to_string(),
                    },
                )
            };
            let output_bytes = tensor_bytes(target_type, &t.shape).unwrap_or(source_bytes);
            tensors.push(TensorDecision {
                name: t.name.clone(),
                shape: t.shape.clone(),
                source_index: idx,
                source_type: t.ty,
                target_type,
                reason,
                fallback: None,
                n_elements: t.n_elements(),
                source_bytes,
                output_bytes,
            });
        }
        let n_elements: u64 = tensors.iter().map(|d| d.n_elements).sum();
        let source_bytes: u64 = tensors.iter().map(|d| d.source_bytes).sum();
        let output_bytes: u64 = tensors.iter().map(|d| d.output_bytes).sum();
        let bpw = |b: u64| {
            if n_elements == 0 {
                0.0
            } else {
                b as f64 * 8.0 / n_elements as f64
            }
        };
        Ok(QuantPlan {
            preset,
            ftype: preset.ftype(),
            tensors,
            warnings: Vec::new(),
            n_elements,
            source_bytes,
            output_bytes,
            source_bpw: bpw(source_bytes),
            output_bpw: bpw(output_bytes),
            n_fallback: 0,
        })
    }
}

/// How a job runs.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOptions {
    /// Worker threads per slab of rows (native only; 0 and 1 both mean "this thread").
    pub threads: usize,
    /// Extra metadata set after the standard keys (remove-then-append), like llama-quantize's
    /// `--override-kv` and its `quantize.imatrix.*` keys.
    pub extra_metadata: Vec<(String, GgufValue)>,
    /// Rows are converted in slabs of about this many output bytes (the unit of work split
    /// across threads).
    pub slab_bytes: usize,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            threads: 1,
            extra_metadata: Vec::new(),
            slab_bytes: 4 << 20,
        }
    }
}

/// What a finished job did.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobSummary {
    pub tensors: usize,
    /// Tensors converted (dequantized and/or quantized).
    pub converted: usize,
    /// Tensors copied unchanged.
    pub copied: usize,
    pub source_bytes: u64,
    /// Tensor data written, padding excluded.
    pub output_bytes: u64,
    /// Size of the whole output file.
    pub file_size: u64,
}

/// Output metadata: the source pairs, then the keys llama-quantize sets (see module docs).
pub fn output_metadata(
    source: &[(String, GgufValue)],
    ftype: u32,
    extra: &[(String, GgufValue)],
) -> Vec<(String, GgufValue)> {
    fn set(kv: &mut Vec<(String, GgufValue)>, key: &str, value: GgufValue) {
        kv.retain(|(k, _)| k != key);
        kv.push((key.to_string(), value));
    }
    let mut kv = source.to_vec();
    set(
        &mut kv,
        "general.quantization_version",
        GgufValue::U32(QUANTIZATION_VERSION),
    );
    set(&mut kv, "general.file_type", GgufValue::U32(ftype));
    // A split source becomes one file (LLM_KV_SPLIT_* in src/llama-arch.cpp).
    kv.retain(|(k, _)| {
        !matches!(
            k.as_str(),
            "split.no" | "split.count" | "split.tensors.count"
        )
    });
    for (k, v) in extra {
        set(&mut kv, k, v.clone());
    }
    kv
}

/// The tensor-info dimensions llama.cpp writes: `ne[0..ggml_n_dims]`.
fn written_dims(shape: &[u64]) -> Vec<u64> {
    let n = (1..shape.len())
        .rev()
        .find(|&i| shape[i] > 1)
        .map_or(1, |i| i + 1);
    let mut dims: Vec<u64> = shape.iter().copied().take(n).collect();
    if dims.is_empty() {
        dims.push(1);
    }
    dims
}

/// The tensor being fed.
struct Current {
    step: usize,
    /// Source bytes received so far.
    fed: u64,
    /// Rows converted so far (global row index of the next row).
    rows_done: u64,
    /// Bytes of a row split across chunks.
    partial: Vec<u8>,
    /// This tensor's importance weights (already checked).
    imatrix: Option<Vec<f32>>,
}

/// A streaming quantization job. See the [module docs](self).
pub struct QuantizeJob {
    plan: QuantPlan,
    writer: GgufWriter,
    header: Vec<u8>,
    imatrix: Option<ImatrixData>,
    threads: usize,
    slab_bytes: usize,
    current: Option<Current>,
    next_step: usize,
    source_done: u64,
    output_done: u64,
    converted: usize,
    copied: usize,
    /// Names of tensors that were converted without imatrix data although one was given.
    missing_imatrix: Vec<String>,
    /// Output bytes expected back from the caller for rows handed out by
    /// [`feed_offload`](QuantizeJob::feed_offload).
    offload_pending: Option<usize>,
}

/// Whole rows of the tensor being converted, decoded to f32, for the caller to quantize to
/// `ty` elsewhere (on a GPU); their bytes go back through [`QuantizeJob::complete_offload`].
#[derive(Clone, Debug, PartialEq)]
pub struct Offload {
    pub tensor: String,
    pub ty: GgmlType,
    pub ncols: usize,
    pub values: Vec<f32>,
}

impl Offload {
    /// The rows quantized here instead: what the caller does when its other quantizer cannot
    /// take them (non-finite values, a lost device). The same bytes either way.
    pub fn quantize_on_cpu(&self) -> Result<Vec<u8>, PipelineError> {
        let mut out = vec![0u8; self.output_bytes()];
        quant::quantize_rows(self.ty, &self.values, self.ncols, &mut out, None).map_err(
            |source| PipelineError::Quant {
                tensor: self.tensor.clone(),
                source,
            },
        )?;
        Ok(out)
    }

    /// Bytes of output these rows make.
    pub fn output_bytes(&self) -> usize {
        self.values.len() / self.ncols.max(1) * self.ty.row_bytes(self.ncols).unwrap_or(0)
    }
}

impl QuantizeJob {
    /// Prepares a job: checks the plan against the source, the imatrix entries, and lays out the
    /// output header.
    pub fn new(
        source: &SourceModel,
        plan: QuantPlan,
        imatrix: Option<ImatrixData>,
        opts: JobOptions,
    ) -> Result<QuantizeJob, PipelineError> {
        for d in &plan.tensors {
            let t = source.tensors.get(d.source_index).ok_or_else(|| {
                PipelineError::PlanMismatch(format!("no source tensor #{}", d.source_index))
            })?;
            if t.name != d.name || t.shape != d.shape || t.ty != d.source_type {
                return Err(PipelineError::PlanMismatch(format!(
                    "tensor '{}' differs from the planned one",
                    d.name
                )));
            }
            if d.converts()
                && (!quant::can_quantize(d.target_type) || !quant::can_quantize(d.source_type))
            {
                return Err(PlanError::Unsupported {
                    tensor: d.name.clone(),
                    ty: d.target_type,
                }
                .into());
            }
        }
        if plan.tensors.len() != source.tensors.len() {
            return Err(PipelineError::PlanMismatch(format!(
                "plan has {} tensors, source {}",
                plan.tensors.len(),
                source.tensors.len()
            )));
        }
        if let Some(im) = &imatrix {
            // llama_model_quantize_impl: "imatrix contains non-finite value".
            let mut names: Vec<&String> = im.keys().collect();
            names.sort();
            for name in names {
                if im[name].iter().any(|x| !x.is_finite()) {
                    return Err(PipelineError::ImatrixNonFinite(name.clone()));
                }
            }
        }
        // Known up front, so callers can warn before the run ("did not find weights for …").
        let missing_imatrix = match &imatrix {
            Some(im) => plan
                .tensors
                .iter()
                .filter(|d| d.converts() && !im.contains_key(&d.name))
                .map(|d| d.name.clone())
                .collect(),
            None => Vec::new(),
        };
        // Size mismatches fail before any output is produced (llama.cpp fails mid-run).
        if let Some(im) = &imatrix {
            for d in plan.tensors.iter().filter(|d| d.converts()) {
                imatrix_for(Some(im), d)?;
            }
        }
        let metadata = output_metadata(&source.metadata, plan.ftype, &opts.extra_metadata);
        let infos = plan
            .tensors
            .iter()
            .map(|d| TensorInfo {
                name: d.name.clone(),
                dims: written_dims(&d.shape),
                ggml_type: d.target_type,
                offset: 0,
            })
            .collect();
        let writer = GgufWriter::new(metadata, infos)?;
        let header = writer.header_bytes();
        let mut job = QuantizeJob {
            plan,
            writer,
            header,
            imatrix,
            threads: opts.threads.max(1),
            slab_bytes: opts.slab_bytes.max(1),
            current: None,
            next_step: 0,
            source_done: 0,
            output_done: 0,
            converted: 0,
            copied: 0,
            missing_imatrix,
            offload_pending: None,
        };
        job.skip_empty();
        Ok(job)
    }

    /// The plan being executed.
    pub fn plan(&self) -> &QuantPlan {
        &self.plan
    }

    /// The output header; write it before any tensor output.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// Size of the whole output file.
    pub fn file_size(&self) -> u64 {
        self.writer.total_size()
    }

    /// The tensor whose source bytes are expected next (its `source_index` says which source
    /// tensor to read), or `None` when all are done.
    pub fn next_tensor(&self) -> Option<&TensorDecision> {
        let step = self.current.as_ref().map_or(self.next_step, |c| c.step);
        self.plan.tensors.get(step)
    }

    /// Tensors converted without importance weights although an imatrix was given (llama.cpp
    /// logs "did not find weights for …" and goes on).
    pub fn missing_imatrix(&self) -> &[String] {
        &self.missing_imatrix
    }

    /// A progress snapshot: bytes are source bytes consumed.
    pub fn progress(&self) -> Progress {
        let step = self.current.as_ref().map_or(self.next_step, |c| c.step);
        let fed = self.current.as_ref().map_or(0, |c| c.fed);
        let (stage, name) = match self.plan.tensors.get(step) {
            None => (Stage::Done, String::new()),
            Some(d) if d.converts() => (Stage::Quantizing, d.name.clone()),
            Some(d) => (Stage::Copying, d.name.clone()),
        };
        Progress {
            stage,
            index: step.min(self.plan.tensors.len()),
            count: self.plan.tensors.len(),
            name,
            bytes_done: self.source_done + fed,
            bytes_total: self.plan.source_bytes,
        }
    }

    fn skip_empty(&mut self) {
        while self.current.is_none()
            && self
                .plan
                .tensors
                .get(self.next_step)
                .is_some_and(|d| d.source_bytes == 0)
        {
            self.next_step += 1;
        }
    }

    fn start_step(&mut self) -> Result<(), PipelineError> {
        let step = self.next_step;
        let d = self
            .plan
            .tensors
            .get(step)
            .ok_or(PipelineError::UnexpectedData)?;
        let imatrix = if d.converts() {
            imatrix_for(self.imatrix.as_ref(), d)?
        } else {
            None
        };
        self.current = Some(Current {
            step,
            fed: 0,
            rows_done: 0,
            partial: Vec::new(),
            imatrix,
        });
        self.next_step += 1;
        Ok(())
    }

    /// Takes the next `chunk` of the current source tensor's bytes (a chunk never spans two
    /// tensors; see [`next_tensor`](Self::next_tensor)) and appends the output it completes to
    /// `out`, followed by the tensor's padding once its last byte arrives.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), PipelineError> {
        match self.feed_inner(chunk, out, &|_| false)? {
            None => Ok(()),
            Some(_) => unreachable!("nothing is offloaded when no tensor may be"),
        }
    }

    /// As [`feed`](Self::feed), except that when the tensor being converted is one
    /// `offload` accepts (and has no importance weights), its whole rows in `chunk` are not
    /// quantized here but returned as f32 values. The caller quantizes them to
    /// [`Offload::ty`] (a GPU, or [`Offload::quantize_on_cpu`]) and hands the bytes to
    /// [`complete_offload`](Self::complete_offload) before feeding more. Sans-IO: the job
    /// never waits on the other quantizer, so an async one (WebGPU) fits.
    pub fn feed_offload(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
        offload: &dyn Fn(&TensorDecision) -> bool,
    ) -> Result<Option<Offload>, PipelineError> {
        self.feed_inner(chunk, out, offload)
    }

    /// Takes the quantized bytes of the rows the last [`feed_offload`](Self::feed_offload)
    /// returned and appends them (and the tensor's padding, when it is complete) to `out`.
    pub fn complete_offload(
        &mut self,
        quantized: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), PipelineError> {
        let cur = self.current.as_ref().ok_or(PipelineError::UnexpectedData)?;
        let name = self.plan.tensors[cur.step].name.clone();
        let expected = self
            .offload_pending
            .take()
            .ok_or_else(|| PipelineError::Offload {
                tensor: name.clone(),
                detail: "no rows were handed out".into(),
            })?;
        if quantized.len() != expected {
            return Err(PipelineError::Offload {
                tensor: name,
                detail: format!("{} bytes back for {expected}", quantized.len()),
            });
        }
        let out_start = out.len();
        out.extend_from_slice(quantized);
        self.end_feed(out, out_start)
    }

    fn feed_inner(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<u8>,
        offload: &dyn Fn(&TensorDecision) -> bool,
    ) -> Result<Option<Offload>, PipelineError> {
        if self.offload_pending.is_some() {
            let name = self
                .next_tensor()
                .map(|d| d.name.clone())
                .unwrap_or_default();
            return Err(PipelineError::Offload {
                tensor: name,
                detail: "fed more data before the offloaded rows came back".into(),
            });
        }
        if chunk.is_empty() {
            return Ok(None);
        }
        if self.current.is_none() {
            self.start_step()?;
        }
        let cur = self.current.as_mut().expect("started above");
        let d = &self.plan.tensors[cur.step];
        let after = cur.fed + chunk.len() as u64;
        if after > d.source_bytes {
            return Err(PipelineError::DataSize {
                tensor: d.name.clone(),
                expected: d.source_bytes,
                got: after,
            });
        }
        cur.fed = after;
        let out_start = out.len();
        if d.converts() && cur.imatrix.is_none() && offload(d) {
            let rows = take_rows(d, cur, chunk)?;
            if !rows.values.is_empty() {
                self.offload_pending = Some(rows.output_bytes());
                return Ok(Some(rows));
            }
        } else if d.converts() {
            convert_chunk(d, cur, chunk, out, self.threads, self.slab_bytes)?;
        } else {
            out.extend_from_slice(chunk);
        }
        self.end_feed(out, out_start)?;
        Ok(None)
    }

    /// After output for the current tensor was appended from `out_start`: hands it to the
    /// writer's accounting, pads, and closes the tensor when all its bytes came.
    fn end_feed(&mut self, out: &mut Vec<u8>, out_start: usize) -> Result<(), PipelineError> {
        let cur = self.current.as_mut().ok_or(PipelineError::UnexpectedData)?;
        let d = &self.plan.tensors[cur.step];
        let pad = self.writer.push_data(&out[out_start..])?;
        self.output_done += (out.len() - out_start) as u64;
        out.resize(out.len() + pad, 0);
        if cur.fed == d.source_bytes {
            if !cur.partial.is_empty() {
                return Err(PipelineError::Incomplete(d.name.clone()));
            }
            if d.converts() {
                self.converted += 1;
            } else {
                self.copied += 1;
            }
            self.source_done += d.source_bytes;
            self.current = None;
            self.skip_empty();
        }
        Ok(())
    }

    /// Checks that every tensor was fed and returns the summary.
    pub fn finish(self) -> Result<JobSummary, PipelineError> {
        if let Some(d) = self.next_tensor() {
            return Err(PipelineError::Incomplete(d.name.clone()));
        }
        self.writer.finish()?;
        Ok(JobSummary {
            tensors: self.plan.tensors.len(),
            converted: self.converted,
            copied: self.copied,
            source_bytes: self.source_done,
            output_bytes: self.output_done,
            file_size: self.writer.total_size(),
        })
    }
}

/// The importance weights of a tensor being converted, checked like llama.cpp does: a
/// missing entry is allowed; a wrong size is an error except for token embeddings (which
/// always mismatch and are quantized without).
fn imatrix_for(
    imatrix: Option<&ImatrixData>,
    d: &TensorDecision,
) -> Result<Option<Vec<f32>>, PipelineError> {
    let Some(im) = imatrix else {
        return Ok(None);
    };
    let Some(w) = im.get(&d.name) else {
        return Ok(None);
    };
    let ne0 = d.shape.first().copied().unwrap_or(1) as usize;
    let ne2 = d.shape.get(2).copied().unwrap_or(1) as usize;
    if w.len() != ne0 * ne2 {
        if d.name == "token_embd.weight" || d.name == "per_layer_token_embd.weight" {
            return Ok(None);
        }
        return Err(PipelineError::ImatrixSize {
            tensor: d.name.clone(),
            expected: ne0 * ne2,
            got: w.len(),
        });
    }
    Ok(Some(w.clone()))
}

/// The whole rows available in `partial` + `chunk`, decoded to f32 (a trailing partial row is
/// kept for the next chunk), as an [`Offload`] of the tensor's target type.
fn take_rows(
    d: &TensorDecision,
    cur: &mut Current,
    chunk: &[u8],
) -> Result<Offload, PipelineError> {
    let ncols = d.shape.first().copied().unwrap_or(1) as usize;
    let src_row = d.source_type.row_bytes(ncols).ok_or_else(|| {
        PipelineError::Plan(PlanError::BadShape {
            name: d.name.clone(),
            shape: d.shape.clone(),
            ty: d.source_type,
        })
    })?;
    cur.partial.extend_from_slice(chunk);
    let whole = cur.partial.len() / src_row;
    let mut values = vec![0f32; whole * ncols];
    for (s, row) in cur.partial[..whole * src_row]
        .chunks_exact(src_row)
        .zip(values.chunks_exact_mut(ncols.max(1)))
    {
        decode_row(d.source_type, s, row).map_err(|source| PipelineError::Quant {
            tensor: d.name.clone(),
            source,
        })?;
    }
    cur.partial.drain(..whole * src_row);
    cur.rows_done += whole as u64;
    Ok(Offload {
        tensor: d.name.clone(),
        ty: d.target_type,
        ncols,
        values,
    })
}

/// One source row to f32 (F32 rows carry no alignment guarantee: decoded little-endian).
fn decode_row(ty: GgmlType, src: &[u8], row: &mut [f32]) -> Result<(), quant::QuantError> {
    if ty == GgmlType::F32 {
        for (x, b) in row.iter_mut().zip(src.as_chunks::<4>().0) {
            *x = f32::from_le_bytes(*b);
        }
        return Ok(());
    }
    quant::dequantize_row(ty, src, row)
}

/// Converts the whole rows available in `partial` + `chunk`, keeping a trailing partial row.
fn convert_chunk(
    d: &TensorDecision,
    cur: &mut Current,
    mut chunk: &[u8],
    out: &mut Vec<u8>,
    threads: usize,
    slab_bytes: usize,
) -> Result<(), PipelineError> {
    let ncols = d.shape.first().copied().unwrap_or(1) as usize;
    let bad = |ty: GgmlType| {
        PipelineError::Plan(PlanError::BadShape {
            name: d.name.clone(),
            shape: d.shape.clone(),
            ty,
        })
    };
    let src_row = d
        .source_type
        .row_bytes(ncols)
        .ok_or_else(|| bad(d.source_type))?;
    let dst_row = d
        .target_type
        .row_bytes(ncols)
        .ok_or_else(|| bad(d.target_type))?;
    let rows_per_expert = d.shape.get(1).copied().unwrap_or(1).max(1);
    let ctx = RowCtx {
        name: &d.name,
        src_ty: d.source_type,
        dst_ty: d.target_type,
        ncols,
        rows_per_expert,
        imatrix: cur.imatrix.as_deref(),
    };
    // Finish a row split across chunks first.
    if !cur.partial.is_empty() {
        let need = src_row - cur.partial.len();
        let take = need.min(chunk.len());
        cur.partial.extend_from_slice(&chunk[..take]);
        chunk = &chunk[take..];
        if cur.partial.len() < src_row {
            return Ok(());
        }
        let start = out.len();
        out.resize(start + dst_row, 0);
        ctx.convert(&cur.partial, &mut out[start..], cur.rows_done, 1)?;
        cur.rows_done += 1;
        cur.partial.clear();
    }
    let whole = chunk.len() / src_row;
    let rows_per_slab = (slab_bytes / dst_row.max(1)).max(1);
    let mut done = 0;
    while done < whole {
        let n = rows_per_slab.min(whole - done);
        let src = &chunk[done * src_row..(done + n) * src_row];
        let start = out.len();
        out.resize(start + n * dst_row, 0);
        ctx.convert(src, &mut out[start..], cur.rows_done, threads)?;
        cur.rows_done += n as u64;
        done += n;
    }
    cur.partial.extend_from_slice(&chunk[whole * src_row..]);
    Ok(())
}

/// Everything needed to convert rows of one tensor.
struct RowCtx<'a> {
    name: &'a str,
    src_ty: GgmlType,
    dst_ty: GgmlType,
    ncols: usize,
    rows_per_expert: u64,
    imatrix: Option<&'a [f32]>,
}

impl RowCtx<'_> {
    /// Converts whole rows `src` into `dst`; `first_row` is the global index of the first row
    /// (it picks the expert's imatrix slice). Splits the rows across `threads` workers.
    fn convert(
        &self,
        src: &[u8],
        dst: &mut [u8],
        first_row: u64,
        threads: usize,
    ) -> Result<(), PipelineError> {
        let src_row = self.src_ty.row_bytes(self.ncols).unwrap_or(1).max(1);
        let rows = dst.len() / self.dst_row();
        let threads = effective_threads(threads).min(rows).max(1);
        if threads == 1 {
            return self.convert_serial(src, dst, first_row);
        }
        let per = rows.div_ceil(threads);
        let results: Vec<Result<(), PipelineError>> = std::thread::scope(|s| {
            let handles: Vec<_> = src
                .chunks(per * src_row)
                .zip(dst.chunks_mut(per * self.dst_row()))
                .enumerate()
                .map(|(i, (s_part, d_part))| {
                    let first = first_row + (i * per) as u64;
                    s.spawn(move || self.convert_serial(s_part, d_part, first))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        results.into_iter().collect()
    }

    fn dst_row(&self) -> usize {
        self.dst_ty.row_bytes(self.ncols).unwrap_or(1).max(1)
    }

    fn convert_serial(
        &self,
        src: &[u8],
        dst: &mut [u8],
        first_row: u64,
    ) -> Result<(), PipelineError> {
        let src_row = self.src_ty.row_bytes(self.ncols).unwrap_or(1).max(1);
        let dst_row = self.dst_row();
        let mut row = vec![0f32; self.ncols];
        let err = |source| PipelineError::Quant {
            tensor: self.name.to_string(),
            source,
        };
        for (i, (s, d)) in src
            .chunks_exact(src_row)
            .zip(dst.chunks_exact_mut(dst_row))
            .enumerate()
        {
            decode_row(self.src_ty, s, &mut row).map_err(err)?;
            let imatrix = self.imatrix.map(|w| {
                let expert = ((first_row + i as u64) / self.rows_per_expert) as usize;
                &w[expert * self.ncols..(expert + 1) * self.ncols]
            });
            quant::quantize_row(self.dst_ty, &row, d, imatrix).map_err(err)?;
        }
        Ok(())
    }
}

/// Worker threads actually used: 1 on wasm32 (no `std::thread` there).
fn effective_threads(threads: usize) -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        threads.max(1)
    }
}

/// Runs a job to completion: reads each source tensor through `read(source_index, offset, buf)`
/// (offset within that tensor's data) in chunks of about `chunk_bytes`, writes the header and
/// all output through `write`, reports progress after each chunk and stops with
/// [`PipelineError::Cancelled`] at the first chunk boundary after `cancel` is set.
pub fn run_job(
    mut job: QuantizeJob,
    mut read: impl FnMut(usize, u64, &mut [u8]) -> Result<(), String>,
    mut write: impl FnMut(&[u8]) -> Result<(), String>,
    progress: &mut dyn ProgressSink,
    cancel: &CancelToken,
    chunk_bytes: usize,
) -> Result<JobSummary, PipelineError> {
    cancel.check()?;
    write(job.header()).map_err(PipelineError::Write)?;
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while let Some(d) = job.next_tensor() {
        let (index, total, ncols, ty) = (
            d.source_index,
            d.source_bytes,
            d.shape.first().copied().unwrap_or(1) as usize,
            d.source_type,
        );
        // Whole rows per chunk, so the job never has to stitch rows (it could).
        let row = ty.row_bytes(ncols).unwrap_or(1).max(1) as u64;
        let per_chunk = ((chunk_bytes as u64 / row).max(1) * row).min(total.max(1));
        let mut offset = 0;
        while offset < total {
            cancel.check()?;
            let n = per_chunk.min(total - offset) as usize;
            buf.resize(n, 0);
            read(index, offset, &mut buf).map_err(PipelineError::Read)?;
            out.clear();
            job.feed(&buf, &mut out)?;
            write(&out).map_err(PipelineError::Write)?;
            offset += n as u64;
            progress.report(&job.progress());
        }
    }
    let summary = job.finish()?;
    progress.report(&Progress {
        stage: Stage::Done,
        index: summary.tensors,
        count: summary.tensors,
        name: String::new(),
        bytes_done: summary.source_bytes,
        bytes_total: summary.source_bytes,
    });
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::write_gguf;
    use crate::progress::NoProgress;

    /// A tiny llama-like GGUF in memory: 2 layers, row length 256, deterministic values.
    fn tiny_model(ty_2d: GgmlType) -> Vec<u8> {
        let md = vec![
            (
                "general.architecture".to_string(),
                GgufValue::String("llama".into()),
            ),
            ("general.file_type".to_string(), GgufValue::U32(0)),
            ("llama.block_count".to_string(), GgufValue::U32(2)),
            ("llama.attention.head_count".to_string(), GgufValue::U32(4)),
            (
                "llama.attention.head_count_kv".to_string(),
                GgufValue::U32(1),
            ),
            ("split.count".to_string(), GgufValue::U16(1)),
        ];
        let mut tensors: Vec<(TensorInfo, Vec<u8>)> = Vec::new();
        let mut seed = 1u32;
        let mut add = |name: &str, dims: &[u64], ty: GgmlType| {
            let n: u64 = dims.iter().product();
            let vals: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                })
                .collect();
            let row = dims[0] as usize;
            let mut data = vec![0u8; tensor_bytes(ty, dims).unwrap() as usize];
            quant::quantize_rows(ty, &vals, row, &mut data, None).unwrap();
            tensors.push((
                TensorInfo {
                    name: name.into(),
                    dims: dims.to_vec(),
                    ggml_type: ty,
                    offset: 0,
                },
                data,
            ));
        };
        // File order deliberately differs from llama.cpp's output order.
        add("token_embd.weight", &[256, 64], ty_2d);
        for l in 0..2 {
            add(
                &format!("blk.{l}.attn_norm.weight"),
                &[256, 1],
                GgmlType::F32,
            );
            add(&format!("blk.{l}.attn_q.weight"), &[256, 256], ty_2d);
            add(&format!("blk.{l}.attn_v.weight"), &[256, 64], ty_2d);
            add(&format!("blk.{l}.ffn_down.weight"), &[512, 256], ty_2d);
            add(&format!("blk.{l}.ffn_up.weight"), &[256, 512], ty_2d);
        }
        add("output_norm.weight", &[256], GgmlType::F32);
        write_gguf(
            md,
            tensors
                .iter()
                .map(|(i, d)| (i.clone(), d.as_slice()))
                .collect(),
        )
        .unwrap()
    }

    fn run_in_memory(
        file: &[u8],
        plan_fn: impl Fn(&SourceModel) -> QuantPlan,
        imatrix: Option<ImatrixData>,
        threads: usize,
        chunk: usize,
    ) -> Result<Vec<u8>, PipelineError> {
        let hdr = GgufFile::parse(file).unwrap();
        let src = SourceModel::from_gguf(&hdr);
        let plan = plan_fn(&src);
        let job = QuantizeJob::new(
            &src,
            plan,
            imatrix,
            JobOptions {
                threads,
                slab_bytes: 3000, // small slabs: exercise the slab loop and thread split
                ..JobOptions::default()
            },
        )?;
        let mut out = Vec::new();
        run_job(
            job,
            |i, off, buf| {
                let r = hdr.tensor_range(i).unwrap();
                let s = (r.start + off) as usize;
                buf.copy_from_slice(&file[s..s + buf.len()]);
                Ok(())
            },
            |b| {
                out.extend_from_slice(b);
                Ok(())
            },
            &mut NoProgress,
            &CancelToken::new(),
            chunk,
        )?;
        Ok(out)
    }

    fn q4km(src: &SourceModel) -> QuantPlan {
        src.plan(&QuantOptions::new(Preset::Q4_K_M)).unwrap()
    }

    #[test]
    fn output_is_a_valid_gguf_with_llama_cpp_layout_and_metadata() {
        let file = tiny_model(GgmlType::F32);
        let out = run_in_memory(&file, q4km, None, 1, 1 << 20).unwrap();
        let parsed = GgufFile::parse(&out).unwrap();
        let keys: Vec<&str> = parsed.metadata.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "general.architecture",
                "llama.block_count",
                "llama.attention.head_count",
                "llama.attention.head_count_kv",
                "general.quantization_version",
                "general.file_type",
            ]
        );
        assert_eq!(parsed.get("general.file_type").unwrap().as_u32(), Some(15));
        assert_eq!(parsed.alignment, 32);
        let names: Vec<&str> = parsed.tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names[0], "output_norm.weight");
        assert_eq!(names[1], "token_embd.weight");
        assert_eq!(names[2], "blk.0.attn_norm.weight");
        // [256, 1] is written as 1-D like ggml_n_dims.
        assert_eq!(parsed.tensors[2].dims, vec![256]);
        let (_, v1) = parsed.tensor("blk.1.attn_v.weight").unwrap();
        // use_more_bits(1, 2): 1 >= 7*2/8 = 1 → Q6_K.
        assert_eq!(v1.ggml_type, GgmlType::Q6_K);
        let (_, te) = parsed.tensor("token_embd.weight").unwrap();
        assert_eq!(te.ggml_type, GgmlType::Q6_K);

        // Data: each converted tensor equals quantize_rows of the source.
        let src = GgufFile::parse(&file).unwrap();
        for (i, t) in parsed.tensors.iter().enumerate() {
            let (si, st) = src.tensor(&t.name).unwrap();
            let raw = src.tensor_data(&file, si).unwrap();
            let got = parsed.tensor_data(&out, i).unwrap();
            if st.ggml_type == t.ggml_type {
                assert_eq!(raw, got, "{}", t.name);
            } else {
                let vals: Vec<f32> = raw
                    .as_chunks::<4>()
                    .0
                    .iter()
                    .map(|b| f32::from_le_bytes(*b))
                    .collect();
                let mut want = vec![0u8; got.len()];
                quant::quantize_rows(t.ggml_type, &vals, st.dims[0] as usize, &mut want, None)
                    .unwrap();
                assert_eq!(want, got, "{}", t.name);
            }
        }
        assert_eq!(out.len() % 32, 0);
    }

    #[test]
    fn threads_and_chunking_do_not_change_output() {
        let file = tiny_model(GgmlType::F32);
        let base = run_in_memory(&file, q4km, None, 1, 1 << 20).unwrap();
        for (threads, chunk) in [(2, 1 << 20), (3, 1000), (4, 7), (1, 4096)] {
            let out = run_in_memory(&file, q4km, None, threads, chunk).unwrap();
            assert!(out == base, "threads {threads}, chunk {chunk}");
        }
    }

    #[test]
    fn feed_accepts_chunks_that_split_rows() {
        let file = tiny_model(GgmlType::F32);
        let base = run_in_memory(&file, q4km, None, 1, 1 << 20).unwrap();
        let hdr = GgufFile::parse(&file).unwrap();
        let src = SourceModel::from_gguf(&hdr);
        let mut job = QuantizeJob::new(&src, q4km(&src), None, JobOptions::default()).unwrap();
        let mut out = job.header().to_vec();
        let mut buf = Vec::new();
        while let Some(d) = job.next_tensor() {
            let data = hdr.tensor_data(&file, d.source_index).unwrap();
            // Odd chunk sizes: rows straddle chunks.
            for c in data.chunks(333) {
                buf.clear();
                job.feed(c, &mut buf).unwrap();
                out.extend_from_slice(&buf);
            }
        }
        let summary = job.finish().unwrap();
        assert_eq!(summary.file_size, out.len() as u64);
        assert!(out == base);
    }

    /// Offloaded rows quantized "elsewhere" (here: Offload::quantize_on_cpu, as a GPU must
    /// match it) give the same file as feed, from F32 and from quantized sources, with chunks
    /// that split rows; a tensor the callback declines is converted in the job.
    #[test]
    fn offloaded_rows_give_the_same_file() {
        for src_ty in [GgmlType::F32, GgmlType::Q8_0] {
            let file = tiny_model(src_ty);
            let hdr = GgufFile::parse(&file).unwrap();
            let src = SourceModel::from_gguf(&hdr);
            let plan = |s: &SourceModel| {
                let mut o = QuantOptions::new(Preset::Q4_0);
                o.overrides.push(crate::preset::TensorTypeOverride {
                    pattern: "attn_v".into(),
                    ty: GgmlType::Q5_1,
                });
                s.plan(&o).unwrap()
            };
            let base = run_in_memory(&file, plan, None, 1, 1 << 20).unwrap();
            let mut job = QuantizeJob::new(&src, plan(&src), None, JobOptions::default()).unwrap();
            let mut out = job.header().to_vec();
            let mut buf = Vec::new();
            let (mut offloaded, mut types) = (0, std::collections::BTreeSet::new());
            // Everything but the Q5_1 tensors goes out.
            let take = |d: &TensorDecision| d.target_type != GgmlType::Q5_1;
            while let Some(d) = job.next_tensor() {
                let data = hdr.tensor_data(&file, d.source_index).unwrap();
                for c in data.chunks(1000) {
                    buf.clear();
                    if let Some(rows) = job.feed_offload(c, &mut buf, &take).unwrap() {
                        assert!(rows.values.len().is_multiple_of(rows.ncols));
                        // Feeding again before the rows come back is an error.
                        assert!(matches!(
                            job.feed(c, &mut Vec::new()),
                            Err(PipelineError::Offload { .. })
                        ));
                        offloaded += 1;
                        types.insert(rows.ty);
                        let q = rows.quantize_on_cpu().unwrap();
                        assert_eq!(q.len(), rows.output_bytes());
                        job.complete_offload(&q, &mut buf).unwrap();
                    }
                    out.extend_from_slice(&buf);
                }
            }
            job.finish().unwrap();
            assert!(offloaded > 10, "{offloaded}");
            assert!(!types.contains(&GgmlType::Q5_1));
            assert!(out == base, "{src_ty}: offloaded output differs");
        }
    }

    #[test]
    fn offload_misuse_is_reported() {
        let file = tiny_model(GgmlType::F32);
        let hdr = GgufFile::parse(&file).unwrap();
        let src = SourceModel::from_gguf(&hdr);
        let mut job = QuantizeJob::new(&src, q4km(&src), None, JobOptions::default()).unwrap();
        let mut out = Vec::new();
        // Bytes back with nothing handed out.
        assert!(matches!(
            job.complete_offload(&[0; 4], &mut out),
            Err(PipelineError::UnexpectedData | PipelineError::Offload { .. })
        ));
        // Find a converted tensor and hand its rows out, then return the wrong size.
        while let Some(d) = job.next_tensor() {
            let data = hdr.tensor_data(&file, d.source_index).unwrap().to_vec();
            if let Some(rows) = job.feed_offload(&data, &mut out, &|_| true).unwrap() {
                let q = rows.quantize_on_cpu().unwrap();
                assert!(matches!(
                    job.complete_offload(&q[1..], &mut out),
                    Err(PipelineError::Offload { .. })
                ));
                return;
            }
        }
        panic!("no tensor was offloaded");
    }

    #[test]
    fn requantize_from_quantized_source_and_dequantize_plan() {
        let file = tiny_model(GgmlType::Q8_0);
        let deq = run_in_memory(
            &file,
            |s| s.plan_dequantize(GgmlType::F32).unwrap(),
            None,
            2,
            1 << 20,
        )
        .unwrap();
        let p = GgufFile::parse(&deq).unwrap();
        assert!(p.tensors.iter().all(|t| t.ggml_type == GgmlType::F32));
        assert_eq!(p.get("general.file_type").unwrap().as_u32(), Some(0));
        // Q8_0 → F32 → Q8_0 is exact, so requantizing gives back the source blocks.
        let back = run_in_memory(
            &deq,
            |s| s.plan(&QuantOptions::new(Preset::Q8_0)).unwrap(),
            None,
            1,
            1 << 20,
        )
        .unwrap();
        let b = GgufFile::parse(&back).unwrap();
        let src = GgufFile::parse(&file).unwrap();
        for (i, t) in b.tensors.iter().enumerate() {
            let (si, _) = src.tensor(&t.name).unwrap();
            assert_eq!(
                b.tensor_data(&back, i).unwrap(),
                src.tensor_data(&file, si).unwrap(),
                "{}",
                t.name
            );
        }
        // Direct Q8_0 → Q8_0 copies; the plan warns for Q8_0 → Q4_K requantization.
        let plan = SourceModel::from_gguf(&src)
            .plan(&QuantOptions::new(Preset::Q4_K_M))
            .unwrap();
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.kind == crate::preset::WarningKind::Requantize)
        );
        run_in_memory(&file, q4km, None, 2, 5000).unwrap();
    }

    #[test]
    fn imatrix_is_used_and_checked() {
        let file = tiny_model(GgmlType::F32);
        let mut im = ImatrixData::new();
        for l in 0..2 {
            for (n, cols) in [
                ("attn_q", 256),
                ("attn_v", 256),
                ("ffn_up", 256),
                ("ffn_down", 512),
            ] {
                let w: Vec<f32> = (0..cols).map(|i| 1.0 + (i % 7) as f32).collect();
                im.insert(format!("blk.{l}.{n}.weight"), w);
            }
        }
        let plain = run_in_memory(&file, q4km, None, 1, 1 << 20).unwrap();
        let with = run_in_memory(&file, q4km, Some(im.clone()), 2, 1 << 20).unwrap();
        assert_ne!(plain, with, "imatrix must change k-quant output");
        let p = GgufFile::parse(&with).unwrap();
        let (i, t) = p.tensor("blk.0.attn_q.weight").unwrap();
        let src = GgufFile::parse(&file).unwrap();
        let (si, _) = src.tensor("blk.0.attn_q.weight").unwrap();
        let vals: Vec<f32> = src
            .tensor_data(&file, si)
            .unwrap()
            .as_chunks::<4>()
            .0
            .iter()
            .map(|b| f32::from_le_bytes(*b))
            .collect();
        let mut want = vec![0u8; t.n_bytes() as usize];
        quant::quantize_rows(
            t.ggml_type,
            &vals,
            256,
            &mut want,
            Some(&im["blk.0.attn_q.weight"]),
        )
        .unwrap();
        assert_eq!(p.tensor_data(&with, i).unwrap(), &want[..]);

        let hdr = GgufFile::parse(&file).unwrap();
        let src = SourceModel::from_gguf(&hdr);
        let job =
            QuantizeJob::new(&src, q4km(&src), Some(im.clone()), JobOptions::default()).unwrap();
        assert_eq!(job.missing_imatrix(), ["token_embd.weight"]);

        let mut bad = im.clone();
        bad.insert("blk.0.attn_q.weight".into(), vec![1.0; 100]);
        assert!(matches!(
            run_in_memory(&file, q4km, Some(bad), 1, 1 << 20),
            Err(PipelineError::ImatrixSize { got: 100, .. })
        ));
        let mut nan = im;
        nan.insert("blk.1.ffn_up.weight".into(), vec![f32::NAN; 256]);
        assert!(matches!(
            run_in_memory(&file, q4km, Some(nan), 1, 1 << 20),
            Err(PipelineError::ImatrixNonFinite(_))
        ));
    }

    #[test]
    fn misuse_is_reported() {
        let file = tiny_model(GgmlType::F32);
        let hdr = GgufFile::parse(&file).unwrap();
        let src = SourceModel::from_gguf(&hdr);
        let mut job = QuantizeJob::new(&src, q4km(&src), None, JobOptions::default()).unwrap();
        let mut out = Vec::new();
        let first = job.next_tensor().unwrap().clone();
        let too_much = vec![0u8; first.source_bytes as usize + 4];
        assert!(matches!(
            job.feed(&too_much, &mut out),
            Err(PipelineError::DataSize { .. })
        ));
        let job = QuantizeJob::new(&src, q4km(&src), None, JobOptions::default()).unwrap();
        assert!(matches!(job.finish(), Err(PipelineError::Incomplete(_))));

        let other = SourceModel::from_gguf(&GgufFile::parse(&tiny_model(GgmlType::Q8_0)).unwrap());
        assert!(matches!(
            QuantizeJob::new(&src, q4km(&other), None, JobOptions::default()),
            Err(PipelineError::PlanMismatch(_))
        ));

        let cancel = CancelToken::new();
        cancel.cancel();
        let job = QuantizeJob::new(&src, q4km(&src), None, JobOptions::default()).unwrap();
        let r = run_job(
            job,
            |_, _, _| Ok(()),
            |_| Ok(()),
            &mut NoProgress,
            &cancel,
            1 << 20,
        );
        assert!(matches!(r, Err(PipelineError::Cancelled(_))));
    }

    #[test]
    fn metadata_rules() {
        let src = vec![
            (
                "general.quantization_version".to_string(),
                GgufValue::U32(1),
            ),
            ("a".to_string(), GgufValue::U8(1)),
            ("split.no".to_string(), GgufValue::U16(0)),
            ("general.file_type".to_string(), GgufValue::U32(1)),
            ("b".to_string(), GgufValue::U8(2)),
        ];
        let extra = vec![("a".to_string(), GgufValue::U8(9))];
        let kv = output_metadata(&src, 15, &extra);
        let keys: Vec<&str> = kv.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "b",
                "general.quantization_version",
                "general.file_type",
                "a"
            ]
        );
        assert_eq!(kv[1].1.as_u32(), Some(2));
        assert_eq!(kv[2].1.as_u32(), Some(15));
        assert_eq!(kv[3].1.as_u32(), Some(9));
        assert_eq!(written_dims(&[5, 1, 1]), vec![5]);
        assert_eq!(written_dims(&[5, 1, 3]), vec![5, 1, 3]);
        assert_eq!(written_dims(&[]), vec![1]);
    }
}
