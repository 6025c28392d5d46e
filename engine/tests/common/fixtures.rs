//! The llama.cpp reference fixtures of `tests/fixtures/quant/` and the exactness check run
//! against them, shared by the native test (`quant_fixtures.rs`) and the browser test
//! (`wasm_quant.rs`), so both targets check the same cases in the same way.
//!
//! Natively the files are read from disk. In the browser there is no file system: every file a
//! case needs is compiled into the test with `include_bytes!`, generated from the same case
//! list, so a missing fixture is a compile error there rather than a skipped check.
//!
//! Include it from a test crate as `mod common { pub mod fixtures; }`.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use bitsmith_engine::GgmlType;
use bitsmith_engine::quant;

/// Elements per fixture row (`N_PER_ROW` in scripts/gen_quant_fixtures.py).
pub const N_PER_ROW: usize = 512;

/// One fixture-checked type.
pub struct Case {
    pub ty: GgmlType,
    /// ggml's quantizer for this type reads the imatrix: `<T>.imatrix.bin` exists. For the
    /// others we check that passing an imatrix changes nothing, as in ggml.
    pub imatrix: bool,
    /// `<T>.special.bin` exists (NaN / inf / huge inputs).
    pub special: bool,
}

/// `Some(include_bytes!(file))` when the flag is `true`, `None` otherwise: a fixture that only
/// exists for some types.
#[cfg(target_arch = "wasm32")]
macro_rules! embed_if {
    (true, $file:expr) => {
        Some(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/quant/",
            $file
        )) as &[u8])
    };
    (false, $file:expr) => {
        None
    };
}

/// Declares `CASES` and, for wasm, the embedded files of each case.
macro_rules! cases {
    ($($ty:ident: imatrix = $im:tt, special = $sp:tt;)*) => {
        pub const CASES: &[Case] = &[$(Case { ty: GgmlType::$ty, imatrix: $im, special: $sp }),*];

        /// (file name, contents) of every fixture file a case uses.
        #[cfg(target_arch = "wasm32")]
        const EMBEDDED: &[(&str, Option<&[u8]>)] = &[
            ("input.f32", embed_if!(true, "input.f32")),
            ("imatrix.f32", embed_if!(true, "imatrix.f32")),
            ("special.f32", embed_if!(true, "special.f32")),
            $(
                (concat!(stringify!($ty), ".bin"),
                    embed_if!(true, concat!(stringify!($ty), ".bin"))),
                (concat!(stringify!($ty), ".deq.f32"),
                    embed_if!(true, concat!(stringify!($ty), ".deq.f32"))),
                (concat!(stringify!($ty), ".imatrix.bin"),
                    embed_if!($im, concat!(stringify!($ty), ".imatrix.bin"))),
                (concat!(stringify!($ty), ".imatrix.deq.f32"),
                    embed_if!($im, concat!(stringify!($ty), ".imatrix.deq.f32"))),
                (concat!(stringify!($ty), ".special.bin"),
                    embed_if!($sp, concat!(stringify!($ty), ".special.bin"))),
                (concat!(stringify!($ty), ".special.deq.f32"),
                    embed_if!($sp, concat!(stringify!($ty), ".special.deq.f32"))),
            )*
        ];
    };
}

// Which fixture variants scripts/gen_quant_fixtures.py writes for each type: `imatrix` for the
// types whose ggml quantizer takes quant_weights, `special` for its SPECIAL_TYPES (the
// k-quants have none). Q8_K is an activation format: its reference quantizer
// (quantize_row_q8_K_ref in ggml/src/ggml-quants.c) takes no imatrix.
cases! {
    F32: imatrix = false, special = true;
    F16: imatrix = false, special = true;
    BF16: imatrix = false, special = true;
    Q8_0: imatrix = false, special = true;
    Q4_0: imatrix = true, special = true;
    Q4_1: imatrix = true, special = true;
    Q5_0: imatrix = true, special = true;
    Q5_1: imatrix = true, special = true;
    Q2_K: imatrix = true, special = false;
    Q3_K: imatrix = true, special = false;
    Q4_K: imatrix = true, special = false;
    Q5_K: imatrix = true, special = false;
    Q6_K: imatrix = true, special = false;
    Q8_K: imatrix = false, special = false;
    IQ4_NL: imatrix = true, special = true;
    IQ4_XS: imatrix = true, special = true;
    TQ1_0: imatrix = false, special = true;
    TQ2_0: imatrix = false, special = true;
}

/// The case of `ty`, if it has one.
pub fn case_of(ty: GgmlType) -> Option<&'static Case> {
    CASES.iter().find(|c| c.ty == ty)
}

/// The bytes of fixture file `name`, or `None` if it does not exist (natively) or was not
/// embedded (wasm).
#[cfg(not(target_arch = "wasm32"))]
pub fn try_read(name: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/quant")
        .join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

/// The bytes of fixture file `name`, or `None` if it does not exist (natively) or was not
/// embedded (wasm).
#[cfg(target_arch = "wasm32")]
pub fn try_read(name: &str) -> Option<Vec<u8>> {
    EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, b)| b.map(<[u8]>::to_vec))
}

/// The bytes of fixture file `name`; panics (it is a test) when it is missing.
pub fn read(name: &str) -> Vec<u8> {
    try_read(name).unwrap_or_else(|| panic!("fixture {name} missing"))
}

/// Fixture file `name` as little-endian f32s.
pub fn read_f32(name: &str) -> Vec<f32> {
    read(name)
        .as_chunks::<4>()
        .0
        .iter()
        .map(|b| f32::from_le_bytes(*b))
        .collect()
}

/// Quantizes every row of `input` and returns the bytes.
pub fn quantize_all(ty: GgmlType, input: &[f32], imatrix: Option<&[f32]>) -> Vec<u8> {
    let row_bytes = ty.row_bytes(N_PER_ROW).expect("whole blocks");
    let mut out = vec![0u8; input.len() / N_PER_ROW * row_bytes];
    let n = quant::quantize_rows(ty, input, N_PER_ROW, &mut out, imatrix).expect("quantize");
    assert_eq!(n, out.len());
    out
}

/// Dequantizes rows of `ty` blocks (each row `N_PER_ROW` values).
pub fn dequantize_all(ty: GgmlType, bytes: &[u8]) -> Vec<f32> {
    let row_bytes = ty.row_bytes(N_PER_ROW).unwrap();
    let mut out = vec![0f32; bytes.len() / row_bytes * N_PER_ROW];
    for (src, dst) in bytes
        .chunks_exact(row_bytes)
        .zip(out.as_chunks_mut::<N_PER_ROW>().0.iter_mut())
    {
        quant::dequantize_row(ty, src, dst).expect("dequantize");
    }
    out
}

/// Describes the first difference between our bytes and ggml's, by row and block.
pub fn first_byte_diff(ty: GgmlType, ours: &[u8], ggml: &[u8]) -> Option<String> {
    if ours.len() != ggml.len() {
        return Some(format!("length {} vs ggml {}", ours.len(), ggml.len()));
    }
    let row_bytes = ty.row_bytes(N_PER_ROW).unwrap();
    let pos = ours.iter().zip(ggml).position(|(a, b)| a != b)?;
    let differing = ours.iter().zip(ggml).filter(|(a, b)| a != b).count();
    let (row, in_row) = (pos / row_bytes, pos % row_bytes);
    let (block, at) = (in_row / ty.type_size(), in_row % ty.type_size());
    let bs = ty.type_size();
    let start = pos - at;
    Some(format!(
        "{differing} bytes differ; first at row {row} block {block} byte {at}: ours {:02x?} ggml {:02x?}",
        &ours[start..start + bs],
        &ggml[start..start + bs]
    ))
}

/// Describes the first element whose f32 bits differ (NaN sign and payload included).
///
/// A host note on the `.special` fixtures: some NaNs there are not stored but *made* by
/// arithmetic (an inf scale times a zero quant in the dequantizers, or inf * 0 in a quantizer,
/// which then stores it as an f16 scale, as in `IQ4_NL.special.bin`). x86-64, where the
/// fixtures were made, gives such NaNs the bits 0xffc00000 (negative); WebAssembly leaves the
/// sign of a generated NaN to the engine, and V8 on x86-64 keeps the hardware's, so the check
/// passes there too. On an arm64 host (natively, or a browser on one) the hardware's default
/// NaN is positive, and these NaNs would differ in sign only, as llama.cpp's own would.
pub fn first_f32_diff(ours: &[f32], ggml: &[f32]) -> Option<String> {
    if ours.len() != ggml.len() {
        return Some(format!("length {} vs ggml {}", ours.len(), ggml.len()));
    }
    let pos = ours
        .iter()
        .zip(ggml)
        .position(|(a, b)| a.to_bits() != b.to_bits())?;
    let differing = ours
        .iter()
        .zip(ggml)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    Some(format!(
        "{differing} values differ; first at element {} (row {}): ours {:e} ({:#010x}) ggml {:e} ({:#010x})",
        pos,
        pos / N_PER_ROW,
        ours[pos],
        ours[pos].to_bits(),
        ggml[pos],
        ggml[pos].to_bits()
    ))
}

/// One set of fixture files checked for every case that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// `input.f32` without imatrix → `<T>.bin`, for every case.
    Plain,
    /// `input.f32` with `imatrix.f32` → `<T>.imatrix.bin`, for the cases whose quantizer reads
    /// the imatrix.
    Imatrix,
    /// `input.f32` with `imatrix.f32` → `<T>.bin`, for the cases whose quantizer ignores the
    /// imatrix (as ggml's quantize_q8_0 / quantize_tq*_0 / the float conversions do).
    ImatrixIgnored,
    /// `special.f32` (NaN, inf, huge) without imatrix → `<T>.special.bin`.
    Special,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Plain,
        Variant::Imatrix,
        Variant::ImatrixIgnored,
        Variant::Special,
    ];

    /// Whether `c` has this variant's fixtures.
    pub fn applies_to(self, c: &Case) -> bool {
        match self {
            Variant::Plain => true,
            Variant::Imatrix => c.imatrix,
            Variant::ImatrixIgnored => !c.imatrix,
            Variant::Special => c.special,
        }
    }

    fn input_file(self) -> &'static str {
        match self {
            Variant::Special => "special.f32",
            _ => "input.f32",
        }
    }

    /// The part of the expected output's file name between the type name and `.bin`.
    pub fn suffix(self) -> &'static str {
        match self {
            Variant::Plain | Variant::ImatrixIgnored => "",
            Variant::Imatrix => ".imatrix",
            Variant::Special => ".special",
        }
    }

    fn uses_imatrix(self) -> bool {
        matches!(self, Variant::Imatrix | Variant::ImatrixIgnored)
    }
}

/// Checks one case against one variant's fixtures: our quantization of the input must equal
/// ggml's bytes, and our dequantization of ggml's bytes and of ours must equal ggml's values
/// bit for bit. Returns the mismatches found (empty when exact).
pub fn check_case(c: &Case, v: Variant, input: &[f32], imatrix: &[f32]) -> Vec<String> {
    let name = c.ty.name();
    let suffix = v.suffix();
    let label = format!("{name}{suffix} ({v:?})");
    let mut failures = Vec::new();
    let ggml = read(&format!("{name}{suffix}.bin"));
    let ours = quantize_all(c.ty, input, v.uses_imatrix().then_some(imatrix));
    if let Some(d) = first_byte_diff(c.ty, &ours, &ggml) {
        failures.push(format!("{label}: quantized bytes: {d}"));
    }
    let ggml_deq = read_f32(&format!("{name}{suffix}.deq.f32"));
    // Dequantize ggml's bytes, so a quantizer bug does not hide a dequantizer check.
    if let Some(d) = first_f32_diff(&dequantize_all(c.ty, &ggml), &ggml_deq) {
        failures.push(format!("{label}: dequantized ggml's bytes: {d}"));
    }
    // And our own bytes (identical to ggml's when the first check passed; this reports how
    // far apart the values are when it did not).
    if let Some(d) = first_f32_diff(&dequantize_all(c.ty, &ours), &ggml_deq) {
        failures.push(format!("{label}: dequantized our bytes: {d}"));
    }
    failures
}

/// Runs `check_case` for every case that has variant `v`; returns (cases checked, failures).
pub fn check_variant(v: Variant) -> (usize, Vec<String>) {
    let input = read_f32(v.input_file());
    assert_eq!(input.len() % N_PER_ROW, 0, "{} row size", v.input_file());
    let imatrix = read_f32("imatrix.f32");
    assert_eq!(imatrix.len(), N_PER_ROW);
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in CASES.iter().filter(|c| v.applies_to(c)) {
        failures.extend(check_case(c, v, &input, &imatrix));
        checked += 1;
    }
    (checked, failures)
}

/// `check_variant` as an assertion that lists every mismatch at once.
pub fn assert_variant_exact(v: Variant) {
    let (checked, failures) = check_variant(v);
    assert!(checked > 0, "no case has variant {v:?}");
    assert!(
        failures.is_empty(),
        "{} mismatches with llama.cpp:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
