//! The WGSL kernels: sources, binding layouts, and the [`Batch`] methods that record them.
//!
//! Every method checks its arguments against the buffers (typed [`GpuError::Input`] errors,
//! never a GPU-side out-of-bounds read) and records one dispatch; nothing runs until the batch
//! is submitted.

use std::borrow::Cow;

use bitsmith_engine::GgmlType;
use bitsmith_engine::infer::RopeKind;
use bitsmith_engine::ops::AttnShape;

use crate::batch::{Batch, check_span};
use crate::pool::{GpuBuffer, Slice};
use crate::weights::GpuWeight;
use crate::{Gpu, GpuError};

/// How a kernel binds a storage buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    ReadWrite,
}

/// One WGSL kernel (a matrix kernel per weight type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kernel {
    RmsNorm,
    /// Weight type, and whether this is the 4-token (batch) variant or the 1-token (decode) one.
    Matvec(GgmlType, bool),
    Rope,
    Softmax,
    Swiglu,
    Attention,
    /// f32 rows to a legacy block type, exactly (see `quant.rs`).
    Quantize(GgmlType),
    /// The soft-float operations on their own, for tests.
    SoftFloatCheck,
}

/// A compiled pipeline and its bind group layout.
pub(crate) struct Compiled {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
}

const MATVEC: &str = include_str!("shaders/matvec.wgsl");

/// Rows per matvec workgroup and tokens per workgroup (`ROWS`, `TOK` in matvec.wgsl).
const MATVEC_ROWS: usize = 8;
const MATVEC_TOK: usize = 4;

/// The weight-decoding half of the matvec kernel for `ty`, if there is one.
pub(crate) fn dequant_source(ty: GgmlType) -> Option<&'static str> {
    Some(match ty {
        GgmlType::F32 => include_str!("shaders/dequant_f32.wgsl"),
        GgmlType::F16 => include_str!("shaders/dequant_f16.wgsl"),
        GgmlType::Q8_0 => include_str!("shaders/dequant_q8_0.wgsl"),
        GgmlType::Q4_0 => include_str!("shaders/dequant_q4_0.wgsl"),
        GgmlType::Q4_1 => include_str!("shaders/dequant_q4_1.wgsl"),
        GgmlType::Q5_0 => include_str!("shaders/dequant_q5_0.wgsl"),
        GgmlType::Q4_K => include_str!("shaders/dequant_q4_k.wgsl"),
        GgmlType::Q6_K => include_str!("shaders/dequant_q6_k.wgsl"),
        _ => return None,
    })
}

impl Kernel {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kernel::RmsNorm => "rms_norm",
            Kernel::Matvec(..) => "matvec",
            Kernel::Rope => "rope",
            Kernel::Softmax => "softmax",
            Kernel::Swiglu => "swiglu",
            Kernel::Attention => "attention",
            Kernel::Quantize(_) => "quantize",
            Kernel::SoftFloatCheck => "softfloat_check",
        }
    }

    fn source(self) -> Cow<'static, str> {
        match self {
            Kernel::RmsNorm => include_str!("shaders/rms_norm.wgsl").into(),
            Kernel::Matvec(ty, batch) => {
                let dq = dequant_source(ty).expect("GpuWeight only exists for supported types");
                let src = if batch {
                    MATVEC.to_owned()
                } else {
                    MATVEC.replace("const TOK: u32 = 4u;", "const TOK: u32 = 1u;")
                };
                format!("{src}\n{dq}").into()
            }
            Kernel::Rope => include_str!("shaders/rope.wgsl").into(),
            Kernel::Softmax => include_str!("shaders/softmax.wgsl").into(),
            Kernel::Swiglu => include_str!("shaders/swiglu.wgsl").into(),
            Kernel::Attention => include_str!("shaders/attention.wgsl").into(),
            Kernel::Quantize(ty) => crate::quant::source(ty).into(),
            Kernel::SoftFloatCheck => crate::quant::softfloat_check_source().into(),
        }
    }

    /// Storage bindings in order; the uniform parameters follow them.
    pub(crate) fn bindings(self) -> &'static [Access] {
        use Access::{Read as R, ReadWrite as W};
        match self {
            Kernel::RmsNorm => &[R, R, W],
            Kernel::Matvec(..) => &[R, R, W, R],
            Kernel::Rope => &[W, R],
            Kernel::Softmax => &[W],
            Kernel::Swiglu => &[W, R],
            Kernel::Attention => &[R, R, R, W],
            Kernel::Quantize(_) | Kernel::SoftFloatCheck => &[R, W],
        }
    }

    pub(crate) fn compile(self, device: &wgpu::Device) -> Compiled {
        let mut entries: Vec<wgpu::BindGroupLayoutEntry> = self
            .bindings()
            .iter()
            .enumerate()
            .map(|(i, a)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage {
                        read_only: *a == Access::Read,
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: entries.len() as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: None,
            },
            count: None,
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(self.name()),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(self.name()),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(self.name()),
            source: wgpu::ShaderSource::Wgsl(self.source()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(self.name()),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Compiled { pipeline, layout }
    }
}

/// Splits `n` workgroups into an (x, y) grid with x at most `max` (WebGPU limits each
/// dimension, usually to 65535; a 262k-row vocabulary needs more than that).
pub(crate) fn grid_2d(n: usize, max: u32) -> (u32, u32) {
    let n = n.max(1) as u64;
    let x = n.min(u64::from(max));
    (x as u32, n.div_ceil(x) as u32)
}

pub(crate) fn u32_arg(what: &str, v: usize) -> Result<u32, GpuError> {
    u32::try_from(v).map_err(|_| GpuError::Input(format!("{what} {v} does not fit in u32")))
}

/// How [`Batch::matvec`] combines its result with what is in `y`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatvecOpts<'a> {
    /// Add the product to `y` (a residual connection) instead of overwriting it.
    pub accumulate: bool,
    /// Add `bias[r]` to output `r` (Qwen2's Q/K/V biases).
    pub bias: Option<Slice<'a>>,
}

/// What [`Batch::rope`] rotates: `n_heads` heads of `head_dim` values per row, the first
/// `n_rot` dimensions of each, paired as `kind` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RopeShape {
    pub n_heads: usize,
    pub head_dim: usize,
    pub n_rot: usize,
    pub kind: RopeKind,
}

impl Batch<'_> {
    /// RMSNorm of `rows` rows of `n` values from `x` into `out`, times `weight[0..n]`.
    pub fn rms_norm(
        &mut self,
        x: Slice<'_>,
        weight: &GpuBuffer,
        out: Slice<'_>,
        n: usize,
        rows: usize,
        eps: f32,
    ) -> Result<(), GpuError> {
        if n == 0 || rows == 0 {
            return Err(GpuError::Input("rms_norm of nothing".into()));
        }
        check_span("rms_norm input", x, n * rows)?;
        check_span("rms_norm output", out, n * rows)?;
        check_span("rms_norm weight", weight.at(0), n)?;
        let params = [
            u32_arg("n", n)?,
            u32_arg("rows", rows)?,
            eps.to_bits(),
            u32_arg("offset", x.off)?,
            u32_arg("offset", out.off)?,
            0,
        ];
        self.dispatch(
            Kernel::RmsNorm,
            &[x.buf, weight, out.buf],
            &params,
            [u32_arg("rows", rows)?, 1, 1],
        )
    }

    /// `y[t][r] = W[r] · x[t]` for `n_tok` rows of activations (rows of `w.n_in` from `x`,
    /// results in rows of `w.n_out` from `y`), on the weights as stored. One token is a
    /// matrix-vector product (decode); several are a batched one that decodes each weight once
    /// per 4 tokens (prompt processing).
    pub fn matvec(
        &mut self,
        w: &GpuWeight,
        x: Slice<'_>,
        y: Slice<'_>,
        n_tok: usize,
        opts: MatvecOpts<'_>,
    ) -> Result<(), GpuError> {
        if n_tok == 0 {
            return Err(GpuError::Input("matvec of no tokens".into()));
        }
        check_span("matvec input", x, w.n_in * n_tok)?;
        check_span("matvec output", y, w.n_out * n_tok)?;
        if !x.off.is_multiple_of(4) {
            // x is read as vec4s.
            return Err(GpuError::Input(format!(
                "matvec input offset {} is not a multiple of 4",
                x.off
            )));
        }
        if let Some(b) = opts.bias {
            check_span("matvec bias", b, w.n_out)?;
        }
        let dummy = &self.gpu.dummy;
        let bias = opts.bias.map_or(dummy, |b| b.buf);
        let max = self.gpu.limits.max_compute_workgroups_per_dimension;
        let (gx, gy) = grid_2d(w.n_out.div_ceil(MATVEC_ROWS), max);
        let flags = u32::from(opts.accumulate) | (u32::from(opts.bias.is_some()) << 1);
        let params = [
            u32_arg("n_in", w.n_in)?,
            u32_arg("n_out", w.n_out)?,
            u32_arg("n_tok", n_tok)?,
            flags,
            u32_arg("offset", x.off)?,
            u32_arg("n_in", w.n_in)?,
            u32_arg("offset", y.off)?,
            u32_arg("n_out", w.n_out)?,
            w.d_off,
            gx,
            u32_arg("offset", opts.bias.map_or(0, |b| b.off))?,
            0,
        ];
        let batch = n_tok > 1;
        let tile = if batch { MATVEC_TOK } else { 1 };
        let gz = u32_arg("token tiles", n_tok.div_ceil(tile))?;
        self.dispatch(
            Kernel::Matvec(w.ty, batch),
            &[&w.buf, x.buf, y.buf, bias],
            &params,
            [gx, gy, gz],
        )
    }

    /// RoPE in place on `n_tok` rows of `shape.n_heads · shape.head_dim` values from `x`, row
    /// `t` rotated by row `t` of `table` (from `bitsmith_engine::ops::rope_cache`).
    pub fn rope(
        &mut self,
        x: Slice<'_>,
        table: Slice<'_>,
        n_tok: usize,
        shape: RopeShape,
    ) -> Result<(), GpuError> {
        let RopeShape {
            n_heads,
            head_dim,
            n_rot,
            kind,
        } = shape;
        if n_rot > head_dim || !n_rot.is_multiple_of(2) || n_tok == 0 || n_heads == 0 {
            return Err(GpuError::Input(format!(
                "rope: n_rot {n_rot}, head_dim {head_dim}, {n_heads} heads, {n_tok} tokens"
            )));
        }
        if n_rot == 0 {
            return Ok(());
        }
        let row = n_heads * head_dim;
        check_span("rope input", x, row * n_tok)?;
        check_span("rope table", table, n_rot * n_tok)?;
        let params = [
            u32_arg("heads", n_heads)?,
            u32_arg("head_dim", head_dim)?,
            u32_arg("n_rot", n_rot)?,
            u32_arg("n_tok", n_tok)?,
            u32_arg("offset", x.off)?,
            u32_arg("row", row)?,
            u32::from(kind == RopeKind::Neox),
            u32_arg("offset", table.off)?,
        ];
        let gx = u32_arg("pairs", (n_rot / 2 * n_heads).div_ceil(64))?;
        self.dispatch(
            Kernel::Rope,
            &[x.buf, table.buf],
            &params,
            [gx, u32_arg("n_tok", n_tok)?, 1],
        )
    }

    /// Softmax in place of `rows` rows of `n` values from `x`.
    pub fn softmax(&mut self, x: Slice<'_>, n: usize, rows: usize) -> Result<(), GpuError> {
        if n == 0 || rows == 0 {
            return Err(GpuError::Input("softmax of nothing".into()));
        }
        check_span("softmax", x, n * rows)?;
        let params = [
            u32_arg("n", n)?,
            u32_arg("rows", rows)?,
            u32_arg("offset", x.off)?,
        ];
        self.dispatch(
            Kernel::Softmax,
            &[x.buf],
            &params,
            [u32_arg("rows", rows)?, 1, 1],
        )
    }

    /// `gate[i] = silu(gate[i]) · up[i]` for `n` elements, in place in `gate`.
    pub fn swiglu(&mut self, gate: Slice<'_>, up: Slice<'_>, n: usize) -> Result<(), GpuError> {
        if n == 0 {
            return Err(GpuError::Input("swiglu of nothing".into()));
        }
        check_span("swiglu gate", gate, n)?;
        check_span("swiglu up", up, n)?;
        let max = self.gpu.limits.max_compute_workgroups_per_dimension;
        let (gx, gy) = grid_2d(n.div_ceil(256), max);
        let params = [
            u32_arg("n", n)?,
            u32_arg("offset", gate.off)?,
            u32_arg("offset", up.off)?,
            gx,
        ];
        self.dispatch(Kernel::Swiglu, &[gate.buf, up.buf], &params, [gx, gy, 1])
    }

    /// Causal grouped-query attention of `n_tok` queries (rows of `n_head · head_dim` from `q`,
    /// positions `p0..p0 + n_tok`) over the cache rows `k` and `v` (positions `0..p0 + n_tok`,
    /// rows of `n_head_kv · head_dim` / `n_head_kv · head_dim_v`, the batch's own keys and
    /// values already written), into rows of `n_head · head_dim_v` at `out`.
    #[allow(clippy::too_many_arguments)] // every argument is a distinct tensor or shape
    pub fn attention(
        &mut self,
        q: Slice<'_>,
        k: Slice<'_>,
        v: Slice<'_>,
        out: Slice<'_>,
        shape: AttnShape,
        p0: usize,
        n_tok: usize,
    ) -> Result<(), GpuError> {
        let AttnShape {
            n_head,
            n_head_kv,
            head_dim,
            head_dim_v,
        } = shape;
        if n_head_kv == 0 || !n_head.is_multiple_of(n_head_kv) || n_tok == 0 {
            return Err(GpuError::Input(format!(
                "attention: {n_head} heads over {n_head_kv} KV heads, {n_tok} tokens"
            )));
        }
        if head_dim == 0 || head_dim > 256 || head_dim_v == 0 || head_dim_v > 256 {
            return Err(GpuError::Input(format!(
                "attention: head sizes {head_dim}/{head_dim_v} (the kernel holds at most 256)"
            )));
        }
        let n_kv = p0 + n_tok;
        check_span("attention queries", q, n_tok * n_head * head_dim)?;
        check_span("attention keys", k, n_kv * n_head_kv * head_dim)?;
        check_span("attention values", v, n_kv * n_head_kv * head_dim_v)?;
        check_span("attention output", out, n_tok * n_head * head_dim_v)?;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let params = [
            u32_arg("heads", n_head)?,
            u32_arg("kv heads", n_head_kv)?,
            u32_arg("head_dim", head_dim)?,
            u32_arg("head_dim_v", head_dim_v)?,
            u32_arg("offset", q.off)?,
            u32_arg("row", n_head * head_dim)?,
            u32_arg("offset", k.off)?,
            u32_arg("offset", v.off)?,
            u32_arg("offset", out.off)?,
            u32_arg("row", n_head * head_dim_v)?,
            u32_arg("p0", p0)?,
            u32_arg("n_tok", n_tok)?,
            scale.to_bits(),
        ];
        self.dispatch(
            Kernel::Attention,
            &[q.buf, k.buf, v.buf, out.buf],
            &params,
            [u32_arg("heads", n_head)?, u32_arg("n_tok", n_tok)?, 1],
        )
    }
}

impl Gpu {
    /// The compiled pipeline for `kernel`, compiling it on first use.
    pub(crate) fn compiled(&self, kernel: Kernel) -> Result<std::sync::Arc<Compiled>, GpuError> {
        let mut map = self.kernels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&kernel) {
            return Ok(c.clone());
        }
        if let Kernel::Matvec(ty, _) = kernel
            && dequant_source(ty).is_none()
        {
            return Err(GpuError::Unsupported(ty));
        }
        let c = std::sync::Arc::new(kernel.compile(&self.device));
        map.insert(kernel, c.clone());
        Ok(c)
    }
}
