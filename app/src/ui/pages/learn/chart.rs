//! Small SVG charts for the lessons and the progress page. Every chart is a `<figure>` with a
//! caption, an SVG with a text alternative, and the same numbers as a data table (WCAG 1.1.1:
//! the table is the chart's full equivalent). Colours come from CSS classes (`.series-N`), so
//! charts follow the theme and the CSP needs no inline styles.

use yew::prelude::*;

use crate::ui::Tr;

/// Chart area in SVG user units; the SVG scales to its container.
const W: f64 = 520.0;
const H: f64 = 250.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 40.0;

/// Formats a number with about `sig` significant digits, without exponent noise for the
/// ranges the widgets show.
pub fn fmt(x: f64, sig: usize) -> String {
    if !x.is_finite() {
        return if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{x:.prec$e}", prec = sig.saturating_sub(1));
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// `fmt` without trailing zeros ("0.500" → "0.5", "10.0" → "10"), for axis ticks and values
/// whose precision is shown elsewhere.
pub fn fmt_short(x: f64, sig: usize) -> String {
    let s = fmt(x, sig);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Tick positions: about `n` round numbers covering [lo, hi].
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || !lo.is_finite()
        || !hi.is_finite()
    {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p);
    let mut t = (lo / step).ceil() * step;
    let mut out = vec![];
    while t <= hi + step * 1e-9 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// A table of the chart's numbers, collapsed under a "data table" disclosure.
#[derive(Clone, Default)]
pub struct TableProps {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn data_table(tr: &Tr, p: &TableProps) -> Html {
    html! {
        <details class="data-table">
            <summary>{ tr.t("chart-data-table") }</summary>
            <div class="table-scroll" tabindex="0" role="region" aria-label={tr.t("chart-data-table")}>
                <table>
                    <thead><tr>{ for p.headers.iter().map(|h| html! { <th scope="col">{ h }</th> }) }</tr></thead>
                    <tbody>{ for p.rows.iter().map(|r| html! {
                        <tr>{ for r.iter().enumerate().map(|(i, c)| if i == 0 {
                            html! { <th scope="row">{ c }</th> }
                        } else {
                            html! { <td>{ c }</td> }
                        }) }</tr>
                    }) }</tbody>
                </table>
            </div>
        </details>
    }
}

#[derive(Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Draw markers at the points (for sparse series).
    pub markers: bool,
}

#[derive(Default)]
pub struct LineProps {
    pub caption: String,
    /// Short description of what the chart shows (the SVG's accessible name).
    pub alt: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub table: TableProps,
    /// Vertical marker lines (e.g. spikes), in x units.
    pub marks: Vec<f64>,
}

fn extent(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    vals.filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
}

fn axes(
    xt: &[f64],
    yt: &[f64],
    sx: &dyn Fn(f64) -> f64,
    sy: &dyn Fn(f64) -> f64,
    xl: &str,
    yl: &str,
) -> Html {
    html! {
        <g class="axes">
            { for yt.iter().map(|&t| html! {
                <g>
                    <line class="grid" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={sy(t).to_string()} y2={sy(t).to_string()} />
                    <text class="tick" x={(PAD_L - 6.0).to_string()} y={(sy(t) + 4.0).to_string()} text-anchor="end">{ fmt_short(t, 3) }</text>
                </g>
            }) }
            { for xt.iter().map(|&t| html! {
                <text class="tick" x={sx(t).to_string()} y={(H - PAD_B + 16.0).to_string()} text-anchor="middle">{ fmt_short(t, 3) }</text>
            }) }
            <line class="axis" x1={PAD_L.to_string()} x2={(W - PAD_R).to_string()} y1={(H - PAD_B).to_string()} y2={(H - PAD_B).to_string()} />
            <line class="axis" x1={PAD_L.to_string()} x2={PAD_L.to_string()} y1={PAD_T.to_string()} y2={(H - PAD_B).to_string()} />
            <text class="label" x={((PAD_L + W - PAD_R) / 2.0).to_string()} y={(H - 4.0).to_string()} text-anchor="middle">{ xl }</text>
            <text class="label" x="12" y={((PAD_T + H - PAD_B) / 2.0).to_string()} text-anchor="middle"
                  transform={format!("rotate(-90 12 {})", (PAD_T + H - PAD_B) / 2.0)}>{ yl }</text>
        </g>
    }
}

fn legend(names: &[String]) -> Html {
    if names.len() < 2 {
        return html! {};
    }
    html! {
        <ul class="legend" aria-hidden="true">
            { for names.iter().enumerate().map(|(i, n)| html! {
                <li><span class={format!("swatch series-{}", i % 4)}></span>{ n }</li>
            }) }
        </ul>
    }
}

/// A line chart; its y axis always includes 0 (errors, sizes and potentials start there).
pub fn line_chart(tr: &Tr, p: LineProps) -> Html {
    let (x0, x1) = extent(p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)));
    let (mut y0, mut y1) = extent(p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)));
    y0 = y0.min(0.0);
    y1 = y1.max(0.0);
    if y1.partial_cmp(&y0) != Some(std::cmp::Ordering::Greater) {
        y1 = y0 + 1.0;
    }
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let sx = move |x: f64| PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R);
    let sy = move |y: f64| H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B);
    let names: Vec<String> = p.series.iter().map(|s| s.name.clone()).collect();
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-label={p.alt.clone()} focusable="false">
                { axes(&ticks(x0, x1, 6), &ticks(y0, y1, 4), &sx, &sy, &p.x_label, &p.y_label) }
                { for p.marks.iter().map(|&m| html! {
                    <line class="mark" x1={sx(m).to_string()} x2={sx(m).to_string()} y1={PAD_T.to_string()} y2={(H - PAD_B).to_string()} />
                }) }
                { for p.series.iter().enumerate().map(|(i, s)| {
                    let pts: Vec<String> = s.points.iter().filter(|q| q.1.is_finite())
                        .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect();
                    html! {
                        <g class={format!("series series-{}", i % 4)}>
                            <polyline points={pts.join(" ")} />
                            if s.markers {
                                { for s.points.iter().filter(|q| q.1.is_finite()).map(|&(x, y)| html! {
                                    <circle cx={format!("{:.1}", sx(x))} cy={format!("{:.1}", sy(y))} r="4" />
                                }) }
                            }
                        </g>
                    }
                }) }
            </svg>
            { legend(&names) }
            <figcaption>{ &p.caption }</figcaption>
            { data_table(tr, &p.table) }
        </figure>
    }
}

#[derive(Clone)]
pub struct Bar {
    pub label: String,
    /// One value per series.
    pub values: Vec<f64>,
}

#[derive(Default)]
pub struct BarProps {
    pub caption: String,
    pub alt: String,
    pub series: Vec<String>,
    pub bars: Vec<Bar>,
    pub table: TableProps,
    /// Axis maximum (default: the largest value).
    pub max: Option<f64>,
    /// Text after each bar (default: the first value).
    pub notes: Vec<String>,
}

/// Horizontal bars, one row per label (long labels read well and it fits narrow screens).
pub fn bar_chart(tr: &Tr, p: BarProps) -> Html {
    // Each row: its label on a line of its own (long skill names stay whole), then the bars.
    let label_h = 18.0;
    let row_h = label_h + 24.0 * p.series.len().max(1) as f64 + 10.0;
    let note_w = 64.0;
    let h = row_h * p.bars.len() as f64;
    let max = p
        .max
        .unwrap_or_else(|| extent(p.bars.iter().flat_map(|b| b.values.iter().copied())).1)
        .max(f64::MIN_POSITIVE);
    let span = W - note_w;
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {W} {h}")} role="img" aria-label={p.alt.clone()} focusable="false">
                { for p.bars.iter().enumerate().map(|(i, b)| {
                    let y = i as f64 * row_h;
                    let note = p.notes.get(i).cloned().unwrap_or_else(|| fmt(b.values.first().copied().unwrap_or(0.0), 3));
                    html! {
                        <g>
                            <text class="label" x="0" y={(y + 14.0).to_string()}>{ &b.label }</text>
                            <rect class="track" x="0" y={(y + label_h + 2.0).to_string()} width={span.to_string()} height={(24.0 * b.values.len().max(1) as f64 - 4.0).to_string()} />
                            { for b.values.iter().enumerate().map(|(k, &v)| html! {
                                <rect class={format!("series-{}", k % 4)} x="0" y={(y + label_h + 2.0 + k as f64 * 24.0).to_string()}
                                      width={format!("{:.1}", (v.max(0.0) / max).min(1.0) * span)} height="20" />
                            }) }
                            <text class="tick" x={(span + 8.0).to_string()} y={(y + label_h + 17.0).to_string()}>{ note }</text>
                        </g>
                    }
                }) }
            </svg>
            { legend(&p.series) }
            <figcaption>{ &p.caption }</figcaption>
            { data_table(tr, &p.table) }
        </figure>
    }
}

pub struct HistProps {
    pub caption: String,
    pub alt: String,
    pub x_label: String,
    pub lo: f64,
    pub hi: f64,
    pub series: Vec<(String, Vec<u32>)>,
    pub table: TableProps,
}

/// Histograms over shared bins, drawn as outlined step areas so two series overlap legibly.
pub fn hist_chart(tr: &Tr, p: HistProps) -> Html {
    let bins = p.series.first().map_or(1, |s| s.1.len()).max(1);
    let max = p
        .series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (lo, hi) = (p.lo, if p.hi > p.lo { p.hi } else { p.lo + 1.0 });
    let sx = move |x: f64| PAD_L + (x - lo) / (hi - lo) * (W - PAD_L - PAD_R);
    let sy = move |y: f64| H - PAD_B - y / max * (H - PAD_T - PAD_B);
    let width = (hi - lo) / bins as f64;
    let names: Vec<String> = p.series.iter().map(|s| s.0.clone()).collect();
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-label={p.alt.clone()} focusable="false">
                { axes(&ticks(lo, hi, 6), &ticks(0.0, max, 4), &sx, &sy, &p.x_label, "") }
                { for p.series.iter().enumerate().map(|(i, (_, counts))| {
                    let mut d = format!("M{:.1},{:.1}", sx(lo), sy(0.0));
                    for (k, &c) in counts.iter().enumerate() {
                        let (a, b) = (lo + k as f64 * width, lo + (k + 1) as f64 * width);
                        d.push_str(&format!(" L{:.1},{:.1} L{:.1},{:.1}", sx(a), sy(c as f64), sx(b), sy(c as f64)));
                    }
                    d.push_str(&format!(" L{:.1},{:.1} Z", sx(hi), sy(0.0)));
                    html! { <path class={format!("area series-{}", i % 4)} d={d} /> }
                }) }
            </svg>
            { legend(&names) }
            <figcaption>{ &p.caption }</figcaption>
            { data_table(tr, &p.table) }
        </figure>
    }
}
