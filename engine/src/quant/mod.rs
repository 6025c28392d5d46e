//! Quantize and dequantize rows of f32 to and from ggml's block formats.
//!
//! The per-type functions in the submodules are the scalar reference: plain Rust,
//! deterministic, no SIMD, no FMA contraction. [`fast`] holds byte-identical SIMD kernels for
//! the hot types; [`quantize_row`] uses them where they exist and [`quantize_row_reference`]
//! never does (tests compare the two).
//!
//! The dispatch below mirrors ggml's `ggml_quantize_chunk`: rows of `n_per_row` elements, each a
//! whole number of blocks, with optional per-column importance weights (an imatrix row of
//! `n_per_row` values) used by the types whose llama.cpp quantizer takes them.

pub mod common;
pub mod fast;
pub mod float;
pub mod iq4;
pub mod kquants;
pub mod legacy;
pub mod ternary;

use crate::GgmlType;

/// Why a quantize/dequantize call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantError {
    #[error("{0} is not a type Bitsmith can quantize to")]
    Unsupported(GgmlType),
    #[error("{ty} rows must be a multiple of {block} elements, got {n}")]
    PartialBlock {
        ty: GgmlType,
        block: usize,
        n: usize,
    },
    #[error("buffer size mismatch: expected {expected} bytes/elements, got {got}")]
    Size { expected: usize, got: usize },
    #[error("importance weights must have one value per column ({expected}), got {got}")]
    ImatrixLen { expected: usize, got: usize },
}

/// The types `quantize_row` can produce (and `dequantize_row` can read back).
pub const QUANTIZABLE: &[GgmlType] = &[
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::Q8_K,
    GgmlType::IQ4_NL,
    GgmlType::IQ4_XS,
    GgmlType::TQ1_0,
    GgmlType::TQ2_0,
];

/// True when `quantize_row` supports `ty`.
pub fn can_quantize(ty: GgmlType) -> bool {
    QUANTIZABLE.contains(&ty)
}

fn check_sizes(ty: GgmlType, n: usize, bytes: usize) -> Result<(), QuantError> {
    if !can_quantize(ty) {
        return Err(QuantError::Unsupported(ty));
    }
    let expected = ty.row_bytes(n).ok_or(QuantError::PartialBlock {
        ty,
        block: ty.block_size(),
        n,
    })?;
    if expected != bytes {
        return Err(QuantError::Size {
            expected,
            got: bytes,
        });
    }
    Ok(())
}

/// Checks a row for [`quantize_row`]: a quantizable type, `dst` exactly `ty.row_bytes(n)`
/// bytes, and an imatrix (if any) of one weight per column.
pub(crate) fn check_row(
    ty: GgmlType,
    src: &[f32],
    dst: &[u8],
    imatrix: Option<&[f32]>,
) -> Result<(), QuantError> {
    check_sizes(ty, src.len(), dst.len())?;
    if let Some(w) = imatrix
        && w.len() != src.len()
    {
        return Err(QuantError::ImatrixLen {
            expected: src.len(),
            got: w.len(),
        });
    }
    Ok(())
}

/// Quantizes one row `src` into `dst` (exactly `ty.row_bytes(src.len())` bytes).
/// `imatrix`, when given, holds one importance weight per column of the row.
///
/// Uses the [`fast`] kernels for the types that have them (the same bytes as the reference,
/// sooner), the scalar reference otherwise.
pub fn quantize_row(
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<(), QuantError> {
    check_row(ty, src, dst, imatrix)?;
    if fast::run(fast::Isa::detect(), ty, src, dst, imatrix) {
        return Ok(());
    }
    quantize_row_scalar(ty, src, dst, imatrix)
}

/// Quantizes one row with the scalar reference functions only: what [`quantize_row`] must
/// reproduce byte for byte.
pub fn quantize_row_reference(
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<(), QuantError> {
    check_row(ty, src, dst, imatrix)?;
    quantize_row_scalar(ty, src, dst, imatrix)
}

fn quantize_row_scalar(
    ty: GgmlType,
    src: &[f32],
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<(), QuantError> {
    match ty {
        GgmlType::F32 => float::quantize_row_f32(src, dst),
        GgmlType::F16 => float::quantize_row_f16(src, dst),
        GgmlType::BF16 => float::quantize_row_bf16(src, dst),
        GgmlType::Q8_0 => legacy::quantize_row_q8_0(src, dst),
        GgmlType::Q4_0 => legacy::quantize_row_q4_0(src, dst, imatrix),
        GgmlType::Q4_1 => legacy::quantize_row_q4_1(src, dst, imatrix),
        GgmlType::Q5_0 => legacy::quantize_row_q5_0(src, dst, imatrix),
        GgmlType::Q5_1 => legacy::quantize_row_q5_1(src, dst, imatrix),
        GgmlType::Q2_K => kquants::quantize_row_q2_k(src, dst, imatrix),
        GgmlType::Q3_K => kquants::quantize_row_q3_k(src, dst, imatrix),
        GgmlType::Q4_K => kquants::quantize_row_q4_k(src, dst, imatrix),
        GgmlType::Q5_K => kquants::quantize_row_q5_k(src, dst, imatrix),
        GgmlType::Q6_K => kquants::quantize_row_q6_k(src, dst, imatrix),
        GgmlType::Q8_K => kquants::quantize_row_q8_k(src, dst),
        GgmlType::IQ4_NL => iq4::quantize_row_iq4_nl(src, dst, imatrix),
        GgmlType::IQ4_XS => iq4::quantize_row_iq4_xs(src, dst, imatrix),
        GgmlType::TQ1_0 => ternary::quantize_row_tq1_0(src, dst),
        GgmlType::TQ2_0 => ternary::quantize_row_tq2_0(src, dst),
        other => return Err(QuantError::Unsupported(other)),
    }
    Ok(())
}

/// Dequantizes one row of `ty` blocks in `src` into `dst`.
pub fn dequantize_row(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<(), QuantError> {
    check_sizes(ty, dst.len(), src.len())?;
    match ty {
        GgmlType::F32 => float::dequantize_row_f32(src, dst),
        GgmlType::F16 => float::dequantize_row_f16(src, dst),
        GgmlType::BF16 => float::dequantize_row_bf16(src, dst),
        GgmlType::Q8_0 => legacy::dequantize_row_q8_0(src, dst),
        GgmlType::Q4_0 => legacy::dequantize_row_q4_0(src, dst),
        GgmlType::Q4_1 => legacy::dequantize_row_q4_1(src, dst),
        GgmlType::Q5_0 => legacy::dequantize_row_q5_0(src, dst),
        GgmlType::Q5_1 => legacy::dequantize_row_q5_1(src, dst),
        GgmlType::Q2_K => kquants::dequantize_row_q2_k(src, dst),
        GgmlType::Q3_K => kquants::dequantize_row_q3_k(src, dst),
        GgmlType::Q4_K => kquants::dequantize_row_q4_k(src, dst),
        GgmlType::Q5_K => kquants::dequantize_row_q5_k(src, dst),
        GgmlType::Q6_K => kquants::dequantize_row_q6_k(src, dst),
        GgmlType::Q8_K => kquants::dequantize_row_q8_k(src, dst),
        GgmlType::IQ4_NL => iq4::dequantize_row_iq4_nl(src, dst),
        GgmlType::IQ4_XS => iq4::dequantize_row_iq4_xs(src, dst),
        GgmlType::TQ1_0 => ternary::dequantize_row_tq1_0(src, dst),
        GgmlType::TQ2_0 => ternary::dequantize_row_tq2_0(src, dst),
        other => return Err(QuantError::Unsupported(other)),
    }
    Ok(())
}

/// Quantizes `src` (rows of `n_per_row`) into `dst`, like ggml's `ggml_quantize_chunk`.
/// Returns the number of bytes written.
pub fn quantize_rows(
    ty: GgmlType,
    src: &[f32],
    n_per_row: usize,
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<usize, QuantError> {
    if n_per_row == 0 || !src.len().is_multiple_of(n_per_row) {
        return Err(QuantError::Size {
            expected: n_per_row,
            got: src.len(),
        });
    }
    let row_bytes = ty.row_bytes(n_per_row).ok_or(QuantError::PartialBlock {
        ty,
        block: ty.block_size(),
        n: n_per_row,
    })?;
    let rows = src.len() / n_per_row;
    if dst.len() != rows * row_bytes {
        return Err(QuantError::Size {
            expected: rows * row_bytes,
            got: dst.len(),
        });
    }
    for (s, d) in src
        .chunks_exact(n_per_row)
        .zip(dst.chunks_exact_mut(row_bytes))
    {
        quantize_row(ty, s, d, imatrix)?;
    }
    Ok(rows * row_bytes)
}
