//! The quantized dot products.
//!
//! 1. The scalar reference for every weight type equals the f64 dot product of the dequantized
//!    weights and the dequantized activations, within `1e-5 · Σ|w_i·a_i|` (f32 accumulation),
//!    plus, for Q4_1/Q5_1, `2^-10 · Σ_blocks |m·d·Σq|`: their Q8_1 activations carry the block
//!    sum `s = d·Σq` rounded to fp16, by ggml's design.
//! 2. It is also close to the unquantized f32 dot product (a sanity bound on quantization error).
//! 3. Every SIMD kernel (AVX2 or AVX-512 natively, simd128 in the browser) equals the reference
//!    *exactly* on blocks whose scales are powers of two (then every integer block sum and
//!    every f32 operation is exact, so any difference is a wrong integer sum), and within
//!    `1e-5 · Σ|w_i·a_i|` on ordinary quantized data. (On a machine with AVX-512 the AVX2
//!    kernels are checked by the unit tests of `vec_dot::x86`.)
//! 4. Tile and whole-matrix (decode) kernels equal the type's pair kernel bit for bit, for
//!    every tile shape and for ragged row counts.
//!
//! Runs natively and, compiled for wasm32 with simd128, in headless Chromium
//! (`scripts/test_wasm.sh bitsmith-engine:infer_vec_dot`).
// Test code: fixed-size block views read clearer as chunks_exact here.
#![allow(clippy::chunks_exact_to_as_chunks)]

use bitsmith_engine::GgmlType;
use bitsmith_engine::infer::vec_dot::{
    self, ActType, Backend, matvec_fn, quantize_act_row, scalar_dot_fn, simd_dot_fn, tile_fn,
};
use bitsmith_engine::infer::{InferError, Rng};
use bitsmith_engine::quant::{self, legacy};

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const TYPES: &[GgmlType] = &[
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::IQ4_NL,
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::IQ4_XS,
    GgmlType::TQ1_0,
    GgmlType::TQ2_0,
];

fn dequant_act(act: ActType, bytes: &[u8], n: usize) -> Vec<f32> {
    let mut out = vec![0f32; n];
    match act {
        ActType::Q8_1 => legacy::dequantize_row_q8_1(bytes, &mut out).unwrap(),
        other => quant::dequantize_row(other.ggml_type(), bytes, &mut out).unwrap(),
    }
    out
}

/// Weight rows of a few shapes: Gaussian, heavy-tailed, with a constant offset (exercises the
/// mins), and sparse.
fn weight_rows(rng: &mut Rng, n: usize) -> Vec<Vec<f32>> {
    let gauss: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
    let heavy: Vec<f32> = (0..n).map(|_| rng.normal().powi(3) * 0.3).collect();
    let offset: Vec<f32> = (0..n).map(|_| 0.5 + 0.2 * rng.normal()).collect();
    let sparse: Vec<f32> = (0..n)
        .map(|i| if i % 7 == 0 { rng.normal() * 3.0 } else { 0.0 })
        .collect();
    vec![gauss, heavy, offset, sparse]
}

/// Σ_blocks |m·d·Σq| of a Q4_1/Q5_1 × Q8_1 pair (the fp16-rounded term's size).
fn q8_1_min_term(ty: GgmlType, w: &[u8], a: &[u8]) -> f64 {
    let (wb, m_off) = (ty.type_size(), 2);
    let mut s = 0f64;
    for (bw, ba) in w.chunks_exact(wb).zip(a.chunks_exact(36)) {
        let m = half_to_f32([bw[m_off], bw[m_off + 1]]);
        let d = half_to_f32([ba[0], ba[1]]);
        let sum: i32 = ba[4..36].iter().map(|&q| i32::from(q as i8)).sum();
        s += (f64::from(m) * f64::from(d) * f64::from(sum)).abs();
    }
    s
}

fn half_to_f32(b: [u8; 2]) -> f32 {
    let mut out = [0f32; 1];
    quant::dequantize_row(GgmlType::F16, &b, &mut out).unwrap();
    out[0]
}

struct Case {
    w: Vec<u8>,
    a: Vec<u8>,
    /// Exact dot of the dequantized values, its Σ|terms|, and the f32 dot of the originals.
    exact: f64,
    mag: f64,
    original: f64,
    norms: f64,
}

fn make_case(ty: GgmlType, wrow: &[f32], arow: &[f32]) -> Case {
    let n = wrow.len();
    let act = ActType::for_weight(ty).unwrap();
    let mut w = vec![0u8; ty.row_bytes(n).unwrap()];
    quant::quantize_row(ty, wrow, &mut w, None).unwrap();
    let mut a = vec![0u8; act.row_bytes(n).unwrap()];
    quantize_act_row(act, arow, &mut a).unwrap();
    let mut wd = vec![0f32; n];
    quant::dequantize_row(ty, &w, &mut wd).unwrap();
    let ad = dequant_act(act, &a, n);
    let exact: f64 = wd
        .iter()
        .zip(&ad)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let mag: f64 = wd
        .iter()
        .zip(&ad)
        .map(|(&x, &y)| (f64::from(x) * f64::from(y)).abs())
        .sum();
    let original: f64 = wrow
        .iter()
        .zip(arow)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let nw: f64 = wrow
        .iter()
        .map(|&x| f64::from(x).powi(2))
        .sum::<f64>()
        .sqrt();
    let na: f64 = arow
        .iter()
        .map(|&x| f64::from(x).powi(2))
        .sum::<f64>()
        .sqrt();
    Case {
        w,
        a,
        exact,
        mag,
        original,
        norms: nw * na,
    }
}

fn cases(ty: GgmlType, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let n = 1024;
    let mut out = Vec::new();
    for wrow in weight_rows(&mut rng, n) {
        let arow: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        out.push(make_case(ty, &wrow, &arow));
    }
    out
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn scalar_reference_equals_dequantized_dot_for_every_type() {
    for &ty in TYPES {
        let f = scalar_dot_fn(ty).unwrap_or_else(|| panic!("{ty}: no scalar kernel"));
        for (i, c) in cases(ty, 1 + ty.id() as u64).iter().enumerate() {
            let got = f64::from(f(&c.w, &c.a));
            let mut tol = 1e-5 * c.mag + 1e-9;
            if matches!(ty, GgmlType::Q4_1 | GgmlType::Q5_1) {
                tol += q8_1_min_term(ty, &c.w, &c.a) / 1024.0;
            }
            assert!(
                (got - c.exact).abs() <= tol,
                "{ty} case {i}: kernel {got} vs dequantized {} (tol {tol})",
                c.exact
            );
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn quantized_dot_is_near_the_float_dot() {
    // Relative to |w|·|a| (the dot of random vectors is ~|w||a|/sqrt(n), so this bounds the
    // combined weight + activation quantization noise). Ternary types cannot represent
    // Gaussian weights, so they only get a loose bound.
    for &ty in TYPES {
        let bound = match ty {
            GgmlType::TQ1_0 | GgmlType::TQ2_0 => 0.5,
            GgmlType::Q2_K => 0.1,
            _ => 0.05,
        };
        for (i, c) in cases(ty, 100 + ty.id() as u64).iter().enumerate() {
            let got = f64::from(vec_dot::vec_dot(ty, Backend::Scalar, &c.w, &c.a).unwrap());
            let rel = (got - c.original).abs() / c.norms;
            assert!(rel < bound, "{ty} case {i}: relative error {rel} ≥ {bound}");
        }
    }
}

/// Blocks with random quants and power-of-two scales, so every operation is exact.
fn exact_case(ty: GgmlType, rng: &mut Rng, n: usize) -> (Vec<u8>, Vec<u8>) {
    let act = ActType::for_weight(ty).unwrap();
    let pow2_f16 = |e: i32| -> [u8; 2] { (((15 + e) as u16) << 10).to_le_bytes() };
    let mut w: Vec<u8> = (0..ty.row_bytes(n).unwrap())
        .map(|_| rng.next_u64() as u8)
        .collect();
    match ty {
        GgmlType::F32 => {
            for c in w.chunks_exact_mut(4) {
                c.copy_from_slice(&((rng.below(17) as f32) - 8.0).to_le_bytes());
            }
        }
        GgmlType::F16 => {
            for c in w.chunks_exact_mut(2) {
                let v = rng.below(17) as f32 - 8.0;
                let mut b = [0u8; 2];
                quant::quantize_row(GgmlType::F16, &[v], &mut b, None).unwrap();
                c.copy_from_slice(&b);
            }
        }
        _ => {
            // (offset, exponent) of each fp16 scale field in a block.
            let fields: &[(usize, i32)] = match ty {
                GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => &[(0, -3)],
                GgmlType::Q4_1 => &[(0, -3), (2, -4)],
                GgmlType::Q2_K => &[(80, -3), (82, -3)],
                GgmlType::Q3_K => &[(108, -3)],
                GgmlType::Q4_K | GgmlType::Q5_K => &[(0, -3), (2, -3)],
                GgmlType::Q6_K => &[(208, -3)],
                other => panic!("no exact-case layout for {other}"),
            };
            for blk in w.chunks_exact_mut(ty.type_size()) {
                for &(off, e) in fields {
                    blk[off..off + 2].copy_from_slice(&pow2_f16(e));
                }
            }
        }
    }
    let mut a = vec![0u8; act.row_bytes(n).unwrap()];
    let q8 = |rng: &mut Rng| (rng.below(127) as i32 - 63) as i8;
    match act {
        ActType::F32 => {
            for c in a.chunks_exact_mut(4) {
                c.copy_from_slice(&((rng.below(17) as f32) - 8.0).to_le_bytes());
            }
        }
        ActType::F16 => {
            let vals: Vec<f32> = (0..n).map(|_| rng.below(17) as f32 - 8.0).collect();
            quant::quantize_row(GgmlType::F16, &vals, &mut a, None).unwrap();
        }
        ActType::Q8_0 | ActType::Q8_1 => {
            let bb = act.block_bytes();
            let head = bb - 32;
            for blk in a.chunks_exact_mut(bb) {
                blk[0..2].copy_from_slice(&pow2_f16(-6));
                let mut sum = 0i32;
                for q in &mut blk[head..] {
                    let v = q8(rng);
                    sum += i32::from(v);
                    *q = v as u8;
                }
                if act == ActType::Q8_1 {
                    let s = f32::from(sum as i16) / 64.0;
                    let mut b = [0u8; 2];
                    quant::quantize_row(GgmlType::F16, &[s], &mut b, None).unwrap();
                    blk[2..4].copy_from_slice(&b);
                }
            }
        }
        ActType::Q8_K => {
            for blk in a.chunks_exact_mut(292) {
                blk[0..4].copy_from_slice(&(1.0f32 / 128.0).to_le_bytes());
                let qs: Vec<i8> = (0..256).map(|_| q8(rng)).collect();
                for (d, &q) in blk[4..260].iter_mut().zip(&qs) {
                    *d = q as u8;
                }
                for j in 0..16 {
                    let s: i32 = qs[16 * j..16 * j + 16].iter().map(|&q| i32::from(q)).sum();
                    blk[260 + 2 * j..262 + 2 * j].copy_from_slice(&(s as i16).to_le_bytes());
                }
            }
        }
        ActType::BF16 => unreachable!("no BF16 SIMD kernel"),
    }
    (w, a)
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn simd_kernels_match_the_reference() {
    let simd: Vec<GgmlType> = TYPES
        .iter()
        .copied()
        .filter(|&t| simd_dot_fn(t).is_some())
        .collect();
    println!(
        "SIMD backend {:?} ({}): kernels for {simd:?}",
        Backend::detect(),
        Backend::detect().describe()
    );
    if vec_dot::simd_available() {
        // The hot types of the models we run must all have fast kernels.
        for t in [
            GgmlType::F32,
            GgmlType::Q8_0,
            GgmlType::Q4_0,
            GgmlType::Q4_1,
            GgmlType::Q2_K,
            GgmlType::Q3_K,
            GgmlType::Q4_K,
            GgmlType::Q5_K,
            GgmlType::Q6_K,
        ] {
            assert!(simd.contains(&t), "no SIMD kernel for {t}");
        }
    }
    let mut rng = Rng::new(77);
    for &ty in &simd {
        let fast = simd_dot_fn(ty).unwrap();
        let reference = scalar_dot_fn(ty).unwrap();
        // Exact: lengths of 1, 2 and 4 super-blocks (or 8..32 legacy blocks), many draws.
        for &n in &[256usize, 512, 1024] {
            for _ in 0..20 {
                let (w, a) = exact_case(ty, &mut rng, n);
                let (f, r) = (fast(&w, &a), reference(&w, &a));
                assert_eq!(
                    f.to_bits(),
                    r.to_bits(),
                    "{ty} n={n}: simd {f} vs scalar {r}"
                );
            }
        }
        // Realistic: quantized Gaussian data, f32 rounding only.
        for (i, c) in cases(ty, 200 + ty.id() as u64).iter().enumerate() {
            let (f, r) = (
                f64::from(fast(&c.w, &c.a)),
                f64::from(reference(&c.w, &c.a)),
            );
            let tol = 1e-5 * c.mag + 1e-9;
            assert!(
                (f - r).abs() <= tol,
                "{ty} case {i}: simd {f} vs scalar {r}"
            );
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn activation_types_follow_ggml_and_sizes_are_checked() {
    assert_eq!(ActType::for_weight(GgmlType::Q4_1), Some(ActType::Q8_1));
    assert_eq!(ActType::for_weight(GgmlType::Q5_0), Some(ActType::Q8_0));
    assert_eq!(ActType::for_weight(GgmlType::IQ4_NL), Some(ActType::Q8_0));
    assert_eq!(ActType::for_weight(GgmlType::IQ4_XS), Some(ActType::Q8_K));
    assert_eq!(ActType::for_weight(GgmlType::TQ2_0), Some(ActType::Q8_K));
    assert_eq!(ActType::for_weight(GgmlType::F16), Some(ActType::F16));
    assert_eq!(ActType::for_weight(GgmlType::Q8_K), None);
    let w = vec![0u8; GgmlType::Q4_K.row_bytes(512).unwrap()];
    let a = vec![0u8; ActType::Q8_K.row_bytes(256).unwrap()];
    assert!(matches!(
        vec_dot::vec_dot(GgmlType::Q4_K, Backend::Scalar, &w, &a),
        Err(InferError::DotSize(_))
    ));
    assert!(matches!(
        vec_dot::vec_dot(GgmlType::Q8_K, Backend::Scalar, &w, &a),
        Err(InferError::NoKernel(_))
    ));
    let mut out = vec![0u8; 33];
    assert!(quantize_act_row(ActType::Q8_0, &[0.0; 32], &mut out).is_err());
    assert!(quantize_act_row(ActType::Q8_K, &[0.0; 32], &mut [0u8; 292]).is_err());
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn activations_round_half_to_even_like_ggml_cpu_on_x86() {
    // amax = 127 makes the multiplier exactly 1, so these values sit exactly on .5.
    let mut x = [0f32; 32];
    x[0] = 127.0;
    x[1..7].copy_from_slice(&[0.5, 1.5, 2.5, -0.5, -2.5, 3.25]);
    let mut q8_0 = [0u8; 34];
    quantize_act_row(ActType::Q8_0, &x, &mut q8_0).unwrap();
    let q: Vec<i8> = q8_0[2..9].iter().map(|&b| b as i8).collect();
    assert_eq!(q, [127, 0, 2, 2, 0, -2, 3]);
    // ggml's portable reference rounds those halves away from zero instead.
    let mut reference = [0u8; 34];
    legacy::quantize_row_q8_0(&x, &mut reference);
    let r: Vec<i8> = reference[2..9].iter().map(|&b| b as i8).collect();
    assert_eq!(r, [127, 1, 2, 3, -1, -3, 3]);
    assert_eq!(q8_0[..2], reference[..2], "same fp16 scale");
    // Q8_1: the same quants and s = fp16(d · Σq).
    let mut q8_1 = [0u8; 36];
    quantize_act_row(ActType::Q8_1, &x, &mut q8_1).unwrap();
    assert_eq!(q8_1[4..36], q8_0[2..34]);
    assert_eq!(half_to_f32([q8_1[2], q8_1[3]]), 132.0);
    // Away from ties the two agree byte for byte.
    let mut rng = Rng::new(5);
    let xs: Vec<f32> = (0..4096).map(|_| rng.normal() * 3.0).collect();
    let mut a = vec![0u8; 128 * 34];
    let mut b = vec![0u8; 128 * 34];
    quantize_act_row(ActType::Q8_0, &xs, &mut a).unwrap();
    legacy::quantize_row_q8_0(&xs, &mut b);
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!(differing <= 4, "{differing} bytes differ on random data");
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn tile_kernels_equal_pair_kernels_bit_for_bit() {
    let mut rng = Rng::new(31);
    let n = 512;
    for &ty in TYPES {
        let Some(tile) = tile_fn(ty, Backend::Simd) else {
            continue;
        };
        let pair = simd_dot_fn(ty).unwrap();
        let act = ActType::for_weight(ty).unwrap();
        let w: Vec<Vec<u8>> = (0..4)
            .map(|_| {
                let x: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
                let mut b = vec![0u8; ty.row_bytes(n).unwrap()];
                quant::quantize_row(ty, &x, &mut b, None).unwrap();
                b
            })
            .collect();
        let a: Vec<Vec<u8>> = (0..4)
            .map(|_| {
                let x: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
                let mut b = vec![0u8; act.row_bytes(n).unwrap()];
                quantize_act_row(act, &x, &mut b).unwrap();
                b
            })
            .collect();
        for (nr, nt) in [
            (4, 1),
            (2, 4),
            (2, 3),
            (2, 2),
            (2, 1),
            (1, 4),
            (1, 3),
            (1, 2),
            (1, 1),
            (3, 2),
        ] {
            let ws: Vec<&[u8]> = w[..nr].iter().map(|v| v.as_slice()).collect();
            let acts: Vec<&[u8]> = a[..nt].iter().map(|v| v.as_slice()).collect();
            let mut out = vec![0f32; nr * nt];
            tile(&ws, &acts, &mut out);
            for r in 0..nr {
                for t in 0..nt {
                    let want = pair(ws[r], acts[t]);
                    assert_eq!(
                        out[r * nt + t].to_bits(),
                        want.to_bits(),
                        "{ty} tile {nr}×{nt} at ({r},{t})"
                    );
                }
            }
        }
    }
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn matvec_kernels_equal_pair_kernels_bit_for_bit() {
    let mut rng = Rng::new(43);
    for &ty in TYPES {
        let Some(mv) = matvec_fn(ty, Backend::Simd) else {
            continue;
        };
        assert!(matvec_fn(ty, Backend::Scalar).is_none());
        let pair = simd_dot_fn(ty).unwrap();
        let act = ActType::for_weight(ty).unwrap();
        // An odd number of 32-blocks where the type allows it (two 256-blocks otherwise).
        let n = if ty.block_size() == 32 { 7 * 32 } else { 512 };
        let rb = ty.row_bytes(n).unwrap();
        let x: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
        let mut a = vec![0u8; act.row_bytes(n).unwrap()];
        quantize_act_row(act, &x, &mut a).unwrap();
        for n_out in [1usize, 2, 3, 4, 5, 11, 33] {
            let mut w = vec![0u8; n_out * rb];
            for row in w.chunks_exact_mut(rb) {
                let v: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
                quant::quantize_row(ty, &v, row, None).unwrap();
            }
            let mut out = vec![f32::NAN; n_out];
            mv(&w, rb, &a, &mut out);
            for (r, row) in w.chunks_exact(rb).enumerate() {
                let want = pair(row, &a);
                assert_eq!(
                    out[r].to_bits(),
                    want.to_bits(),
                    "{ty} matvec of {n_out} rows, row {r}: {} vs {want}",
                    out[r]
                );
            }
        }
    }
}

/// Decode kernels against the scalar reference itself, on exact blocks (power-of-two scales:
/// every f32 step is exact, so any difference is a wrong integer sum or a misplaced row), with
/// ragged block counts and row counts that leave every remainder of the four-row tiles.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn matvec_kernels_equal_the_reference_on_exact_blocks() {
    let mut rng = Rng::new(44);
    for &ty in TYPES {
        let Some(mv) = matvec_fn(ty, Backend::Simd) else {
            continue;
        };
        let reference = scalar_dot_fn(ty).unwrap();
        let lens: &[usize] = if ty.block_size() == 32 {
            &[32, 3 * 32, 13 * 32]
        } else {
            &[256, 3 * 256]
        };
        for &n in lens {
            let rb = ty.row_bytes(n).unwrap();
            for n_out in [1usize, 3, 4, 6, 9] {
                let (_, a) = exact_case(ty, &mut rng, n);
                let mut w = Vec::with_capacity(n_out * rb);
                for _ in 0..n_out {
                    w.extend(exact_case(ty, &mut rng, n).0);
                }
                let mut out = vec![f32::NAN; n_out];
                mv(&w, rb, &a, &mut out);
                for (r, row) in w.chunks_exact(rb).enumerate() {
                    let want = reference(row, &a);
                    assert_eq!(
                        out[r].to_bits(),
                        want.to_bits(),
                        "{ty} n={n} matvec of {n_out} rows, row {r}: {} vs scalar {want}",
                        out[r]
                    );
                }
            }
        }
    }
}
