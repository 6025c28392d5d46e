//! The planner's inputs: the model (catalog, pasted config.json, or typed numbers), the device
//! (database, or this one, detected and measured), and the workload.

use bitsmith_engine::plan::KvType;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::state::{PlanState, Src, THIS_DEVICE};
use super::{Ctx, GpuProbe, fmt};
use crate::protocol::{JobId, JobResult, JobSpec};
use crate::ui::{JobState, use_engine_ctx, use_tr};

#[derive(Properties, PartialEq)]
pub struct CtxProps {
    pub ctx: Ctx,
}

fn input_value(e: InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn select_value(e: Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub oninput: Callback<String>,
    /// Fluent key of the error, when the value does not parse.
    pub error: Option<&'static str>,
    #[prop_or_default]
    pub hint: Option<String>,
    #[prop_or("numeric")]
    pub inputmode: &'static str,
}

/// A labelled text input for a number, with its hint and error tied to it.
#[function_component(Field)]
pub fn field(p: &FieldProps) -> Html {
    let tr = use_tr();
    let hint_id = format!("{}-hint", p.id);
    let err_id = format!("{}-err", p.id);
    let described = [
        p.hint.as_ref().map(|_| hint_id.clone()),
        p.error.map(|_| err_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let oninput = p.oninput.reform(input_value);
    html! {
        <div class="field">
            <label for={p.id}>{ &p.label }</label>
            <input id={p.id} type="text" inputmode={p.inputmode} autocomplete="off"
                   value={p.value.clone()} {oninput}
                   aria-invalid={p.error.map(|_| "true")}
                   aria-describedby={(!described.is_empty()).then_some(described)} />
            if let Some(h) = &p.hint {
                <p id={hint_id} class="field-hint">{ h }</p>
            }
            if let Some(k) = p.error {
                <p id={err_id} class="field-error">{ tr.t(k) }</p>
            }
        </div>
    }
}

#[function_component(Inputs)]
pub fn inputs(p: &CtxProps) -> Html {
    let tr = use_tr();
    html! {
        <form class="plan-inputs" aria-labelledby="plan-inputs-h" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <h2 id="plan-inputs-h">{ tr.t("planner-inputs") }</h2>
            <ModelPanel ctx={p.ctx.clone()} />
            <DevicePanel ctx={p.ctx.clone()} />
            <WorkloadPanel ctx={p.ctx.clone()} />
        </form>
    }
}

#[function_component(ModelPanel)]
fn model_panel(p: &CtxProps) -> Html {
    let tr = use_tr();
    let ctx = &p.ctx;
    let s = &*ctx.state;
    let src_radios = Src::ALL.iter().map(|&src| {
        let id = format!("plan-src-{}", src.key());
        let onchange = ctx.edit(move |s: &mut PlanState, _: ()| s.src = src).reform(|_: Event| ());
        let label = match src {
            Src::Catalog => "planner-src-catalog",
            Src::Config => "planner-src-config",
            Src::Fields => "planner-src-fields",
        };
        html! {
            <div class="radio">
                <input type="radio" name="plan-src" id={id.clone()} checked={s.src == src} {onchange} />
                <label for={id}>{ tr.t(label) }</label>
            </div>
        }
    });
    let body = match s.src {
        Src::Catalog => {
            let onchange = ctx
                .edit(|s: &mut PlanState, v: String| {
                    s.model = v;
                    s.detail.clear();
                })
                .reform(select_value);
            let models = ctx
                .lists
                .as_ref()
                .map(|l| l.models.clone())
                .unwrap_or_default();
            html! {
                <div class="field">
                    <label for="plan-model">{ tr.t("planner-model") }</label>
                    <select id="plan-model" {onchange}>
                        if models.is_empty() {
                            <option value={s.model.clone()} selected={true}>{ &s.model }</option>
                        }
                        { for models.iter().map(|m| html! {
                            <option value={m.id.clone()} selected={m.id == s.model}>{ &m.name }</option>
                        }) }
                    </select>
                </div>
            }
        }
        Src::Config => {
            let oninput = ctx
                .edit(|s: &mut PlanState, v: String| s.cfg = v)
                .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
            html! {
                <div class="field">
                    <label for="plan-config">{ tr.t("planner-config") }</label>
                    <textarea id="plan-config" rows="8" spellcheck="false" class="plan-config"
                              aria-describedby="plan-config-hint" value={s.cfg.clone()} {oninput} />
                    <p id="plan-config-hint" class="field-hint">{ tr.t("planner-config-hint") }</p>
                </div>
            }
        }
        Src::Fields => {
            let f = &s.fields;
            macro_rules! num {
                ($id:literal, $key:literal, $field:ident) => {
                    html! { <Field id={$id} label={tr.t($key)} value={f.$field.clone()}
                    error={ctx.error_for($id)}
                    oninput={ctx.edit(|s: &mut PlanState, v: String| s.fields.$field = v)} /> }
                };
            }
            let on_tied = ctx
                .edit(|s: &mut PlanState, v: bool| s.fields.tied = v)
                .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
            html! {
                <div class="plan-fields">
                    <Field id="plan-f-params" label={tr.t("planner-f-params")} value={f.params.clone()}
                           inputmode="decimal" error={ctx.error_for("plan-f-params")}
                           hint={tr.t("planner-f-params-hint")}
                           oninput={ctx.edit(|s: &mut PlanState, v: String| s.fields.params = v)} />
                    { num!("plan-f-layers", "planner-f-layers", layers) }
                    { num!("plan-f-hidden", "planner-f-hidden", hidden) }
                    { num!("plan-f-heads", "planner-f-heads", heads) }
                    { num!("plan-f-kv-heads", "planner-f-kv-heads", kv_heads) }
                    { num!("plan-f-head-dim", "planner-f-head-dim", head_dim) }
                    { num!("plan-f-ff", "planner-f-ff", ff) }
                    { num!("plan-f-vocab", "planner-f-vocab", vocab) }
                    { num!("plan-f-context", "planner-f-context", context) }
                    <div class="radio plan-check">
                        <input type="checkbox" id="plan-f-tied" checked={f.tied} onchange={on_tied} />
                        <label for="plan-f-tied">{ tr.t("planner-f-tied") }</label>
                    </div>
                </div>
            }
        }
    };
    let facts = ctx.view.as_ref().map(|v| {
        let m = &v.model;
        html! {
            <dl class="facts" data-testid="model-facts">
                <dt>{ tr.t("planner-m-params") }</dt><dd>{ fmt::params(m.params) }</dd>
                <dt>{ tr.t("planner-m-arch") }</dt><dd>{ &m.architecture }</dd>
                <dt>{ tr.t("planner-m-layers") }</dt><dd>{ m.layers }</dd>
                <dt>{ tr.t("planner-m-attention") }</dt>
                <dd>{ tr.ta("planner-m-attention-value", &[
                    ("heads", m.heads.to_string().into()),
                    ("kv", m.kv_heads.to_string().into()),
                    ("dim", m.head_dim.to_string().into()),
                ]) }</dd>
                if let Some(w) = m.sliding_window {
                    <dt>{ tr.t("planner-m-window") }</dt>
                    <dd>{ tr.ta("planner-m-window-value", &[
                        ("window", w.to_string().into()),
                        ("layers", m.sliding_layers.to_string().into()),
                    ]) }</dd>
                }
                if let Some((e, k)) = m.moe {
                    <dt>{ tr.t("planner-m-experts") }</dt>
                    <dd>{ format!("{k} / {e}") }</dd>
                }
                <dt>{ tr.t("planner-m-ffn") }</dt><dd>{ m.intermediate }</dd>
                <dt>{ tr.t("planner-m-vocab") }</dt><dd>{ m.vocab }</dd>
                <dt>{ tr.t("planner-m-context") }</dt><dd>{ m.max_context }</dd>
                <dt>{ tr.t("planner-m-tied") }</dt>
                <dd>{ tr.t(if m.tied { "planner-yes" } else { "planner-no" }) }</dd>
            </dl>
        }
    });
    html! {
        <fieldset class="panel">
            <legend>{ tr.t("planner-model-legend") }</legend>
            <div class="plan-src" role="radiogroup" aria-label={tr.t("planner-src")}>
                { for src_radios }
            </div>
            { body }
            { for facts }
        </fieldset>
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

#[function_component(DevicePanel)]
fn device_panel(p: &CtxProps) -> Html {
    let tr = use_tr();
    let ctx = &p.ctx;
    let s = &*ctx.state;
    let onchange = ctx
        .edit(|s: &mut PlanState, v: String| {
            s.device = v;
            s.detail.clear();
        })
        .reform(select_value);
    let devices = ctx
        .lists
        .as_ref()
        .map(|l| l.devices.clone())
        .unwrap_or_default();
    let mut groups: Vec<&str> = Vec::new();
    for d in &devices {
        if !groups.contains(&d.group.as_str()) {
            groups.push(&d.group);
        }
    }
    let facts = ctx.view.as_ref().map(|v| {
        let d = &v.device;
        html! {
            <>
                <dl class="facts" data-testid="device-facts">
                    <dt>{ tr.t("planner-d-memory") }</dt>
                    <dd>{ tr.ta("planner-d-memory-value", &[
                        ("gib", fmt::sig3(d.memory_gib).into()),
                        ("usable", fmt::bytes(d.usable_bytes).into()),
                    ]) }</dd>
                    <dt>{ tr.t("planner-d-bandwidth") }</dt><dd>{ format!("{} GB/s", fmt::sig3(d.bandwidth_gbs)) }</dd>
                    <dt>{ tr.t("planner-d-compute") }</dt><dd>{ fmt::flops(d.tflops) }</dd>
                    if let Some(price) = d.usd_per_hour {
                        <dt>{ tr.t("planner-d-price") }</dt><dd>{ format!("{}/h", fmt::usd(price)) }</dd>
                    }
                </dl>
                <p class="field-hint">{ tr.t("planner-d-source") }{ " " }<span lang="en">{ &d.source }</span></p>
                if let Some(n) = &d.notes {
                    <p class="field-hint" lang="en">{ n }</p>
                }
            </>
        }
    });
    html! {
        <fieldset class="panel">
            <legend>{ tr.t("planner-device-legend") }</legend>
            <div class="field">
                <label for="plan-device">{ tr.t("planner-device") }</label>
                <select id="plan-device" {onchange}>
                    <option value={THIS_DEVICE} selected={s.device == THIS_DEVICE}>{ tr.t("planner-this-device") }</option>
                    if devices.is_empty() && s.device != THIS_DEVICE {
                        <option value={s.device.clone()} selected={true}>{ &s.device }</option>
                    }
                    { for groups.iter().map(|g| html! {
                        <optgroup label={tr.t(kind_key(g))}>
                            { for devices.iter().filter(|d| d.group == *g).map(|d| html! {
                                <option value={d.id.clone()} selected={d.id == s.device}>{ &d.name }</option>
                            }) }
                        </optgroup>
                    }) }
                </select>
            </div>
            if s.device == THIS_DEVICE {
                <ThisDevice ctx={ctx.clone()} />
            }
            { for facts }
        </fieldset>
    }
}

/// The detection (WebGPU adapter, memory, cores) and the micro-benchmark.
#[function_component(ThisDevice)]
fn this_device(p: &CtxProps) -> Html {
    let tr = use_tr();
    let engine = use_engine_ctx();
    let ctx = &p.ctx;
    let job = use_state(|| None::<JobId>);
    let job_state = job.and_then(|j| engine.state.jobs.get(&j).cloned());
    // Hand a finished measurement to the page once.
    {
        let set = ctx.set_bench.clone();
        use_effect_with(job_state.clone(), move |js| {
            if let Some(JobState::Finished(JobResult::DeviceBench(r))) = js {
                set.emit(r.clone());
            }
        });
    }
    let running = matches!(job_state, Some(JobState::Running { .. }));
    let start = {
        let engine = engine.clone();
        let job = job.clone();
        Callback::from(move |_| {
            // 128 MiB dwarfs desktop last-level caches; 256² f32 matrices stay in L2, so the
            // GEMM measures arithmetic, not memory.
            job.set(Some(engine.start(JobSpec::DeviceBench {
                buffer_mib: 128,
                gemm_n: 256,
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
                ("name", name.clone().into()),
                (
                    "buffer",
                    max_storage
                        .map(fmt::bytes)
                        .unwrap_or_else(|| "–".into())
                        .into(),
                ),
            ],
        ),
        GpuProbe::None(e) => tr.ta("planner-this-gpu-none", &[("reason", e.clone().into())]),
    };
    let engine_gpu = match &engine.state.gpu {
        None => String::new(),
        Some(Ok(a)) => tr.ta(
            "planner-this-engine-gpu",
            &[
                ("backend", a.backend.clone().into()),
                ("kind", a.device_type.clone().into()),
            ],
        ),
        Some(Err(e)) => tr.ta(
            "planner-this-engine-gpu-none",
            &[("reason", e.clone().into())],
        ),
    };
    let memory = match ctx.nav.device_memory_gib {
        Some(g) => tr.ta("planner-this-memory", &[("gib", fmt::sig3(g).into())]),
        None => tr.t("planner-this-memory-unknown"),
    };
    let cores = match ctx.nav.cores {
        Some(c) => tr.ta("planner-this-cores", &[("n", c.to_string().into())]),
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
            &[("pct", (done * 100 / total).to_string().into())],
        ),
        Some(JobState::Finished(_)) => tr.t("planner-bench-done"),
        Some(JobState::Cancelled) => tr.t("planner-bench-cancelled"),
        Some(JobState::Failed(m)) => tr.ta("planner-bench-failed", &[("reason", m.clone().into())]),
    };
    let result = ctx.bench.as_ref().map(|b| {
        tr.ta(
            "planner-bench-result",
            &[
                ("bw", fmt::sig3(b.bandwidth_gbs).into()),
                ("mib", (b.buffer_bytes >> 20).to_string().into()),
                ("gflops", fmt::sig3(b.cpu_gflops).into()),
                ("n", b.gemm_n.to_string().into()),
            ],
        )
    });
    html! {
        <div class="plan-this" data-testid="this-device">
            <ul class="plain-list">
                <li data-testid="this-gpu">{ gpu }</li>
                if !engine_gpu.is_empty() {
                    <li data-testid="this-engine-gpu">{ engine_gpu }</li>
                }
                <li data-testid="this-memory">{ memory }</li>
                <li data-testid="this-cores">{ cores }</li>
            </ul>
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
            <p class="field-hint">{ tr.t("planner-bench-gpu-note") }</p>
        </div>
    }
}

#[function_component(WorkloadPanel)]
fn workload_panel(p: &CtxProps) -> Html {
    let tr = use_tr();
    let ctx = &p.ctx;
    let s = &*ctx.state;
    let on_kv = ctx
        .edit(|s: &mut PlanState, v: String| {
            if let Ok(k) = KvType::from_name(&v) {
                s.kv = k;
            }
        })
        .reform(select_value);
    let on_fa = ctx
        .edit(|s: &mut PlanState, v: bool| s.fa = v)
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    html! {
        <fieldset class="panel">
            <legend>{ tr.t("planner-workload-legend") }</legend>
            <div class="plan-fields">
                <Field id="plan-ctx" label={tr.t("planner-ctx")} value={s.ctx.clone()}
                       error={ctx.error_for("plan-ctx")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.ctx = v)} />
                <Field id="plan-batch" label={tr.t("planner-batch")} value={s.batch.clone()}
                       error={ctx.error_for("plan-batch")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.batch = v)} />
                <div class="field">
                    <label for="plan-kv">{ tr.t("planner-kv") }</label>
                    <select id="plan-kv" onchange={on_kv}>
                        { for KvType::ALL.iter().map(|k| html! {
                            <option value={k.name()} selected={*k == s.kv}>{ k.name() }</option>
                        }) }
                    </select>
                </div>
                <Field id="plan-pp" label={tr.t("planner-pp")} value={s.pp.clone()}
                       error={ctx.error_for("plan-pp")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.pp = v)} />
                <Field id="plan-tg" label={tr.t("planner-tg")} value={s.tg.clone()}
                       error={ctx.error_for("plan-tg")}
                       oninput={ctx.edit(|s: &mut PlanState, v: String| s.tg = v)} />
            </div>
            <div class="radio plan-check">
                <input type="checkbox" id="plan-fa" checked={s.fa} onchange={on_fa} />
                <label for="plan-fa">{ tr.t("planner-fa") }</label>
            </div>
        </fieldset>
    }
}
