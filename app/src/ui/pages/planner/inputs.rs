//! The planner's inputs: the model (catalog, pasted config.json, or typed numbers), the device
//! (database, or this one, detected and measured), the workload.

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::fmt::L as Tr;
use super::raw::Raw;
use super::{Ctx, GpuProbe, fmt};
use crate::protocol::JobSpec;
use crate::protocol::plan::{MODEL_FIELDS, PlanForm, Src, THIS_DEVICE, WORKLOAD_FIELDS};
use crate::ui::{JobState, Route};
use yew_router::prelude::Link;

fn select_value(e: Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn checked(e: Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

/// The Fluent key of an input's label.
fn label_key(id: &str) -> &'static str {
    match id {
        "plan-f-params" => "planner-f-params",
        "plan-f-layers" => "planner-f-layers",
        "plan-f-hidden" => "planner-f-hidden",
        "plan-f-heads" => "planner-f-heads",
        "plan-f-kv-heads" => "planner-f-kv-heads",
        "plan-f-head-dim" => "planner-f-head-dim",
        "plan-f-ff" => "planner-f-ff",
        "plan-f-vocab" => "planner-f-vocab",
        "plan-f-context" => "planner-f-context",
        "plan-ctx" => "planner-ctx",
        "plan-batch" => "planner-batch",
        "plan-pp" => "planner-pp",
        "plan-tg" => "planner-tg",
        "plan-usd" => "planner-usd",
        "plan-util" => "planner-util",
        "plan-api-in" => "planner-api-in",
        "plan-api-out" => "planner-api-out",
        _ => "planner-measured",
    }
}

/// A labelled text input bound to the form's field `id`, with its hint and its error (when the
/// worker says the value does not parse) tied to it.
pub fn text_field(ctx: &Ctx, tr: &Tr, id: &'static str, hint: Option<String>) -> Html {
    let measured = id == "plan-measured";
    let inputmode = if measured {
        "text"
    } else if matches!(
        id,
        "plan-f-params" | "plan-usd" | "plan-util" | "plan-api-in" | "plan-api-out"
    ) {
        "decimal"
    } else {
        "numeric"
    };
    let (value, oninput) = if measured {
        (
            ctx.form.measured.clone(),
            ctx.edit(|f: &mut PlanForm, v: String| f.measured = v),
        )
    } else {
        (
            ctx.form.text(id).to_string(),
            ctx.edit(move |f: &mut PlanForm, v: String| *f.text_mut(id) = v),
        )
    };
    let oninput =
        oninput.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let error = ctx.error_for(id);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-err");
    let described: Vec<&str> = [
        hint.as_ref().map(|_| hint_id.as_str()),
        error.as_ref().map(|_| err_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        <div class="field">
            <label for={id}>{ tr.t(label_key(id)) }</label>
            <input {id} type="text" dir="auto" {inputmode} autocomplete="off" {value} {oninput}
                   aria-invalid={error.as_ref().map(|_| "true")}
                   aria-describedby={(!described.is_empty()).then(|| described.join(" "))} />
            if let Some(h) = hint {
                <p id={hint_id} class="field-hint">{ h }</p>
            }
            if let Some(k) = error {
                <p id={err_id} class="field-error">{ tr.t(&k) }</p>
            }
        </div>
    }
}

/// A definition list of (term, value) pairs.
pub fn facts(testid: &str, rows: Vec<(String, String)>) -> Html {
    let mut h = Raw::default();
    h.open(&format!(r#"dl class="facts" data-testid="{testid}""#));
    for (t, d) in rows {
        h.el("dt", &t).el("dd", &d);
    }
    h.close("dl");
    h.html()
}

fn checkbox(id: &'static str, label: String, on: bool, onchange: Callback<Event>) -> Html {
    html! {
        <div class="radio plan-check">
            <input type="checkbox" {id} checked={on} {onchange} />
            <label for={id}>{ label }</label>
        </div>
    }
}

/// (value, text) pairs of a select, and groups of them (with an optional group label).
type Options = Vec<(String, String)>;
type Groups = Vec<(Option<String>, Options)>;

/// A labelled select, its options grouped where a group label is given.
fn select(
    id: &'static str,
    label: String,
    current: &str,
    groups: Groups,
    onchange: Callback<Event>,
) -> Html {
    let opts = |items: Options| -> Html {
        items
            .into_iter()
            .map(|(v, t)| {
                let selected = v == current;
                html! { <option {selected} value={v}>{ t }</option> }
            })
            .collect()
    };
    html! {
        <div class="field">
            <label for={id}>{ label }</label>
            <select {id} {onchange}>
                { for groups.into_iter().map(|(g, items)| match g {
                    Some(g) => html! { <optgroup label={g}>{ opts(items) }</optgroup> },
                    None => opts(items),
                }) }
            </select>
        </div>
    }
}

pub fn inputs(ctx: &Ctx, tr: &Tr) -> Html {
    let f = &*ctx.form;
    let radios = Src::ALL.iter().map(|&src| {
        let id = format!("plan-src-{}", src.key());
        let onchange = ctx
            .edit(move |f: &mut PlanForm, _: ()| f.src = src)
            .reform(|_: Event| ());
        let label = match src {
            Src::Catalog => "planner-src-catalog",
            Src::Library => "planner-src-library",
            Src::Config => "planner-src-config",
            Src::Fields => "planner-src-fields",
        };
        html! {
            <div class="radio">
                <input type="radio" name="plan-src" id={id.clone()} checked={f.src == src} {onchange} />
                <label for={id}>{ tr.t(label) }</label>
            </div>
        }
    });
    let model = match f.src {
        Src::Catalog => {
            let models = ctx
                .lists
                .as_ref()
                .map(|l| {
                    l.models
                        .iter()
                        .map(|m| (m.id.clone(), m.name.clone()))
                        .collect()
                })
                .unwrap_or_else(|| vec![(f.model.clone(), f.model.clone())]);
            select(
                "plan-model",
                tr.t("planner-model"),
                &f.model,
                vec![(None, models)],
                ctx.edit(|f: &mut PlanForm, v: String| {
                    f.model = v;
                    f.detail.clear();
                })
                .reform(select_value),
            )
        }
        Src::Library => match ctx.library.as_deref() {
            Some(models) if !models.is_empty() => {
                let mut items = models.clone();
                // A shared link may name a model this browser does not have.
                if !f.lib.is_empty() && !items.iter().any(|(id, _)| *id == f.lib) {
                    items.insert(0, (f.lib.clone(), tr.t("planner-lib-missing")));
                }
                if f.lib.is_empty() {
                    items.insert(0, (String::new(), tr.t("planner-lib-choose")));
                }
                select(
                    "plan-lib",
                    tr.t("planner-lib"),
                    &f.lib,
                    vec![(None, items)],
                    ctx.edit(|f: &mut PlanForm, v: String| {
                        f.lib = v;
                        f.detail.clear();
                    })
                    .reform(select_value),
                )
            }
            Some(_) => html! {
                <p class="field-hint" id="plan-lib" data-testid="plan-lib-empty">
                    { tr.t("planner-lib-empty") }{ " " }
                    <Link<Route> to={Route::Workbench}>{ tr.t("planner-lib-open") }</Link<Route>>
                </p>
            },
            None => {
                html! { <p class="field-hint" id="plan-lib">{ tr.t("planner-lib-loading") }</p> }
            }
        },
        Src::Config => {
            let oninput = ctx
                .edit(|f: &mut PlanForm, v: String| f.cfg = v)
                .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
            html! {
                <div class="field">
                    <label for="plan-config">{ tr.t("planner-config") }</label>
                    <textarea id="plan-config" rows="8" spellcheck="false" dir="ltr" class="plan-config"
                              aria-describedby="plan-config-hint" value={f.cfg.clone()} {oninput} />
                    <p id="plan-config-hint" class="field-hint">{ tr.t("planner-config-hint") }</p>
                </div>
            }
        }
        Src::Fields => html! {
            <>
                <div class="plan-fields">
                    { for MODEL_FIELDS.iter().map(|&(id, _)| text_field(ctx, tr, id,
                        (id == "plan-f-params").then(|| tr.t("planner-f-params-hint")))) }
                </div>
                { checkbox("plan-f-tied", tr.t("planner-f-tied"), f.tied,
                    ctx.edit(|f: &mut PlanForm, v: bool| f.tied = v).reform(checked)) }
            </>
        },
    };
    let yes_no = |b: bool| tr.t(if b { "planner-yes" } else { "planner-no" });
    let model_facts = ctx.view.as_ref().map(|v| {
        let m = &v.model;
        let mut rows = vec![
            (tr.t("planner-m-params"), fmt::params(m.params)),
            (tr.t("planner-m-arch"), m.architecture.clone()),
            (tr.t("planner-m-layers"), m.layers.to_string()),
            (
                tr.t("planner-m-attention"),
                tr.ta(
                    "planner-m-attention-value",
                    &[
                        ("heads", &m.heads.to_string()),
                        ("kv", &m.kv_heads.to_string()),
                        ("dim", &m.head_dim.to_string()),
                    ],
                ),
            ),
        ];
        if let Some(w) = m.sliding_window {
            rows.push((
                tr.t("planner-m-window"),
                tr.ta(
                    "planner-m-window-value",
                    &[
                        ("window", &w.to_string()),
                        ("layers", &m.sliding_layers.to_string()),
                    ],
                ),
            ));
        }
        if let Some((e, k)) = m.moe {
            rows.push((tr.t("planner-m-experts"), format!("{k} / {e}")));
        }
        rows.extend([
            (tr.t("planner-m-ffn"), m.intermediate.to_string()),
            (tr.t("planner-m-vocab"), m.vocab.to_string()),
            (tr.t("planner-m-context"), m.max_context.to_string()),
            (tr.t("planner-m-tied"), yes_no(m.tied)),
        ]);
        facts("model-facts", rows)
    });

    // Devices, grouped by kind, after "this device".
    let mut groups = vec![(
        None,
        vec![(THIS_DEVICE.to_string(), tr.t("planner-this-device"))],
    )];
    if let Some(l) = &ctx.lists {
        let mut kinds: Vec<&str> = Vec::new();
        for d in &l.devices {
            if !kinds.contains(&d.group.as_str()) {
                kinds.push(&d.group);
            }
        }
        for k in kinds {
            let items = l.devices.iter().filter(|d| d.group == k);
            groups.push((
                Some(tr.t(kind_key(k))),
                items.map(|d| (d.id.clone(), d.name.clone())).collect(),
            ));
        }
    } else if f.device != THIS_DEVICE {
        groups.push((None, vec![(f.device.clone(), f.device.clone())]));
    }
    let device_facts = ctx.view.as_ref().map(|v| {
        let d = &v.device;
        let mut rows = vec![
            (
                tr.t("planner-d-memory"),
                tr.ta(
                    "planner-d-memory-value",
                    &[
                        ("gib", &fmt::sig3(d.memory_gib)),
                        ("usable", &fmt::bytes(d.usable_bytes)),
                    ],
                ),
            ),
            (
                tr.t("planner-d-bandwidth"),
                format!("{} GB/s", fmt::sig3(d.bandwidth_gbs)),
            ),
            (tr.t("planner-d-compute"), fmt::flops(d.tflops)),
        ];
        if let Some(price) = d.usd_per_hour {
            rows.push((tr.t("planner-d-price"), format!("{}/h", fmt::usd(price))));
        }
        let mut h = Raw::default();
        h.open(r#"p class="field-hint""#)
            .text(&tr.t("planner-d-source"))
            .text(" ")
            .el(r#"bdi lang="en""#, &d.source)
            .close("p");
        if let Some(n) = &d.notes {
            h.el(r#"p class="field-hint" lang="en" dir="ltr""#, n);
        }
        html! { <>{ facts("device-facts", rows) }{ h.html() }</> }
    });
    let kvs = ["f16", "q8_0", "q4_0"]
        .iter()
        .map(|k| (k.to_string(), k.to_string()))
        .collect();
    html! {
        <form class="plan-inputs" aria-labelledby="plan-inputs-h" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <h2 id="plan-inputs-h">{ tr.t("planner-inputs") }</h2>
            <fieldset class="panel">
                <legend>{ tr.t("planner-model-legend") }</legend>
                <div class="plan-src" role="radiogroup" aria-label={tr.t("planner-src")}>
                    { for radios }
                </div>
                { model }
                { for model_facts }
            </fieldset>
            <fieldset class="panel">
                <legend>{ tr.t("planner-device-legend") }</legend>
                { select("plan-device", tr.t("planner-device"), &f.device, groups,
                    ctx.edit(|f: &mut PlanForm, v: String| {
                        f.device = v;
                        f.detail.clear();
                    }).reform(select_value)) }
                if f.device == THIS_DEVICE {
                    { this_device(ctx, tr) }
                }
                { for device_facts }
            </fieldset>
            <fieldset class="panel">
                <legend>{ tr.t("planner-workload-legend") }</legend>
                <div class="plan-fields">
                    { for WORKLOAD_FIELDS.iter().map(|&(id, _)| text_field(ctx, tr, id, None)) }
                    { select("plan-kv", tr.t("planner-kv"), &f.kv, vec![(None, kvs)],
                        ctx.edit(|f: &mut PlanForm, v: String| f.kv = v).reform(select_value)) }
                </div>
                { checkbox("plan-fa", tr.t("planner-fa"), f.fa,
                    ctx.edit(|f: &mut PlanForm, v: bool| f.fa = v).reform(checked)) }
            </fieldset>
        </form>
    }
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "phone" => "planner-kind-phone",
        "laptop" => "planner-kind-laptop",
        "apple_silicon" => "planner-kind-apple",
        "desktop_cpu" => "planner-kind-cpu",
        "desktop_gpu" => "planner-kind-gpu",
        "cloud_gpu" => "planner-kind-cloud",
        _ => "planner-kind-other",
    }
}

/// The detection (WebGPU adapter, memory, cores) and the micro-benchmark.
fn this_device(ctx: &Ctx, tr: &Tr) -> Html {
    let engine = &ctx.engine;
    let job = ctx.bench_job.clone();
    let job_state = job.and_then(|j| engine.state.jobs.get(&j).cloned());
    let running = matches!(job_state, Some(JobState::Running { .. }));
    let start = {
        let engine = engine.clone();
        let job = job.clone();
        Callback::from(move |_| {
            // 128 MiB dwarfs desktop last-level caches; 256² f32 matrices stay in L2, so the
            // GEMM measures arithmetic, not memory. The GPU's 4096² f32 weight (64 MiB) is
            // larger than most GPUs' L2 and binds on every WebGPU adapter (128 MiB minimum).
            job.set(Some(engine.start(JobSpec::DeviceBench {
                buffer_mib: 128,
                gemm_n: 256,
                gpu_n: 4096,
                phase_ms: 1500,
            })));
        })
    };
    let cancel = {
        let engine = engine.clone();
        let job = *job;
        Callback::from(move |_| {
            if let Some(j) = job {
                engine.cancel(j);
            }
        })
    };
    let gpu = match &ctx.gpu {
        GpuProbe::Pending => tr.t("planner-this-gpu-detecting"),
        GpuProbe::Found {
            name,
            fallback,
            max_storage,
        } => tr.ta(
            if *fallback {
                "planner-this-gpu-software"
            } else {
                "planner-this-gpu"
            },
            &[
                ("name", name),
                (
                    "buffer",
                    &max_storage.map(fmt::bytes).unwrap_or_else(|| "–".into()),
                ),
            ],
        ),
        GpuProbe::None(e) => tr.ta("planner-this-gpu-none", &[("reason", e)]),
    };
    let engine_gpu = match &engine.state.gpu {
        None => None,
        Some(Ok(a)) => Some(tr.ta(
            "planner-this-engine-gpu",
            &[("backend", &a.backend), ("kind", &a.device_type)],
        )),
        Some(Err(e)) => Some(tr.ta("planner-this-engine-gpu-none", &[("reason", e)])),
    };
    let memory = match ctx.nav.device_memory_gib {
        Some(g) => tr.ta("planner-this-memory", &[("gib", &fmt::sig3(g))]),
        None => tr.t("planner-this-memory-unknown"),
    };
    let cores = match ctx.nav.cores {
        Some(c) => tr.ta("planner-this-cores", &[("n", &c.to_string())]),
        None => tr.t("planner-this-cores-unknown"),
    };
    let (done, total) = match &job_state {
        Some(JobState::Running { done, total }) => (*done, (*total).max(1)),
        _ => (0, 1),
    };
    let status = match &job_state {
        None => String::new(),
        Some(JobState::Running { .. }) => tr.ta(
            "planner-bench-running",
            &[("pct", &(done * 100 / total).to_string())],
        ),
        Some(JobState::Finished(_)) => tr.t("planner-bench-done"),
        Some(JobState::Cancelled) => tr.t("planner-bench-cancelled"),
        Some(JobState::Failed(m)) => tr.ta("planner-bench-failed", &[("reason", m)]),
    };
    let result = ctx.bench.as_ref().map(|b| {
        tr.ta(
            "planner-bench-result",
            &[
                ("bw", &fmt::sig3(b.bandwidth_gbs)),
                ("mib", &(b.buffer_bytes >> 20).to_string()),
                ("gflops", &fmt::sig3(b.cpu_gflops)),
                ("n", &b.gemm_n.to_string()),
            ],
        )
    });
    // The WebGPU phase, in the same style: its figures, or why there are none. wgpu does not
    // pass the browser's adapter info through to the worker, so the name (and the fallback
    // flag) the page read for this machine are preferred to the worker's.
    let (page_name, page_fallback) = match &ctx.gpu {
        GpuProbe::Found { name, fallback, .. } => (Some(name), *fallback),
        _ => (None, false),
    };
    let gpu_result = ctx
        .bench
        .as_ref()
        .and_then(|b| match (&b.gpu, &b.gpu_missing) {
            (Some(g), _) => {
                let mut s = tr.ta(
                    "planner-bench-gpu-result",
                    &[
                        ("adapter", page_name.unwrap_or(&g.adapter)),
                        ("bw", &fmt::sig3(g.bandwidth_gbs)),
                        ("gflops", &fmt::sig3(g.gflops)),
                        ("n", &g.n.to_string()),
                        ("size", &fmt::bytes(g.weight_bytes)),
                        ("check", &format!("{:.1e}", g.check)),
                    ],
                );
                if g.software || page_fallback {
                    s.push(' ');
                    s.push_str(&tr.t("planner-bench-gpu-software"));
                }
                Some(s)
            }
            (None, Some(why)) => Some(tr.ta("planner-bench-gpu-none", &[("reason", why)])),
            (None, None) => None,
        });
    let items = [
        ("this-gpu", Some(gpu)),
        ("this-engine-gpu", engine_gpu),
        ("this-memory", Some(memory)),
        ("this-cores", Some(cores)),
    ];
    let mut list = Raw::default();
    list.open(r#"ul class="plain-list""#);
    for (t, s) in items {
        if let Some(s) = s {
            list.open(&format!(r#"li data-testid="{t}""#))
                .text(&s)
                .close("li");
        }
    }
    list.close("ul");
    html! {
        <div class="plan-this" data-testid="this-device">
            { list.html() }
            <p class="field-hint">{ tr.t("planner-bench-why") }</p>
            <div class="button-row">
                <button type="button" class="button" onclick={start} disabled={running}>{ tr.t("planner-bench-start") }</button>
                <button type="button" class="button" onclick={cancel} disabled={!running}>{ tr.t("planner-bench-cancel") }</button>
            </div>
            if running {
                <progress max={total.to_string()} value={done.to_string()} aria-label={tr.t("planner-bench-progress")}></progress>
            }
            <p role="status" class="status-line" data-testid="bench-status">{ status }</p>
            if let Some(r) = result {
                <p data-testid="bench-result">{ r }</p>
            }
            if let Some(r) = gpu_result {
                <p data-testid="bench-gpu-result">{ r }</p>
            }
            <p class="field-hint">{ tr.t("planner-bench-gpu-note") }</p>
        </div>
    }
}
