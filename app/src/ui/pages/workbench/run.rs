//! Run: chat with, or complete text from, any model in the library, on the CPU or on WebGPU.
//! The text streams in as the worker produces it (one short job per token), with tokens per
//! second, the worker's memory and where it runs shown as it goes.

use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::{fmt, number_input, use_wb};
use crate::protocol::plan::{ENGINE_RUNS_KEPT, ENGINE_RUNS_KEY, EngineRun, RecordedRun};
use crate::protocol::workbench::{GenEnd, RanOn, RunBackend, WbJob, WbOutcome};
use crate::protocol::{JobId, JobResult, JobSpec};
use crate::store::STORE_KV;
use crate::ui::StoreHandle;
use crate::ui::{JobState, use_engine_ctx, use_tr};
use bitsmith_engine::plan::Phase;

/// The generation in progress.
#[derive(Clone, Debug, PartialEq, Default)]
struct Live {
    job: Option<JobId>,
    session: Option<u32>,
    text: String,
    generated: u32,
    prompt_tokens: u32,
    /// When the first token arrived (the rate counts from there: the prompt is not generation).
    first_ms: Option<f64>,
    last_ms: f64,
    /// When the job was sent (the prompt's time runs from here to the first token).
    start_ms: f64,
    /// The library model it runs.
    model: String,
    memory: u64,
    ran_on: Option<RanOn>,
    end: Option<GenEnd>,
    error: Option<String>,
}

impl Live {
    fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Prompt processing speed: the prompt's tokens over the time to the first token.
    fn prompt_rate(&self) -> Option<f64> {
        let secs = (self.first_ms? - self.start_ms) / 1000.0;
        (self.prompt_tokens > 0 && secs > 0.0).then(|| f64::from(self.prompt_tokens) / secs)
    }

    /// What the planner calibrates "this device" with: a finished CPU run of at least 8
    /// generated tokens (shorter ones time mostly the message round trips).
    fn recorded(&self) -> Vec<RecordedRun> {
        if !matches!(self.ran_on, Some(RanOn::Cpu { .. })) || self.generated < 8 {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(r) = self.prompt_rate().filter(|_| self.prompt_tokens >= 16) {
            out.push((Phase::Prefill, u64::from(self.prompt_tokens), r));
        }
        if let Some(r) = self.rate() {
            out.push((Phase::Decode, u64::from(self.generated), r));
        }
        out.into_iter()
            .map(|(phase, tokens, tokens_per_s)| RecordedRun {
                model: self.model.clone(),
                run: EngineRun {
                    phase,
                    tokens,
                    tokens_per_s,
                },
            })
            .collect()
    }

    fn rate(&self) -> Option<f64> {
        let first = self.first_ms?;
        let secs = (self.last_ms - first) / 1000.0;
        (self.generated > 1 && secs > 0.0).then(|| f64::from(self.generated - 1) / secs)
    }
}

/// Appends runs to the recorded ones the planner reads (newest last, the oldest dropped).
fn record(store: Option<StoreHandle>, runs: Vec<RecordedRun>) {
    let Some(StoreHandle(store)) = store else {
        return;
    };
    if runs.is_empty() {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let mut all: Vec<RecordedRun> = store
            .get(STORE_KV, ENGINE_RUNS_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        all.extend(runs);
        let excess = all.len().saturating_sub(ENGINE_RUNS_KEPT);
        all.drain(..excess);
        // A failed write only loses a calibration point; the run itself is unaffected.
        let _ = store.put(STORE_KV, ENGINE_RUNS_KEY, &all).await;
    });
}

#[function_component(RunPanel)]
pub fn run_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let engine = use_engine_ctx();
    let target = use_state(|| None::<String>);
    let chat = use_state(|| true);
    let prompt = use_state(String::new);
    let max_tokens = use_state(|| 64u32);
    let temperature = use_state(|| 0.7f32);
    let backend = use_state(RunBackend::default);
    let history = use_state(Vec::<(String, String)>::new);
    let live = use_state(Live::default);

    let store = use_context::<Option<StoreHandle>>().flatten();
    let job_state = live.job.and_then(|j| engine.state.jobs.get(&j).cloned());
    {
        let (live, engine, history, store) =
            (live.clone(), engine.clone(), history.clone(), store.clone());
        use_effect_with(job_state, move |st| {
            let mut l = (*live).clone();
            match st {
                Some(JobState::Finished(JobResult::Workbench(WbOutcome::Generated {
                    session,
                    text,
                    prompt_tokens,
                    generated,
                    done,
                    memory,
                    ran_on,
                }))) => {
                    let now = js_sys::Date::now();
                    l.session = Some(*session);
                    l.text.push_str(text);
                    l.generated = *generated;
                    l.prompt_tokens = *prompt_tokens;
                    l.memory = *memory;
                    l.ran_on = Some(ran_on.clone());
                    if l.first_ms.is_none() && *generated > 0 {
                        l.first_ms = Some(now);
                    }
                    l.last_ms = now;
                    match done {
                        None => {
                            l.job =
                                Some(engine.start(JobSpec::Workbench(WbJob::GenNext {
                                    session: *session,
                                })));
                        }
                        Some(end) => {
                            l.job = None;
                            l.end = Some(*end);
                            record(store.clone(), l.recorded());
                            let mut h = (*history).clone();
                            h.push(("assistant".into(), l.text.clone()));
                            history.set(h);
                        }
                    }
                }
                Some(JobState::Finished(JobResult::Workbench(WbOutcome::Failed(f)))) => {
                    l.job = None;
                    l.error = Some(f.detail.clone());
                }
                Some(JobState::Failed(m)) => {
                    l.job = None;
                    l.error = Some(m.clone());
                }
                Some(JobState::Cancelled) => {
                    l.job = None;
                    l.end = Some(GenEnd::Stopped);
                    let mut h = (*history).clone();
                    h.push(("assistant".into(), l.text.clone()));
                    history.set(h);
                }
                _ => return,
            }
            live.set(l);
        });
    }
    if wb.models.is_empty() {
        return html! {};
    }
    let chosen = target
        .as_ref()
        .filter(|id| wb.model(id).is_some())
        .cloned()
        .or_else(|| wb.models.first().map(|m| m.id.clone()));
    let on_target = {
        let (target, history, live) = (target.clone(), history.clone(), live.clone());
        Callback::from(move |e: Event| {
            target.set(Some(e.target_unchecked_into::<HtmlSelectElement>().value()));
            history.set(Vec::new());
            live.set(Live::default());
        })
    };
    let mode = |c: bool| {
        let (chat, history) = (chat.clone(), history.clone());
        Callback::from(move |_: Event| {
            chat.set(c);
            history.set(Vec::new());
        })
    };
    let on_prompt = {
        let prompt = prompt.clone();
        Callback::from(move |e: InputEvent| {
            prompt.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_max = number_input(&max_tokens, 1u32, 2048);
    let on_temp = number_input(&temperature, 0.0f32, 2.0);
    let on_backend = |b: RunBackend| {
        let backend = backend.clone();
        Callback::from(move |_: Event| backend.set(b))
    };
    let send = {
        let (engine, chosen, chat, prompt, max_tokens, temperature, backend, history, live) = (
            engine.clone(),
            chosen.clone(),
            *chat,
            prompt.clone(),
            *max_tokens,
            *temperature,
            *backend,
            history.clone(),
            live.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(model) = chosen.clone() else {
                return;
            };
            let model_id = model.clone();
            if prompt.trim().is_empty() || live.running() {
                return;
            }
            let mut h = if chat { (*history).clone() } else { Vec::new() };
            h.push(("user".into(), (*prompt).clone()));
            let job = engine.start(JobSpec::Workbench(WbJob::GenStart {
                model,
                messages: h.clone(),
                chat,
                max_tokens,
                temperature,
                backend,
            }));
            history.set(h);
            prompt.set(String::new());
            live.set(Live {
                job: Some(job),
                last_ms: js_sys::Date::now(),
                start_ms: js_sys::Date::now(),
                model: model_id,
                ..Live::default()
            });
        })
    };
    let stop = {
        let (engine, live) = (engine.clone(), live.clone());
        Callback::from(move |_| {
            if let Some(j) = live.job {
                engine.cancel(j);
            }
        })
    };
    let clear = {
        let (history, live) = (history.clone(), live.clone());
        Callback::from(move |_| {
            history.set(Vec::new());
            live.set(Live::default());
        })
    };

    // The transcript: finished turns, then the answer being written.
    let mut turns: Vec<(String, String)> = (*history).clone();
    if live.running() {
        turns.push(("assistant".into(), live.text.clone()));
    }
    let stats = if live.generated > 0 || live.running() {
        let mut parts = vec![tr.ta(
            "wb-gen-tokens",
            &[
                ("n", live.generated.into()),
                ("prompt", live.prompt_tokens.into()),
            ],
        )];
        if let Some(r) = live.rate() {
            parts.push(tr.ta("wb-gen-rate", &[("rate", format!("{r:.1}").into())]));
        }
        if live.memory > 0 {
            parts.push(tr.ta("wb-gen-memory", &[("mem", fmt::bytes(live.memory).into())]));
        }
        match &live.ran_on {
            // In a worker, the browser may not name the adapter (wgpu reports it unnamed).
            Some(RanOn::Gpu { adapter }) if adapter.is_empty() || adapter == "unnamed adapter" => {
                parts.push(tr.t("wb-gen-on-gpu-unnamed"))
            }
            Some(RanOn::Gpu { adapter }) => {
                parts.push(tr.ta("wb-gen-on-gpu", &[("adapter", adapter.clone().into())]))
            }
            Some(RanOn::Cpu { .. }) => parts.push(tr.t("wb-gen-on-cpu")),
            None => {}
        }
        parts.join(" · ")
    } else {
        String::new()
    };
    let running = live.running();
    html! {
        <section class="panel" aria-labelledby="wb-run-h">
            <h2 id="wb-run-h">{ tr.t("wb-run") }</h2>
            <div class="wb-inline-fields">
                <div class="field">
                    <label for="wb-run-model">{ tr.t("wb-run-model") }</label>
                    <select id="wb-run-model" onchange={on_target} disabled={running}>
                        { for wb.models.iter().map(|m| html! {
                            <option value={m.id.clone()} selected={chosen.as_deref() == Some(m.id.as_str())}>{ &m.name }</option>
                        }) }
                    </select>
                </div>
                <fieldset class="field">
                    <legend>{ tr.t("wb-run-mode") }</legend>
                    <div class="radio">
                        <input type="radio" name="wb-mode" id="wb-mode-chat" checked={*chat} onchange={mode(true)} disabled={running} />
                        <label for="wb-mode-chat">{ tr.t("wb-run-chat") }</label>
                    </div>
                    <div class="radio">
                        <input type="radio" name="wb-mode" id="wb-mode-complete" checked={!*chat} onchange={mode(false)} disabled={running} />
                        <label for="wb-mode-complete">{ tr.t("wb-run-complete") }</label>
                    </div>
                </fieldset>
                <div class="field">
                    <label for="wb-max-tokens">{ tr.t("wb-run-max") }</label>
                    <input id="wb-max-tokens" type="number" min="1" max="2048" value={max_tokens.to_string()} onchange={on_max} />
                </div>
                <div class="field">
                    <label for="wb-temp">{ tr.t("wb-run-temp") }</label>
                    <input id="wb-temp" type="number" min="0" max="2" step="0.1" value={format!("{:.1}", *temperature)} onchange={on_temp} />
                </div>
                <fieldset class="field">
                    <legend>{ tr.t("wb-run-on") }</legend>
                    { for [
                        (RunBackend::Auto, "wb-run-on-auto", "wb-run-on-auto"),
                        (RunBackend::Cpu, "wb-run-on-cpu", "wb-run-on-cpu"),
                        (RunBackend::Gpu, "wb-run-on-gpu", "wb-run-on-gpu"),
                    ].into_iter().map(|(b, id, key)| html! {
                        <div class="radio">
                            <input type="radio" name="wb-run-on" id={id} checked={*backend == b}
                                   onchange={on_backend(b)} disabled={running} />
                            <label for={id}>{ tr.t(key) }</label>
                        </div>
                    }) }
                </fieldset>
            </div>
            <ol class="wb-transcript" data-testid="wb-transcript" aria-label={tr.t("wb-run-transcript")}>
                { for turns.iter().map(|(role, text)| html! {
                    <li class={classes!("wb-turn", format!("wb-turn-{role}"))}>
                        <span class="wb-role">{ tr.t(if role == "user" { "wb-run-you" } else { "wb-run-model-says" }) }</span>
                        <span class="wb-text" data-testid={(role != "user").then_some("wb-answer")}>{ text }</span>
                    </li>
                }) }
            </ol>
            <p class="wb-progress-text" data-testid="wb-gen-stats">{ stats }</p>
            { match &live.ran_on {
                Some(RanOn::Cpu { why_not_gpu: Some(why) }) => html! {
                    <p class="wb-sub" data-testid="wb-gen-why-cpu">
                        { tr.ta(why.label_key(), &[("detail", why.detail().to_string().into())]) }
                    </p>
                },
                _ => html! {},
            } }
            <p role="status" class="status-line" data-testid="wb-gen-status">
                { match (&live.error, live.end, running) {
                    (Some(e), _, _) => tr.ta("wb-gen-error", &[("detail", e.clone().into())]),
                    (None, Some(end), false) => tr.t(end.label_key()),
                    _ => String::new(),
                } }
            </p>
            <form class="wb-run-form" onsubmit={send}>
                <div class="field">
                    <label for="wb-prompt">{ tr.t(if *chat { "wb-run-message" } else { "wb-run-prompt" }) }</label>
                    <textarea id="wb-prompt" rows="3" value={(*prompt).clone()} oninput={on_prompt} />
                </div>
                <div class="button-row">
                    <button type="submit" class="button primary" disabled={running || prompt.trim().is_empty()}
                            data-testid="wb-send">{ tr.t("wb-run-send") }</button>
                    <button type="button" class="button" onclick={stop} disabled={!running}>{ tr.t("wb-run-stop") }</button>
                    <button type="button" class="button" onclick={clear} disabled={running || history.is_empty()}>{ tr.t("wb-run-clear") }</button>
                </div>
            </form>
        </section>
    }
}
