//! The numeric work behind the lesson widgets, on real weights: round-to-nearest as the content
//! defines it (`content/README.md`, "What rtn means"), the engine's own ggml quantizers, a
//! ggml block taken apart field by field, and how a number is stored in each format. Plain Rust
//! so it is tested natively; the engine worker calls it (`worker::learn`).

use bitsmith_curriculum::{NumberFormatKind, QuantMethod};
use bitsmith_engine::GgmlType;
use bitsmith_engine::quant::{self, common};

use crate::protocol::learn::{
    BlockField, BlockView, CurvePoint, Histogram, NumberView, QuantStats,
};

/// Why a widget's request could not be computed (shown to the learner as is).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComputeError {
    #[error("bits must be between 1 and 8, got {0}")]
    Bits(u8),
    #[error("a group of {group} does not divide rows of {cols} weights")]
    Group { group: u32, cols: u32 },
    #[error("unknown ggml type {0}")]
    UnknownType(String),
    #[error("{ty} blocks of {block} do not divide rows of {cols} weights")]
    Block { ty: String, block: usize, cols: u32 },
    #[error("row {row} / block {block} is outside the slice")]
    OutOfRange { row: u32, block: u32 },
    #[error("the weight data does not match its shape")]
    Shape,
    #[error("the engine refused: {0}")]
    Engine(String),
    #[error("{0}")]
    Invalid(String),
}

/// Bins of the widgets' histograms: enough to show a grid's levels at 4 bits, few enough to
/// read at 360 px.
pub const HIST_BINS: usize = 48;

/// Round-to-nearest of one group, in place (`content/README.md`): asymmetric between min and
/// max on `2^b` levels; symmetric on `−m..=m` with `m = 2^(b−1) − 1` and an absmax scale;
/// symmetric 1-bit as `sign(w)·mean|w|`. Rounding is half away from zero (`f32::round`).
pub fn rtn_group(w: &[f32], out: &mut [f32], bits: u8, symmetric: bool) {
    if symmetric && bits == 1 {
        let mean = w.iter().map(|x| x.abs()).sum::<f32>() / w.len().max(1) as f32;
        for (o, &x) in out.iter_mut().zip(w) {
            *o = if x < 0.0 { -mean } else { mean };
        }
    } else if symmetric {
        let m = ((1u32 << (bits - 1)) - 1) as f32;
        let amax = w.iter().fold(0f32, |a, x| a.max(x.abs()));
        let s = amax / m;
        for (o, &x) in out.iter_mut().zip(w) {
            *o = if s > 0.0 {
                (x / s).round().clamp(-m, m) * s
            } else {
                0.0
            };
        }
    } else {
        let top = ((1u32 << bits) - 1) as f32;
        let lo = w.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s = (hi - lo) / top;
        for (o, &x) in out.iter_mut().zip(w) {
            *o = if s > 0.0 {
                ((x - lo) / s).round().clamp(0.0, top) * s + lo
            } else {
                lo
            };
        }
    }
}

/// Bits per weight of rtn: the codes plus an fp16 scale (and an fp16 minimum when asymmetric)
/// per group.
pub fn rtn_bits_per_weight(bits: u8, group: u32, symmetric: bool) -> f64 {
    let side = if symmetric { 16.0 } else { 32.0 };
    f64::from(bits) + side / f64::from(group.max(1))
}

/// Reconstructs a whole slice (`rows × cols`, row-major) with rtn groups along each row.
pub fn rtn(
    w: &[f32],
    cols: u32,
    bits: u8,
    group: u32,
    symmetric: bool,
) -> Result<Vec<f32>, ComputeError> {
    if !(1..=8).contains(&bits) {
        return Err(ComputeError::Bits(bits));
    }
    if group == 0 || cols == 0 || !cols.is_multiple_of(group) {
        return Err(ComputeError::Group { group, cols });
    }
    if !w.len().is_multiple_of(cols as usize) {
        return Err(ComputeError::Shape);
    }
    let mut out = vec![0f32; w.len()];
    for (src, dst) in w
        .chunks_exact(group as usize)
        .zip(out.chunks_exact_mut(group as usize))
    {
        rtn_group(src, dst, bits, symmetric);
    }
    Ok(out)
}

fn ggml_type(name: &str) -> Result<GgmlType, ComputeError> {
    GgmlType::from_name(name)
        .filter(|t| quant::can_quantize(*t))
        .ok_or_else(|| ComputeError::UnknownType(name.to_string()))
}

/// Reconstructs a slice through the engine's quantizer for a ggml type, row by row, with the
/// importance (one value per column) as the imatrix when given.
pub fn ggml_roundtrip(
    w: &[f32],
    cols: u32,
    ty_name: &str,
    importance: Option<&[f32]>,
) -> Result<(Vec<f32>, f64), ComputeError> {
    let ty = ggml_type(ty_name)?;
    let n = cols as usize;
    let row_bytes = ty.row_bytes(n).ok_or_else(|| ComputeError::Block {
        ty: ty_name.to_string(),
        block: ty.block_size(),
        cols,
    })?;
    if n == 0 || !w.len().is_multiple_of(n) {
        return Err(ComputeError::Shape);
    }
    let mut bytes = vec![0u8; row_bytes];
    let mut out = vec![0f32; w.len()];
    for (src, dst) in w.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
        quant::quantize_row(ty, src, &mut bytes, importance)
            .map_err(|e| ComputeError::Engine(e.to_string()))?;
        quant::dequantize_row(ty, &bytes, dst).map_err(|e| ComputeError::Engine(e.to_string()))?;
    }
    Ok((out, ty.bits_per_weight()))
}

/// Equal-width bins over `[lo, hi]`; values outside are clamped into the end bins.
pub fn histogram(values: &[f32], lo: f32, hi: f32, bins: usize) -> Histogram {
    let mut counts = vec![0u32; bins.max(1)];
    let width = (hi - lo) / bins as f32;
    for &v in values {
        let i = if width > 0.0 {
            (((v - lo) / width) as isize).clamp(0, bins as isize - 1) as usize
        } else {
            0
        };
        counts[i] += 1;
    }
    Histogram { lo, hi, counts }
}

/// Error statistics of a reconstruction `q` of `w`, with optional per-column importance.
pub fn stats(
    w: &[f32],
    q: &[f32],
    cols: u32,
    bits_per_weight: f64,
    importance: Option<&[f32]>,
) -> QuantStats {
    let (mut sig, mut err, mut max_abs) = (0f64, 0f64, 0f64);
    let (mut wsig, mut werr) = (0f64, 0f64);
    for (i, (&a, &b)) in w.iter().zip(q).enumerate() {
        let d = f64::from(a - b);
        sig += f64::from(a) * f64::from(a);
        err += d * d;
        max_abs = max_abs.max(d.abs());
        if let Some(imp) = importance {
            let c = f64::from(imp[i % cols as usize]);
            wsig += c * f64::from(a) * f64::from(a);
            werr += c * d * d;
        }
    }
    let n = w.len().max(1) as f64;
    let lo = w.iter().chain(q).copied().fold(f32::INFINITY, f32::min);
    let hi = w.iter().chain(q).copied().fold(f32::NEG_INFINITY, f32::max);
    QuantStats {
        bits_per_weight,
        rmse: (err / n).sqrt(),
        rel_rmse: if sig > 0.0 { (err / sig).sqrt() } else { 0.0 },
        max_abs_err: max_abs,
        snr_db: if err > 0.0 {
            10.0 * (sig / err).log10()
        } else {
            f64::INFINITY
        },
        weighted_rel: importance.map(|_| {
            if wsig > 0.0 {
                (werr / wsig).sqrt()
            } else {
                0.0
            }
        }),
        original: histogram(w, lo, hi, HIST_BINS),
        reconstructed: histogram(q, lo, hi, HIST_BINS),
        values: w.len() as u32,
    }
}

/// The `quantize_matrix` widget: reconstruct with `method` and measure.
pub fn quantize(
    w: &[f32],
    cols: u32,
    method: &QuantMethod,
    bits: u8,
    group: u32,
    symmetric: bool,
    importance: Option<&[f32]>,
) -> Result<QuantStats, ComputeError> {
    if let Some(imp) = importance
        && imp.len() != cols as usize
    {
        return Err(ComputeError::Shape);
    }
    let (q, bpw) = match method {
        QuantMethod::Rtn => (
            rtn(w, cols, bits, group, symmetric)?,
            rtn_bits_per_weight(bits, group, symmetric),
        ),
        QuantMethod::Ggml(name) => ggml_roundtrip(w, cols, name, importance)?,
    };
    Ok(stats(w, &q, cols, bpw, importance))
}

/// The `error_vs_bits` widget: rtn at each width.
pub fn error_curve(
    w: &[f32],
    cols: u32,
    group: u32,
    symmetric: bool,
    bits: &[u8],
) -> Result<Vec<CurvePoint>, ComputeError> {
    bits.iter()
        .map(|&b| {
            let q = rtn(w, cols, b, group, symmetric)?;
            let s = stats(w, &q, cols, rtn_bits_per_weight(b, group, symmetric), None);
            Ok(CurvePoint {
                bits: b,
                bits_per_weight: s.bits_per_weight,
                rel_rmse: s.rel_rmse,
                snr_db: s.snr_db,
            })
        })
        .collect()
}

/// The fields of one block of `ty`, in storage order (ggml/src/ggml-common.h, `block_*`
/// structs): (name, bytes, is an fp16 value).
fn block_layout(ty: GgmlType) -> Option<&'static [(&'static str, usize, bool)]> {
    use GgmlType as T;
    Some(match ty {
        T::Q4_0 => &[("d", 2, true), ("qs", 16, false)],
        T::Q4_1 => &[("d", 2, true), ("m", 2, true), ("qs", 16, false)],
        T::Q5_0 => &[("d", 2, true), ("qh", 4, false), ("qs", 16, false)],
        T::Q5_1 => &[
            ("d", 2, true),
            ("m", 2, true),
            ("qh", 4, false),
            ("qs", 16, false),
        ],
        T::Q8_0 => &[("d", 2, true), ("qs", 32, false)],
        T::Q2_K => &[
            ("scales", 16, false),
            ("qs", 64, false),
            ("d", 2, true),
            ("dmin", 2, true),
        ],
        T::Q3_K => &[
            ("hmask", 32, false),
            ("qs", 64, false),
            ("scales", 12, false),
            ("d", 2, true),
        ],
        T::Q4_K => &[
            ("d", 2, true),
            ("dmin", 2, true),
            ("scales", 12, false),
            ("qs", 128, false),
        ],
        T::Q5_K => &[
            ("d", 2, true),
            ("dmin", 2, true),
            ("scales", 12, false),
            ("qh", 32, false),
            ("qs", 128, false),
        ],
        T::Q6_K => &[
            ("ql", 128, false),
            ("qh", 64, false),
            ("scales", 16, false),
            ("d", 2, true),
        ],
        T::IQ4_NL => &[("d", 2, true), ("qs", 16, false)],
        T::IQ4_XS => &[
            ("d", 2, true),
            ("scales_h", 2, false),
            ("scales_l", 4, false),
            ("qs", 128, false),
        ],
        T::TQ1_0 => &[("qs", 48, false), ("qh", 4, false), ("d", 2, true)],
        T::TQ2_0 => &[("qs", 64, false), ("d", 2, true)],
        _ => return None,
    })
}

/// The `block_format` widget: quantize row `row` with `ty_name` and take block `block` apart.
pub fn block_view(
    w: &[f32],
    cols: u32,
    ty_name: &str,
    row: u32,
    block: u32,
) -> Result<BlockView, ComputeError> {
    let ty = ggml_type(ty_name)?;
    let layout = block_layout(ty).ok_or_else(|| ComputeError::UnknownType(ty_name.into()))?;
    let n = cols as usize;
    let bs = ty.block_size();
    let row_bytes = ty.row_bytes(n).ok_or_else(|| ComputeError::Block {
        ty: ty_name.to_string(),
        block: bs,
        cols,
    })?;
    let start = row as usize * n;
    if start + n > w.len() || (block as usize + 1) * bs > n {
        return Err(ComputeError::OutOfRange { row, block });
    }
    let src = &w[start..start + n];
    let mut bytes = vec![0u8; row_bytes];
    quant::quantize_row(ty, src, &mut bytes, None)
        .map_err(|e| ComputeError::Engine(e.to_string()))?;
    let mut back = vec![0f32; n];
    quant::dequantize_row(ty, &bytes, &mut back)
        .map_err(|e| ComputeError::Engine(e.to_string()))?;
    let ts = ty.type_size();
    let blk = &bytes[block as usize * ts..][..ts];
    let mut fields = Vec::with_capacity(layout.len());
    let mut off = 0;
    for &(name, len, is_f16) in layout {
        let b = &blk[off..off + len];
        fields.push(BlockField {
            name: name.to_string(),
            offset: off as u32,
            bytes: b.to_vec(),
            value: is_f16.then(|| common::fp16_le_to_f32([b[0], b[1]])),
        });
        off += len;
    }
    if off != ts {
        return Err(ComputeError::Invalid(format!(
            "layout of {ty_name} covers {off} of {ts} bytes"
        )));
    }
    let range = block as usize * bs..(block as usize + 1) * bs;
    Ok(BlockView {
        ggml_type: ty.name().to_string(),
        block_size: bs as u32,
        block_bytes: ts as u32,
        bits_per_weight: ty.bits_per_weight(),
        fields,
        original: src[range.clone()].to_vec(),
        decoded: back[range].to_vec(),
    })
}

// ---------------------------------------------------------------------------------------------
// Number formats

/// A small float format: exponent and mantissa widths, bias, whether the all-ones exponent is
/// infinity/NaN (IEEE-like) or ordinary values (OCP E4M3, where only S.1111.111 is NaN).
struct MiniFloat {
    ebits: u32,
    mbits: u32,
    ieee_specials: bool,
}

impl MiniFloat {
    fn decode(&self, code: u32) -> f64 {
        let sign = if code >> (self.ebits + self.mbits) & 1 == 1 {
            -1.0
        } else {
            1.0
        };
        let e = (code >> self.mbits) & ((1 << self.ebits) - 1);
        let m = code & ((1 << self.mbits) - 1);
        let bias = (1i32 << (self.ebits - 1)) - 1;
        let emax = (1 << self.ebits) - 1;
        if e == emax && (self.ieee_specials || m == (1 << self.mbits) - 1) {
            return if self.ieee_specials && m == 0 {
                sign * f64::INFINITY
            } else {
                f64::NAN
            };
        }
        let frac = f64::from(m) / f64::from(1u32 << self.mbits);
        if e == 0 {
            sign * frac * 2f64.powi(1 - bias)
        } else {
            sign * (1.0 + frac) * 2f64.powi(e as i32 - bias)
        }
    }

    /// Round to nearest, ties to the even code, by scanning every code (there are 256).
    /// Returns the code and whether the value overflowed the largest finite magnitude.
    fn encode(&self, v: f64) -> (u32, bool) {
        let total = 1u32 << (1 + self.ebits + self.mbits);
        let mut best: Option<(u32, f64)> = None;
        let mut max_finite = 0f64;
        for code in 0..total {
            let x = self.decode(code);
            if !x.is_finite() {
                continue;
            }
            max_finite = max_finite.max(x.abs());
            let d = (x - v).abs();
            let better = match best {
                None => true,
                Some((c, bd)) => d < bd || (d == bd && code & 1 == 0 && c & 1 == 1),
            };
            // -0 and +0 tie at 0; keep the sign of the value.
            if better && !(x == 0.0 && (code >> (self.ebits + self.mbits) == 1) != (v < 0.0)) {
                best = Some((code, d));
            }
        }
        let overflow = v.abs() > max_finite;
        let (mut code, _) = best.unwrap_or((0, 0.0));
        if overflow && self.ieee_specials {
            // IEEE rounding: beyond the largest finite value plus half an ulp is infinity.
            let ulp_half = max_finite * 2f64.powi(-(self.mbits as i32) - 2);
            if v.abs() >= max_finite + ulp_half {
                let sign = u32::from(v < 0.0) << (self.ebits + self.mbits);
                code = sign | (((1 << self.ebits) - 1) << self.mbits);
            }
        }
        (code, overflow)
    }
}

fn bit_string(x: u64, width: u32) -> String {
    (0..width)
        .rev()
        .map(|i| if x >> i & 1 == 1 { '1' } else { '0' })
        .collect()
}

fn float_fields(bits: u64, ebits: u32, mbits: u32) -> Vec<String> {
    vec![
        bit_string(bits >> (ebits + mbits), 1),
        bit_string(bits >> mbits, ebits),
        bit_string(bits, mbits),
    ]
}

fn rel(stored: f64, v: f64) -> f64 {
    if v == 0.0 || stored == v {
        0.0
    } else if !stored.is_finite() {
        f64::INFINITY
    } else {
        ((stored - v) / v).abs()
    }
}

/// How `v` is stored in `format`. The integer formats use a symmetric grid whose range is the
/// smallest power of two ≥ |v| (as if `v` came from a tensor with that absmax), so the grid
/// step, not `v` itself, sets the error.
pub fn number_view(v: f64, format: NumberFormatKind) -> NumberView {
    use NumberFormatKind as F;
    let float = |fields: Vec<String>, stored: f64, overflow: bool| NumberView {
        format,
        fields,
        stored,
        rel_error: rel(stored, v),
        step: None,
        overflow,
    };
    match format {
        F::Fp32 => {
            let x = v as f32;
            float(
                float_fields(u64::from(x.to_bits()), 8, 23),
                f64::from(x),
                x.is_infinite() && v.is_finite(),
            )
        }
        F::Fp16 => {
            let h = common::f32_to_f16_bits(v as f32);
            let x = f64::from(common::f16_bits_to_f32(h));
            float(
                float_fields(u64::from(h), 5, 10),
                x,
                x.is_infinite() && v.is_finite(),
            )
        }
        F::Bf16 => {
            let h = common::f32_to_bf16_bits(v as f32);
            let x = f64::from(common::bf16_bits_to_f32(h));
            float(
                float_fields(u64::from(h), 8, 7),
                x,
                x.is_infinite() && v.is_finite(),
            )
        }
        F::Fp8E4M3 | F::Fp8E5M2 => {
            let f = if format == F::Fp8E4M3 {
                MiniFloat {
                    ebits: 4,
                    mbits: 3,
                    ieee_specials: false,
                }
            } else {
                MiniFloat {
                    ebits: 5,
                    mbits: 2,
                    ieee_specials: true,
                }
            };
            let (code, overflow) = f.encode(v);
            float(
                float_fields(u64::from(code), f.ebits, f.mbits),
                f.decode(code),
                overflow,
            )
        }
        F::Int8 | F::Int4 => {
            let (bits, m) = if format == F::Int8 {
                (8, 127.0)
            } else {
                (4, 7.0)
            };
            let range = if v == 0.0 {
                1.0
            } else {
                2f64.powi(v.abs().log2().ceil() as i32)
            };
            let step = range / m;
            let q = (v / step).round().clamp(-m, m);
            let code = (q as i64 as u64) & ((1 << bits) - 1);
            NumberView {
                format,
                fields: vec![bit_string(code, bits)],
                stored: q * step,
                rel_error: rel(q * step, v),
                step: Some(step),
                overflow: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtn_asymmetric_follows_the_content_definition() {
        // 2 bits between 0 and 3: levels 0, 1, 2, 3 → exact.
        let w = [0.0, 1.0, 2.0, 3.0];
        let q = rtn(&w, 4, 2, 4, false).unwrap();
        assert_eq!(q, w);
        // 1 bit between -1 and 1: levels -1 and 1; 0.2 rounds to 1 (0.6 of a step), -0.2 to -1.
        let q = rtn(&[-1.0, -0.2, 0.2, 1.0], 4, 1, 4, false).unwrap();
        assert_eq!(q, vec![-1.0, -1.0, 1.0, 1.0]);
    }

    #[test]
    fn rtn_symmetric_uses_absmax_and_clamps() {
        // 3 bits: m = 3, s = 0.9 / 3 = 0.3.
        let q = rtn(&[0.9, -0.44, 0.16, 0.0], 4, 3, 4, true).unwrap();
        let want = [0.9, -0.3 * 1.0, 0.3, 0.0];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{q:?}");
        }
        // -0.44/0.3 = -1.47 → -1; 0.16/0.3 = 0.53 → 1 (half away from zero is irrelevant here).
        // 1 bit symmetric: sign × mean |w|.
        let q = rtn(&[1.0, -3.0, 2.0, -2.0], 4, 1, 4, true).unwrap();
        assert_eq!(q, vec![2.0, -2.0, 2.0, -2.0]);
        // A zero group stays zero.
        assert_eq!(rtn(&[0.0; 4], 4, 4, 4, true).unwrap(), vec![0.0; 4]);
    }

    #[test]
    fn rtn_rejects_bad_shapes() {
        assert_eq!(
            rtn(&[0.0; 6], 6, 4, 4, true),
            Err(ComputeError::Group { group: 4, cols: 6 })
        );
        assert_eq!(rtn(&[0.0; 6], 6, 9, 3, true), Err(ComputeError::Bits(9)));
        assert_eq!(rtn(&[0.0; 7], 6, 4, 3, true), Err(ComputeError::Shape));
    }

    #[test]
    fn bits_per_weight_counts_scales() {
        assert_eq!(rtn_bits_per_weight(4, 32, true), 4.5);
        assert_eq!(rtn_bits_per_weight(4, 32, false), 5.0);
    }

    fn signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * 0.05)
            .collect()
    }

    #[test]
    fn more_bits_less_error() {
        let w = signal(4 * 256);
        let curve = error_curve(&w, 256, 32, true, &[2, 3, 4, 6, 8]).unwrap();
        for pair in curve.windows(2) {
            assert!(pair[1].rel_rmse < pair[0].rel_rmse, "{curve:?}");
            assert!(pair[1].snr_db > pair[0].snr_db);
        }
        // Each extra bit roughly halves the error (about 6 dB) at these widths.
        let gain = curve[4].snr_db - curve[3].snr_db;
        assert!((9.0..15.0).contains(&gain), "6→8 bits gained {gain} dB");
    }

    #[test]
    fn ggml_path_uses_the_engine_and_reports_its_bpw() {
        let w = signal(2 * 256);
        let s = quantize(
            &w,
            256,
            &QuantMethod::Ggml("Q4_K".into()),
            0,
            0,
            false,
            None,
        )
        .unwrap();
        assert_eq!(s.bits_per_weight, 4.5);
        assert!(s.rel_rmse > 0.0 && s.rel_rmse < 0.2, "{}", s.rel_rmse);
        let s8 = quantize(
            &w,
            256,
            &QuantMethod::Ggml("Q8_0".into()),
            0,
            0,
            false,
            None,
        )
        .unwrap();
        assert!(s8.rel_rmse < s.rel_rmse);
        assert!(matches!(
            quantize(
                &w,
                256,
                &QuantMethod::Ggml("Q9_X".into()),
                0,
                0,
                false,
                None
            ),
            Err(ComputeError::UnknownType(_))
        ));
        // Q4_K blocks are 256 wide: rows of 96 cannot hold them.
        assert!(matches!(
            quantize(
                &signal(96),
                96,
                &QuantMethod::Ggml("Q4_K".into()),
                0,
                0,
                false,
                None
            ),
            Err(ComputeError::Block { .. })
        ));
    }

    #[test]
    fn importance_weights_the_error() {
        // Error only in column 1; importance on column 1 makes the weighted error larger.
        let w = [1.0f32, 1.0, 1.0, 1.0];
        let q = [1.0f32, 0.5, 1.0, 1.0];
        let flat = stats(&w, &q, 2, 4.0, Some(&[1.0, 1.0]));
        let heavy = stats(&w, &q, 2, 4.0, Some(&[0.01, 10.0]));
        assert!(heavy.weighted_rel.unwrap() > flat.weighted_rel.unwrap());
        assert!((flat.weighted_rel.unwrap() - flat.rel_rmse).abs() < 1e-12);
        assert_eq!(stats(&w, &w, 2, 4.0, None).snr_db, f64::INFINITY);
    }

    #[test]
    fn histogram_counts_everything_once() {
        let h = histogram(&[0.0, 0.5, 1.0, 1.0, -5.0], 0.0, 1.0, 4);
        assert_eq!(h.counts, vec![2, 0, 1, 2]);
        assert_eq!(h.counts.iter().sum::<u32>(), 5);
    }

    #[test]
    fn block_fields_cover_the_block_and_decode() {
        let w = signal(2 * 256);
        for ty in [
            "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
            "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0",
        ] {
            let v = block_view(&w, 256, ty, 1, 0).unwrap();
            let t = GgmlType::from_name(ty).unwrap();
            assert_eq!(v.block_bytes as usize, t.type_size(), "{ty}");
            let covered: usize = v.fields.iter().map(|f| f.bytes.len()).sum();
            assert_eq!(covered, t.type_size(), "{ty}");
            assert_eq!(v.original.len(), t.block_size());
            assert_eq!(v.original, w[256..256 + t.block_size()].to_vec());
        }
        // Q8_0: value = d × qs[j] exactly.
        let v = block_view(&w, 256, "Q8_0", 0, 2).unwrap();
        let d = v.fields[0].value.unwrap();
        for (j, &q) in v.fields[1].bytes.iter().enumerate() {
            assert_eq!(v.decoded[j], d * f32::from(q as i8));
        }
        assert!(matches!(
            block_view(&w, 256, "Q8_0", 2, 0),
            Err(ComputeError::OutOfRange { .. })
        ));
        assert!(matches!(
            block_view(&w, 256, "Q4_K", 0, 1),
            Err(ComputeError::OutOfRange { .. })
        ));
    }

    #[test]
    fn number_formats_match_known_encodings() {
        use NumberFormatKind as F;
        let v = number_view(1.0, F::Fp16);
        assert_eq!(v.fields, vec!["0", "01111", "0000000000"]);
        assert_eq!(v.stored, 1.0);
        let v = number_view(0.1, F::Bf16);
        assert_eq!(v.fields, vec!["0", "01111011", "1001101"]);
        assert!((v.stored - 0.10009765625).abs() < 1e-12);
        // OCP E4M3: max 448 = 0.1111.110; larger saturates.
        let v = number_view(448.0, F::Fp8E4M3);
        assert_eq!(v.fields, vec!["0", "1111", "110"]);
        assert!(!v.overflow);
        let v = number_view(1000.0, F::Fp8E4M3);
        assert_eq!(v.stored, 448.0);
        assert!(v.overflow);
        // E5M2: max 57344; far beyond is infinity.
        assert_eq!(number_view(57344.0, F::Fp8E5M2).stored, 57344.0);
        let v = number_view(1e6, F::Fp8E5M2);
        assert!(v.stored.is_infinite() && v.overflow);
        assert_eq!(v.fields, vec!["0", "11111", "00"]);
        // 0.3 in E4M3: the neighbours are 0.28125 and 0.3125; 0.3125 is nearer.
        assert_eq!(number_view(0.3, F::Fp8E4M3).stored, 0.3125);
        assert_eq!(number_view(-0.3, F::Fp8E4M3).fields[0], "1");
        // Smallest E4M3 subnormal 2^-9.
        assert_eq!(
            number_view(2f64.powi(-9), F::Fp8E4M3).fields,
            vec!["0", "0000", "001"]
        );
        // int8 on the grid of range 0.5: step 0.5/127, 0.3 → 76 steps.
        let v = number_view(0.3, F::Int8);
        assert_eq!(v.step, Some(0.5 / 127.0));
        assert!((v.stored - 76.0 * 0.5 / 127.0).abs() < 1e-12);
        assert_eq!(v.fields, vec!["01001100"]);
        let v = number_view(-0.3, F::Int4);
        assert_eq!(v.fields, vec!["1100"]); // -4 in 4-bit two's complement
        assert_eq!(number_view(0.0, F::Int4).stored, 0.0);
        assert_eq!(number_view(1.0, F::Fp32).fields[1], "01111111");
    }
}
