//! The research lessons' simulations: a spiking neuron and annealing a rounding QUBO, both run
//! in the worker.

use bitsmith_curriculum::Widget;
use yew::prelude::*;

use super::quant::compare_bars;
use super::{
    SelectProps, SliderProps, WidgetProps, error_line, or_noop, select, slider, status, use_learn,
};
use crate::protocol::learn::{LearnCall, LearnReply};
use crate::ui::pages::learn::chart::{LineProps, Series, TableProps, fmt, line_chart};
use crate::ui::use_tr;

#[function_component(Spiking)]
pub fn spiking(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::SpikingNeuron {
        tau_ms,
        threshold,
        input,
        duration_ms,
    } = p.spec.widget.clone()
    else {
        return html! {};
    };
    let input = use_state(|| input);
    let tau = use_state(|| tau_ms);
    let thr = use_state(|| threshold);
    let c = use_learn((*tau, *thr, *input, duration_ms), |&(t, th, i, d)| {
        LearnCall::Spiking {
            tau_ms: t,
            threshold: th,
            input: i,
            duration_ms: d,
        }
    });
    let trace = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::Spiking(t)) => Some(t.clone()),
        _ => None,
    };
    let dom = &p.dom;
    let summary = trace.as_ref().map(|t| match t.predicted_period_ms {
        Some(period) => tr.ta(
            "widget-spikes-summary",
            &[
                ("spikes", t.spikes.len().into()),
                ("ms", duration_ms.into()),
                ("period", fmt(period, 3).into()),
            ],
        ),
        None => tr.ta("widget-spikes-silent", &[("ms", duration_ms.into())]),
    });
    html! {
        <>
            <div class="controls">
                { slider(SliderProps { id: format!("{dom}-input"), label: tr.t("widget-input"), min: 0.0, max: 0.3, step: 0.005, value: *input, valuetext: tr.ta("widget-input-value", &[("input", fmt(*input, 3).into())]), onchange: { let s = input.clone(); Callback::from(move |v| s.set(v)) } }) }
                { slider(SliderProps { id: format!("{dom}-tau"), label: tr.t("widget-tau"), min: 2.0, max: 100.0, step: 1.0, value: *tau, valuetext: tr.ta("widget-ms-value", &[("ms", fmt(*tau, 3).into())]), onchange: { let s = tau.clone(); Callback::from(move |v| s.set(v)) } }) }
                { slider(SliderProps { id: format!("{dom}-thr"), label: tr.t("widget-threshold"), min: 0.1, max: 3.0, step: 0.05, value: *thr, valuetext: fmt(*thr, 3), onchange: { let s = thr.clone(); Callback::from(move |v| s.set(v)) } }) }
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if let Some(t) = trace {
                { line_chart(&tr, LineProps { caption: tr.t("widget-spikes-caption"), alt: tr.t("widget-spikes-alt"), x_label: tr.t("widget-time-ms"), y_label: tr.t("widget-potential"), marks: t.spikes.iter().map(|&s| f64::from(s)).collect::<Vec<_>>(), series: vec![Series { name: tr.t("widget-potential"), points: t.potential.iter().enumerate().map(|(i, &v)| (i as f64, f64::from(v))).collect(), markers: false }], table: TableProps {
                        headers: vec![tr.t("widget-time-ms"), tr.t("widget-potential"), tr.t("widget-spike")],
                        // Every 5 ms and every spike: the trace's shape without 1000 rows.
                        rows: t.potential.iter().enumerate()
                            .filter(|(i, _)| i % 5 == 0 || t.spikes.contains(&(*i as u32)))
                            .map(|(i, v)| vec![i.to_string(), fmt(f64::from(*v), 3), if t.spikes.contains(&(i as u32)) { "●".into() } else { String::new() }])
                            .collect(),
                    } }) }
            }
        </>
    }
}

#[function_component(Annealing)]
pub fn annealing(p: &WidgetProps) -> Html {
    let tr = use_tr();
    let Widget::AnnealingQubo {
        weights,
        row,
        col,
        count,
        bits,
        sweeps,
        t_start,
        t_end,
        seed,
    } = p.spec.widget.clone()
    else {
        return html! {};
    };
    let slice = p.catalog.weight(&weights).cloned();
    let limit = slice
        .as_ref()
        .and_then(|s| s.hessian.as_ref())
        .map_or(count, |h| {
            (h.col_start + h.size).saturating_sub(col).min(24)
        });
    let count = use_state(|| count);
    let bits = use_state(|| bits);
    let sweeps = use_state(|| sweeps);
    let seed = use_state(|| seed);
    let c = use_learn(
        (slice.clone(), *count, *bits, *sweeps, *seed),
        move |(s, n, b, sw, sd)| {
            or_noop(s, |slice| LearnCall::Anneal {
                slice,
                row,
                col,
                count: *n,
                bits: *b,
                sweeps: *sw,
                t_start,
                t_end,
                seed: *sd,
            })
        },
    );
    if slice.is_none() {
        return html! { <p class="notice notice-error" role="alert">{ tr.ta("widget-no-weights", &[("id", weights.into())]) }</p> };
    }
    let r = match c
        .result
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|r| &**r)
    {
        Some(LearnReply::Anneal(a)) => Some(a.clone()),
        _ => None,
    };
    let dom = &p.dom;
    let summary = r.as_ref().map(|a| match a.optimum_energy {
        Some(o) => tr.ta(
            "widget-anneal-summary",
            &[
                ("rtn", fmt(a.rtn_energy, 3).into()),
                ("annealed", fmt(a.annealed_energy, 3).into()),
                ("optimum", fmt(o, 3).into()),
            ],
        ),
        None => tr.ta(
            "widget-anneal-summary-large",
            &[
                ("rtn", fmt(a.rtn_energy, 3).into()),
                ("annealed", fmt(a.annealed_energy, 3).into()),
            ],
        ),
    });
    let ud = |up: bool| if up { "↑" } else { "↓" };
    html! {
        <>
            <div class="controls">
                { slider(SliderProps { id: format!("{dom}-count"), label: tr.t("widget-count"), min: 2.0, max: f64::from(limit.max(2)), step: 1.0, value: f64::from(*count), valuetext: tr.ta("widget-weights-count", &[("count", (*count).into())]), onchange: { let s = count.clone(); Callback::from(move |v: f64| s.set(v as u32)) } }) }
                { slider(SliderProps { id: format!("{dom}-bits"), label: tr.t("widget-bits"), min: 2.0, max: 4.0, step: 1.0, value: f64::from(*bits), valuetext: tr.ta("widget-bits-value", &[("bits", (*bits).into())]), onchange: { let s = bits.clone(); Callback::from(move |v: f64| s.set(v as u8)) } }) }
                { select(SelectProps { id: format!("{dom}-sweeps"), label: tr.t("widget-sweeps"), options: [10u32, 100, 500, 2000, 10000].iter().map(|s| (s.to_string(), s.to_string())).collect::<Vec<_>>(), value: sweeps.to_string(), onchange: { let s = sweeps.clone(); Callback::from(move |v: String| s.set(v.parse().unwrap_or(2000))) } }) }
                <div class="button-row">
                    <button type="button" class="button" onclick={{ let s = seed.clone(); Callback::from(move |_| s.set(s.wrapping_add(1))) }}>
                        { tr.t("widget-reseed") }
                    </button>
                </div>
            </div>
            { status(summary.unwrap_or_default(), c.busy) }
            { error_line(&tr, &c.result) }
            if let Some(a) = r {
                { compare_bars(tr.t("widget-anneal-caption"), tr.t("widget-anneal-alt"), tr.t("widget-energy"), &tr, {
                    let mut v = vec![(tr.t("widget-rtn"), a.rtn_energy), (tr.t("widget-annealed"), a.annealed_energy)];
                    if let Some(o) = a.optimum_energy { v.push((tr.t("widget-optimum"), o)); }
                    v
                }) }
                <div class="table-scroll" tabindex="0" role="region" aria-labelledby={format!("{}-tbl", p.dom)}>
                    <table class="anneal-table">
                        <caption id={format!("{}-tbl", p.dom)}>{ tr.ta("widget-anneal-table", &[("step", fmt(f64::from(a.step), 3).into())]) }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("widget-weight-value") }</th>
                            <th scope="col">{ tr.t("widget-rtn") }</th>
                            <th scope="col">{ tr.t("widget-annealed") }</th>
                            if a.optimum.is_some() { <th scope="col">{ tr.t("widget-optimum") }</th> }
                        </tr></thead>
                        <tbody>{ for a.weights.iter().enumerate().map(|(i, w)| html! {
                            <tr>
                                <th scope="row">{ fmt(f64::from(*w), 4) }</th>
                                <td>{ ud(a.rtn[i]) }</td>
                                <td>{ ud(a.annealed[i]) }</td>
                                if let Some(o) = &a.optimum { <td>{ ud(o[i]) }</td> }
                            </tr>
                        }) }</tbody>
                    </table>
                </div>
                <p class="note">{ tr.t("widget-anneal-legend") }</p>
            }
        </>
    }
}
