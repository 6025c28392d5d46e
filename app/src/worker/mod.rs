//! The engine worker: runs in a dedicated Web Worker, never on the UI thread. It answers
//! `protocol::Request`s with `protocol::Response`s, runs long jobs in steps and yields to its
//! event loop between steps so `Cancel` is read promptly.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use bitsmith_engine::GgmlType;
use bitsmith_gpu::Gpu;
use gloo::worker::{Codec, HandlerId, Worker, WorkerScope};
use js_sys::Uint8Array;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::{Call, JobId, JobResult, JobSpec, Reply, Request, Response};

mod learn;

mod plan;
mod workbench;

/// Worker messages travel as postcard bytes in a `Uint8Array`.
pub struct PostcardCodec;

impl Codec for PostcardCodec {
    fn encode<I: Serialize>(input: I) -> JsValue {
        Uint8Array::from(crate::protocol::encode(&input).as_slice()).into()
    }

    fn decode<O: for<'de> Deserialize<'de>>(input: JsValue) -> O {
        let bytes = Uint8Array::new(&input).to_vec();
        // Both ends are built from the same protocol module in one build; a decode failure is
        // a build mismatch (a stale cached worker), which the service worker's versioning prevents.
        crate::protocol::decode(&bytes).expect("worker message from a matching build")
    }
}

pub enum Msg {
    JobEnded(JobId),
}

thread_local! {
    /// The GPU, opened once on first use (or the reason there is none), for the worker's
    /// lifetime: shared by the Settings check, the planner's benchmark and generation.
    static GPU: RefCell<Option<Result<Rc<Gpu>, String>>> = const { RefCell::new(None) };
}

pub struct EngineWorker {
    cancels: HashMap<JobId, Rc<Cell<bool>>>,
}

impl Worker for EngineWorker {
    type Message = Msg;
    type Input = Request;
    type Output = Response;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        EngineWorker {
            cancels: HashMap::new(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, msg: Msg) {
        match msg {
            Msg::JobEnded(job) => {
                self.cancels.remove(&job);
            }
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, id: HandlerId) {
        match msg {
            Request::Hello => scope.respond(
                id,
                Response::Hello {
                    engine_version: env!("CARGO_PKG_VERSION").to_string(),
                },
            ),
            Request::DetectGpu => {
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let report = shared_gpu().await.map(|g| g.report.clone());
                    scope.respond(id, Response::Gpu(report));
                });
            }
            Request::GpuSelfCheck => {
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = match shared_gpu().await {
                        Ok(g) => bitsmith_gpu::rms_norm_self_check(&g)
                            .await
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e),
                    };
                    scope.respond(id, Response::GpuCheck(result));
                });
            }
            Request::Start { job, spec } => {
                let cancel = Rc::new(Cell::new(false));
                self.cancels.insert(job, cancel.clone());
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let end = run_job(&scope, id, job, spec, &cancel).await;
                    scope.respond(id, end);
                    scope.send_message(Msg::JobEnded(job));
                });
            }
            Request::Cancel { job } => {
                if let Some(flag) = self.cancels.get(&job) {
                    flag.set(true);
                }
            }
            // Lesson widgets may first fetch their weights, so they answer asynchronously.
            Request::Call {
                call,
                body: Call::Learn(c),
            } => learn::respond(scope, id, call, *c),
            // A plan of a library model reads the model's header from IndexedDB first.
            Request::Call {
                call,
                body: Call::Plan(ask),
            } if ask.form.src == crate::protocol::plan::Src::Library => {
                let scope = scope.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let body = plan::answer_library(&ask).await;
                    scope.respond(id, Response::Reply { call, body });
                });
            }
            Request::Call { call, body } => {
                scope.respond(
                    id,
                    Response::Reply {
                        call,
                        body: answer(body),
                    },
                );
            }
        }
    }
}

/// Answers a quick call. Each area's handler lives in its own module.
fn answer(body: Call) -> Reply {
    match body {
        Call::Echo(s) => Reply::Echo(s),
        Call::Learn(_) => Reply::Error("lesson calls are answered by worker::learn".into()),
        Call::PlanLists => plan::lists(),
        Call::Plan(input) => plan::answer(&input),
    }
}

/// Opens the GPU once and keeps it (or the reason there is none) for the worker's lifetime.
pub(crate) async fn shared_gpu() -> Result<Rc<Gpu>, String> {
    if let Some(known) = GPU.with(|g| g.borrow().clone()) {
        return known;
    }
    let opened = Gpu::open().await.map(Rc::new).map_err(|e| e.to_string());
    GPU.with(|g| *g.borrow_mut() = Some(opened.clone()));
    opened
}

fn now_ms() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|g| g.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Lets the worker's event loop run (and deliver a `Cancel`) between job steps.
async fn yield_now() {
    gloo::timers::future::TimeoutFuture::new(0).await;
}

/// Work done per step before yielding: long enough to amortise the yield, short enough that a
/// cancel is honoured within a frame or two.
const STEP_BUDGET_MS: f64 = 30.0;

async fn run_job(
    scope: &WorkerScope<EngineWorker>,
    id: HandlerId,
    job: JobId,
    spec: JobSpec,
    cancel: &Cell<bool>,
) -> Response {
    match spec {
        JobSpec::QuantBench { ty, rows, cols } => {
            match quant_bench(scope, id, job, ty, rows, cols, cancel).await {
                Ok(Some(result)) => Response::Finished { job, result },
                Ok(None) => Response::Cancelled { job },
                Err(message) => Response::Failed { job, message },
            }
        }
        spec @ JobSpec::DeviceBench { .. } => plan::run_bench(scope, id, job, spec, cancel).await,
        JobSpec::Workbench(w) => workbench::run(scope, id, job, w, cancel).await,
    }
}

async fn quant_bench(
    scope: &WorkerScope<EngineWorker>,
    id: HandlerId,
    job: JobId,
    ty: GgmlType,
    rows: u32,
    cols: u32,
    cancel: &Cell<bool>,
) -> Result<Option<JobResult>, String> {
    let cols = cols as usize;
    let row_bytes = ty
        .row_bytes(cols)
        .ok_or_else(|| format!("{ty} needs rows that are a multiple of {}", ty.block_size()))?;
    let src = bitsmith_gpu::test_signal(cols * 4, 3);
    let mut dst = vec![0u8; row_bytes];
    let mut back = vec![0f32; cols];
    let (mut err_sq, mut busy_ms) = (0f64, 0f64);
    let mut done = 0u32;
    while done < rows {
        if cancel.get() {
            return Ok(None);
        }
        let step_start = now_ms();
        while done < rows && now_ms() - step_start < STEP_BUDGET_MS {
            let row = &src[(done as usize % 4) * cols..][..cols];
            bitsmith_engine::quant::quantize_row(ty, row, &mut dst, None)
                .map_err(|e| e.to_string())?;
            bitsmith_engine::quant::dequantize_row(ty, &dst, &mut back)
                .map_err(|e| e.to_string())?;
            err_sq += row
                .iter()
                .zip(&back)
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum::<f64>();
            done += 1;
        }
        busy_ms += now_ms() - step_start;
        scope.respond(
            id,
            Response::Progress {
                job,
                done: u64::from(done),
                total: u64::from(rows),
            },
        );
        yield_now().await;
    }
    let values = u64::from(rows) * cols as u64;
    Ok(Some(JobResult::QuantBench {
        ty,
        values,
        bytes_out: u64::from(rows) * row_bytes as u64,
        millis: busy_ms,
        rmse: (err_sq / values.max(1) as f64).sqrt() as f32,
    }))
}
