//! The planner's answers: fit (chart, verdicts, breakdown with formulas), speed (roofline per
//! phase, measured runs beside it) and cost (per 1M tokens, break-even, savings).
//!
//! The engine writes its formulas, notes and warnings in English; they are marked `lang="en"`
//! so screen readers read them right inside an Arabic or Spanish page.

use bitsmith_engine::plan::{Fit, Phase};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::inputs::Field;
use super::state::PlanState;
use super::{Ctx, fmt};
use crate::protocol::plan::{EfficiencySource, PlanView, PresetRow};
use crate::ui::{Tr, use_tr};

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub ctx: Ctx,
    pub error: Option<String>,
    pub pending: bool,
}

fn model_name(tr: &Tr, v: &PlanView) -> String {
    match v.model.name.as_str() {
        "custom" => tr.t("planner-custom-model"),
        "config.json" => tr.t("planner-pasted-model"),
        n => n.to_string(),
    }
}

fn device_name(tr: &Tr, v: &PlanView) -> String {
    if v.device.id == "this-device" {
        tr.t("planner-this-device-short")
    } else {
        v.device.name.clone()
    }
}

fn fit_text(tr: &Tr, r: &PresetRow) -> String {
    match r.fit {
        Fit::Fits => tr.t("planner-fit-fits"),
        Fit::FitsShorterContext => tr.ta(
            "planner-fit-shorter",
            &[("max", r.max_context.to_string().into())],
        ),
        Fit::DoesNotFit => tr.t("planner-fit-no"),
    }
}

fn fit_class(f: Fit) -> &'static str {
    match f {
        Fit::Fits => "verdict verdict-fits",
        Fit::FitsShorterContext => "verdict verdict-shorter",
        Fit::DoesNotFit => "verdict verdict-no",
    }
}

/// The one-line answer, announced when it changes.
fn summary(tr: &Tr, v: &PlanView) -> String {
    let args = |extra: Vec<(&'static str, String)>| {
        let mut a: Vec<(&str, fluent_bundle::FluentValue)> = vec![
            ("model", model_name(tr, v).into()),
            ("device", device_name(tr, v).into()),
            ("ctx", v.ctx.to_string().into()),
        ];
        a.extend(extra.into_iter().map(|(k, s)| (k, s.into())));
        a
    };
    match v.best.map(|i| &v.rows[i]) {
        Some(r) if r.fit == Fit::Fits => tr.ta(
            "planner-summary-fits",
            &args(vec![
                ("preset", r.label.clone()),
                ("needed", fmt::bytes(r.total_bytes)),
                ("usable", fmt::bytes(v.device.usable_bytes)),
            ]),
        ),
        Some(r) => tr.ta(
            "planner-summary-shorter",
            &args(vec![
                ("preset", r.label.clone()),
                ("max", r.max_context.to_string()),
            ]),
        ),
        None => tr.ta("planner-summary-none", &args(vec![])),
    }
}

/// Why the recommended preset is the one.
fn best_reason(tr: &Tr, v: &PlanView) -> Html {
    let usable = fmt::bytes(v.device.usable_bytes);
    let Some(bi) = v.best else {
        let smallest = v.rows.iter().min_by_key(|r| r.weights.bytes);
        return html! {
            <p class="plan-best plan-best-none" data-testid="best">
                { smallest.map(|r| tr.ta("planner-best-none", &[
                    ("preset", r.label.clone().into()),
                    ("weights", fmt::bytes(r.weights.bytes).into()),
                    ("usable", usable.clone().into()),
                ])).unwrap_or_default() }
            </p>
        };
    };
    let r = &v.rows[bi];
    let main = if r.fit == Fit::Fits {
        tr.ta(
            "planner-best-fits",
            &[
                ("preset", r.label.clone().into()),
                ("ctx", v.ctx.to_string().into()),
                ("needed", fmt::bytes(r.total_bytes).into()),
                ("usable", usable.into()),
                (
                    "spare",
                    fmt::bytes(v.device.usable_bytes.saturating_sub(r.total_bytes)).into(),
                ),
            ],
        )
    } else {
        tr.ta(
            "planner-best-shorter",
            &[
                ("preset", r.label.clone().into()),
                ("ctx", v.ctx.to_string().into()),
                ("max", r.max_context.to_string().into()),
            ],
        )
    };
    let better: Vec<&str> = v.rows[..bi].iter().map(|r| r.label.as_str()).collect();
    html! {
        <div class="plan-best" data-testid="best">
            <p><strong>{ tr.t("planner-best-label") }{ " " }{ &r.label }</strong>{ " — " }{ main }</p>
            if !better.is_empty() && r.fit == Fit::Fits {
                <p>{ tr.ta("planner-best-better", &[("list", better.join(", ").into())]) }</p>
            }
            if let Some(d) = r.ppl_delta {
                <p>{ tr.ta("planner-best-ppl", &[("delta", format!("{d:+.4}").into())]) }</p>
            }
        </div>
    }
}

#[function_component(Results)]
pub fn results(p: &ResultsProps) -> Html {
    let tr = use_tr();
    let v = p.ctx.view.clone();
    let status = v.as_ref().map(|v| summary(&tr, v)).unwrap_or_default();
    html! {
        <div class="plan-results" aria-busy={p.pending.then_some("true")}>
            <p role="status" class="plan-summary" data-testid="plan-summary">{ status }</p>
            if let Some(e) = &p.error {
                <p class="notice notice-error plan-error" role="alert" data-testid="plan-error">
                    { tr.t("planner-error") }{ " " }<span lang="en">{ e }</span>
                </p>
            }
            if let Some(v) = v {
                <FitSection ctx={p.ctx.clone()} view={v.clone()} />
                <SpeedSection ctx={p.ctx.clone()} view={v.clone()} />
                <CostSection ctx={p.ctx.clone()} view={v.clone()} />
                if !v.assumptions.is_empty() {
                    <details class="panel plan-assumptions">
                        <summary>{ tr.t("planner-assumptions") }</summary>
                        <ul lang="en">
                            { for v.assumptions.iter().map(|a| html! { <li>{ a }</li> }) }
                        </ul>
                    </details>
                }
            } else if p.error.is_none() {
                <p class="status-line">{ tr.t("planner-computing") }</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SectionProps {
    ctx: Ctx,
    view: std::rc::Rc<PlanView>,
}

/// The row whose details are shown: the one picked, else the recommended one.
fn detail_index(s: &PlanState, v: &PlanView) -> usize {
    v.rows
        .iter()
        .position(|r| r.label == s.detail)
        .or(v.best)
        .unwrap_or(0)
}

/// Round tick spacing: the smallest power-of-two number of MiB giving at most six ticks.
fn tick_step(max: f64) -> u64 {
    let mut step: u64 = 1 << 20;
    while max / step as f64 > 6.0 {
        step *= 2;
    }
    step
}

/// Stacked horizontal bars, one per preset, with the usable-memory line. The table after it
/// carries the same numbers.
fn chart(tr: &Tr, v: &PlanView, best: Option<usize>) -> Html {
    const LABEL_W: f64 = 78.0;
    const BAR_W: f64 = 470.0;
    const ROW_H: f64 = 22.0;
    const TOP: f64 = 8.0;
    let usable = v.device.usable_bytes;
    let max = v
        .rows
        .iter()
        .map(|r| r.total_bytes)
        .max()
        .unwrap_or(1)
        .max(usable) as f64
        * 1.04;
    let x = |b: u64| LABEL_W + b as f64 / max * BAR_W;
    let w = |b: u64| b as f64 / max * BAR_W;
    let bars_h = v.rows.len() as f64 * ROW_H;
    let height = TOP + bars_h + 34.0;
    let step = tick_step(max);
    let ticks: Vec<u64> = (0..)
        .map(|i| i * step)
        .take_while(|&t| (t as f64) <= max)
        .collect();
    let segs = [
        ("seg-w", 0usize),
        ("seg-kv", 1),
        ("seg-cb", 2),
        ("seg-oh", 3),
    ];
    let rows = v.rows.iter().enumerate().map(|(i, r)| {
        let y = TOP + i as f64 * ROW_H;
        let parts = [r.weights.bytes, v.kv.bytes, v.compute.bytes, v.overhead.bytes];
        let mut at = 0u64;
        let rects = segs.iter().map(|(class, k)| {
            let b = parts[*k];
            let rect = html! {
                <rect class={*class} x={format!("{:.1}", x(at))} y={format!("{:.1}", y + 3.0)}
                      width={format!("{:.1}", w(b))} height={format!("{:.1}", ROW_H - 6.0)} />
            };
            at += b;
            rect
        });
        let label_class = if Some(i) == best { "bar-label best" } else { "bar-label" };
        html! {
            <g>
                <title>{ format!("{}: {}", r.label, fmt::bytes(r.total_bytes)) }</title>
                <text class={label_class} x={format!("{:.1}", LABEL_W - 6.0)} y={format!("{:.1}", y + ROW_H / 2.0 + 4.0)}
                      text-anchor="end">{ &r.label }</text>
                { for rects }
            </g>
        }
    });
    let ux = x(usable);
    html! {
        <svg class="plan-chart" viewBox={format!("0 0 {} {:.0}", LABEL_W + BAR_W + 12.0, height)}
             role="img" aria-labelledby="plan-chart-cap" focusable="false">
            { for ticks.iter().map(|&t| html! {
                <g>
                    <line class="tick" x1={format!("{:.1}", x(t))} x2={format!("{:.1}", x(t))}
                          y1={TOP.to_string()} y2={format!("{:.1}", TOP + bars_h)} />
                    <text class="tick-label" x={format!("{:.1}", x(t))} y={format!("{:.1}", TOP + bars_h + 14.0)}
                          text-anchor="middle">{ fmt::bytes(t) }</text>
                </g>
            }) }
            { for rows }
            <line class="usable-line" x1={format!("{ux:.1}")} x2={format!("{ux:.1}")}
                  y1="2" y2={format!("{:.1}", TOP + bars_h + 2.0)} />
            <text class="usable-label" x={format!("{ux:.1}")} y={format!("{:.1}", TOP + bars_h + 30.0)}
                  text-anchor="middle">{ tr.ta("planner-chart-usable", &[("usable", fmt::bytes(usable).into())]) }</text>
        </svg>
    }
}

/// A horizontally scrollable, keyboard-focusable table container (the page itself never
/// scrolls sideways).
fn scroll(label_id: &'static str, table: Html) -> Html {
    html! {
        <div class="table-wrap" role="region" aria-labelledby={label_id} tabindex="0">{ table }</div>
    }
}

#[function_component(FitSection)]
fn fit_section(p: &SectionProps) -> Html {
    let tr = use_tr();
    let v = &*p.view;
    let s = &*p.ctx.state;
    let di = detail_index(s, v);
    let d = &v.rows[di];
    let on_detail = p
        .ctx
        .edit(|s: &mut PlanState, v: String| s.detail = v)
        .reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    let legend = [
        ("seg-w", tr.t("planner-part-weights")),
        ("seg-kv", tr.t("planner-part-kv")),
        ("seg-cb", tr.t("planner-part-compute")),
        ("seg-oh", tr.t("planner-part-overhead")),
    ];
    let part_rows = [
        (
            tr.ta(
                "planner-part-weights-of",
                &[
                    ("preset", d.label.clone().into()),
                    ("bpw", format!("{:.2}", d.bpw).into()),
                ],
            ),
            d.weights.bytes,
            d.weights.formula.clone(),
        ),
        (
            tr.ta("planner-part-kv-of", &[("kv", v.kv_type.clone().into())]),
            v.kv.bytes,
            v.kv.formula.clone(),
        ),
        (
            tr.t("planner-part-compute"),
            v.compute.bytes,
            v.compute.formula.clone(),
        ),
        (
            tr.t("planner-part-overhead"),
            v.overhead.bytes,
            v.overhead.formula.clone(),
        ),
    ];
    html! {
        <section class="panel plan-section" aria-labelledby="plan-fit-h">
            <h2 id="plan-fit-h">{ tr.t("planner-fit-title") }</h2>
            { best_reason(&tr, v) }
            <figure class="plan-figure">
                { chart(&tr, v, v.best) }
                <figcaption id="plan-chart-cap">{ tr.ta("planner-chart-caption", &[
                    ("usable", fmt::bytes(v.device.usable_bytes).into()),
                    ("ctx", v.ctx.to_string().into()),
                ]) }</figcaption>
                <ul class="chart-legend">
                    { for legend.iter().map(|(c, t)| html! {
                        <li><span class={classes!("swatch", *c)} aria-hidden="true"></span>{ t }</li>
                    }) }
                    <li><span class="swatch swatch-line" aria-hidden="true"></span>{ tr.t("planner-legend-usable") }</li>
                </ul>
            </figure>
            { scroll("plan-verdicts-cap", html! {
                <table class="data" data-testid="verdicts">
                    <caption id="plan-verdicts-cap">{ tr.ta("planner-verdicts-caption", &[("ctx", v.ctx.to_string().into())]) }</caption>
                    <thead><tr>
                        <th scope="col">{ tr.t("planner-col-preset") }</th>
                        <th scope="col">{ tr.t("planner-col-bpw") }</th>
                        <th scope="col">{ tr.t("planner-col-weights") }</th>
                        <th scope="col">{ tr.t("planner-col-total") }</th>
                        <th scope="col">{ tr.t("planner-col-verdict") }</th>
                    </tr></thead>
                    <tbody>
                        { for v.rows.iter().enumerate().map(|(i, r)| html! {
                            <tr class={classes!((Some(i) == v.best).then_some("best"))}>
                                <th scope="row">
                                    { &r.label }
                                    if Some(i) == v.best {
                                        <span class="badge">{ tr.t("planner-best-badge") }</span>
                                    }
                                </th>
                                <td class="num">{ format!("{:.2}", r.bpw) }</td>
                                <td class="num">{ fmt::bytes(r.weights.bytes) }</td>
                                <td class="num">{ fmt::bytes(r.total_bytes) }</td>
                                <td><span class={fit_class(r.fit)}>{ fit_text(&tr, r) }</span></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }) }
            <h3 id="plan-breakdown-h">{ tr.t("planner-breakdown-title") }</h3>
            <div class="field">
                <label for="plan-detail">{ tr.t("planner-detail") }</label>
                <select id="plan-detail" onchange={on_detail}>
                    { for v.rows.iter().enumerate().map(|(i, r)| html! {
                        <option value={r.label.clone()} selected={i == di}>{ &r.label }</option>
                    }) }
                </select>
            </div>
            { scroll("plan-breakdown-cap", html! {
                <table class="data formulas" data-testid="breakdown">
                    <caption id="plan-breakdown-cap">{ tr.ta("planner-breakdown-caption", &[("preset", d.label.clone().into())]) }</caption>
                    <thead><tr>
                        <th scope="col">{ tr.t("planner-col-part") }</th>
                        <th scope="col">{ tr.t("planner-col-size") }</th>
                        <th scope="col">{ tr.t("planner-col-formula") }</th>
                    </tr></thead>
                    <tbody>
                        { for part_rows.iter().map(|(name, b, f)| html! {
                            <tr>
                                <th scope="row">{ name }</th>
                                <td class="num">{ fmt::bytes(*b) }</td>
                                <td class="formula" lang="en">{ f }</td>
                            </tr>
                        }) }
                    </tbody>
                    <tfoot>
                        <tr>
                            <th scope="row">{ tr.t("planner-total") }</th>
                            <td class="num">{ fmt::bytes(d.total_bytes) }</td>
                            <td>{ tr.ta("planner-total-of", &[("usable", fmt::bytes(v.device.usable_bytes).into())]) }{ " " }
                                <span lang="en" class="formula">{ format!("({})", v.device.usable_formula) }</span></td>
                        </tr>
                    </tfoot>
                </table>
            }) }
            if v.kv_naive_bytes != v.kv.bytes {
                <p data-testid="kv-naive">{ tr.ta("planner-kv-naive", &[
                    ("naive", fmt::bytes(v.kv_naive_bytes).into()),
                    ("kv", fmt::bytes(v.kv.bytes).into()),
                    ("heads", v.model.heads.to_string().into()),
                    ("kvheads", v.model.kv_heads.to_string().into()),
                ]) }</p>
            }
            if !d.warnings.is_empty() {
                <ul class="plan-warnings" lang="en">
                    { for d.warnings.iter().map(|w| html! { <li>{ w }</li> }) }
                </ul>
            }
        </section>
    }
}

#[function_component(SpeedSection)]
fn speed_section(p: &SectionProps) -> Html {
    let tr = use_tr();
    let v = &*p.view;
    let s = &*p.ctx.state;
    let d = &v.rows[detail_index(s, v)];
    let bound = |memory: bool| {
        if memory {
            tr.t("planner-bound-memory")
        } else {
            tr.t("planner-bound-compute")
        }
    };
    let eff_key = match v.efficiency_source {
        EfficiencySource::Defaults => "planner-eff-defaults",
        EfficiencySource::MeasuredDevice => "planner-eff-measured",
        EfficiencySource::Calibrated => "planner-eff-calibrated",
    };
    let phase_test = |ph: Phase, n: u64| match ph {
        Phase::Prefill => format!("pp{n}"),
        Phase::Decode => format!("tg{n}"),
    };
    html! {
        <section class="panel plan-section" aria-labelledby="plan-speed-h">
            <h2 id="plan-speed-h">{ tr.t("planner-speed-title") }</h2>
            <p>{ tr.ta("planner-speed-scenario", &[
                ("pp", s.pp.clone().into()),
                ("tg", s.tg.clone().into()),
                ("batch", v.batch.to_string().into()),
                ("device", device_name(&tr, v).into()),
                ("bw", fmt::sig3(v.device.bandwidth_gbs).into()),
                ("tflops", fmt::flops(v.device.tflops).into()),
            ]) }</p>
            { scroll("plan-speed-cap", html! {
                <table class="data" data-testid="speeds">
                    <caption id="plan-speed-cap">{ tr.t("planner-speed-caption") }</caption>
                    <thead><tr>
                        <th scope="col">{ tr.t("planner-col-preset") }</th>
                        <th scope="col">{ tr.t("planner-col-prompt") }</th>
                        <th scope="col">{ tr.t("planner-col-decode") }</th>
                        <th scope="col">{ tr.ta("planner-col-decode-ctx", &[("ctx", v.ctx.to_string().into())]) }</th>
                        <th scope="col">{ tr.t("planner-col-bound") }</th>
                        <th scope="col">{ tr.t("planner-col-verdict") }</th>
                    </tr></thead>
                    <tbody>
                        { for v.rows.iter().enumerate().map(|(i, r)| html! {
                            <tr class={classes!((Some(i) == v.best).then_some("best"), (r.fit == Fit::DoesNotFit).then_some("muted"))}>
                                <th scope="row">{ &r.label }</th>
                                <td class="num">{ fmt::tps(r.prefill_tps) }</td>
                                <td class="num">{ fmt::tps(r.decode_tps) }</td>
                                <td class="num">{ r.decode_at_ctx_tps.map(fmt::tps).unwrap_or_default() }</td>
                                <td>{ format!("{} / {}", bound(r.prefill_memory_bound), bound(r.decode_memory_bound)) }</td>
                                <td><span class={fit_class(r.fit)}>{ fit_text(&tr, r) }</span></td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }) }
            <p data-testid="efficiency">{ tr.ta(eff_key, &[
                ("bw", format!("{:.2}", v.efficiency.0).into()),
                ("compute", format!("{:.2}", v.efficiency.1).into()),
            ]) }</p>
            <h3>{ tr.ta("planner-working", &[("preset", d.label.clone().into())]) }</h3>
            <ul class="formula-list" lang="en">
                <li>{ &d.prefill_formula }</li>
                <li>{ &d.decode_formula }</li>
            </ul>
            <h3 id="plan-measured-h">{ tr.t("planner-measured-title") }</h3>
            <Field id="plan-measured" label={tr.t("planner-measured")} value={s.measured.clone()}
                   inputmode="text" error={p.ctx.error_for("plan-measured")}
                   hint={tr.t("planner-measured-hint")}
                   oninput={p.ctx.edit(|s: &mut PlanState, v: String| s.measured = v)} />
            if let Some(c) = &v.calibration {
                <p data-testid="calibration">{ tr.ta("planner-calibration", &[
                    ("bw0", format!("{:.2}", c.before.0).into()),
                    ("c0", format!("{:.2}", c.before.1).into()),
                    ("bw", format!("{:.2}", c.after.0).into()),
                    ("compute", format!("{:.2}", c.after.1).into()),
                    ("before", format!("{:.1}", c.mean_abs_error_before_pct).into()),
                    ("after", format!("{:.1}", c.mean_abs_error_after_pct).into()),
                ]) }</p>
                { scroll("plan-measured-cap", html! {
                    <table class="data" data-testid="measured">
                        <caption id="plan-measured-cap">{ tr.t("planner-measured-caption") }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("planner-col-preset") }</th>
                            <th scope="col">{ tr.t("planner-col-test") }</th>
                            <th scope="col">{ tr.t("planner-col-measured") }</th>
                            <th scope="col">{ tr.t("planner-col-predicted-before") }</th>
                            <th scope="col">{ tr.t("planner-col-error") }</th>
                            <th scope="col">{ tr.t("planner-col-predicted-after") }</th>
                            <th scope="col">{ tr.t("planner-col-error") }</th>
                        </tr></thead>
                        <tbody>
                            { for c.points.iter().map(|pt| html! {
                                <tr>
                                    <th scope="row">{ &pt.preset }</th>
                                    <td>{ phase_test(pt.phase, pt.tokens) }</td>
                                    <td class="num">{ fmt::tps(pt.measured) }</td>
                                    <td class="num">{ fmt::tps(pt.predicted_before) }</td>
                                    <td class="num">{ fmt::pct(pt.error_before_pct) }</td>
                                    <td class="num">{ fmt::tps(pt.predicted_after) }</td>
                                    <td class="num">{ fmt::pct(pt.error_after_pct) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }) }
                if !c.notes.is_empty() {
                    <ul class="plan-warnings" lang="en">
                        { for c.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                    </ul>
                }
            }
        </section>
    }
}

#[function_component(CostSection)]
fn cost_section(p: &SectionProps) -> Html {
    let tr = use_tr();
    let v = &*p.view;
    let ctx = &p.ctx;
    let s = &*ctx.state;
    let d = &v.rows[detail_index(s, v)];
    let price_hint = match v.device.usd_per_hour {
        Some(x) => tr.ta(
            "planner-usd-hint-listed",
            &[
                ("price", fmt::usd(x).into()),
                (
                    "note",
                    v.device.price_note.clone().unwrap_or_default().into(),
                ),
            ],
        ),
        None => tr.t("planner-usd-hint"),
    };
    let any_cost = v.rows.iter().any(|r| r.cost.is_some());
    let base = v.rows.first().map(|r| r.label.clone()).unwrap_or_default();
    html! {
        <section class="panel plan-section" aria-labelledby="plan-cost-h">
            <h2 id="plan-cost-h">{ tr.t("planner-cost-title") }</h2>
            <div class="plan-fields">
                <Field id="plan-usd" label={tr.t("planner-usd")} value={s.usd.clone()} inputmode="decimal"
                       error={ctx.error_for("plan-usd")} hint={price_hint}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.usd = v)} />
                <Field id="plan-util" label={tr.t("planner-util")} value={s.util.clone()} inputmode="decimal"
                       error={ctx.error_for("plan-util")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.util = v)} />
                <Field id="plan-api-in" label={tr.t("planner-api-in")} value={s.api_in.clone()} inputmode="decimal"
                       error={ctx.error_for("plan-api-in")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.api_in = v)} />
                <Field id="plan-api-out" label={tr.t("planner-api-out")} value={s.api_out.clone()} inputmode="decimal"
                       error={ctx.error_for("plan-api-out")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.api_out = v)} />
            </div>
            if !any_cost {
                <p class="status-line" data-testid="cost-none">{ tr.t("planner-cost-none") }</p>
            } else {
                if let Some(c) = &d.cost {
                    <div class="plan-best" data-testid="cost-summary">
                        <p>{ tr.ta("planner-cost-summary", &[
                            ("preset", d.label.clone().into()),
                            ("cost", fmt::usd(c.per_m_blended).into()),
                            ("util", format!("{:.0}", s.util.trim().parse::<f64>().unwrap_or(50.0)).into()),
                            ("monthly", fmt::usd(c.monthly).into()),
                            ("capacity", fmt::millions(c.capacity_tokens_per_month).into()),
                        ]) }</p>
                        if let (Some(api), Some(be)) = (c.api_blended, c.break_even_tokens_per_month) {
                            <p>{ tr.ta(
                                if c.break_even_within_capacity == Some(true) { "planner-break-even" } else { "planner-break-even-over" },
                                &[
                                    ("api", fmt::usd(api).into()),
                                    ("tokens", fmt::millions(be).into()),
                                    ("capacity", fmt::millions(c.capacity_tokens_per_month).into()),
                                ],
                            ) }</p>
                        } else {
                            <p>{ tr.t("planner-api-hint") }</p>
                        }
                    </div>
                }
                { scroll("plan-cost-cap", html! {
                    <table class="data" data-testid="costs">
                        <caption id="plan-cost-cap">{ tr.t("planner-cost-caption") }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("planner-col-preset") }</th>
                            <th scope="col">{ tr.t("planner-col-per-m") }</th>
                            <th scope="col">{ tr.t("planner-col-per-m-in") }</th>
                            <th scope="col">{ tr.t("planner-col-per-m-out") }</th>
                            <th scope="col">{ tr.ta("planner-col-saving", &[("base", base.into())]) }</th>
                            <th scope="col">{ tr.t("planner-col-break-even") }</th>
                        </tr></thead>
                        <tbody>
                            { for v.rows.iter().enumerate().filter_map(|(i, r)| r.cost.as_ref().map(|c| html! {
                                <tr class={classes!((Some(i) == v.best).then_some("best"), (r.fit == Fit::DoesNotFit).then_some("muted"))}>
                                    <th scope="row">{ &r.label }</th>
                                    <td class="num">{ fmt::usd(c.per_m_blended) }</td>
                                    <td class="num">{ fmt::usd(c.per_m_input) }</td>
                                    <td class="num">{ fmt::usd(c.per_m_output) }</td>
                                    <td class="num">{ c.saving_pct.map(|x| format!("{x:.0} %")).unwrap_or_default() }</td>
                                    <td class="num">{ c.break_even_tokens_per_month.map(fmt::millions).unwrap_or_default() }</td>
                                </tr>
                            })) }
                        </tbody>
                    </table>
                }) }
                if let Some(c) = &d.cost {
                    <h3>{ tr.ta("planner-working", &[("preset", d.label.clone().into())]) }</h3>
                    <ul class="formula-list" lang="en">
                        { for c.formulas.iter().map(|f| html! { <li>{ f }</li> }) }
                    </ul>
                }
            }
        </section>
    }
}
