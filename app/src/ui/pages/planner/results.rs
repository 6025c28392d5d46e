//! The planner's answers: fit (chart, verdicts, breakdown with formulas), speed (roofline per
//! phase, measured runs beside it) and cost (per 1M tokens, break-even, savings).
//!
//! Read-only blocks are written with `Raw`. The engine writes its formulas, notes and warnings
//! in English; they are marked `lang="en"` so screen readers read them right inside an Arabic or
//! Spanish page.

use bitsmith_engine::plan::{Fit, Phase};
use yew::prelude::*;

use super::fmt::L as Tr;
use super::inputs::text_field;
use super::raw::Raw;
use super::{Ctx, fmt};
use crate::protocol::plan::{COST_FIELDS, EfficiencySource, PlanForm, PlanView, PresetRow};

/// A table cell.
enum Cell {
    Num(String),
    Text(String),
    /// Engine-written English (formulas).
    En(String),
    Verdict(Fit, String),
}

/// A table row: its header cell (with an optional badge) and its cells.
struct Row {
    class: &'static str,
    head: String,
    badge: Option<String>,
    cells: Vec<Cell>,
}

fn row(head: String, cells: Vec<Cell>) -> Row {
    Row {
        class: "",
        head,
        badge: None,
        cells,
    }
}

fn write_row(h: &mut Raw, r: Row) {
    if r.class.is_empty() {
        h.open("tr");
    } else {
        h.open(&format!(r#"tr class="{}""#, r.class));
    }
    h.open(r#"th scope="row""#).text(&r.head);
    if let Some(b) = r.badge {
        h.el(r#"span class="badge""#, &b);
    }
    h.close("th");
    for c in r.cells {
        match c {
            Cell::Num(s) => h.el(r#"td class="num""#, &s),
            Cell::Text(s) => h.el("td", &s),
            Cell::En(s) => h.el(r#"td class="formula" lang="en" dir="ltr""#, &s),
            Cell::Verdict(f, s) => h
                .open("td")
                .el(&format!(r#"span class="{}""#, fit_class(f)), &s)
                .close("td"),
        };
    }
    h.close("tr");
}

/// A captioned data table in a keyboard-focusable region that scrolls sideways on its own (the
/// page never does).
fn table(h: &mut Raw, id: &str, caption: &str, head: &[String], rows: Vec<Row>, foot: Option<Row>) {
    h.open(&format!(
        r#"div class="table-wrap" role="region" aria-labelledby="plan-{id}-cap" tabindex="0""#
    ))
    .open(&format!(r#"table class="data" data-testid="{id}""#))
    .el(&format!(r#"caption id="plan-{id}-cap""#), caption)
    .open("thead")
    .open("tr");
    for c in head {
        h.el(r#"th scope="col""#, c);
    }
    h.close("tr").close("thead").open("tbody");
    for r in rows {
        write_row(h, r);
    }
    h.close("tbody");
    if let Some(f) = foot {
        h.open("tfoot");
        write_row(h, f);
        h.close("tfoot");
    }
    h.close("table").close("div");
}

fn list(h: &mut Raw, class: &str, items: &[String]) {
    h.open(&format!(r#"ul class="{class}" lang="en" dir="ltr""#));
    for i in items {
        h.el("li", i);
    }
    h.close("ul");
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
            &[("max", &r.max_context.to_string())],
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

/// A row of a per-preset table: the recommended one marked, the ones that do not fit muted.
fn preset_row(v: &PlanView, i: usize, cells: Vec<Cell>) -> Row {
    let class = match (Some(i) == v.best, v.rows[i].fit == Fit::DoesNotFit) {
        (true, _) => "best",
        (false, true) => "muted",
        _ => "",
    };
    Row {
        class,
        ..row(v.rows[i].label.clone(), cells)
    }
}

/// The one-line answer, announced when it changes.
fn summary(tr: &Tr, v: &PlanView) -> String {
    let (model, device, ctx) = (model_name(tr, v), device_name(tr, v), v.ctx.to_string());
    match v.best.map(|i| &v.rows[i]) {
        Some(r) if r.fit == Fit::Fits => tr.ta(
            "planner-summary-fits",
            &[
                ("model", &model),
                ("device", &device),
                ("ctx", &ctx),
                ("preset", &r.label),
                ("needed", &fmt::bytes(r.total_bytes)),
                ("usable", &fmt::bytes(v.device.usable_bytes)),
            ],
        ),
        Some(r) => tr.ta(
            "planner-summary-shorter",
            &[
                ("model", &model),
                ("device", &device),
                ("ctx", &ctx),
                ("preset", &r.label),
                ("max", &r.max_context.to_string()),
            ],
        ),
        None => tr.ta(
            "planner-summary-none",
            &[("model", &model), ("device", &device)],
        ),
    }
}

/// Why the recommended preset is the one.
fn best_reason(h: &mut Raw, tr: &Tr, v: &PlanView) {
    let usable = fmt::bytes(v.device.usable_bytes);
    let Some(bi) = v.best else {
        let text = v
            .rows
            .iter()
            .min_by_key(|r| r.weights.bytes)
            .map(|r| {
                tr.ta(
                    "planner-best-none",
                    &[
                        ("preset", &r.label),
                        ("weights", &fmt::bytes(r.weights.bytes)),
                        ("usable", &usable),
                    ],
                )
            })
            .unwrap_or_default();
        h.el(
            r#"p class="plan-best plan-best-none" data-testid="best""#,
            &text,
        );
        return;
    };
    let r = &v.rows[bi];
    let fits = r.fit == Fit::Fits;
    let main = if fits {
        tr.ta(
            "planner-best-fits",
            &[
                ("preset", &r.label),
                ("ctx", &v.ctx.to_string()),
                ("needed", &fmt::bytes(r.total_bytes)),
                ("usable", &usable),
                (
                    "spare",
                    &fmt::bytes(v.device.usable_bytes.saturating_sub(r.total_bytes)),
                ),
            ],
        )
    } else {
        tr.ta(
            "planner-best-shorter",
            &[
                ("preset", &r.label),
                ("ctx", &v.ctx.to_string()),
                ("max", &r.max_context.to_string()),
            ],
        )
    };
    h.open(r#"div class="plan-best" data-testid="best""#)
        .open("p")
        .el(
            "strong",
            &format!("{} {}", tr.t("planner-best-label"), r.label),
        )
        .text(" — ")
        .text(&main)
        .close("p");
    let better: Vec<&str> = v.rows[..bi].iter().map(|r| r.label.as_str()).collect();
    if fits && !better.is_empty() {
        h.el(
            "p",
            &tr.ta("planner-best-better", &[("list", &better.join(", "))]),
        );
    }
    if let Some(d) = r.ppl_delta {
        h.el(
            "p",
            &tr.ta("planner-best-ppl", &[("delta", &format!("{d:+.4}"))]),
        );
    }
    h.close("div");
}

pub fn results(ctx: &Ctx, tr: &Tr, error: Option<&str>, stale: bool) -> Html {
    let v = ctx.view.as_deref();
    let status = v.map(|v| summary(tr, v)).unwrap_or_default();
    let body = match v {
        Some(v) => {
            let mut a = Raw::default();
            if !v.assumptions.is_empty() {
                a.open(r#"details class="panel plan-assumptions""#)
                    .el("summary", &tr.t("planner-assumptions"));
                list(&mut a, "", &v.assumptions);
                a.close("details");
            }
            html! {
                <>
                    { fit_section(tr, ctx, v) }
                    { speed_section(tr, ctx, v) }
                    { cost_section(tr, ctx, v) }
                    { a.html() }
                </>
            }
        }
        None if error.is_none() => {
            html! { <p class="status-line">{ tr.t("planner-computing") }</p> }
        }
        None => html! {},
    };
    html! {
        <div class={classes!("plan-results", stale.then_some("stale"))}>
            <p role="status" class="plan-summary" data-testid="plan-summary">{ status }</p>
            if let Some(e) = error {
                <p class="notice notice-error plan-error" role="alert" data-testid="plan-error">
                    { tr.t("planner-error") }{ " " }<bdi lang="en">{ e }</bdi>
                </p>
            }
            { body }
        </div>
    }
}

/// The row whose details are shown: the one picked, else the recommended one.
fn detail_index(f: &PlanForm, v: &PlanView) -> usize {
    v.rows
        .iter()
        .position(|r| r.label == f.detail)
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

const SEGMENTS: [&str; 4] = ["seg-w", "seg-kv", "seg-cb", "seg-oh"];

/// Stacked horizontal bars, one per preset, with the usable-memory line. The verdict table
/// after it carries the same numbers.
fn chart(h: &mut Raw, tr: &Tr, v: &PlanView) {
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
    let bars_h = v.rows.len() as f64 * ROW_H;
    h.open(&format!(
        r#"svg class="plan-chart" viewBox="0 0 {} {:.0}" role="img" aria-labelledby="plan-chart-cap" focusable="false""#,
        LABEL_W + BAR_W + 12.0,
        TOP + bars_h + 34.0
    ));
    let step = tick_step(max);
    for t in (0..).map(|i| i * step).take_while(|&t| (t as f64) <= max) {
        let tx = x(t);
        h.open(&format!(
            r#"line class="tick" x1="{tx:.1}" x2="{tx:.1}" y1="{TOP}" y2="{:.1}""#,
            TOP + bars_h
        ))
        .close("line")
        .el(
            &format!(
                r#"text class="tick-label" x="{tx:.1}" y="{:.1}" text-anchor="middle""#,
                TOP + bars_h + 14.0
            ),
            &fmt::bytes(t),
        );
    }
    let fixed = [v.kv.bytes, v.compute.bytes, v.overhead.bytes];
    for (i, r) in v.rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW_H;
        h.open("g")
            .el(
                "title",
                &format!("{}: {}", r.label, fmt::bytes(r.total_bytes)),
            )
            .el(
                &format!(
                    r#"text class="bar-label{}" x="{:.1}" y="{:.1}" text-anchor="end""#,
                    if Some(i) == v.best { " best" } else { "" },
                    LABEL_W - 6.0,
                    y + ROW_H / 2.0 + 4.0
                ),
                &r.label,
            );
        let mut at = 0u64;
        for (b, class) in std::iter::once(r.weights.bytes).chain(fixed).zip(SEGMENTS) {
            let rx = x(at);
            at += b;
            h.open(&format!(
                r#"rect class="{class}" x="{rx:.1}" y="{:.1}" width="{:.1}" height="{:.1}""#,
                y + 3.0,
                x(at) - rx,
                ROW_H - 6.0
            ))
            .close("rect");
        }
        h.close("g");
    }
    let ux = x(usable);
    // The label hangs off the line towards the middle of the chart, so it never leaves it.
    let anchor = if ux > LABEL_W + BAR_W / 2.0 {
        "end"
    } else {
        "start"
    };
    h.open(&format!(
        r#"line class="usable-line" x1="{ux:.1}" x2="{ux:.1}" y1="2" y2="{:.1}""#,
        TOP + bars_h + 2.0
    ))
    .close("line")
    .el(
        &format!(
            r#"text class="usable-label" x="{ux:.1}" y="{:.1}" text-anchor="{anchor}""#,
            TOP + bars_h + 30.0
        ),
        &tr.ta("planner-chart-usable", &[("usable", &fmt::bytes(usable))]),
    )
    .close("svg");
}

fn section(id: &'static str, title: String, body: Html) -> Html {
    let h = format!("{id}-h");
    html! {
        <section class="panel plan-section" aria-labelledby={h.clone()}>
            <h2 id={h}>{ title }</h2>
            { body }
        </section>
    }
}

fn fit_section(tr: &Tr, ctx: &Ctx, v: &PlanView) -> Html {
    let di = detail_index(&ctx.form, v);
    let d = &v.rows[di];
    let usable = fmt::bytes(v.device.usable_bytes);

    let mut a = Raw::default();
    best_reason(&mut a, tr, v);
    a.open(r#"figure class="plan-figure""#);
    chart(&mut a, tr, v);
    a.el(
        r#"figcaption id="plan-chart-cap""#,
        &tr.ta(
            "planner-chart-caption",
            &[("usable", &usable), ("ctx", &v.ctx.to_string())],
        ),
    )
    .open(r#"ul class="chart-legend""#);
    let legend = [
        ("swatch seg-w", tr.t("planner-part-weights")),
        ("swatch seg-kv", tr.t("planner-part-kv")),
        ("swatch seg-cb", tr.t("planner-part-compute")),
        ("swatch seg-oh", tr.t("planner-part-overhead")),
        ("swatch swatch-line", tr.t("planner-legend-usable")),
    ];
    for (class, t) in legend {
        a.open("li")
            .open(&format!(r#"span class="{class}""#))
            .close("span")
            .text(&t)
            .close("li");
    }
    a.close("ul").close("figure");
    let verdicts = v
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| Row {
            badge: (Some(i) == v.best).then(|| tr.t("planner-best-badge")),
            ..preset_row(
                v,
                i,
                vec![
                    Cell::Num(format!("{:.2}", r.bpw)),
                    Cell::Num(fmt::bytes(r.weights.bytes)),
                    Cell::Num(fmt::bytes(r.total_bytes)),
                    Cell::Verdict(r.fit, fit_text(tr, r)),
                ],
            )
        })
        .collect();
    table(
        &mut a,
        "verdicts",
        &tr.ta("planner-verdicts-caption", &[("ctx", &v.ctx.to_string())]),
        &[
            tr.t("planner-col-preset"),
            tr.t("planner-col-bpw"),
            tr.t("planner-col-weights"),
            tr.t("planner-col-total"),
            tr.t("planner-col-verdict"),
        ],
        verdicts,
        None,
    );
    a.el("h3", &tr.t("planner-breakdown-title"));

    let mut b = Raw::default();
    let parts = [
        (
            tr.ta(
                "planner-part-weights-of",
                &[("preset", &d.label), ("bpw", &format!("{:.2}", d.bpw))],
            ),
            &d.weights,
        ),
        (tr.ta("planner-part-kv-of", &[("kv", &v.kv_type)]), &v.kv),
        (tr.t("planner-part-compute"), &v.compute),
        (tr.t("planner-part-overhead"), &v.overhead),
    ]
    .into_iter()
    .map(|(name, p)| {
        row(
            name,
            vec![Cell::Num(fmt::bytes(p.bytes)), Cell::En(p.formula.clone())],
        )
    })
    .collect();
    let total = row(
        tr.t("planner-total"),
        vec![
            Cell::Num(fmt::bytes(d.total_bytes)),
            Cell::Text(format!(
                "{} ({})",
                tr.ta("planner-total-of", &[("usable", &usable)]),
                v.device.usable_formula
            )),
        ],
    );
    table(
        &mut b,
        "breakdown",
        &tr.ta("planner-breakdown-caption", &[("preset", &d.label)]),
        &[
            tr.t("planner-col-part"),
            tr.t("planner-col-size"),
            tr.t("planner-col-formula"),
        ],
        parts,
        Some(total),
    );
    if v.kv_naive_bytes != v.kv.bytes {
        b.el(
            r#"p data-testid="kv-naive""#,
            &tr.ta(
                "planner-kv-naive",
                &[
                    ("naive", &fmt::bytes(v.kv_naive_bytes)),
                    ("kv", &fmt::bytes(v.kv.bytes)),
                    ("heads", &v.model.heads.to_string()),
                    ("kvheads", &v.model.kv_heads.to_string()),
                ],
            ),
        );
    }
    if !d.warnings.is_empty() {
        list(&mut b, "plan-warnings", &d.warnings);
    }

    let on_detail = ctx
        .edit(|f: &mut PlanForm, s: String| f.detail = s)
        .reform(|e: Event| {
            e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
        });
    let body = html! {
        <>
            { a.html() }
            <div class="field">
                <label for="plan-detail">{ tr.t("planner-detail") }</label>
                <select id="plan-detail" onchange={on_detail}>
                    { for v.rows.iter().enumerate().map(|(i, r)| html! {
                        <option selected={i == di} value={r.label.clone()}>{ &r.label }</option>
                    }) }
                </select>
            </div>
            { b.html() }
        </>
    };
    section("plan-fit", tr.t("planner-fit-title"), body)
}

fn speed_section(tr: &Tr, ctx: &Ctx, v: &PlanView) -> Html {
    let f = &*ctx.form;
    let d = &v.rows[detail_index(f, v)];
    let bound = |memory: bool| {
        tr.t(if memory {
            "planner-bound-memory"
        } else {
            "planner-bound-compute"
        })
    };
    let eff_key = match v.efficiency_source {
        EfficiencySource::Defaults => "planner-eff-defaults",
        EfficiencySource::MeasuredDevice => "planner-eff-measured",
        EfficiencySource::Calibrated => "planner-eff-calibrated",
    };
    let mut a = Raw::default();
    a.el(
        "p",
        &tr.ta(
            "planner-speed-scenario",
            &[
                ("pp", f.text("plan-pp")),
                ("tg", f.text("plan-tg")),
                ("batch", &v.batch.to_string()),
                ("device", &device_name(tr, v)),
                ("bw", &fmt::sig3(v.device.bandwidth_gbs)),
                ("tflops", &fmt::flops(v.device.tflops)),
            ],
        ),
    );
    let speeds = v
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            preset_row(
                v,
                i,
                vec![
                    Cell::Num(fmt::tps(r.prefill_tps)),
                    Cell::Num(fmt::tps(r.decode_tps)),
                    Cell::Num(r.decode_at_ctx_tps.map(fmt::tps).unwrap_or_default()),
                    Cell::Text(format!(
                        "{} / {}",
                        bound(r.prefill_memory_bound),
                        bound(r.decode_memory_bound)
                    )),
                    Cell::Verdict(r.fit, fit_text(tr, r)),
                ],
            )
        })
        .collect();
    table(
        &mut a,
        "speeds",
        &tr.t("planner-speed-caption"),
        &[
            tr.t("planner-col-preset"),
            tr.t("planner-col-prompt"),
            tr.t("planner-col-decode"),
            tr.ta("planner-col-decode-ctx", &[("ctx", &v.ctx.to_string())]),
            tr.t("planner-col-bound"),
            tr.t("planner-col-verdict"),
        ],
        speeds,
        None,
    );
    a.el(
        r#"p data-testid="efficiency""#,
        &tr.ta(
            eff_key,
            &[
                ("bw", &format!("{:.2}", v.efficiency.0)),
                ("compute", &format!("{:.2}", v.efficiency.1)),
            ],
        ),
    )
    .el("h3", &tr.ta("planner-working", &[("preset", &d.label)]));
    list(
        &mut a,
        "formula-list",
        &[d.prefill_formula.clone(), d.decode_formula.clone()],
    );
    a.el("h3", &tr.t("planner-measured-title"));

    let mut b = Raw::default();
    if let Some(c) = &v.calibration {
        let f2 = |x: f64| format!("{x:.2}");
        b.el(
            r#"p data-testid="calibration""#,
            &tr.ta(
                "planner-calibration",
                &[
                    ("bw0", &f2(c.before.0)),
                    ("c0", &f2(c.before.1)),
                    ("bw", &f2(c.after.0)),
                    ("compute", &f2(c.after.1)),
                    ("before", &format!("{:.1}", c.mean_abs_error_before_pct)),
                    ("after", &format!("{:.1}", c.mean_abs_error_after_pct)),
                ],
            ),
        );
        let rows = c
            .points
            .iter()
            .map(|pt| {
                let test = match pt.phase {
                    Phase::Prefill => format!("pp{}", pt.tokens),
                    Phase::Decode => format!("tg{}", pt.tokens),
                };
                row(
                    pt.preset.clone(),
                    vec![
                        Cell::Text(test),
                        Cell::Num(fmt::tps(pt.measured)),
                        Cell::Num(fmt::tps(pt.predicted_before)),
                        Cell::Num(fmt::pct(pt.error_before_pct)),
                        Cell::Num(fmt::tps(pt.predicted_after)),
                        Cell::Num(fmt::pct(pt.error_after_pct)),
                    ],
                )
            })
            .collect();
        table(
            &mut b,
            "measured",
            &tr.t("planner-measured-caption"),
            &[
                tr.t("planner-col-preset"),
                tr.t("planner-col-test"),
                tr.t("planner-col-measured"),
                tr.t("planner-col-predicted-before"),
                tr.t("planner-col-error"),
                tr.t("planner-col-predicted-after"),
                tr.t("planner-col-error"),
            ],
            rows,
            None,
        );
        if !c.notes.is_empty() {
            list(&mut b, "plan-notes", &c.notes);
        }
    }
    let body = html! {
        <>
            { a.html() }
            { text_field(ctx, tr, "plan-measured", Some(tr.t("planner-measured-hint"))) }
            { b.html() }
        </>
    };
    section("plan-speed", tr.t("planner-speed-title"), body)
}

fn cost_section(tr: &Tr, ctx: &Ctx, v: &PlanView) -> Html {
    let f = &*ctx.form;
    let d = &v.rows[detail_index(f, v)];
    let price_hint = match v.device.usd_per_hour {
        Some(x) => tr.ta(
            "planner-usd-hint-listed",
            &[
                ("price", &fmt::usd(x)),
                ("note", &v.device.price_note.clone().unwrap_or_default()),
            ],
        ),
        None => tr.t("planner-usd-hint"),
    };
    let mut a = Raw::default();
    match &d.cost {
        None => {
            a.el(
                r#"p class="status-line" data-testid="cost-none""#,
                &tr.t("planner-cost-none"),
            );
        }
        Some(c) => {
            let capacity = fmt::millions(c.capacity_tokens_per_month);
            let break_even = match (c.api_blended, c.break_even_tokens_per_month) {
                (Some(api), Some(be)) => tr.ta(
                    if c.break_even_within_capacity == Some(true) {
                        "planner-break-even"
                    } else {
                        "planner-break-even-over"
                    },
                    &[
                        ("api", &fmt::usd(api)),
                        ("tokens", &fmt::millions(be)),
                        ("capacity", &capacity),
                    ],
                ),
                _ => tr.t("planner-api-hint"),
            };
            a.open(r#"div class="plan-best" data-testid="cost-summary""#)
                .el(
                    "p",
                    &tr.ta(
                        "planner-cost-summary",
                        &[
                            ("preset", &d.label),
                            ("cost", &fmt::usd(c.per_m_blended)),
                            ("util", f.text("plan-util").trim()),
                            ("monthly", &fmt::usd(c.monthly)),
                            ("capacity", &capacity),
                        ],
                    ),
                )
                .el("p", &break_even)
                .close("div");
            let rows = v
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let c = r.cost.as_ref()?;
                    Some(preset_row(
                        v,
                        i,
                        vec![
                            Cell::Num(fmt::usd(c.per_m_blended)),
                            Cell::Num(fmt::usd(c.per_m_input)),
                            Cell::Num(fmt::usd(c.per_m_output)),
                            Cell::Num(
                                c.saving_pct
                                    .map(|x| format!("{x:.0} %"))
                                    .unwrap_or_default(),
                            ),
                            Cell::Num(
                                c.break_even_tokens_per_month
                                    .map(fmt::millions)
                                    .unwrap_or_default(),
                            ),
                        ],
                    ))
                })
                .collect();
            let base = v.rows.first().map(|r| r.label.clone()).unwrap_or_default();
            table(
                &mut a,
                "costs",
                &tr.t("planner-cost-caption"),
                &[
                    tr.t("planner-col-preset"),
                    tr.t("planner-col-per-m"),
                    tr.t("planner-col-per-m-in"),
                    tr.t("planner-col-per-m-out"),
                    tr.ta("planner-col-saving", &[("base", &base)]),
                    tr.t("planner-col-break-even"),
                ],
                rows,
                None,
            );
            a.el("h3", &tr.ta("planner-working", &[("preset", &d.label)]));
            list(&mut a, "formula-list", &c.formulas);
        }
    }
    let body = html! {
        <>
            <div class="plan-fields">
                { for COST_FIELDS.iter().map(|&(id, _)| text_field(ctx, tr, id,
                    (id == "plan-usd").then(|| price_hint.clone()))) }
            </div>
            { a.html() }
        </>
    };
    section("plan-cost", tr.t("planner-cost-title"), body)
}
