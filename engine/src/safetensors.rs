//! Safetensors files: a sans-IO reader.
//!
//! Format (huggingface/safetensors `README.md` and `safetensors/src/tensor.rs`):
//!
//! ```text
//! header_len: u64 little-endian
//! header: header_len bytes of UTF-8 JSON, an object
//!   { "<tensor name>": {"dtype": "F16", "shape": [rows, cols], "data_offsets": [begin, end]},
//!     "__metadata__": {"<key>": "<string>", ...} (optional) }
//!   (may be padded with trailing spaces)
//! data: the tensors' bytes, row-major (C order), little-endian; offsets are relative to the
//!   first byte after the header
//! ```
//!
//! Validation follows the reference implementation's `Metadata::validate`: each tensor's byte
//! range must match its shape and dtype, the ranges must tile the data section from 0 with no
//! gap or overlap, and (when the file length is known) end exactly at the end of the file. The
//! header may be at most 100 MB (`MAX_HEADER_SIZE` there).
//!
//! Three entry points: [`SafetensorsFile::parse`] for a whole file in memory,
//! [`SafetensorsFile::parse_prefix`] for just its beginning (read the first 8 bytes, then
//! [`header_len`] more, then fetch tensors by [`SafeTensorInfo::file_range`]), and
//! [`SafetensorsStreamReader`], a push parser yielding each tensor once its bytes have arrived.

use serde_json::Value;
use std::collections::BTreeMap;

/// Largest header accepted (`MAX_HEADER_SIZE` in safetensors' `tensor.rs`).
pub const MAX_HEADER_SIZE: u64 = 100_000_000;

/// Why a safetensors file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetensorsError {
    #[error("file ends early: need {needed} bytes, have {have}")]
    Truncated { needed: u64, have: u64 },
    #[error("header of {0} bytes is larger than the {max} allowed", max = MAX_HEADER_SIZE)]
    HeaderTooLarge(u64),
    #[error("header is not valid UTF-8")]
    BadUtf8,
    #[error("header is not valid JSON: {0}")]
    BadJson(String),
    #[error("header is not a JSON object")]
    NotAnObject,
    #[error("tensor {name:?}: {reason}")]
    BadTensorEntry { name: String, reason: String },
    #[error("tensor {name:?} has unknown dtype {dtype:?}")]
    UnknownDtype { name: String, dtype: String },
    #[error(
        "tensor {name:?}: shape {shape:?} of {dtype} needs {expected} bytes but its offsets span {got}"
    )]
    SizeMismatch {
        name: String,
        shape: Vec<u64>,
        dtype: SafeDtype,
        expected: u64,
        got: u64,
    },
    #[error("tensor {name:?} data starts at {begin}, expected {expected} (gap or overlap)")]
    InvalidOffset {
        name: String,
        begin: u64,
        expected: u64,
    },
    #[error("tensor data ends at {data_end} but the data section is {data_len} bytes")]
    IncompleteBuffer { data_end: u64, data_len: u64 },
    #[error("__metadata__ must map strings to strings")]
    BadMetadata,
    #[error("{dtype} cannot be converted to f32 here")]
    UnsupportedConversion { dtype: SafeDtype },
    #[error("{0}")]
    Stream(&'static str),
}

/// Element types (`Dtype` in safetensors' `tensor.rs`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[allow(non_camel_case_types)]
pub enum SafeDtype {
    BOOL,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

impl SafeDtype {
    pub fn from_name(s: &str) -> Option<SafeDtype> {
        use SafeDtype::*;
        Some(match s {
            "BOOL" => BOOL,
            "U8" => U8,
            "I8" => I8,
            "F8_E5M2" => F8_E5M2,
            "F8_E4M3" => F8_E4M3,
            "I16" => I16,
            "U16" => U16,
            "F16" => F16,
            "BF16" => BF16,
            "I32" => I32,
            "U32" => U32,
            "F32" => F32,
            "F64" => F64,
            "I64" => I64,
            "U64" => U64,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use SafeDtype::*;
        match self {
            BOOL => "BOOL",
            U8 => "U8",
            I8 => "I8",
            F8_E5M2 => "F8_E5M2",
            F8_E4M3 => "F8_E4M3",
            I16 => "I16",
            U16 => "U16",
            F16 => "F16",
            BF16 => "BF16",
            I32 => "I32",
            U32 => "U32",
            F32 => "F32",
            F64 => "F64",
            I64 => "I64",
            U64 => "U64",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> u64 {
        use SafeDtype::*;
        match self {
            BOOL | U8 | I8 | F8_E5M2 | F8_E4M3 => 1,
            I16 | U16 | F16 | BF16 => 2,
            I32 | U32 | F32 => 4,
            F64 | I64 | U64 => 8,
        }
    }

    /// True for the float types [`to_f32`] converts.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            SafeDtype::F16 | SafeDtype::BF16 | SafeDtype::F32 | SafeDtype::F64
        )
    }
}

impl std::fmt::Display for SafeDtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One tensor's header entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SafeTensorInfo {
    pub name: String,
    pub dtype: SafeDtype,
    /// Row-major (PyTorch) shape: the last dimension varies fastest. The reverse of ggml's order.
    pub shape: Vec<u64>,
    /// Byte range relative to the data section.
    pub begin: u64,
    pub end: u64,
    /// Absolute offset of the data section in the file (8 + header length), for convenience.
    pub data_start: u64,
}

impl SafeTensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.shape.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }
    pub fn n_bytes(&self) -> u64 {
        self.end - self.begin
    }
    /// Absolute byte range in the file.
    pub fn file_range(&self) -> std::ops::Range<u64> {
        self.data_start + self.begin..self.data_start + self.end
    }
}

/// A parsed header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SafetensorsFile {
    /// Tensors sorted by name: the order gguf-py's `SafetensorsLocal` (and so llama.cpp's
    /// converter) iterates them in.
    pub tensors: Vec<SafeTensorInfo>,
    /// `__metadata__`, sorted by key.
    pub metadata: Vec<(String, String)>,
    /// Absolute offset of the data section (8 + header length).
    pub data_start: u64,
}

/// Reads the header length from the first 8 bytes; `None` if fewer are given.
pub fn header_len(prefix: &[u8]) -> Option<u64> {
    prefix
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

impl SafetensorsFile {
    /// Parses a whole file and checks the data section matches the header exactly.
    pub fn parse(bytes: &[u8]) -> Result<SafetensorsFile, SafetensorsError> {
        match Self::parse_prefix(bytes, Some(bytes.len() as u64))? {
            Ok(f) => Ok(f),
            Err(needed) => Err(SafetensorsError::Truncated {
                needed,
                have: bytes.len() as u64,
            }),
        }
    }

    /// Parses the header from the start of a file. Returns `Ok(Err(n))` when `prefix` is too
    /// short and at least `n` bytes are needed. With `file_len`, also checks the tensors end
    /// exactly at the end of the file.
    pub fn parse_prefix(
        prefix: &[u8],
        file_len: Option<u64>,
    ) -> Result<Result<SafetensorsFile, u64>, SafetensorsError> {
        let Some(n) = header_len(prefix) else {
            return Ok(Err(8));
        };
        if n > MAX_HEADER_SIZE {
            return Err(SafetensorsError::HeaderTooLarge(n));
        }
        let data_start = 8 + n;
        if let Some(len) = file_len
            && data_start > len
        {
            return Err(SafetensorsError::Truncated {
                needed: data_start,
                have: len,
            });
        }
        let Some(header) = prefix.get(8..data_start as usize) else {
            return Ok(Err(data_start));
        };
        let file = parse_header(header, data_start)?;
        if let Some(len) = file_len {
            let data_len = len - data_start;
            let data_end = file.tensors.iter().map(|t| t.end).max().unwrap_or(0);
            if data_end != data_len {
                return Err(SafetensorsError::IncompleteBuffer { data_end, data_len });
            }
        }
        Ok(Ok(file))
    }

    /// The tensor with this name.
    pub fn tensor(&self, name: &str) -> Option<&SafeTensorInfo> {
        self.tensors
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.tensors[i])
    }

    /// A tensor's bytes inside `file` (the bytes this header was parsed from).
    pub fn tensor_data<'a>(&self, file: &'a [u8], t: &SafeTensorInfo) -> Option<&'a [u8]> {
        let r = t.file_range();
        file.get(usize::try_from(r.start).ok()?..usize::try_from(r.end).ok()?)
    }

    /// Bytes of tensor data (the data section's length).
    pub fn data_len(&self) -> u64 {
        self.tensors.iter().map(|t| t.end).max().unwrap_or(0)
    }
}

fn entry_err(name: &str, reason: impl Into<String>) -> SafetensorsError {
    SafetensorsError::BadTensorEntry {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// Parses the JSON header (the bytes after the length) and validates the layout.
fn parse_header(header: &[u8], data_start: u64) -> Result<SafetensorsFile, SafetensorsError> {
    let text = std::str::from_utf8(header).map_err(|_| SafetensorsError::BadUtf8)?;
    let root: BTreeMap<String, Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m.into_iter().collect(),
        Ok(_) => return Err(SafetensorsError::NotAnObject),
        Err(e) => return Err(SafetensorsError::BadJson(e.to_string())),
    };
    let mut metadata = Vec::new();
    let mut tensors = Vec::with_capacity(root.len());
    for (name, v) in root {
        if name == "__metadata__" {
            let Value::Object(m) = v else {
                return Err(SafetensorsError::BadMetadata);
            };
            for (k, v) in m {
                let Value::String(s) = v else {
                    return Err(SafetensorsError::BadMetadata);
                };
                metadata.push((k, s));
            }
            continue;
        }
        let dtype_name = v
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or_else(|| entry_err(&name, "missing dtype"))?;
        let dtype =
            SafeDtype::from_name(dtype_name).ok_or_else(|| SafetensorsError::UnknownDtype {
                name: name.clone(),
                dtype: dtype_name.to_owned(),
            })?;
        let shape = v
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| entry_err(&name, "missing shape"))?
            .iter()
            .map(Value::as_u64)
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| entry_err(&name, "shape must be non-negative integers"))?;
        let offsets = v
            .get("data_offsets")
            .and_then(Value::as_array)
            .ok_or_else(|| entry_err(&name, "missing data_offsets"))?;
        let (begin, end) = match offsets.as_slice() {
            [b, e] => (
                b.as_u64()
                    .ok_or_else(|| entry_err(&name, "bad data_offsets"))?,
                e.as_u64()
                    .ok_or_else(|| entry_err(&name, "bad data_offsets"))?,
            ),
            _ => return Err(entry_err(&name, "data_offsets must be [begin, end]")),
        };
        if end < begin {
            return Err(entry_err(&name, "data_offsets end before begin"));
        }
        // Absolute offsets (data_start + end) must be representable, and on 32-bit targets a
        // tensor must fit in memory.
        if end.checked_add(data_start).is_none() || usize::try_from(end - begin).is_err() {
            return Err(entry_err(&name, "data_offsets too large"));
        }
        let expected = shape
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .and_then(|n| n.checked_mul(dtype.size()))
            .ok_or_else(|| entry_err(&name, "shape overflows"))?;
        if expected != end - begin {
            return Err(SafetensorsError::SizeMismatch {
                name,
                shape,
                dtype,
                expected,
                got: end - begin,
            });
        }
        tensors.push(SafeTensorInfo {
            name,
            dtype,
            shape,
            begin,
            end,
            data_start,
        });
    }
    // The ranges must tile the data section from 0, in offset order.
    let mut by_offset: Vec<&SafeTensorInfo> = tensors.iter().collect();
    by_offset.sort_by_key(|t| (t.begin, t.end));
    let mut expected = 0;
    for t in by_offset {
        if t.begin != expected {
            return Err(SafetensorsError::InvalidOffset {
                name: t.name.clone(),
                begin: t.begin,
                expected,
            });
        }
        expected = t.end;
    }
    Ok(SafetensorsFile {
        tensors,
        metadata,
        data_start,
    })
}

/// Converts `bytes` of a float dtype to f32 (exactly for F16, BF16, F32; F64 rounds).
pub fn to_f32(dtype: SafeDtype, bytes: &[u8]) -> Result<Vec<f32>, SafetensorsError> {
    let n = dtype.size() as usize;
    if !bytes.len().is_multiple_of(n) {
        return Err(SafetensorsError::Stream(
            "byte count is not a whole number of elements",
        ));
    }
    let it = bytes.chunks_exact(n);
    Ok(match dtype {
        SafeDtype::F32 => it
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect(),
        SafeDtype::F16 => it
            .map(|c| half::f16::from_le_bytes(c.try_into().expect("2 bytes")).to_f32())
            .collect(),
        // bf16 is the top half of an f32: shifting it back is exact (NaN payloads included).
        SafeDtype::BF16 => it
            .map(|c| {
                f32::from_bits(u32::from(u16::from_le_bytes(c.try_into().expect("2 bytes"))) << 16)
            })
            .collect(),
        SafeDtype::F64 => it
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
        other => return Err(SafetensorsError::UnsupportedConversion { dtype: other }),
    })
}

/// What the safetensors stream reader produced.
#[derive(Debug, Clone, PartialEq)]
pub enum SafetensorsEvent {
    Header(SafetensorsFile),
    /// One tensor's bytes; `index` is its position in [`SafetensorsFile::tensors`].
    Tensor {
        index: usize,
        data: Vec<u8>,
    },
}

/// Tensor indices in data order and each tensor's absolute byte range.
type TensorOrder = (Vec<usize>, Vec<(u64, u64)>);

/// A push parser: feed chunks of any size; get the header, then each tensor (in data order)
/// once all its bytes have arrived. Holds at most the header and one tensor.
pub struct SafetensorsStreamReader {
    file_len: Option<u64>,
    fed: u64,
    /// Header bytes (length prefix included) until the header is parsed.
    head: Vec<u8>,
    header: Option<TensorOrder>,
    next: usize,
    current: Option<(usize, Vec<u8>)>,
    failed: Option<SafetensorsError>,
}

impl SafetensorsStreamReader {
    /// `file_len`, when known, lets the header be checked against the file size.
    pub fn new(file_len: Option<u64>) -> Self {
        SafetensorsStreamReader {
            file_len,
            fed: 0,
            head: Vec::new(),
            header: None,
            next: 0,
            current: None,
            failed: None,
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SafetensorsEvent>, SafetensorsError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.feed_inner(chunk);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    fn feed_inner(&mut self, chunk: &[u8]) -> Result<Vec<SafetensorsEvent>, SafetensorsError> {
        let start = self.fed;
        self.fed += chunk.len() as u64;
        if self.file_len.is_some_and(|l| self.fed > l) {
            return Err(SafetensorsError::Stream(
                "more bytes than the declared file length",
            ));
        }
        let mut events = Vec::new();
        if self.header.is_some() {
            self.take_data(start, chunk, &mut events);
            return Ok(events);
        }
        // Buffer only up to the end of the header; the rest of the chunk is data.
        let mut rest = chunk;
        let mut at = start;
        loop {
            let want = match header_len(&self.head) {
                None => 8,
                Some(n) if n > MAX_HEADER_SIZE => {
                    return Err(SafetensorsError::HeaderTooLarge(n));
                }
                Some(n) => 8 + n,
            };
            let take = (want - self.head.len() as u64).min(rest.len() as u64) as usize;
            self.head.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            at += take as u64;
            if (self.head.len() as u64) < want {
                return Ok(events);
            }
            if self.head.len() > 8 || header_len(&self.head) == Some(0) {
                break;
            }
        }
        self.finish_header(&mut events)?;
        self.take_data(at, rest, &mut events);
        Ok(events)
    }

    fn finish_header(
        &mut self,
        events: &mut Vec<SafetensorsEvent>,
    ) -> Result<(), SafetensorsError> {
        let head = std::mem::take(&mut self.head);
        let file = match SafetensorsFile::parse_prefix(&head, self.file_len)? {
            Ok(f) => f,
            Err(_) => unreachable!("the whole header is buffered"),
        };
        let mut order: Vec<usize> = (0..file.tensors.len()).collect();
        order.sort_by_key(|&i| file.tensors[i].begin);
        let ranges = file
            .tensors
            .iter()
            .map(|t| (t.file_range().start, t.file_range().end))
            .collect();
        self.header = Some((order, ranges));
        events.push(SafetensorsEvent::Header(file));
        Ok(())
    }

    fn take_data(&mut self, mut at: u64, mut bytes: &[u8], events: &mut Vec<SafetensorsEvent>) {
        let Some((order, ranges)) = &self.header else {
            return;
        };
        loop {
            if self.current.is_none() {
                let Some(&i) = order.get(self.next) else {
                    return;
                };
                self.next += 1;
                let (s, e) = ranges[i];
                // Exact when the file length vouched for the header, else grown as bytes arrive.
                let cap = match self.file_len {
                    Some(_) => (e - s) as usize,
                    None => (e - s).min(1 << 20) as usize,
                };
                self.current = Some((i, Vec::with_capacity(cap)));
            }
            let (i, data) = self.current.as_mut().expect("set above");
            let (s, e) = ranges[*i];
            if s + data.len() as u64 == e {
                let (index, data) = self.current.take().expect("set above");
                events.push(SafetensorsEvent::Tensor { index, data });
                continue;
            }
            if bytes.is_empty() {
                return;
            }
            // Tensors tile the data section, so the next byte always belongs to this tensor.
            debug_assert_eq!(at, s + data.len() as u64);
            let take = (e - at).min(bytes.len() as u64) as usize;
            data.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            at += take as u64;
        }
    }

    /// Declares the end of input: an error if the header or a tensor is incomplete.
    pub fn finish(&mut self) -> Result<(), SafetensorsError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match &self.header {
            None => Err(SafetensorsError::Truncated {
                needed: header_len(&self.head).map_or(8, |n| 8 + n),
                have: self.fed,
            }),
            Some((order, _)) if self.current.is_some() || self.next < order.len() => {
                Err(SafetensorsError::Stream("file ends inside tensor data"))
            }
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data_len: usize) -> Vec<u8> {
        let mut b = (header.len() as u64).to_le_bytes().to_vec();
        b.extend(header.as_bytes());
        b.resize(b.len() + data_len, 7);
        b
    }

    fn err(header: &str, data_len: usize) -> SafetensorsError {
        SafetensorsFile::parse(&file(header, data_len)).unwrap_err()
    }

    #[test]
    fn parses_a_small_file_with_metadata_and_padding() {
        let h = r#"{"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}   "#;
        let b = file(h, 12);
        let f = SafetensorsFile::parse(&b).unwrap();
        assert_eq!(f.tensors[0].name, "a");
        assert_eq!(
            f.tensors[1].file_range(),
            (8 + h.len() as u64 + 8)..(8 + h.len() as u64 + 12)
        );
        assert_eq!(f.metadata, vec![("format".into(), "pt".into())]);
        assert_eq!(f.data_len(), 12);
        // Prefix parsing: too short says how much is needed.
        assert_eq!(
            SafetensorsFile::parse_prefix(&b[..3], None).unwrap(),
            Err(8)
        );
        assert_eq!(
            SafetensorsFile::parse_prefix(&b[..20], None).unwrap(),
            Err(8 + h.len() as u64)
        );
        assert_eq!(
            SafetensorsFile::parse_prefix(&b[..8 + h.len()], None).unwrap(),
            Ok(f)
        );
    }

    #[test]
    fn conversions_to_f32() {
        assert_eq!(
            to_f32(SafeDtype::F32, &1.5f32.to_le_bytes()).unwrap(),
            vec![1.5]
        );
        assert_eq!(to_f32(SafeDtype::F16, &[0x00, 0x3c]).unwrap(), vec![1.0]);
        assert_eq!(to_f32(SafeDtype::BF16, &[0xc0, 0x3f]).unwrap(), vec![1.5]);
        assert_eq!(
            to_f32(SafeDtype::F64, &2.0f64.to_le_bytes()).unwrap(),
            vec![2.0]
        );
        assert_eq!(
            to_f32(SafeDtype::I32, &[0; 4]),
            Err(SafetensorsError::UnsupportedConversion {
                dtype: SafeDtype::I32
            })
        );
        assert!(to_f32(SafeDtype::F32, &[0; 3]).is_err());
    }

    #[test]
    fn malformed_headers() {
        assert!(matches!(
            SafetensorsFile::parse(&[1, 2, 3]),
            Err(SafetensorsError::Truncated { .. })
        ));
        let mut b = (MAX_HEADER_SIZE + 1).to_le_bytes().to_vec();
        b.extend([0; 16]);
        assert!(matches!(
            SafetensorsFile::parse(&b),
            Err(SafetensorsError::HeaderTooLarge(_))
        ));
        let mut b = 1000u64.to_le_bytes().to_vec();
        b.extend(b"{}");
        assert!(matches!(
            SafetensorsFile::parse(&b),
            Err(SafetensorsError::Truncated { .. })
        ));
        let mut b = 2u64.to_le_bytes().to_vec();
        b.extend([0xff, 0xfe]);
        assert_eq!(SafetensorsFile::parse(&b), Err(SafetensorsError::BadUtf8));
        assert!(matches!(err("{", 0), SafetensorsError::BadJson(_)));
        assert_eq!(err("[]", 0), SafetensorsError::NotAnObject);
        assert!(matches!(
            err(r#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, 4),
            SafetensorsError::BadTensorEntry { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}}"#,
                4
            ),
            SafetensorsError::UnknownDtype { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
                4
            ),
            SafetensorsError::BadTensorEntry { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#,
                4
            ),
            SafetensorsError::BadTensorEntry { .. }
        ));
        assert!(matches!(
            err(r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, 4),
            SafetensorsError::BadTensorEntry { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
                4
            ),
            SafetensorsError::SizeMismatch { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#,
                4
            ),
            SafetensorsError::BadTensorEntry { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[1,18446744073709551615]}}"#,
                4
            ),
            SafetensorsError::SizeMismatch { .. } | SafetensorsError::BadTensorEntry { .. }
        ));
        // Gap, overlap, short data, extra data.
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#,
                8
            ),
            SafetensorsError::InvalidOffset { expected: 0, .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
                6
            ),
            SafetensorsError::InvalidOffset { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
                3
            ),
            SafetensorsError::IncompleteBuffer { .. }
        ));
        assert!(matches!(
            err(
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
                5
            ),
            SafetensorsError::IncompleteBuffer { .. }
        ));
        assert_eq!(
            err(r#"{"__metadata__":{"a":1}}"#, 0),
            SafetensorsError::BadMetadata
        );
        assert_eq!(
            err(r#"{"__metadata__":[]}"#, 0),
            SafetensorsError::BadMetadata
        );
    }

    #[test]
    fn stream_reader_handles_truncation_and_overrun() {
        let b = file(
            r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
            4,
        );
        let mut r = SafetensorsStreamReader::new(None);
        r.feed(&b[..b.len() - 1]).unwrap();
        assert!(r.finish().is_err());
        let mut r = SafetensorsStreamReader::new(Some(b.len() as u64 - 1));
        assert!(r.feed(&b).is_err());
        // Header length too large is refused once 8 bytes are in.
        let mut r = SafetensorsStreamReader::new(None);
        r.feed(&u64::MAX.to_le_bytes()[..5]).unwrap();
        assert!(matches!(
            r.feed(&u64::MAX.to_le_bytes()[5..]),
            Err(SafetensorsError::HeaderTooLarge(_))
        ));
        assert!(r.feed(&[0]).is_err());
    }
}
