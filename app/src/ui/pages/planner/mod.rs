//! The planner: will this model fit on this device, how fast will it run, what will it cost.
//!
//! The page only renders. Every number comes from the worker (`Call::Plan`, the engine's
//! `plan` module); "this device" is what the browser reports plus the worker's micro-benchmark
//! (`JobSpec::DeviceBench`). The state lives in the URL query (`state::PlanState`), replaced on
//! every change, so a link reproduces the plan.

mod fmt;
mod inputs;
mod results;
mod state;

use std::rc::Rc;

use bitsmith_engine::device::AdapterReport;
use bitsmith_engine::plan::BrowserProbe;
use wasm_bindgen::JsValue;
use yew::prelude::*;
use yew_router::prelude::*;

use super::PageIntro;
use crate::protocol::plan::{DeviceBenchResult, PlanLists, PlanView};
use crate::protocol::{Call, CallId, Reply, Request};
use crate::store::STORE_KV;
use crate::ui::{Route, StoreHandle, use_engine_ctx, use_tr};
use state::{Edit, PlanState, THIS_DEVICE};

/// Where the last "this device" measurement is kept (IndexedDB, key-value store): it describes
/// this machine, so it stays here rather than travelling in shared links.
const BENCH_KEY: &str = "planner-device-bench";

/// What the browser says about the machine, read once.
#[derive(Clone, Debug, PartialEq)]
pub struct NavInfo {
    pub device_memory_gib: Option<f64>,
    pub cores: Option<u32>,
    pub mobile: bool,
}

impl NavInfo {
    fn read() -> NavInfo {
        let nav = gloo::utils::window().navigator();
        let prop = |obj: &JsValue, k: &str| js_sys::Reflect::get(obj, &JsValue::from_str(k)).ok();
        let nav_js: &JsValue = nav.as_ref();
        NavInfo {
            // `navigator.deviceMemory` is Chromium-only; elsewhere it is undefined.
            device_memory_gib: prop(nav_js, "deviceMemory").and_then(|v| v.as_f64()),
            cores: Some(nav.hardware_concurrency() as u32).filter(|&c| c > 0),
            mobile: prop(nav_js, "userAgentData")
                .and_then(|d| prop(&d, "mobile"))
                .and_then(|m| m.as_bool())
                .unwrap_or(false),
        }
    }
}

/// The WebGPU adapter as the page sees it (`navigator.gpu.requestAdapter()`): its identity and
/// limits. The worker's own adapter report (`EngineState::gpu`) says whether the engine could
/// open it; wgpu does not pass the browser's adapter info through, so the name comes from here.
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
    let get = |obj: &JsValue, k: &str| {
        js_sys::Reflect::get(obj, &JsValue::from_str(k))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
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

/// Everything the inputs and results need from the page.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub state: UseReducerHandle<PlanState>,
    pub lists: Option<Rc<PlanLists>>,
    pub view: Option<Rc<PlanView>>,
    pub nav: NavInfo,
    pub gpu: GpuProbe,
    pub bench: Option<DeviceBenchResult>,
    pub set_bench: Callback<DeviceBenchResult>,
    /// Field ids that do not parse, with the Fluent key of the reason.
    pub bad: Rc<Vec<(&'static str, &'static str)>>,
}

impl Ctx {
    /// A callback that applies `f` with the emitted value to the latest state.
    pub fn edit<T: Clone + 'static>(&self, f: impl Fn(&mut PlanState, T) + 'static) -> Callback<T> {
        let state = self.state.clone();
        let f = Rc::new(f);
        Callback::from(move |v: T| {
            let f = f.clone();
            state.dispatch(Edit(Rc::new(move |s: &mut PlanState| f(s, v.clone()))));
        })
    }

    pub fn error_for(&self, id: &str) -> Option<&'static str> {
        self.bad.iter().find(|(f, _)| *f == id).map(|(_, k)| *k)
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

#[function_component(PlannerPage)]
pub fn planner_page() -> Html {
    let tr = use_tr();
    let engine = use_engine_ctx();
    let location = use_location();
    let navigator = use_navigator();
    let store = use_context::<Option<StoreHandle>>().flatten();
    let state = use_reducer(|| {
        let pairs: Vec<(String, String)> = location
            .as_ref()
            .and_then(|l| l.query::<Vec<(String, String)>>().ok())
            .unwrap_or_default();
        PlanState::from_pairs(&pairs)
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
    let set_bench = {
        let bench = bench.clone();
        Callback::from(move |b: DeviceBenchResult| {
            bench.set(Some(b.clone()));
            if let Some(StoreHandle(store)) = store.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    // Losing the saved measurement only means measuring again.
                    let _ = store.put(STORE_KV, BENCH_KEY, &b).await;
                });
            }
        })
    };

    // "This device" needs the WebGPU adapter: the page reads its identity and limits, the
    // worker reports whether the engine can open it. Asked once it is picked.
    let this_device = state.device == THIS_DEVICE;
    let gpu = use_state(|| GpuProbe::Pending);
    {
        let engine = engine.clone();
        let asked = engine.state.gpu.is_some();
        let gpu = gpu.clone();
        use_effect_with(this_device, move |&this| {
            if this && *gpu == GpuProbe::Pending {
                wasm_bindgen_futures::spawn_local(async move { gpu.set(probe_gpu().await) });
            }
            if this && !asked {
                engine.send(Request::DetectGpu);
            }
        });
    }

    // The state goes to the URL (replaceState: the back button is not flooded).
    {
        let navigator = navigator.clone();
        use_effect_with((*state).clone(), move |s| {
            if let Some(n) = navigator {
                let _ = n.replace_with_query(&Route::Planner, s.to_pairs());
            }
        });
    }

    // Pickers.
    let lists_id = use_state(|| None::<CallId>);
    {
        let engine = engine.clone();
        let lists_id = lists_id.clone();
        use_effect_with((), move |_| {
            lists_id.set(Some(engine.call(Call::PlanLists)))
        });
    }
    let lists = lists_id.and_then(|i| match engine.state.replies.get(&i) {
        Some(Reply::PlanLists(l)) => Some(Rc::new(l.clone())),
        _ => None,
    });

    // The plan: asked whenever the input changes; the last answer stays on screen while the
    // next is computed.
    let probe = probe(&nav, &gpu, engine.state.gpu.as_ref(), bench.as_ref());
    let input = state.to_input(&probe);
    let bad = Rc::new(input.as_ref().err().cloned().unwrap_or_default());
    let plan_id = use_state(|| None::<CallId>);
    {
        let engine = engine.clone();
        let plan_id = plan_id.clone();
        use_effect_with(input.clone().ok(), move |i| {
            if let Some(i) = i {
                plan_id.set(Some(engine.call(Call::Plan(Box::new(i.clone())))));
            }
        });
    }
    let last = use_mut_ref(|| None::<Rc<PlanView>>);
    let reply = plan_id.and_then(|i| engine.state.replies.get(&i).cloned());
    let error = match &reply {
        Some(Reply::Plan(v)) => {
            let v = Rc::new((**v).clone());
            *last.borrow_mut() = Some(v);
            None
        }
        Some(Reply::Error(e)) => Some(e.clone()),
        _ => None,
    };
    let pending = input.is_ok() && reply.is_none();
    let view = last.borrow().clone();

    let ctx = Ctx {
        state,
        lists,
        view,
        nav: (*nav).clone(),
        gpu: (*gpu).clone(),
        bench: (*bench).clone(),
        set_bench,
        bad,
    };
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
                <inputs::Inputs ctx={ctx.clone()} />
                <results::Results ctx={ctx} {error} {pending} />
            </div>
        </section>
    }
}
