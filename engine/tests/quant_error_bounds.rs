//! Round-trip and dot-product error bounds per quant type, after llama.cpp's
//! tests/test-quantize-fns.cpp: the same synthetic signal `0.1 + A*cos(i + offset)` over
//! 32*128 values and the same thresholds, plus tighter bounds of our own (a real RMSE relative
//! to the signal, measured from this implementation with headroom) so that a quantizer that
//! silently degrades (e.g. picks a worse scale) fails here even while it stays under ggml's
//! deliberately loose limits.
//!
//! Data-driven: a type is covered by adding one line to `CASES`.

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::{self, legacy};

/// `test_size` in test-quantize-fns.cpp.
const TEST_SIZE: usize = 32 * 128;

// Thresholds from llama.cpp tests/test-quantize-fns.cpp.
const MAX_QUANTIZATION_TOTAL_ERROR: f32 = 0.002;
const MAX_QUANTIZATION_TOTAL_ERROR_TERNARY: f32 = 0.01;
const MAX_QUANTIZATION_TOTAL_ERROR_2BITS: f32 = 0.0075;
const MAX_QUANTIZATION_TOTAL_ERROR_3BITS: f32 = 0.0040;
const MAX_DOT_PRODUCT_ERROR: f32 = 0.02;
const MAX_DOT_PRODUCT_ERROR_LOWBIT: f32 = 0.04;
const MAX_DOT_PRODUCT_ERROR_TERNARY: f32 = 0.15;

struct Case {
    ty: GgmlType,
    /// The type ggml quantizes the other operand to for this type's `vec_dot`
    /// (`vec_dot_type` in ggml-cpu's type traits).
    vec_dot: GgmlType,
    /// ggml's limit on its `array_rmse` (= sqrt(sum of squared errors) / n).
    max_total_error: f32,
    /// ggml's limit on |dot - exact dot| / n.
    max_dot_error: f32,
    /// Our own limit on the relative RMSE sqrt(mean err^2) / sqrt(mean x^2) of the round trip.
    max_rel_rmse: f32,
}

const fn case(
    ty: GgmlType,
    vec_dot: GgmlType,
    max_total_error: f32,
    max_dot_error: f32,
    max_rel_rmse: f32,
) -> Case {
    Case {
        ty,
        vec_dot,
        max_total_error,
        max_dot_error,
        max_rel_rmse,
    }
}

use GgmlType as T;
const E: f32 = MAX_QUANTIZATION_TOTAL_ERROR;
const D: f32 = MAX_DOT_PRODUCT_ERROR;

// The vec_dot partner of each type is ggml-cpu's `vec_dot_type` (ggml/src/ggml-cpu/ggml-cpu.c):
// the k-quants, IQ4_XS and the ternary types dot with Q8_K activations.
const CASES: &[Case] = &[
    case(T::F32, T::F32, E, D, 1e-7),
    case(T::F16, T::F16, E, D, 2.5e-4),
    case(T::BF16, T::BF16, E, D, 2e-3),
    case(T::Q8_0, T::Q8_0, E, D, 4e-3),
    case(T::Q5_1, T::Q8_1, E, D, 3e-2),
    case(T::Q5_0, T::Q8_0, E, D, 3.2e-2),
    case(T::Q4_1, T::Q8_1, E, D, 6.2e-2),
    case(T::Q4_0, T::Q8_0, E, D, 6.1e-2),
    // test-quantize-fns.cpp gives Q2_K the 2-bit total-error and low-bit dot limits, Q3_K the
    // 3-bit total-error limit; the other k-quants the defaults.
    case(
        T::Q2_K,
        T::Q8_K,
        MAX_QUANTIZATION_TOTAL_ERROR_2BITS,
        MAX_DOT_PRODUCT_ERROR_LOWBIT,
        0.25,
    ),
    case(
        T::Q3_K,
        T::Q8_K,
        MAX_QUANTIZATION_TOTAL_ERROR_3BITS,
        D,
        0.135,
    ),
    case(T::Q4_K, T::Q8_K, E, D, 0.053),
    case(T::Q5_K, T::Q8_K, E, D, 0.029),
    case(T::Q6_K, T::Q8_K, E, D, 0.014),
    case(T::Q8_K, T::Q8_K, E, D, 0.004),
    case(T::IQ4_NL, T::Q8_0, E, D, 6.8e-2),
    case(T::IQ4_XS, T::Q8_K, E, D, 6.8e-2),
    case(
        T::TQ1_0,
        T::Q8_K,
        MAX_QUANTIZATION_TOTAL_ERROR_TERNARY,
        MAX_DOT_PRODUCT_ERROR_TERNARY,
        0.47,
    ),
    case(
        T::TQ2_0,
        T::Q8_K,
        MAX_QUANTIZATION_TOTAL_ERROR_TERNARY,
        MAX_DOT_PRODUCT_ERROR_TERNARY,
        0.47,
    ),
];

#[test]
fn every_quantizable_type_has_error_bounds() {
    for ty in bitsmith_engine::quant::QUANTIZABLE {
        assert!(CASES.iter().any(|c| c.ty == *ty), "{ty} has no case");
    }
}

/// `generate_data` in test-quantize-fns.cpp: `0.1 + amplitude*cosf(i + offset)` (the 0.1 is a
/// double there, hence the f64 sum).
fn generate_data(offset: f32, n: usize, amplitude: f32) -> Vec<f32> {
    (0..n)
        .map(|i| (0.1f64 + (amplitude * (i as f32 + offset).cos()) as f64) as f32)
        .collect()
}

fn round_trip(ty: GgmlType, x: &[f32]) -> Vec<f32> {
    if ty == T::Q8_1 {
        // Activation-only format: not in the dispatch, so call the helper directly.
        let mut q = vec![0u8; x.len() / 32 * legacy::Q8_1_BLOCK_BYTES];
        legacy::quantize_row_q8_1(x, &mut q).unwrap();
        let mut y = vec![0f32; x.len()];
        legacy::dequantize_row_q8_1(&q, &mut y).unwrap();
        return y;
    }
    let mut q = vec![0u8; ty.row_bytes(x.len()).expect("whole blocks")];
    quant::quantize_row(ty, x, &mut q, None).expect("quantize");
    let mut y = vec![0f32; x.len()];
    quant::dequantize_row(ty, &q, &mut y).expect("dequantize");
    y
}

/// `array_rmse` in test-quantize-fns.cpp: sqrt(sum of squares) / n (not a mean inside).
fn ggml_array_rmse(a: &[f32], b: &[f32]) -> f32 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as f64 - y as f64;
            d * d
        })
        .sum();
    (sum.sqrt() as f32) / a.len() as f32
}

fn rel_rmse(x: &[f32], y: &[f32]) -> f32 {
    let (mut err, mut sig) = (0f64, 0f64);
    for (&a, &b) in x.iter().zip(y) {
        err += (a as f64 - b as f64).powi(2);
        sig += (a as f64).powi(2);
    }
    (err / sig).sqrt() as f32
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    // test-quantize-fns.cpp: float products summed in double.
    a.iter().zip(b).map(|(&x, &y)| (x * y) as f64).sum()
}

/// `value < limit`, false for a NaN error (which `value >= limit` would let through).
fn below(value: f32, limit: f32) -> bool {
    value < limit
}

#[test]
fn round_trip_error_within_ggml_and_own_bounds() {
    let x = generate_data(0.0, TEST_SIZE, 2.0);
    let mut failures = Vec::new();
    for c in CASES {
        let y = round_trip(c.ty, &x);
        let total = ggml_array_rmse(&x, &y);
        let rel = rel_rmse(&x, &y);
        println!(
            "{:>7}: ggml-rmse {total:.3e}  rel-rmse {rel:.3e}",
            c.ty.name()
        );
        if !below(total, c.max_total_error) {
            failures.push(format!(
                "{}: ggml rmse {total} >= {}",
                c.ty, c.max_total_error
            ));
        }
        if !below(rel, c.max_rel_rmse) {
            failures.push(format!(
                "{}: relative rmse {rel} >= {}",
                c.ty, c.max_rel_rmse
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dot_product_error_within_ggml_bounds() {
    let a = generate_data(0.0, TEST_SIZE, 2.0);
    let b = generate_data(1.0, TEST_SIZE, 2.0);
    let exact = dot(&a, &b);
    let mut failures = Vec::new();
    for c in CASES {
        // ggml's vec_dot works on the two quantized operands; the exact value of that integer
        // dot is the f64 dot of the two dequantized vectors.
        let qa = round_trip(c.ty, &a);
        let qb = round_trip(c.vec_dot, &b);
        let got: f64 = qa.iter().zip(&qb).map(|(&x, &y)| x as f64 * y as f64).sum();
        let err = ((got - exact).abs() / TEST_SIZE as f64) as f32;
        println!("{:>7}: dot error {err:.3e}", c.ty.name());
        if !below(err, c.max_dot_error) {
            failures.push(format!("{}: dot error {err} >= {}", c.ty, c.max_dot_error));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn more_bits_give_less_error() {
    // Sanity ordering of the families at equal structure: Q8_0 < Q5_x < Q4_x, and the
    // affine (min) variants are at least as good as the symmetric ones on an offset signal.
    let x = generate_data(0.5, TEST_SIZE, 1.0);
    let err = |ty| rel_rmse(&x, &round_trip(ty, &x));
    let (q8, q51, q50, q41, q40) = (
        err(T::Q8_0),
        err(T::Q5_1),
        err(T::Q5_0),
        err(T::Q4_1),
        err(T::Q4_0),
    );
    assert!(q8 < q51 && q8 < q50, "Q8_0 {q8} vs Q5 {q51} {q50}");
    assert!(q51 < q41 && q50 < q40, "Q5 {q51} {q50} vs Q4 {q41} {q40}");
    assert!(q51 <= q50 * 1.05 && q41 <= q40 * 1.05);
}

/// Deterministic standard-normal samples (xorshift32 + Box-Muller).
fn gaussian(n: usize, mut seed: u32) -> Vec<f32> {
    let mut uniform = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f64 + 1.0) / (u32::MAX as f64 + 2.0)
    };
    (0..n)
        .map(|_| {
            let (u1, u2) = (uniform(), uniform());
            ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect()
}

#[test]
fn non_linear_grid_beats_uniform_grid_on_gaussian_weights() {
    // IQ4_NL/IQ4_XS spend the same 4 bits as Q4_0 on a grid shaped for bell-curve weights
    // (their reason to exist); on Gaussian data they must beat it. (On the uniform-ish cosine
    // signal above they do not, which is expected.)
    let x = gaussian(TEST_SIZE, 0x9e37_79b9);
    let err = |ty| rel_rmse(&x, &round_trip(ty, &x));
    let (q40, nl, xs) = (err(T::Q4_0), err(T::IQ4_NL), err(T::IQ4_XS));
    println!("gaussian rel-rmse: Q4_0 {q40:.4e} IQ4_NL {nl:.4e} IQ4_XS {xs:.4e}");
    assert!(nl < q40, "IQ4_NL {nl} !< Q4_0 {q40}");
    assert!(xs < q40, "IQ4_XS {xs} !< Q4_0 {q40}");
}

#[test]
fn imatrix_lowers_weighted_error() {
    // With importance weights the weighted quantizers trade error on unimportant columns for
    // error on important ones: the importance-weighted squared error must go down.
    let x = generate_data(0.25, TEST_SIZE, 1.0);
    // Deterministic weights spanning ~2 orders of magnitude.
    let w: Vec<f32> = (0..TEST_SIZE)
        .map(|i| ((i * 7919 % 101) as f32 / 20.0).exp() / 50.0)
        .collect();
    let weighted_err = |ty: GgmlType, imatrix: Option<&[f32]>| -> f64 {
        let mut q = vec![0u8; ty.row_bytes(TEST_SIZE).unwrap()];
        quant::quantize_row(ty, &x, &mut q, imatrix).unwrap();
        let mut y = vec![0f32; TEST_SIZE];
        quant::dequantize_row(ty, &q, &mut y).unwrap();
        x.iter()
            .zip(&y)
            .zip(&w)
            .map(|((&a, &b), &wi)| wi as f64 * (a as f64 - b as f64).powi(2))
            .sum()
    };
    for ty in [T::Q4_0, T::Q4_1, T::Q5_0, T::Q5_1, T::IQ4_NL, T::IQ4_XS] {
        let plain = weighted_err(ty, None);
        let weighted = weighted_err(ty, Some(&w));
        println!(
            "{:>7}: weighted err plain {plain:.4e} with imatrix {weighted:.4e}",
            ty.name()
        );
        assert!(weighted < plain, "{ty}: {weighted} !< {plain}");
    }
}
