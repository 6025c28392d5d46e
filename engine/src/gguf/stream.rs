//! A push parser for GGUF: feed it chunks of any size, get the header and then each tensor.
//!
//! It keeps only the undecoded part of the header and the tensor currently being assembled, so
//! processing a model tensor by tensor needs about one tensor of memory beyond what the caller
//! holds. Tensors are delivered in the order their data lies in the file (for files llama.cpp
//! and gguf-py write, that is also tensor-info order); bytes between tensors (padding) and after
//! the last one are skipped.

use super::decode::Decoder;
use super::{GgufError, GgufFile, check_layout, data_order};

/// What the stream reader produced.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufEvent {
    /// The header (metadata and tensor infos), once, before any tensor.
    Header(GgufFile),
    /// One tensor's complete data; `index` is its position in [`GgufFile::tensors`].
    Tensor { index: usize, data: Vec<u8> },
}

/// The tensor being assembled: absolute byte range and bytes so far.
struct Assembling {
    index: usize,
    start: u64,
    end: u64,
    data: Vec<u8>,
}

/// Without a known file size, tensor buffers start at most this big and grow as data arrives,
/// so a header that declares an absurd tensor size cannot make the reader allocate it up front.
/// With a known size the header was checked against it and buffers are sized exactly.
const MAX_INITIAL_TENSOR_CAPACITY: u64 = 1 << 20;

/// The GGUF push parser. See the [module docs](self).
pub struct GgufStreamReader {
    /// Header decoder; `None` once the header is complete.
    decoder: Option<Decoder>,
    /// Undecoded header bytes (those at and after the decoder's position).
    pending: Vec<u8>,
    /// Total bytes fed so far (= absolute offset of the next byte fed).
    fed: u64,
    /// Known total file size, if the caller gave one.
    file_size: Option<u64>,
    /// Tensor indices in data order, the next one to start, and the one being assembled.
    order: Vec<usize>,
    next: usize,
    current: Option<Assembling>,
    /// Tensor byte ranges, taken from the header once it is parsed.
    ranges: Vec<(u64, u64)>,
    /// The first error; the reader refuses all input after it.
    failed: Option<GgufError>,
}

impl Default for GgufStreamReader {
    fn default() -> Self {
        Self::new()
    }
}

impl GgufStreamReader {
    /// A reader for a stream of unknown length. Lengths and counts in the file can then only be
    /// checked as bytes arrive, and a file cut short is reported by [`finish`](Self::finish).
    pub fn new() -> Self {
        GgufStreamReader {
            decoder: Some(Decoder::new(None)),
            pending: Vec::new(),
            fed: 0,
            file_size: None,
            order: Vec::new(),
            next: 0,
            current: None,
            ranges: Vec::new(),
            failed: None,
        }
    }

    /// A reader that knows the file's total size (e.g. a browser `File`): absurd counts and
    /// tensors past the end are refused as soon as the header says so.
    pub fn with_file_size(size: u64) -> Self {
        GgufStreamReader {
            decoder: Some(Decoder::new(Some(size))),
            file_size: Some(size),
            ..Self::new()
        }
    }

    /// Total bytes fed so far.
    pub fn bytes_fed(&self) -> u64 {
        self.fed
    }

    /// True once the header has been delivered and every tensor after it.
    pub fn is_complete(&self) -> bool {
        self.decoder.is_none() && self.current.is_none() && self.next >= self.order.len()
    }

    /// Feeds the next chunk; returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<GgufEvent>, GgufError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.feed_inner(chunk);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn feed_inner(&mut self, chunk: &[u8]) -> Result<Vec<GgufEvent>, GgufError> {
        let chunk_start = self.fed;
        self.fed += chunk.len() as u64;
        if let Some(size) = self.file_size
            && self.fed > size
        {
            return Err(GgufError::UnexpectedData);
        }
        let mut events = Vec::new();
        let Some(dec) = self.decoder.as_mut() else {
            self.take_data(chunk_start, chunk, &mut events);
            return Ok(events);
        };
        // Header phase. Decode straight from the chunk when nothing is pending (the common case
        // for large chunks), else from the pending buffer with the chunk appended.
        let tail: Vec<u8>;
        let rest: &[u8] = if self.pending.is_empty() {
            let used = dec.advance(chunk)?;
            if !dec.is_done() {
                self.pending.extend_from_slice(&chunk[used..]);
                return Ok(events);
            }
            &chunk[used..]
        } else {
            self.pending.extend_from_slice(chunk);
            let used = dec.advance(&self.pending)?;
            if !dec.is_done() {
                // Drop what was decoded; amortised O(1) per byte since a unit is decoded once.
                self.pending.drain(..used);
                return Ok(events);
            }
            tail = self.pending.split_off(used);
            self.pending = Vec::new();
            &tail
        };
        let header_end = dec.pos();
        let header = self.finish_header()?;
        events.push(GgufEvent::Header(header));
        self.take_data(header_end, rest, &mut events);
        Ok(events)
    }

    /// Turns the completed decoder into the header event and prepares tensor delivery.
    fn finish_header(&mut self) -> Result<GgufFile, GgufError> {
        let dec = self.decoder.take().expect("header phase");
        let file = dec.into_file()?;
        let data_len = self
            .file_size
            .map(|size| size.saturating_sub(file.data_offset));
        check_layout(&file.tensors, file.alignment, data_len)?;
        for t in &file.tensors {
            let n = t.n_bytes();
            if usize::try_from(n).is_err() || n > isize::MAX as u64 {
                return Err(GgufError::TensorTooLarge {
                    name: t.name.clone(),
                    n_bytes: n,
                });
            }
        }
        self.order = data_order(&file.tensors);
        self.ranges = file
            .tensors
            .iter()
            .map(|t| {
                let start = file.data_offset + t.offset;
                (start, start + t.n_bytes())
            })
            .collect();
        Ok(file)
    }

    /// Routes data-section bytes (starting at absolute offset `at`) into tensors.
    fn take_data(&mut self, mut at: u64, mut bytes: &[u8], events: &mut Vec<GgufEvent>) {
        loop {
            if self.current.is_none() {
                let Some(&index) = self.order.get(self.next) else {
                    return; // every tensor delivered: the rest is padding
                };
                self.next += 1;
                let (start, end) = self.ranges[index];
                let cap = match self.file_size {
                    Some(_) => (end - start) as usize,
                    None => (end - start).min(MAX_INITIAL_TENSOR_CAPACITY) as usize,
                };
                self.current = Some(Assembling {
                    index,
                    start,
                    end,
                    data: Vec::with_capacity(cap),
                });
            }
            let cur = self.current.as_mut().expect("set above");
            let have = cur.start + cur.data.len() as u64;
            if have == cur.end {
                let done = self.current.take().expect("set above");
                events.push(GgufEvent::Tensor {
                    index: done.index,
                    data: done.data,
                });
                continue;
            }
            if bytes.is_empty() {
                return;
            }
            if at < cur.start {
                // Padding or a gap before this tensor.
                let skip = (cur.start - at).min(bytes.len() as u64) as usize;
                bytes = &bytes[skip..];
                at += skip as u64;
                continue;
            }
            debug_assert_eq!(at, have, "tensors are sorted and do not overlap");
            let take = (cur.end - at).min(bytes.len() as u64) as usize;
            cur.data.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            at += take as u64;
        }
    }

    /// Declares the end of input: an error if the header or any tensor is incomplete.
    pub fn finish(&mut self) -> Result<(), GgufError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(dec) = &self.decoder {
            return Err(dec.truncated_error());
        }
        if self.current.is_some() || self.next < self.order.len() {
            return Err(GgufError::Truncated {
                offset: self.fed,
                what: "tensor data",
            });
        }
        Ok(())
    }
}
