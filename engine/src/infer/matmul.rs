//! Matrix × activations on quantized weights, the scalar-controlled loop around the dot kernels.
//!
//! `out[t][r] = dot(W[r], x[t])` for every weight row `r` and token `t`, with `x` already
//! converted to the weight's activation format ([`ActBuf`]). The loop runs over weight rows on
//! the outside so each row is read from memory once per call however many tokens there are
//! (decode streams the matrix once; prompt processing re-uses each row from cache).

use super::InferError;
use super::vec_dot::{ActType, TileFn, prefetch, quantize_act_row};

/// How many 4-row tiles ahead decode prefetches the weights.
const PREFETCH_AHEAD: usize = 4;
use super::weights::Weight;

/// Rows of activations converted to one [`ActType`].
#[derive(Clone, Debug)]
pub struct ActBuf {
    ty: ActType,
    n: usize,
    rows: usize,
    row_bytes: usize,
    data: Vec<u8>,
}

impl ActBuf {
    pub fn new(ty: ActType) -> ActBuf {
        ActBuf {
            ty,
            n: 0,
            rows: 0,
            row_bytes: 0,
            data: Vec::new(),
        }
    }

    pub fn act_type(&self) -> ActType {
        self.ty
    }

    /// Converts `rows` rows of `n` values from `x` (row-major).
    pub fn fill(&mut self, x: &[f32], rows: usize, n: usize) -> Result<(), InferError> {
        let row_bytes = self.ty.row_bytes(n).ok_or_else(|| {
            InferError::DotSize(format!(
                "{n} values are not whole {} blocks",
                self.ty.ggml_type()
            ))
        })?;
        if x.len() != rows * n {
            return Err(InferError::DotSize(format!(
                "{} activations for {rows} rows of {n}",
                x.len()
            )));
        }
        self.data.resize(rows * row_bytes, 0);
        for (src, dst) in x.chunks_exact(n).zip(self.data.chunks_exact_mut(row_bytes)) {
            quantize_act_row(self.ty, src, dst)?;
        }
        self.n = n;
        self.rows = rows;
        self.row_bytes = row_bytes;
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn row(&self, t: usize) -> &[u8] {
        &self.data[t * self.row_bytes..(t + 1) * self.row_bytes]
    }
}

/// One converted copy of an input per activation type, made on first use: Q, K and V (and gate
/// and up) read the same normalized input and usually share a type, so it is quantized once.
#[derive(Clone, Debug)]
pub struct ActCache {
    bufs: Vec<ActBuf>,
    valid: [bool; 6],
}

impl Default for ActCache {
    fn default() -> Self {
        ActCache {
            bufs: ActType::ALL.iter().map(|&t| ActBuf::new(t)).collect(),
            valid: [false; 6],
        }
    }
}

impl ActCache {
    /// Marks every conversion stale (call when the input changes).
    pub fn invalidate(&mut self) {
        self.valid = [false; 6];
    }

    /// `x` (rows of `n`) in format `ty`, converting it if this input was not converted yet.
    pub fn get(
        &mut self,
        ty: ActType,
        x: &[f32],
        rows: usize,
        n: usize,
    ) -> Result<&ActBuf, InferError> {
        let i = ty.index();
        if !self.valid[i] {
            self.bufs[i].fill(x, rows, n)?;
            self.valid[i] = true;
        }
        Ok(&self.bufs[i])
    }
}

/// `out[t * w.n_out + r] = W[r] · x[t]` for all rows of `w` and all `acts` rows.
pub fn matmul(w: &Weight, acts: &ActBuf, out: &mut [f32]) -> Result<(), InferError> {
    if acts.act_type() != w.act_type() || acts.n() != w.n_in {
        return Err(InferError::DotSize(format!(
            "{}: {} × {} weights cannot take {} activations of width {}",
            w.name,
            w.n_out,
            w.n_in,
            acts.act_type().ggml_type(),
            acts.n()
        )));
    }
    let (n_out, rows) = (w.n_out, acts.rows());
    if out.len() != n_out * rows {
        return Err(InferError::DotSize(format!(
            "{}: output of {} for {rows} × {n_out}",
            w.name,
            out.len()
        )));
    }
    let wb = w.bytes();
    let rb = w.row_bytes();
    if rows == 1
        && let Some(mv) = w.matvec_fn()
    {
        mv(wb, rb, acts.row(0), out);
        return Ok(());
    }
    if let Some(tile) = w.tile_fn() {
        tiled(tile, wb, rb, n_out, acts, out);
        return Ok(());
    }
    let dot = w.dot_fn();
    if rows == 1 {
        let a = acts.row(0);
        for (o, wr) in out.iter_mut().zip(wb.chunks_exact(rb)) {
            *o = dot(wr, a);
        }
        return Ok(());
    }
    for (r, wr) in wb.chunks_exact(rb).enumerate() {
        for t in 0..rows {
            out[t * n_out + r] = dot(wr, acts.row(t));
        }
    }
    Ok(())
}

/// Weight rows × activation rows by tiles: 4 rows × 1 token when decoding (independent
/// accumulators keep the core busy while the matrix streams in), 2 rows × 4 tokens for
/// batches (each unpacked weight block serves four tokens).
fn tiled(tile: TileFn, wb: &[u8], rb: usize, n_out: usize, acts: &ActBuf, out: &mut [f32]) {
    let rows = acts.rows();
    if rows == 1 {
        let a = [acts.row(0)];
        let mut r = 0;
        while r < n_out {
            let nr = (n_out - r).min(4);
            let mut ws: [&[u8]; 4] = [&[]; 4];
            for (k, wr) in ws.iter_mut().enumerate().take(nr) {
                *wr = &wb[(r + k) * rb..(r + k + 1) * rb];
            }
            // Decode streams the matrix once: ask for the rows PREFETCH_AHEAD tiles ahead now,
            // so their cache lines are on the way while this tile computes.
            // (Plain pointer steps, no slicing: a bounds check per cache line cost more than the
            // prefetches themselves; a prefetch never faults, so `wrapping_add` is enough.)
            let ahead = (r + PREFETCH_AHEAD * 4) * rb;
            if ahead < wb.len() {
                let end = (ahead + 4 * rb).min(wb.len());
                let base = wb.as_ptr();
                let mut off = ahead;
                while off < end {
                    prefetch(base.wrapping_add(off));
                    off += 64;
                }
            }
            tile(&ws[..nr], &a, &mut out[r..r + nr]);
            r += nr;
        }
        return;
    }
    let mut buf = [0f32; 8];
    let mut r = 0;
    while r < n_out {
        let nr = (n_out - r).min(2);
        let mut ws: [&[u8]; 2] = [&[]; 2];
        for (k, wr) in ws.iter_mut().enumerate().take(nr) {
            *wr = &wb[(r + k) * rb..(r + k + 1) * rb];
        }
        let mut t = 0;
        while t < rows {
            let nt = (rows - t).min(4);
            let mut at: [&[u8]; 4] = [&[]; 4];
            for (k, ar) in at.iter_mut().enumerate().take(nt) {
                *ar = acts.row(t + k);
            }
            tile(&ws[..nr], &at[..nt], &mut buf[..nr * nt]);
            for k in 0..nr {
                for j in 0..nt {
                    out[(t + j) * n_out + r + k] = buf[k * nt + j];
                }
            }
            t += nt;
        }
        r += nr;
    }
}
