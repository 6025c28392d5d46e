//! The planner: will this model fit on this device, how fast will it run, what will it cost.
//!
//! The page only renders. It sends its form as typed (`PlanForm`, which is also the URL query,
//! replaced on every change so a link reproduces the plan) with what the browser reports about
//! itself; the worker parses, plans (`Call::Plan`, the engine's `plan` module) and measures
//! "this device" (`JobSpec::DeviceBench`). One component holds all state; the rest are plain
//! functions, and read-only blocks are written as escaped HTML text (`raw`), because every
//! component and `html!` element costs first-load bytes.

mod fmt;
mod inputs;
mod raw;
mod results;

use std::rc::Rc;

use bitsmith_engine::device::AdapterReport;
use bitsmith_engine::plan::BrowserProbe;
use wasm_bindgen::JsValue;
use yew::prelude::*;
use yew_router::prelude::*;

use super::PageIntro;
use crate::protocol::plan::{
    DeviceBenchResult, ENGINE_RUNS_KEY, EngineRun, FieldError, PlanAnswer, PlanAsk, PlanForm,
    PlanLists, PlanView, RecordedRun, Src, THIS_DEVICE,
};
use crate::protocol::{Call, CallId, JobId, JobResult, Reply, Request};
use crate::store::STORE_KV;
use crate::ui::{Engine, JobState, Route, StoreHandle, use_engine_ctx, use_tr};

/// Where the last "this device" measurement is kept (IndexedDB, key-value store): it describes
/// this machine, so it stays here rather than travelling in shared links.
const BENCH_KEY: &str = "planner-device-bench";

/// An edit of the form, applied to the latest value (events between renders don't clobber
/// each other).
pub struct Edit(Rc<dyn Fn(&mut PlanForm)>);

impl Reducible for PlanForm {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut f = (*self).clone();
        (edit.0)(&mut f);
        Rc::new(f)
    }
}

/// What the browser says about the machine, read once.
#[derive(Clone, Debug, PartialEq)]
pub struct NavInfo {
    pub device_memory_gib: Option<f64>,
    pub cores: Option<u32>,
    pub mobile: bool,
}

fn get(obj: &JsValue, k: &str) -> Option<JsValue> {
    js_sys::Reflect::get(obj, &JsValue::from_str(k))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

impl NavInfo {
    fn read() -> NavInfo {
        let nav = gloo::utils::window().navigator();
        let nav_js: &JsValue = nav.as_ref();
        NavInfo {
            // `navigator.deviceMemory` is Chromium-only; elsewhere it is undefined.
            device_memory_gib: get(nav_js, "deviceMemory").and_then(|v| v.as_f64()),
            cores: Some(nav.hardware_concurrency() as u32).filter(|&c| c > 0),
            mobile: get(nav_js, "userAgentData")
                .and_then(|d| get(&d, "mobile"))
                .and_then(|m| m.as_bool())
                .unwrap_or(false),
        }
    }
}

/// The WebGPU adapter as the page sees it (`navigator.gpu.requestAdapter()`): its identity and
/// limits. The worker's own report (`EngineState::gpu`) says whether the engine could open it;
/// wgpu does not pass the browser's adapter info through, so the name comes from here.
#[derive(Clone, Debug, PartialEq)]
pub enum GpuProbe {
    Pending,
    None(String),
    Found {
        name: String,
        fallback: bool,
        max_storage: Option<u64>,
    },
}

async fn probe_gpu() -> GpuProbe {
    use wasm_bindgen::JsCast;
    let nav: JsValue = gloo::utils::window().navigator().into();
    let Some(gpu) = get(&nav, "gpu") else {
        return GpuProbe::None("navigator.gpu is not available".into());
    };
    let promise = get(&gpu, "requestAdapter")
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&gpu).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let Some(promise) = promise else {
        return GpuProbe::None("requestAdapter failed".into());
    };
    let adapter = match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(a) if !a.is_null() && !a.is_undefined() => a,
        Ok(_) => return GpuProbe::None("no adapter".into()),
        Err(e) => return GpuProbe::None(format!("{e:?}")),
    };
    let info = get(&adapter, "info");
    let name = info
        .as_ref()
        .map(|i| {
            ["vendor", "architecture", "device", "description"]
                .iter()
                .filter_map(|k| get(i, k).and_then(|v| v.as_string()))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let flag = |o: Option<&JsValue>| {
        o.and_then(|o| get(o, "isFallbackAdapter"))
            .and_then(|v| v.as_bool())
    };
    GpuProbe::Found {
        name: if name.is_empty() {
            "WebGPU".into()
        } else {
            name
        },
        fallback: flag(info.as_ref())
            .or(flag(Some(&adapter)))
            .unwrap_or(false),
        max_storage: get(&adapter, "limits")
            .and_then(|l| get(&l, "maxStorageBufferBindingSize"))
            .and_then(|v| v.as_f64())
            .map(|v| v as u64),
    }
}

fn probe(
    nav: &NavInfo,
    gpu: &GpuProbe,
    worker_gpu: Option<&Result<AdapterReport, String>>,
    bench: Option<&DeviceBenchResult>,
) -> BrowserProbe {
    let report = worker_gpu.and_then(|g| g.as_ref().ok());
    let (adapter, fallback, max_storage) = match gpu {
        GpuProbe::Found {
            name,
            fallback,
            max_storage,
        } => (Some(name.clone()), *fallback, *max_storage),
        // wgpu reports software adapters (SwiftShader, lavapipe) as CPU devices.
        _ => (
            report.map(|a| a.name.clone()),
            report.is_some_and(|a| a.device_type == "Cpu"),
            None,
        ),
    };
    BrowserProbe {
        device_memory_gib: nav.device_memory_gib,
        hardware_concurrency: nav.cores,
        adapter,
        is_fallback_adapter: fallback,
        mobile: nav.mobile,
        max_storage_buffer_binding_size: max_storage
            .or(report.map(|a| a.max_storage_buffer_binding_size)),
        measured_bandwidth_gbs: bench.map(|b| b.bandwidth_gbs),
        measured_gpu_tflops: None,
        measured_cpu_gflops: bench.map(|b| b.cpu_gflops),
    }
}

/// Everything the inputs and results read.
pub struct Ctx {
    pub engine: Engine,
    pub form: UseReducerHandle<PlanForm>,
    pub lists: Option<Rc<PlanLists>>,
    /// The workbench library's models, (id, name), once read from IndexedDB (`None` before,
    /// or when the library cannot be opened).
    pub library: Option<Rc<Vec<(String, String)>>>,
    pub view: Option<Rc<PlanView>>,
    pub nav: Rc<NavInfo>,
    pub gpu: GpuProbe,
    pub bench: Option<DeviceBenchResult>,
    /// The running or last "this device" benchmark job.
    pub bench_job: UseStateHandle<Option<JobId>>,
    /// Inputs that do not parse, from the worker's last answer.
    pub bad: Rc<Vec<FieldError>>,
}

impl Ctx {
    /// A callback that applies `f` with the emitted value to the latest form.
    pub fn edit<T: Clone + 'static>(&self, f: impl Fn(&mut PlanForm, T) + 'static) -> Callback<T> {
        let form = self.form.clone();
        let f = Rc::new(f);
        Callback::from(move |v: T| {
            let f = f.clone();
            form.dispatch(Edit(Rc::new(move |s: &mut PlanForm| f(s, v.clone()))));
        })
    }

    /// The Fluent key of why input `id` does not parse.
    pub fn error_for(&self, id: &str) -> Option<String> {
        self.bad
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.key.clone())
    }
}

#[function_component(PlannerPage)]
pub fn planner_page() -> Html {
    let tr = use_tr();
    let engine = use_engine_ctx();
    let location = use_location();
    let navigator = use_navigator();
    let store = use_context::<Option<StoreHandle>>().flatten();
    let form = use_reducer(|| {
        let pairs: Vec<(String, String)> = location
            .as_ref()
            .and_then(|l| l.query::<Vec<(String, String)>>().ok())
            .unwrap_or_default();
        PlanForm::from_pairs(&pairs)
    });
    let nav = use_memo((), |_| NavInfo::read());
    let bench = use_state(|| None::<DeviceBenchResult>);

    // The last measurement of this device, from IndexedDB.
    {
        let bench = bench.clone();
        let store = store.clone();
        use_effect_with((), move |_| {
            if let Some(StoreHandle(store)) = store {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(Some(b)) = store.get::<DeviceBenchResult>(STORE_KV, BENCH_KEY).await {
                        bench.set(Some(b));
                    }
                });
            }
        });
    }
    // A finished measurement is used at once and kept for the next visit.
    let bench_job = use_state(|| None::<JobId>);
    {
        let bench = bench.clone();
        let store = store.clone();
        let finished = bench_job
            .and_then(|j| engine.state.jobs.get(&j))
            .and_then(|s| match s {
                JobState::Finished(JobResult::DeviceBench(r)) => Some(r.clone()),
                _ => None,
            });
        use_effect_with(finished, move |r| {
            if let Some(b) = r.clone() {
                bench.set(Some(b.clone()));
                if let Some(StoreHandle(store)) = store {
                    wasm_bindgen_futures::spawn_local(async move {
                        // Losing the saved measurement only means measuring again.
                        let _ = store.put(STORE_KV, BENCH_KEY, &b).await;
                    });
                }
            }
        });
    }

    // "This device" needs the WebGPU adapter: the page reads its identity and limits, the
    // worker reports whether the engine can open it. Asked once it is picked.
    let gpu = use_state(|| GpuProbe::Pending);
    {
        let engine = engine.clone();
        let asked = engine.state.gpu.is_some();
        let gpu = gpu.clone();
        use_effect_with(form.device == THIS_DEVICE, move |&this| {
            if this && *gpu == GpuProbe::Pending {
                wasm_bindgen_futures::spawn_local(async move { gpu.set(probe_gpu().await) });
            }
            if this && !asked {
                engine.send(Request::DetectGpu);
            }
        });
    }

    // The form goes to the URL once the user changes something (replaceState: editing does not
    // pile up history entries; an untouched page keeps the address it was opened with).
    let first = use_mut_ref(|| true);
    use_effect_with((*form).clone(), move |f| {
        if !std::mem::replace(&mut *first.borrow_mut(), false)
            && let Some(n) = navigator
        {
            let _ = n.replace_with_query(&Route::Planner, f.to_pairs());
        }
    });

    // Pickers.
    let lists_id = use_state(|| None::<CallId>);
    {
        let engine = engine.clone();
        let lists_id = lists_id.clone();
        use_effect_with((), move |_| {
            lists_id.set(Some(engine.call(Call::PlanLists)))
        });
    }
    let lists = use_memo(
        lists_id.and_then(|i| engine.state.replies.get(&i).cloned()),
        |r| match r {
            Some(Reply::PlanLists(l)) => Some(Rc::new(l.clone())),
            _ => None,
        },
    );

    // The library's models, for the "model in your library" source.
    let library = use_state(|| None::<Rc<Vec<(String, String)>>>);
    {
        let library = library.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(lib) = crate::library::Library::open().await
                    && let Ok(models) = lib.list().await
                {
                    library.set(Some(Rc::new(
                        models.into_iter().map(|m| (m.id, m.name)).collect(),
                    )));
                }
            });
        });
    }

    // The engine's recorded runs of the chosen library model (workbench Run, CPU path), used
    // when it is planned on this device.
    let engine_runs = use_state(Vec::<EngineRun>::new);
    {
        let engine_runs = engine_runs.clone();
        let store = store.clone();
        let want =
            (form.src == Src::Library && form.device == THIS_DEVICE).then(|| form.lib.clone());
        use_effect_with(want, move |want| {
            let want = want.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let runs = match (want, store) {
                    (Some(lib), Some(StoreHandle(store))) => store
                        .get::<Vec<RecordedRun>>(STORE_KV, ENGINE_RUNS_KEY)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|r| r.model == lib)
                        .map(|r| r.run)
                        .collect(),
                    _ => Vec::new(),
                };
                engine_runs.set(runs);
            });
        });
    }

    // The plan: asked whenever the form (but the detail pick) or the probe changes. The last
    // plan stays on screen while the next is computed or while a field does not parse.
    let ask = PlanAsk {
        form: PlanForm {
            detail: String::new(),
            ..(*form).clone()
        },
        probe: probe(&nav, &gpu, engine.state.gpu.as_ref(), bench.as_ref()),
        engine_runs: (*engine_runs).clone(),
    };
    let plan_id = use_state(|| None::<CallId>);
    {
        let engine = engine.clone();
        let plan_id = plan_id.clone();
        use_effect_with(ask, move |a| {
            plan_id.set(Some(engine.call(Call::Plan(Box::new(a.clone())))))
        });
    }
    #[derive(Default)]
    struct Last {
        id: Option<CallId>,
        view: Option<Rc<PlanView>>,
        bad: Rc<Vec<FieldError>>,
        error: Option<String>,
    }
    let last = use_mut_ref(Last::default);
    let answered = match plan_id.and_then(|i| engine.state.replies.get(&i).map(|r| (i, r))) {
        Some((i, Reply::Plan(a))) => {
            let mut l = last.borrow_mut();
            if l.id != Some(i) {
                l.id = Some(i);
                l.error = None;
                l.bad = Rc::new(Vec::new());
                match &**a {
                    PlanAnswer::Planned(v) => l.view = Some(Rc::new((**v).clone())),
                    PlanAnswer::Invalid(b) => l.bad = Rc::new(b.clone()),
                    PlanAnswer::Failed(e) => l.error = Some(e.clone()),
                }
            }
            true
        }
        _ => false,
    };
    let l = last.borrow();
    let ctx = Ctx {
        engine,
        form,
        lists: (*lists).clone(),
        library: (*library).clone(),
        view: l.view.clone(),
        nav: nav.clone(),
        gpu: (*gpu).clone(),
        bench: (*bench).clone(),
        bench_job,
        bad: l.bad.clone(),
    };
    let lt = fmt::L(tr.clone());
    // Results that no longer match the form (computing, a bad field, an error) are dimmed.
    let stale = !answered || !l.bad.is_empty() || l.error.is_some();
    html! {
        <section class="page planner">
            <PageIntro title={tr.t("planner-title")} lead={tr.t("planner-lead")} />
            <nav class="plan-toc" aria-label={tr.t("planner-toc")}>
                <ul>
                    <li><a href="#plan-inputs-h">{ tr.t("planner-inputs") }</a></li>
                    <li><a href="#plan-fit-h">{ tr.t("planner-fit-title") }</a></li>
                    <li><a href="#plan-speed-h">{ tr.t("planner-speed-title") }</a></li>
                    <li><a href="#plan-cost-h">{ tr.t("planner-cost-title") }</a></li>
                </ul>
            </nav>
            <div class="plan-grid">
                { inputs::inputs(&ctx, &lt) }
                { results::results(&ctx, &lt, l.error.as_deref(), stale) }
            </div>
        </section>
    }
}
