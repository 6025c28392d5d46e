//! IQ4_NL and IQ4_XS: 4-bit quants that index a fixed non-uniform 16-entry table
//! (`kvalues_iq4nl`) instead of a uniform grid, denser near zero where weights cluster.
//!
//! Both quantizers are ggml's `quantize_row_iq4_nl_impl` (ggml/src/ggml-quants.c) as
//! `ggml_quantize_chunk` calls it through `quantize_iq4_nl` / `quantize_iq4_xs`: always with
//! `ntry = 7` (a search over 15 candidate scales), weights `imatrix * sqrt(sigma2 + x^2)` when
//! an imatrix is given and `x^2` otherwise. (ggml's `quantize_row_iq4_nl_ref` uses `ntry = -1`
//! instead, but that is not what model files are made with, so it is not reproduced here.)
//!
//! Byte-identical to llama.cpp's x86-64 build (no FMA in ggml-base). An FMA-contracting build
//! (aarch64) differs in a few blocks with an imatrix (measured: 4 of 160 IQ4_NL blocks, 2 of
//! 20 IQ4_XS super-blocks), with the same accuracy; see tests/quant_fixtures.rs.

use bytemuck::{Pod, Zeroable};

use super::common::{GROUP_MAX_EPS, f32_to_fp16_le, fp16_le_to_f32, nearest_int};

/// Elements per IQ4_NL block (`QK4_NL`, ggml/src/ggml-common.h).
pub const QK4_NL: usize = 32;
/// Elements per IQ4_XS super-block (`QK_K`).
pub const QK_K: usize = 256;

/// The 16 reconstruction levels (`kvalues_iq4nl`, ggml/src/ggml-common.h).
pub const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

/// `block_iq4_nl` (ggml/src/ggml-common.h): fp16 `d`, then 32 4-bit table indices (element
/// `j` low nibble of `qs[j]`, element `j + 16` high nibble). Value = d * kvalues[q].
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockIq4Nl {
    pub d: [u8; 2],
    pub qs: [u8; QK4_NL / 2],
}
const _: () = assert!(size_of::<BlockIq4Nl>() == 18);

/// `block_iq4_xs` (ggml/src/ggml-common.h): fp16 super-scale `d`, 8 6-bit sub-block scales
/// (low 4 bits in `scales_l` nibbles, high 2 bits in the little-endian u16 `scales_h`, stored
/// with an offset of 32), then 8 sub-blocks of 32 indices laid out as IQ4_NL's.
/// Value = d * (ls - 32) * kvalues[q].
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct BlockIq4Xs {
    pub d: [u8; 2],
    pub scales_h: [u8; 2],
    pub scales_l: [u8; QK_K / 64],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(size_of::<BlockIq4Xs>() == 136);

/// ggml's `best_index_int8`: index of the table entry nearest to `x` by binary search over the
/// sorted table; ties go to the upper entry. Comparison order kept so NaN behaves the same
/// (it ends on the last entry).
pub fn best_index_int8(values: &[i8], x: f32) -> usize {
    let n = values.len();
    if x <= values[0] as f32 {
        return 0;
    }
    if x >= values[n - 1] as f32 {
        return n - 1;
    }
    let (mut ml, mut mu) = (0usize, n - 1);
    while mu - ml > 1 {
        let mav = (ml + mu) / 2;
        if x < values[mav] as f32 {
            mu = mav;
        } else {
            ml = mav;
        }
    }
    if x - (values[mu - 1] as f32) < (values[mu] as f32) - x {
        mu - 1
    } else {
        mu
    }
}

/// The output of [`quantize_iq4_impl`] for one super-block.
struct Iq4Out {
    d: [u8; 2],
    /// 6-bit sub-block scales (offset by 32), only for super-blocks of several sub-blocks.
    ls: [u8; QK_K / 32],
    /// One table index per element.
    l: [u8; QK_K],
}

/// `quantize_row_iq4_nl_impl` with `ntry = 7` and `block_size = 32`, for a super-block `x` of
/// 32 (IQ4_NL) or 256 (IQ4_XS) elements.
fn quantize_iq4_impl(x: &[f32], quant_weights: Option<&[f32]>) -> Iq4Out {
    const NTRY: i32 = 7;
    const BS: usize = 32;
    let values = &KVALUES_IQ4NL;
    let v0 = values[0] as f32;
    let super_block_size = x.len();
    let nb = super_block_size / BS;

    let mut sigma2 = 0.0f32;
    for &v in x {
        sigma2 += v * v;
    }
    sigma2 *= 2.0 / super_block_size as f32;

    let mut out = Iq4Out {
        d: [0; 2],
        ls: [0; QK_K / 32],
        l: [0; QK_K],
    };
    let mut scales = [0.0f32; QK_K / 32];
    let mut weight = [0.0f32; BS];
    let mut max_scale = 0.0f32;
    let mut amax_scale = 0.0f32;

    for ib in 0..nb {
        let xb = &x[ib * BS..(ib + 1) * BS];
        let lb = &mut out.l[ib * BS..(ib + 1) * BS];
        match quant_weights {
            Some(qw) => {
                let qw = &qw[ib * BS..(ib + 1) * BS];
                for j in 0..BS {
                    weight[j] = qw[j] * (sigma2 + xb[j] * xb[j]).sqrt();
                }
            }
            None => {
                for j in 0..BS {
                    weight[j] = xb[j] * xb[j];
                }
            }
        }
        let mut amax = 0.0f32;
        let mut max = 0.0f32;
        for &v in xb {
            if v.abs() > amax {
                amax = v.abs();
                max = v;
            }
        }
        if amax < GROUP_MAX_EPS {
            // ggml leaves this sub-block's indices as they were; every path below rewrites
            // them before they are packed.
            scales[ib] = 0.0;
            continue;
        }
        let mut d = -max / v0;
        let mut id = 1.0 / d;
        let mut sumqx = 0.0f32;
        let mut sumq2 = 0.0f32;
        for j in 0..BS {
            let al = id * xb[j];
            let l = best_index_int8(values, al);
            lb[j] = l as u8;
            let q = values[l] as f32;
            let w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
        d = if sumq2 > 0.0 { sumqx / sumq2 } else { 0.0 };
        let mut best = d * sumqx;
        for itry in -NTRY..=NTRY {
            id = (itry + values[0] as i32) as f32 / max;
            sumqx = 0.0;
            sumq2 = 0.0;
            for j in 0..BS {
                let al = id * xb[j];
                let q = values[best_index_int8(values, al)] as f32;
                let w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        let abs_d = d.abs();
        if abs_d > amax_scale {
            amax_scale = abs_d;
            max_scale = d;
        }
    }

    if nb > 1 {
        // The super-scale maps the largest sub-scale to -32 (6-bit signed range -32..=31).
        // With an all-zero super-block this is -0.0, stored as fp16 0x8000 like ggml does.
        let d = -max_scale / 32.0;
        out.d = f32_to_fp16_le(d);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        for ib in 0..nb {
            let l = nearest_int(id * scales[ib]).clamp(-32, 31);
            let dl = d * l as f32;
            let idl = if dl != 0.0 { 1.0 / dl } else { 0.0 };
            let xb = &x[ib * BS..(ib + 1) * BS];
            for (lj, &v) in out.l[ib * BS..(ib + 1) * BS].iter_mut().zip(xb) {
                *lj = best_index_int8(values, idl * v) as u8;
            }
            out.ls[ib] = (l + 32) as u8;
        }
    } else {
        out.d = f32_to_fp16_le(scales[0]);
        // ntry > 0: re-pick every index for the final (unrounded) scale.
        let id = if scales[0] != 0.0 {
            1.0 / scales[0]
        } else {
            0.0
        };
        for (lj, &v) in out.l.iter_mut().zip(x) {
            *lj = best_index_int8(values, id * v) as u8;
        }
    }
    out
}

/// Packs 32 indices per 16 bytes: element `j` low nibble, element `j + 16` high nibble.
fn pack_nibbles(l: &[u8], qs: &mut [u8]) {
    for (i, q) in qs.as_chunks_mut::<16>().0.iter_mut().enumerate() {
        for j in 0..16 {
            q[j] = l[32 * i + j] | (l[32 * i + 16 + j] << 4);
        }
    }
}

/// IQ4_NL as `quantize_iq4_nl` (ggml/src/ggml-quants.c): each 32-element block on its own.
pub fn quantize_row_iq4_nl(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockIq4Nl] = bytemuck::cast_slice_mut(dst);
    for (ib, (x, y)) in src.as_chunks::<QK4_NL>().0.iter().zip(blocks).enumerate() {
        let qw = imatrix.map(|w| &w[ib * QK4_NL..(ib + 1) * QK4_NL]);
        let out = quantize_iq4_impl(x, qw);
        y.d = out.d;
        pack_nibbles(&out.l[..QK4_NL], &mut y.qs);
    }
}

pub fn dequantize_row_iq4_nl(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockIq4Nl] = bytemuck::cast_slice(src);
    for (b, y) in blocks
        .iter()
        .zip(dst.as_chunks_mut::<QK4_NL>().0.iter_mut())
    {
        let d = fp16_le_to_f32(b.d);
        for j in 0..QK4_NL / 2 {
            y[j] = d * KVALUES_IQ4NL[(b.qs[j] & 0xf) as usize] as f32;
            y[j + 16] = d * KVALUES_IQ4NL[(b.qs[j] >> 4) as usize] as f32;
        }
    }
}

/// IQ4_XS as `quantize_iq4_xs` (ggml/src/ggml-quants.c): 256-element super-blocks with a
/// 6-bit scale per 32 elements.
pub fn quantize_row_iq4_xs(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let blocks: &mut [BlockIq4Xs] = bytemuck::cast_slice_mut(dst);
    for (ib, (x, y)) in src.as_chunks::<QK_K>().0.iter().zip(blocks).enumerate() {
        let qw = imatrix.map(|w| &w[ib * QK_K..(ib + 1) * QK_K]);
        let out = quantize_iq4_impl(x, qw);
        y.d = out.d;
        let mut scales_h = 0u16;
        y.scales_l = [0; QK_K / 64];
        for (i, &ls) in out.ls.iter().enumerate() {
            y.scales_l[i / 2] |= (ls & 0xf) << (4 * (i % 2));
            scales_h |= ((ls >> 4) as u16) << (2 * i);
        }
        y.scales_h = scales_h.to_le_bytes();
        pack_nibbles(&out.l, &mut y.qs);
    }
}

pub fn dequantize_row_iq4_xs(src: &[u8], dst: &mut [f32]) {
    let blocks: &[BlockIq4Xs] = bytemuck::cast_slice(src);
    for (b, y) in blocks.iter().zip(dst.as_chunks_mut::<QK_K>().0.iter_mut()) {
        let d = fp16_le_to_f32(b.d);
        let scales_h = u16::from_le_bytes(b.scales_h);
        for ib in 0..QK_K / 32 {
            let ls = ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) as i32
                | ((((scales_h >> (2 * ib)) & 3) as i32) << 4);
            let dl = d * (ls - 32) as f32;
            let qs = &b.qs[16 * ib..16 * ib + 16];
            let yb = &mut y[32 * ib..32 * ib + 32];
            for j in 0..16 {
                yb[j] = dl * KVALUES_IQ4NL[(qs[j] & 0xf) as usize] as f32;
                yb[j + 16] = dl * KVALUES_IQ4NL[(qs[j] >> 4) as usize] as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_index_finds_nearest_entry() {
        let v = &KVALUES_IQ4NL;
        for (i, &k) in v.iter().enumerate() {
            assert_eq!(best_index_int8(v, k as f32), i);
        }
        assert_eq!(best_index_int8(v, -1000.0), 0);
        assert_eq!(best_index_int8(v, 1000.0), 15);
        // Between -10 and 1: midpoint -4.5 ties to the upper entry, -4.6 goes down.
        assert_eq!(best_index_int8(v, -4.5), 8);
        assert_eq!(best_index_int8(v, -4.6), 7);
        assert_eq!(best_index_int8(v, 0.0), 8);
        // NaN fails every comparison and ends on the last entry, as in ggml.
        assert_eq!(best_index_int8(v, f32::NAN), 15);
    }

    #[test]
    fn all_zero_blocks() {
        let x = [0f32; QK_K];
        let mut nl = [0u8; 18 * 8];
        quantize_row_iq4_nl(&x, &mut nl, None);
        for b in bytemuck::cast_slice::<u8, BlockIq4Nl>(&nl) {
            assert_eq!(b.d, [0, 0]);
            // Index 8 (value 1) is nearest to 0.
            assert!(b.qs.iter().all(|&q| q == 0x88));
        }
        let mut xs = [0u8; 136];
        quantize_row_iq4_xs(&x, &mut xs, None);
        let b: &BlockIq4Xs = bytemuck::from_bytes(&xs);
        // d = -0/32 = -0.0 (fp16 0x8000), every sub-scale 0 stored as 32 (high bits 0b10).
        assert_eq!(b.d, [0x00, 0x80]);
        assert_eq!(b.scales_l, [0; 4]);
        assert_eq!(u16::from_le_bytes(b.scales_h), 0xAAAA);
        let mut y = [1f32; QK_K];
        dequantize_row_iq4_xs(&xs, &mut y);
        assert!(y.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn table_values_times_a_scale_round_trip_exactly() {
        // A block made of table entries times an fp16-exact scale whose largest magnitude is
        // the -127 entry: the first candidate scale is exact and wins.
        let d = 0.0078125f32; // 2^-7
        let x: [f32; QK4_NL] =
            std::array::from_fn(|i| KVALUES_IQ4NL[if i == 0 { 0 } else { i % 16 }] as f32 * d);
        let mut bytes = [0u8; 18];
        quantize_row_iq4_nl(&x, &mut bytes, None);
        let mut y = [0f32; QK4_NL];
        dequantize_row_iq4_nl(&bytes, &mut y);
        assert_eq!(x, y);
    }

    #[test]
    fn iq4_xs_sub_scales_follow_the_blocks() {
        // Sub-block ib has amplitude ib+1: the decoded 6-bit scales must grow with ib and the
        // largest sub-block maps to scale index -32 (stored 0).
        let x: Vec<f32> = (0..QK_K)
            .map(|i| ((i / 32) + 1) as f32 * ((i as f32 * 0.7).sin()))
            .collect();
        let mut bytes = [0u8; 136];
        quantize_row_iq4_xs(&x, &mut bytes, None);
        let b: &BlockIq4Xs = bytemuck::from_bytes(&bytes);
        let h = u16::from_le_bytes(b.scales_h);
        let ls: Vec<i32> = (0..8)
            .map(|ib| {
                (((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) as i32
                    | ((((h >> (2 * ib)) & 3) as i32) << 4))
                    - 32
            })
            .collect();
        assert_eq!(ls[7].abs(), 32, "{ls:?}");
        for w in ls.windows(2) {
            assert!(w[0].abs() <= w[1].abs(), "{ls:?}");
        }
        let mut y = vec![0f32; QK_K];
        dequantize_row_iq4_xs(&bytes, &mut y);
        let err: f32 = x.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f32>() / QK_K as f32;
        let sig: f32 = x.iter().map(|a| a * a).sum::<f32>() / QK_K as f32;
        assert!(err / sig < 0.01, "relative mse {}", err / sig);
    }
}
