//! Weight tensors that stay where the caller put them.
//!
//! A model's bytes are loaded once (the CLI reads the file into one buffer; the web worker keeps
//! the file in wasm memory, possibly as several chunks) and shared through [`SharedBytes`]: an
//! `Arc` to anything that can show itself as a byte slice (`Vec<u8>`, `Box<[u8]>`, a static).
//! Every [`Weight`] is a range inside one of those buffers; building a model copies nothing but
//! the small norm vectors and biases (converted to f32).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use super::InferError;
use super::vec_dot::{ActType, Backend, DotFn, MatVecFn, TileFn, dot_fn, matvec_fn, tile_fn};
use crate::GgmlType;
use crate::quant;

/// A shared, immutable byte buffer: `Arc::new(vec)` wraps a `Vec<u8>` without copying it.
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Wraps an owned buffer as [`SharedBytes`] (no copy).
pub fn shared(bytes: Vec<u8>) -> SharedBytes {
    Arc::new(bytes)
}

/// A byte range of a shared buffer.
#[derive(Clone)]
pub struct TensorBytes {
    buf: SharedBytes,
    range: Range<usize>,
}

impl TensorBytes {
    /// The bytes `range` of `buf`; `None` when the range is not inside the buffer.
    pub fn new(buf: SharedBytes, range: Range<usize>) -> Option<TensorBytes> {
        let len = (*buf).as_ref().len();
        (range.start <= range.end && range.end <= len).then_some(TensorBytes { buf, range })
    }

    pub fn bytes(&self) -> &[u8] {
        &(*self.buf).as_ref()[self.range.clone()]
    }

    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }
}

impl fmt::Debug for TensorBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TensorBytes({:?})", self.range)
    }
}

/// A 2-D weight matrix of `n_out` rows of `n_in` elements in its stored ggml type, plus the dot
/// kernel chosen for it.
#[derive(Clone)]
pub struct Weight {
    pub name: String,
    pub ty: GgmlType,
    /// Row length (`ne[0]`).
    pub n_in: usize,
    /// Number of rows (`ne[1]`).
    pub n_out: usize,
    row_bytes: usize,
    data: TensorBytes,
    act: ActType,
    dot: DotFn,
    tile: Option<TileFn>,
    matvec: Option<MatVecFn>,
}

impl fmt::Debug for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Weight")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("n_in", &self.n_in)
            .field("n_out", &self.n_out)
            .finish()
    }
}

impl Weight {
    /// A weight over `data`, which must hold exactly `n_out` rows of `n_in` `ty` elements.
    pub fn new(
        name: &str,
        ty: GgmlType,
        n_in: usize,
        n_out: usize,
        data: TensorBytes,
        backend: Backend,
    ) -> Result<Weight, InferError> {
        let act = ActType::for_weight(ty).ok_or_else(|| InferError::TensorType {
            name: name.to_owned(),
            ty,
        })?;
        let dot = dot_fn(ty, backend).ok_or(InferError::NoKernel(ty))?;
        let row_bytes = ty.row_bytes(n_in).ok_or_else(|| InferError::TensorType {
            name: name.to_owned(),
            ty,
        })?;
        if act.row_bytes(n_in).is_none() {
            // e.g. a Q8_0 row whose length is not a multiple of 32 cannot meet its activations.
            return Err(InferError::TensorType {
                name: name.to_owned(),
                ty,
            });
        }
        let expected = row_bytes.checked_mul(n_out);
        if expected != Some(data.len()) {
            return Err(InferError::TensorData {
                name: name.to_owned(),
                reason: format!("{} bytes for {n_out}×{n_in} {ty}", data.len()),
            });
        }
        Ok(Weight {
            name: name.to_owned(),
            ty,
            n_in,
            n_out,
            row_bytes,
            data,
            act,
            dot,
            tile: tile_fn(ty, backend),
            matvec: matvec_fn(ty, backend),
        })
    }

    /// The activation format this weight's kernel multiplies with.
    pub fn act_type(&self) -> ActType {
        self.act
    }

    /// The dot kernel in use.
    pub fn dot_fn(&self) -> DotFn {
        self.dot
    }

    /// The tile kernel in use, if the type has one on this backend.
    pub fn tile_fn(&self) -> Option<TileFn> {
        self.tile
    }

    /// The whole-matrix decode kernel in use, if the type has one on this backend.
    pub fn matvec_fn(&self) -> Option<MatVecFn> {
        self.matvec
    }

    /// Switches kernels (the data is untouched).
    pub fn set_backend(&mut self, backend: Backend) -> Result<(), InferError> {
        self.dot = dot_fn(self.ty, backend).ok_or(InferError::NoKernel(self.ty))?;
        self.tile = tile_fn(self.ty, backend);
        self.matvec = matvec_fn(self.ty, backend);
        Ok(())
    }

    /// Bytes of one row.
    pub fn row_bytes(&self) -> usize {
        self.row_bytes
    }

    /// All the weight's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The bytes of row `i` (panics when `i >= n_out`; callers index checked token ids).
    pub fn row(&self, i: usize) -> &[u8] {
        &self.data.bytes()[i * self.row_bytes..(i + 1) * self.row_bytes]
    }

    /// Row `i` converted to f32 (an embedding lookup: ggml's `get_rows`).
    pub fn dequantize_row(&self, i: usize, out: &mut [f32]) -> Result<(), InferError> {
        quant::dequantize_row(self.ty, self.row(i), out)?;
        Ok(())
    }
}
