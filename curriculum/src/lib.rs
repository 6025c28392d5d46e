//! Bitsmith's curriculum: the data the app loads to teach, and (behind the `compile` feature)
//! the build-time compiler that produces it from the Markdown sources in `content/`.
//!
//! # What the app loads
//!
//! `compile-content` writes, per language `<lang>` (e.g. `en`):
//!
//! | file | type | when |
//! |---|---|---|
//! | `<out>/<lang>/catalog.bin` | [`Catalog`] | at start (small: metadata only) |
//! | `<out>/<lang>/lessons/<id>.bin` | [`LessonBundle`] | lazily, when a lesson opens |
//! | `<out>/<lang>/search.bin` | [`SearchIndex`] | when the search box is first used |
//! | `<out>/weights/<file>` | raw f16 weights, see [`WeightSlice`] | when a widget needs them |
//! | `<out>/files.txt` | every file above, one path per line | for the precache list |
//!
//! Every `.bin` file is [postcard](https://docs.rs/postcard): decode with [`decode_catalog`],
//! [`decode_lesson`], [`decode_search`] (they check [`FORMAT_VERSION`]).
//!
//! # Safety of the HTML
//!
//! Every `*_html` string and every [`Block::Html`] is produced by the compiler from Markdown with
//! raw HTML disabled (any HTML in the source is escaped as text), and every [`Figure::svg`] is
//! rebuilt from an allowlist of SVG elements and attributes. The app may assign them with
//! `innerHTML`; nothing in them runs script or loads anything from the network.
//!
//! # Links inside lesson HTML
//!
//! Links to other lessons and to app pages carry `data-lesson` / `data-anchor` / `data-route`
//! attributes and an `href` made by [`lesson_href`] / [`route_href`]; the app should intercept
//! clicks on `a[data-lesson]` and `a[data-route]` and route itself. External links have
//! `rel="noopener noreferrer"` and `target="_blank"`.
//!
//! This crate's default build depends on `serde` and `postcard` only, so it costs the wasm app
//! almost nothing; the Markdown parser (pulldown-cmark) exists only under `compile`.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

#[cfg(feature = "compile")]
pub mod compile;

mod search;
pub use search::{Posting, SearchHit, SearchIndex, SearchTerm, tokenize};

/// Bumped whenever a type below changes shape; every `.bin` file starts with it, and the decode
/// helpers refuse other versions (stale cached bundles after an app update).
pub const FORMAT_VERSION: u32 = 1;

/// Prefix of the `href` of a link to a lesson (hash routing keeps it working offline and under
/// any base path). See [`lesson_href`].
pub const LESSON_HREF_PREFIX: &str = "#/learn/";

/// App pages a lesson may link to with `[text](app:<route>)`, and the `href` each gets.
pub const APP_ROUTES: &[(&str, &str)] = &[
    ("workbench", "#/workbench"),
    ("learn", "#/learn"),
    ("models", "#/models"),
    ("plan", "#/plan"),
    ("settings", "#/settings"),
];

/// The `href` of a link to lesson `id`, optionally to one of its headings.
pub fn lesson_href(id: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(a) => format!("{LESSON_HREF_PREFIX}{id}/{a}"),
        None => format!("{LESSON_HREF_PREFIX}{id}"),
    }
}

/// The `href` of an app route from [`APP_ROUTES`], or `None` for an unknown route.
pub fn route_href(route: &str) -> Option<&'static str> {
    APP_ROUTES
        .iter()
        .find(|(r, _)| *r == route)
        .map(|(_, h)| *h)
}

// ---------------------------------------------------------------------------------------------
// Catalog

/// Everything the lesson list, the skill map and the progress views need, without lesson bodies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub format_version: u32,
    /// BCP 47 language tag of this catalog (`en`).
    pub lang: String,
    /// Tracks in teaching order.
    pub tracks: Vec<Track>,
    pub skills: Vec<Skill>,
    /// Every lesson, ordered by track order, then by the lesson's number within its track.
    pub lessons: Vec<LessonMeta>,
    /// The real weight slices widgets may load from `<out>/weights/`.
    pub weights: Vec<WeightSlice>,
}

impl Catalog {
    pub fn lesson(&self, id: &str) -> Option<&LessonMeta> {
        self.lessons.iter().find(|l| l.id == id)
    }
    pub fn track(&self, id: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }
    pub fn skill(&self, id: &str) -> Option<&Skill> {
        self.skills.iter().find(|s| s.id == id)
    }
    pub fn weight(&self, id: &str) -> Option<&WeightSlice> {
        self.weights.iter().find(|w| w.id == id)
    }
    /// Lessons of one track, in order.
    pub fn lessons_in<'a>(&'a self, track: &'a str) -> impl Iterator<Item = &'a LessonMeta> + 'a {
        self.lessons.iter().filter(move |l| l.track == track)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: String,
    pub title: String,
    /// 1-based teaching order.
    pub order: u32,
    pub description: String,
    /// True for the research-directions track: the app should badge its lessons as research.
    pub research: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    Intro,
    Intermediate,
    Advanced,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub title: String,
    /// An `https://` (or `http://`) URL.
    pub url: String,
}

/// A heading of a lesson body (level 2 to 4), for a table of contents and deep links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Heading {
    /// The element id in the lesson HTML (unique within the lesson).
    pub id: String,
    pub level: u8,
    pub text: String,
}

/// A lesson's metadata, present both in the [`Catalog`] and at the top of its [`LessonBundle`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonMeta {
    /// Stable id (`[a-z0-9-]+`); also the bundle file name and the progress key.
    pub id: String,
    pub title: String,
    /// One or two sentences for lesson cards and search results (plain text).
    pub summary: String,
    /// A [`Track::id`].
    pub track: String,
    /// 1-based position within the track (the `NN-` prefix of the source file name).
    pub order: u32,
    pub level: Level,
    /// Lesson ids to read first; all earlier in the catalog order, no cycles (linted).
    pub prerequisites: Vec<String>,
    /// [`Skill::id`]s this lesson teaches.
    pub skills: Vec<String>,
    /// Estimated reading time in minutes (widgets and quiz excluded; linted against the text's
    /// length at about 100 words a minute plus one).
    pub minutes: u32,
    /// At least one (linted).
    pub sources: Vec<Source>,
    /// True when the lesson is a research direction, not established practice.
    pub research: bool,
    pub headings: Vec<Heading>,
    /// Stable ids of this lesson's quiz items (`<lesson>/<item>`), for spaced review.
    pub quiz_items: Vec<String>,
    /// Kinds of the widgets the lesson embeds (so the app can preload their code or data).
    pub widgets: Vec<WidgetKind>,
    /// Weight slice ids the lesson's widgets load (so the app can precache them).
    pub weights: Vec<String>,
    /// Size of the encoded bundle file in bytes. Set in the [`Catalog`]'s copy only; 0 in the
    /// copy inside the bundle itself (a file cannot contain its own size and hash).
    pub bundle_bytes: u32,
    /// FNV-1a 64 of the encoded bundle, as 16 hex digits: a cache key that changes with content.
    /// Set in the [`Catalog`]'s copy only; empty inside the bundle.
    pub bundle_hash: String,
}

// ---------------------------------------------------------------------------------------------
// Lesson bundles

/// One lesson, loaded lazily: its metadata and its body as a sequence of blocks, in reading
/// order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonBundle {
    pub format_version: u32,
    pub meta: LessonMeta,
    pub blocks: Vec<Block>,
}

impl LessonBundle {
    /// Every quiz item of the lesson, in order.
    pub fn quiz_items(&self) -> impl Iterator<Item = &QuizItem> {
        self.blocks.iter().flat_map(|b| match b {
            Block::Quiz(q) => q.items.as_slice(),
            _ => &[],
        })
    }
    /// Finds a quiz item by its stable id (`<lesson>/<item>`).
    pub fn quiz_item(&self, id: &str) -> Option<&QuizItem> {
        self.quiz_items().find(|q| q.id == id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// Sanitized HTML of a run of Markdown (paragraphs, headings with ids, lists, tables, code).
    Html(String),
    Quiz(Quiz),
    Widget(WidgetSpec),
    Figure(Figure),
}

/// An inline SVG figure with a text alternative.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Unique within the lesson; usable as an element id.
    pub id: String,
    /// Sanitized `<svg>…</svg>` markup (allowlisted elements and attributes only; it carries
    /// `role="img"` and an `aria-label` equal to `alt`).
    pub svg: String,
    /// Text alternative for screen readers (never empty).
    pub alt: String,
    /// Optional caption (sanitized inline HTML) for a `<figcaption>`.
    pub caption_html: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Quizzes

/// A group of quiz items shown together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    /// Unique within the lesson.
    pub id: String,
    pub items: Vec<QuizItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuizItem {
    /// Stable across content edits: `<lesson id>/<item id>`. Key spaced-review state by it.
    pub id: String,
    /// The question (sanitized inline HTML).
    pub prompt_html: String,
    /// Shown after answering (sanitized inline HTML); may be empty.
    pub explanation_html: String,
    pub kind: QuizKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QuizKind {
    /// Pick the right option(s). With more than one index in `correct`, the learner must select
    /// exactly that set (show checkboxes instead of radio buttons).
    MultipleChoice {
        options_html: Vec<String>,
        /// Indices into `options_html`, ascending, at least one.
        correct: Vec<u32>,
    },
    /// Type a number; right when `|x - answer| <= tolerance`.
    Numeric {
        answer: f64,
        /// Absolute tolerance, > 0.
        tolerance: f64,
        /// Unit shown after the input box (`GB`, `bits`, …).
        unit: Option<String>,
    },
    /// Put the items in order. `items_html` IS the correct order: shuffle before showing.
    Ordering { items_html: Vec<String> },
}

/// A learner's answer to a [`QuizItem`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    /// Selected option indices (any order).
    Choice(Vec<u32>),
    Number(f64),
    /// The learner's order, as indices into the correct order (`items_html`), e.g. `[0, 1, 2]`
    /// is right.
    Order(Vec<u32>),
}

impl QuizItem {
    /// True when `answer` is right. An answer of the wrong shape is simply wrong.
    pub fn check(&self, answer: &Answer) -> bool {
        match (&self.kind, answer) {
            (QuizKind::MultipleChoice { correct, .. }, Answer::Choice(chosen)) => {
                let mut chosen = chosen.clone();
                chosen.sort_unstable();
                chosen.dedup();
                chosen == *correct
            }
            (
                QuizKind::Numeric {
                    answer, tolerance, ..
                },
                Answer::Number(x),
            ) => x.is_finite() && (x - answer).abs() <= *tolerance,
            (QuizKind::Ordering { items_html }, Answer::Order(order)) => {
                order.len() == items_html.len()
                    && order.iter().enumerate().all(|(i, &j)| i as u32 == j)
            }
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Widgets

/// A widget embedded in a lesson: an interactive view that runs the real engine on real weights.
/// Parameters are the widget's initial settings; the learner can change them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetSpec {
    /// Unique within the lesson.
    pub id: String,
    /// Optional caption (sanitized inline HTML) saying what to try.
    pub caption_html: Option<String>,
    pub widget: Widget,
}

impl WidgetSpec {
    pub fn kind(&self) -> WidgetKind {
        self.widget.kind()
    }
}

/// The widget kinds (the names used in ```` ```widget ```` blocks are in [`WidgetKind::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WidgetKind {
    QuantizeMatrix,
    ErrorVsBits,
    NumberFormat,
    MemoryCalc,
    LayerSensitivity,
    SpikingNeuron,
    AnnealingQubo,
    BlockFormat,
    KvCache,
}

impl WidgetKind {
    pub const ALL: [WidgetKind; 9] = [
        WidgetKind::QuantizeMatrix,
        WidgetKind::ErrorVsBits,
        WidgetKind::NumberFormat,
        WidgetKind::MemoryCalc,
        WidgetKind::LayerSensitivity,
        WidgetKind::SpikingNeuron,
        WidgetKind::AnnealingQubo,
        WidgetKind::BlockFormat,
        WidgetKind::KvCache,
    ];
    /// The `kind = "…"` name in the content source.
    pub fn name(self) -> &'static str {
        match self {
            WidgetKind::QuantizeMatrix => "quantize_matrix",
            WidgetKind::ErrorVsBits => "error_vs_bits",
            WidgetKind::NumberFormat => "number_format",
            WidgetKind::MemoryCalc => "memory_calc",
            WidgetKind::LayerSensitivity => "layer_sensitivity",
            WidgetKind::SpikingNeuron => "spiking_neuron",
            WidgetKind::AnnealingQubo => "annealing_qubo",
            WidgetKind::BlockFormat => "block_format",
            WidgetKind::KvCache => "kv_cache",
        }
    }
    pub fn from_name(name: &str) -> Option<WidgetKind> {
        WidgetKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A widget and its parameters. Documented for authors in `content/README.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Widget {
    /// Quantize a real weight slice live; show the value histogram before/after, the
    /// reconstruction error (MSE, relative RMSE, max error) and the bits per weight.
    QuantizeMatrix {
        /// A [`WeightSlice::id`].
        weights: String,
        /// 1..=8; used by [`QuantMethod::Rtn`].
        bits: u8,
        /// Weights per scale along a row; divides the slice's `cols`. Rtn only.
        group_size: u32,
        /// Rtn only.
        symmetric: bool,
        method: QuantMethod,
        /// Weight the error by the slice's input importance ([`WeightSlice::importance_file`])
        /// and, for ggml methods, pass it to the quantizer as its imatrix. Show both the plain
        /// and the importance-weighted error.
        use_importance: bool,
    },
    /// Quantize a slice at every bit width in `bits` and plot reconstruction error against bits
    /// per weight; optionally overlay the whole-model curve measured offline.
    ErrorVsBits {
        weights: String,
        group_size: u32,
        symmetric: bool,
        /// Bit widths to sweep, ascending, each 1..=8.
        bits: Vec<u8>,
        /// Whole-model perplexity/KL curves measured by `scripts/extract_weight_slices.py` (RTN
        /// of every block matrix at each width), one table per series; empty unless the lesson
        /// asks for them. Plot `ppl` or `kl` against `bpw`.
        model_curve: Vec<MeasuredTable>,
    },
    /// Show how `value` is encoded (sign/exponent/mantissa bits, nearest representable value,
    /// error) in each format; the learner can type other values.
    NumberFormat {
        value: f64,
        formats: Vec<NumberFormatKind>,
    },
    /// Memory and decode-speed bound of a model: weights at `bpw`, KV cache at `kv_bits` for
    /// `context` tokens, and tokens/s <= bandwidth / bytes read per token.
    MemoryCalc {
        model: ModelShape,
        bpw: f64,
        context: u32,
        kv_bits: f64,
        /// Memory bandwidth in GB/s (1e9 bytes/s) for the speed bound.
        bandwidth_gbs: f64,
    },
    /// A precomputed sensitivity table measured on the full model (not computed live):
    /// perplexity and KL when one group of tensors is quantized and the rest is left alone.
    LayerSensitivity {
        view: SensitivityView,
        table: MeasuredTable,
    },
    /// A leaky integrate-and-fire neuron driven by a constant input; shows the membrane
    /// potential, spikes and spike count (research lesson). Model (also in
    /// `content/README.md`): Euler steps of 1 ms, `V ← V + (−V/τ + input)`, spike and reset to 0
    /// when `V ≥ threshold`. It fires iff `input·τ > threshold`, with period
    /// `τ·ln(input·τ / (input·τ − threshold))` in the continuous limit.
    SpikingNeuron {
        /// Membrane time constant in ms.
        tau_ms: f64,
        /// Firing threshold (arbitrary units; rest is 0, reset to 0).
        threshold: f64,
        /// Constant input current (same units per ms).
        input: f64,
        /// Simulated time in ms (1 ms steps).
        duration_ms: u32,
    },
    /// Rounding a few real weights up or down, posed as a QUBO and solved by simulated
    /// annealing, compared with round-to-nearest (research lesson). Definition (also in
    /// `content/README.md`): take `w = row[col .. col+count]` of the slice, the symmetric grid
    /// `s = max|w| / (2^(bits-1) - 1)`, and for each weight the choice `b_j ∈ {0, 1}` between
    /// `floor(w_j/s)·s` and that plus `s`. With `Δ_j(b) = w_j − ŵ_j(b)` and `H` the slice's
    /// [`HessianBlock`] restricted to those columns, minimise the output error
    /// `E(b) = Δᵀ H Δ`, a quadratic in `b` (a QUBO). Show E for round-to-nearest, for the
    /// annealed solution, and (for count ≤ 16) for the exhaustive optimum.
    AnnealingQubo {
        weights: String,
        /// Row of the slice to take the weights from.
        row: u32,
        /// First column of the weights taken from that row; `col .. col+count` lies inside the
        /// slice's [`HessianBlock`].
        col: u32,
        /// How many consecutive weights (the QUBO variables), 2..=24.
        count: u32,
        /// Bit width of the grid the weights are rounded onto.
        bits: u8,
        /// Annealing sweeps.
        sweeps: u32,
        /// Start and end temperatures of the geometric schedule, start > end > 0.
        t_start: f64,
        t_end: f64,
        seed: u64,
    },
    /// Quantize one block of a real row with a ggml type and show the block's bytes field by
    /// field (scales, mins, packed quants) and their decoded values.
    BlockFormat {
        weights: String,
        /// A ggml type name, e.g. `Q4_0`, `Q4_K`; its block size divides the slice's `cols`.
        ggml_type: String,
        row: u32,
        /// Which block of the row (0-based).
        block: u32,
    },
    /// KV-cache memory against context length for a model, with the cache in `kv_types`.
    KvCache {
        model: ModelShape,
        /// Largest context on the x axis.
        max_context: u32,
        /// KV cache element types to compare, as ggml names (`F16`, `Q8_0`, `Q4_0`).
        kv_types: Vec<String>,
    },
}

impl Widget {
    pub fn kind(&self) -> WidgetKind {
        match self {
            Widget::QuantizeMatrix { .. } => WidgetKind::QuantizeMatrix,
            Widget::ErrorVsBits { .. } => WidgetKind::ErrorVsBits,
            Widget::NumberFormat { .. } => WidgetKind::NumberFormat,
            Widget::MemoryCalc { .. } => WidgetKind::MemoryCalc,
            Widget::LayerSensitivity { .. } => WidgetKind::LayerSensitivity,
            Widget::SpikingNeuron { .. } => WidgetKind::SpikingNeuron,
            Widget::AnnealingQubo { .. } => WidgetKind::AnnealingQubo,
            Widget::BlockFormat { .. } => WidgetKind::BlockFormat,
            Widget::KvCache { .. } => WidgetKind::KvCache,
        }
    }
    /// The weight slice this widget loads, if any.
    pub fn weights(&self) -> Option<&str> {
        match self {
            Widget::QuantizeMatrix { weights, .. }
            | Widget::ErrorVsBits { weights, .. }
            | Widget::AnnealingQubo { weights, .. }
            | Widget::BlockFormat { weights, .. } => Some(weights),
            _ => None,
        }
    }
}

/// How the quantize_matrix widget quantizes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuantMethod {
    /// Round-to-nearest per group, as defined in `content/README.md` (symmetric: levels
    /// -(2^(b-1)-1)..=2^(b-1)-1 scaled by amax/(2^(b-1)-1); asymmetric: 0..=2^b-1 between the
    /// group's min and max; 1 bit symmetric: sign times mean |w|). Bits per weight:
    /// `bits + 16/group` (symmetric) or `bits + 32/group` (asymmetric).
    Rtn,
    /// The engine's quantizer for this ggml type name (`Q4_K`, `IQ4_NL`, …); bits, group size and
    /// symmetry are the type's own.
    Ggml(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NumberFormatKind {
    Fp32,
    Fp16,
    Bf16,
    /// OCP FP8 E4M3 (max 448, no infinities).
    Fp8E4M3,
    /// OCP FP8 E5M2 (max 57344, IEEE-like infinities and NaNs).
    Fp8E5M2,
    /// Symmetric int8 with a scale chosen so that `value` is in range (shows the grid step).
    Int8,
    Int4,
}

impl NumberFormatKind {
    pub const ALL: [NumberFormatKind; 7] = [
        NumberFormatKind::Fp32,
        NumberFormatKind::Fp16,
        NumberFormatKind::Bf16,
        NumberFormatKind::Fp8E4M3,
        NumberFormatKind::Fp8E5M2,
        NumberFormatKind::Int8,
        NumberFormatKind::Int4,
    ];
    pub fn name(self) -> &'static str {
        match self {
            NumberFormatKind::Fp32 => "fp32",
            NumberFormatKind::Fp16 => "fp16",
            NumberFormatKind::Bf16 => "bf16",
            NumberFormatKind::Fp8E4M3 => "fp8_e4m3",
            NumberFormatKind::Fp8E5M2 => "fp8_e5m2",
            NumberFormatKind::Int8 => "int8",
            NumberFormatKind::Int4 => "int4",
        }
    }
    pub fn from_name(name: &str) -> Option<NumberFormatKind> {
        NumberFormatKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The shape facts of a model that memory math needs (from its config / GGUF metadata).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelShape {
    pub name: String,
    /// Total parameter count.
    pub params: f64,
    pub layers: u32,
    /// Key/value heads (fewer than query heads with grouped-query attention).
    pub kv_heads: u32,
    pub head_dim: u32,
    /// The model's trained context length.
    pub max_context: u32,
}

impl ModelShape {
    /// KV-cache bytes per token: 2 (K and V) × layers × kv_heads × head_dim × bits/8.
    pub fn kv_bytes_per_token(&self, kv_bits: f64) -> f64 {
        2.0 * self.layers as f64 * self.kv_heads as f64 * self.head_dim as f64 * kv_bits / 8.0
    }
    /// Weight bytes at `bpw` bits per weight.
    pub fn weight_bytes(&self, bpw: f64) -> f64 {
        self.params * bpw / 8.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SensitivityView {
    /// One row per tensor kind (attn_q, …, ffn_down), each quantized in every layer.
    Kinds,
    /// One row per layer, all of its matrices quantized.
    Layers,
}

/// Numbers measured offline on a real model, with the setting they were measured in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredTable {
    /// Model and weights, e.g. "SmolLM2-135M-Instruct, weights dequantized from the Q4_1 GGUF".
    pub model: String,
    /// Evaluation text and length.
    pub text: String,
    /// What was changed for each row (method, bits, group).
    pub setting: String,
    /// Perplexity of the unmodified model on the same text.
    pub baseline_ppl: f64,
    pub rows: Vec<MeasuredRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasuredRow {
    /// What this row changed (`ffn_down`, `layer 3`, `4-bit g32 asym`).
    pub label: String,
    /// Bits per weight of the quantized tensors, where meaningful.
    pub bpw: Option<f64>,
    pub ppl: f64,
    /// Mean KL divergence from the baseline's next-token distribution (nats).
    pub kl: f64,
    /// Fraction of positions where the top-1 token matches the baseline's.
    pub top1_agree: f64,
}

// ---------------------------------------------------------------------------------------------
// Weights

/// A slice of real SmolLM2-135M-Instruct weights shipped for widgets: `rows × cols` IEEE half
/// floats, little-endian, row-major, in `<out>/weights/<file>` (exactly `rows*cols*2` bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightSlice {
    pub id: String,
    pub file: String,
    pub rows: u32,
    pub cols: u32,
    /// GGUF tensor it was cut from (`blk.0.attn_q.weight`).
    pub source_tensor: String,
    /// That tensor's type in the shipped GGUF (`Q4_1`, `Q8_0`): the values lie on its grid.
    pub source_type: String,
    pub layer: Option<u32>,
    /// Tensor kind (`attn_q`, `ffn_down`, `token_embd`).
    pub kind: String,
    /// The source rows (or token ids for embeddings), one per slice row.
    pub source_rows: Vec<u32>,
    /// Per-row labels (tokens for embedding rows); empty when none.
    pub row_labels: Vec<String>,
    /// A largest-magnitude weight in the slice worth pointing at: (row in slice, col, value).
    pub highlight: Option<(u32, u32, f32)>,
    pub note: String,
    /// File (in `<out>/weights/`) of this matrix's input importance: `cols` little-endian f32,
    /// the mean of x² of each input column over real text (what `llama-imatrix` collects).
    /// Decode with [`WeightSlice::decode_importance`]. `None` for embedding rows.
    pub importance_file: Option<String>,
    /// How the importance was measured, and how concentrated it is.
    pub importance_note: String,
    /// Second moments of a window of this matrix's inputs, for [`Widget::AnnealingQubo`].
    pub hessian: Option<HessianBlock>,
}

/// `E[x xᵀ]` of the input columns `col_start .. col_start + size` of a matrix over real text
/// (GPTQ's Hessian up to a factor 2): `size × size` little-endian f32, row-major, in
/// `<out>/weights/<file>`. Decode with [`HessianBlock::decode`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HessianBlock {
    pub file: String,
    pub col_start: u32,
    pub size: u32,
}

impl HessianBlock {
    /// The `size × size` matrix, row-major; `None` on a length mismatch.
    pub fn decode(&self, bytes: &[u8]) -> Option<Vec<f32>> {
        let n = self.size as usize * self.size as usize;
        if bytes.len() != n * 4 {
            return None;
        }
        Some(
            bytes
                .as_chunks::<4>()
                .0
                .iter()
                .map(|b| f32::from_le_bytes(*b))
                .collect(),
        )
    }
}

impl WeightSlice {
    /// Decodes the slice file's bytes into f32 values (row-major). `None` when the length is not
    /// `rows*cols*2`.
    pub fn decode_f16(&self, bytes: &[u8]) -> Option<Vec<f32>> {
        if bytes.len() != self.rows as usize * self.cols as usize * 2 {
            return None;
        }
        Some(
            bytes
                .as_chunks::<2>()
                .0
                .iter()
                .map(|b| f16_to_f32(u16::from_le_bytes(*b)))
                .collect(),
        )
    }
}

impl WeightSlice {
    /// Decodes the importance file's bytes (`cols` little-endian f32). `None` on a length
    /// mismatch.
    pub fn decode_importance(&self, bytes: &[u8]) -> Option<Vec<f32>> {
        if bytes.len() != self.cols as usize * 4 {
            return None;
        }
        Some(
            bytes
                .as_chunks::<4>()
                .0
                .iter()
                .map(|b| f32::from_le_bytes(*b))
                .collect(),
        )
    }
}

/// IEEE binary16 → f32 (exact), kept here so the default build needs no `half` crate.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m × 2^-24; normalise into an f32.
            let shift = m.leading_zeros() - 21; // m has at most 10 significant bits
            let m = (m << shift) & 0x3ff;
            sign | ((127 - 15 + 1 - shift) << 23) | (m << 13)
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, m) => sign | 0x7fc0_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Why a `.bin` file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid postcard for the expected type (truncated or corrupt).
    Corrupt(postcard::Error),
    /// Built by another version of the compiler; refetch it.
    Version { found: u32, expected: u32 },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::Corrupt(e) => write!(f, "corrupt curriculum file: {e}"),
            DecodeError::Version { found, expected } => {
                write!(f, "curriculum file format {found}, expected {expected}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

fn check_version(found: u32) -> Result<(), DecodeError> {
    if found == FORMAT_VERSION {
        Ok(())
    } else {
        Err(DecodeError::Version {
            found,
            expected: FORMAT_VERSION,
        })
    }
}

/// Reads only the leading format version of any `.bin` file (all start with it).
fn peek_version(bytes: &[u8]) -> Result<u32, DecodeError> {
    postcard::take_from_bytes::<u32>(bytes)
        .map(|(v, _)| v)
        .map_err(DecodeError::Corrupt)
}

pub fn decode_catalog(bytes: &[u8]) -> Result<Catalog, DecodeError> {
    check_version(peek_version(bytes)?)?;
    postcard::from_bytes(bytes).map_err(DecodeError::Corrupt)
}

pub fn decode_lesson(bytes: &[u8]) -> Result<LessonBundle, DecodeError> {
    check_version(peek_version(bytes)?)?;
    postcard::from_bytes(bytes).map_err(DecodeError::Corrupt)
}

pub fn decode_search(bytes: &[u8]) -> Result<SearchIndex, DecodeError> {
    check_version(peek_version(bytes)?)?;
    postcard::from_bytes(bytes).map_err(DecodeError::Corrupt)
}

/// FNV-1a 64-bit hash, as 16 lowercase hex digits (used for [`LessonMeta::bundle_hash`]).
pub fn fnv1a_hex(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversion_matches_known_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24)); // largest subnormal
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14)); // smallest normal
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
    }

    fn item(kind: QuizKind) -> QuizItem {
        QuizItem {
            id: "l/q".into(),
            prompt_html: String::new(),
            explanation_html: String::new(),
            kind,
        }
    }

    #[test]
    fn quiz_checking() {
        let mc = item(QuizKind::MultipleChoice {
            options_html: vec!["a".into(), "b".into(), "c".into()],
            correct: vec![0, 2],
        });
        assert!(mc.check(&Answer::Choice(vec![2, 0])));
        assert!(!mc.check(&Answer::Choice(vec![0])));
        assert!(!mc.check(&Answer::Number(0.0)));
        let num = item(QuizKind::Numeric {
            answer: 4.5,
            tolerance: 0.05,
            unit: None,
        });
        assert!(num.check(&Answer::Number(4.52)));
        assert!(!num.check(&Answer::Number(4.6)));
        assert!(!num.check(&Answer::Number(f64::NAN)));
        let ord = item(QuizKind::Ordering {
            items_html: vec!["x".into(), "y".into()],
        });
        assert!(ord.check(&Answer::Order(vec![0, 1])));
        assert!(!ord.check(&Answer::Order(vec![1, 0])));
        assert!(!ord.check(&Answer::Order(vec![0])));
    }

    #[test]
    fn version_mismatch_is_reported() {
        let bytes = postcard::to_allocvec(&(FORMAT_VERSION + 1, 0u8)).unwrap();
        assert_eq!(
            decode_catalog(&bytes),
            Err(DecodeError::Version {
                found: FORMAT_VERSION + 1,
                expected: FORMAT_VERSION
            })
        );
        assert!(matches!(decode_lesson(&[]), Err(DecodeError::Corrupt(_))));
    }

    #[test]
    fn hrefs() {
        assert_eq!(lesson_href("gptq", None), "#/learn/gptq");
        assert_eq!(
            lesson_href("gptq", Some("the-hessian")),
            "#/learn/gptq/the-hessian"
        );
        assert_eq!(route_href("workbench"), Some("#/workbench"));
        assert_eq!(route_href("nope"), None);
    }
}
