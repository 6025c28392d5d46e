//! The Llama-family forward pass (llama, Mistral, SmolLM, Qwen2 with its Q/K/V biases).
//!
//! Per layer, as llama.cpp's `llm_build_llama` / `llm_build_qwen2` (src/models/*.cpp):
//!
//! ```text
//! h  = x + Wo · attention(rope(Wq·n + bq), rope(Wk·n + bk), Wv·n + bv),  n = rms_norm(x)·attn_norm
//! x' = h + Wdown · (silu(Wgate·m) ⊙ Wup·m),                              m = rms_norm(h)·ffn_norm
//! ```
//!
//! then `logits = Woutput · rms_norm(x)·output_norm`, where `Woutput` is `token_embd` when the
//! file has no `output.weight` (tied embeddings). Attention is causal, grouped-query (each KV
//! head serves `n_head / n_head_kv` query heads), scaled by `1/sqrt(head_dim)`, over an f32
//! [`KvCache`]. RoPE follows ggml's `ggml_rope_cache_init` (ggml/src/ggml-cpu/ops.cpp): angle
//! `p · freq_scale · base^(-2i/n_rot) / freq_factor[i]`, the power built by repeated
//! multiplication exactly as ggml does, so positions get the same f32 angles.
//!
//! A batch of tokens (a prompt, or one token while decoding) goes through each layer together;
//! every matrix product runs on the quantized weights (`matmul`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::InferError;
use super::hparams::{Hparams, RopeKind};
use super::kv_cache::KvCache;
use super::matmul::{ActCache, matmul};
use super::vec_dot::Backend;
use super::weights::{SharedBytes, TensorBytes, Weight};
use crate::GgmlType;
use crate::gguf::{GgufFile, TensorInfo};
use crate::ops::rms_norm;
use crate::quant;

/// Which rows of a batch get logits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outputs {
    /// None (filling the cache only).
    None,
    /// The last token's.
    Last,
    /// Every token's.
    All,
    /// Tokens `i..` of the batch.
    From(usize),
}

/// One transformer block's weights.
#[derive(Clone, Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    wq: Weight,
    wk: Weight,
    wv: Weight,
    wo: Weight,
    bq: Option<Vec<f32>>,
    bk: Option<Vec<f32>>,
    bv: Option<Vec<f32>>,
    ffn_norm: Vec<f32>,
    w_gate: Weight,
    w_up: Weight,
    w_down: Weight,
}

/// A loaded model: hyper-parameters and weights that point into the caller's buffers.
#[derive(Clone, Debug)]
pub struct Model {
    hp: Hparams,
    tok_embd: Weight,
    output_norm: Vec<f32>,
    output: Weight,
    tied_output: bool,
    layers: Vec<Layer>,
    rope_freqs: Option<Vec<f32>>,
    backend: Backend,
    weight_bytes: u64,
}

/// Per-sequence state: the KV cache and scratch buffers, reused across calls.
#[derive(Clone, Debug)]
pub struct Context {
    cache: KvCache,
    acts: ActCache,
}

impl Context {
    /// Tokens already processed (the next token's position).
    pub fn n_past(&self) -> usize {
        self.cache.len()
    }

    /// Positions this context can hold.
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Forgets everything processed so far.
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    /// Keeps the first `n` positions only.
    pub fn truncate(&mut self, n: usize) {
        self.cache.truncate(n);
    }

    pub fn cache(&self) -> &KvCache {
        &self.cache
    }
}

/// Trailing 1s do not change a shape (GGUF writers may keep them).
fn trimmed(dims: &[u64]) -> &[u64] {
    let mut n = dims.len();
    while n > 1 && dims[n - 1] == 1 {
        n -= 1;
    }
    &dims[..n]
}

/// Maps a tensor (and its byte range in the file) to the bytes the model reads it from.
type Locate<'a> = dyn Fn(&TensorInfo, std::ops::Range<u64>) -> Result<TensorBytes, InferError> + 'a;

/// Finds tensors and the bytes behind them.
struct Loader<'a> {
    file: &'a GgufFile,
    locate: &'a Locate<'a>,
    backend: Backend,
    bytes: u64,
}

impl<'a> Loader<'a> {
    fn info(&self, name: &str) -> Option<(usize, &'a TensorInfo)> {
        let file: &'a GgufFile = self.file;
        file.tensor(name)
    }

    fn data(&self, index: usize, info: &TensorInfo) -> Result<TensorBytes, InferError> {
        let range = self
            .file
            .tensor_range(index)
            .ok_or_else(|| InferError::TensorData {
                name: info.name.clone(),
                reason: "its byte range overflows".into(),
            })?;
        (self.locate)(info, range)
    }

    fn check_shape(info: &TensorInfo, expected: &[u64]) -> Result<(), InferError> {
        if trimmed(&info.dims) != trimmed(expected) {
            return Err(InferError::TensorShape {
                name: info.name.clone(),
                expected: expected.to_vec(),
                got: info.dims.clone(),
            });
        }
        Ok(())
    }

    /// A 2-D weight `[n_in, n_out]`.
    fn weight(&mut self, name: &str, n_in: usize, n_out: usize) -> Result<Weight, InferError> {
        let (i, info) = self
            .info(name)
            .ok_or_else(|| InferError::MissingTensor(name.to_owned()))?;
        Self::check_shape(info, &[n_in as u64, n_out as u64])?;
        let data = self.data(i, info)?;
        self.bytes += data.len() as u64;
        Weight::new(name, info.ggml_type, n_in, n_out, data, self.backend)
    }

    /// A vector (norm weight, bias, rope factors) converted to f32.
    fn vector(&mut self, name: &str, n: usize) -> Result<Option<Vec<f32>>, InferError> {
        let Some((i, info)) = self.info(name) else {
            return Ok(None);
        };
        Self::check_shape(info, &[n as u64])?;
        let data = self.data(i, info)?;
        self.bytes += data.len() as u64;
        let mut out = vec![0f32; n];
        quant::dequantize_row(info.ggml_type, data.bytes(), &mut out).map_err(|_| {
            InferError::TensorType {
                name: name.to_owned(),
                ty: info.ggml_type,
            }
        })?;
        Ok(Some(out))
    }

    fn need_vector(&mut self, name: &str, n: usize) -> Result<Vec<f32>, InferError> {
        self.vector(name, n)?
            .ok_or_else(|| InferError::MissingTensor(name.to_owned()))
    }
}

impl Model {
    /// A model over a whole GGUF file held in `bytes` (the same bytes `file` was parsed from).
    pub fn from_gguf(
        file: &GgufFile,
        bytes: SharedBytes,
        backend: Backend,
    ) -> Result<Model, InferError> {
        let locate = |info: &TensorInfo, r: std::ops::Range<u64>| {
            let range = (usize::try_from(r.start).ok(), usize::try_from(r.end).ok());
            match range {
                (Some(s), Some(e)) => TensorBytes::new(bytes.clone(), s..e),
                _ => None,
            }
            .ok_or_else(|| InferError::TensorData {
                name: info.name.clone(),
                reason: "past the end of the buffer".into(),
            })
        };
        Self::build(file, &locate, backend)
    }

    /// A model whose file is held as several buffers: `(offset in the file, bytes)`. Each
    /// tensor must lie entirely inside one buffer (the web worker splits at tensor boundaries).
    pub fn from_gguf_chunks(
        file: &GgufFile,
        chunks: &[(u64, SharedBytes)],
        backend: Backend,
    ) -> Result<Model, InferError> {
        let locate = |info: &TensorInfo, r: std::ops::Range<u64>| {
            for (off, buf) in chunks {
                let len = (**buf).as_ref().len() as u64;
                if r.start >= *off && r.end <= off + len {
                    let s = (r.start - off) as usize;
                    let e = (r.end - off) as usize;
                    if let Some(t) = TensorBytes::new(buf.clone(), s..e) {
                        return Ok(t);
                    }
                }
            }
            Err(InferError::TensorData {
                name: info.name.clone(),
                reason: format!("no single chunk holds file bytes {r:?}"),
            })
        };
        Self::build(file, &locate, backend)
    }

    fn build(file: &GgufFile, locate: &Locate<'_>, backend: Backend) -> Result<Model, InferError> {
        let mut ld = Loader {
            file,
            locate,
            backend,
            bytes: 0,
        };
        let (_, embd_info) = ld
            .info("token_embd.weight")
            .ok_or_else(|| InferError::MissingTensor("token_embd.weight".into()))?;
        let n_vocab = trimmed(&embd_info.dims).get(1).copied().unwrap_or(1) as usize;
        let hp = Hparams::from_gguf(file, n_vocab)?;
        let e = hp.n_embd;
        let tok_embd = ld.weight("token_embd.weight", e, n_vocab)?;
        let output_norm = ld.need_vector("output_norm.weight", e)?;
        let (output, tied_output) = if ld.info("output.weight").is_some() {
            (ld.weight("output.weight", e, n_vocab)?, false)
        } else {
            (tok_embd.clone(), true)
        };
        let rope_freqs = ld.vector("rope_freqs.weight", hp.n_rot / 2)?;
        let mut layers = Vec::with_capacity(hp.n_layer);
        for i in 0..hp.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}");
            layers.push(Layer {
                attn_norm: ld.need_vector(&n("attn_norm.weight"), e)?,
                wq: ld.weight(&n("attn_q.weight"), e, hp.q_dim())?,
                wk: ld.weight(&n("attn_k.weight"), e, hp.kv_dim())?,
                wv: ld.weight(&n("attn_v.weight"), e, hp.v_dim())?,
                wo: ld.weight(&n("attn_output.weight"), hp.n_head * hp.head_dim_v, e)?,
                bq: ld.vector(&n("attn_q.bias"), hp.q_dim())?,
                bk: ld.vector(&n("attn_k.bias"), hp.kv_dim())?,
                bv: ld.vector(&n("attn_v.bias"), hp.v_dim())?,
                ffn_norm: ld.need_vector(&n("ffn_norm.weight"), e)?,
                w_gate: ld.weight(&n("ffn_gate.weight"), e, hp.n_ff)?,
                w_up: ld.weight(&n("ffn_up.weight"), e, hp.n_ff)?,
                w_down: ld.weight(&n("ffn_down.weight"), hp.n_ff, e)?,
            });
        }
        Ok(Model {
            hp,
            tok_embd,
            output_norm,
            output,
            tied_output,
            layers,
            rope_freqs,
            backend,
            weight_bytes: ld.bytes,
        })
    }

    pub fn hparams(&self) -> &Hparams {
        &self.hp
    }

    pub fn n_vocab(&self) -> usize {
        self.hp.n_vocab
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the output projection is the token embedding.
    pub fn tied_output(&self) -> bool {
        self.tied_output
    }

    /// Switches every weight to `backend`'s kernels.
    pub fn set_backend(&mut self, backend: Backend) -> Result<(), InferError> {
        self.tok_embd.set_backend(backend)?;
        self.output.set_backend(backend)?;
        for l in &mut self.layers {
            for w in [
                &mut l.wq,
                &mut l.wk,
                &mut l.wv,
                &mut l.wo,
                &mut l.w_gate,
                &mut l.w_up,
                &mut l.w_down,
            ] {
                w.set_backend(backend)?;
            }
        }
        self.backend = backend;
        Ok(())
    }

    /// Bytes of tensor data the model uses (each tensor once).
    pub fn weight_bytes(&self) -> u64 {
        self.weight_bytes
    }

    /// Bytes of weights read to decode one token: every layer matrix and the output matrix
    /// (the embedding contributes one row). What bounds decode speed by memory bandwidth.
    pub fn bytes_per_token(&self) -> u64 {
        let mut b = self.output.bytes().len() as u64 + self.tok_embd.row_bytes() as u64;
        for l in &self.layers {
            for w in [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down] {
                b += w.bytes().len() as u64;
            }
        }
        b
    }

    /// The ggml type of each matrix, by tensor name (for reports).
    pub fn weight_types(&self) -> Vec<(String, GgmlType)> {
        let mut v = vec![(self.tok_embd.name.clone(), self.tok_embd.ty)];
        if !self.tied_output {
            v.push((self.output.name.clone(), self.output.ty));
        }
        for l in &self.layers {
            for w in [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down] {
                v.push((w.name.clone(), w.ty));
            }
        }
        v
    }

    /// A fresh context holding up to `n_ctx` positions.
    pub fn new_context(&self, n_ctx: usize) -> Result<Context, InferError> {
        Ok(Context {
            cache: KvCache::new(&self.hp, n_ctx)?,
            acts: ActCache::default(),
        })
    }

    /// Runs `tokens` at positions `ctx.n_past()..` and returns the logits of the rows `outputs`
    /// asks for, row after row (`n_vocab` each).
    pub fn forward(
        &self,
        ctx: &mut Context,
        tokens: &[u32],
        outputs: Outputs,
    ) -> Result<Vec<f32>, InferError> {
        self.forward_with(ctx, tokens, outputs, &mut |_, _| {})
    }

    /// As [`forward`](Self::forward), calling `on_layer(l, hidden)` with the hidden state
    /// (`tokens.len()` rows of `n_embd`) after each layer `l`: how per-layer error is measured.
    pub fn forward_with(
        &self,
        ctx: &mut Context,
        tokens: &[u32],
        outputs: Outputs,
        on_layer: &mut dyn FnMut(usize, &[f32]),
    ) -> Result<Vec<f32>, InferError> {
        let hp = &self.hp;
        let nt = tokens.len();
        if nt == 0 {
            return Err(InferError::Empty("no tokens to process"));
        }
        let p0 = ctx.cache.len();
        if p0 + nt > ctx.cache.capacity() {
            return Err(InferError::ContextFull {
                n_ctx: ctx.cache.capacity(),
                needed: p0 + nt,
            });
        }
        let out_rows = match outputs {
            Outputs::None => 0..0,
            Outputs::Last => nt - 1..nt,
            Outputs::All => 0..nt,
            Outputs::From(i) => i.min(nt)..nt,
        };
        let e = hp.n_embd;
        let mut x = vec![0f32; nt * e];
        for (&t, row) in tokens.iter().zip(x.chunks_exact_mut(e)) {
            if t as usize >= hp.n_vocab {
                return Err(InferError::TokenOutOfRange {
                    token: t,
                    n_vocab: hp.n_vocab,
                });
            }
            self.tok_embd.dequantize_row(t as usize, row)?;
        }

        let (qd, kd, vd) = (hp.q_dim(), hp.kv_dim(), hp.v_dim());
        let ad = hp.n_head * hp.head_dim_v;
        let mut xn = vec![0f32; nt * e];
        let mut q = vec![0f32; nt * qd];
        let mut k = vec![0f32; nt * kd];
        let mut v = vec![0f32; nt * vd];
        let mut att = vec![0f32; nt * ad];
        let mut proj = vec![0f32; nt * e];
        let mut gate = vec![0f32; nt * hp.n_ff];
        let mut up = vec![0f32; nt * hp.n_ff];
        let rope = self.rope_table(p0, nt);

        for (li, l) in self.layers.iter().enumerate() {
            // Attention block.
            norm_rows(&x, &l.attn_norm, hp.rms_eps, &mut xn);
            ctx.acts.invalidate();
            matmul(&l.wq, ctx.acts.get(l.wq.act_type(), &xn, nt, e)?, &mut q)?;
            matmul(&l.wk, ctx.acts.get(l.wk.act_type(), &xn, nt, e)?, &mut k)?;
            matmul(&l.wv, ctx.acts.get(l.wv.act_type(), &xn, nt, e)?, &mut v)?;
            add_bias(&mut q, l.bq.as_deref());
            add_bias(&mut k, l.bk.as_deref());
            add_bias(&mut v, l.bv.as_deref());
            self.apply_rope(&mut q, hp.n_head, &rope);
            self.apply_rope(&mut k, hp.n_head_kv, &rope);
            ctx.cache.store(li, p0, &k, &v);
            attention(hp, &ctx.cache, li, p0, &q, &mut att);
            ctx.acts.invalidate();
            matmul(
                &l.wo,
                ctx.acts.get(l.wo.act_type(), &att, nt, ad)?,
                &mut proj,
            )?;
            add_into(&mut x, &proj);

            // Feed-forward block.
            norm_rows(&x, &l.ffn_norm, hp.rms_eps, &mut xn);
            ctx.acts.invalidate();
            matmul(
                &l.w_gate,
                ctx.acts.get(l.w_gate.act_type(), &xn, nt, e)?,
                &mut gate,
            )?;
            matmul(
                &l.w_up,
                ctx.acts.get(l.w_up.act_type(), &xn, nt, e)?,
                &mut up,
            )?;
            for (g, u) in gate.iter_mut().zip(&up) {
                *g = silu(*g) * u;
            }
            ctx.acts.invalidate();
            matmul(
                &l.w_down,
                ctx.acts.get(l.w_down.act_type(), &gate, nt, hp.n_ff)?,
                &mut proj,
            )?;
            add_into(&mut x, &proj);
            on_layer(li, &x);
        }
        ctx.cache.set_len(p0 + nt);

        let n_out = out_rows.len();
        if n_out == 0 {
            return Ok(Vec::new());
        }
        let sel = &x[out_rows.start * e..out_rows.end * e];
        let mut normed = vec![0f32; n_out * e];
        norm_rows(sel, &self.output_norm, hp.rms_eps, &mut normed);
        ctx.acts.invalidate();
        let mut logits = vec![0f32; n_out * hp.n_vocab];
        let acts = ctx.acts.get(self.output.act_type(), &normed, n_out, e)?;
        matmul(&self.output, acts, &mut logits)?;
        Ok(logits)
    }

    /// cos/sin of every rotated pair for positions `p0..p0 + n`: `n` rows of `n_rot` values
    /// (`cos, sin` interleaved), as `ggml_rope_cache_init` fills its cache.
    fn rope_table(&self, p0: usize, n: usize) -> Vec<f32> {
        let hp = &self.hp;
        let half = hp.n_rot / 2;
        let theta_scale = hp.rope_base.powf(-2.0 / hp.n_rot as f32);
        let mut table = vec![0f32; n * hp.n_rot];
        for (t, row) in table.chunks_exact_mut(hp.n_rot.max(1)).enumerate().take(n) {
            let mut theta = (p0 + t) as f32;
            for i in 0..half {
                let ff = self.rope_freqs.as_ref().map_or(1.0, |f| f[i]);
                let angle = hp.rope_freq_scale * (theta / ff);
                row[2 * i] = angle.cos();
                row[2 * i + 1] = angle.sin();
                theta *= theta_scale;
            }
        }
        table
    }

    /// Rotates the first `n_rot` dimensions of every head of every row.
    fn apply_rope(&self, x: &mut [f32], n_heads: usize, table: &[f32]) {
        let hp = &self.hp;
        let (hd, half) = (hp.head_dim, hp.n_rot / 2);
        if half == 0 {
            return;
        }
        let row_len = n_heads * hd;
        for (row, cs) in x
            .chunks_exact_mut(row_len)
            .zip(table.chunks_exact(hp.n_rot))
        {
            for head in row.chunks_exact_mut(hd) {
                for i in 0..half {
                    let (c, s) = (cs[2 * i], cs[2 * i + 1]);
                    let (a, b) = match hp.rope_kind {
                        RopeKind::Norm => (2 * i, 2 * i + 1),
                        RopeKind::Neox => (i, i + half),
                    };
                    let (x0, x1) = (head[a], head[b]);
                    head[a] = x0 * c - x1 * s;
                    head[b] = x0 * s + x1 * c;
                }
            }
        }
    }
}

/// Causal grouped-query attention for the batch's queries at positions `p0..`, reading keys
/// and values (already stored for the batch) from the cache.
///
/// On x86-64 with AVX2 the same code is compiled once more with 256-bit vectors: the f32 dot
/// products and weighted sums do the same lane-wise adds and multiplies in the same order (Rust
/// never fuses them into FMAs), so the result is bit-identical (tested), in half the
/// instructions of the SSE2 baseline. Attention is a tenth of decode time at a few hundred
/// positions.
fn attention(hp: &Hparams, cache: &KvCache, layer: usize, p0: usize, q: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected.
        unsafe { attention_avx2(hp, cache, layer, p0, q, out) };
        return;
    }
    attention_body(hp, cache, layer, p0, q, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn attention_avx2(
    hp: &Hparams,
    cache: &KvCache,
    layer: usize,
    p0: usize,
    q: &[f32],
    out: &mut [f32],
) {
    attention_body(hp, cache, layer, p0, q, out);
}

#[inline(always)]
fn attention_body(
    hp: &Hparams,
    cache: &KvCache,
    layer: usize,
    p0: usize,
    q: &[f32],
    out: &mut [f32],
) {
    let (hd, hdv) = (hp.head_dim, hp.head_dim_v);
    let (qd, kd, vd) = (hp.q_dim(), hp.kv_dim(), hp.v_dim());
    let group = hp.n_head / hp.n_head_kv;
    let scale = 1.0 / (hd as f32).sqrt();
    let nt = q.len() / qd;
    let n_all = p0 + nt;
    let keys = cache.keys(layer, n_all);
    let values = cache.values(layer, n_all);
    let mut scores = vec![0f32; n_all];
    for t in 0..nt {
        let n_kv = p0 + t + 1;
        for h in 0..hp.n_head {
            let g = h / group;
            let qh = &q[t * qd + h * hd..t * qd + (h + 1) * hd];
            let key = |j: usize| &keys[j * kd + g * hd..j * kd + (g + 1) * hd];
            let mut max = f32::NEG_INFINITY;
            // Four keys at a time: four independent dependency chains instead of one (each
            // product is still computed exactly as `dot_f32` does).
            let mut j = 0;
            while j + 4 <= n_kv {
                let d = dot4_f32(qh, [key(j), key(j + 1), key(j + 2), key(j + 3)]);
                for (s, d) in scores[j..j + 4].iter_mut().zip(d) {
                    *s = d * scale;
                    max = max.max(*s);
                }
                j += 4;
            }
            for (j, s) in scores[..n_kv].iter_mut().enumerate().skip(j) {
                *s = dot_f32(qh, key(j)) * scale;
                max = max.max(*s);
            }
            let mut sum = 0f64;
            for s in &mut scores[..n_kv] {
                *s = (*s - max).exp();
                sum += f64::from(*s);
            }
            let inv = (1.0 / sum) as f32;
            let o = &mut out[t * hp.n_head * hdv + h * hdv..t * hp.n_head * hdv + (h + 1) * hdv];
            // 64 outputs at a time in a local array the compiler keeps in registers (adding
            // into `o` itself stored and reloaded every element once per position); each
            // output still sums its terms from 0 in position order.
            let mut c = 0;
            while c + 64 <= hdv {
                let mut acc = [0f32; 64];
                for (j, &p) in scores[..n_kv].iter().enumerate() {
                    let vh: &[f32; 64] = values[j * vd + g * hdv + c..][..64]
                        .try_into()
                        .expect("64 values");
                    let w = p * inv;
                    for (a, &vi) in acc.iter_mut().zip(vh) {
                        *a += w * vi;
                    }
                }
                o[c..c + 64].copy_from_slice(&acc);
                c += 64;
            }
            let o = &mut o[c..];
            o.fill(0.0);
            for (j, &p) in scores[..n_kv].iter().enumerate() {
                let vh = &values[j * vd + g * hdv + c..j * vd + (g + 1) * hdv];
                let w = p * inv;
                for (oi, &vi) in o.iter_mut().zip(vh) {
                    *oi += w * vi;
                }
            }
        }
    }
}

/// A model shared between jobs (generation, evaluation) without copying.
pub type SharedModel = Arc<Model>;

fn norm_rows(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let n = w.len();
    for (r, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        rms_norm(r, w, eps, o);
    }
}

fn add_bias(x: &mut [f32], b: Option<&[f32]>) {
    if let Some(b) = b {
        for row in x.chunks_exact_mut(b.len()) {
            for (xi, bi) in row.iter_mut().zip(b) {
                *xi += bi;
            }
        }
    }
}

fn add_into(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// `x · sigmoid(x)`, as ggml's `ggml_silu_f32`.
#[inline]
fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// `dot_f32(a, b[k])` for four `b`s at once, each with exactly `dot_f32`'s operations.
#[inline(always)]
fn dot4_f32(a: &[f32], b: [&[f32]; 4]) -> [f32; 4] {
    let mut acc = [[0f32; 8]; 4];
    let (ca, ra) = a.as_chunks::<8>();
    let cb = b.map(|x| x.as_chunks::<8>());
    for (n, x) in ca.iter().enumerate() {
        for (acc, (cb, _)) in acc.iter_mut().zip(&cb) {
            let y = &cb[n];
            for i in 0..8 {
                acc[i] += x[i] * y[i];
            }
        }
    }
    let mut out = [0f32; 4];
    for ((o, acc), (_, rb)) in out.iter_mut().zip(&acc).zip(&cb) {
        let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
        for (x, y) in ra.iter().zip(*rb) {
            s += x * y;
        }
        *o = s;
    }
    out
}

/// f32 dot product with eight partial sums (lets the compiler vectorize the loop).
#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, ra) = a.as_chunks::<8>();
    let (cb, rb) = b.as_chunks::<8>();
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::hparams::Arch;

    /// The AVX2 build of attention gives the same bits as the baseline one (it only widens
    /// the vectors), on a grouped-query shape with a head size that is not a multiple of 8
    /// (nor of 64), and both give the same bits as the plain definition.
    /// Attention written out plainly: one key at a time, outputs summed in place.
    fn reference_attention(
        hp: &Hparams,
        cache: &KvCache,
        layer: usize,
        p0: usize,
        q: &[f32],
    ) -> Vec<f32> {
        let (hd, hdv) = (hp.head_dim, hp.head_dim_v);
        let (qd, kd, vd) = (hp.q_dim(), hp.kv_dim(), hp.v_dim());
        let group = hp.n_head / hp.n_head_kv;
        let scale = 1.0 / (hd as f32).sqrt();
        let nt = q.len() / qd;
        let keys = cache.keys(layer, p0 + nt);
        let values = cache.values(layer, p0 + nt);
        let mut out = vec![0f32; nt * hp.n_head * hdv];
        for t in 0..nt {
            let n_kv = p0 + t + 1;
            for h in 0..hp.n_head {
                let g = h / group;
                let qh = &q[t * qd + h * hd..t * qd + (h + 1) * hd];
                let mut scores: Vec<f32> = (0..n_kv)
                    .map(|j| dot_f32(qh, &keys[j * kd + g * hd..j * kd + (g + 1) * hd]) * scale)
                    .collect();
                let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
                let mut sum = 0f64;
                for s in &mut scores {
                    *s = (*s - max).exp();
                    sum += f64::from(*s);
                }
                let inv = (1.0 / sum) as f32;
                let o = &mut out[(t * hp.n_head + h) * hdv..(t * hp.n_head + h + 1) * hdv];
                for (j, &p) in scores.iter().enumerate() {
                    let w = p * inv;
                    for (i, oi) in o.iter_mut().enumerate() {
                        *oi += w * values[j * vd + g * hdv + i];
                    }
                }
            }
        }
        out
    }

    #[test]
    fn attention_avx2_equals_baseline_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::is_x86_feature_detected!("avx2") {
                return;
            }
            let hp = Hparams {
                arch: Arch::Llama,
                n_vocab: 16,
                n_embd: 6 * 76,
                n_layer: 2,
                n_head: 6,
                n_head_kv: 2,
                head_dim: 76,
                head_dim_v: 76,
                n_ff: 64,
                rms_eps: 1e-5,
                rope_base: 10000.0,
                rope_freq_scale: 1.0,
                n_rot: 76,
                rope_kind: RopeKind::Norm,
                n_ctx_train: 64,
            };
            let mut state = 0x1234_5678_9ABC_DEF0u64;
            let mut rnd = move || {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 4.0 - 2.0
            };
            let mut cache = KvCache::new(&hp, 40).unwrap();
            // Positions 30..33: key counts 31, 32, 33 (whole groups of four and leftovers).
            let (p0, nt) = (30, 3);
            for pos in 0..p0 + nt {
                let k: Vec<f32> = (0..hp.kv_dim()).map(|_| rnd()).collect();
                let v: Vec<f32> = (0..hp.v_dim()).map(|_| rnd()).collect();
                cache.store(1, pos, &k, &v);
            }
            let q: Vec<f32> = (0..nt * hp.q_dim()).map(|_| rnd()).collect();
            let n_out = nt * hp.n_head * hp.head_dim_v;
            let (mut base, mut fast) = (vec![0f32; n_out], vec![0f32; n_out]);
            attention_body(&hp, &cache, 1, p0, &q, &mut base);
            // SAFETY: AVX2 was detected above.
            unsafe { attention_avx2(&hp, &cache, 1, p0, &q, &mut fast) };
            assert!(base.iter().any(|&x| x != 0.0));
            let plain = reference_attention(&hp, &cache, 1, p0, &q);
            for (i, (b, p)) in base.iter().zip(&plain).enumerate() {
                assert_eq!(b.to_bits(), p.to_bits(), "element {i}: {b} vs plain {p}");
            }
            for (i, (b, f)) in base.iter().zip(&fast).enumerate() {
                assert_eq!(b.to_bits(), f.to_bits(), "element {i}: {b} vs {f}");
            }
        }
    }
}
