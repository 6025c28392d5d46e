//! The ternary formats TQ1_0 (1.6875 bpw) and TQ2_0 (2.0625 bpw) for BitNet-style models whose
//! weights are -1, 0 or +1 times one scale per 256 elements.
//!
//! Byte-identical to `quantize_row_tq1_0_ref` / `quantize_row_tq2_0_ref` and their
//! dequantizers in ggml/src/ggml-quants.c (`quantize_tq1_0` / `quantize_tq2_0` ignore the
//! imatrix, so there is no weighted path).

use bytemuck::{Pod, Zeroable};

use super::common::{c_absmax, c_lroundf, f32_to_fp16_le, fp16_le_to_f32, inv_or_zero};

/// Elements per super-block (`QK_K`).
pub const QK_K: usize = 256;

/// `block_tq1_0` (ggml/src/ggml-common.h): 48 bytes `qs` of 5 trits each (base-3 digits stored
/// as a fixed-point fraction of 256, so the n-th trit is the top digit of `byte * 3^n`),
/// 4 bytes `qh` of 4 trits each (same encoding, shifted up one trit), then fp16 `d`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockTq1_0 {
    pub qs: [u8; (QK_K - 4 * QK_K / 64) / 5],
    pub qh: [u8; QK_K / 64],
    pub d: [u8; 2],
}
const _: () = assert!(size_of::<BlockTq1_0>() == 54);

/// `block_tq2_0` (ggml/src/ggml-common.h): 64 bytes of four 2-bit values (q + 1 in 0..=2),
/// then fp16 `d`. Byte `m` of each 32-byte group holds elements `m + 32*n` at bits `2n`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockTq2_0 {
    pub qs: [u8; QK_K / 4],
    pub d: [u8; 2],
}
const _: () = assert!(size_of::<BlockTq2_0>() == 66);

/// `d = absmax`, `id = d ? 1/d : 0`: every element is rounded to the nearest of -1, 0, +1.
fn scale(x: &[f32]) -> (f32, f32) {
    let d = c_absmax(x);
    (d, inv_or_zero(d))
}

/// `(int)(lroundf(x * id) + 1)`: the trit 0..=2 (C's `long` -> `int` conversion keeps the low
/// 32 bits, which matters only for NaN/inf products, where it yields 1).
fn trit(x: f32, id: f32) -> i32 {
    c_lroundf(x * id).wrapping_add(1) as i32
}

/// Packs trits (first = most significant) into one byte as ggml does: base-3 number in a
/// `uint8_t` (wrapping like C), then the ceiling of `q * 256 / 243`.
fn pack_trits(trits: impl Iterator<Item = i32>, extra_shift: bool) -> u8 {
    let mut q: u8 = 0;
    for t in trits {
        q = (q as i32).wrapping_mul(3).wrapping_add(t) as u8;
    }
    if extra_shift {
        q = (q as i32 * 3) as u8;
    }
    // ggml: `((uint16_t)q * 256 + (243 - 1)) / 243`, a ceiling division.
    (q as u32 * 256).div_ceil(243) as u8
}

pub fn quantize_row_tq1_0(src: &[f32], dst: &mut [u8]) {
    let blocks: &mut [BlockTq1_0] = bytemuck::cast_slice_mut(dst);
    for (x, y) in src.as_chunks::<QK_K>().0.iter().zip(blocks) {
        let (d, id) = scale(x);
        y.d = f32_to_fp16_le(d);
        // 32 bytes of 5 trits, element m + 32n; then 16 bytes, element 160 + m + 16n.
        for m in 0..32 {
            y.qs[m] = pack_trits((0..5).map(|n| trit(x[m + n * 32], id)), false);
        }
        for m in 0..16 {
            y.qs[32 + m] = pack_trits((0..5).map(|n| trit(x[160 + m + n * 16], id)), false);
        }
        // Last 16 elements: 4 bytes of 4 trits, element 240 + j + 4m.
        for j in 0..4 {
            y.qh[j] = pack_trits((0..4).map(|m| trit(x[240 + j + m * 4], id)), true);
        }
    }
}

/// Trit `n` (0 = most significant) of a byte in ggml's fixed-point encoding, as -1, 0 or 1.
fn unpack_trit(byte: u8, pow3: u8) -> f32 {
    let q = byte.wrapping_mul(pow3);
    let xi = ((q as u16 * 3) >> 8) as i16;
    (xi - 1) as f32
}

pub fn dequantize_row_tq1_0(src: &[u8], dst: &mut [f32]) {
    const POW3: [u8; 5] = [1, 3, 9, 27, 81];
    let blocks: &[BlockTq1_0] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK_K>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let mut k = 0;
        let mut put = |v: f32| {
            y[k] = v * d;
            k += 1;
        };
        for &p in &POW3 {
            for m in 0..32 {
                put(unpack_trit(b.qs[m], p));
            }
        }
        for &p in &POW3 {
            for m in 0..16 {
                put(unpack_trit(b.qs[32 + m], p));
            }
        }
        for &p in &POW3[..4] {
            for j in 0..4 {
                put(unpack_trit(b.qh[j], p));
            }
        }
    }
}

pub fn quantize_row_tq2_0(src: &[f32], dst: &mut [u8]) {
    let blocks: &mut [BlockTq2_0] = bytemuck::cast_slice_mut(dst);
    for (x, y) in src.as_chunks::<QK_K>().0.iter().zip(blocks) {
        let (d, id) = scale(x);
        y.d = f32_to_fp16_le(d);
        for g in 0..2 {
            let xg = &x[128 * g..128 * (g + 1)];
            for m in 0..32 {
                let mut q: u8 = 0;
                for n in 0..4 {
                    let xi = trit(xg[m + n * 32], id);
                    q = (q as i32).wrapping_add((xi & 3) << (2 * n)) as u8;
                }
                y.qs[32 * g + m] = q;
            }
        }
    }
}

pub fn dequantize_row_tq2_0(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockTq2_0] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK_K>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let mut k = 0;
        for g in 0..2 {
            for l in 0..4 {
                for m in 0..32 {
                    let q = ((b.qs[32 * g + m] >> (2 * l)) & 3) as i32;
                    y[k] = (q - 1) as f32 * d;
                    k += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic ternary pattern covering every trit combination position-wise.
    fn ternary_row(scale: f32) -> Vec<f32> {
        (0..QK_K)
            .map(|i| ((i * 7 + i / 3) % 3) as f32 - 1.0)
            .map(|t| t * scale)
            .collect()
    }

    #[test]
    fn exact_ternary_weights_round_trip() {
        let x = ternary_row(0.5);
        let mut y = vec![0f32; QK_K];
        let mut b1 = [0u8; 54];
        quantize_row_tq1_0(&x, &mut b1);
        dequantize_row_tq1_0(&b1, &mut y);
        assert_eq!(x, y);
        let mut b2 = [0u8; 66];
        quantize_row_tq2_0(&x, &mut b2);
        dequantize_row_tq2_0(&b2, &mut y);
        assert_eq!(x, y);
    }

    #[test]
    fn every_five_trit_byte_decodes_to_its_digits() {
        // The fixed-point base-3 encoding must give back all 243 combinations.
        for v in 0..243u32 {
            let digits: Vec<i32> = (0..5).rev().map(|k| (v / 3u32.pow(k) % 3) as i32).collect();
            let byte = pack_trits(digits.iter().copied(), false);
            for (n, &p) in [1u8, 3, 9, 27, 81].iter().enumerate() {
                assert_eq!(unpack_trit(byte, p), (digits[n] - 1) as f32, "v={v} n={n}");
            }
        }
    }

    #[test]
    fn all_zero_block() {
        let x = [0f32; QK_K];
        let mut b1 = [0u8; 54];
        quantize_row_tq1_0(&x, &mut b1);
        let b: &BlockTq1_0 = bytemuck::from_bytes(&b1);
        assert_eq!(b.d, [0, 0]);
        // Five "0" trits (digit 1 each) = 121, encoded as ceil(121*256/243) = 128.
        assert!(b.qs.iter().all(|&q| q == 128));
        let mut b2 = [0u8; 66];
        quantize_row_tq2_0(&x, &mut b2);
        let b: &BlockTq2_0 = bytemuck::from_bytes(&b2);
        assert!(b.qs.iter().all(|&q| q == 0b0101_0101));
    }

    #[test]
    fn rounding_threshold_is_half_the_absmax() {
        let mut x = vec![0f32; QK_K];
        x[0] = -2.0; // absmax, negative
        x[1] = 1.0; // exactly half: lroundf rounds away from zero -> +1
        x[2] = 0.999;
        x[3] = -1.0;
        let mut b = [0u8; 66];
        quantize_row_tq2_0(&x, &mut b);
        let mut y = vec![0f32; QK_K];
        dequantize_row_tq2_0(&b, &mut y);
        assert_eq!(&y[..4], &[-2.0, 2.0, 0.0, -2.0]);
    }
}
