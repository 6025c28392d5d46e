//! GGUF v3 (and v2) model files: reading, streaming and writing.
//!
//! Layout, from the spec (`docs/gguf.md` in ggml-org/ggml) and the two reference
//! implementations, llama.cpp's `ggml/src/gguf.cpp` and gguf-py's `gguf_reader.py` /
//! `gguf_writer.py`; everything little-endian:
//!
//! ```text
//! "GGUF" | version u32 | n_tensors u64 | n_kv u64
//! n_kv × (key: string, type: u32, value)
//! n_tensors × (name: string, n_dims u32, n_dims × u64 (ne[0] first), ggml type u32, offset u64)
//! zero padding up to a multiple of `general.alignment` (default 32)
//! tensor data; each tensor's offset is relative to the start of this section, is a multiple of
//! the alignment, and each tensor is followed by zero padding up to the alignment
//! ```
//!
//! Three entry points, all sans-IO:
//! * [`GgufFile::parse`] reads a whole file already in memory.
//! * [`GgufStreamReader`] is a push parser fed chunks of any size; it yields the header once it is
//!   complete, then each tensor's bytes (in file order) as soon as they have all arrived, so a
//!   model can be processed tensor by tensor without holding the file.
//! * [`GgufWriter`] produces the header bytes for a final tensor list, then accepts each tensor's
//!   data in order and says how much padding follows it, so output can be streamed out.
//!
//! Every malformed input gives a [`GgufError`]; nothing panics, and nothing allocates more than
//! the bytes actually given justify (counts read from the file are never trusted for
//! pre-allocation).

mod decode;
mod stream;
mod value;
mod write;

pub use stream::{GgufEvent, GgufStreamReader};
pub use value::{GgufArray, GgufValue, GgufValueType};
pub use write::{GgufWriter, write_gguf};

use crate::GgmlType;
use serde::{Deserialize, Serialize};

/// The file magic, `GGUF` (`GGUF_MAGIC` in `ggml/include/gguf.h`).
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// The version this writer produces (`GGUF_VERSION` in `ggml/include/gguf.h`).
pub const GGUF_VERSION: u32 = 3;
/// Alignment of the data section when `general.alignment` is absent
/// (`GGUF_DEFAULT_ALIGNMENT` in `ggml/include/gguf.h`).
pub const DEFAULT_ALIGNMENT: u32 = 32;
/// The metadata key that overrides the alignment (`GGUF_KEY_GENERAL_ALIGNMENT`).
pub const ALIGNMENT_KEY: &str = "general.alignment";
/// Most dimensions a tensor may have (`GGML_MAX_DIMS` in `ggml/include/ggml.h`).
pub const MAX_DIMS: usize = 4;
/// Deepest nesting of arrays inside arrays that is accepted. The format sets no limit
/// (llama.cpp accepts none at all); a bound keeps recursive code (drop, compare, encode) from
/// exhausting the stack on hostile input. Real files use at most 1.
pub const MAX_ARRAY_DEPTH: usize = 16;

/// Why a GGUF file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GgufError {
    #[error("not a GGUF file (magic {0:02x?})")]
    BadMagic([u8; 4]),
    #[error("unsupported GGUF version {0} (only 2 and 3 are read)")]
    UnsupportedVersion(u32),
    #[error("file ends early at byte {offset} while reading {what}")]
    Truncated { offset: u64, what: &'static str },
    #[error("{what} of {count} at byte {offset} cannot fit in the remaining input")]
    CountTooLarge {
        what: &'static str,
        count: u64,
        offset: u64,
    },
    #[error("unknown metadata value type {id} at byte {offset}")]
    UnknownValueType { id: u32, offset: u64 },
    #[error("bool value {byte} at byte {offset} is neither 0 nor 1")]
    InvalidBool { byte: u8, offset: u64 },
    #[error("string at byte {offset} is not valid UTF-8")]
    BadUtf8 { offset: u64 },
    #[error("empty metadata key at byte {offset}")]
    EmptyKey { offset: u64 },
    #[error("duplicate metadata key {0:?}")]
    DuplicateKey(String),
    #[error("arrays nested more than {max} deep at byte {offset}", max = MAX_ARRAY_DEPTH)]
    ArrayTooDeep { offset: u64 },
    #[error("general.alignment must be a UINT32, found {0}")]
    AlignmentType(GgufValueType),
    #[error("general.alignment {0} is not a power of two")]
    AlignmentNotPowerOfTwo(u32),
    #[error("duplicate tensor name {0:?}")]
    DuplicateTensor(String),
    #[error("tensor {name:?} has {n_dims} dimensions (at most {max})", max = MAX_DIMS)]
    TooManyDims { name: String, n_dims: u32 },
    #[error("tensor {name:?} dimension {dim} is {value}, above the largest ggml allows")]
    DimTooLarge {
        name: String,
        dim: usize,
        value: u64,
    },
    #[error("tensor {name:?} has more elements than ggml can count")]
    ElementCountOverflow { name: String },
    #[error("tensor {name:?} has unknown ggml type id {id}")]
    UnknownTensorType { name: String, id: u32 },
    #[error(
        "tensor {name:?} of type {ggml_type}: row of {ne0} elements is not a whole number of blocks"
    )]
    PartialBlock {
        name: String,
        ggml_type: GgmlType,
        ne0: u64,
    },
    #[error("tensor {name:?} offset {offset} is not a multiple of the alignment {alignment}")]
    MisalignedOffset {
        name: String,
        offset: u64,
        alignment: u32,
    },
    #[error("tensor {name:?} data ends at byte {end}, past the end of the input ({len} bytes)")]
    TensorPastEnd { name: String, end: u64, len: u64 },
    #[error("tensors {first:?} and {second:?} overlap")]
    OverlappingTensors { first: String, second: String },
    #[error("tensor {name:?} is {n_bytes} bytes, more than this platform can hold in memory")]
    TensorTooLarge { name: String, n_bytes: u64 },
    #[error("tensor {name:?} expects {expected} bytes of data, got {got}")]
    DataSizeMismatch {
        name: String,
        expected: u64,
        got: u64,
    },
    #[error("more tensor data given than the tensor list declares")]
    UnexpectedData,
    #[error("tensor {name:?} was never given its data")]
    MissingTensorData { name: String },
}

/// One tensor's entry in the tensor-info table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions in ggml order: `dims[0]` is the row length (`ne[0]`), the fastest-varying
    /// index. This is the reverse of the PyTorch/numpy shape. Kept exactly as stored (trailing
    /// 1s included) so a file round-trips byte for byte.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset of the data from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements (1 for zero dimensions, as in ggml). Saturates instead of
    /// overflowing for a hand-made info with absurd dimensions (the parser refuses those).
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().fold(1u64, |n, &d| n.saturating_mul(d))
    }

    /// Bytes of data (`ggml_nbytes` for a contiguous tensor); exact for any tensor that passed
    /// the parser or the writer, saturating otherwise.
    pub fn n_bytes(&self) -> u64 {
        (self.n_elements() / self.ggml_type.block_size() as u64)
            .saturating_mul(self.ggml_type.type_size() as u64)
    }

    /// Elements per row (`ne[0]`), 1 for a zero-dimensional tensor.
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// Number of rows: all elements divided by the row length.
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }
}

/// Checks one tensor's dimensions and type the way llama.cpp's loader does (`gguf.cpp`): at most
/// [`MAX_DIMS`] dimensions, each and their product representable as `int64_t`, rows a whole
/// number of blocks, and a byte size that fits in 64 bits. Returns the byte size.
pub(crate) fn check_tensor_shape(
    name: &str,
    dims: &[u64],
    ggml_type: GgmlType,
) -> Result<u64, GgufError> {
    if dims.len() > MAX_DIMS {
        return Err(GgufError::TooManyDims {
            name: name.to_owned(),
            n_dims: dims.len() as u32,
        });
    }
    let mut n: u64 = 1;
    for (dim, &value) in dims.iter().enumerate() {
        if value > i64::MAX as u64 {
            return Err(GgufError::DimTooLarge {
                name: name.to_owned(),
                dim,
                value,
            });
        }
        n = n
            .checked_mul(value)
            .filter(|&n| n <= i64::MAX as u64)
            .ok_or_else(|| GgufError::ElementCountOverflow {
                name: name.to_owned(),
            })?;
    }
    let ne0 = dims.first().copied().unwrap_or(1);
    let block = ggml_type.block_size() as u64;
    if ne0 % block != 0 {
        return Err(GgufError::PartialBlock {
            name: name.to_owned(),
            ggml_type,
            ne0,
        });
    }
    // n ≤ i64::MAX and type_size ≤ a few hundred bytes, so this is exact in u128.
    let bytes = (n / block) as u128 * ggml_type.type_size() as u128;
    u64::try_from(bytes).map_err(|_| GgufError::ElementCountOverflow {
        name: name.to_owned(),
    })
}

/// Rounds `x` up to a multiple of `align` (a power of two), as ggml's `GGML_PAD`; `None` on
/// overflow.
pub(crate) fn align_up(x: u64, align: u32) -> Option<u64> {
    let a = u64::from(align);
    x.checked_add(a - 1).map(|v| v & !(a - 1))
}

/// Reads `general.alignment` from metadata: absent means [`DEFAULT_ALIGNMENT`]; present it must
/// be a `UINT32` power of two (llama.cpp's `gguf_init_from_reader` refuses anything else).
pub(crate) fn alignment_from_metadata(metadata: &[(String, GgufValue)]) -> Result<u32, GgufError> {
    match metadata.iter().find(|(k, _)| k == ALIGNMENT_KEY) {
        None => Ok(DEFAULT_ALIGNMENT),
        Some((_, GgufValue::U32(a))) => {
            if a.is_power_of_two() {
                Ok(*a)
            } else {
                Err(GgufError::AlignmentNotPowerOfTwo(*a))
            }
        }
        Some((_, other)) => Err(GgufError::AlignmentType(other.value_type())),
    }
}

/// Checks that tensor data ranges are aligned, do not overlap, and (when the data section's
/// length is known) lie inside it.
pub(crate) fn check_layout(
    tensors: &[TensorInfo],
    alignment: u32,
    data_len: Option<u64>,
) -> Result<(), GgufError> {
    for t in tensors {
        if t.offset % u64::from(alignment) != 0 {
            return Err(GgufError::MisalignedOffset {
                name: t.name.clone(),
                offset: t.offset,
                alignment,
            });
        }
        let end = t.offset.checked_add(t.n_bytes());
        if let Some(len) = data_len {
            match end {
                Some(end) if end <= len => {}
                _ => {
                    return Err(GgufError::TensorPastEnd {
                        name: t.name.clone(),
                        end: end.unwrap_or(u64::MAX),
                        len,
                    });
                }
            }
        } else if end.is_none() {
            return Err(GgufError::ElementCountOverflow {
                name: t.name.clone(),
            });
        }
    }
    let order = data_order(tensors);
    // Empty tensors occupy no bytes and cannot overlap anything.
    let mut prev: Option<(usize, u64)> = None;
    for &i in &order {
        let t = &tensors[i];
        let size = t.n_bytes();
        if size == 0 {
            continue;
        }
        if let Some((p, prev_end)) = prev
            && t.offset < prev_end
        {
            return Err(GgufError::OverlappingTensors {
                first: tensors[p].name.clone(),
                second: t.name.clone(),
            });
        }
        prev = Some((i, t.offset + size));
    }
    Ok(())
}

/// Tensor indices sorted by where their data lies (stable, so ties keep info order).
pub(crate) fn data_order(tensors: &[TensorInfo]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| tensors[i].offset);
    order
}

/// A parsed GGUF header: everything before the tensor data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GgufFile {
    pub version: u32,
    /// Metadata in file order.
    pub metadata: Vec<(String, GgufValue)>,
    /// Tensor infos in file order.
    pub tensors: Vec<TensorInfo>,
    /// Effective alignment (`general.alignment` or 32).
    pub alignment: u32,
    /// Absolute offset of the data section in the file.
    pub data_offset: u64,
}

impl GgufFile {
    /// Parses a whole GGUF file held in memory and checks every tensor's data lies inside it.
    /// Bytes after the last tensor (padding) are allowed.
    pub fn parse(bytes: &[u8]) -> Result<GgufFile, GgufError> {
        let mut dec = decode::Decoder::new(Some(bytes.len() as u64));
        let used = dec.advance(bytes)?;
        if !dec.is_done() {
            return Err(dec.truncated_error());
        }
        debug_assert!(used <= bytes.len());
        let file = dec.into_file()?;
        let data_len = (bytes.len() as u64).saturating_sub(file.data_offset);
        if file.data_offset > bytes.len() as u64 && !file.tensors.is_empty() {
            return Err(GgufError::Truncated {
                offset: bytes.len() as u64,
                what: "padding before the data section",
            });
        }
        check_layout(&file.tensors, file.alignment, Some(data_len))?;
        Ok(file)
    }

    /// The value of a metadata key.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A string-valued metadata key.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(GgufValue::as_str)
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> Option<&str> {
        self.get_str("general.architecture")
    }

    /// The tensor info with this name, and its index.
    pub fn tensor(&self, name: &str) -> Option<(usize, &TensorInfo)> {
        self.tensors
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == name)
    }

    /// Absolute byte range of tensor `index`'s data in the file.
    pub fn tensor_range(&self, index: usize) -> Option<std::ops::Range<u64>> {
        let t = self.tensors.get(index)?;
        let start = self.data_offset.checked_add(t.offset)?;
        Some(start..start.checked_add(t.n_bytes())?)
    }

    /// Tensor `index`'s data inside `file` (the same bytes this header was parsed from).
    pub fn tensor_data<'a>(&self, file: &'a [u8], index: usize) -> Option<&'a [u8]> {
        let r = self.tensor_range(index)?;
        file.get(usize::try_from(r.start).ok()?..usize::try_from(r.end).ok()?)
    }

    /// Bytes from the start of the data section to the end of the last tensor.
    pub fn data_size(&self) -> u64 {
        self.tensors
            .iter()
            .map(|t| t.offset.saturating_add(t.n_bytes()))
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
