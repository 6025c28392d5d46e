//! Widgets on real weight slices: quantize a matrix, error against bits, one block's bytes.

use bitsmith_curriculum::{QuantMethod, WeightSlice, Widget};
use bitsmith_engine::GgmlType;
use yew::prelude::*;

use super::{
    CheckProps, SelectProps, SliderProps, WidgetProps, check, error_line, or_noop, select, setter,
    slider, status, use_learn,
};
use crate::protocol::learn::{LearnCall, LearnReply};
use crate::ui::pages::learn::chart::{
    Bar, BarProps, HistProps, LineProps, Series, TableProps, bar_chart, fmt, hist_chart, line_chart,
};
use crate::ui::{Tr, use_tr};

/// The ggml types the content may name (content/README.md, `quantize_matrix`).
const GGML_TYPES: [&str; 14] = [
    "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL",
    "IQ4_XS", "TQ1_0", "TQ2_0",
];

/// Types whose blocks fit a row of the slice.
fn types_for(cols: u32) -> Vec<&'static str> {
    GGML_TYPES
        .into_iter()
        .filter(|t| {
            GgmlType::from_name(t).is_some_and(|ty| (cols as usize).is_multiple_of(ty.block_size()))
        })
        .collect()
}

fn groups_for(cols: u32) -> Vec<u32> {
    let mut g: Vec<u32> = [8, 16, 32, 64, 128, 256, cols]
        .into_iter()
        .filter(|g| *g <= cols && cols.is_multiple_of(*g))
        .collect();
    g.sort_unstable();
    g.dedup();
    g
}

fn pct(x: f64) -> String {
    format!("{} %", fmt(x * 100.0, 3))
}

/// "blk.0.attn_q.weight, 64 × 576, from Q4_1"
fn slice_line(tr: &Tr, s: &WeightSlice) -> Html {
    html! {
        <p class="widget-source">{ tr.ta("widget-weights-source", &[
            ("tensor", s.source_tensor.clone().into()),
            ("rows", s.rows.into()),
            ("cols", s.cols.into()),
            ("type", s.source_type.clone().into()),
        ]) }</p>
    }
}

fn missing(tr: &Tr, id: &str) -> Html {
    html! { <p class="notice notice-error" role="alert">{ tr.ta("widget-no-weights", &[("id", id.to_string().into())]) }</p> }
}

#[function_component(QuantizeMatrix)]
pub fn quantize_matrix(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::QuantizeMatrix {
        weights,
        bits: bits0,
        group_size: group0,
        symmetric: sym0,
        method: method0,
        use_importance: imp0,
    } = p.spec.widget.clone()
    else {
        return html! {};
    };
    let slice = p.catalog.weight(&weights).cloned();
    let method = use_state(|| match &method0 {
        QuantMethod::Rtn => "rtn".to_string(),
        QuantMethod::Ggml(t) => t.clone(),
    });
    let bits = use_state(|| bits0.clamp(1, 8));
    let group = use_state(|| group0);
    let sym = use_state(|| sym0);
    let imp = use_state(|| imp0);
    let deps = (slice.clone(), (*method).clone(), *bits, *group, *sym, *imp);
    let c = use_learn(deps, |(s, m, b, g, sy, i)| {
        or_noop(s, |slice| LearnCall::Quantize {
            slice,
            method: if m == "rtn" {
                QuantMethod::Rtn
            } else {
                QuantMethod::Ggml(m.clone())
            },
            bits: *b,
            group: *g,
            symmetric: *sy,
            importance: *i,
        })
    });
    let Some(slice) = slice else {
        return missing(&tr, &weights);
    };
    let dom = &p.dom;
    let rtn = *method == "rtn";
    let mut methods = vec![("rtn".to_string(), tr.t("widget-method-rtn"))];
    methods.extend(types_for(slice.cols).into_iter().map(|t| {
        (
            t.to_string(),
            tr.ta("widget-method-ggml", &[("type", t.into())]),
        )
    }));
    let stats = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::Quantize(s)) => Some(s.clone()),
        _ => None,
    };
    let label = if rtn {
        tr.ta(
            "widget-rtn-label",
            &[
                ("bits", (*bits).into()),
                ("group", (*group).into()),
                (
                    "kind",
                    tr.t(if *sym {
                        "widget-symmetric"
                    } else {
                        "widget-asymmetric"
                    })
                    .into(),
                ),
            ],
        )
    } else {
        (*method).clone()
    };
    let summary = stats.as_ref().map(|s| {
        tr.ta(
            "widget-quant-summary",
            &[
                ("method", label.clone().into()),
                ("bpw", fmt(s.bits_per_weight, 4).into()),
                ("error", pct(s.rel_rmse).into()),
            ],
        )
    });
    html! {
        <>
            { slice_line(&tr, &slice) }
            <div class="controls">
                { select(SelectProps { id: format!("{dom}-method"), label: tr.t("widget-method"), options: methods, value: (*method).clone(), onchange: setter(&method) }) }
                if rtn {
                    { slider(SliderProps { id: format!("{dom}-bits"), label: tr.t("widget-bits"), min: 1.0, max: 8.0, step: 1.0, value: f64::from(*bits), valuetext: tr.ta("widget-bits-value", &[("bits", (*bits).into())]), onchange: { let b = bits.clone(); Callback::from(move |v: f64| b.set(v as u8)) } }) }
                    { select(SelectProps { id: format!("{dom}-group"), label: tr.t("widget-group"), options: groups_for(slice.cols).into_iter().map(|g| (g.to_string(), g.to_string())).collect::<Vec<_>>(), value: group.to_string(), onchange: { let g = group.clone(); Callback::from(move |v: String| g.set(v.parse().unwrap_or(32))) } }) }
                    { check(CheckProps { id: format!("{dom}-sym"), label: tr.t("widget-symmetric"), checked: *sym, onchange: setter(&sym) }) }
                }
                if slice.importance_file.is_some() {
                    { check(CheckProps { id: format!("{dom}-imp"), label: tr.t("widget-use-importance"), checked: *imp, onchange: setter(&imp) }) }
                }
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if let Some(s) = stats {
                <dl class="metrics">
                    <div><dt>{ tr.t("widget-bpw") }</dt><dd><bdi>{ fmt(s.bits_per_weight, 4) }</bdi></dd></div>
                    <div><dt>{ tr.t("widget-rel-error") }</dt><dd><bdi>{ pct(s.rel_rmse) }</bdi></dd></div>
                    <div><dt>{ tr.t("widget-snr") }</dt><dd><bdi>{ format!("{} dB", fmt(s.snr_db, 3)) }</bdi></dd></div>
                    <div><dt>{ tr.t("widget-max-error") }</dt><dd><bdi>{ fmt(s.max_abs_err, 3) }</bdi></dd></div>
                    if let Some(w) = s.weighted_rel {
                        <div><dt>{ tr.t("widget-weighted-error") }</dt><dd><bdi>{ pct(w) }</bdi></dd></div>
                    }
                </dl>
                { hist_chart(&tr, HistProps { caption: tr.ta("widget-hist-caption", &[("values", s.values.into())]), alt: tr.t("widget-hist-alt"), x_label: tr.t("widget-weight-value"), lo: f64::from(s.original.lo), hi: f64::from(s.original.hi), series: vec![(tr.t("widget-original"), s.original.counts.clone()), (tr.t("widget-reconstructed"), s.reconstructed.counts.clone())], table: hist_table(&tr, &s.original, &s.reconstructed) }) }
            }
        </>
    }
}

fn hist_table(
    tr: &Tr,
    a: &crate::protocol::learn::Histogram,
    b: &crate::protocol::learn::Histogram,
) -> TableProps {
    let w = (a.hi - a.lo) / a.counts.len().max(1) as f32;
    TableProps {
        headers: vec![
            tr.t("widget-bin"),
            tr.t("widget-original"),
            tr.t("widget-reconstructed"),
        ],
        rows: a
            .counts
            .iter()
            .zip(&b.counts)
            .enumerate()
            .map(|(i, (x, y))| {
                let lo = a.lo + i as f32 * w;
                vec![
                    format!("{} … {}", fmt(f64::from(lo), 3), fmt(f64::from(lo + w), 3)),
                    x.to_string(),
                    y.to_string(),
                ]
            })
            .collect(),
    }
}

#[function_component(ErrorVsBits)]
pub fn error_vs_bits(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let (weights, group0, sym0, bits, curves) = match &p.spec.widget {
        Widget::ErrorVsBits {
            weights,
            group_size,
            symmetric,
            bits,
            model_curve,
        } => (
            weights.clone(),
            *group_size,
            *symmetric,
            bits.clone(),
            model_curve.clone(),
        ),
        _ => Default::default(),
    };
    let slice = p.catalog.weight(&weights).cloned();
    let group = use_state(|| group0);
    let sym = use_state(|| sym0);
    let c = use_learn((slice.clone(), *group, *sym, bits), |(s, g, sy, b)| {
        or_noop(s, |slice| LearnCall::ErrorCurve {
            slice,
            group: *g,
            symmetric: *sy,
            bits: b.clone(),
        })
    });
    let Some(slice) = slice else {
        return missing(&tr, &weights);
    };
    let dom = &p.dom;
    let points = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::ErrorCurve(v)) => v.clone(),
        _ => vec![],
    };
    let summary = (!points.is_empty()).then(|| {
        let (a, b) = (&points[0], &points[points.len() - 1]);
        tr.ta(
            "widget-curve-summary",
            &[
                ("low", a.bits.into()),
                ("low_error", pct(a.rel_rmse).into()),
                ("high", b.bits.into()),
                ("high_error", pct(b.rel_rmse).into()),
            ],
        )
    });
    let kind = tr.t(if *sym {
        "widget-symmetric"
    } else {
        "widget-asymmetric"
    });
    html! {
        <>
            { slice_line(&tr, &slice) }
            <div class="controls">
                { select(SelectProps { id: format!("{dom}-group"), label: tr.t("widget-group"), options: groups_for(slice.cols).into_iter().map(|g| (g.to_string(), g.to_string())).collect::<Vec<_>>(), value: group.to_string(), onchange: { let g = group.clone(); Callback::from(move |v: String| g.set(v.parse().unwrap_or(32))) } }) }
                { check(CheckProps { id: format!("{dom}-sym"), label: tr.t("widget-symmetric"), checked: *sym, onchange: setter(&sym) }) }
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if !points.is_empty() {
                { line_chart(&tr, LineProps { marks: vec![], caption: tr.ta("widget-curve-caption", &[("group", (*group).into()), ("kind", kind.clone().into())]), alt: tr.t("widget-curve-alt"), x_label: tr.t("widget-bpw"), y_label: tr.t("widget-rel-error-pct"), series: vec![Series { name: slice.id.clone(), points: points.iter().map(|q| (q.bits_per_weight, q.rel_rmse * 100.0)).collect(), markers: true }], table: TableProps {
                        headers: vec![tr.t("widget-bits"), tr.t("widget-bpw"), tr.t("widget-rel-error"), tr.t("widget-snr")],
                        rows: points.iter().map(|q| vec![q.bits.to_string(), fmt(q.bits_per_weight, 4), pct(q.rel_rmse), format!("{} dB", fmt(q.snr_db, 3))]).collect(),
                    } }) }
            }
            { for curves.iter().map(|t| html! {
                { line_chart(&tr, LineProps { marks: vec![], caption: tr.ta("widget-model-curve-caption", &[("model", t.model.clone().into()), ("setting", t.setting.clone().into()), ("text", t.text.clone().into())]), alt: tr.t("widget-model-curve-alt"), x_label: tr.t("widget-bpw"), y_label: tr.t("widget-kl"), series: vec![Series { name: t.setting.clone(), points: t.rows.iter().filter_map(|r| r.bpw.map(|b| (b, r.kl))).collect(), markers: true }], table: measured_table(&tr, t) }) }
            }) }
        </>
    }
}

/// The measured table as a data table (label, bpw, perplexity, KL, top-1 agreement).
pub fn measured_table(tr: &Tr, t: &bitsmith_curriculum::MeasuredTable) -> TableProps {
    TableProps {
        headers: vec![
            tr.t("widget-setting"),
            tr.t("widget-bpw"),
            tr.t("widget-ppl"),
            tr.t("widget-kl"),
            tr.t("widget-top1"),
        ],
        rows: t
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.label.clone(),
                    r.bpw.map(|b| fmt(b, 4)).unwrap_or_else(|| "–".into()),
                    fmt(r.ppl, 4),
                    fmt(r.kl, 3),
                    pct(r.top1_agree),
                ]
            })
            .collect(),
    }
}

#[function_component(BlockFormat)]
pub fn block_format(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let (weights, ty0, row0, block0) = match &p.spec.widget {
        Widget::BlockFormat {
            weights,
            ggml_type,
            row,
            block,
        } => (weights.clone(), ggml_type.clone(), *row, *block),
        _ => Default::default(),
    };
    let slice = p.catalog.weight(&weights).cloned();
    let ty = use_state(|| ty0);
    let row = use_state(|| row0);
    let block = use_state(|| block0);
    let c = use_learn(
        (slice.clone(), (*ty).clone(), *row, *block),
        |(s, t, r, b)| {
            or_noop(s, |slice| LearnCall::Block {
                slice,
                ggml_type: t.clone(),
                row: *r,
                block: *b,
            })
        },
    );
    let Some(slice) = slice else {
        return missing(&tr, &weights);
    };
    let dom = &p.dom;
    let bs = GgmlType::from_name(&ty).map_or(32, |t| t.block_size() as u32);
    let blocks = (slice.cols / bs).max(1);
    let view = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::Block(v)) => Some(v.clone()),
        _ => None,
    };
    let summary = view.as_ref().map(|v| {
        let err = v
            .original
            .iter()
            .zip(&v.decoded)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        tr.ta(
            "widget-block-summary",
            &[
                ("type", v.ggml_type.clone().into()),
                ("bytes", v.block_bytes.into()),
                ("weights", v.block_size.into()),
                ("bpw", fmt(v.bits_per_weight, 4).into()),
                ("error", fmt(f64::from(err), 3).into()),
            ],
        )
    });
    let on_type = {
        let (ty, block) = (ty.clone(), block.clone());
        Callback::from(move |v: String| {
            block.set(0);
            ty.set(v);
        })
    };
    html! {
        <>
            { slice_line(&tr, &slice) }
            <div class="controls">
                { select(SelectProps { id: format!("{dom}-type"), label: tr.t("widget-type"), options: types_for(slice.cols).into_iter().map(|t| (t.to_string(), t.to_string())).collect::<Vec<_>>(), value: (*ty).clone(), onchange: on_type }) }
                { slider(SliderProps { id: format!("{dom}-row"), label: tr.t("widget-row"), min: 0.0, max: f64::from(slice.rows - 1), step: 1.0, value: f64::from(*row), valuetext: tr.ta("widget-row-value", &[("row", (*row + 1).into()), ("rows", slice.rows.into())]), onchange: { let r = row.clone(); Callback::from(move |v: f64| r.set(v as u32)) } }) }
                { slider(SliderProps { id: format!("{dom}-block"), label: tr.t("widget-block"), min: 0.0, max: f64::from(blocks - 1), step: 1.0, value: f64::from((*block).min(blocks - 1)), valuetext: tr.ta("widget-block-value", &[("block", ((*block).min(blocks - 1) + 1).into()), ("blocks", blocks.into())]), onchange: { let b = block.clone(); Callback::from(move |v: f64| b.set(v as u32)) } }) }
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if let Some(v) = view {
                <div class="table-scroll" tabindex="0" role="region" aria-labelledby={format!("{}-tbl", p.dom)}>
                    <table class="block-fields">
                        <caption id={format!("{}-tbl", p.dom)}>{ tr.ta("widget-block-fields", &[("type", v.ggml_type.clone().into()), ("bytes", v.block_bytes.into())]) }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("widget-field") }</th>
                            <th scope="col">{ tr.t("widget-offset") }</th>
                            <th scope="col">{ tr.t("widget-bytes") }</th>
                            <th scope="col">{ tr.t("widget-value") }</th>
                        </tr></thead>
                        <tbody>{ for v.fields.iter().map(|f| html! {
                            <tr>
                                <th scope="row"><code>{ &f.name }</code></th>
                                <td>{ f.offset }</td>
                                <td><code class="hex">{ f.bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ") }</code></td>
                                <td>{ f.value.map(|x| fmt(f64::from(x), 4)).unwrap_or_default() }</td>
                            </tr>
                        }) }</tbody>
                    </table>
                </div>
                { line_chart(&tr, LineProps { marks: vec![], caption: tr.t("widget-block-chart-caption"), alt: tr.t("widget-block-chart-alt"), x_label: tr.t("widget-index"), y_label: tr.t("widget-weight-value"), series: vec![
                        Series { name: tr.t("widget-original"), points: v.original.iter().enumerate().map(|(i, &x)| (i as f64, f64::from(x))).collect(), markers: v.original.len() <= 64 },
                        Series { name: tr.t("widget-reconstructed"), points: v.decoded.iter().enumerate().map(|(i, &x)| (i as f64, f64::from(x))).collect(), markers: v.decoded.len() <= 64 },
                    ], table: TableProps {
                        headers: vec![tr.t("widget-index"), tr.t("widget-original"), tr.t("widget-reconstructed")],
                        rows: v.original.iter().zip(&v.decoded).enumerate().map(|(i, (a, b))| vec![i.to_string(), fmt(f64::from(*a), 4), fmt(f64::from(*b), 4)]).collect(),
                    } }) }
            }
        </>
    }
}

/// Energies of the annealing widget or any labelled comparison, as bars.
pub fn compare_bars(
    caption: String,
    alt: String,
    header: String,
    tr: &Tr,
    bars: Vec<(String, f64)>,
) -> Html {
    html! {
        { bar_chart(tr, BarProps { notes: vec![], max: None, caption, alt, series: vec![header.clone()], bars: bars.iter().map(|(l, v)| Bar { label: l.clone(), values: vec![*v] }).collect::<Vec<_>>(), table: TableProps { headers: vec![tr.t("widget-setting"), header], rows: bars.iter().map(|(l, v)| vec![l.clone(), fmt(*v, 4)]).collect() } }) }
    }
}
