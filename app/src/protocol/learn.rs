//! Messages of the lesson widgets: the numeric work a widget asks of the engine worker, and what
//! comes back. The computations themselves are plain Rust in `crate::learn::compute` (tested
//! natively); the worker fetches the real weight slices and calls them.

use bitsmith_curriculum::{NumberFormatKind, QuantMethod, WeightSlice};
use serde::{Deserialize, Serialize};

/// A widget's request. Weight slices travel as their catalog entry, so the worker needs no
/// catalog: it fetches `/content/weights/<file>` (precached by the service worker) once and
/// keeps the decoded values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LearnCall {
    /// Quantize a whole slice and measure what it cost (the `quantize_matrix` widget).
    Quantize {
        slice: WeightSlice,
        method: QuantMethod,
        /// Rtn only (a ggml type has its own bits, group size and symmetry).
        bits: u8,
        group: u32,
        symmetric: bool,
        /// Weight the error by the slice's measured input importance, and hand it to ggml
        /// quantizers as their imatrix.
        importance: bool,
    },
    /// Rtn at each width in `bits` (the `error_vs_bits` widget).
    ErrorCurve {
        slice: WeightSlice,
        group: u32,
        symmetric: bool,
        bits: Vec<u8>,
    },
    /// One block of one row through a ggml type, field by field (the `block_format` widget).
    Block {
        slice: WeightSlice,
        ggml_type: String,
        row: u32,
        block: u32,
    },
    /// How `value` is stored in each format (the `number_format` widget).
    Number {
        value: f64,
        formats: Vec<NumberFormatKind>,
    },
    /// A leaky integrate-and-fire neuron (the `spiking_neuron` widget).
    Spiking {
        tau_ms: f64,
        threshold: f64,
        input: f64,
        duration_ms: u32,
    },
    /// Rounding as a QUBO, solved by simulated annealing (the `annealing_qubo` widget).
    Anneal {
        slice: WeightSlice,
        row: u32,
        col: u32,
        count: u32,
        bits: u8,
        sweeps: u32,
        t_start: f64,
        t_end: f64,
        seed: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LearnReply {
    Quantize(QuantStats),
    ErrorCurve(Vec<CurvePoint>),
    Block(BlockView),
    Number(Vec<NumberView>),
    Spiking(SpikeTrace),
    Anneal(AnnealResult),
}

/// Counts of values in `bins` equal-width bins between `lo` and `hi`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantStats {
    /// Storage cost, scales and minimums included.
    pub bits_per_weight: f64,
    /// Root-mean-square error of the reconstruction.
    pub rmse: f64,
    /// rmse / rms(weights).
    pub rel_rmse: f64,
    /// Largest |w − ŵ|.
    pub max_abs_err: f64,
    /// Signal-to-noise ratio, 10·log10(Σw² / Σ(w−ŵ)²); infinite when exact.
    pub snr_db: f64,
    /// Relative error weighted by the input importance, when asked for and available.
    pub weighted_rel: Option<f64>,
    /// The original weights and the reconstruction, over the same bins.
    pub original: Histogram,
    pub reconstructed: Histogram,
    pub values: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub bits: u8,
    pub bits_per_weight: f64,
    pub rel_rmse: f64,
    pub snr_db: f64,
}

/// One field of a ggml block: a run of bytes with a meaning (layout from ggml-common.h).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockField {
    /// Field name as in ggml-common.h (`d`, `dmin`, `scales`, `qs`, `qh`, …).
    pub name: String,
    pub offset: u32,
    pub bytes: Vec<u8>,
    /// For fp16 fields: the value.
    pub value: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockView {
    pub ggml_type: String,
    pub block_size: u32,
    pub block_bytes: u32,
    pub bits_per_weight: f64,
    pub fields: Vec<BlockField>,
    /// The block's original weights and what they decode back to.
    pub original: Vec<f32>,
    pub decoded: Vec<f32>,
}

/// How one format stores a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumberView {
    pub format: NumberFormatKind,
    /// The stored bit pattern, most significant first, grouped by field: floats as
    /// sign/exponent/mantissa, integers as one group (two's complement).
    pub fields: Vec<String>,
    /// The nearest representable value (what is stored).
    pub stored: f64,
    /// |stored − value| / |value| (0 for an exact value or value 0).
    pub rel_error: f64,
    /// For the integer formats: the scale (grid step) chosen so `value` fits.
    pub step: Option<f64>,
    /// Overflowed to infinity, or saturated at the largest finite value.
    pub overflow: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpikeTrace {
    /// Membrane potential after each 1 ms step (before a reset shows as the threshold).
    pub potential: Vec<f32>,
    /// Steps (ms) at which the neuron fired.
    pub spikes: Vec<u32>,
    /// The continuous-limit period τ·ln(Iτ/(Iτ−θ)) in ms, when it fires at all.
    pub predicted_period_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnealResult {
    /// The weights rounded, their grid step.
    pub weights: Vec<f32>,
    pub step: f32,
    /// Up (true) or down per weight, for round-to-nearest, the annealer and the optimum.
    pub rtn: Vec<bool>,
    pub annealed: Vec<bool>,
    pub optimum: Option<Vec<bool>>,
    /// Output error ΔᵀHΔ of each.
    pub rtn_energy: f64,
    pub annealed_energy: f64,
    pub optimum_energy: Option<f64>,
    /// The annealer's best energy after every 1/32 of the sweeps.
    pub trace: Vec<f64>,
}
