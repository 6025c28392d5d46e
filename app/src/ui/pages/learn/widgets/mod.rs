//! Lesson widgets: interactive views that run the real engine on real weights. Every control is
//! a native form control (keyboard-operable, labelled; sliders carry `aria-valuetext`), every
//! chart has a data table, and each widget's result summary is a polite live region. The
//! numeric work runs in the engine worker (`Call::Learn`); arithmetic a line long (memory, KV
//! cache) is done here.

mod calc;
mod quant;
mod research;

use std::rc::Rc;

use bitsmith_curriculum::{Catalog, Widget, WidgetKind, WidgetSpec};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::quiz::raw;
use crate::protocol::learn::{LearnCall, LearnReply};
use crate::protocol::{Call, Reply};
use crate::ui::{use_call, use_tr};

#[derive(Properties, PartialEq, Clone)]
pub struct WidgetProps {
    pub spec: WidgetSpec,
    pub catalog: Rc<Catalog>,
    pub lang: Option<AttrValue>,
    /// Unique prefix for element ids.
    pub dom: AttrValue,
}

fn title_key(k: WidgetKind) -> &'static str {
    match k {
        WidgetKind::QuantizeMatrix => "widget-quantize-matrix",
        WidgetKind::ErrorVsBits => "widget-error-vs-bits",
        WidgetKind::NumberFormat => "widget-number-format",
        WidgetKind::MemoryCalc => "widget-memory-calc",
        WidgetKind::LayerSensitivity => "widget-layer-sensitivity",
        WidgetKind::SpikingNeuron => "widget-spiking-neuron",
        WidgetKind::AnnealingQubo => "widget-annealing-qubo",
        WidgetKind::BlockFormat => "widget-block-format",
        WidgetKind::KvCache => "widget-kv-cache",
    }
}

/// A widget in its frame: heading, the lesson's caption, then the widget.
#[function_component(WidgetView)]
pub fn widget_view(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let heading = format!("{}-h", p.dom);
    let body = match &p.spec.widget {
        Widget::QuantizeMatrix { .. } => html! { <quant::QuantizeMatrix ..p.clone() /> },
        Widget::ErrorVsBits { .. } => html! { <quant::ErrorVsBits ..p.clone() /> },
        Widget::BlockFormat { .. } => html! { <quant::BlockFormat ..p.clone() /> },
        Widget::NumberFormat { .. } => html! { <calc::NumberFormat ..p.clone() /> },
        Widget::MemoryCalc { .. } => html! { <calc::MemoryCalc ..p.clone() /> },
        Widget::KvCache { .. } => html! { <calc::KvCache ..p.clone() /> },
        Widget::LayerSensitivity { .. } => html! { <calc::LayerSensitivity ..p.clone() /> },
        Widget::SpikingNeuron { .. } => html! { <research::Spiking ..p.clone() /> },
        Widget::AnnealingQubo { .. } => html! { <research::Annealing ..p.clone() /> },
    };
    html! {
        <section class="widget" aria-labelledby={heading.clone()} data-widget={p.spec.kind().name()}>
            <h3 id={heading}>{ tr.t(title_key(p.spec.kind())) }</h3>
            if let Some(c) = &p.spec.caption_html {
                <p class="widget-caption" lang={p.lang.clone()}>{ raw(c) }</p>
            }
            { body }
        </section>
    }
}

/// The latest answer of the worker to `make(deps)`: the last result stays on screen while a new
/// one is computed (no flicker while a slider moves), and `busy` says one is on its way.
pub struct Computed {
    pub result: Option<Result<Rc<LearnReply>, String>>,
    pub busy: bool,
}

#[hook]
pub fn use_learn<D, F>(deps: D, make: F) -> Computed
where
    D: PartialEq + Clone + 'static,
    F: Fn(&D) -> LearnCall + 'static,
{
    let last = use_mut_ref(|| None::<Result<Rc<LearnReply>, String>>);
    let reply = use_call(deps, move |d| Call::Learn(Box::new(make(d))));
    let busy = reply.is_none();
    if let Some(r) = reply {
        let new = match r {
            Reply::Learn(l) => Ok(Rc::new(*l)),
            Reply::Error(e) => Err(e),
            other => Err(format!("{other:?}")),
        };
        let same = matches!((&*last.borrow(), &new), (Some(Ok(a)), Ok(b)) if a == b);
        if !same {
            *last.borrow_mut() = Some(new);
        }
    }
    let result = last.borrow().clone();
    Computed { result, busy }
}

/// The call for a widget's weight slice; a no-op call when the catalog lacks the slice (the
/// widget then shows why instead of a result, and hooks must still run in the same order).
pub fn or_noop(
    slice: &Option<bitsmith_curriculum::WeightSlice>,
    make: impl FnOnce(bitsmith_curriculum::WeightSlice) -> LearnCall,
) -> LearnCall {
    match slice {
        Some(s) => make(s.clone()),
        None => LearnCall::Number {
            value: 0.0,
            formats: vec![],
        },
    }
}

/// Shows a worker error, or nothing.
pub fn error_line(tr: &crate::ui::Tr, r: &Option<Result<Rc<LearnReply>, String>>) -> Html {
    match r {
        Some(Err(e)) => html! {
            <p class="notice notice-error" role="alert">{ tr.ta("widget-error", &[("reason", e.clone().into())]) }</p>
        },
        _ => html! {},
    }
}

// ---------------------------------------------------------------------------------------------
// Controls

pub struct SliderProps {
    pub id: String,
    pub label: String,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub value: f64,
    /// What the value means, in words ("4 bits"): read by screen readers and shown beside it.
    pub valuetext: String,
    pub onchange: Callback<f64>,
}

pub fn slider(p: SliderProps) -> Html {
    let cb = p.onchange.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Ok(v) = e
            .target_unchecked_into::<HtmlInputElement>()
            .value()
            .parse::<f64>()
        {
            cb.emit(v);
        }
    });
    html! {
        <div class="field slider">
            <label for={p.id.clone()}>{ &p.label }</label>
            <div class="slider-row">
                <input type="range" id={p.id.clone()} min={p.min.to_string()} max={p.max.to_string()} step={p.step.to_string()}
                       value={p.value.to_string()} aria-valuetext={p.valuetext.replace(['\u{2068}', '\u{2069}'], "")} {oninput} />
                <span class="slider-value" aria-hidden="true">{ &p.valuetext }</span>
            </div>
        </div>
    }
}

pub struct SelectProps {
    pub id: String,
    pub label: String,
    /// (value, text)
    pub options: Vec<(String, String)>,
    pub value: String,
    pub onchange: Callback<String>,
}

pub fn select(p: SelectProps) -> Html {
    let cb = p.onchange.clone();
    let onchange = Callback::from(move |e: Event| {
        cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    html! {
        <div class="field">
            <label for={p.id.clone()}>{ &p.label }</label>
            <select id={p.id.clone()} {onchange}>
                { for p.options.iter().map(|(v, t)| html! {
                    <option value={v.clone()} selected={*v == p.value}>{ t }</option>
                }) }
            </select>
        </div>
    }
}

pub struct CheckProps {
    pub id: String,
    pub label: String,
    pub checked: bool,
    pub onchange: Callback<bool>,
}

pub fn check(p: CheckProps) -> Html {
    let cb = p.onchange.clone();
    let onchange = Callback::from(move |e: Event| {
        cb.emit(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    html! {
        <div class="field radio">
            <input type="checkbox" id={p.id.clone()} checked={p.checked} {onchange} />
            <label for={p.id.clone()}>{ &p.label }</label>
        </div>
    }
}

/// A `use_state` setter as a callback (for the controls above).
pub fn setter<T: 'static>(s: &UseStateHandle<T>) -> Callback<T> {
    let s = s.clone();
    Callback::from(move |v| s.set(v))
}

/// A result line announced politely when it changes. The region exists from the first render
/// (empty while nothing is known), so the first result is announced too.
pub fn status(text: String, busy: bool) -> Html {
    html! {
        <p class="status-line widget-status" role="status" aria-busy={busy.then_some("true")}>{ text }</p>
    }
}
