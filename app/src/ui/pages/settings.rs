//! Settings: language, theme, storage (usage, quota, persistence), and the engine (worker,
//! WebGPU adapter, kernel self-check, CPU benchmark with progress and cancel).

use bitsmith_engine::GgmlType;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::i18n::LOCALES;
use crate::protocol::{JobId, JobResult, JobSpec, Request};
use crate::settings::Theme;
use crate::ui::{JobState, use_engine_ctx, use_settings, use_tr};

#[function_component(SettingsPage)]
pub fn settings_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page">
            <h1>{ tr.t("settings-title") }</h1>
            <LanguageTheme />
            <StorageSection />
            <EngineSection />
        </section>
    }
}

#[function_component(LanguageTheme)]
fn language_theme() -> Html {
    let tr = use_tr();
    let ctx = use_settings();
    let on_lang = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut s = ctx.settings.clone();
            s.locale = (!v.is_empty()).then_some(v);
            ctx.set.emit(s);
        })
    };
    let current = ctx.settings.locale.clone().unwrap_or_default();
    html! {
        <section class="panel" aria-labelledby="appearance-h">
            <h2 id="appearance-h">{ tr.t("settings-appearance") }</h2>
            <div class="field">
                <label for="language">{ tr.t("settings-language") }</label>
                <select id="language" onchange={on_lang}>
                    <option value="" selected={current.is_empty()}>{ tr.t("settings-language-auto") }</option>
                    { for LOCALES.iter().map(|l| html! {
                        <option value={l.code} lang={l.code} selected={current == l.code}>{ l.endonym }</option>
                    }) }
                </select>
            </div>
            <fieldset class="field">
                <legend>{ tr.t("settings-theme") }</legend>
                { for Theme::ALL.iter().map(|&t| {
                    let checked = ctx.settings.theme == t;
                    let ctx = ctx.clone();
                    let onchange = Callback::from(move |e: Event| {
                        if e.target_unchecked_into::<HtmlInputElement>().checked() {
                            let mut s = ctx.settings.clone();
                            s.theme = t;
                            ctx.set.emit(s);
                        }
                    });
                    let id = format!("theme-{}", t.attr());
                    html! {
                        <div class="radio">
                            <input type="radio" name="theme" id={id.clone()} value={t.attr()}
                                   {checked} {onchange} />
                            <label for={id}>{ tr.t(t.label_key()) }</label>
                        </div>
                    }
                }) }
            </fieldset>
        </section>
    }
}

#[derive(Clone, PartialEq, Default)]
struct StorageInfo {
    usage: Option<f64>,
    quota: Option<f64>,
    persisted: Option<bool>,
    error: Option<String>,
}

async fn read_storage() -> StorageInfo {
    let sm = gloo::utils::window().navigator().storage();
    let mut info = StorageInfo::default();
    match sm.estimate() {
        Ok(p) => match JsFuture::from(p).await {
            Ok(v) => {
                let est: web_sys::StorageEstimate = v.unchecked_into();
                info.usage = est.get_usage();
                info.quota = est.get_quota();
            }
            Err(e) => info.error = Some(format!("{e:?}")),
        },
        Err(e) => info.error = Some(format!("{e:?}")),
    }
    if let Ok(p) = sm.persisted()
        && let Ok(v) = JsFuture::from(p).await
    {
        info.persisted = v.as_bool();
    }
    info
}

/// Formats a byte count with binary units, e.g. "12.3 MiB".
pub fn format_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", UNITS[i])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[function_component(StorageSection)]
fn storage_section() -> Html {
    let tr = use_tr();
    let info = use_state(StorageInfo::default);
    {
        let info = info.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move { info.set(read_storage().await) });
        });
    }
    let persist = {
        let info = info.clone();
        Callback::from(move |_| {
            let info = info.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let sm = gloo::utils::window().navigator().storage();
                if let Ok(p) = sm.persist() {
                    let _ = JsFuture::from(p).await;
                }
                info.set(read_storage().await);
            });
        })
    };
    let usage = info.usage.map(format_bytes).unwrap_or_else(|| "–".into());
    let quota = info.quota.map(format_bytes).unwrap_or_else(|| "–".into());
    html! {
        <section class="panel" aria-labelledby="storage-h">
            <h2 id="storage-h">{ tr.t("settings-storage") }</h2>
            <p data-testid="storage-usage">{ tr.ta("settings-storage-usage", &[("usage", usage.into()), ("quota", quota.into())]) }</p>
            <p>{ tr.t("settings-persist-why") }</p>
            <div role="status" class="status-line" data-testid="persist-state">
                { match info.persisted {
                    Some(true) => tr.t("settings-persist-granted"),
                    Some(false) => tr.t("settings-persist-not-granted"),
                    None => String::new(),
                } }
            </div>
            if info.persisted != Some(true) {
                <button type="button" class="button" onclick={persist}>{ tr.t("settings-persist-button") }</button>
            }
            if let Some(e) = &info.error {
                <p class="notice notice-error" role="alert">{ e }</p>
            }
        </section>
    }
}

#[function_component(EngineSection)]
fn engine_section() -> Html {
    let tr = use_tr();
    let engine = use_engine_ctx();
    let bench_job = use_state(|| None::<JobId>);
    {
        let engine = engine.clone();
        use_effect_with((), move |_| engine.send(Request::DetectGpu));
    }
    let st = &engine.state;
    let gpu_line = match &st.gpu {
        None => tr.t("settings-gpu-detecting"),
        Some(Ok(a)) => tr.ta(
            "settings-gpu-adapter",
            &[
                ("name", a.name.clone().into()),
                ("backend", a.backend.clone().into()),
                ("kind", a.device_type.clone().into()),
            ],
        ),
        Some(Err(why)) => tr.ta("settings-gpu-none", &[("reason", why.clone().into())]),
    };
    let run_check = {
        let engine = engine.clone();
        Callback::from(move |_| engine.send(Request::GpuSelfCheck))
    };
    let check_line = match &st.gpu_check {
        None => String::new(),
        Some(Ok(c)) => tr.ta(
            if c.passed {
                "settings-gpu-check-pass"
            } else {
                "settings-gpu-check-fail"
            },
            &[
                ("kernel", c.kernel.clone().into()),
                ("diff", format!("{:.2e}", c.max_rel_diff).into()),
                ("tolerance", format!("{:.0e}", c.tolerance).into()),
            ],
        ),
        Some(Err(e)) => tr.ta("settings-gpu-check-error", &[("reason", e.clone().into())]),
    };
    let start_bench = {
        let engine = engine.clone();
        let bench_job = bench_job.clone();
        Callback::from(move |_| {
            let job = engine.start(JobSpec::QuantBench {
                ty: GgmlType::Q8_0,
                // About a second on a laptop core: long enough to watch progress and cancel.
                rows: 65536,
                cols: 4096,
            });
            bench_job.set(Some(job));
        })
    };
    let job_state = bench_job.and_then(|j| st.jobs.get(&j).cloned());
    let running = matches!(job_state, Some(JobState::Running { .. }));
    let cancel = {
        let engine = engine.clone();
        let job = *bench_job;
        Callback::from(move |_| {
            if let Some(j) = job {
                engine.cancel(j);
            }
        })
    };
    let bench_status = match &job_state {
        None => String::new(),
        Some(JobState::Running { done, total }) => tr.ta(
            "settings-bench-running",
            &[("done", (*done).into()), ("total", (*total).into())],
        ),
        Some(JobState::Finished(JobResult::QuantBench {
            ty,
            values,
            millis,
            rmse,
            ..
        })) => tr.ta(
            "settings-bench-done",
            &[
                ("type", ty.name().into()),
                (
                    "rate",
                    format!("{:.1}", *values as f64 / millis.max(1e-3) / 1000.0).into(),
                ),
                ("rmse", format!("{rmse:.2e}").into()),
            ],
        ),
        // Other pages' jobs (the planner's device benchmark) are not shown here.
        Some(JobState::Finished(_)) => String::new(),
        Some(JobState::Cancelled) => tr.t("settings-bench-cancelled"),
        Some(JobState::Failed(m)) => {
            tr.ta("settings-bench-failed", &[("reason", m.clone().into())])
        }
    };
    let (done, total) = match &job_state {
        Some(JobState::Running { done, total }) => (*done, (*total).max(1)),
        _ => (0, 1),
    };
    html! {
        <section class="panel" aria-labelledby="engine-h">
            <h2 id="engine-h">{ tr.t("settings-engine") }</h2>
            <p data-testid="engine-version">{ match &st.engine_version {
                Some(v) => tr.ta("settings-engine-ready", &[("version", v.clone().into())]),
                None => tr.t("settings-engine-starting"),
            } }</p>
            <h3>{ tr.t("settings-gpu") }</h3>
            <p data-testid="gpu-adapter">{ gpu_line }</p>
            <p>{ tr.t("settings-gpu-cpu-fallback") }</p>
            <button type="button" class="button" onclick={run_check}
                    disabled={!matches!(st.gpu, Some(Ok(_)))}>{ tr.t("settings-gpu-check") }</button>
            <p role="status" class="status-line" data-testid="gpu-check">{ check_line }</p>
            <h3>{ tr.t("settings-bench") }</h3>
            <p>{ tr.t("settings-bench-why") }</p>
            <div class="button-row">
                <button type="button" class="button" onclick={start_bench} disabled={running}>{ tr.t("settings-bench-start") }</button>
                <button type="button" class="button" onclick={cancel} disabled={!running}>{ tr.t("settings-bench-cancel") }</button>
            </div>
            if running {
                <progress max={total.to_string()} value={done.to_string()} aria-label={tr.t("settings-bench")}></progress>
            }
            <p role="status" class="status-line" data-testid="bench-status">{ bench_status }</p>
        </section>
    }
}
