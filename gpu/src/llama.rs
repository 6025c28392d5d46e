//! A Llama-family transformer (llama, Mistral, SmolLM, Qwen2 with Q/K/V biases) on the GPU
//! kernels: the same computation as `bitsmith_engine::infer::model`, with f32 activations
//! instead of the CPU path's Q8 ones.
//!
//! Per layer (12 dispatches, all recorded into one [`Batch`]):
//!
//! ```text
//! xn = rms_norm(x)·attn_norm
//! q = Wq·xn + bq;   K[p0..] = Wk·xn + bk;   V[p0..] = Wv·xn + bv     (K/V written into the cache)
//! rope(q); rope(K[p0..])
//! x += Wo · attention(q, K[..p0+n], V[..p0+n])
//! xn = rms_norm(x)·ffn_norm
//! x += Wdown · (silu(Wgate·xn) ⊙ Wup·xn)
//! ```
//!
//! A whole forward pass (every layer, the final norm and the output matrix) is one submit and
//! one read-back. The token embedding lookup runs on the CPU (one row dequantized per token,
//! as the CPU path does) and so does the RoPE cos/sin table (`ops::rope_cache`).

use bitsmith_engine::gguf::{GgufFile, TensorInfo};
use bitsmith_engine::infer::{
    Backend, Hparams, InferError, Outputs, SharedBytes, TensorBytes, Weight,
};
use bitsmith_engine::ops::{AttnShape, rope_cache};
use bitsmith_engine::quant;

use crate::{Batch, Gpu, GpuBuffer, GpuError, GpuWeight, MatvecOpts, RopeShape};

/// Why a model could not be put on the GPU or run there.
#[derive(Debug, thiserror::Error)]
pub enum LlamaError {
    #[error(transparent)]
    Model(#[from] InferError),
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

/// One transformer block's weights on the GPU.
pub struct GpuLayer {
    attn_norm: GpuBuffer,
    wq: GpuWeight,
    wk: GpuWeight,
    wv: GpuWeight,
    wo: GpuWeight,
    bq: Option<GpuBuffer>,
    bk: Option<GpuBuffer>,
    bv: Option<GpuBuffer>,
    ffn_norm: GpuBuffer,
    w_gate: GpuWeight,
    w_up: GpuWeight,
    w_down: GpuWeight,
}

/// A model whose weights live on the GPU.
pub struct GpuLlama {
    hp: Hparams,
    /// The embedding stays on the CPU: a lookup is one row per token.
    tok_embd: Weight,
    output_norm: GpuBuffer,
    output: GpuWeight,
    layers: Vec<GpuLayer>,
    rope_freqs: Option<Vec<f32>>,
}

/// Per-sequence state on the GPU: the f32 KV cache (one K and one V buffer per layer,
/// `capacity` rows of `kv_dim` / `v_dim`, the same layout as the CPU's `KvCache`), and the
/// activation buffers of the last pass, kept so that every decode step binds the very same
/// buffers (and so reuses every bind group made for the first step).
pub struct GpuContext {
    k: Vec<GpuBuffer>,
    v: Vec<GpuBuffer>,
    capacity: usize,
    len: usize,
    scratch: Option<Scratch>,
}

impl GpuContext {
    /// Tokens processed so far (the next token's position).
    pub fn n_past(&self) -> usize {
        self.len
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets everything processed.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `n` positions.
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }
}

/// The activation buffers of a forward pass, for up to `tokens` tokens at once (from the pool).
#[derive(Clone)]
struct Scratch {
    tokens: usize,
    x: GpuBuffer,
    xn: GpuBuffer,
    q: GpuBuffer,
    att: GpuBuffer,
    gate: GpuBuffer,
    up: GpuBuffer,
    table: GpuBuffer,
    logits: GpuBuffer,
}

fn trimmed(dims: &[u64]) -> &[u64] {
    let mut n = dims.len();
    while n > 1 && dims[n - 1] == 1 {
        n -= 1;
    }
    &dims[..n]
}

/// Finds the bytes of the file range `start..end` (one tensor's data).
type Locate<'a> = dyn Fn(u64, u64) -> Option<TensorBytes> + 'a;

struct Loader<'a> {
    gpu: &'a Gpu,
    file: &'a GgufFile,
    locate: &'a Locate<'a>,
}

impl Loader<'_> {
    fn find(&self, name: &str) -> Option<(&TensorInfo, TensorBytes)> {
        let (i, info) = self.file.tensor(name)?;
        let r = self.file.tensor_range(i)?;
        Some((info, (self.locate)(r.start, r.end)?))
    }

    fn need(&self, name: &str, shape: &[u64]) -> Result<(&TensorInfo, TensorBytes), InferError> {
        let (info, data) = self
            .find(name)
            .ok_or_else(|| InferError::MissingTensor(name.to_owned()))?;
        if trimmed(&info.dims) != trimmed(shape) {
            return Err(InferError::TensorShape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                got: info.dims.clone(),
            });
        }
        Ok((info, data))
    }

    fn weight(&self, name: &str, n_in: usize, n_out: usize) -> Result<GpuWeight, LlamaError> {
        let (info, data) = self.need(name, &[n_in as u64, n_out as u64])?;
        Ok(self
            .gpu
            .upload_weight(info.ggml_type, data.bytes(), n_in, n_out)?)
    }

    fn vector_f32(&self, name: &str, n: usize) -> Result<Option<Vec<f32>>, InferError> {
        if self.find(name).is_none() {
            return Ok(None);
        }
        let (info, data) = self.need(name, &[n as u64])?;
        let mut out = vec![0f32; n];
        quant::dequantize_row(info.ggml_type, data.bytes(), &mut out).map_err(|_| {
            InferError::TensorType {
                name: name.to_owned(),
                ty: info.ggml_type,
            }
        })?;
        Ok(Some(out))
    }

    fn vector(&self, name: &str, n: usize) -> Result<Option<GpuBuffer>, InferError> {
        Ok(self
            .vector_f32(name, n)?
            .map(|v| self.gpu.upload_words(bytemuck::cast_slice(&v), name)))
    }

    fn need_vector(&self, name: &str, n: usize) -> Result<GpuBuffer, InferError> {
        self.vector(name, n)?
            .ok_or_else(|| InferError::MissingTensor(name.to_owned()))
    }
}

impl GpuLlama {
    /// Uploads the model in `file` (parsed from `bytes`) to the GPU. Fails with a typed error
    /// on a missing tensor, a wrong shape, or a weight type the kernels do not decode.
    pub fn from_gguf(
        gpu: &Gpu,
        file: &GgufFile,
        bytes: SharedBytes,
    ) -> Result<GpuLlama, LlamaError> {
        let locate = |start: u64, end: u64| {
            let range = usize::try_from(start).ok()?..usize::try_from(end).ok()?;
            TensorBytes::new(bytes.clone(), range)
        };
        Self::build(gpu, file, &locate)
    }

    /// The same from a file held as several buffers, `(offset in the file, bytes)`, each
    /// tensor inside one of them: how the browser worker holds a model it read from IndexedDB
    /// (and shares with the CPU model, so uploading copies nothing in wasm memory).
    pub fn from_gguf_chunks(
        gpu: &Gpu,
        file: &GgufFile,
        chunks: &[(u64, SharedBytes)],
    ) -> Result<GpuLlama, LlamaError> {
        let locate = |start: u64, end: u64| {
            chunks.iter().find_map(|(off, buf)| {
                let len = (**buf).as_ref().len() as u64;
                if start >= *off && end <= off + len {
                    TensorBytes::new(buf.clone(), (start - off) as usize..(end - off) as usize)
                } else {
                    None
                }
            })
        };
        Self::build(gpu, file, &locate)
    }

    fn build(gpu: &Gpu, file: &GgufFile, locate: &Locate<'_>) -> Result<GpuLlama, LlamaError> {
        let ld = Loader { gpu, file, locate };
        let (embd_info, embd_data) = ld
            .find("token_embd.weight")
            .ok_or_else(|| InferError::MissingTensor("token_embd.weight".into()))?;
        let n_vocab = trimmed(&embd_info.dims).get(1).copied().unwrap_or(1) as usize;
        let hp = Hparams::from_gguf(file, n_vocab)?;
        let e = hp.n_embd;
        let tok_embd = Weight::new(
            "token_embd.weight",
            embd_info.ggml_type,
            e,
            n_vocab,
            embd_data,
            Backend::Scalar,
        )?;
        let output = if ld.find("output.weight").is_some() {
            ld.weight("output.weight", e, n_vocab)?
        } else {
            ld.weight("token_embd.weight", e, n_vocab)?
        };
        let mut layers = Vec::with_capacity(hp.n_layer);
        for i in 0..hp.n_layer {
            let n = |s: &str| format!("blk.{i}.{s}");
            layers.push(GpuLayer {
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
        Ok(GpuLlama {
            output_norm: ld.need_vector("output_norm.weight", e)?,
            rope_freqs: ld.vector_f32("rope_freqs.weight", hp.n_rot / 2)?,
            hp,
            tok_embd,
            output,
            layers,
        })
    }

    pub fn hparams(&self) -> &Hparams {
        &self.hp
    }

    /// A fresh context (KV cache) of `n_ctx` positions.
    pub fn new_context(&self, gpu: &Gpu, n_ctx: usize) -> Result<GpuContext, LlamaError> {
        if n_ctx == 0 {
            return Err(InferError::Config("the context size must be at least 1".into()).into());
        }
        let (kd, vd) = (self.hp.kv_dim(), self.hp.v_dim());
        let max = gpu.report.max_storage_buffer_binding_size as usize / 4;
        if n_ctx.saturating_mul(kd.max(vd)) > max {
            return Err(GpuError::Input(format!(
                "a KV cache of {n_ctx} positions exceeds the device's largest binding"
            ))
            .into());
        }
        let zeros = |n: usize| gpu.upload_words(&vec![0u32; n], "kv cache");
        Ok(GpuContext {
            k: (0..self.hp.n_layer).map(|_| zeros(n_ctx * kd)).collect(),
            v: (0..self.hp.n_layer).map(|_| zeros(n_ctx * vd)).collect(),
            capacity: n_ctx,
            len: 0,
            scratch: None,
        })
    }

    fn check_room(&self, ctx: &GpuContext, p0: usize, nt: usize) -> Result<(), LlamaError> {
        if nt == 0 {
            return Err(InferError::Empty("no tokens to process").into());
        }
        if p0 + nt > ctx.capacity {
            return Err(InferError::ContextFull {
                n_ctx: ctx.capacity,
                needed: p0 + nt,
            }
            .into());
        }
        Ok(())
    }

    /// The context's activation buffers, made (or remade larger) for `nt` tokens, with the
    /// RoPE table of positions `p0..p0 + nt` written.
    fn scratch(
        &self,
        gpu: &Gpu,
        ctx: &mut GpuContext,
        nt: usize,
        p0: usize,
    ) -> Result<Scratch, GpuError> {
        let hp = &self.hp;
        let fits = ctx.scratch.as_ref().is_some_and(|s| s.tokens >= nt);
        if !fits {
            ctx.scratch = Some(Scratch {
                tokens: nt,
                x: gpu.scratch(nt * hp.n_embd),
                xn: gpu.scratch(nt * hp.n_embd.max(hp.n_head * hp.head_dim_v)),
                q: gpu.scratch(nt * hp.q_dim()),
                att: gpu.scratch(nt * hp.n_head * hp.head_dim_v),
                gate: gpu.scratch(nt * hp.n_ff),
                up: gpu.scratch(nt * hp.n_ff),
                table: gpu.scratch(nt * hp.n_rot),
                logits: gpu.scratch(nt * hp.n_vocab),
            });
        }
        let s = ctx.scratch.clone().expect("made above");
        let table = rope_cache(
            p0,
            nt,
            hp.n_rot,
            hp.rope_base,
            hp.rope_freq_scale,
            self.rope_freqs.as_deref(),
        );
        gpu.write(s.table.at(0), &table)?;
        Ok(s)
    }

    /// Records layer `li` for `nt` tokens at positions `p0..` on the hidden states in `s.x`.
    fn encode_layer(
        &self,
        b: &mut Batch<'_>,
        ctx: &GpuContext,
        li: usize,
        s: &Scratch,
        p0: usize,
        nt: usize,
    ) -> Result<(), GpuError> {
        let hp = &self.hp;
        let l = &self.layers[li];
        let (e, kd, vd) = (hp.n_embd, hp.kv_dim(), hp.v_dim());
        let (kc, vc) = (&ctx.k[li], &ctx.v[li]);
        fn bias(v: &Option<GpuBuffer>) -> MatvecOpts<'_> {
            MatvecOpts {
                accumulate: false,
                bias: v.as_ref().map(|b| b.at(0)),
            }
        }
        let add = MatvecOpts {
            accumulate: true,
            bias: None,
        };
        b.rms_norm(s.x.at(0), &l.attn_norm, s.xn.at(0), e, nt, hp.rms_eps)?;
        b.matvec(&l.wq, s.xn.at(0), s.q.at(0), nt, bias(&l.bq))?;
        b.matvec(&l.wk, s.xn.at(0), kc.at(p0 * kd), nt, bias(&l.bk))?;
        b.matvec(&l.wv, s.xn.at(0), vc.at(p0 * vd), nt, bias(&l.bv))?;
        let rope = |n_heads| RopeShape {
            n_heads,
            head_dim: hp.head_dim,
            n_rot: hp.n_rot,
            kind: hp.rope_kind,
        };
        b.rope(s.q.at(0), s.table.at(0), nt, rope(hp.n_head))?;
        b.rope(kc.at(p0 * kd), s.table.at(0), nt, rope(hp.n_head_kv))?;
        let shape = AttnShape {
            n_head: hp.n_head,
            n_head_kv: hp.n_head_kv,
            head_dim: hp.head_dim,
            head_dim_v: hp.head_dim_v,
        };
        b.attention(s.q.at(0), kc.at(0), vc.at(0), s.att.at(0), shape, p0, nt)?;
        b.matvec(&l.wo, s.att.at(0), s.x.at(0), nt, add)?;
        b.rms_norm(s.x.at(0), &l.ffn_norm, s.xn.at(0), e, nt, hp.rms_eps)?;
        b.matvec(
            &l.w_gate,
            s.xn.at(0),
            s.gate.at(0),
            nt,
            MatvecOpts::default(),
        )?;
        b.matvec(&l.w_up, s.xn.at(0), s.up.at(0), nt, MatvecOpts::default())?;
        b.swiglu(s.gate.at(0), s.up.at(0), nt * hp.n_ff)?;
        b.matvec(&l.w_down, s.gate.at(0), s.x.at(0), nt, add)
    }

    /// Runs layer `li` alone on the hidden states `x` (`n` rows of `n_embd`) of the tokens at
    /// positions `p0..p0 + n`, attending over layer `li`'s cache positions `0..p0` (filled by
    /// earlier calls) and storing the new keys and values there, and returns the layer's
    /// output. For checking one layer against the CPU's forward pass: the context's position
    /// does not advance and other layers' caches are untouched.
    pub async fn run_layer(
        &self,
        gpu: &Gpu,
        ctx: &mut GpuContext,
        li: usize,
        x: &[f32],
        p0: usize,
    ) -> Result<Vec<f32>, LlamaError> {
        let e = self.hp.n_embd;
        if li >= self.layers.len() || x.is_empty() || !x.len().is_multiple_of(e) {
            return Err(GpuError::Input(format!(
                "layer {li} of {} on {} values (rows of {e})",
                self.layers.len(),
                x.len()
            ))
            .into());
        }
        let nt = x.len() / e;
        self.check_room(ctx, p0, nt)?;
        let s = self.scratch(gpu, ctx, nt, p0)?;
        gpu.write(s.x.at(0), x)?;
        let mut b = gpu.batch();
        self.encode_layer(&mut b, ctx, li, &s, p0, nt)?;
        Ok(b.submit_and_read(s.x.at(0), nt * e).await?)
    }

    /// The embedding rows of `tokens` (computed on the CPU, as the forward pass does).
    pub fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, LlamaError> {
        let (e, n_vocab) = (self.hp.n_embd, self.hp.n_vocab);
        let mut x = vec![0f32; tokens.len() * e];
        for (&t, row) in tokens.iter().zip(x.chunks_exact_mut(e)) {
            if t as usize >= n_vocab {
                return Err(InferError::TokenOutOfRange { token: t, n_vocab }.into());
            }
            self.tok_embd.dequantize_row(t as usize, row)?;
        }
        Ok(x)
    }

    /// Runs `tokens` at positions `ctx.n_past()..` through every layer and returns the logits
    /// of the rows `outputs` asks for (`n_vocab` each), as `Model::forward` does on the CPU.
    /// One submit and one read-back for the whole pass.
    pub async fn forward(
        &self,
        gpu: &Gpu,
        ctx: &mut GpuContext,
        tokens: &[u32],
        outputs: Outputs,
    ) -> Result<Vec<f32>, LlamaError> {
        let hp = &self.hp;
        let (p0, nt) = (ctx.len, tokens.len());
        self.check_room(ctx, p0, nt)?;
        let e = hp.n_embd;
        let x = self.embed(tokens)?;
        let s = self.scratch(gpu, ctx, nt, p0)?;
        gpu.write(s.x.at(0), &x)?;
        let mut b = gpu.batch();
        for li in 0..self.layers.len() {
            self.encode_layer(&mut b, ctx, li, &s, p0, nt)?;
        }
        let rows = match outputs {
            Outputs::None => 0..0,
            Outputs::Last => nt - 1..nt,
            Outputs::All => 0..nt,
            Outputs::From(i) => i.min(nt)..nt,
        };
        let n_out = rows.len();
        if n_out == 0 {
            b.submit()?;
            ctx.len = p0 + nt;
            return Ok(Vec::new());
        }
        let logits = &s.logits;
        let at = rows.start * e;
        b.rms_norm(
            s.x.at(at),
            &self.output_norm,
            s.xn.at(0),
            e,
            n_out,
            hp.rms_eps,
        )?;
        b.matvec(
            &self.output,
            s.xn.at(0),
            logits.at(0),
            n_out,
            MatvecOpts::default(),
        )?;
        let out = b.submit_and_read(logits.at(0), n_out * hp.n_vocab).await?;
        ctx.len = p0 + nt;
        Ok(out)
    }

    /// Dispatches one forward pass of `n` tokens records (12 per layer, plus 2 for logits).
    pub fn dispatches_per_pass(&self) -> usize {
        12 * self.layers.len() + 2
    }
}
