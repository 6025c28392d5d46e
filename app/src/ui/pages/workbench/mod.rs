//! The workbench: open a model (file, folder, URL, catalog), keep it in the library, quantize
//! it with a llama.cpp preset or an edited per-tensor plan, and export the GGUF.
//!
//! The page only orchestrates. Bytes move in the worker (`WbJob`s): the UI hands it `blob:`
//! URLs of picked files or http(s) URLs, reads the library's manifests (small records) to list
//! models, and gets exports back as `blob:` URLs. One long job runs at a time; its progress,
//! outcome and failures are shown here.

mod fmt;
mod library;
mod measure;
mod open;
mod quantize;
mod run;

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::PageIntro;
use crate::library::{Library, Manifest, Pending};
use crate::protocol::workbench::{FailureKind, PlanView, WbFailure, WbJob, WbOutcome};
use crate::protocol::{JobId, JobResult, JobSpec};
use crate::ui::{JobState, StoreHandle, use_engine_ctx, use_tr};

/// What the running job is, for its progress line and for what to do when it ends.
#[derive(Clone, Debug, PartialEq)]
pub enum ActiveKind {
    Download,
    Import,
    Convert,
    Quantize(Rc<PlanView>),
    Export,
    Measure,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Active {
    pub job: JobId,
    pub kind: ActiveKind,
    pub started_ms: f64,
    /// What it works on (a model or file name), for the status line.
    pub label: String,
    /// `blob:` URLs of picked files, revoked when the job ends.
    pub urls: Vec<String>,
}

/// A message about the last job.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Added(String),
    Quantized(String),
    Cancelled,
    Measured(String),
    Exported { url: String, file_name: String },
    Failed(WbFailure),
}

/// The workbench's shared state, provided to its panels.
#[derive(Clone, PartialEq)]
pub struct Wb {
    pub lib: Option<LibHandle>,
    pub models: Rc<Vec<Manifest>>,
    pub pending: Rc<Vec<Pending>>,
    /// Re-reads the library.
    pub refresh: Callback<()>,
    /// The model to quantize.
    pub selected: Option<String>,
    pub select: Callback<Option<String>>,
    pub active: Option<Active>,
    /// Starts a long job: (job, kind, label, blob URLs to revoke after).
    pub start: Callback<(WbJob, ActiveKind, String, Vec<String>)>,
    pub cancel: Callback<()>,
    pub notice: Option<Notice>,
    pub loaded: bool,
}

impl Wb {
    pub fn busy(&self) -> bool {
        self.active.is_some()
    }

    pub fn model(&self, id: &str) -> Option<&Manifest> {
        self.models.iter().find(|m| m.id == id)
    }
}

/// `Library` compared by identity (one per page).
#[derive(Clone)]
pub struct LibHandle(pub Library);

impl PartialEq for LibHandle {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[hook]
pub fn use_wb() -> Wb {
    use_context::<Wb>().expect("Wb is provided by WorkbenchPage")
}

/// Clicks a hidden `<a download>` for an export (the visible link stays as a fallback).
/// The `change` handler of a number input: its value, clamped to `lo..=hi`, goes into `state`;
/// text that does not parse leaves `state` as it was.
pub(super) fn number_input<T>(state: &UseStateHandle<T>, lo: T, hi: T) -> Callback<Event>
where
    T: std::str::FromStr + PartialOrd + Copy + 'static,
{
    let state = state.clone();
    Callback::from(move |e: Event| {
        let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
        if let Ok(v) = input.value().parse::<T>() {
            let v = if v < lo {
                lo
            } else if v > hi {
                hi
            } else {
                v
            };
            state.set(v);
        }
    })
}

fn trigger_download(url: &str, file_name: &str) {
    let doc = gloo::utils::document();
    if let Ok(a) = doc.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(url);
        a.set_download(file_name);
        a.set_hidden(true);
        if let Some(body) = doc.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
}

#[function_component(WorkbenchPage)]
pub fn workbench_page() -> Html {
    let tr = use_tr();
    let engine = use_engine_ctx();
    let store = use_context::<Option<StoreHandle>>().flatten();
    let lib = use_memo((), move |_| {
        store.map(|StoreHandle(s)| LibHandle(Library::from_store(&s)))
    });
    let lib: Option<LibHandle> = (*lib).clone();
    let models = use_state(|| Rc::new(Vec::<Manifest>::new()));
    let pending = use_state(|| Rc::new(Vec::<Pending>::new()));
    let loaded = use_state(|| false);
    let list_error = use_state(|| None::<String>);
    let selected = use_state(|| None::<String>);
    let active = use_state(|| None::<Active>);
    let notice = use_state(|| None::<Notice>);

    let refresh = {
        let (lib, models, pending, loaded, list_error, selected) = (
            lib.clone(),
            models.clone(),
            pending.clone(),
            loaded.clone(),
            list_error.clone(),
            selected.clone(),
        );
        Callback::from(move |_: ()| {
            let Some(LibHandle(lib)) = lib.clone() else {
                loaded.set(true);
                return;
            };
            let (models, pending, loaded, list_error, selected) = (
                models.clone(),
                pending.clone(),
                loaded.clone(),
                list_error.clone(),
                selected.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match (lib.list().await, lib.pending_list().await) {
                    (Ok(m), Ok(p)) => {
                        // Keep the selection if it still exists, else pick the newest source.
                        let keep = selected
                            .as_ref()
                            .is_some_and(|s| m.iter().any(|x| &x.id == s));
                        if !keep {
                            selected.set(
                                m.iter()
                                    .find(|x| !x.is_quantized_here())
                                    .or(m.first())
                                    .map(|x| x.id.clone()),
                            );
                        }
                        models.set(Rc::new(m));
                        pending.set(Rc::new(p));
                        list_error.set(None);
                    }
                    (Err(e), _) | (_, Err(e)) => list_error.set(Some(e.to_string())),
                }
                loaded.set(true);
            });
        })
    };

    // On arrival: list the library and clean up after writes an earlier tab left unfinished.
    {
        let refresh = refresh.clone();
        let engine = engine.clone();
        use_effect_with((), move |_| {
            refresh.emit(());
            engine.start(JobSpec::Workbench(WbJob::CollectGarbage));
        });
    }

    let start = {
        let (engine, active, notice) = (engine.clone(), active.clone(), notice.clone());
        Callback::from(
            move |(job, kind, label, urls): (WbJob, ActiveKind, String, Vec<String>)| {
                notice.set(None);
                let id = engine.start(JobSpec::Workbench(job));
                active.set(Some(Active {
                    job: id,
                    kind,
                    started_ms: js_sys::Date::now(),
                    label,
                    urls,
                }));
            },
        )
    };
    let cancel = {
        let (engine, active) = (engine.clone(), active.clone());
        Callback::from(move |_: ()| {
            if let Some(a) = &*active {
                engine.cancel(a.job);
            }
        })
    };

    // When the running job ends: refresh, chain a conversion, hand over an export, or report.
    let job_state = active
        .as_ref()
        .and_then(|a| engine.state.jobs.get(&a.job).cloned());
    {
        let (active, notice, refresh, start, selected) = (
            active.clone(),
            notice.clone(),
            refresh.clone(),
            start.clone(),
            selected.clone(),
        );
        let models = (*models).clone();
        use_effect_with(job_state, move |st| {
            let Some(a) = (*active).clone() else {
                return;
            };
            let ended = match st {
                None | Some(JobState::Running { .. }) => return,
                Some(s) => s.clone(),
            };
            for u in &a.urls {
                let _ = web_sys::Url::revoke_object_url(u);
            }
            active.set(None);
            match ended {
                JobState::Finished(JobResult::Workbench(o)) => match o {
                    WbOutcome::Model(m) => {
                        if !m.is_quantized_here() {
                            selected.set(Some(m.id.clone()));
                            notice.set(Some(Notice::Added(m.name.clone())));
                        } else {
                            notice.set(Some(Notice::Quantized(m.name.clone())));
                        }
                        refresh.emit(());
                    }
                    WbOutcome::Staged(p) => {
                        refresh.emit(());
                        // Every file is stored: convert them now (the download's second half).
                        let name = p.name.clone();
                        Timeout::new(0, move || {
                            start.emit((
                                WbJob::Convert {
                                    pending: p.id.clone(),
                                },
                                ActiveKind::Convert,
                                name,
                                Vec::new(),
                            ))
                        })
                        .forget();
                    }
                    WbOutcome::Exported { url, file_name, .. } => {
                        trigger_download(&url, &file_name);
                        notice.set(Some(Notice::Exported { url, file_name }));
                    }
                    WbOutcome::Failed(f) => {
                        notice.set(Some(Notice::Failed(f)));
                        refresh.emit(());
                    }
                    WbOutcome::Measured { model, .. } => {
                        let name = models
                            .iter()
                            .find(|m| m.id == model)
                            .map(|m| m.name.clone());
                        notice.set(Some(Notice::Measured(name.unwrap_or(model))));
                        refresh.emit(());
                    }
                    WbOutcome::Planned(_)
                    | WbOutcome::Collected(_)
                    | WbOutcome::Generated { .. } => {}
                },
                JobState::Finished(_) => {}
                JobState::Cancelled => {
                    notice.set(Some(Notice::Cancelled));
                    refresh.emit(());
                }
                JobState::Failed(detail) => notice.set(Some(Notice::Failed(WbFailure {
                    kind: FailureKind::Storage,
                    detail,
                }))),
                JobState::Running { .. } => {}
            }
        });
    }

    let select = {
        let selected = selected.clone();
        Callback::from(move |s: Option<String>| selected.set(s))
    };
    let wb = Wb {
        lib,
        models: (*models).clone(),
        pending: (*pending).clone(),
        refresh,
        selected: (*selected).clone(),
        select,
        active: (*active).clone(),
        start,
        cancel,
        notice: (*notice).clone(),
        loaded: *loaded,
    };
    html! {
        <ContextProvider<Wb> context={wb}>
            <section class="page workbench">
                <PageIntro title={tr.t("workbench-title")} lead={tr.t("workbench-lead")} />
                if let Some(e) = &*list_error {
                    <p class="notice notice-error" role="alert">{ tr.ta("wb-library-error", &[("detail", e.clone().into())]) }</p>
                }
                <library::JobStatus />
                <open::OpenPanel />
                <library::LibraryPanel />
                <quantize::QuantizePanel />
                <library::RunsPanel />
                <measure::MeasurePanel />
                <run::RunPanel />
            </section>
        </ContextProvider<Wb>>
    }
}
