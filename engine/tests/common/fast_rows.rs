//! Inputs and the check shared by tests/quant_fast.rs (native) and tests/wasm_quant_fast.rs
//! (headless Chromium): the fast quantizers (`quant::quantize_row` and
//! `quant::fast::quantize_row_with` for each instruction set) must write exactly the bytes of
//! the scalar reference (`quant::quantize_row_reference`) on every row.
//!
//! Rows are deterministic (a fixed xorshift seed), built block by block from a list of
//! patterns so that one row mixes ordinary data with the values that exercise every branch of
//! ggml's quantizers: ±0, ties of the rounding steps, equal magnitudes of both signs (first one
//! wins), one-hot and constant blocks, subnormals, values near `f32::MAX`, infinities and NaNs
//! of both signs at the first, last and random positions.
//!
//! Include it as `mod common { pub mod fast_rows; }` (plus `pub mod fixtures;` for the fixture
//! inputs).

#![allow(dead_code)]

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::{self, fast};

/// Deterministic xorshift32 stream.
pub struct Rng(u32);

impl Rng {
    pub fn new(seed: u32) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u32(&mut self) -> u32 {
        let mut s = self.0;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        self.0 = s;
        s
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u32() as usize) % n
    }
    /// Roughly normal (sum of four uniforms), mean 0, deviation about 1.
    pub fn normal(&mut self) -> f32 {
        (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.7
    }
    pub fn sign(&mut self) -> f32 {
        if self.next_u32() & 1 == 0 { 1.0 } else { -1.0 }
    }
}

/// Number of block patterns `fill_block` knows.
pub const PATTERNS: usize = 22;

/// The patterns below this one hold no NaN. Rows with a NaN go to the reference (see
/// `quant::fast`), so most rows are drawn from these to exercise the fast kernels on
/// infinities, subnormals and huge values too.
pub const NAN_FREE_PATTERNS: usize = 18;

/// Fills `b` with pattern `p` (see the module docs).
pub fn fill_block(rng: &mut Rng, p: usize, b: &mut [f32]) {
    let n = b.len();
    match p {
        // Ordinary weights at scales from 1e-3 to 1e3.
        0..=3 => {
            let s = [1e-3f32, 0.02, 1.0, 1e3][p];
            b.iter_mut().for_each(|v| *v = rng.normal() * s);
        }
        // Magnitudes spread over the whole f32 range, subnormals to 1e34.
        4 => b
            .iter_mut()
            .for_each(|v| *v = rng.sign() * (rng.unit() * 180.0 - 100.0).exp2()),
        5 => b.fill(0.0),
        6 => b.fill(-0.0),
        7 => b
            .iter_mut()
            .for_each(|v| *v = if rng.next_u32() & 1 == 0 { 0.0 } else { -0.0 }),
        // Constant blocks.
        8 => b.fill(rng.normal()),
        // One-hot.
        9 => {
            b.fill(0.0);
            b[rng.below(n)] = rng.normal() * 3.0;
        }
        // Small integers and quarter steps: exact levels and rounding ties.
        10 => b
            .iter_mut()
            .for_each(|v| *v = (rng.below(33) as f32 - 16.0) * 0.25),
        11 => {
            b.iter_mut().for_each(|v| *v = rng.below(17) as f32 - 8.0);
            b[rng.below(n)] = -8.0;
        }
        // Equal largest magnitudes of both signs: which one comes first decides the scale.
        12 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            let m = 7.5f32;
            let (i, j) = (rng.below(n), rng.below(n));
            b[i] = m * rng.sign();
            b[j] = -b[i];
        }
        // Subnormals only.
        13 => b.iter_mut().for_each(|v| *v = rng.normal() * 1e-40),
        // Mixed subnormal and tiny normal.
        14 => b.iter_mut().for_each(|v| {
            *v = rng.normal()
                * if rng.next_u32() & 1 == 0 {
                    1e-39
                } else {
                    1e-30
                }
        }),
        // Near the top of the range.
        15 => b
            .iter_mut()
            .for_each(|v| *v = rng.sign() * f32::MAX * (0.5 + 0.5 * rng.unit())),
        16 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            b[rng.below(n)] = f32::MAX;
            b[rng.below(n)] = -3e38;
        }
        // Infinities.
        17 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            b[rng.below(n)] = f32::INFINITY * rng.sign();
        }
        // NaNs of both signs and with a payload, at random positions.
        18 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            b[rng.below(n)] = f32::NAN;
            b[rng.below(n)] = -f32::NAN;
            b[rng.below(n)] = f32::from_bits(0x7f80_1234);
        }
        // A NaN first, or last: ggml's MAX macro and the min/max scans treat those specially.
        19 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            b[0] = f32::NAN;
        }
        20 => {
            b.iter_mut().for_each(|v| *v = rng.normal());
            b[n - 1] = -f32::NAN;
        }
        // Everything at once, sparse.
        _ => b.iter_mut().for_each(|v| {
            *v = match rng.below(12) {
                0 => f32::NAN,
                1 => f32::NEG_INFINITY,
                2 => 1e-45,
                3 => -0.0,
                4 => 3.0e38,
                5 => 0.5,
                _ => rng.normal(),
            }
        }),
    }
}

/// A row of `n` values whose `group`-sized pieces cycle through the patterns from `start`;
/// with `mixed`, each piece picks a random pattern instead. Only NaN-free patterns unless
/// `nan`.
pub fn pattern_row(
    rng: &mut Rng,
    n: usize,
    group: usize,
    start: usize,
    mixed: bool,
    nan: bool,
) -> Vec<f32> {
    let count = if nan { PATTERNS } else { NAN_FREE_PATTERNS };
    let mut x = vec![0f32; n];
    for (g, b) in x.chunks_mut(group).enumerate() {
        let p = if mixed {
            rng.below(count)
        } else {
            (start + g) % count
        };
        fill_block(rng, p, b);
    }
    x
}

/// Importance weights of kind `k` for a row of `n`.
pub fn imatrix_row(rng: &mut Rng, n: usize, k: usize) -> Vec<f32> {
    (0..n)
        .map(|_| match k % 5 {
            0 => 0.1 + rng.unit() * 10.0,
            1 => {
                if rng.next_u32().is_multiple_of(4) {
                    0.0
                } else {
                    rng.unit()
                }
            }
            2 => (rng.unit() * 120.0 - 60.0).exp2(),
            3 => 1.0,
            _ => match rng.below(10) {
                0 => 0.0,
                1 => 1e30,
                2 => 1e-30,
                3 => f32::INFINITY,
                _ => rng.unit() * 5.0,
            },
        })
        .collect()
}

/// Row lengths to test for `ty`: whole, partial and several batches of lanes (8 blocks or 8
/// sub-blocks), including SmolLM2's 576 and 1536.
pub fn lengths(ty: GgmlType) -> &'static [usize] {
    if ty.block_size() == 256 {
        &[256, 512, 768, 1536]
    } else {
        &[32, 64, 96, 224, 256, 288, 544, 576, 1536]
    }
}

/// Compares every fast path against the reference on one row; returns the mismatches.
pub fn check_row(ty: GgmlType, label: &str, x: &[f32], imatrix: Option<&[f32]>) -> Vec<String> {
    let n = x.len();
    let Some(row_bytes) = ty.row_bytes(n) else {
        return Vec::new();
    };
    let mut want = vec![0u8; row_bytes];
    quant::quantize_row_reference(ty, x, &mut want, imatrix).expect("reference quantize");
    let mut failures = Vec::new();
    let mut got = vec![0xA5u8; row_bytes];
    quant::quantize_row(ty, x, &mut got, imatrix).expect("quantize_row");
    if let Some(d) = diff(ty, &got, &want) {
        failures.push(format!("{ty} quantize_row {label} (n {n}): {d}"));
    }
    for isa in fast::Isa::ALL.into_iter().filter(|i| i.available()) {
        let mut got = vec![0x5Au8; row_bytes];
        let used = fast::quantize_row_with(isa, ty, x, &mut got, imatrix).expect("fast quantize");
        // Rows holding a NaN (in the values or the weights) are left to the reference.
        let has_nan = x.iter().chain(imatrix.unwrap_or(&[])).any(|v| v.is_nan());
        if used != (fast::has_fast_path(ty) && !has_nan) {
            failures.push(format!("{ty} {isa:?} {label}: fast path used = {used}"));
        }
        if used && let Some(d) = diff(ty, &got, &want) {
            failures.push(format!("{ty} {isa:?} {label} (n {n}): {d}"));
        }
    }
    failures
}

/// The first differing byte (block and offset in it), or `None` when identical.
fn diff(ty: GgmlType, got: &[u8], want: &[u8]) -> Option<String> {
    let pos = got.iter().zip(want).position(|(a, b)| a != b)?;
    let bs = ty.type_size();
    let count = got.iter().zip(want).filter(|(a, b)| a != b).count();
    Some(format!(
        "{count} bytes differ, first: block {} byte {}: fast {:#04x} reference {:#04x}",
        pos / bs,
        pos % bs,
        got[pos],
        want[pos]
    ))
}

/// Runs the pattern rows of every length for `ty`, with and without importance weights, and
/// returns (rows checked, rows the fast kernels took, mismatches). One row in four may hold
/// NaNs.
pub fn check_patterns(
    ty: GgmlType,
    seed: u32,
    rows_per_length: usize,
) -> (usize, usize, Vec<String>) {
    let mut rng = Rng::new(seed ^ ty.id().wrapping_mul(0x9E37_79B9));
    let group = if ty.block_size() == 256 { 16 } else { 32 };
    let (mut checked, mut fast_rows) = (0, 0);
    let mut failures = Vec::new();
    for &n in lengths(ty) {
        for r in 0..rows_per_length {
            let x = pattern_row(&mut rng, n, group, r, r % 2 == 1, r % 4 == 3);
            let w = imatrix_row(&mut rng, n, r);
            let label = format!("pattern row {r}");
            failures.extend(check_row(ty, &label, &x, None));
            failures.extend(check_row(
                ty,
                &format!("{label} + imatrix {}", r % 5),
                &x,
                Some(&w),
            ));
            checked += 2;
            if !x.iter().any(|v| v.is_nan()) {
                fast_rows += 2;
            }
        }
    }
    (checked, fast_rows, failures)
}
