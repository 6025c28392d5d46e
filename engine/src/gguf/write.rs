//! A sans-IO GGUF writer.
//!
//! Offsets follow llama.cpp's `gguf_add_tensor`/`gguf_write_to_buf` (`ggml/src/gguf.cpp`) and
//! gguf-py's `write_ti_data_to_file`: tensors are laid out in list order, each at the running
//! total of the previous tensors' sizes padded to the alignment. The header is followed by zero
//! padding to the alignment (always, even with no tensors, as both writers do) and each tensor's
//! data by zero padding to the alignment.

use super::value::{GgufArray, GgufValue};
use super::{
    GGUF_MAGIC, GGUF_VERSION, GgufError, GgufFile, MAX_ARRAY_DEPTH, TensorInfo, align_up,
    alignment_from_metadata, check_tensor_shape,
};
use std::collections::HashSet;

/// Writes a GGUF file piece by piece. See the [module docs](self).
///
/// ```text
/// let mut w = GgufWriter::new(metadata, tensors)?;   // offsets computed here
/// out(w.header_bytes());
/// for each tensor, in order, in one or more chunks:
///     let pad = w.push_data(chunk)?; out(chunk); out(zeros(pad));
/// w.finish()?;
/// ```
#[derive(Debug, Clone)]
pub struct GgufWriter {
    version: u32,
    alignment: u32,
    metadata: Vec<(String, GgufValue)>,
    tensors: Vec<TensorInfo>,
    data_offset: u64,
    /// Index of the tensor whose data is expected next, and bytes of it already given.
    next: usize,
    written: u64,
}

impl GgufWriter {
    /// A writer for this metadata (kept in the given order) and these tensors. Each tensor's
    /// `offset` is ignored and recomputed. Fails on anything a reader would refuse: empty or
    /// duplicate keys, a bad `general.alignment`, arrays nested too deep, duplicate tensor names,
    /// invalid shapes.
    pub fn new(
        metadata: Vec<(String, GgufValue)>,
        tensors: Vec<TensorInfo>,
    ) -> Result<GgufWriter, GgufError> {
        let mut keys = HashSet::new();
        for (k, v) in &metadata {
            if k.is_empty() {
                return Err(GgufError::EmptyKey { offset: 0 });
            }
            if !keys.insert(k.as_str()) {
                return Err(GgufError::DuplicateKey(k.clone()));
            }
            if let GgufValue::Array(a) = v
                && a.depth() > MAX_ARRAY_DEPTH
            {
                return Err(GgufError::ArrayTooDeep { offset: 0 });
            }
        }
        let alignment = alignment_from_metadata(&metadata)?;
        let mut names = HashSet::new();
        let mut offset = 0u64;
        let mut laid_out = Vec::with_capacity(tensors.len());
        for mut t in tensors {
            let size = check_tensor_shape(&t.name, &t.dims, t.ggml_type)?;
            if !names.insert(t.name.clone()) {
                return Err(GgufError::DuplicateTensor(t.name));
            }
            t.offset = offset;
            offset = align_up(size, alignment)
                .and_then(|s| offset.checked_add(s))
                .ok_or_else(|| GgufError::ElementCountOverflow {
                    name: t.name.clone(),
                })?;
            laid_out.push(t);
        }
        let mut w = GgufWriter {
            version: GGUF_VERSION,
            alignment,
            metadata,
            tensors: laid_out,
            data_offset: 0,
            next: 0,
            written: 0,
        };
        let header_len = w.encode_header_unpadded().len() as u64;
        w.data_offset = align_up(header_len, alignment).ok_or(GgufError::CountTooLarge {
            what: "header size",
            count: header_len,
            offset: 0,
        })?;
        w.skip_empty_tensors();
        Ok(w)
    }

    /// A writer that reproduces a parsed file's header: same version, metadata and tensor list.
    /// For a file laid out the way llama.cpp and gguf-py lay files out, the output is identical
    /// to the input byte for byte (header padding is always written as zeros).
    pub fn from_file(file: &GgufFile) -> Result<GgufWriter, GgufError> {
        let mut w = GgufWriter::new(file.metadata.clone(), file.tensors.clone())?;
        w.version = file.version;
        Ok(w)
    }

    /// The version written (3 unless taken from a parsed file).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The alignment in force.
    pub fn alignment(&self) -> u32 {
        self.alignment
    }

    /// Tensor infos with their final offsets.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// Absolute offset of the data section (= length of [`header_bytes`](Self::header_bytes)).
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Size of the whole file.
    pub fn total_size(&self) -> u64 {
        self.tensors.last().map_or(self.data_offset, |t| {
            self.data_offset + t.offset + padded(t.n_bytes(), self.alignment)
        })
    }

    /// The header: magic, version, counts, metadata, tensor infos and padding up to the data
    /// section.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut out = self.encode_header_unpadded();
        out.resize(self.data_offset as usize, 0);
        out
    }

    fn encode_header_unpadded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&GGUF_MAGIC);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            encode_str(&mut out, k);
            out.extend_from_slice(&v.value_type().id().to_le_bytes());
            encode_value(&mut out, v);
        }
        for t in &self.tensors {
            encode_str(&mut out, &t.name);
            out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&t.ggml_type.id().to_le_bytes());
            out.extend_from_slice(&t.offset.to_le_bytes());
        }
        out
    }

    /// The tensor whose data is expected next, if any.
    pub fn next_tensor(&self) -> Option<&TensorInfo> {
        self.tensors.get(self.next)
    }

    /// Accepts the next `chunk` of the current tensor's data (a tensor may be given in any
    /// number of chunks, but a chunk never spans two tensors). Returns how many zero bytes the
    /// caller must write after `chunk`: the padding, once the chunk completes a tensor, else 0.
    pub fn push_data(&mut self, chunk: &[u8]) -> Result<usize, GgufError> {
        let Some(t) = self.tensors.get(self.next) else {
            return if chunk.is_empty() {
                Ok(0)
            } else {
                Err(GgufError::UnexpectedData)
            };
        };
        let size = t.n_bytes();
        let after = self.written + chunk.len() as u64;
        if after > size {
            return Err(GgufError::DataSizeMismatch {
                name: t.name.clone(),
                expected: size,
                got: after,
            });
        }
        self.written = after;
        if after < size {
            return Ok(0);
        }
        let pad = padded(size, self.alignment) - size;
        self.next += 1;
        self.written = 0;
        self.skip_empty_tensors();
        Ok(pad as usize)
    }

    /// Convenience for a whole tensor at once: returns its data followed by its padding.
    pub fn encode_tensor(&mut self, data: &[u8]) -> Result<Vec<u8>, GgufError> {
        if let Some(t) = self.tensors.get(self.next)
            && data.len() as u64 != t.n_bytes()
        {
            return Err(GgufError::DataSizeMismatch {
                name: t.name.clone(),
                expected: t.n_bytes(),
                got: data.len() as u64,
            });
        }
        let pad = self.push_data(data)?;
        let mut out = Vec::with_capacity(data.len() + pad);
        out.extend_from_slice(data);
        out.resize(data.len() + pad, 0);
        Ok(out)
    }

    /// Checks every tensor got all its data.
    pub fn finish(&self) -> Result<(), GgufError> {
        match self.tensors.get(self.next) {
            None => Ok(()),
            Some(t) => Err(GgufError::MissingTensorData {
                name: t.name.clone(),
            }),
        }
    }

    /// Zero-byte tensors need no data: move past them so the caller never has to push an
    /// empty chunk for them.
    fn skip_empty_tensors(&mut self) {
        while self.written == 0
            && self
                .tensors
                .get(self.next)
                .is_some_and(|t| t.n_bytes() == 0)
        {
            self.next += 1;
        }
    }
}

fn padded(size: u64, alignment: u32) -> u64 {
    align_up(size, alignment).expect("checked when the writer was built")
}

/// Writes a whole file to memory: metadata, then tensors given as (info, data) in order.
pub fn write_gguf(
    metadata: Vec<(String, GgufValue)>,
    tensors: Vec<(TensorInfo, &[u8])>,
) -> Result<Vec<u8>, GgufError> {
    let (infos, datas): (Vec<_>, Vec<_>) = tensors.into_iter().unzip();
    let mut w = GgufWriter::new(metadata, infos)?;
    let mut out = w.header_bytes();
    for (t, data) in w.tensors.clone().iter().zip(datas) {
        if data.len() as u64 != t.n_bytes() {
            return Err(GgufError::DataSizeMismatch {
                name: t.name.clone(),
                expected: t.n_bytes(),
                got: data.len() as u64,
            });
        }
        if data.is_empty() {
            continue;
        }
        let pad = w.push_data(data)?;
        out.extend_from_slice(data);
        out.resize(out.len() + pad, 0);
    }
    w.finish()?;
    Ok(out)
}

fn encode_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a value without its type id (the caller writes that).
fn encode_value(out: &mut Vec<u8>, v: &GgufValue) {
    match v {
        GgufValue::U8(x) => out.push(*x),
        GgufValue::I8(x) => out.push(*x as u8),
        GgufValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::Bool(x) => out.push(u8::from(*x)),
        GgufValue::String(s) => encode_str(out, s),
        GgufValue::Array(a) => encode_array(out, a),
        GgufValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        GgufValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
    }
}

/// Encodes an array: element type, count, elements (nested arrays recursively, depth bounded by
/// [`MAX_ARRAY_DEPTH`]).
fn encode_array(out: &mut Vec<u8>, a: &GgufArray) {
    out.extend_from_slice(&a.elem_type().id().to_le_bytes());
    out.extend_from_slice(&(a.len() as u64).to_le_bytes());
    macro_rules! le {
        ($v:expr) => {
            for x in $v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        };
    }
    match a {
        GgufArray::U8(v) => out.extend_from_slice(v),
        GgufArray::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
        GgufArray::U16(v) => le!(v),
        GgufArray::I16(v) => le!(v),
        GgufArray::U32(v) => le!(v),
        GgufArray::I32(v) => le!(v),
        GgufArray::F32(v) => le!(v),
        GgufArray::Bool(v) => out.extend(v.iter().map(|&x| u8::from(x))),
        GgufArray::String(v) => {
            for s in v {
                encode_str(out, s);
            }
        }
        GgufArray::Array(v) => {
            for inner in v {
                encode_array(out, inner);
            }
        }
        GgufArray::U64(v) => le!(v),
        GgufArray::I64(v) => le!(v),
        GgufArray::F64(v) => le!(v),
    }
}
