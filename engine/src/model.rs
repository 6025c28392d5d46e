//! The engine's format-independent model description.
//!
//! A [`ModelDesc`] is what the rest of the engine (planning, quantization, inference) sees:
//! architecture, hyper-parameters, GGUF-style metadata and a tensor list with GGUF names, ggml
//! shapes and types. It is built from a GGUF header ([`ModelDesc::from_gguf`]) or from a Hugging
//! Face safetensors folder ([`crate::hf::model_from_hf`]), which maps names, metadata and data the
//! way llama.cpp's `convert_hf_to_gguf.py` does. Each tensor records where its bytes come from;
//! the caller fetches that byte range (from memory, a file, IndexedDB…) and
//! [`ModelDesc::tensor_bytes`] turns it into the tensor's data in its ggml type (for safetensors:
//! dtype conversion and llama's Q/K row permutation), so data can be processed one tensor at a
//! time.

use crate::GgmlType;
use crate::gguf::{GgufError, GgufFile, GgufValue, GgufWriter, TensorInfo};
use crate::quant;
use crate::safetensors::{SafeDtype, SafetensorsError, to_f32};
use serde::{Deserialize, Serialize};

/// Why tensor data could not be produced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("no tensor at index {0}")]
    NoSuchTensor(usize),
    #[error("tensor {name:?}: source data is {got} bytes, expected {expected}")]
    SourceSize {
        name: String,
        expected: u64,
        got: u64,
    },
    #[error("tensor {name:?}: {source}")]
    Convert {
        name: String,
        source: SafetensorsError,
    },
    #[error("tensor {name:?}: cannot produce {ty} data from a safetensors source")]
    TargetType { name: String, ty: GgmlType },
    #[error("tensor {name:?}: {ty} cannot be dequantized: {reason}")]
    Dequantize {
        name: String,
        ty: GgmlType,
        reason: String,
    },
    #[error("tensor {name:?}: cannot permute rows of shape {dims:?} into {n_head} heads")]
    Permute {
        name: String,
        dims: Vec<u64>,
        n_head: u32,
    },
    #[error("tensor {0:?} is too large for this platform")]
    TooLarge(String),
    #[error(transparent)]
    Gguf(#[from] GgufError),
}

/// Which file format a model came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceFormat {
    Gguf,
    Safetensors,
}

/// Where a tensor's bytes are and how to turn them into the tensor's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TensorSource {
    /// Bytes at `range` of the GGUF file, already in the tensor's ggml type.
    Gguf { range: std::ops::Range<u64> },
    /// Bytes at `range` of safetensors file `file`, of `dtype` in row-major order; converted on
    /// read to the tensor's ggml type. `permute_heads`: llama's Q/K row permutation
    /// (`LlamaModel.permute` in convert_hf_to_gguf's `conversion/llama.py`) with that many heads.
    Safetensors {
        file: String,
        range: std::ops::Range<u64>,
        dtype: SafeDtype,
        permute_heads: Option<u32>,
    },
    /// Data the converter makes rather than reads (Llama 3's `rope_freqs.weight`), already in
    /// the tensor's ggml type.
    Generated { data: Vec<u8> },
}

impl TensorSource {
    /// The file the bytes are in (`None` for the single GGUF file).
    pub fn file(&self) -> Option<&str> {
        match self {
            TensorSource::Gguf { .. } | TensorSource::Generated { .. } => None,
            TensorSource::Safetensors { file, .. } => Some(file),
        }
    }

    /// Absolute byte range within that file (for generated data, its length from 0).
    pub fn range(&self) -> std::ops::Range<u64> {
        match self {
            TensorSource::Gguf { range } | TensorSource::Safetensors { range, .. } => range.clone(),
            TensorSource::Generated { data } => 0..data.len() as u64,
        }
    }

    /// The data, when it is generated rather than read from a file.
    pub fn generated(&self) -> Option<&[u8]> {
        match self {
            TensorSource::Generated { data } => Some(data),
            _ => None,
        }
    }
}

/// One tensor as the engine sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorDesc {
    /// GGUF name (`blk.0.attn_q.weight`, …).
    pub name: String,
    /// ggml order: `dims[0]` is the row length.
    pub dims: Vec<u64>,
    /// Type of the data [`ModelDesc::tensor_bytes`] produces.
    pub ggml_type: GgmlType,
    pub source: TensorSource,
}

impl TensorDesc {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }

    /// Bytes of data in `ggml_type` (saturating for absurd hand-made shapes).
    pub fn n_bytes(&self) -> u64 {
        (self.n_elements() / self.ggml_type.block_size() as u64)
            .saturating_mul(self.ggml_type.type_size() as u64)
    }

    /// Row length (`ne[0]`).
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// The GGUF tensor info (offset 0; a writer lays offsets out).
    pub fn info(&self) -> TensorInfo {
        TensorInfo {
            name: self.name.clone(),
            dims: self.dims.clone(),
            ggml_type: self.ggml_type,
            offset: 0,
        }
    }
}

/// Hyper-parameters read from `<arch>.*` metadata (llama.cpp's `LLM_KV_*` keys,
/// `src/llama-arch.cpp`). `None` when the key is absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HParams {
    pub context_length: Option<u32>,
    pub embedding_length: Option<u32>,
    pub block_count: Option<u32>,
    pub feed_forward_length: Option<u32>,
    pub head_count: Option<u32>,
    pub head_count_kv: Option<u32>,
    pub rope_dimension_count: Option<u32>,
    pub rope_freq_base: Option<f32>,
    pub layer_norm_rms_epsilon: Option<f32>,
    pub vocab_size: Option<u32>,
    /// `general.file_type` (llama_ftype).
    pub file_type: Option<u32>,
}

impl HParams {
    /// Reads the hyper-parameters of architecture `arch` from GGUF metadata.
    pub fn from_metadata(arch: &str, metadata: &[(String, GgufValue)]) -> HParams {
        let get = |k: &str| metadata.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let u = |k: &str| get(&format!("{arch}.{k}")).and_then(GgufValue::as_u32);
        let f = |k: &str| {
            get(&format!("{arch}.{k}"))
                .and_then(GgufValue::as_f64)
                .map(|v| v as f32)
        };
        HParams {
            context_length: u("context_length"),
            embedding_length: u("embedding_length"),
            block_count: u("block_count"),
            feed_forward_length: u("feed_forward_length"),
            head_count: u("attention.head_count"),
            head_count_kv: u("attention.head_count_kv"),
            rope_dimension_count: u("rope.dimension_count"),
            rope_freq_base: f("rope.freq_base"),
            layer_norm_rms_epsilon: f("attention.layer_norm_rms_epsilon"),
            vocab_size: u("vocab_size"),
            file_type: get("general.file_type").and_then(GgufValue::as_u32),
        }
    }
}

/// A model, whatever file it came from. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDesc {
    /// `general.architecture` (`llama`, `qwen2`, …); empty if the file has none.
    pub architecture: String,
    pub hparams: HParams,
    /// GGUF metadata in order: a GGUF file's own, or what the converter would write.
    pub metadata: Vec<(String, GgufValue)>,
    /// Tensors in GGUF order.
    pub tensors: Vec<TensorDesc>,
    pub format: SourceFormat,
}

impl ModelDesc {
    /// The model in a parsed GGUF header.
    pub fn from_gguf(file: &GgufFile) -> ModelDesc {
        let architecture = file.architecture().unwrap_or_default().to_owned();
        let tensors = file
            .tensors
            .iter()
            .enumerate()
            .map(|(i, t)| TensorDesc {
                name: t.name.clone(),
                dims: t.dims.clone(),
                ggml_type: t.ggml_type,
                source: TensorSource::Gguf {
                    range: file.tensor_range(i).expect("validated by the parser"),
                },
            })
            .collect();
        ModelDesc {
            hparams: HParams::from_metadata(&architecture, &file.metadata),
            architecture,
            metadata: file.metadata.clone(),
            tensors,
            format: SourceFormat::Gguf,
        }
    }

    /// A metadata value.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A tensor and its index.
    pub fn tensor(&self, name: &str) -> Option<(usize, &TensorDesc)> {
        self.tensors
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == name)
    }

    /// Total number of weights.
    pub fn n_params(&self) -> u64 {
        self.tensors.iter().map(TensorDesc::n_elements).sum()
    }

    /// A GGUF writer for this model as is (metadata and tensor list unchanged): with
    /// [`tensor_bytes`](Self::tensor_bytes) for each tensor in order, this writes the model as a
    /// GGUF file — for a safetensors source, the file llama.cpp's converter would write.
    pub fn gguf_writer(&self) -> Result<GgufWriter, GgufError> {
        GgufWriter::new(
            self.metadata.clone(),
            self.tensors.iter().map(TensorDesc::info).collect(),
        )
    }

    /// Tensor `index`'s data in its `ggml_type`, given `raw`: the bytes of its source range
    /// ([`TensorSource::range`] of [`TensorSource::file`]).
    pub fn tensor_bytes(&self, index: usize, raw: &[u8]) -> Result<Vec<u8>, ModelError> {
        let t = self
            .tensors
            .get(index)
            .ok_or(ModelError::NoSuchTensor(index))?;
        check_source_len(t, raw)?;
        match &t.source {
            TensorSource::Gguf { .. } | TensorSource::Generated { .. } => Ok(raw.to_vec()),
            TensorSource::Safetensors { .. } => {
                let values = self.tensor_f32(index, raw)?;
                if !matches!(t.ggml_type, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16) {
                    return Err(ModelError::TargetType {
                        name: t.name.clone(),
                        ty: t.ggml_type,
                    });
                }
                let mut out = vec![0u8; values.len() * t.ggml_type.type_size()];
                quant::quantize_row(t.ggml_type, &values, &mut out, None).map_err(|e| {
                    ModelError::Dequantize {
                        name: t.name.clone(),
                        ty: t.ggml_type,
                        reason: e.to_string(),
                    }
                })?;
                Ok(out)
            }
        }
    }

    /// Tensor `index` as f32 values in ggml order, given its source bytes: converted (and
    /// permuted) for safetensors, dequantized for quantized GGUF tensors.
    pub fn tensor_f32(&self, index: usize, raw: &[u8]) -> Result<Vec<f32>, ModelError> {
        let t = self
            .tensors
            .get(index)
            .ok_or(ModelError::NoSuchTensor(index))?;
        check_source_len(t, raw)?;
        match &t.source {
            TensorSource::Gguf { .. } | TensorSource::Generated { .. } => {
                let n = usize::try_from(t.n_elements())
                    .map_err(|_| ModelError::TooLarge(t.name.clone()))?;
                let mut out = vec![0f32; n];
                let row = t.row_len() as usize;
                let row_bytes = t.ggml_type.row_bytes(row).unwrap_or(0);
                if n > 0 {
                    for (src, dst) in raw.chunks(row_bytes.max(1)).zip(out.chunks_mut(row.max(1))) {
                        quant::dequantize_row(t.ggml_type, src, dst).map_err(|e| {
                            ModelError::Dequantize {
                                name: t.name.clone(),
                                ty: t.ggml_type,
                                reason: e.to_string(),
                            }
                        })?;
                    }
                }
                Ok(out)
            }
            TensorSource::Safetensors {
                dtype,
                permute_heads,
                ..
            } => {
                let values = to_f32(*dtype, raw).map_err(|source| ModelError::Convert {
                    name: t.name.clone(),
                    source,
                })?;
                match permute_heads {
                    None => Ok(values),
                    Some(n_head) => {
                        permute_qk(&values, &t.dims, *n_head).ok_or_else(|| ModelError::Permute {
                            name: t.name.clone(),
                            dims: t.dims.clone(),
                            n_head: *n_head,
                        })
                    }
                }
            }
        }
    }
}

fn check_source_len(t: &TensorDesc, raw: &[u8]) -> Result<(), ModelError> {
    let expected = t.source.range().end - t.source.range().start;
    if raw.len() as u64 != expected {
        return Err(ModelError::SourceSize {
            name: t.name.clone(),
            expected,
            got: raw.len() as u64,
        });
    }
    Ok(())
}

/// llama.cpp's converter reorders the rows of llama's q_proj/k_proj weights (and biases) so
/// that each head's rotary pairs become adjacent (`LlamaModel.permute` in
/// `convert_hf_to_gguf.py` / `conversion/llama.py`):
/// `w.reshape(n_head, 2, rows/n_head/2, *rest).swapaxes(1, 2).reshape(w.shape)`.
/// HF stores each head as [first halves..., second halves...]; GGUF wants them interleaved.
/// Output row `h*2*half + i*2 + j` is input row `h*2*half + j*half + i`.
///
/// `dims` are in ggml order (`dims[0]` = row length, `dims[1]` = rows; a 1-D bias has rows of
/// one element). Returns `None` when the rows do not split into `n_head` heads of pairs.
pub fn permute_qk(values: &[f32], dims: &[u64], n_head: u32) -> Option<Vec<f32>> {
    let (row_len, rows) = match dims {
        [n] => (1usize, usize::try_from(*n).ok()?),
        [c, r] => (usize::try_from(*c).ok()?, usize::try_from(*r).ok()?),
        _ => return None,
    };
    let n_head = n_head as usize;
    if n_head == 0 || rows % (2 * n_head) != 0 || values.len() != rows.checked_mul(row_len)? {
        return None;
    }
    let half = rows / n_head / 2;
    let mut out = vec![0f32; values.len()];
    for h in 0..n_head {
        for i in 0..half {
            for j in 0..2 {
                let dst = h * 2 * half + i * 2 + j;
                let src = h * 2 * half + j * half + i;
                out[dst * row_len..(dst + 1) * row_len]
                    .copy_from_slice(&values[src * row_len..(src + 1) * row_len]);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_interleaves_half_rows_per_head() {
        // 2 heads of 4 rows, rows of 1 element: per head [a0 a1 b0 b1] -> [a0 b0 a1 b1].
        let v: Vec<f32> = (0..8).map(|x| x as f32).collect();
        let p = permute_qk(&v, &[1, 8], 2).unwrap();
        assert_eq!(p, vec![0., 2., 1., 3., 4., 6., 5., 7.]);
        // Same for a 1-D bias.
        assert_eq!(permute_qk(&v, &[8], 2).unwrap(), p);
        // Whole rows move.
        let v: Vec<f32> = (0..8).map(|x| x as f32).collect();
        let p = permute_qk(&v, &[2, 4], 1).unwrap();
        assert_eq!(p, vec![0., 1., 4., 5., 2., 3., 6., 7.]);
        // Rows that do not split into pairs per head.
        assert!(permute_qk(&v, &[2, 4], 4).is_none());
        assert!(permute_qk(&v, &[2, 4], 0).is_none());
        assert!(permute_qk(&v, &[1, 1, 8], 1).is_none());
    }

    #[test]
    fn hparams_from_metadata() {
        let md = vec![
            ("general.file_type".to_owned(), GgufValue::U32(1)),
            ("llama.block_count".to_owned(), GgufValue::U32(30)),
            ("llama.rope.freq_base".to_owned(), GgufValue::F32(1e5)),
            ("llama.attention.head_count".to_owned(), GgufValue::U32(9)),
        ];
        let h = HParams::from_metadata("llama", &md);
        assert_eq!(h.block_count, Some(30));
        assert_eq!(h.head_count, Some(9));
        assert_eq!(h.rope_freq_base, Some(1e5));
        assert_eq!(h.file_type, Some(1));
        assert_eq!(h.context_length, None);
    }
}
