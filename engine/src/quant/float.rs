//! The unquantized float formats: F32, F16 and BF16, stored little-endian one value per
//! element, exactly as ggml's `ggml_quantize_chunk` (ggml/src/ggml.c) writes them:
//! F32 is a byte copy, F16 goes through `ggml_fp32_to_fp16_row` and BF16 through
//! `ggml_fp32_to_bf16_row_ref` (both scalar, rounding to nearest even; see `common`).
//!
//! Lengths are validated by `quant::quantize_row` / `quant::dequantize_row`.

use super::common::{bf16_bits_to_f32, f16_bits_to_f32, f32_to_bf16_bits, f32_to_f16_bits};

/// F32: the value's little-endian bytes (a `memcpy` in ggml on little-endian hosts).
pub fn quantize_row_f32(src: &[f32], dst: &mut [u8]) {
    for (x, out) in src.iter().zip(dst.as_chunks_mut::<4>().0) {
        *out = x.to_le_bytes();
    }
}

/// F32 back from little-endian bytes; NaN payloads are kept bit for bit.
pub fn dequantize_row_f32(src: &[u8], dst: &mut [f32]) {
    for (b, y) in src.as_chunks::<4>().0.iter().zip(dst.iter_mut()) {
        *y = f32::from_le_bytes(*b);
    }
}

/// F16: IEEE binary16 with ggml's rounding (nearest even, overflow to inf, NaN -> 0x7E00).
pub fn quantize_row_f16(src: &[f32], dst: &mut [u8]) {
    for (x, out) in src.iter().zip(dst.as_chunks_mut::<2>().0) {
        *out = f32_to_f16_bits(*x).to_le_bytes();
    }
}

/// F16 to f32 (exact).
pub fn dequantize_row_f16(src: &[u8], dst: &mut [f32]) {
    for (b, y) in src.as_chunks::<2>().0.iter().zip(dst.iter_mut()) {
        *y = f16_bits_to_f32(u16::from_le_bytes(*b));
    }
}

/// BF16: the top half of the f32 after round-to-nearest-even; NaNs forced quiet.
pub fn quantize_row_bf16(src: &[f32], dst: &mut [u8]) {
    for (x, out) in src.iter().zip(dst.as_chunks_mut::<2>().0) {
        *out = f32_to_bf16_bits(*x).to_le_bytes();
    }
}

/// BF16 to f32 (exact).
pub fn dequantize_row_bf16(src: &[u8], dst: &mut [f32]) {
    for (b, y) in src.as_chunks::<2>().0.iter().zip(dst.iter_mut()) {
        *y = bf16_bits_to_f32(u16::from_le_bytes(*b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_bytes_round_trip_including_nan_payload() {
        let src = [
            1.0f32,
            -0.0,
            f32::from_bits(0x7FA0_0001),
            f32::MIN_POSITIVE / 2.0,
        ];
        let mut bytes = [0u8; 16];
        quantize_row_f32(&src, &mut bytes);
        assert_eq!(&bytes[0..4], &[0, 0, 0x80, 0x3F]);
        let mut back = [0f32; 4];
        dequantize_row_f32(&bytes, &mut back);
        for (a, b) in src.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn f16_row_rounds_like_ggml() {
        let src = [
            1.0f32,
            -2.0,
            65520.0,
            1e-8,
            f32::NAN,
            f32::NEG_INFINITY,
            0.1,
        ];
        let mut bytes = [0u8; 14];
        quantize_row_f16(&src, &mut bytes);
        let bits: Vec<u16> = bytes
            .as_chunks::<2>()
            .0
            .iter()
            .map(|b| u16::from_le_bytes(*b))
            .collect();
        // 65520 ties to even -> inf; 1e-8 is below half the smallest subnormal (2^-25 ~ 2.98e-8).
        assert_eq!(
            bits,
            [0x3C00, 0xC000, 0x7C00, 0x0000, 0x7E00, 0xFC00, 0x2E66]
        );
        let mut back = [0f32; 7];
        dequantize_row_f16(&bytes, &mut back);
        assert_eq!(back[0], 1.0);
        assert_eq!(back[2], f32::INFINITY);
        assert!(back[4].is_nan());
        assert_eq!(back[6], 0.099_975_586);
    }

    #[test]
    fn bf16_row_rounds_like_ggml() {
        let src = [
            1.0f32,
            f32::from_bits(0x3F80_8000),
            f32::from_bits(0x7F80_0001),
            -3.5,
        ];
        let mut bytes = [0u8; 8];
        quantize_row_bf16(&src, &mut bytes);
        assert_eq!(bytes, [0x80, 0x3F, 0x80, 0x3F, 0xC0, 0x7F, 0x60, 0xC0]);
        let mut back = [0f32; 4];
        dequantize_row_bf16(&bytes, &mut back);
        assert_eq!(back[0], 1.0);
        assert!(back[2].is_nan());
        assert_eq!(back[3], -3.5);
    }
}
