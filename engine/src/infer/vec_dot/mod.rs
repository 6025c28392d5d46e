//! Dot products of one weight row, in its stored block format, with one row of activations.
//!
//! As in ggml's CPU backend, activations are not multiplied in f32 against dequantized weights:
//! they are first quantized to the block type that ggml pairs with the weight type (the
//! `vec_dot_type` of `type_traits_cpu` in ggml/src/ggml-cpu/ggml-cpu.c), and the dot product
//! then runs mostly in integers, block by block:
//!
//! | weight type                                   | activations ([`ActType`]) |
//! |-----------------------------------------------|---------------------------|
//! | F32                                           | F32                       |
//! | F16                                           | F16                       |
//! | BF16                                          | BF16                      |
//! | Q4_0, Q5_0, Q8_0, IQ4_NL                      | Q8_0                      |
//! | Q4_1, Q5_1                                    | Q8_1                      |
//! | Q2_K..Q6_K, IQ4_XS, TQ1_0, TQ2_0              | Q8_K                      |
//!
//! (ggml multiplies F16 and BF16 weights with activations rounded to F16 / BF16, not F32, so
//! that is what happens here too.)
//!
//! [`scalar`] holds the reference implementation of every pair. Fast versions (AVX2 on x86-64,
//! chosen at run time; simd128 on wasm32 when the build enables it) cover the hot types and are
//! tested against the reference: their integer block sums are identical and only the order of
//! the final f32 additions differs.

pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;

use serde::{Deserialize, Serialize};

use super::InferError;
use crate::GgmlType;
use crate::quant::common::f32_to_fp16_le;
use crate::quant::{float, kquants};

/// The format activations are converted to before a dot product with a weight row.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActType {
    F32,
    F16,
    BF16,
    Q8_0,
    Q8_1,
    Q8_K,
}

impl ActType {
    /// Every activation type, in [`index`](Self::index) order.
    pub const ALL: [ActType; 6] = [
        ActType::F32,
        ActType::F16,
        ActType::BF16,
        ActType::Q8_0,
        ActType::Q8_1,
        ActType::Q8_K,
    ];

    /// Position in [`ALL`](Self::ALL), for small per-type caches.
    pub fn index(self) -> usize {
        self as usize
    }

    /// ggml's `vec_dot_type` for weights of type `ty` (ggml/src/ggml-cpu/ggml-cpu.c,
    /// `type_traits_cpu`), or `None` for types without a kernel here.
    pub fn for_weight(ty: GgmlType) -> Option<ActType> {
        use GgmlType as G;
        Some(match ty {
            G::F32 => ActType::F32,
            G::F16 => ActType::F16,
            G::BF16 => ActType::BF16,
            G::Q4_0 | G::Q5_0 | G::Q8_0 | G::IQ4_NL => ActType::Q8_0,
            G::Q4_1 | G::Q5_1 => ActType::Q8_1,
            G::Q2_K | G::Q3_K | G::Q4_K | G::Q5_K | G::Q6_K | G::IQ4_XS | G::TQ1_0 | G::TQ2_0 => {
                ActType::Q8_K
            }
            _ => return None,
        })
    }

    /// The ggml type these activations are stored as.
    pub fn ggml_type(self) -> GgmlType {
        match self {
            ActType::F32 => GgmlType::F32,
            ActType::F16 => GgmlType::F16,
            ActType::BF16 => GgmlType::BF16,
            ActType::Q8_0 => GgmlType::Q8_0,
            ActType::Q8_1 => GgmlType::Q8_1,
            ActType::Q8_K => GgmlType::Q8_K,
        }
    }

    /// Elements per block (sizes from ggml/src/ggml-common.h).
    pub fn block_size(self) -> usize {
        match self {
            ActType::F32 | ActType::F16 | ActType::BF16 => 1,
            ActType::Q8_0 | ActType::Q8_1 => 32,
            ActType::Q8_K => 256,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> usize {
        match self {
            ActType::F32 => 4,
            ActType::F16 | ActType::BF16 => 2,
            ActType::Q8_0 => 34,
            ActType::Q8_1 => 36,
            ActType::Q8_K => 292,
        }
    }

    /// Bytes for a row of `n` values, or `None` when `n` is not a whole number of blocks.
    pub fn row_bytes(self, n: usize) -> Option<usize> {
        n.is_multiple_of(self.block_size())
            .then(|| n / self.block_size() * self.block_bytes())
    }
}

/// Converts one row of activations to `act` (exactly `act.row_bytes(x.len())` bytes) the way
/// llama.cpp's CPU backend does on x86-64: Q8_0 and Q8_1 as `quantize_row_q8_0` /
/// `quantize_row_q8_1` of ggml/src/ggml-cpu/arch/x86/quants.c (see [`quantize_row_q8_0_cpu`]),
/// Q8_K with `quantize_row_q8_K_ref` (which that file calls), F16/BF16 with ggml's conversions.
pub fn quantize_act_row(act: ActType, x: &[f32], out: &mut [u8]) -> Result<(), InferError> {
    let expected = act.row_bytes(x.len()).ok_or_else(|| {
        InferError::DotSize(format!(
            "{} activations need a multiple of {} values, got {}",
            act.ggml_type(),
            act.block_size(),
            x.len()
        ))
    })?;
    if out.len() != expected {
        return Err(InferError::DotSize(format!(
            "{} activation buffer is {} bytes, expected {expected}",
            act.ggml_type(),
            out.len()
        )));
    }
    match act {
        ActType::F32 => float::quantize_row_f32(x, out),
        ActType::F16 => float::quantize_row_f16(x, out),
        ActType::BF16 => float::quantize_row_bf16(x, out),
        ActType::Q8_0 => quantize_row_q8_0_cpu(x, out, false),
        ActType::Q8_1 => quantize_row_q8_0_cpu(x, out, true),
        ActType::Q8_K => kquants::quantize_row_q8_k(x, out),
    }
    Ok(())
}

/// Q8_0 (or, with `q8_1`, Q8_1: the same quants plus `s = fp16(d·Σq)` with the unrounded `d`)
/// exactly as ggml-cpu's x86 build quantizes activations (`quantize_row_q8_0`/`_q8_1` in
/// ggml/src/ggml-cpu/arch/x86/quants.c, AVX path): `d = amax/127` stored as fp16,
/// `q = round_half_even(x · (127/amax))` (`_mm256_round_ps(.., _MM_ROUND_NEAREST)`), saturated
/// to i8 by the pack instructions.
///
/// ggml's portable reference (`quantize_row_q8_0_ref`, Engine I's `legacy::quantize_row_q8_0`)
/// instead multiplies by `1/d` and rounds halves away from zero. That matters more than it
/// looks: activations computed from Q8_0-stored embeddings land exactly on .5 often, rounding
/// them all away from zero is a bias, and with it SmolLM2-Q4_1's perplexity came out 0.7% off
/// llama.cpp's (0.02% with this rounding). llama.cpp's other builds differ again (ARM NEON:
/// `1/d`, half to even; wasm simd128: `1/d`, truncation), so no choice matches every build.
/// `out` must hold `x.len() / 32` blocks of 34 (Q8_0) or 36 (Q8_1) bytes.
///
/// On x86-64 with AVX2 the blocks go through a vector version with the same steps (the
/// instructions ggml's AVX path uses), bit-identical to [`quantize_row_q8_0_scalar`]
/// (tested); elsewhere the scalar one runs.
pub fn quantize_row_q8_0_cpu(x: &[f32], out: &mut [u8], q8_1: bool) {
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        x86::quantize_row_q8(x, out, q8_1);
        return;
    }
    quantize_row_q8_0_scalar(x, out, q8_1);
}

/// The plain reference for [`quantize_row_q8_0_cpu`].
pub fn quantize_row_q8_0_scalar(x: &[f32], out: &mut [u8], q8_1: bool) {
    let bb = if q8_1 { 36 } else { 34 };
    for (xb, ob) in x.as_chunks::<32>().0.iter().zip(out.chunks_exact_mut(bb)) {
        quantize_block_q8(xb, ob, q8_1);
    }
}

/// One block of [`quantize_row_q8_0_scalar`]: `ob` is 34 or 36 bytes.
fn quantize_block_q8(xb: &[f32; 32], ob: &mut [u8], q8_1: bool) {
    let head = if q8_1 { 4 } else { 2 };
    let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
    ob[0..2].copy_from_slice(&f32_to_fp16_le(d));
    let mut sum = 0i32;
    for (o, &v) in ob[head..].iter_mut().zip(xb) {
        // `_mm256_cvtps_epi32` gives i32::MIN for NaN; the packs saturate to i8.
        let r = round_half_even(v * id);
        let q = if r.is_nan() {
            i32::MIN
        } else {
            r.clamp(i32::MIN as f32, i32::MAX as f32) as i32
        };
        sum = sum.wrapping_add(q);
        *o = q.clamp(-128, 127) as i8 as u8;
    }
    if q8_1 {
        ob[2..4].copy_from_slice(&f32_to_fp16_le(d * sum as f32));
    }
}

/// `x.round_ties_even()` without a libm call on targets whose baseline lacks a rounding
/// instruction (x86-64 before SSE4.1): adding and subtracting 1.5·2^23 rounds to an integer in
/// the default round-to-nearest-even mode, exactly, for |x| ≤ 2^22 (activations times 127/amax
/// are within ±127).
#[inline]
fn round_half_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    if x.abs() <= 4_194_304.0 {
        (x + MAGIC) - MAGIC
    } else {
        x.round_ties_even()
    }
}

/// A dot product kernel: `(weight row bytes, activation row bytes) -> sum`. Both slices must
/// hold the same number of elements in their formats (whole blocks); callers check shapes once
/// per matrix, the kernels only `debug_assert` them.
pub type DotFn = fn(&[u8], &[u8]) -> f32;

/// Asks the CPU to start loading the cache line holding `ptr` (a hint: no effect on results,
/// a no-op where there is no prefetch instruction).
#[inline(always)]
pub fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching never faults and reads nothing into the program; SSE is baseline on
    // x86-64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// A tile kernel: `out[r * a.len() + t] = dot(w[r], a[t])` for every weight row `w[r]` and
/// activation row `a[t]`, in one pass over the blocks (each weight block unpacked once for all
/// activation rows). Results are bit-identical to the type's pair kernel.
pub type TileFn = fn(&[&[u8]], &[&[u8]], &mut [f32]);

/// The tile kernel `backend` has for weights of type `ty`, if any (callers fall back to pair
/// kernels).
pub fn tile_fn(ty: GgmlType, backend: Backend) -> Option<TileFn> {
    match backend {
        Backend::Scalar => None,
        Backend::Simd => {
            #[cfg(target_arch = "x86_64")]
            {
                x86::tile_fn(ty)
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            {
                wasm::tile_fn(ty)
            }
            #[cfg(not(any(
                target_arch = "x86_64",
                all(target_arch = "wasm32", target_feature = "simd128")
            )))]
            {
                let _ = ty;
                None
            }
        }
    }
}

/// A decode kernel: `out[r] = dot(w[r], a)` for the `out.len()` weight rows of `row_bytes`
/// bytes each in `w`, and one activation row `a`. It walks the whole matrix in one call (its
/// own tiles and prefetches), so the per-tile set-up of [`TileFn`] calls is paid once per
/// matrix. Results are bit-identical to the type's pair kernel.
pub type MatVecFn = fn(&[u8], usize, &[u8], &mut [f32]);

/// The whole-matrix decode kernel `backend` has for weights of type `ty`, if any (callers fall
/// back to tiles).
pub fn matvec_fn(ty: GgmlType, backend: Backend) -> Option<MatVecFn> {
    match backend {
        Backend::Scalar => None,
        Backend::Simd => {
            #[cfg(target_arch = "x86_64")]
            {
                x86::matvec_fn(ty)
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            {
                wasm::matvec_fn(ty)
            }
            #[cfg(not(any(
                target_arch = "x86_64",
                all(target_arch = "wasm32", target_feature = "simd128")
            )))]
            {
                let _ = ty;
                None
            }
        }
    }
}

/// Which CPU kernels to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The scalar reference: plain Rust, the same on every target. Always available.
    Scalar,
    /// The fastest kernels this machine supports: AVX2+FMA on x86-64, with AVX-512 VNNI tiles
    /// for the legacy block types where the CPU has them (both detected at run time),
    /// simd128 on wasm32 builds with `+simd128`; types without a fast kernel, and machines
    /// without the features, fall back to the scalar kernel.
    Simd,
}

impl Backend {
    /// [`Backend::Simd`] when this machine has a fast kernel set, otherwise [`Backend::Scalar`].
    pub fn detect() -> Backend {
        if simd_available() {
            Backend::Simd
        } else {
            Backend::Scalar
        }
    }

    /// Short name for logs and reports (`scalar`, `avx2`, `avx512`, `simd128`).
    pub fn describe(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Simd if simd_available() => simd_name(),
            Backend::Simd => "scalar (no SIMD on this machine)",
        }
    }
}

/// True when this machine can run the SIMD kernels.
pub fn simd_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        x86::available()
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        true
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    {
        false
    }
}

fn simd_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        x86::name()
    }
    #[cfg(not(target_arch = "x86_64"))]
    if cfg!(target_arch = "wasm32") {
        "simd128"
    } else {
        "scalar"
    }
}

/// The reference kernel for weights of type `ty`.
pub fn scalar_dot_fn(ty: GgmlType) -> Option<DotFn> {
    use GgmlType as G;
    Some(match ty {
        G::F32 => scalar::dot_f32,
        G::F16 => scalar::dot_f16,
        G::BF16 => scalar::dot_bf16,
        G::Q8_0 => scalar::dot_q8_0,
        G::Q4_0 => scalar::dot_q4_0,
        G::Q4_1 => scalar::dot_q4_1,
        G::Q5_0 => scalar::dot_q5_0,
        G::Q5_1 => scalar::dot_q5_1,
        G::IQ4_NL => scalar::dot_iq4_nl,
        G::Q2_K => scalar::dot_q2_k,
        G::Q3_K => scalar::dot_q3_k,
        G::Q4_K => scalar::dot_q4_k,
        G::Q5_K => scalar::dot_q5_k,
        G::Q6_K => scalar::dot_q6_k,
        G::IQ4_XS => scalar::dot_iq4_xs,
        G::TQ1_0 => scalar::dot_tq1_0,
        G::TQ2_0 => scalar::dot_tq2_0,
        _ => return None,
    })
}

/// The SIMD kernel for `ty` on this machine, if there is one.
pub fn simd_dot_fn(ty: GgmlType) -> Option<DotFn> {
    #[cfg(target_arch = "x86_64")]
    {
        if x86::available() {
            return x86::dot_fn(ty);
        }
        None
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        wasm::dot_fn(ty)
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    {
        let _ = ty;
        None
    }
}

/// The kernel `backend` uses for weights of type `ty`, or `None` when no kernel exists.
pub fn dot_fn(ty: GgmlType, backend: Backend) -> Option<DotFn> {
    match backend {
        Backend::Scalar => scalar_dot_fn(ty),
        Backend::Simd => simd_dot_fn(ty).or_else(|| scalar_dot_fn(ty)),
    }
}

/// Dot product of one row of `ty` weights (`w`, whole blocks) with activations already
/// converted by [`quantize_act_row`] to `ActType::for_weight(ty)`, with sizes checked.
pub fn vec_dot(ty: GgmlType, backend: Backend, w: &[u8], a: &[u8]) -> Result<f32, InferError> {
    let act = ActType::for_weight(ty).ok_or(InferError::NoKernel(ty))?;
    let f = dot_fn(ty, backend).ok_or(InferError::NoKernel(ty))?;
    let (bs, ts) = (ty.block_size(), ty.type_size());
    if !w.len().is_multiple_of(ts) {
        return Err(InferError::DotSize(format!(
            "{ty} row of {} bytes is not whole blocks of {ts}",
            w.len()
        )));
    }
    let n = w.len() / ts * bs;
    match act.row_bytes(n) {
        Some(expected) if expected == a.len() => Ok(f(w, a)),
        _ => Err(InferError::DotSize(format!(
            "{n} {ty} weights need {:?} bytes of {} activations, got {}",
            act.row_bytes(n),
            act.ggml_type(),
            a.len()
        ))),
    }
}
