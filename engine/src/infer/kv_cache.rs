//! The attention key/value cache: f32, one slab per layer, positions `0..len` filled.
//!
//! Layout: for layer `l`, position `p`, `k[(l * capacity + p) * kv_dim ..][..kv_dim]` (all KV
//! heads of one position together), the same for `v` with `v_dim`. Memory is
//! `2 · n_layer · capacity · kv_dim · 4` bytes, allocated up front so a context that was
//! accepted cannot fail to grow later.

use super::InferError;
use super::hparams::Hparams;

#[derive(Clone, Debug)]
pub struct KvCache {
    n_layer: usize,
    kv_dim: usize,
    v_dim: usize,
    capacity: usize,
    len: usize,
    k: Vec<f32>,
    v: Vec<f32>,
}

impl KvCache {
    /// A cache for `capacity` positions of a model with these hyper-parameters.
    pub fn new(hp: &Hparams, capacity: usize) -> Result<KvCache, InferError> {
        if capacity == 0 {
            return Err(InferError::Config(
                "the context size must be at least 1".into(),
            ));
        }
        let elems = |dim: usize| {
            hp.n_layer
                .checked_mul(capacity)
                .and_then(|x| x.checked_mul(dim))
                .ok_or_else(|| InferError::Config(format!("context of {capacity} is too large")))
        };
        let (nk, nv) = (elems(hp.kv_dim())?, elems(hp.v_dim())?);
        Ok(KvCache {
            n_layer: hp.n_layer,
            kv_dim: hp.kv_dim(),
            v_dim: hp.v_dim(),
            capacity,
            len: 0,
            k: vec![0.0; nk],
            v: vec![0.0; nv],
        })
    }

    /// Positions filled.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Positions the cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every position (the memory stays allocated).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps only the first `len` positions (for re-using a shared prompt prefix).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        (self.k.len() + self.v.len()) * 4
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.capacity);
        self.len = len;
    }

    /// Keys of layer `l`, positions `0..n`.
    pub(crate) fn keys(&self, l: usize, n: usize) -> &[f32] {
        let base = l * self.capacity * self.kv_dim;
        &self.k[base..base + n * self.kv_dim]
    }

    /// Values of layer `l`, positions `0..n`.
    pub(crate) fn values(&self, l: usize, n: usize) -> &[f32] {
        let base = l * self.capacity * self.v_dim;
        &self.v[base..base + n * self.v_dim]
    }

    /// Stores key and value rows for layer `l` at positions `pos..pos + rows`.
    pub(crate) fn store(&mut self, l: usize, pos: usize, k: &[f32], v: &[f32]) {
        debug_assert!(l < self.n_layer);
        let kb = (l * self.capacity + pos) * self.kv_dim;
        self.k[kb..kb + k.len()].copy_from_slice(k);
        let vb = (l * self.capacity + pos) * self.v_dim;
        self.v[vb..vb + v.len()].copy_from_slice(v);
    }
}
