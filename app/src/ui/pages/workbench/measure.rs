//! Measure: perplexity on the built-in text or the user's own, and, for runs quantized here,
//! KL divergence, top-1 agreement and per-layer error against their source. Results are
//! stored with each model; the charts (size against perplexity for every measured model, error
//! by layer for one run) each come with their data as a table, and two runs can be compared
//! side by side.

use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{ActiveKind, fmt, number_input, use_wb};
use crate::library::{Manifest, Measurement};
use crate::protocol::workbench::WbJob;
use crate::ui::use_tr;

/// A model's latest measurement.
fn latest(m: &Manifest) -> Option<&Measurement> {
    m.measurements.last()
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// "Nice" axis bounds and ticks for `lo..hi`.
fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= n as f64)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    (0..=n + 1)
        .map(|i| start + i as f64 * step)
        .take_while(|v| *v <= hi + step * 0.999)
        .collect()
}

const W: f64 = 560.0;
const H: f64 = 300.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 48.0;

#[derive(Properties, PartialEq)]
struct ScatterProps {
    /// (label, size in bytes, perplexity, is a run quantized here)
    points: Vec<(String, u64, f64, bool)>,
}

/// Size against perplexity, one point per measured model.
#[function_component(SizePplChart)]
fn size_ppl_chart(p: &ScatterProps) -> Html {
    let tr = use_tr();
    if p.points.is_empty() {
        return html! {};
    }
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    let xs: Vec<f64> = p.points.iter().map(|q| mib(q.1)).collect();
    let ys: Vec<f64> = p.points.iter().map(|q| q.2).collect();
    let (x0, x1) = (0.0, xs.iter().cloned().fold(1.0, f64::max) * 1.1);
    let ymin = ys.iter().cloned().fold(f64::INFINITY, f64::min);
    let ymax = ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((ymax - ymin) * 0.15).max(ymax * 0.02).max(0.1);
    let (y0, y1) = ((ymin - pad).max(0.0), ymax + pad);
    let sx = |x: f64| PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R);
    let sy = |y: f64| H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B);
    let xt = ticks(x0, x1, 5);
    let yt = ticks(y0, y1, 4);
    html! {
        <figure class="wb-chart" data-testid="wb-chart-size-ppl">
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-labelledby="wb-chart1-cap">
                { for xt.iter().filter(|v| **v <= x1).map(|v| html! {
                    <g>
                        <line class="grid" x1={sx(*v).to_string()} x2={sx(*v).to_string()} y1={PAD_T.to_string()} y2={(H - PAD_B).to_string()} />
                        <text class="tick" x={sx(*v).to_string()} y={(H - PAD_B + 16.0).to_string()} text-anchor="middle">{ format!("{v:.0}") }</text>
                    </g>
                }) }
                { for yt.iter().filter(|v| **v >= y0 && **v <= y1).map(|v| html! {
                    <g>
                        <line class="grid" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={sy(*v).to_string()} y2={sy(*v).to_string()} />
                        <text class="tick" x={(PAD_L - 6.0).to_string()} y={(sy(*v) + 4.0).to_string()} text-anchor="end">{ format!("{v:.1}") }</text>
                    </g>
                }) }
                <text class="axis" x={((W + PAD_L) / 2.0).to_string()} y={(H - 8.0).to_string()} text-anchor="middle">{ tr.t("wb-chart-size-axis") }</text>
                <text class="axis" x="14" y={((H - PAD_B) / 2.0).to_string()} text-anchor="middle"
                      transform={format!("rotate(-90 14 {})", (H - PAD_B) / 2.0)}>{ tr.t("wb-chart-ppl-axis") }</text>
                { for p.points.iter().map(|(label, size, ppl, run)| html! {
                    <g>
                        <circle class={classes!("pt", run.then_some("run"))} cx={sx(mib(*size)).to_string()} cy={sy(*ppl).to_string()} r="6" />
                        <text class="pt-label" x={(sx(mib(*size)) + 9.0).to_string()} y={(sy(*ppl) - 8.0).to_string()}>{ label }</text>
                    </g>
                }) }
            </svg>
            <figcaption id="wb-chart1-cap">{ tr.t("wb-chart-size-ppl") }</figcaption>
            <details>
                <summary>{ tr.t("wb-chart-data") }</summary>
                <table class="wb-table">
                    <thead><tr>
                        <th scope="col">{ tr.t("wb-col-name") }</th>
                        <th scope="col">{ tr.t("wb-col-size") }</th>
                        <th scope="col">{ tr.t("wb-col-ppl") }</th>
                    </tr></thead>
                    <tbody>{ for p.points.iter().map(|(l, s, y, _)| html! {
                        <tr><th scope="row">{ l }</th><td>{ fmt::bytes(*s) }</td><td>{ format!("{y:.3}") }</td></tr>
                    }) }</tbody>
                </table>
            </details>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
struct LayerProps {
    name: String,
    errors: Vec<f64>,
}

/// Relative error of the hidden state after each layer, as bars.
#[function_component(LayerChart)]
fn layer_chart(p: &LayerProps) -> Html {
    let tr = use_tr();
    if p.errors.is_empty() {
        return html! {};
    }
    let n = p.errors.len() as f64;
    let ymax = p.errors.iter().cloned().fold(1e-9, f64::max) * 1.1;
    let bw = (W - PAD_L - PAD_R) / n;
    let sy = |y: f64| H - PAD_B - y / ymax * (H - PAD_T - PAD_B);
    let yt = ticks(0.0, ymax, 4);
    let every = ((n / 10.0).ceil() as usize).max(1);
    html! {
        <figure class="wb-chart" data-testid="wb-chart-layers">
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-labelledby="wb-chart2-cap">
                { for yt.iter().filter(|v| **v <= ymax).map(|v| html! {
                    <g>
                        <line class="grid" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={sy(*v).to_string()} y2={sy(*v).to_string()} />
                        <text class="tick" x={(PAD_L - 6.0).to_string()} y={(sy(*v) + 4.0).to_string()} text-anchor="end">{ pct(*v) }</text>
                    </g>
                }) }
                { for p.errors.iter().enumerate().map(|(i, e)| html! {
                    <g>
                        <rect class="bar" x={(PAD_L + i as f64 * bw + bw * 0.15).to_string()} y={sy(*e).to_string()}
                              width={(bw * 0.7).to_string()} height={(H - PAD_B - sy(*e)).max(0.0).to_string()} />
                        if i % every == 0 {
                            <text class="tick" x={(PAD_L + (i as f64 + 0.5) * bw).to_string()} y={(H - PAD_B + 16.0).to_string()} text-anchor="middle">{ i }</text>
                        }
                    </g>
                }) }
                <text class="axis" x={((W + PAD_L) / 2.0).to_string()} y={(H - 8.0).to_string()} text-anchor="middle">{ tr.t("wb-chart-layer-axis") }</text>
            </svg>
            <figcaption id="wb-chart2-cap">{ tr.ta("wb-chart-layers", &[("name", p.name.clone().into())]) }</figcaption>
            <details>
                <summary>{ tr.t("wb-chart-data") }</summary>
                <table class="wb-table">
                    <thead><tr>
                        <th scope="col">{ tr.t("wb-col-layer") }</th>
                        <th scope="col">{ tr.t("wb-col-layer-error") }</th>
                    </tr></thead>
                    <tbody>{ for p.errors.iter().enumerate().map(|(i, e)| html! {
                        <tr><th scope="row">{ i }</th><td>{ pct(*e) }</td></tr>
                    }) }</tbody>
                </table>
            </details>
        </figure>
    }
}

#[function_component(MeasurePanel)]
pub fn measure_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let target = use_state(|| None::<String>);
    let own_text = use_state(|| false);
    let text = use_state(String::new);
    let n_ctx = use_state(|| 256u32);
    let chunks = use_state(|| 2u32);
    let cmp_a = use_state(|| None::<String>);
    let cmp_b = use_state(|| None::<String>);
    if wb.models.is_empty() {
        return html! {};
    }
    // Default: the newest run quantized here, else the newest model.
    let chosen = target
        .as_ref()
        .filter(|id| wb.model(id).is_some())
        .cloned()
        .or_else(|| {
            wb.models
                .iter()
                .find(|m| m.quant.is_some())
                .map(|m| m.id.clone())
        })
        .or_else(|| wb.models.first().map(|m| m.id.clone()));
    let on_target = {
        let target = target.clone();
        Callback::from(move |e: Event| {
            target.set(Some(e.target_unchecked_into::<HtmlSelectElement>().value()))
        })
    };
    let radio = |own: bool| {
        let own_text = own_text.clone();
        Callback::from(move |_: Event| own_text.set(own))
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_ctx = {
        let n_ctx = n_ctx.clone();
        Callback::from(move |e: Event| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                n_ctx.set(v);
            }
        })
    };
    let on_chunks = number_input(&chunks, 1u32, 64);
    let start = {
        let (wb, chosen, own, text, n_ctx, chunks) = (
            wb.clone(),
            chosen.clone(),
            *own_text,
            (*text).clone(),
            *n_ctx,
            *chunks,
        );
        Callback::from(move |_| {
            let Some(id) = chosen.clone() else {
                return;
            };
            let name = wb.model(&id).map(|m| m.name.clone()).unwrap_or_default();
            wb.start.emit((
                WbJob::Measure {
                    model: id,
                    text: own.then(|| text.clone()),
                    n_ctx,
                    max_chunks: chunks,
                },
                ActiveKind::Measure,
                name,
                Vec::new(),
            ));
        })
    };
    let measured: Vec<&Manifest> = wb.models.iter().filter(|m| latest(m).is_some()).collect();
    let rows = measured.iter().map(|m| {
        let r = latest(m).expect("filtered");
        html! {
            <tr key={m.id.clone()} data-testid="wb-result-row">
                <th scope="row">{ &m.name }</th>
                <td>{ fmt::bytes(m.size) }</td>
                <td>{ fmt::bpw(m.facts.bpw) }</td>
                <td data-testid="wb-ppl">{ format!("{:.3} ± {:.3}", r.ppl, r.ppl_err) }</td>
                <td>{ opt(r.ppl_base, |v| format!("{v:.3}")) }</td>
                <td data-testid="wb-kld">{ opt(r.kld, |v| format!("{v:.4}")) }</td>
                <td>{ opt(r.top1, pct) }</td>
                <td>{ tr.ta("wb-tokens-ctx", &[("tokens", r.tokens.into()), ("ctx", r.n_ctx.into())]) }</td>
            </tr>
        }
    });
    let mut points: Vec<(String, u64, f64, bool)> = measured
        .iter()
        .map(|m| {
            let label = m
                .quant
                .as_ref()
                .map(|q| q.preset.clone())
                .unwrap_or_else(|| m.facts.file_type.clone());
            (
                label,
                m.size,
                latest(m).expect("filtered").ppl,
                m.quant.is_some(),
            )
        })
        .collect();
    // A source measured alongside its runs (on the same tokens) is a point too, unless it has
    // its own measurement already.
    for m in &measured {
        if let (Some(base_ppl), crate::library::Origin::Quantized { parent, .. }) =
            (latest(m).and_then(|r| r.ppl_base), &m.origin)
            && let Some(src) = wb.model(parent)
            && latest(src).is_none()
            && !points
                .iter()
                .any(|p| p.0 == src.facts.file_type && p.1 == src.size)
        {
            points.push((src.facts.file_type.clone(), src.size, base_ppl, false));
        }
    }
    let layers = chosen
        .as_ref()
        .and_then(|id| wb.model(id))
        .and_then(|m| latest(m).map(|r| (m.name.clone(), r.layer_error.clone())))
        .filter(|(_, e)| !e.is_empty());

    // Side by side.
    let pick = |s: &UseStateHandle<Option<String>>| {
        let s = s.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            s.set((!v.is_empty()).then_some(v));
        })
    };
    let a = cmp_a
        .as_ref()
        .and_then(|id| wb.model(id))
        .or(measured.first().copied());
    let b = cmp_b
        .as_ref()
        .and_then(|id| wb.model(id))
        .or(measured.get(1).copied());
    let compare = match (a, b) {
        (Some(a), Some(b)) => {
            let line = |label: String, f: &dyn Fn(&Manifest) -> String| {
                html! {
                    <tr><th scope="row">{ label }</th><td>{ f(a) }</td><td>{ f(b) }</td></tr>
                }
            };
            let ppl = |m: &Manifest| {
                latest(m)
                    .map(|r| format!("{:.3}", r.ppl))
                    .unwrap_or_else(|| "–".into())
            };
            let kld = |m: &Manifest| opt(latest(m).and_then(|r| r.kld), |v| format!("{v:.4}"));
            let top1 = |m: &Manifest| opt(latest(m).and_then(|r| r.top1), pct);
            Some(html! {
                <table class="wb-table wb-compare" data-testid="wb-compare">
                    <thead><tr>
                        <td></td>
                        <th scope="col">{ &a.name }</th>
                        <th scope="col">{ &b.name }</th>
                    </tr></thead>
                    <tbody>
                        { line(tr.t("wb-col-size"), &|m| fmt::bytes(m.size)) }
                        { line(tr.t("wb-col-bpw"), &|m| fmt::bpw(m.facts.bpw)) }
                        { line(tr.t("wb-col-ppl"), &ppl) }
                        { line(tr.t("wb-col-kld"), &kld) }
                        { line(tr.t("wb-col-top1"), &top1) }
                        { line(tr.t("wb-col-time"), &|m| m.quant.as_ref().map(|q| fmt::duration(q.seconds)).unwrap_or_else(|| "–".into())) }
                        { line(tr.t("wb-col-memory"), &|m| m.quant.as_ref().map(|q| fmt::bytes(q.peak_memory)).unwrap_or_else(|| "–".into())) }
                    </tbody>
                </table>
            })
        }
        _ => None,
    };
    let busy = wb.busy();
    html! {
        <section class="panel" aria-labelledby="wb-measure-h">
            <h2 id="wb-measure-h">{ tr.t("wb-measure") }</h2>
            <p>{ tr.t("wb-measure-why") }</p>
            <div class="field">
                <label for="wb-measure-model">{ tr.t("wb-measure-model") }</label>
                <select id="wb-measure-model" onchange={on_target} disabled={busy}>
                    { for wb.models.iter().map(|m| html! {
                        <option value={m.id.clone()} selected={chosen.as_deref() == Some(m.id.as_str())}>{ &m.name }</option>
                    }) }
                </select>
            </div>
            <fieldset class="field">
                <legend>{ tr.t("wb-measure-text") }</legend>
                <div class="radio">
                    <input type="radio" name="wb-text" id="wb-text-builtin" checked={!*own_text} onchange={radio(false)} />
                    <label for="wb-text-builtin">{ tr.t("wb-measure-builtin") }</label>
                </div>
                <div class="radio">
                    <input type="radio" name="wb-text" id="wb-text-own" checked={*own_text} onchange={radio(true)} />
                    <label for="wb-text-own">{ tr.t("wb-measure-own") }</label>
                </div>
            </fieldset>
            if *own_text {
                <div class="field">
                    <label for="wb-own-text">{ tr.t("wb-measure-own-label") }</label>
                    <textarea id="wb-own-text" rows="6" value={(*text).clone()} oninput={on_text} />
                </div>
            }
            <div class="wb-inline-fields">
                <div class="field">
                    <label for="wb-ctx">{ tr.t("wb-measure-ctx") }</label>
                    <select id="wb-ctx" onchange={on_ctx}>
                        { for [128u32, 256, 512].iter().map(|c| html! { <option value={c.to_string()} selected={*c == *n_ctx}>{ c }</option> }) }
                    </select>
                </div>
                <div class="field">
                    <label for="wb-chunks">{ tr.t("wb-measure-chunks") }</label>
                    <input id="wb-chunks" type="number" min="1" max="64" value={chunks.to_string()} onchange={on_chunks} />
                </div>
            </div>
            <button type="button" class="button primary" onclick={start}
                    disabled={busy || chosen.is_none() || (*own_text && text.trim().is_empty())}
                    data-testid="wb-measure-start">{ tr.t("wb-measure-go") }</button>

            if !measured.is_empty() {
                <h3 id="wb-results-h">{ tr.t("wb-results") }</h3>
                <div class="table-scroll" role="region" aria-labelledby="wb-results-h" tabindex="0">
                    <table class="wb-table" data-testid="wb-results">
                        <thead><tr>
                            <th scope="col">{ tr.t("wb-col-name") }</th>
                            <th scope="col">{ tr.t("wb-col-size") }</th>
                            <th scope="col">{ tr.t("wb-col-bpw") }</th>
                            <th scope="col">{ tr.t("wb-col-ppl") }</th>
                            <th scope="col">{ tr.t("wb-col-ppl-base") }</th>
                            <th scope="col">{ tr.t("wb-col-kld") }</th>
                            <th scope="col">{ tr.t("wb-col-top1") }</th>
                            <th scope="col">{ tr.t("wb-col-tokens") }</th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
                <SizePplChart points={points} />
                if let Some((name, errors)) = layers {
                    <LayerChart {name} {errors} />
                }
                if measured.len() >= 2 {
                    <h3>{ tr.t("wb-compare") }</h3>
                    <div class="wb-inline-fields">
                        <div class="field">
                            <label for="wb-cmp-a">{ tr.t("wb-compare-a") }</label>
                            <select id="wb-cmp-a" onchange={pick(&cmp_a)}>
                                { for measured.iter().map(|m| html! { <option value={m.id.clone()} selected={a.is_some_and(|x| x.id == m.id)}>{ &m.name }</option> }) }
                            </select>
                        </div>
                        <div class="field">
                            <label for="wb-cmp-b">{ tr.t("wb-compare-b") }</label>
                            <select id="wb-cmp-b" onchange={pick(&cmp_b)}>
                                { for measured.iter().map(|m| html! { <option value={m.id.clone()} selected={b.is_some_and(|x| x.id == m.id)}>{ &m.name }</option> }) }
                            </select>
                        </div>
                    </div>
                    <div class="table-scroll" role="region" aria-label={tr.t("wb-compare")} tabindex="0">
                        { compare.unwrap_or_default() }
                    </div>
                }
            }
        </section>
    }
}
