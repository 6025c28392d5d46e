//! The planner's form: every input as typed (strings), exactly what the URL query holds, so a
//! link reproduces a plan. The UI sends it as it is; the worker parses it (`PlanForm::to_input`)
//! and answers with the plan or with the fields that do not parse — the page never parses.

use bitsmith_engine::plan::{BrowserProbe, KvType, Phase};
use serde::{Deserialize, Serialize};

use super::{
    DeviceSource, MeasuredSample, ModelFields, ModelSource, PlanInput, PlanView, plan_view,
};

/// Where the model comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Src {
    Catalog,
    /// A model in the workbench's library: planned from its GGUF header's real metadata.
    Library,
    Config,
    Fields,
}

impl Src {
    pub const ALL: [Src; 4] = [Src::Catalog, Src::Library, Src::Config, Src::Fields];

    pub fn key(self) -> &'static str {
        match self {
            Src::Catalog => "catalog",
            Src::Library => "library",
            Src::Config => "config",
            Src::Fields => "fields",
        }
    }
}

/// The id of "this device" in the device picker and the URL.
pub const THIS_DEVICE: &str = "this";

/// The text inputs: (element id, URL key). The element ids are what field errors name.
pub const MODEL_FIELDS: [(&str, &str); 9] = [
    ("plan-f-params", "params"),
    ("plan-f-layers", "layers"),
    ("plan-f-hidden", "hidden"),
    ("plan-f-heads", "heads"),
    ("plan-f-kv-heads", "kv_heads"),
    ("plan-f-head-dim", "head_dim"),
    ("plan-f-ff", "ff"),
    ("plan-f-vocab", "vocab"),
    ("plan-f-context", "mctx"),
];
pub const WORKLOAD_FIELDS: [(&str, &str); 4] = [
    ("plan-ctx", "ctx"),
    ("plan-batch", "batch"),
    ("plan-pp", "pp"),
    ("plan-tg", "tg"),
];
pub const COST_FIELDS: [(&str, &str); 4] = [
    ("plan-usd", "usd"),
    ("plan-util", "util"),
    ("plan-api-in", "api_in"),
    ("plan-api-out", "api_out"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanForm {
    pub src: Src,
    /// Catalog id.
    pub model: String,
    /// Library model id (this browser's IndexedDB: a shared link names a model only its own
    /// device has, and says so when it is missing).
    pub lib: String,
    /// Pasted config.json.
    pub cfg: String,
    /// Typed-in numbers and the workload and cost inputs, in the order of `MODEL_FIELDS`,
    /// `WORKLOAD_FIELDS` and `COST_FIELDS`.
    pub text: [String; 17],
    pub tied: bool,
    /// Database id or `THIS_DEVICE`.
    pub device: String,
    pub kv: String,
    pub fa: bool,
    /// Measured runs in llama-bench notation: `Q4_K_M tg128 45.2, Q4_K_M pp512 1450`.
    pub measured: String,
    /// The preset whose details are shown (empty: the recommended one). Not planned on.
    pub detail: String,
}

fn all_fields() -> impl Iterator<Item = (&'static str, &'static str)> {
    MODEL_FIELDS
        .into_iter()
        .chain(WORKLOAD_FIELDS)
        .chain(COST_FIELDS)
}

impl Default for PlanForm {
    fn default() -> PlanForm {
        let mut f = PlanForm {
            src: Src::Catalog,
            model: "llama-3.1-8b-instruct".into(),
            lib: String::new(),
            cfg: String::new(),
            text: Default::default(),
            tied: false,
            device: "rtx-3060-12gb".into(),
            kv: "f16".into(),
            fa: true,
            measured: String::new(),
            detail: String::new(),
        };
        // Typed-in numbers start as Llama-3-8B's (the FFN width solved from the parameters).
        for (id, v) in [
            ("plan-f-params", "8.03"),
            ("plan-f-layers", "32"),
            ("plan-f-hidden", "4096"),
            ("plan-f-heads", "32"),
            ("plan-f-kv-heads", "8"),
            ("plan-f-vocab", "128256"),
            ("plan-f-context", "131072"),
            ("plan-ctx", "8192"),
            ("plan-batch", "1"),
            ("plan-pp", "512"),
            ("plan-tg", "128"),
            ("plan-util", "50"),
        ] {
            *f.text_mut(id) = v.into();
        }
        f
    }
}

impl PlanForm {
    fn index(id: &str) -> usize {
        all_fields()
            .position(|(i, _)| i == id)
            .expect("field ids are the constants above")
    }

    /// The text of the input with element id `id`.
    pub fn text(&self, id: &str) -> &str {
        &self.text[Self::index(id)]
    }

    pub fn text_mut(&mut self, id: &str) -> &mut String {
        &mut self.text[Self::index(id)]
    }

    /// Reads the form from URL query pairs; unknown keys are ignored, absent ones keep their
    /// defaults.
    pub fn from_pairs(pairs: &[(String, String)]) -> PlanForm {
        let mut f = PlanForm::default();
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        if let Some(v) = get("src") {
            f.src = Src::ALL
                .into_iter()
                .find(|x| x.key() == v)
                .unwrap_or(Src::Catalog);
        }
        for (dst, k) in [
            (&mut f.model, "model"),
            (&mut f.lib, "lib"),
            (&mut f.cfg, "cfg"),
            (&mut f.device, "device"),
            (&mut f.kv, "kv"),
            (&mut f.measured, "m"),
            (&mut f.detail, "detail"),
        ] {
            if let Some(v) = get(k) {
                *dst = v;
            }
        }
        for (i, (_, k)) in all_fields().enumerate() {
            if let Some(v) = get(k) {
                f.text[i] = v;
            }
        }
        if let Some(v) = get("tied") {
            f.tied = v == "1";
        }
        if let Some(v) = get("fa") {
            f.fa = v != "0";
        }
        f
    }

    /// The query pairs in a stable order. Only the chosen model source's values are written,
    /// and empty optional values are left out, so links stay short.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut q: Vec<(&'static str, String)> = vec![("src", self.src.key().into())];
        match self.src {
            Src::Catalog => q.push(("model", self.model.clone())),
            Src::Library => q.push(("lib", self.lib.clone())),
            Src::Config => q.push(("cfg", self.cfg.clone())),
            Src::Fields => {
                for (i, (_, k)) in MODEL_FIELDS.iter().enumerate() {
                    q.push((k, self.text[i].clone()));
                }
                q.push(("tied", if self.tied { "1" } else { "0" }.into()));
            }
        }
        q.push(("device", self.device.clone()));
        for (i, (_, k)) in all_fields().enumerate().skip(MODEL_FIELDS.len()) {
            if !self.text[i].is_empty() {
                q.push((k, self.text[i].clone()));
            }
        }
        q.push(("kv", self.kv.clone()));
        q.push(("fa", if self.fa { "1" } else { "0" }.into()));
        for (k, v) in [("m", &self.measured), ("detail", &self.detail)] {
            if !v.is_empty() {
                q.push((k, v.clone()));
            }
        }
        q
    }

    /// The typed request, or the fields that do not parse (element id, Fluent key of the
    /// reason).
    pub fn to_input(&self, probe: &BrowserProbe) -> Result<PlanInput, Vec<FieldError>> {
        let bad = std::cell::RefCell::new(Vec::new());
        let flag = |id: &str, key: &str| {
            bad.borrow_mut().push(FieldError {
                field: id.to_string(),
                key: key.to_string(),
            })
        };
        let whole = |id: &str, required: bool| -> Option<u64> {
            let t = self.text(id).trim();
            if t.is_empty() && !required {
                return None;
            }
            match t.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    flag(id, "planner-err-whole");
                    None
                }
            }
        };
        let number = |id: &str, key: &str, ok: &dyn Fn(f64) -> bool| -> Option<f64> {
            match self.text(id).trim() {
                "" => None,
                t => match t.parse::<f64>() {
                    Ok(x) if x.is_finite() && ok(x) => Some(x),
                    _ => {
                        flag(id, key);
                        None
                    }
                },
            }
        };
        let model = match self.src {
            Src::Catalog => Some(ModelSource::Catalog(self.model.clone())),
            Src::Library if self.lib.trim().is_empty() => {
                flag("plan-lib", "planner-err-lib");
                None
            }
            Src::Library => Some(ModelSource::Library(self.lib.clone())),
            Src::Config => Some(ModelSource::HfConfig(self.cfg.clone())),
            Src::Fields => {
                let req = |id| whole(id, true);
                let (layers, hidden, heads, kv_heads) = (
                    req("plan-f-layers"),
                    req("plan-f-hidden"),
                    req("plan-f-heads"),
                    req("plan-f-kv-heads"),
                );
                let (vocab, context) = (req("plan-f-vocab"), req("plan-f-context"));
                let head_dim = whole("plan-f-head-dim", false);
                let ff = whole("plan-f-ff", false);
                let params = number("plan-f-params", "planner-err-positive", &|b| b > 0.0)
                    .map(|b| (b * 1e9).round() as u64);
                if ff.is_none() && self.text("plan-f-params").trim().is_empty() {
                    flag("plan-f-ff", "planner-err-ff-or-params");
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
                        tied: self.tied,
                    })),
                    _ => None,
                }
            }
        };
        let ctx = whole("plan-ctx", true);
        let batch = whole("plan-batch", true);
        let pp = whole("plan-pp", true);
        let tg = whole("plan-tg", true);
        let price = |id| number(id, "planner-err-price", &|x| x >= 0.0);
        let usd = price("plan-usd");
        let api_in = price("plan-api-in");
        let api_out = price("plan-api-out");
        let util = number("plan-util", "planner-err-util", &|u| u > 0.0 && u <= 100.0);
        if util.is_none() && self.text("plan-util").trim().is_empty() {
            flag("plan-util", "planner-err-util");
        }
        let measured = parse_measured(&self.measured).unwrap_or_else(|| {
            flag("plan-measured", "planner-err-measured");
            Vec::new()
        });
        let kv = KvType::from_name(&self.kv).unwrap_or(KvType::F16);
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
                    kv,
                    flash_attention: self.fa,
                    prompt_tokens: pp,
                    output_tokens: tg,
                    usd_per_hour: usd,
                    utilization: util.unwrap_or(50.0) / 100.0,
                    api_input_usd_per_m: api_in,
                    api_output_usd_per_m: api_out,
                    measured,
                })
            }
            _ => Err(bad),
        }
    }
}

/// An input that does not parse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    /// Element id of the input.
    pub field: String,
    /// Fluent key of the reason.
    pub key: String,
}

/// `Call::Plan`: the form and what the browser reported about itself ("this device").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanAsk {
    pub form: PlanForm,
    pub probe: BrowserProbe,
    /// The engine's own runs of the chosen library model on this device (workbench Run):
    /// they calibrate the plan beside any runs typed in. Empty unless a library model is
    /// planned on "this device".
    pub engine_runs: Vec<super::EngineRun>,
}

/// `Reply::Plan`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlanAnswer {
    Planned(Box<PlanView>),
    /// Inputs that do not parse: nothing was planned.
    Invalid(Vec<FieldError>),
    /// The inputs parse but the plan could not be made (e.g. a config.json that is not JSON).
    Failed(String),
}

/// Answers the page.
pub fn answer(ask: &PlanAsk) -> PlanAnswer {
    match ask.form.to_input(&ask.probe) {
        Err(bad) => PlanAnswer::Invalid(bad),
        Ok(input) => answer_input(&input),
    }
}

/// The plan of inputs that parsed.
pub fn answer_input(input: &PlanInput) -> PlanAnswer {
    match plan_view(input) {
        Ok(v) => PlanAnswer::Planned(Box::new(v)),
        Err(e) => PlanAnswer::Failed(e),
    }
}

/// Parses `PRESET ppN|tgN TOKENS_PER_S` entries separated by commas, semicolons or new lines
/// (`:` or `=` may separate the parts too); `None` when an entry is malformed.
pub fn parse_measured(text: &str) -> Option<Vec<MeasuredSample>> {
    let mut out = Vec::new();
    for entry in text.split([',', ';', '\n']) {
        let parts: Vec<&str> = entry
            .split(|c: char| c.is_whitespace() || c == ':' || c == '=')
            .filter(|p| !p.is_empty())
            .collect();
        match parts.as_slice() {
            [] => {}
            [preset, test, tps] => {
                let (phase, n) = match test.strip_prefix("pp") {
                    Some(n) => (Phase::Prefill, n),
                    None => (Phase::Decode, test.strip_prefix("tg")?),
                };
                let tokens: u64 = n.parse().ok()?;
                let tps: f64 = tps.parse().ok()?;
                if tokens == 0 || !(tps.is_finite() && tps > 0.0) {
                    return None;
                }
                out.push(MeasuredSample {
                    preset: preset.to_ascii_uppercase(),
                    phase,
                    tokens,
                    batch: 1,
                    tokens_per_s: tps,
                });
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, String)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn a_library_model_travels_by_id_and_is_required() {
        let f = PlanForm {
            src: Src::Library,
            lib: "m-123".into(),
            ..PlanForm::default()
        };
        let q = f.to_pairs();
        assert!(q.contains(&("src", "library".into())));
        assert!(q.contains(&("lib", "m-123".into())));
        assert!(q.iter().all(|(k, _)| *k != "model" && *k != "cfg"));
        let back = PlanForm::from_pairs(&pairs(&q));
        assert_eq!(back, f);
        let input = back.to_input(&BrowserProbe::default()).unwrap();
        assert_eq!(input.model, ModelSource::Library("m-123".into()));
        // Not resolved yet: the worker reads the header and plans with ModelSource::Spec.
        assert!(input.to_request().is_err());
        let none = PlanForm {
            lib: String::new(),
            ..f
        };
        let bad = none.to_input(&BrowserProbe::default()).unwrap_err();
        assert_eq!(bad[0].field, "plan-lib");
        assert_eq!(bad[0].key, "planner-err-lib");
    }

    #[test]
    fn the_url_round_trips_every_input() {
        let mut f = PlanForm {
            src: Src::Fields,
            tied: true,
            fa: false,
            kv: "q8_0".into(),
            device: THIS_DEVICE.into(),
            measured: "Q4_K_M tg128 45.2, Q4_K_M pp512 1450".into(),
            detail: "Q5_K_M".into(),
            ..Default::default()
        };
        *f.text_mut("plan-f-ff") = "14336".into();
        *f.text_mut("plan-usd") = "0.9".into();
        *f.text_mut("plan-api-out") = "1.2".into();
        assert_eq!(PlanForm::from_pairs(&pairs(&f.to_pairs())), f);
        // The other sources' values stay out of the link.
        let mut c = PlanForm {
            cfg: "{}".into(),
            ..Default::default()
        };
        let q = c.to_pairs();
        assert!(q.iter().all(|(k, _)| *k != "cfg" && *k != "layers"));
        assert!(q.contains(&("model", "llama-3.1-8b-instruct".into())));
        c.src = Src::Config;
        assert_eq!(PlanForm::from_pairs(&pairs(&c.to_pairs())).cfg, "{}");
        // Junk in a link falls back to defaults instead of failing.
        let junk = PlanForm::from_pairs(&[("src".into(), "nope".into()), ("x".into(), "1".into())]);
        assert_eq!(junk.src, Src::Catalog);
    }

    #[test]
    fn bad_fields_are_named_and_nothing_is_planned() {
        let mut f = PlanForm::default();
        *f.text_mut("plan-ctx") = "0".into();
        *f.text_mut("plan-util") = "150".into();
        *f.text_mut("plan-api-in") = "-1".into();
        f.measured = "Q4_K_M xx128 3".into();
        let bad = f.to_input(&BrowserProbe::default()).unwrap_err();
        let ids: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            ids,
            ["plan-ctx", "plan-api-in", "plan-util", "plan-measured"]
        );
        f = PlanForm::default();
        f.src = Src::Fields;
        *f.text_mut("plan-f-params") = String::new();
        *f.text_mut("plan-f-layers") = "x".into();
        let bad = f.to_input(&BrowserProbe::default()).unwrap_err();
        assert!(bad.contains(&FieldError {
            field: "plan-f-layers".into(),
            key: "planner-err-whole".into()
        }));
        assert!(bad.iter().any(|e| e.key == "planner-err-ff-or-params"));
    }

    #[test]
    fn the_default_form_plans_and_a_bad_config_fails_with_a_reason() {
        let ask = PlanAsk {
            form: PlanForm::default(),
            probe: BrowserProbe::default(),
            engine_runs: Vec::new(),
        };
        assert!(matches!(answer(&ask), PlanAnswer::Planned(_)));
        let form = PlanForm {
            src: Src::Config,
            cfg: "{ not json".into(),
            ..Default::default()
        };
        match answer(&PlanAsk {
            form,
            probe: BrowserProbe::default(),
            engine_runs: Vec::new(),
        }) {
            PlanAnswer::Failed(e) => assert!(e.contains("invalid JSON"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn llama_bench_notation() {
        let m = parse_measured("q4_k_m tg128 45.2; Q8_0:pp512=1450\n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].preset.as_str(), m[0].phase, m[0].tokens),
            ("Q4_K_M", Phase::Decode, 128)
        );
        assert_eq!((m[1].phase, m[1].tokens_per_s), (Phase::Prefill, 1450.0));
        assert!(parse_measured("Q4_K_M tg128").is_none());
        assert!(parse_measured("Q4_K_M tg0 4").is_none());
        assert!(parse_measured("Q4_K_M tg128 -4").is_none());
        assert_eq!(parse_measured("  ").unwrap(), vec![]);
    }
}
