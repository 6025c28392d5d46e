//! Quantize: a llama.cpp preset, or its per-tensor plan edited type by type; bits per weight
//! and sizes follow every edit at once (computed here from the shapes) and are confirmed by
//! the worker's planner, which also writes the equivalent llama-quantize command line.

use std::collections::BTreeMap;
use std::rc::Rc;

use bitsmith_engine::GgmlType;
use bitsmith_engine::preset::{Preset, QuantOptions, TensorTypeOverride, tensor_bytes};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::{ActiveKind, fmt, use_wb};
use crate::protocol::workbench::{
    PICKABLE_TYPES, PRESETS, PlanRow, PlanView, QuantBackend, WbJob, WbOutcome, exact_pattern,
    gpu_quantizes,
};
use crate::protocol::{JobId, JobResult, JobSpec};
use crate::ui::{JobState, use_engine_ctx, use_tr};

fn options(preset: Preset, edits: &BTreeMap<String, GgmlType>) -> QuantOptions {
    let mut o = QuantOptions::new(preset);
    o.overrides = edits
        .iter()
        .map(|(name, ty)| TensorTypeOverride {
            pattern: exact_pattern(name),
            ty: *ty,
        })
        .collect();
    o
}

/// The plan's rows with the user's edits applied (sizes from the shapes), for instant feedback
/// while the worker re-plans.
fn shown_rows(plan: &PlanView, edits: &BTreeMap<String, GgmlType>) -> Vec<PlanRow> {
    plan.rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(&ty) = edits.get(&r.name)
                && r.quantizable
                && let Some(bytes) = tensor_bytes(ty, &r.shape)
            {
                r.target_type = ty;
                r.output_bytes = bytes;
            }
            r
        })
        .collect()
}

fn bpw_of(bytes: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        bytes as f64 * 8.0 / n as f64
    }
}

#[function_component(QuantizePanel)]
pub fn quantize_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let engine = use_engine_ctx();
    let preset = use_state(|| Preset::Q4_K_M);
    let edits = use_state(BTreeMap::<String, GgmlType>::new);
    let plan_job = use_state(|| None::<JobId>);
    let plan = use_state(|| None::<(String, Rc<PlanView>)>);
    let plan_error = use_state(|| None::<String>);
    let backend = use_state(QuantBackend::default);
    // Ask the worker for its WebGPU adapter once, so the backend choice can be offered.
    {
        let engine = engine.clone();
        let asked = engine.state.gpu.is_some();
        use_effect_with((), move |_| {
            if !asked {
                engine.send(crate::protocol::Request::DetectGpu);
            }
        });
    }

    let source = wb.selected.as_ref().and_then(|id| wb.model(id)).cloned();
    let source_id = source.as_ref().map(|m| m.id.clone());

    // A new source starts from the preset again.
    {
        let edits = edits.clone();
        use_effect_with(source_id.clone(), move |_| edits.set(BTreeMap::new()));
    }
    // Re-plan whenever the source, the preset or an edit changes.
    {
        let (engine, plan_job) = (engine.clone(), plan_job.clone());
        use_effect_with(
            (source_id.clone(), *preset, (*edits).clone()),
            move |(src, preset, edits)| {
                if let Some(model) = src {
                    let id = engine.start(JobSpec::Workbench(WbJob::Plan {
                        model: model.clone(),
                        options: options(*preset, edits),
                    }));
                    plan_job.set(Some(id));
                }
            },
        );
    }
    let plan_state = plan_job.and_then(|j| engine.state.jobs.get(&j).cloned());
    {
        let (plan, plan_error, source_id) = (plan.clone(), plan_error.clone(), source_id.clone());
        use_effect_with(plan_state, move |st| match st {
            Some(JobState::Finished(JobResult::Workbench(WbOutcome::Planned(v)))) => {
                if let Some(src) = source_id {
                    plan.set(Some((src, Rc::new((**v).clone()))));
                }
                plan_error.set(None);
            }
            Some(JobState::Finished(JobResult::Workbench(WbOutcome::Failed(f)))) => {
                plan_error.set(Some(f.detail.clone()))
            }
            Some(JobState::Failed(m)) => plan_error.set(Some(m.clone())),
            _ => {}
        });
    }

    let Some(src) = source else {
        return html! {
            <section class="panel" aria-labelledby="wb-quant-h">
                <h2 id="wb-quant-h">{ tr.t("wb-quantize") }</h2>
                <p>{ tr.t("wb-quantize-none") }</p>
            </section>
        };
    };
    let current = plan
        .as_ref()
        .filter(|(id, _)| *id == src.id)
        .map(|(_, p)| p.clone());

    let on_preset = {
        let (preset, edits) = (preset.clone(), edits.clone());
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(p) = Preset::from_name(&v) {
                preset.set(p);
                edits.set(BTreeMap::new());
            }
        })
    };
    let reset = {
        let edits = edits.clone();
        Callback::from(move |_| edits.set(BTreeMap::new()))
    };
    let busy = wb.busy();
    let start = {
        let (wb, preset, edits, current, src, backend) = (
            wb.clone(),
            *preset,
            (*edits).clone(),
            current.clone(),
            src.clone(),
            *backend,
        );
        Callback::from(move |_| {
            let Some(p) = current.clone() else {
                return;
            };
            let opts = options(preset, &edits);
            wb.start.emit((
                WbJob::Quantize {
                    model: src.id.clone(),
                    options: opts,
                    backend,
                },
                ActiveKind::Quantize(p),
                format!("{} → {}", src.name, preset.name()),
                Vec::new(),
            ));
        })
    };

    // WebGPU is offered once the worker found an adapter (any: the user chooses it knowingly).
    let (gpu_ready, gpu_help) = match &engine.state.gpu {
        Some(Ok(a)) => (
            true,
            tr.ta("wb-backend-gpu-help", &[("adapter", a.name.clone().into())]),
        ),
        Some(Err(e)) => (
            false,
            tr.ta("wb-backend-gpu-none", &[("detail", e.clone().into())]),
        ),
        None => (false, tr.t("wb-backend-gpu-looking")),
    };
    let on_backend = |b: QuantBackend| {
        let backend = backend.clone();
        Callback::from(move |_: Event| backend.set(b))
    };
    let rows = current
        .as_ref()
        .map(|p| shown_rows(p, &edits))
        .unwrap_or_default();
    let n: u64 = rows.iter().map(|r| r.n_elements).sum();
    let out: u64 = rows.iter().map(|r| r.output_bytes).sum();
    let src_bytes: u64 = rows.iter().map(|r| r.source_bytes).sum();
    let edited = !edits.is_empty();

    let table_rows = rows.iter().map(|r| {
        let name = r.name.clone();
        let on_type = {
            let (edits, name, base) = (edits.clone(), name.clone(), current.clone());
            Callback::from(move |e: Event| {
                let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                let Some(ty) = GgmlType::from_name(&v) else {
                    return;
                };
                let mut next = (*edits).clone();
                // Choosing what the preset chose removes the edit.
                let preset_choice = base
                    .as_ref()
                    .and_then(|p| p.rows.iter().find(|r| r.name == name))
                    .map(|r| r.target_type);
                if preset_choice == Some(ty) && !next.contains_key(&name) {
                    return;
                }
                next.insert(name.clone(), ty);
                edits.set(next);
            })
        };
        let ncols = r.shape.first().copied().unwrap_or(1) as usize;
        let choices: Vec<GgmlType> = PICKABLE_TYPES
            .iter()
            .copied()
            .filter(|t| t.row_bytes(ncols).is_some())
            .collect();
        let cell = if r.quantizable {
            html! {
                <select aria-label={tr.ta("wb-type-for", &[("name", r.name.clone().into())])} onchange={on_type}
                        class={classes!(edits.contains_key(&r.name).then_some("edited"))}>
                    { for choices.iter().map(|t| html! {
                        <option value={t.name()} selected={*t == r.target_type}>{ t.name() }</option>
                    }) }
                    if !choices.contains(&r.target_type) {
                        <option value={r.target_type.name()} selected=true>{ r.target_type.name() }</option>
                    }
                </select>
            }
        } else {
            html! { <span>{ r.target_type.name() }</span> }
        };
        let shape = r.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
        let runs_on = if r.source_type == r.target_type {
            tr.t("wb-on-copied")
        } else if *backend == QuantBackend::Gpu && gpu_ready && gpu_quantizes(r.target_type) {
            tr.t("wb-on-gpu")
        } else {
            tr.t("wb-on-cpu")
        };
        let why = match r.fallback_from {
            Some(w) => tr.ta("wb-why-fallback", &[("reason", r.reason.clone().into()), ("wanted", w.name().into())]),
            None => r.reason.clone(),
        };
        html! {
            <tr key={r.name.clone()}>
                <th scope="row"><code>{ &r.name }</code></th>
                <td>{ shape }</td>
                <td>{ r.source_type.name() }</td>
                <td>{ cell }</td>
                <td>{ fmt::bpw(bpw_of(r.output_bytes, r.n_elements)) }</td>
                <td>{ fmt::bytes(r.output_bytes) }</td>
                <td data-testid="wb-plan-runs-on">{ runs_on }</td>
                <td class="wb-why">{ why }</td>
            </tr>
        }
    });

    html! {
        <section class="panel" aria-labelledby="wb-quant-h">
            <h2 id="wb-quant-h">{ tr.t("wb-quantize") }</h2>
            <p data-testid="wb-source">{ tr.ta("wb-source", &[
                ("name", src.name.clone().into()),
                ("type", src.facts.file_type.clone().into()),
                ("size", fmt::bytes(src.size).into()),
            ]) }</p>
            <div class="field">
                <label for="wb-preset">{ tr.t("wb-preset") }</label>
                <select id="wb-preset" onchange={on_preset} disabled={busy} aria-describedby="wb-preset-help">
                    { for PRESETS.iter().map(|p| html! {
                        <option value={p.name()} selected={*p == *preset}>{ p.name() }</option>
                    }) }
                </select>
                <p id="wb-preset-help" class="wb-sub">{ tr.t("wb-preset-help") }</p>
            </div>
            if let Some(e) = &*plan_error {
                <p class="notice notice-error" role="alert">{ tr.ta("wb-plan-error", &[("detail", e.clone().into())]) }</p>
            }
            <p class="wb-prediction" data-testid="wb-prediction" aria-live="polite">
                if current.is_some() {
                    { tr.ta("wb-predicted", &[
                        ("size", fmt::bytes(out).into()),
                        ("bpw", fmt::bpw(bpw_of(out, n)).into()),
                        ("from", fmt::bytes(src_bytes).into()),
                        ("frombpw", fmt::bpw(bpw_of(src_bytes, n)).into()),
                    ]) }
                } else {
                    { tr.t("wb-planning") }
                }
            </p>
            if let Some(p) = &current {
                if !p.warnings.is_empty() {
                    <details class="wb-warnings">
                        <summary>{ tr.ta("wb-warnings", &[("count", p.warnings.len().into())]) }</summary>
                        <ul>{ for p.warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
                    </details>
                }
            }
            <fieldset class="field wb-backend">
                <legend>{ tr.t("wb-backend") }</legend>
                <div class="radio">
                    <input type="radio" name="wb-backend" id="wb-backend-cpu" disabled={busy}
                           checked={*backend == QuantBackend::Cpu} onchange={on_backend(QuantBackend::Cpu)} />
                    <label for="wb-backend-cpu">{ tr.t("wb-backend-cpu") }</label>
                </div>
                <div class="radio">
                    <input type="radio" name="wb-backend" id="wb-backend-gpu" disabled={busy || !gpu_ready}
                           checked={*backend == QuantBackend::Gpu} onchange={on_backend(QuantBackend::Gpu)}
                           aria-describedby="wb-backend-gpu-help" />
                    <label for="wb-backend-gpu">{ tr.t("wb-backend-gpu") }</label>
                </div>
                <p id="wb-backend-gpu-help" class="wb-sub" data-testid="wb-backend-gpu-help">{ gpu_help }</p>
            </fieldset>
            <div class="button-row">
                <button type="button" class="button primary" onclick={start} disabled={busy || current.is_none()}
                        data-testid="wb-quantize-start">
                    { tr.ta("wb-quantize-go", &[("preset", (if edited { format!("{} +", preset.name()) } else { preset.name().to_string() }).into())]) }
                </button>
                if edited {
                    <button type="button" class="button" onclick={reset}>{ tr.ta("wb-reset-edits", &[("count", edits.len().into())]) }</button>
                }
            </div>
            <details class="wb-plan">
                <summary>{ tr.ta("wb-plan-table", &[("count", rows.len().into())]) }</summary>
                <div class="table-scroll" role="region" aria-label={tr.t("wb-plan-caption")} tabindex="0">
                    <table class="wb-table wb-plan-table" data-testid="wb-plan">
                        <caption>{ tr.t("wb-plan-caption") }</caption>
                        <thead><tr>
                            <th scope="col">{ tr.t("wb-col-tensor") }</th>
                            <th scope="col">{ tr.t("wb-col-shape") }</th>
                            <th scope="col">{ tr.t("wb-col-from") }</th>
                            <th scope="col">{ tr.t("wb-col-type") }</th>
                            <th scope="col">{ tr.t("wb-col-bpw") }</th>
                            <th scope="col">{ tr.t("wb-col-size") }</th>
                            <th scope="col">{ tr.t("wb-col-runs-on") }</th>
                            <th scope="col">{ tr.t("wb-col-why") }</th>
                        </tr></thead>
                        <tbody>{ for table_rows }</tbody>
                    </table>
                </div>
            </details>
            if let Some(p) = &current {
                <details class="wb-command">
                    <summary>{ tr.t("wb-command") }</summary>
                    <p>{ tr.t("wb-command-why") }</p>
                    <pre tabindex="0"><code data-testid="wb-plan-command">{ &p.command }</code></pre>
                </details>
            }
        </section>
    }
}
