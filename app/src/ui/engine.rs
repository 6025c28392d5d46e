//! The UI's handle on the engine worker: spawns it after the first paint (so it never delays
//! the page), queues requests until it is up, and folds its responses into `EngineState`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use bitsmith_engine::device::{AdapterReport, SelfCheck};
use gloo::worker::{Spawnable, WorkerBridge};
use yew::prelude::*;

use crate::protocol::{Call, CallId, JobId, JobResult, JobSpec, Reply, Request, Response};
use crate::worker::{EngineWorker, PostcardCodec};

/// Where trunk puts the worker's loader shim (see index.html's `data-loader-shim`).
const WORKER_LOADER: &str = "/worker_loader.js";

#[derive(Clone, Debug, PartialEq)]
pub enum JobState {
    Running { done: u64, total: u64 },
    Finished(JobResult),
    Cancelled,
    Failed(String),
}

/// Everything the worker has told the UI so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EngineState {
    pub engine_version: Option<String>,
    pub gpu: Option<Result<AdapterReport, String>>,
    pub gpu_check: Option<Result<SelfCheck, String>>,
    pub jobs: BTreeMap<JobId, JobState>,
    /// Replies to calls, by id (the oldest are dropped past `KEEP_REPLIES`).
    pub replies: BTreeMap<CallId, Reply>,
}

/// How many call replies the UI keeps: enough for every widget on a page.
const KEEP_REPLIES: usize = 256;

impl Reducible for EngineState {
    type Action = Response;

    fn reduce(self: Rc<Self>, msg: Response) -> Rc<Self> {
        let mut s = (*self).clone();
        match msg {
            Response::Hello { engine_version } => s.engine_version = Some(engine_version),
            Response::Gpu(r) => s.gpu = Some(r),
            Response::GpuCheck(r) => s.gpu_check = Some(r),
            Response::Progress { job, done, total } => {
                s.jobs.insert(job, JobState::Running { done, total });
            }
            Response::Finished { job, result } => {
                s.jobs.insert(job, JobState::Finished(result));
            }
            Response::Cancelled { job } => {
                s.jobs.insert(job, JobState::Cancelled);
            }
            Response::Failed { job, message } => {
                s.jobs.insert(job, JobState::Failed(message));
            }
            Response::Reply { call, body } => {
                s.replies.insert(call, body);
                while s.replies.len() > KEEP_REPLIES {
                    s.replies.pop_first();
                }
            }
        }
        Rc::new(s)
    }
}

struct Link {
    bridge: Option<WorkerBridge<EngineWorker>>,
    pending: Vec<Request>,
}

/// Cloneable handle provided as a context.
#[derive(Clone)]
pub struct Engine {
    pub state: UseReducerHandle<EngineState>,
    link: Rc<RefCell<Link>>,
    next_job: Rc<Cell<JobId>>,
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

impl Engine {
    pub fn send(&self, request: Request) {
        let mut link = self.link.borrow_mut();
        match &link.bridge {
            Some(bridge) => bridge.send(request),
            None => link.pending.push(request),
        }
    }

    /// Starts a job and returns its id.
    pub fn start(&self, spec: JobSpec) -> JobId {
        let job = self.next_job.get();
        self.next_job.set(job + 1);
        self.state.dispatch(Response::Progress {
            job,
            done: 0,
            total: 0,
        });
        self.send(Request::Start { job, spec });
        job
    }

    /// Sends a quick call; its reply appears in `state.replies` under the returned id.
    pub fn call(&self, body: Call) -> CallId {
        let call = self.next_job.get();
        self.next_job.set(call + 1);
        self.send(Request::Call { call, body });
        call
    }

    pub fn cancel(&self, job: JobId) {
        self.send(Request::Cancel { job });
    }
}

#[hook]
pub fn use_engine() -> Engine {
    let state = use_reducer(EngineState::default);
    let link = use_mut_ref(|| Link {
        bridge: None,
        pending: vec![Request::Hello],
    });
    let next_job = use_state(|| Rc::new(Cell::new(1)));
    {
        let link = link.clone();
        let dispatch = state.dispatcher();
        // Effects run after the browser has painted: the worker's wasm download and
        // compilation start only once the page is on screen.
        use_effect_with((), move |_| {
            let bridge = EngineWorker::spawner()
                .encoding::<PostcardCodec>()
                .callback(move |resp| dispatch.dispatch(resp))
                .spawn_with_loader(WORKER_LOADER);
            let mut l = link.borrow_mut();
            for r in l.pending.drain(..) {
                bridge.send(r);
            }
            l.bridge = Some(bridge);
        });
    }
    Engine {
        state,
        link,
        next_job: (*next_job).clone(),
    }
}

/// Asks the engine `make(&deps)` whenever `deps` change and returns the latest reply (or `None`
/// while it is being computed). The computation runs in the worker, never on the UI thread.
#[hook]
pub fn use_call<D, F>(deps: D, make: F) -> Option<Reply>
where
    D: PartialEq + Clone + 'static,
    F: Fn(&D) -> Call + 'static,
{
    let engine = use_context::<Engine>().expect("Engine is provided by App");
    let id = use_state(|| None::<CallId>);
    {
        let engine = engine.clone();
        let id = id.clone();
        use_effect_with(deps, move |d| id.set(Some(engine.call(make(d)))));
    }
    id.and_then(|i| engine.state.replies.get(&i).cloned())
}
