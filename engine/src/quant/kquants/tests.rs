//! Unit tests for the k-quants: layouts, packing helpers, edge-case blocks and reconstruction
//! error bounds. Byte-exactness against llama.cpp is tested in `engine/tests/kquant_fixtures.rs`.

use super::*;

type Quantize = fn(&[f32], &mut [u8], Option<&[f32]>);
type Dequantize = fn(&[u8], &mut [f32]);

/// (name, block bytes, quantize, dequantize, max abs error on uniform [-1, 1) data).
/// About a half quantization step (range 2 over 2^bits - 1 levels) with slack for scale
/// rounding and for the imatrix path, which minimizes a weighted error instead.
const TYPES: &[(&str, usize, Quantize, Dequantize, f32)] = &[
    ("Q2_K", 84, quantize_row_q2_k, dequantize_row_q2_k, 0.60),
    ("Q3_K", 110, quantize_row_q3_k, dequantize_row_q3_k, 0.30),
    ("Q4_K", 144, quantize_row_q4_k, dequantize_row_q4_k, 0.15),
    ("Q5_K", 176, quantize_row_q5_k, dequantize_row_q5_k, 0.07),
    ("Q6_K", 210, quantize_row_q6_k, dequantize_row_q6_k, 0.03),
    (
        "Q8_K",
        292,
        quantize_row_q8_k_unweighted,
        dequantize_row_q8_k,
        0.006,
    ),
];

/// Q8_K takes no importance weights; adapts its quantizer to the table's signature.
fn quantize_row_q8_k_unweighted(src: &[f32], dst: &mut [u8], _: Option<&[f32]>) {
    quantize_row_q8_k(src, dst)
}

/// Deterministic pseudo-random values in [-1, 1) (xorshift; no external RNG needed).
fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn roundtrip(q: Quantize, dq: Dequantize, size: usize, x: &[f32], w: Option<&[f32]>) -> Vec<f32> {
    let mut bytes = vec![0xAAu8; x.len() / QK_K * size];
    q(x, &mut bytes, w);
    let mut y = vec![f32::NAN; x.len()];
    dq(&bytes, &mut y);
    y
}

fn max_abs_err(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn block_sizes_match_ggml_type_table() {
    use crate::GgmlType;
    for (ty, size) in [
        (GgmlType::Q2_K, size_of::<BlockQ2K>()),
        (GgmlType::Q3_K, size_of::<BlockQ3K>()),
        (GgmlType::Q4_K, size_of::<BlockQ4K>()),
        (GgmlType::Q5_K, size_of::<BlockQ5K>()),
        (GgmlType::Q6_K, size_of::<BlockQ6K>()),
        (GgmlType::Q8_K, size_of::<BlockQ8K>()),
    ] {
        assert_eq!(ty.type_size(), size, "{ty}");
        assert_eq!(ty.block_size(), QK_K, "{ty}");
    }
}

#[test]
fn scale_min_k4_packing_round_trips_every_value() {
    // Exercise all 64x64 (scale, min) pairs in every slot, with the other slots set to
    // different values so cross-talk between the shared bits would show.
    for a in 0..64u8 {
        for b in 0..64u8 {
            let vals: Vec<(u8, u8)> = (0..8)
                .map(|j| ((a + 7 * j as u8) % 64, (b + 13 * j as u8) % 64))
                .collect();
            let mut packed = [0u8; K_SCALE_SIZE];
            for (j, &(s, m)) in vals.iter().enumerate() {
                pack_scale_min_k4(&mut packed, j, s, m);
            }
            for (j, &v) in vals.iter().enumerate() {
                assert_eq!(get_scale_min_k4(j, &packed), v, "slot {j}");
            }
        }
    }
}

#[test]
fn q3_k_scale_decoding_matches_dequantizer_aux_trick() {
    // dequantize_row_q3_K unpacks the 12 bytes through four u32 words with masks; check our
    // per-index decoder against a transcription of that word arithmetic.
    let bytes: [u8; 12] = [
        0x12, 0xF3, 0x7C, 0x08, 0xE1, 0x5A, 0x96, 0x3D, 0xB4, 0x27, 0xC9, 0x6E,
    ];
    let w = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    let (k1, k2) = (0x0303_0303u32, 0x0f0f_0f0fu32);
    let tmp = w(2);
    let aux = [
        (w(0) & k2) | ((tmp & k1) << 4),
        (w(1) & k2) | (((tmp >> 2) & k1) << 4),
        ((w(0) >> 4) & k2) | (((tmp >> 4) & k1) << 4),
        ((w(1) >> 4) & k2) | (((tmp >> 6) & k1) << 4),
    ];
    let flat: Vec<u8> = aux.iter().flat_map(|a| a.to_le_bytes()).collect();
    for (j, &f) in flat.iter().enumerate() {
        assert_eq!(q3_k_scale(&bytes, j), f as i8 - 32, "j={j}");
    }
}

#[test]
fn random_rows_reconstruct_within_type_precision() {
    // Uniform [-1, 1) data: the worst-case error is about half a quantization step of each
    // format (2 / (2^bits - 1) / 2 per unit range) plus scale-rounding slack; the imatrix path
    // minimizes a weighted error, so its unweighted maximum may be somewhat larger.
    let x = noise(4 * QK_K, 1);
    let w: Vec<f32> = noise(4 * QK_K, 2).iter().map(|v| v.abs() + 0.1).collect();
    let mut report = Vec::new();
    let mut ok = true;
    for &(name, size, q, dq, tol) in TYPES {
        for imatrix in [None, Some(&w[..])] {
            if name == "Q8_K" && imatrix.is_some() {
                continue;
            }
            let y = roundtrip(q, dq, size, &x, imatrix);
            let err = max_abs_err(&x, &y);
            let rms = (x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
                / x.len() as f32)
                .sqrt();
            report.push(format!(
                "{name} imatrix={}: max {err} rms {rms}",
                imatrix.is_some()
            ));
            ok &= err <= tol && rms <= tol / 2.5;
        }
    }
    assert!(ok, "{}", report.join("\n"));
}

#[test]
fn all_zero_block_is_all_zero_bytes_and_values() {
    let x = vec![0.0f32; QK_K];
    let w = vec![1.0f32; QK_K];
    for &(name, size, q, dq, _) in TYPES {
        for imatrix in [None, Some(&w[..])] {
            let mut bytes = vec![0xAAu8; size];
            q(&x, &mut bytes, imatrix);
            let y = {
                let mut y = vec![f32::NAN; QK_K];
                dq(&bytes, &mut y);
                y
            };
            assert!(y.iter().all(|&v| v == 0.0), "{name}: {y:?}");
            // The scale fields are zero; the quants encode level 0 of each format (which is
            // not always byte 0, e.g. Q3_K's zero level has its high bit clear = "-4"*0).
            let d_off = match name {
                "Q2_K" => 80,
                "Q3_K" => 108,
                "Q4_K" | "Q5_K" => 0,
                "Q6_K" => 208,
                _ => 0,
            };
            if name == "Q8_K" {
                assert!(bytes.iter().all(|&b| b == 0), "{name}");
            } else {
                assert_eq!(&bytes[d_off..d_off + 2], &[0, 0], "{name} d");
            }
        }
    }
}

#[test]
fn constant_block_reconstructs_closely() {
    // (Magnitudes whose scales stay normal in fp16; for much smaller blocks, Q6_K's d falls into
    // fp16's subnormal range and loses relative precision, exactly as in ggml.)
    for c in [0.75f32, -0.75, 0.05, -1234.5] {
        let x = vec![c; QK_K];
        for &(name, size, q, dq, _) in TYPES {
            let y = roundtrip(q, dq, size, &x, None);
            let err = max_abs_err(&x, &y) / c.abs();
            // fp16 scale rounding bounds the error of every type on a flat block.
            assert!(err < 0.01, "{name} c={c}: rel err {err}");
            // Every element of a constant block must come back identical.
            assert!(y.iter().all(|&v| v == y[0]), "{name} c={c}");
        }
    }
}

#[test]
fn huge_outlier_is_kept_and_rest_stays_bounded() {
    // Every k-quant quantizes its sub-block scales relative to the largest one, so an outlier
    // 1000x the rest forces the other sub-blocks' scales to round to zero; ggml then leaves
    // their levels as they were but they decode to only the (quantized) min, or to zero for
    // the symmetric formats. The outlier survives; the rest collapses but stays bounded by
    // twice its range (min+scale formats) or its range (symmetric ones). A 20x outlier leaves
    // enough scale resolution: the bounds there are the measured errors plus ~50% (for Q8_K,
    // a single scale of 20/127 per block, half a step is 0.079).
    let mut report = Vec::new();
    let mut ok = true;
    for (outlier, rest_bound) in [
        (1000.0f32, [2.0f32, 1.0, 2.0, 2.0, 1.0, 1.0]),
        (20.0, [0.5, 0.5, 0.3, 0.25, 0.05, 0.08]),
    ] {
        let mut x = noise(QK_K, 7);
        x[37] = outlier;
        for (t, &(name, size, q, dq, tol)) in TYPES.iter().enumerate() {
            let y = roundtrip(q, dq, size, &x, None);
            let out_err = (y[37] - outlier).abs() / outlier;
            let start = if matches!(name, "Q2_K" | "Q3_K" | "Q6_K") {
                48
            } else {
                64
            };
            let err = max_abs_err(&x[start..], &y[start..]);
            report.push(format!(
                "{name} outlier {outlier}: outlier rel err {out_err}, rest {err}"
            ));
            ok &= y.iter().all(|v| v.is_finite()) && out_err <= tol && err <= rest_bound[t];
        }
    }
    assert!(ok, "{}", report.join("\n"));
}

#[test]
fn negative_max_block_keeps_sign_and_scale() {
    // The largest magnitude is negative: the symmetric formats must map it to their most
    // negative level (d > 0 stays sign-correct), the min+scale formats must represent it via
    // the min.
    let mut x = noise(QK_K, 11);
    for v in x.iter_mut() {
        *v *= 0.1;
    }
    x[200] = -5.0;
    for &(name, size, q, dq, tol) in TYPES {
        let y = roundtrip(q, dq, size, &x, None);
        assert!(
            (y[200] + 5.0).abs() <= 5.0 * tol,
            "{name}: {} for -5",
            y[200]
        );
        assert!(y[200] < 0.0, "{name}");
    }
    // Q8_K specifically: iscale = -127/max, so the max always lands on -127 and d = 1/iscale
    // carries the sign (positive here).
    let mut b = vec![0u8; 292];
    quantize_row_q8_k(&x, &mut b);
    let blk: &BlockQ8K = bytemuck::from_bytes(&b);
    assert_eq!(blk.qs[200], -127);
    assert_eq!(blk.d(), 1.0 / (-127.0f32 / -5.0));
    assert!(blk.d() > 0.0);
    let sums: i32 = (0..16).map(|j| blk.bsum(j) as i32).sum();
    assert_eq!(sums, blk.qs.iter().map(|&q| q as i32).sum::<i32>());
}

#[test]
fn q6_k_all_tiny_block_is_zeroed() {
    // Below GROUP_MAX_EPS everywhere: ggml memsets the whole block.
    let x = vec![1e-20f32; QK_K];
    let mut b = vec![0xAAu8; 210];
    quantize_row_q6_k(&x, &mut b, None);
    assert!(b.iter().all(|&v| v == 0));
}

#[test]
fn q2_k_hand_built_block_dequantizes_per_layout() {
    // d = 1, dmin = 0.5; sub-block j has scale j%16, min 1; element k of the block gets
    // level (k/7)%4 packed per ggml's 2-bit layout.
    let mut b: BlockQ2K = bytemuck::Zeroable::zeroed();
    b.d = crate::quant::common::f32_to_fp16_le(1.0);
    b.dmin = crate::quant::common::f32_to_fp16_le(0.5);
    for j in 0..16 {
        b.scales[j] = (j as u8 & 0xF) | (1 << 4);
    }
    let levels: [u8; QK_K] = std::array::from_fn(|k| ((k / 7) % 4) as u8);
    pack_2bit(&levels, &mut b.qs);
    let mut y = [0f32; QK_K];
    dequantize_row_q2_k(bytemuck::bytes_of(&b), &mut y);
    for k in 0..QK_K {
        let expect = (k / 16) as f32 * levels[k] as f32 - 0.5;
        assert_eq!(y[k], expect, "k={k}");
    }
}

#[test]
fn imatrix_changes_the_choice_toward_weighted_columns() {
    // With all weight on the first 16 columns, the weighted path must fit those better than
    // the unweighted path does (or at least no worse).
    let x = noise(QK_K, 5);
    let mut w = vec![1e-6f32; QK_K];
    for v in &mut w[..16] {
        *v = 1.0;
    }
    for &(name, size, q, dq, _) in &TYPES[..5] {
        let plain = roundtrip(q, dq, size, &x, None);
        let weighted = roundtrip(q, dq, size, &x, Some(&w));
        let e = |y: &[f32]| -> f32 { x[..16].iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum() };
        assert!(
            e(&weighted) <= e(&plain) * 1.05 + 1e-6,
            "{name}: {} vs {}",
            e(&weighted),
            e(&plain)
        );
    }
}
