//! A resumable decoder for everything before a GGUF file's tensor data.
//!
//! It is fed the not-yet-consumed bytes and consumes whole units (a scalar, a string, a run of
//! array elements, a tensor info); when a unit is not complete it stops without consuming it and
//! waits to be called again with more bytes. Re-trying a unit only re-reads its length prefix,
//! so feeding one byte at a time costs O(1) per call, and arrays are decoded element by element
//! (never re-scanned). [`GgufFile::parse`](super::GgufFile::parse) runs it once over a whole
//! slice; the stream reader runs it over its buffer.
//!
//! When the total input length is known, any length or count that could not fit in what is left
//! is refused at once (`CountTooLarge`) instead of waiting for bytes that will never come.
//! Allocation follows the bytes actually decoded: counts from the file only ever bound loops.

use super::value::{GgufArray, GgufValue, GgufValueType};
use super::{
    GGUF_MAGIC, GgufError, GgufFile, MAX_ARRAY_DEPTH, MAX_DIMS, TensorInfo,
    alignment_from_metadata, check_tensor_shape,
};
use crate::GgmlType;
use std::collections::HashSet;

/// Fewest bytes a key/value pair can take: 8-byte key length, a 1-byte key (empty keys are
/// refused), a 4-byte type, a 1-byte value.
const MIN_KV_SIZE: u64 = 8 + 1 + 4 + 1;
/// Fewest bytes a tensor info can take: 8-byte name length, 4-byte n_dims, 4-byte type, 8-byte
/// offset.
const MIN_TENSOR_INFO_SIZE: u64 = 8 + 4 + 4 + 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    KvKey,
    KvType,
    KvScalar(GgufValueType),
    ArrayHeader,
    ArrayBody,
    TensorInfo,
    Done,
}

/// An array being decoded: how many elements are still to come, and those read so far.
struct Frame {
    remaining: u64,
    data: GgufArray,
}

pub(crate) struct Decoder {
    /// Absolute offset of the next unconsumed byte.
    pos: u64,
    /// Total input length, when known.
    end: Option<u64>,
    stage: Stage,
    version: u32,
    n_tensors: u64,
    n_kv: u64,
    metadata: Vec<(String, GgufValue)>,
    keys: HashSet<String>,
    key: Option<String>,
    stack: Vec<Frame>,
    tensors: Vec<TensorInfo>,
    names: HashSet<String>,
    alignment: u32,
}

/// Outcome of one decoding step.
enum Step {
    /// Consumed this many bytes; call again.
    Consumed(usize),
    /// The next unit is incomplete.
    NeedMore,
}

/// Little-endian reads over a byte slice that report "not enough bytes" as `None`.
struct Cur<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cur<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cur { buf, at: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.buf.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    fn arr<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)
            .map(|s| s.try_into().expect("take returned N bytes"))
    }
    fn u32(&mut self) -> Option<u32> {
        self.arr().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.arr().map(u64::from_le_bytes)
    }
}

impl Decoder {
    pub(crate) fn new(end: Option<u64>) -> Self {
        Decoder {
            pos: 0,
            end,
            stage: Stage::Header,
            version: 0,
            n_tensors: 0,
            n_kv: 0,
            metadata: Vec::new(),
            keys: HashSet::new(),
            key: None,
            stack: Vec::new(),
            tensors: Vec::new(),
            names: HashSet::new(),
            alignment: super::DEFAULT_ALIGNMENT,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Absolute offset of the first byte not consumed yet.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The error to report when input ends before the header is complete.
    pub(crate) fn truncated_error(&self) -> GgufError {
        let what = match self.stage {
            Stage::Header => "the file header",
            Stage::KvKey => "a metadata key",
            Stage::KvType => "a metadata value type",
            Stage::KvScalar(_) => "a metadata value",
            Stage::ArrayHeader | Stage::ArrayBody => "a metadata array",
            Stage::TensorInfo => "a tensor info",
            Stage::Done => "nothing",
        };
        GgufError::Truncated {
            offset: self.pos,
            what,
        }
    }

    /// Decodes as much of `buf` (the bytes starting at [`pos`](Self::pos)) as forms complete
    /// units; returns how many bytes were consumed. Call again with the unconsumed rest plus
    /// more input until [`is_done`](Self::is_done).
    pub(crate) fn advance(&mut self, buf: &[u8]) -> Result<usize, GgufError> {
        let mut used = 0;
        while self.stage != Stage::Done {
            match self.step(&buf[used..])? {
                Step::Consumed(n) => {
                    used += n;
                    self.pos += n as u64;
                }
                Step::NeedMore => break,
            }
        }
        Ok(used)
    }

    /// Bytes left in the input after `extra` more bytes from the current position, if known.
    fn remaining_after(&self, extra: u64) -> Option<u64> {
        self.end
            .map(|e| e.saturating_sub(self.pos).saturating_sub(extra))
    }

    /// Refuses `count` items of at least `min_size` bytes each when the rest of a known-length
    /// input (after `extra` bytes of the current unit) cannot hold them.
    fn check_fits(
        &self,
        what: &'static str,
        count: u64,
        min_size: u64,
        extra: u64,
    ) -> Result<(), GgufError> {
        if let Some(rest) = self.remaining_after(extra)
            && count.checked_mul(min_size).is_none_or(|need| need > rest)
        {
            return Err(GgufError::CountTooLarge {
                what,
                count,
                offset: self.pos,
            });
        }
        Ok(())
    }

    /// Reads a length-prefixed UTF-8 string at the start of `cur`; `Ok(None)` if incomplete.
    /// `base` is the absolute offset of `cur`'s buffer start, for error positions.
    fn read_string(&self, cur: &mut Cur<'_>, base: u64) -> Result<Option<String>, GgufError> {
        let start = base + cur.at as u64;
        let Some(len) = cur.u64() else {
            return Ok(None);
        };
        if let Some(end) = self.end {
            let rest = end.saturating_sub(start + 8);
            if len > rest {
                return Err(GgufError::CountTooLarge {
                    what: "string length",
                    count: len,
                    offset: start,
                });
            }
        }
        let Ok(n) = usize::try_from(len) else {
            // Longer than this platform can address: never completes.
            return Ok(None);
        };
        let Some(bytes) = cur.take(n) else {
            return Ok(None);
        };
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(Some(s.to_owned())),
            Err(_) => Err(GgufError::BadUtf8 { offset: start + 8 }),
        }
    }

    fn read_value_type(&self, raw: u32) -> Result<GgufValueType, GgufError> {
        GgufValueType::from_id(raw).ok_or(GgufError::UnknownValueType {
            id: raw,
            offset: self.pos,
        })
    }

    fn step(&mut self, buf: &[u8]) -> Result<Step, GgufError> {
        match self.stage {
            Stage::Header => self.step_header(buf),
            Stage::KvKey => {
                let mut cur = Cur::new(buf);
                let Some(key) = self.read_string(&mut cur, self.pos)? else {
                    return Ok(Step::NeedMore);
                };
                if key.is_empty() {
                    return Err(GgufError::EmptyKey { offset: self.pos });
                }
                if !self.keys.insert(key.clone()) {
                    return Err(GgufError::DuplicateKey(key));
                }
                self.key = Some(key);
                self.stage = Stage::KvType;
                Ok(Step::Consumed(cur.at))
            }
            Stage::KvType => {
                let mut cur = Cur::new(buf);
                let Some(raw) = cur.u32() else {
                    return Ok(Step::NeedMore);
                };
                let t = self.read_value_type(raw)?;
                self.stage = if t == GgufValueType::Array {
                    Stage::ArrayHeader
                } else {
                    Stage::KvScalar(t)
                };
                Ok(Step::Consumed(4))
            }
            Stage::KvScalar(t) => {
                let mut cur = Cur::new(buf);
                let Some(v) = self.read_scalar(&mut cur, t)? else {
                    return Ok(Step::NeedMore);
                };
                self.finish_value(v)?;
                Ok(Step::Consumed(cur.at))
            }
            Stage::ArrayHeader => {
                let mut cur = Cur::new(buf);
                let (Some(raw), Some(count)) = (cur.u32(), cur.u64()) else {
                    return Ok(Step::NeedMore);
                };
                let elem = self.read_value_type(raw)?;
                if self.stack.len() >= MAX_ARRAY_DEPTH {
                    return Err(GgufError::ArrayTooDeep { offset: self.pos });
                }
                self.check_fits("array length", count, elem.min_encoded_size() as u64, 12)?;
                self.stack.push(Frame {
                    remaining: count,
                    data: GgufArray::empty(elem),
                });
                self.stage = Stage::ArrayBody;
                Ok(Step::Consumed(12))
            }
            Stage::ArrayBody => self.step_array(buf),
            Stage::TensorInfo => self.step_tensor_info(buf),
            Stage::Done => Ok(Step::NeedMore),
        }
    }

    fn step_header(&mut self, buf: &[u8]) -> Result<Step, GgufError> {
        // Check the magic as soon as four bytes are in, so a wrong file fails fast in a stream.
        if buf.len() >= 4 && buf[..4] != GGUF_MAGIC {
            let mut m = [0u8; 4];
            m.copy_from_slice(&buf[..4]);
            return Err(GgufError::BadMagic(m));
        }
        let mut cur = Cur::new(buf);
        let (Some(_), Some(version), Some(n_tensors), Some(n_kv)) =
            (cur.take(4), cur.u32(), cur.u64(), cur.u64())
        else {
            return Ok(Step::NeedMore);
        };
        // Version 1 used 32-bit counts and is gone from llama.cpp; 2 and 3 share this layout
        // (3 only added big-endian files, which put the version's bytes in the high half).
        if version != 2 && version != 3 {
            return Err(GgufError::UnsupportedVersion(version));
        }
        // llama.cpp reads both counts as int64_t and refuses negative ones.
        for (what, count) in [("tensor count", n_tensors), ("metadata count", n_kv)] {
            if count > i64::MAX as u64 {
                return Err(GgufError::CountTooLarge {
                    what,
                    count,
                    offset: self.pos,
                });
            }
        }
        self.check_fits("metadata count", n_kv, MIN_KV_SIZE, 24)?;
        self.check_fits("tensor count", n_tensors, MIN_TENSOR_INFO_SIZE, 24)?;
        if let Some(rest) = self.remaining_after(24) {
            // Both tables together must fit too (each check alone allows the whole rest).
            let need = n_kv as u128 * MIN_KV_SIZE as u128
                + n_tensors as u128 * MIN_TENSOR_INFO_SIZE as u128;
            if need > rest as u128 {
                return Err(GgufError::CountTooLarge {
                    what: "metadata and tensor counts",
                    count: n_kv.saturating_add(n_tensors),
                    offset: self.pos,
                });
            }
        }
        self.version = version;
        self.n_tensors = n_tensors;
        self.n_kv = n_kv;
        self.stage = if n_kv > 0 {
            Stage::KvKey
        } else {
            self.after_metadata()?
        };
        Ok(Step::Consumed(24))
    }

    /// Reads one non-array value of type `t`; `Ok(None)` when incomplete.
    fn read_scalar(
        &self,
        cur: &mut Cur<'_>,
        t: GgufValueType,
    ) -> Result<Option<GgufValue>, GgufError> {
        let at = self.pos + cur.at as u64;
        Ok(Some(match t {
            GgufValueType::String => match self.read_string(cur, self.pos)? {
                Some(s) => GgufValue::String(s),
                None => return Ok(None),
            },
            GgufValueType::Array => unreachable!("arrays are decoded through frames"),
            _ => {
                let size = t.fixed_size().expect("scalar types have a fixed size");
                let Some(b) = cur.take(size) else {
                    return Ok(None);
                };
                decode_fixed(t, b, at)?
            }
        }))
    }

    /// Stores a completed top-level value under the pending key and moves to the next pair.
    fn finish_value(&mut self, v: GgufValue) -> Result<(), GgufError> {
        let key = self.key.take().expect("a key precedes every value");
        self.metadata.push((key, v));
        self.stage = if (self.metadata.len() as u64) < self.n_kv {
            Stage::KvKey
        } else {
            self.after_metadata()?
        };
        Ok(())
    }

    fn after_metadata(&mut self) -> Result<Stage, GgufError> {
        self.alignment = alignment_from_metadata(&self.metadata)?;
        Ok(if self.n_tensors > 0 {
            Stage::TensorInfo
        } else {
            Stage::Done
        })
    }

    fn step_array(&mut self, buf: &[u8]) -> Result<Step, GgufError> {
        let frame = self.stack.last().expect("ArrayBody has a frame");
        if frame.remaining == 0 {
            let done = self.stack.pop().expect("frame exists").data;
            match self.stack.last_mut() {
                Some(parent) => {
                    let GgufArray::Array(items) = &mut parent.data else {
                        unreachable!("only arrays of arrays have child frames")
                    };
                    items.push(done);
                    // Parent's `remaining` was decremented when this child started.
                }
                None => self.finish_value(GgufValue::Array(done))?,
            }
            return Ok(Step::Consumed(0));
        }
        let elem = frame.data.elem_type();
        match elem {
            GgufValueType::Array => {
                // A nested array: its own element type and count, then a frame of its own.
                let mut cur = Cur::new(buf);
                let (Some(raw), Some(count)) = (cur.u32(), cur.u64()) else {
                    return Ok(Step::NeedMore);
                };
                let inner = self.read_value_type(raw)?;
                if self.stack.len() >= MAX_ARRAY_DEPTH {
                    return Err(GgufError::ArrayTooDeep { offset: self.pos });
                }
                self.check_fits("array length", count, inner.min_encoded_size() as u64, 12)?;
                self.stack.last_mut().expect("frame exists").remaining -= 1;
                self.stack.push(Frame {
                    remaining: count,
                    data: GgufArray::empty(inner),
                });
                Ok(Step::Consumed(12))
            }
            GgufValueType::String => {
                let mut cur = Cur::new(buf);
                let Some(s) = self.read_string(&mut cur, self.pos)? else {
                    return Ok(Step::NeedMore);
                };
                let frame = self.stack.last_mut().expect("frame exists");
                let GgufArray::String(v) = &mut frame.data else {
                    unreachable!("element type matches the array variant")
                };
                v.push(s);
                frame.remaining -= 1;
                Ok(Step::Consumed(cur.at))
            }
            _ => {
                // A run of fixed-size elements: decode as many as are here.
                let size = elem.fixed_size().expect("fixed-size element");
                let avail = (buf.len() / size) as u64;
                let pos = self.pos;
                let frame = self.stack.last_mut().expect("frame exists");
                let n = frame.remaining.min(avail) as usize;
                if n == 0 {
                    return Ok(Step::NeedMore);
                }
                push_fixed(&mut frame.data, &buf[..n * size], pos)?;
                frame.remaining -= n as u64;
                Ok(Step::Consumed(n * size))
            }
        }
    }

    fn step_tensor_info(&mut self, buf: &[u8]) -> Result<Step, GgufError> {
        let mut cur = Cur::new(buf);
        let Some(name) = self.read_string(&mut cur, self.pos)? else {
            return Ok(Step::NeedMore);
        };
        let Some(n_dims) = cur.u32() else {
            return Ok(Step::NeedMore);
        };
        if n_dims as usize > MAX_DIMS {
            return Err(GgufError::TooManyDims { name, n_dims });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let Some(d) = cur.u64() else {
                return Ok(Step::NeedMore);
            };
            dims.push(d);
        }
        let (Some(type_id), Some(offset)) = (cur.u32(), cur.u64()) else {
            return Ok(Step::NeedMore);
        };
        // The whole info is here: validate it.
        let Some(ggml_type) = GgmlType::from_id(type_id) else {
            return Err(GgufError::UnknownTensorType { name, id: type_id });
        };
        check_tensor_shape(&name, &dims, ggml_type)?;
        if offset % u64::from(self.alignment) != 0 {
            return Err(GgufError::MisalignedOffset {
                name,
                offset,
                alignment: self.alignment,
            });
        }
        if !self.names.insert(name.clone()) {
            return Err(GgufError::DuplicateTensor(name));
        }
        self.tensors.push(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
        });
        if self.tensors.len() as u64 == self.n_tensors {
            self.stage = Stage::Done;
        }
        Ok(Step::Consumed(cur.at))
    }

    /// The parsed header. Only valid once [`is_done`](Self::is_done).
    pub(crate) fn into_file(self) -> Result<GgufFile, GgufError> {
        debug_assert!(self.is_done());
        let data_offset =
            super::align_up(self.pos, self.alignment).ok_or(GgufError::CountTooLarge {
                what: "header size",
                count: self.pos,
                offset: self.pos,
            })?;
        Ok(GgufFile {
            version: self.version,
            metadata: self.metadata,
            tensors: self.tensors,
            alignment: self.alignment,
            data_offset,
        })
    }
}

fn decode_fixed(t: GgufValueType, b: &[u8], at: u64) -> Result<GgufValue, GgufError> {
    macro_rules! le {
        ($ty:ty) => {
            <$ty>::from_le_bytes(b.try_into().expect("sized by fixed_size"))
        };
    }
    Ok(match t {
        GgufValueType::U8 => GgufValue::U8(b[0]),
        GgufValueType::I8 => GgufValue::I8(b[0] as i8),
        GgufValueType::U16 => GgufValue::U16(le!(u16)),
        GgufValueType::I16 => GgufValue::I16(le!(i16)),
        GgufValueType::U32 => GgufValue::U32(le!(u32)),
        GgufValueType::I32 => GgufValue::I32(le!(i32)),
        GgufValueType::F32 => GgufValue::F32(le!(f32)),
        GgufValueType::U64 => GgufValue::U64(le!(u64)),
        GgufValueType::I64 => GgufValue::I64(le!(i64)),
        GgufValueType::F64 => GgufValue::F64(le!(f64)),
        GgufValueType::Bool => GgufValue::Bool(decode_bool(b[0], at)?),
        GgufValueType::String | GgufValueType::Array => {
            unreachable!("not fixed-size")
        }
    })
}

/// llama.cpp reads a bool as a byte and treats any non-zero as true; only 0 and 1 are accepted
/// here so that every file that parses is written back byte for byte.
fn decode_bool(byte: u8, at: u64) -> Result<bool, GgufError> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(GgufError::InvalidBool { byte, offset: at }),
    }
}

/// Appends the fixed-size elements in `b` (a whole number of them) to `arr`.
fn push_fixed(arr: &mut GgufArray, b: &[u8], at: u64) -> Result<(), GgufError> {
    macro_rules! ext {
        ($v:expr, $ty:ty) => {{
            const N: usize = std::mem::size_of::<$ty>();
            $v.extend(
                b.chunks_exact(N)
                    .map(|c| <$ty>::from_le_bytes(c.try_into().expect("exact chunk"))),
            )
        }};
    }
    match arr {
        GgufArray::U8(v) => v.extend_from_slice(b),
        GgufArray::I8(v) => v.extend(b.iter().map(|&x| x as i8)),
        GgufArray::U16(v) => ext!(v, u16),
        GgufArray::I16(v) => ext!(v, i16),
        GgufArray::U32(v) => ext!(v, u32),
        GgufArray::I32(v) => ext!(v, i32),
        GgufArray::F32(v) => ext!(v, f32),
        GgufArray::U64(v) => ext!(v, u64),
        GgufArray::I64(v) => ext!(v, i64),
        GgufArray::F64(v) => ext!(v, f64),
        GgufArray::Bool(v) => {
            v.reserve(b.len());
            for (i, &x) in b.iter().enumerate() {
                v.push(decode_bool(x, at + i as u64)?);
            }
        }
        GgufArray::String(_) | GgufArray::Array(_) => unreachable!("not fixed-size"),
    }
    Ok(())
}
