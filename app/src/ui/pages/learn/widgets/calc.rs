//! Widgets on numbers and measured tables: number formats (encoded in the worker), memory and
//! KV-cache arithmetic (a few multiplications, done here), and the layer-sensitivity table
//! measured offline on the full model.

use bitsmith_curriculum::{NumberFormatKind, SensitivityView, Widget};
use bitsmith_engine::GgmlType;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::quant::measured_table;
use super::{SelectProps, SliderProps, WidgetProps, error_line, select, slider, status, use_learn};
use crate::protocol::learn::{LearnCall, LearnReply};
use crate::ui::pages::learn::chart::{
    Bar, BarProps, LineProps, Series, TableProps, bar_chart, fmt, fmt_short, line_chart,
};
use crate::ui::use_tr;

fn format_name(f: NumberFormatKind) -> &'static str {
    match f {
        NumberFormatKind::Fp32 => "FP32",
        NumberFormatKind::Fp16 => "FP16",
        NumberFormatKind::Bf16 => "BF16",
        NumberFormatKind::Fp8E4M3 => "FP8 E4M3",
        NumberFormatKind::Fp8E5M2 => "FP8 E5M2",
        NumberFormatKind::Int8 => "INT8",
        NumberFormatKind::Int4 => "INT4",
    }
}

#[function_component(NumberFormat)]
pub fn number_format(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let (value0, formats) = match &p.spec.widget {
        Widget::NumberFormat { value, formats } => (*value, formats.clone()),
        _ => Default::default(),
    };
    let formats = if formats.is_empty() {
        NumberFormatKind::ALL.to_vec()
    } else {
        formats
    };
    let text = use_state(|| value0.to_string());
    let value = text
        .trim()
        .replace(',', ".")
        .replace('−', "-")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite());
    let last_good = use_state(|| value0);
    if let Some(v) = value
        && v != *last_good
    {
        last_good.set(v);
    }
    let c = use_learn((*last_good, formats), |(v, f)| LearnCall::Number {
        value: *v,
        formats: f.clone(),
    });
    let views = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::Number(v)) => v.clone(),
        _ => vec![],
    };
    let id = format!("{}-value", p.dom);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let summary = (!views.is_empty()).then(|| {
        tr.ta(
            "widget-number-summary",
            &[("value", fmt_short(*last_good, 10).into())],
        )
    });
    html! {
        <>
            <div class="controls">
                <div class="field">
                    <label for={id.clone()}>{ tr.t("widget-number-value") }</label>
                    <input type="text" inputmode="decimal" id={id} value={(*text).clone()} {oninput}
                           autocomplete="off" aria-invalid={value.is_none().then_some("true")} />
                </div>
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if !views.is_empty() {
                <div class="table-scroll" tabindex="0" role="region" aria-labelledby={format!("{}-tbl", p.dom)}>
                    <table class="number-formats">
                        <caption id={format!("{}-tbl", p.dom)}>{ tr.ta("widget-number-caption", &[("value", fmt_short(*last_good, 10).into())]) }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("widget-format") }</th>
                            <th scope="col">{ tr.t("widget-stored-bits") }</th>
                            <th scope="col">{ tr.t("widget-stored-value") }</th>
                            <th scope="col">{ tr.t("widget-rel-error") }</th>
                        </tr></thead>
                        <tbody>{ for views.iter().map(|v| {
                            let classes = if v.fields.len() == 3 { ["bits-sign", "bits-exp", "bits-man"].as_slice() } else { ["bits-int"].as_slice() };
                            html! {
                                <tr>
                                    <th scope="row">{ format_name(v.format) }</th>
                                    <td><code class="bits">{ for v.fields.iter().zip(classes).map(|(f, c)| html! { <span class={*c}>{ f }</span> }) }</code></td>
                                    <td>
                                        { fmt_short(v.stored, 10) }
                                        if let Some(s) = v.step { <span class="note">{ tr.ta("widget-step", &[("step", fmt(s, 3).into())]) }</span> }
                                        if v.overflow { <span class="note">{ tr.t("widget-overflow") }</span> }
                                    </td>
                                    <td>{ format!("{} %", fmt(v.rel_error * 100.0, 3)) }</td>
                                </tr>
                            }
                        }) }</tbody>
                    </table>
                </div>
                <p class="legend-text"><span class="bits-sign">{ tr.t("widget-bits-sign") }</span>{ " · " }<span class="bits-exp">{ tr.t("widget-bits-exponent") }</span>{ " · " }<span class="bits-man">{ tr.t("widget-bits-mantissa") }</span></p>
            }
        </>
    }
}

const GB: f64 = 1e9;
const CONTEXTS: [u32; 9] = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

#[function_component(MemoryCalc)]
pub fn memory_calc(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::MemoryCalc {
        model,
        bpw: bpw0,
        context: ctx0,
        kv_bits: kv0,
        bandwidth_gbs: bw0,
    } = p.spec.widget.clone()
    else {
        return html! {};
    };
    let bpw = use_state(|| bpw0);
    let ctx = use_state(|| ctx0);
    let kv = use_state(|| kv0);
    let bw = use_state(|| bw0);
    let dom = &p.dom;
    let weights = model.weight_bytes(*bpw);
    let cache = model.kv_bytes_per_token(*kv) * f64::from(*ctx);
    let total = weights + cache;
    // Decoding one token reads every weight and the whole cache once: memory bandwidth bounds it.
    let tps = *bw * GB / total.max(1.0);
    let gb = |b: f64| format!("{} GB", fmt(b / GB, 3));
    let mut ctxs: Vec<u32> = CONTEXTS.to_vec();
    ctxs.push(*ctx);
    ctxs.sort_unstable();
    ctxs.dedup();
    let mut kvs = vec![16.0, 8.5, 8.0, 4.5, 4.0];
    if !kvs.contains(&*kv) {
        kvs.push(*kv);
    }
    let summary = tr.ta(
        "widget-memory-summary",
        &[("total", gb(total).into()), ("tps", fmt(tps, 3).into())],
    );
    html! {
        <>
            <p class="widget-source">{ tr.ta("widget-model", &[("model", model.name.clone().into()), ("params", fmt(model.params / 1e9, 3).into()), ("layers", model.layers.into())]) }</p>
            <div class="controls">
                { slider(SliderProps { id: format!("{dom}-bpw"), label: tr.t("widget-bpw"), min: 1.0, max: 16.0, step: 0.25, value: *bpw, valuetext: tr.ta("widget-bpw-value", &[("bpw", fmt(*bpw, 3).into())]), onchange: { let s = bpw.clone(); Callback::from(move |v| s.set(v)) } }) }
                { select(SelectProps { id: format!("{dom}-ctx"), label: tr.t("widget-context"), options: ctxs.iter().map(|c| (c.to_string(), c.to_string())).collect::<Vec<_>>(), value: ctx.to_string(), onchange: { let s = ctx.clone(); Callback::from(move |v: String| s.set(v.parse().unwrap_or(4096))) } }) }
                { select(SelectProps { id: format!("{dom}-kv"), label: tr.t("widget-kv-bits"), options: kvs.iter().map(|k| (k.to_string(), fmt(*k, 3))).collect::<Vec<_>>(), value: kv.to_string(), onchange: { let s = kv.clone(); Callback::from(move |v: String| s.set(v.parse().unwrap_or(16.0))) } }) }
                { slider(SliderProps { id: format!("{dom}-bw"), label: tr.t("widget-bandwidth"), min: 10.0, max: 1200.0, step: 10.0, value: *bw, valuetext: tr.ta("widget-bandwidth-value", &[("gbs", fmt(*bw, 4).into())]), onchange: { let s = bw.clone(); Callback::from(move |v| s.set(v)) } }) }
            </div>
            { status(summary, false) }
            <dl class="metrics">
                <div><dt>{ tr.t("widget-weights-memory") }</dt><dd><bdi>{ gb(weights) }</bdi></dd></div>
                <div><dt>{ tr.t("widget-kv-memory") }</dt><dd><bdi>{ gb(cache) }</bdi></dd></div>
                <div><dt>{ tr.t("widget-total-memory") }</dt><dd><bdi>{ gb(total) }</bdi></dd></div>
                <div><dt>{ tr.t("widget-tps-bound") }</dt><dd><bdi>{ fmt(tps, 3) }</bdi></dd></div>
            </dl>
            { bar_chart(&tr, BarProps { max: None, caption: tr.t("widget-memory-caption"), alt: tr.t("widget-memory-alt"), series: vec![tr.t("widget-gb")], bars: vec![Bar { label: tr.t("widget-weights-memory"), values: vec![weights / GB] }, Bar { label: tr.t("widget-kv-memory"), values: vec![cache / GB] }], notes: vec![gb(weights), gb(cache)], table: TableProps { headers: vec![tr.t("widget-part"), tr.t("widget-gb")], rows: vec![
                    vec![tr.t("widget-weights-memory"), fmt(weights / GB, 4)],
                    vec![tr.t("widget-kv-memory"), fmt(cache / GB, 4)],
                    vec![tr.t("widget-total-memory"), fmt(total / GB, 4)],
                ] } }) }
        </>
    }
}

#[function_component(KvCache)]
pub fn kv_cache(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::KvCache {
        model,
        max_context,
        kv_types,
    } = p.spec.widget.clone()
    else {
        return html! {};
    };
    let max = max_context.max(1024);
    let ctx = use_state(|| (max / 2).max(512));
    let types: Vec<(String, f64)> = kv_types
        .iter()
        .filter_map(|t| GgmlType::from_name(t).map(|g| (t.clone(), g.bits_per_weight())))
        .collect();
    let at = |bits: f64, c: f64| model.kv_bytes_per_token(bits) * c / GB;
    let steps: Vec<f64> = (0..=16)
        .map(|i| f64::from(max) * f64::from(i) / 16.0)
        .collect();
    let summary = tr.ta(
        "widget-kv-summary",
        &[
            ("context", (*ctx).into()),
            (
                "sizes",
                types
                    .iter()
                    .map(|(n, b)| format!("{n} {} GB", fmt(at(*b, f64::from(*ctx)), 3)))
                    .collect::<Vec<_>>()
                    .join(", ")
                    .into(),
            ),
        ],
    );
    let table_ctx: Vec<f64> = (1..=8)
        .map(|i| f64::from(max) * f64::from(i) / 8.0)
        .collect();
    let mut headers = vec![tr.t("widget-context")];
    headers.extend(types.iter().map(|(n, _)| format!("{n} (GB)")));
    html! {
        <>
            <p class="widget-source">{ tr.ta("widget-model", &[("model", model.name.clone().into()), ("params", fmt(model.params / 1e9, 3).into()), ("layers", model.layers.into())]) }</p>
            <div class="controls">
                { slider(SliderProps { id: format!("{}-ctx", p.dom), label: tr.t("widget-context"), min: 0.0, max: f64::from(max), step: f64::from((max / 64).max(1)), value: f64::from(*ctx), valuetext: tr.ta("widget-tokens", &[("tokens", (*ctx).into())]), onchange: { let s = ctx.clone(); Callback::from(move |v: f64| s.set(v as u32)) } }) }
            </div>
            { status(summary, false) }
            { line_chart(&tr, LineProps { caption: tr.ta("widget-kv-caption", &[("model", model.name.clone().into())]), alt: tr.t("widget-kv-alt"), x_label: tr.t("widget-context"), y_label: tr.t("widget-gb"), marks: vec![f64::from(*ctx)], series: types.iter().map(|(n, b)| Series { name: n.clone(), points: steps.iter().map(|&c| (c, at(*b, c))).collect(), markers: false }).collect::<Vec<_>>(), table: TableProps { headers, rows: table_ctx.iter().map(|&c| {
                    let mut r = vec![format!("{c:.0}")];
                    r.extend(types.iter().map(|(_, b)| fmt(at(*b, c), 4)));
                    r
                }).collect() } }) }
        </>
    }
}

#[function_component(LayerSensitivity)]
pub fn layer_sensitivity(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::LayerSensitivity { view, table } = p.spec.widget.clone() else {
        return html! {};
    };
    let by_kl = use_state(|| false);
    let mut rows = table.rows.clone();
    if *by_kl {
        rows.sort_by(|a, b| b.kl.total_cmp(&a.kl));
    }
    let on_sort = {
        let by_kl = by_kl.clone();
        Callback::from(move |v: String| by_kl.set(v == "kl"))
    };
    let what = tr.t(match view {
        SensitivityView::Kinds => "widget-sensitivity-kinds",
        SensitivityView::Layers => "widget-sensitivity-layers",
    });
    let top = rows.iter().max_by(|a, b| a.kl.total_cmp(&b.kl));
    let summary = top.map(|r| {
        tr.ta(
            "widget-sensitivity-summary",
            &[
                ("label", r.label.clone().into()),
                ("kl", fmt(r.kl, 3).into()),
            ],
        )
    });
    html! {
        <>
            <p class="widget-source">{ tr.ta("widget-measured", &[
                ("model", table.model.clone().into()),
                ("text", table.text.clone().into()),
                ("setting", table.setting.clone().into()),
                ("ppl", fmt(table.baseline_ppl, 4).into()),
            ]) }</p>
            <div class="controls">
                { select(SelectProps { id: format!("{}-sort", p.dom), label: tr.t("widget-sort"), options: vec![("order".to_string(), tr.t("widget-sort-order")), ("kl".to_string(), tr.t("widget-sort-kl"))], value: if *by_kl { "kl" } else { "order" }.to_string(), onchange: on_sort }) }
            </div>
            { status(summary.unwrap_or_default(), false) }
            { bar_chart(&tr, BarProps { max: None, caption: tr.ta("widget-sensitivity-caption", &[("what", what.into())]), alt: tr.t("widget-sensitivity-alt"), series: vec![tr.t("widget-kl")], bars: rows.iter().map(|r| Bar { label: r.label.clone(), values: vec![r.kl] }).collect::<Vec<_>>(), notes: rows.iter().map(|r| fmt(r.kl, 3)).collect::<Vec<_>>(), table: measured_table(&tr, &bitsmith_curriculum::MeasuredTable { rows, ..table.clone() }) }) }
        </>
    }
}
