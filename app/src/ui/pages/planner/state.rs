//! The planner's state: exactly what the URL query holds, so a link reproduces a plan. Values
//! are kept as typed (strings), turned into a `PlanInput` on each change; a value that does not
//! parse marks its field instead of planning.

use std::rc::Rc;

use bitsmith_engine::plan::{BrowserProbe, KvType, Phase};
use yew::Reducible;

use crate::protocol::plan::{DeviceSource, MeasuredSample, ModelFields, ModelSource, PlanInput};

/// Where the model comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Catalog,
    Config,
    Fields,
}

impl Src {
    pub const ALL: [Src; 3] = [Src::Catalog, Src::Config, Src::Fields];

    pub fn key(self) -> &'static str {
        match self {
            Src::Catalog => "catalog",
            Src::Config => "config",
            Src::Fields => "fields",
        }
    }
}

/// Typed-in model numbers (HF config names in the comments).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldsText {
    /// Billions of parameters.
    pub params: String,
    pub layers: String,
    pub hidden: String,
    pub heads: String,
    pub kv_heads: String,
    pub head_dim: String,
    pub ff: String,
    pub vocab: String,
    pub context: String,
    pub tied: bool,
}

/// The id used for "this device" in the device picker and the URL.
pub const THIS_DEVICE: &str = "this";

#[derive(Clone, Debug, PartialEq)]
pub struct PlanState {
    pub src: Src,
    pub model: String,
    pub cfg: String,
    pub fields: FieldsText,
    pub device: String,
    pub ctx: String,
    pub batch: String,
    pub kv: KvType,
    pub fa: bool,
    pub pp: String,
    pub tg: String,
    pub usd: String,
    /// Percent.
    pub util: String,
    pub api_in: String,
    pub api_out: String,
    /// Measured runs in llama-bench notation: `Q4_K_M tg128 45.2, Q4_K_M pp512 1450`.
    pub measured: String,
    /// The preset whose details are shown; empty = the recommended one.
    pub detail: String,
}

impl Default for PlanState {
    fn default() -> PlanState {
        PlanState {
            src: Src::Catalog,
            model: "llama-3.1-8b-instruct".into(),
            cfg: String::new(),
            fields: FieldsText {
                params: "8.03".into(),
                layers: "32".into(),
                hidden: "4096".into(),
                heads: "32".into(),
                kv_heads: "8".into(),
                head_dim: String::new(),
                ff: String::new(),
                vocab: "128256".into(),
                context: "131072".into(),
                tied: false,
            },
            device: "rtx-3060-12gb".into(),
            ctx: "8192".into(),
            batch: "1".into(),
            kv: KvType::F16,
            fa: true,
            pp: "512".into(),
            tg: "128".into(),
            usd: String::new(),
            util: "50".into(),
            api_in: String::new(),
            api_out: String::new(),
            measured: String::new(),
            detail: String::new(),
        }
    }
}

/// An edit of the state, applied to the latest value (events between renders don't clobber
/// each other).
pub struct Edit(pub Rc<dyn Fn(&mut PlanState)>);

impl Reducible for PlanState {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut s = (*self).clone();
        (edit.0)(&mut s);
        if s == *self { self } else { Rc::new(s) }
    }
}

impl PlanState {
    /// Reads the state from query pairs; unknown keys are ignored, absent ones take defaults.
    pub fn from_pairs(pairs: &[(String, String)]) -> PlanState {
        let mut s = PlanState::default();
        // A link that names a model source without its numbers starts the fields empty
        // rather than showing the defaults' numbers as if they were the link's.
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        if let Some(v) = get("src") {
            s.src = Src::ALL
                .into_iter()
                .find(|x| x.key() == v)
                .unwrap_or(Src::Catalog);
        }
        let set = |dst: &mut String, k: &str| {
            if let Some(v) = get(k) {
                *dst = v;
            }
        };
        set(&mut s.model, "model");
        set(&mut s.cfg, "cfg");
        let f = &mut s.fields;
        set(&mut f.params, "params");
        set(&mut f.layers, "layers");
        set(&mut f.hidden, "hidden");
        set(&mut f.heads, "heads");
        set(&mut f.kv_heads, "kv_heads");
        set(&mut f.head_dim, "head_dim");
        set(&mut f.ff, "ff");
        set(&mut f.vocab, "vocab");
        set(&mut f.context, "mctx");
        if let Some(v) = get("tied") {
            f.tied = v == "1";
        }
        set(&mut s.device, "device");
        set(&mut s.ctx, "ctx");
        set(&mut s.batch, "batch");
        if let Some(k) = get("kv").and_then(|v| KvType::from_name(&v).ok()) {
            s.kv = k;
        }
        if let Some(v) = get("fa") {
            s.fa = v != "0";
        }
        set(&mut s.pp, "pp");
        set(&mut s.tg, "tg");
        set(&mut s.usd, "usd");
        set(&mut s.util, "util");
        set(&mut s.api_in, "api_in");
        set(&mut s.api_out, "api_out");
        set(&mut s.measured, "m");
        set(&mut s.detail, "detail");
        s
    }

    /// The query pairs, in a stable order; the other sources' values are left out so links
    /// stay short.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q: Vec<(&'static str, String)> = vec![("src", self.src.key().into())];
        match self.src {
            Src::Catalog => q.push(("model", self.model.clone())),
            Src::Config => q.push(("cfg", self.cfg.clone())),
            Src::Fields => {
                let f = &self.fields;
                for (k, v) in [
                    ("params", &f.params),
                    ("layers", &f.layers),
                    ("hidden", &f.hidden),
                    ("heads", &f.heads),
                    ("kv_heads", &f.kv_heads),
                    ("head_dim", &f.head_dim),
                    ("ff", &f.ff),
                    ("vocab", &f.vocab),
                    ("mctx", &f.context),
                ] {
                    q.push((k, v.clone()));
                }
                q.push(("tied", if f.tied { "1" } else { "0" }.into()));
            }
        }
        q.push(("device", self.device.clone()));
        q.push(("ctx", self.ctx.clone()));
        q.push(("batch", self.batch.clone()));
        q.push(("kv", self.kv.name().into()));
        q.push(("fa", if self.fa { "1" } else { "0" }.into()));
        q.push(("pp", self.pp.clone()));
        q.push(("tg", self.tg.clone()));
        for (k, v) in [
            ("usd", &self.usd),
            ("util", &self.util),
            ("api_in", &self.api_in),
            ("api_out", &self.api_out),
            ("m", &self.measured),
            ("detail", &self.detail),
        ] {
            if !v.is_empty() {
                q.push((k, v.clone()));
            }
        }
        q
    }

    /// The request, or the ids of the fields that do not parse (with the reason's Fluent key).
    pub fn to_input(
        &self,
        probe: &BrowserProbe,
    ) -> Result<PlanInput, Vec<(&'static str, &'static str)>> {
        let bad = std::cell::RefCell::new(Vec::new());
        let whole = |id: &'static str, v: &str, required: bool| -> Option<u64> {
            let t = v.trim();
            if t.is_empty() && !required {
                return None;
            }
            match t.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    bad.borrow_mut().push((id, "planner-err-whole"));
                    None
                }
            }
        };
        let model = match self.src {
            Src::Catalog => Some(ModelSource::Catalog(self.model.clone())),
            Src::Config => Some(ModelSource::HfConfig(self.cfg.clone())),
            Src::Fields => {
                let f = &self.fields;
                let layers = whole("plan-f-layers", &f.layers, true);
                let hidden = whole("plan-f-hidden", &f.hidden, true);
                let heads = whole("plan-f-heads", &f.heads, true);
                let kv_heads = whole("plan-f-kv-heads", &f.kv_heads, true);
                let head_dim = whole("plan-f-head-dim", &f.head_dim, false);
                let ff = whole("plan-f-ff", &f.ff, false);
                let vocab = whole("plan-f-vocab", &f.vocab, true);
                let context = whole("plan-f-context", &f.context, true);
                let params = match f.params.trim() {
                    "" => None,
                    t => match t.parse::<f64>() {
                        Ok(b) if b.is_finite() && b > 0.0 => Some((b * 1e9).round() as u64),
                        _ => {
                            bad.borrow_mut()
                                .push(("plan-f-params", "planner-err-positive"));
                            None
                        }
                    },
                };
                if params.is_none() && ff.is_none() && f.params.trim().is_empty() {
                    bad.borrow_mut()
                        .push(("plan-f-ff", "planner-err-ff-or-params"));
                }
                match (layers, hidden, heads, kv_heads, vocab, context) {
                    (
                        Some(layers),
                        Some(hidden),
                        Some(heads),
                        Some(kv_heads),
                        Some(vocab),
                        Some(context),
                    ) => Some(ModelSource::Fields(ModelFields {
                        params,
                        layers,
                        hidden,
                        heads,
                        kv_heads,
                        head_dim,
                        intermediate: ff,
                        vocab,
                        context,
                        tied: f.tied,
                    })),
                    _ => None,
                }
            }
        };
        let ctx = whole("plan-ctx", &self.ctx, true);
        let batch = whole("plan-batch", &self.batch, true);
        let pp = whole("plan-pp", &self.pp, true);
        let tg = whole("plan-tg", &self.tg, true);
        let money = |id: &'static str, v: &str| -> Option<f64> {
            match v.trim() {
                "" => None,
                t => match t.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
                    _ => {
                        bad.borrow_mut().push((id, "planner-err-price"));
                        None
                    }
                },
            }
        };
        let usd = money("plan-usd", &self.usd);
        let api_in = money("plan-api-in", &self.api_in);
        let api_out = money("plan-api-out", &self.api_out);
        let util = match self.util.trim().parse::<f64>() {
            Ok(u) if u > 0.0 && u <= 100.0 => u / 100.0,
            _ => {
                bad.borrow_mut().push(("plan-util", "planner-err-util"));
                0.5
            }
        };
        let measured = match parse_measured(&self.measured) {
            Ok(m) => m,
            Err(()) => {
                bad.borrow_mut()
                    .push(("plan-measured", "planner-err-measured"));
                Vec::new()
            }
        };
        let device = if self.device == THIS_DEVICE {
            DeviceSource::This(probe.clone())
        } else {
            DeviceSource::Catalog(self.device.clone())
        };
        let bad = bad.into_inner();
        match (model, ctx, batch, pp, tg) {
            (Some(model), Some(ctx), Some(batch), Some(pp), Some(tg)) if bad.is_empty() => {
                Ok(PlanInput {
                    model,
                    device,
                    ctx,
                    batch,
                    kv: self.kv,
                    flash_attention: self.fa,
                    prompt_tokens: pp,
                    output_tokens: tg,
                    usd_per_hour: usd,
                    utilization: util,
                    api_input_usd_per_m: api_in,
                    api_output_usd_per_m: api_out,
                    measured,
                })
            }
            _ => Err(bad),
        }
    }
}

/// Parses `PRESET ppN|tgN TOKENS_PER_S` entries separated by commas, semicolons or new lines
/// (`:` or `=` may separate the parts too).
pub fn parse_measured(text: &str) -> Result<Vec<MeasuredSample>, ()> {
    let mut out = Vec::new();
    for entry in text.split([',', ';', '\n']) {
        let parts: Vec<&str> = entry
            .split(|c: char| c.is_whitespace() || c == ':' || c == '=')
            .filter(|p| !p.is_empty())
            .collect();
        match parts.as_slice() {
            [] => {}
            [preset, test, tps] => {
                let (phase, n) = if let Some(n) = test.strip_prefix("pp") {
                    (Phase::Prefill, n)
                } else if let Some(n) = test.strip_prefix("tg") {
                    (Phase::Decode, n)
                } else {
                    return Err(());
                };
                let tokens: u64 = n.parse().map_err(|_| ())?;
                let tps: f64 = tps.parse().map_err(|_| ())?;
                if tokens == 0 || !(tps.is_finite() && tps > 0.0) {
                    return Err(());
                }
                out.push(MeasuredSample {
                    preset: preset.to_ascii_uppercase(),
                    phase,
                    tokens,
                    batch: 1,
                    tokens_per_s: tps,
                });
            }
            _ => return Err(()),
        }
    }
    Ok(out)
}
