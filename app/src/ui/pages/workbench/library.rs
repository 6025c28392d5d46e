//! The job status line, the library (models and interrupted downloads) and the runs table.

use std::rc::Rc;

use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{ActiveKind, Notice, fmt, use_wb};
use crate::library::{Manifest, Origin, Pending};
use crate::protocol::workbench::{FailureKind, PlanView, WbJob};
use crate::ui::{JobState, Route, use_engine_ctx, use_tr};

/// The tensor being worked on, from the source bytes done (the plan's rows are in the order
/// the job feeds them).
fn current_tensor(plan: &PlanView, done: u64) -> Option<(usize, &str)> {
    let mut acc = 0u64;
    for (i, r) in plan.rows.iter().enumerate() {
        acc += r.source_bytes;
        if done < acc {
            return Some((i, &r.name));
        }
    }
    plan.rows
        .last()
        .map(|r| (plan.rows.len() - 1, r.name.as_str()))
}

/// Asks the browser to keep this site's storage (not evicted under pressure).
pub fn ask_persist(after: Callback<()>) {
    wasm_bindgen_futures::spawn_local(async move {
        let sm = gloo::utils::window().navigator().storage();
        if let Ok(p) = sm.persist() {
            let _ = JsFuture::from(p).await;
        }
        after.emit(());
    });
}

/// Progress of the running job and the outcome of the last one. The live region only ever
/// holds short state changes; the numbers that tick are outside it.
#[function_component(JobStatus)]
pub fn job_status() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let engine = use_engine_ctx();
    let persisted = use_state(|| None::<bool>);
    let announce = match (&wb.active, &wb.notice) {
        (Some(a), _) => tr.ta(
            match a.kind {
                ActiveKind::Download => "wb-status-downloading",
                ActiveKind::Import => "wb-status-importing",
                ActiveKind::Convert => "wb-status-converting",
                ActiveKind::Quantize(_) => "wb-status-quantizing",
                ActiveKind::Export => "wb-status-exporting",
                ActiveKind::Measure => "wb-status-measuring",
            },
            &[("name", a.label.clone().into())],
        ),
        (None, Some(Notice::Added(n))) => tr.ta("wb-status-added", &[("name", n.clone().into())]),
        (None, Some(Notice::Quantized(n))) => {
            tr.ta("wb-status-quantized", &[("name", n.clone().into())])
        }
        (None, Some(Notice::Cancelled)) => tr.t("wb-status-cancelled"),
        (None, Some(Notice::Measured(n))) => {
            tr.ta("wb-status-measured", &[("name", n.clone().into())])
        }
        (None, Some(Notice::Exported { file_name, .. })) => {
            tr.ta("wb-status-exported", &[("name", file_name.clone().into())])
        }
        (None, Some(Notice::Failed(_))) | (None, None) => String::new(),
    };
    let progress = wb.active.as_ref().map(|a| {
        let (done, total) = match engine.state.jobs.get(&a.job) {
            Some(JobState::Running { done, total }) => (*done, *total),
            _ => (0, 0),
        };
        let elapsed = (js_sys::Date::now() - a.started_ms) / 1000.0;
        let rate = if elapsed > 0.5 {
            done as f64 / elapsed
        } else {
            0.0
        };
        let mut parts = Vec::new();
        if total > 0 {
            parts.push(tr.ta(
                "wb-progress-bytes",
                &[
                    ("done", fmt::bytes(done).into()),
                    ("total", fmt::bytes(total).into()),
                ],
            ));
        }
        if rate > 0.0 {
            parts.push(tr.ta(
                "wb-progress-rate",
                &[("rate", fmt::bytes(rate as u64).into())],
            ));
            if total > done {
                let left = (total - done) as f64 / rate;
                parts.push(tr.ta("wb-progress-left", &[("left", fmt::duration(left).into())]));
            }
        }
        let tensor = match &a.kind {
            ActiveKind::Quantize(plan) => current_tensor(plan, done).map(|(i, name)| {
                tr.ta(
                    "wb-progress-tensor",
                    &[
                        ("index", (i + 1).into()),
                        ("count", plan.rows.len().into()),
                        ("name", name.to_string().into()),
                    ],
                )
            }),
            _ => None,
        };
        let cancel = {
            let c = wb.cancel.clone();
            Callback::from(move |_| c.emit(()))
        };
        html! {
            <div class="wb-progress" data-testid="wb-progress">
                <progress max={total.max(1).to_string()} value={done.to_string()}
                          aria-label={tr.t("wb-progress-label")}></progress>
                <p class="wb-progress-text" data-testid="wb-progress-text">{ parts.join(" · ") }</p>
                if let Some(t) = tensor {
                    <p class="wb-progress-text" data-testid="wb-progress-tensor">{ t }</p>
                }
                <button type="button" class="button" onclick={cancel}>{ tr.t("wb-cancel") }</button>
            </div>
        }
    });
    let failure = match &wb.notice {
        Some(Notice::Failed(f)) if wb.active.is_none() => {
            let persist = {
                let persisted = persisted.clone();
                Callback::from(move |_| {
                    let persisted = persisted.clone();
                    ask_persist(Callback::from(move |_| {
                        let persisted = persisted.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            let sm = gloo::utils::window().navigator().storage();
                            if let Ok(p) = sm.persisted()
                                && let Ok(v) = JsFuture::from(p).await
                            {
                                persisted.set(v.as_bool());
                            }
                        });
                    }));
                })
            };
            let to_library = Callback::from(|_| {
                if let Some(el) = gloo::utils::document().get_element_by_id("wb-library-h") {
                    let _ = el.set_attribute("tabindex", "-1");
                    if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                        let _ = el.focus();
                    }
                }
            });
            Some(html! {
                <div class="notice notice-error wb-failure" role="alert" data-testid="wb-failure">
                    <p><strong>{ tr.t(f.kind.message_key()) }</strong></p>
                    <p class="wb-detail">{ &f.detail }</p>
                    if f.kind == FailureKind::Quota {
                        <p>{ tr.t("wb-fail-quota-nothing-left") }</p>
                        <div class="button-row">
                            <button type="button" class="button" onclick={to_library}>{ tr.t("wb-fail-quota-delete") }</button>
                            <button type="button" class="button" onclick={persist}>{ tr.t("wb-fail-quota-persist") }</button>
                            <Link<Route> to={Route::Settings} classes="button">{ tr.t("wb-fail-quota-settings") }</Link<Route>>
                        </div>
                        if let Some(p) = *persisted {
                            <p>{ tr.t(if p { "wb-persist-granted" } else { "wb-persist-refused" }) }</p>
                        }
                    }
                    if f.kind == FailureKind::Network {
                        <p>{ tr.t("wb-fail-network-resume") }</p>
                    }
                </div>
            })
        }
        _ => None,
    };
    let export_link = match &wb.notice {
        Some(Notice::Exported { url, file_name }) => Some(html! {
            <p class="wb-export-link">
                <a href={url.clone()} download={file_name.clone()} data-testid="wb-export-link">
                    { tr.ta("wb-export-again", &[("name", file_name.clone().into())]) }
                </a>
            </p>
        }),
        _ => None,
    };
    html! {
        <div class="wb-status">
            <p role="status" class="status-line" data-testid="wb-status">{ announce }</p>
            { progress.unwrap_or_default() }
            { failure.unwrap_or_default() }
            { export_link.unwrap_or_default() }
        </div>
    }
}

/// Where a model came from, in words.
fn origin_text(tr: &crate::ui::Tr, o: &Origin) -> String {
    match o {
        Origin::Unknown => tr.t("wb-origin-unknown"),
        Origin::Files(names) => tr.ta(
            "wb-origin-files",
            &[("names", names.first().cloned().unwrap_or_default().into())],
        ),
        Origin::Url(u) => {
            let host = u
                .split("://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .filter(|h| !h.is_empty())
                .unwrap_or("this site");
            tr.ta("wb-origin-url", &[("host", host.to_string().into())])
        }
        Origin::Quantized { parent_name, .. } => tr.ta(
            "wb-origin-quantized",
            &[("name", parent_name.clone().into())],
        ),
    }
}

#[derive(Clone, PartialEq, Default)]
struct Usage {
    usage: Option<f64>,
    quota: Option<f64>,
    persisted: Option<bool>,
}

async fn read_usage() -> Usage {
    let sm = gloo::utils::window().navigator().storage();
    let mut u = Usage::default();
    if let Ok(p) = sm.estimate()
        && let Ok(v) = JsFuture::from(p).await
    {
        let est: web_sys::StorageEstimate = wasm_bindgen::JsCast::unchecked_into(v);
        u.usage = est.get_usage();
        u.quota = est.get_quota();
    }
    if let Ok(p) = sm.persisted()
        && let Ok(v) = JsFuture::from(p).await
    {
        u.persisted = v.as_bool();
    }
    u
}

/// The stored models and the downloads that can be resumed.
#[function_component(LibraryPanel)]
pub fn library_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let usage = use_state(Usage::default);
    let confirm = use_state(|| None::<String>);
    {
        let usage = usage.clone();
        // Re-read the storage estimate whenever the library changes.
        use_effect_with((wb.models.clone(), wb.pending.clone()), move |_| {
            wasm_bindgen_futures::spawn_local(async move { usage.set(read_usage().await) });
        });
    }
    let refresh_usage = {
        let usage = usage.clone();
        Callback::from(move |_: ()| {
            let usage = usage.clone();
            wasm_bindgen_futures::spawn_local(async move { usage.set(read_usage().await) });
        })
    };
    let persist = {
        let r = refresh_usage.clone();
        Callback::from(move |_| ask_persist(r.clone()))
    };
    let delete = {
        let (wb, confirm) = (wb.clone(), confirm.clone());
        Callback::from(move |id: String| {
            confirm.set(None);
            if let Some(super::LibHandle(lib)) = wb.lib.clone() {
                let refresh = wb.refresh.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = lib.delete(&id).await;
                    refresh.emit(());
                });
            }
        })
    };
    let usage_line = tr.ta(
        "wb-storage-usage",
        &[
            (
                "usage",
                usage
                    .usage
                    .map(fmt::format_bytes)
                    .unwrap_or_else(|| "–".into())
                    .into(),
            ),
            (
                "quota",
                usage
                    .quota
                    .map(fmt::format_bytes)
                    .unwrap_or_else(|| "–".into())
                    .into(),
            ),
        ],
    );
    let rows = wb
        .models
        .iter()
        .map(|m| model_row(&tr, &wb, m, &confirm, &delete));
    html! {
        <section class="panel" aria-labelledby="wb-library-h">
            <h2 id="wb-library-h">{ tr.t("wb-library") }</h2>
            <p class="wb-storage" data-testid="wb-storage">
                { usage_line }
                { " " }
                { match usage.persisted {
                    Some(true) => tr.t("wb-persist-granted"),
                    Some(false) => tr.t("wb-persist-not-yet"),
                    None => String::new(),
                } }
            </p>
            if usage.persisted == Some(false) {
                <button type="button" class="button" onclick={persist}>{ tr.t("wb-persist-button") }</button>
            }
            if wb.models.is_empty() && wb.loaded {
                <p data-testid="wb-library-empty">{ tr.t("wb-library-empty") }</p>
            }
            if !wb.models.is_empty() {
                <div class="table-scroll" role="region" aria-labelledby="wb-library-h" tabindex="0">
                    <table class="wb-table" data-testid="wb-library">
                        <thead><tr>
                            <th scope="col">{ tr.t("wb-col-name") }</th>
                            <th scope="col">{ tr.t("wb-col-type") }</th>
                            <th scope="col">{ tr.t("wb-col-size") }</th>
                            <th scope="col">{ tr.t("wb-col-source") }</th>
                            <th scope="col">{ tr.t("wb-col-added") }</th>
                            <th scope="col">{ tr.t("wb-col-actions") }</th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
            <PendingList />
        </section>
    }
}

fn model_row(
    tr: &crate::ui::Tr,
    wb: &super::Wb,
    m: &Manifest,
    confirm: &UseStateHandle<Option<String>>,
    delete: &Callback<String>,
) -> Html {
    let id = m.id.clone();
    let selected = wb.selected.as_deref() == Some(m.id.as_str());
    let select = {
        let (s, id) = (wb.select.clone(), id.clone());
        Callback::from(move |_| s.emit(Some(id.clone())))
    };
    let export = {
        let (start, id, name) = (wb.start.clone(), id.clone(), m.file_name.clone());
        Callback::from(move |_| {
            start.emit((
                WbJob::Export { model: id.clone() },
                ActiveKind::Export,
                name.clone(),
                Vec::new(),
            ))
        })
    };
    let ask = {
        let (c, id) = (confirm.clone(), id.clone());
        Callback::from(move |_| c.set(Some(id.clone())))
    };
    let keep = {
        let c = confirm.clone();
        Callback::from(move |_| c.set(None))
    };
    let really = {
        let (d, id) = (delete.clone(), id.clone());
        Callback::from(move |_| d.emit(id.clone()))
    };
    let confirming = confirm.as_deref() == Some(m.id.as_str());
    let busy = wb.busy();
    html! {
        <tr key={m.id.clone()} class={classes!(selected.then_some("selected"))} data-testid="wb-model-row">
            <th scope="row">
                <span class="wb-name">{ &m.name }</span>
                <span class="wb-sub">{ &m.file_name }</span>
            </th>
            <td>
                { &m.facts.file_type }
                <span class="wb-sub">{ tr.ta("wb-bpw", &[("bpw", fmt::bpw(m.facts.bpw).into())]) }</span>
            </td>
            <td>
                { fmt::bytes(m.size) }
                <span class="wb-sub">{ tr.ta("wb-params", &[("n", fmt::params(m.facts.n_params).into())]) }</span>
            </td>
            <td>{ origin_text(tr, &m.origin) }</td>
            <td>{ fmt::date(m.created_ms, tr.locale.code) }</td>
            <td>
                <div class="button-row">
                    if confirming {
                        <span class="wb-confirm">{ tr.t("wb-delete-confirm") }</span>
                        <button type="button" class="button danger" onclick={really}
                                aria-label={tr.ta("wb-delete-named", &[("name", m.name.clone().into())])}>{ tr.t("wb-delete-yes") }</button>
                        <button type="button" class="button" onclick={keep}>{ tr.t("wb-delete-no") }</button>
                    } else {
                        if !m.is_quantized_here() {
                            <button type="button" class="button" onclick={select} aria-pressed={selected.to_string()}
                                    aria-label={tr.ta("wb-use-named", &[("name", m.name.clone().into())])}>{ tr.t("wb-use") }</button>
                        }
                        <button type="button" class="button" onclick={export} disabled={busy}
                                aria-label={tr.ta("wb-export-named", &[("name", m.name.clone().into())])}>{ tr.t("wb-export") }</button>
                        <button type="button" class="button" onclick={ask} disabled={busy}
                                aria-label={tr.ta("wb-delete-named", &[("name", m.name.clone().into())])}>{ tr.t("wb-delete") }</button>
                    }
                </div>
            </td>
        </tr>
    }
}

/// Interrupted downloads: resume or discard.
#[function_component(PendingList)]
fn pending_list() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    if wb.pending.is_empty() {
        return html! {};
    }
    let items = wb.pending.iter().map(|p: &Pending| {
        let running = wb.active.is_some();
        let resume = {
            let (start, p) = (wb.start.clone(), p.clone());
            Callback::from(move |_| {
                let all_done = p.files.iter().all(|f| f.complete());
                if all_done && !p.is_single_gguf() {
                    start.emit((
                        WbJob::Convert { pending: p.id.clone() },
                        ActiveKind::Convert,
                        p.name.clone(),
                        Vec::new(),
                    ));
                } else {
                    start.emit((
                        WbJob::Download {
                            resume: Some(p.id.clone()),
                            name: p.name.clone(),
                            files: Vec::new(),
                        },
                        ActiveKind::Download,
                        p.name.clone(),
                        Vec::new(),
                    ));
                }
            })
        };
        let discard = {
            let (wb, id) = (wb.clone(), p.id.clone());
            Callback::from(move |_| {
                if let Some(super::LibHandle(lib)) = wb.lib.clone() {
                    let (refresh, id) = (wb.refresh.clone(), id.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = lib.delete(&id).await;
                        refresh.emit(());
                    });
                }
            })
        };
        let (done, total) = (p.done(), p.total());
        html! {
            <li class="wb-pending" data-testid="wb-pending">
                <span class="wb-name">{ &p.name }</span>
                <span>{ tr.ta("wb-progress-bytes", &[("done", fmt::bytes(done).into()), ("total", fmt::bytes(total).into())]) }</span>
                <progress max={total.max(1).to_string()} value={done.to_string()}
                          aria-label={tr.ta("wb-pending-named", &[("name", p.name.clone().into())])}></progress>
                <div class="button-row">
                    <button type="button" class="button primary" onclick={resume} disabled={running}
                            aria-label={tr.ta("wb-resume-named", &[("name", p.name.clone().into())])}>{ tr.t("wb-resume") }</button>
                    <button type="button" class="button" onclick={discard} disabled={running}
                            aria-label={tr.ta("wb-discard-named", &[("name", p.name.clone().into())])}>{ tr.t("wb-discard") }</button>
                </div>
            </li>
        }
    });
    html! {
        <>
            <h3>{ tr.t("wb-pending") }</h3>
            <ul class="wb-pending-list">{ for items }</ul>
        </>
    }
}

/// Where a run was quantized: the CPU, or WebGPU for some of its tensors (with the adapter),
/// or the CPU because WebGPU was asked for and missing.
fn ran_on(tr: &crate::ui::Tr, q: &crate::library::QuantRecord, n_tensors: u32) -> Html {
    if !q.gpu_tensors.is_empty() {
        let all = q.gpu_tensors.join(", ");
        return html! {
            <>
                { match q.gpu_adapter.as_deref() {
                    // In a worker, the browser may not name the adapter (wgpu reports it unnamed).
                    None | Some("") | Some("unnamed adapter") => tr.ta("wb-ran-gpu-unnamed", &[
                        ("count", q.gpu_tensors.len().into()),
                        ("total", n_tensors.into()),
                    ]),
                    Some(adapter) => tr.ta("wb-ran-gpu", &[
                        ("adapter", adapter.to_string().into()),
                        ("count", q.gpu_tensors.len().into()),
                        ("total", n_tensors.into()),
                    ]),
                } }
                <details class="wb-ran-list">
                    <summary>{ tr.t("wb-ran-gpu-list") }</summary>
                    <p class="wb-sub">{ all }</p>
                </details>
            </>
        };
    }
    match &q.gpu_unavailable {
        Some(why) => html! { { tr.ta("wb-ran-cpu-no-gpu", &[("detail", why.clone().into())]) } },
        None => html! { { tr.t("wb-ran-cpu") } },
    }
}

/// Quantized models ("runs"): how each was made, what it cost, its command line.
#[function_component(RunsPanel)]
pub fn runs_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let runs: Vec<Rc<Manifest>> = wb
        .models
        .iter()
        .filter(|m| m.quant.is_some())
        .cloned()
        .map(Rc::new)
        .collect();
    if runs.is_empty() {
        return html! {};
    }
    let rows = runs.iter().map(|m| {
        let q = m.quant.clone().unwrap_or_default();
        let src_size = match &m.origin {
            Origin::Quantized { parent, .. } => wb.model(parent).map(|p| p.size),
            _ => None,
        };
        html! {
            <tr key={m.id.clone()} data-testid="wb-run-row">
                <th scope="row">{ &m.name }</th>
                <td>{ &q.preset }</td>
                <td>{ fmt::bytes(m.size) }
                    if let Some(s) = src_size {
                        <span class="wb-sub">{ tr.ta("wb-ratio", &[("pct", format!("{:.0}", m.size as f64 * 100.0 / s.max(1) as f64).into())]) }</span>
                    }
                </td>
                <td>{ fmt::bpw(m.facts.bpw) }</td>
                <td>{ fmt::duration(q.seconds) }</td>
                <td data-testid="wb-run-memory">{ fmt::bytes(q.peak_memory) }</td>
                <td data-testid="wb-run-backend">{ ran_on(&tr, &q, m.facts.n_tensors) }</td>
            </tr>
        }
    });
    let commands = runs.iter().map(|m| {
        let q = m.quant.clone().unwrap_or_default();
        html! {
            <details class="wb-command" key={m.id.clone()}>
                <summary>{ tr.ta("wb-command-for", &[("name", m.name.clone().into())]) }</summary>
                <p>{ tr.t("wb-command-why") }</p>
                <pre tabindex="0"><code data-testid="wb-command">{ q.command }</code></pre>
            </details>
        }
    });
    html! {
        <section class="panel" aria-labelledby="wb-runs-h">
            <h2 id="wb-runs-h">{ tr.t("wb-runs") }</h2>
            <div class="table-scroll" role="region" aria-labelledby="wb-runs-h" tabindex="0">
                <table class="wb-table" data-testid="wb-runs">
                    <thead><tr>
                        <th scope="col">{ tr.t("wb-col-name") }</th>
                        <th scope="col">{ tr.t("wb-col-preset") }</th>
                        <th scope="col">{ tr.t("wb-col-size") }</th>
                        <th scope="col">{ tr.t("wb-col-bpw") }</th>
                        <th scope="col">{ tr.t("wb-col-time") }</th>
                        <th scope="col">{ tr.t("wb-col-memory") }</th>
                        <th scope="col">{ tr.t("wb-col-ran-on") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { for commands }
        </section>
    }
}
