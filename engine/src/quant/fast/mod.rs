//! Fast quantizers, byte-identical to the scalar reference ones.
//!
//! The scalar functions of `quant::legacy` and `quant::kquants` are the truth: plain Rust that
//! does ggml's float operations in ggml's order. The kernels here produce the same bytes for
//! every input, faster, by running several independent blocks or sub-blocks in SIMD lanes (the
//! method and why it is exact are in [`lanes`]). [`crate::quant::quantize_row`] uses them for
//! the types in [`FAST_TYPES`]; tests/quant_fast.rs (native, every [`Isa`] the CPU has) and
//! tests/wasm_quant_fast.rs (headless Chromium) compare them with the reference on the fixture
//! inputs and on random and adversarial rows (NaN, infinities, subnormals, huge values, ties).
//!
//! Code generation: the kernels are generic `#[inline(always)]` code instantiated once per
//! [`Isa`]: for [`Isa::Baseline`] with the target's default features (SSE2 on x86-64;
//! `simd128` on wasm32 when enabled in .cargo/config.toml), and on x86-64 once more inside an
//! `#[target_feature(enable = "avx2")]` function chosen at run time. Only instruction
//! selection differs between them: none enables FMA, and Rust never contracts `a*b + c`.

// The lane loops index several parallel arrays by the same counters on purpose: each body is
// one step of the scalar reference, written as in `quant::common` / `quant::kquants`.
#![allow(clippy::needless_range_loop)]

mod kquants;
mod lanes;
mod legacy;
mod search;
mod simd;

use crate::GgmlType;

/// The types with a fast path (with and without an importance matrix).
pub const FAST_TYPES: &[GgmlType] = &[
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
];

/// True when [`crate::quant::quantize_row`] takes a fast path for `ty`.
pub fn has_fast_path(ty: GgmlType) -> bool {
    FAST_TYPES.contains(&ty)
}

/// An instruction-set level the fast kernels can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// No explicit vectors: the scale searches on plain arrays (what targets without an
    /// implementation below use; kept runnable everywhere so that it is tested everywhere).
    Portable,
    /// The build target's default features with explicit vectors: SSE2 on x86-64, `simd128`
    /// on wasm32 when compiled with it (else the same as `Portable`).
    Baseline,
    /// x86-64 with AVX2 (8 f32 lanes per register), detected at run time.
    Avx2,
}

impl Isa {
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Baseline, Isa::Avx2];

    /// Whether this CPU can run `self`.
    pub fn available(self) -> bool {
        match self {
            Isa::Portable | Isa::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 => false,
        }
    }

    /// The best level this CPU runs (what `quant::quantize_row` uses).
    pub fn detect() -> Isa {
        if Isa::Avx2.available() {
            Isa::Avx2
        } else {
            Isa::Baseline
        }
    }
}

/// Quantizes one row with the fast kernels compiled for `isa` (or for [`Isa::Baseline`] when this
/// CPU lacks `isa`). Returns `Ok(false)`, leaving `dst` untouched, for types without a fast
/// path; sizes are checked as in [`crate::quant::quantize_row`].
pub fn quantize_row_with(
    isa: Isa,
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<bool, super::QuantError> {
    super::check_row(ty, src, dst, imatrix)?;
    Ok(run(isa, ty, src, dst, imatrix))
}

/// The dispatch behind `quant::quantize_row`: sizes already checked.
pub(super) fn run(
    isa: Isa,
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> bool {
    if !has_fast_path(ty) || has_nan(src) || imatrix.is_some_and(has_nan) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2
        && let Some(avx2) = simd::Avx2::new()
    {
        // SAFETY: the CPU supports AVX2 (`Avx2::new` checked).
        return unsafe { kernels_avx2(avx2, ty, src, dst, imatrix) };
    }
    if isa == Isa::Portable {
        return kernels(simd::Scalar, ty, src, dst, imatrix);
    }
    #[cfg(target_arch = "x86_64")]
    let s = simd::Sse2;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let s = simd::Simd128;
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    let s = simd::Scalar;
    kernels(s, ty, src, dst, imatrix)
}

/// Whether `x` holds a NaN. Rows with one are left to the reference: when two NaNs meet in an
/// operation, which one's sign and payload the result keeps depends on the order the compiler
/// put the operands in (x86's rule is "the first"), and the vectorized and scalar code need
/// not agree on that order. Only input NaNs can differ from each other (every NaN that
/// arithmetic creates is the same default NaN), so without them no result depends on it.
fn has_nan(x: &[f32]) -> bool {
    // Branch-free per chunk, so that it vectorizes; stops at the first chunk with a NaN.
    x.chunks(256)
        .any(|c| c.iter().fold(false, |acc, v| acc | v.is_nan()))
}

/// Every fast kernel, inlined here for the baseline features (and into [`kernels_avx2`] for
/// AVX2), with the search vectors of `s`.
#[inline(always)]
fn kernels<S: simd::Simd>(
    s: S,
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> bool {
    match ty {
        GgmlType::Q8_0 => legacy::q8_0(src, dst),
        GgmlType::Q4_0 => legacy::q4_0(s, src, dst, imatrix),
        GgmlType::Q4_1 => legacy::q4_1(s, src, dst, imatrix),
        GgmlType::Q5_0 => legacy::q5_0(s, src, dst, imatrix),
        GgmlType::Q5_1 => legacy::q5_1(s, src, dst, imatrix),
        GgmlType::Q4_K => kquants::q4_k(s, src, dst, imatrix),
        GgmlType::Q5_K => kquants::q5_k(s, src, dst, imatrix),
        GgmlType::Q6_K => kquants::q6_k(s, src, dst, imatrix),
        _ => return false,
    }
    true
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn kernels_avx2(
    s: simd::Avx2,
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> bool {
    kernels(s, ty, src, dst, imatrix)
}
