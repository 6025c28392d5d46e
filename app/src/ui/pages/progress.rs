//! The progress dashboard: lessons completed, streak, mastery per skill (chart and table), quiz
//! items due for spaced review with a review session, what to learn next, and export/import of
//! the whole record as a file.

use std::collections::BTreeMap;
use std::rc::Rc;

use bitsmith_curriculum::{Catalog, LessonBundle};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::PageIntro;
use super::learn::chart::{Bar, BarProps, TableProps, bar_chart};
use super::learn::data::{self, ProgressHandle, content_lang, now_ms, today, tz_offset};
use super::learn::quiz::QuizItemView;
use super::learn::{LoadProblem, SkillMeters, reason_key};
use crate::learn::text::plain_text;
use crate::learn::transfer::{ExportFile, FORMAT, ImportError, MAX_FILE_BYTES};
use crate::learn::{MASTERY_M, MASTERY_N, Progress, lesson_of};
use crate::ui::{Route, use_tr};

#[function_component(ProgressPage)]
pub fn progress_page() -> Html {
    let tr = use_tr();
    let catalog = data::use_catalog();
    let progress = data::use_progress();
    let body = match &catalog {
        None => html! { <p class="loading" role="status">{ tr.t("learn-loading") }</p> },
        Some(Err(e)) => html! { <LoadProblem error={e.clone()} /> },
        Some(Ok(c)) if progress.loaded => {
            html! { <Dashboard catalog={c.clone()} progress={progress.clone()} /> }
        }
        Some(Ok(_)) => html! { <p class="loading" role="status">{ tr.t("learn-loading") }</p> },
    };
    html! {
        <section class="page progress-page">
            <PageIntro title={tr.t("progress-title")} lead={tr.t("progress-lead")} />
            if let Some(e) = &progress.error {
                <p class="notice notice-error" role="alert">{ tr.ta("progress-storage-error", &[("detail", e.clone().into())]) }</p>
            }
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct DashProps {
    catalog: Rc<Catalog>,
    progress: ProgressHandle,
}

#[function_component(Dashboard)]
fn dashboard(p: &DashProps) -> Html {
    let tr = use_tr();
    let cat = &p.catalog;
    let now = now_ms();
    let pr = p.progress.get();
    let done = cat
        .lessons
        .iter()
        .filter(|l| pr.is_completed(&l.id))
        .count();
    let mastery = pr.mastery(cat);
    let mastered = mastery.iter().filter(|m| m.mastered).count();
    let due = pr.due(now).len();
    let day = today();
    let lang: Option<AttrValue> = (cat.lang != tr.locale.code).then(|| cat.lang.clone().into());
    let recs = pr.recommend(cat, 3);
    html! {
        <>
            <dl class="stats" data-testid="progress-stats">
                <div><dt>{ tr.t("progress-lessons") }</dt><dd data-testid="stat-lessons">{ tr.ta("progress-of", &[("n", done.into()), ("total", cat.lessons.len().into())]) }</dd></div>
                <div><dt>{ tr.t("progress-streak") }</dt><dd data-testid="stat-streak">{ tr.ta("progress-days", &[("days", pr.current_streak(day).into())]) }</dd></div>
                <div><dt>{ tr.t("progress-longest") }</dt><dd>{ tr.ta("progress-days", &[("days", pr.longest_streak().into())]) }</dd></div>
                <div><dt>{ tr.t("progress-skills") }</dt><dd data-testid="stat-skills">{ tr.ta("progress-of", &[("n", mastered.into()), ("total", mastery.len().into())]) }</dd></div>
                <div><dt>{ tr.t("progress-due") }</dt><dd data-testid="stat-due">{ due }</dd></div>
            </dl>

            <section class="panel" aria-labelledby="next-h">
                <h2 id="next-h">{ tr.t("progress-next") }</h2>
                if recs.is_empty() {
                    <p>{ tr.t("progress-next-none") }</p>
                } else {
                    <ol class="recommendations" data-testid="recommendations">
                        { for recs.iter().filter_map(|r| cat.lesson(&r.lesson).map(|l| (r, l))).map(|(r, l)| html! {
                            <li>
                                <Link<Route> to={Route::Lesson { id: l.id.clone() }}><span lang={lang.clone()}>{ &l.title }</span></Link<Route>>
                                <span class="reason">{ tr.t(reason_key(r.reason)) }</span>
                            </li>
                        }) }
                    </ol>
                }
            </section>

            <Review catalog={cat.clone()} progress={p.progress.clone()} />

            <section class="panel" aria-labelledby="mastery-h">
                <h2 id="mastery-h">{ tr.t("progress-mastery") }</h2>
                <p>{ tr.ta("progress-mastery-rule", &[("m", MASTERY_M.into()), ("n", MASTERY_N.into())]) }</p>
                { bar_chart(&tr, BarProps { caption: tr.t("progress-mastery-caption"), alt: tr.t("progress-mastery-alt"), series: vec![tr.t("progress-right-answers")], max: Some(MASTERY_M as f64), bars: mastery.iter().map(|m| Bar { label: m.title.clone(), values: vec![m.right.min(MASTERY_M) as f64] }).collect::<Vec<_>>(), notes: mastery.iter().map(|m| if m.mastered { "✓".to_string() } else { format!("{}/{}", m.right, MASTERY_M) }).collect::<Vec<_>>(), table: TableProps {
                        headers: vec![tr.t("progress-skill"), tr.t("progress-right-answers"), tr.t("progress-answers"), tr.t("progress-mastered")],
                        rows: mastery.iter().map(|m| vec![
                            m.title.clone(),
                            tr.ta("progress-of", &[("n", m.right.into()), ("total", m.window.into())]),
                            m.attempts.to_string(),
                            tr.t(if m.mastered { "progress-yes" } else { "progress-no" }),
                        ]).collect(),
                    } }) }
                <details>
                    <summary>{ tr.t("progress-skill-details") }</summary>
                    <SkillMeters catalog={cat.clone()} progress={p.progress.clone()} />
                </details>
            </section>

            <Transfer progress={p.progress.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ReviewProps {
    catalog: Rc<Catalog>,
    progress: ProgressHandle,
}

/// The review queue (quiz items whose FSRS due time has passed) and a session through it.
#[function_component(Review)]
fn review(p: &ReviewProps) -> Html {
    let tr = use_tr();
    let lang = content_lang(tr.locale.code);
    let now = now_ms();
    let due: Vec<String> = p
        .progress
        .get()
        .due(now)
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    let next_due = p.progress.get().next_due(now);
    // Bundles of the lessons with due items, for their prompts.
    let bundles = use_state(BTreeMap::<String, Rc<LessonBundle>>::new);
    let lessons: Vec<String> = {
        let mut v: Vec<String> = due.iter().map(|i| lesson_of(i).to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    {
        let bundles = bundles.clone();
        use_effect_with(lessons.clone(), move |lessons| {
            let lessons = lessons.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut map = (*bundles).clone();
                for l in lessons {
                    if !map.contains_key(&l)
                        && let Ok(b) = data::lesson(lang, &l).await
                    {
                        map.insert(l, b);
                    }
                }
                bundles.set(map);
            });
        });
    }
    // The session works on the queue as it was when it started.
    let session = use_state(|| None::<Vec<String>>);
    let pos = use_state(|| 0usize);
    let answered = use_state(|| false);
    let right = use_state(|| 0usize);
    let start = {
        let (session, pos, answered, right, due) = (
            session.clone(),
            pos.clone(),
            answered.clone(),
            right.clone(),
            due.clone(),
        );
        Callback::from(move |_| {
            pos.set(0);
            answered.set(false);
            right.set(0);
            session.set(Some(due.clone()));
        })
    };
    let cat = &p.catalog;
    let clang: Option<AttrValue> = (cat.lang != tr.locale.code).then(|| cat.lang.clone().into());
    let prompt = |item: &str| -> Option<String> {
        bundles
            .get(lesson_of(item))
            .and_then(|b| b.quiz_item(item))
            .map(|q| plain_text(&q.prompt_html))
    };
    let session_view = match &*session {
        None => html! {},
        Some(items) if *pos >= items.len() => html! {
            <div class="review-done">
                <p>{ tr.ta("review-done", &[("right", (*right).into()), ("total", items.len().into())]) }</p>
                <button type="button" class="button" onclick={{ let s = session.clone(); Callback::from(move |_| s.set(None)) }}>{ tr.t("review-close") }</button>
            </div>
        },
        Some(items) => {
            let id = items[*pos].clone();
            let lesson = lesson_of(&id).to_string();
            let item = bundles.get(&lesson).and_then(|b| b.quiz_item(&id)).cloned();
            let lesson_items = cat
                .lesson(&lesson)
                .map(|l| l.quiz_items.clone())
                .unwrap_or_default();
            let on_answer = {
                let (progress, answered, right) =
                    (p.progress.clone(), answered.clone(), right.clone());
                Callback::from(move |(item, ok): (String, bool)| {
                    let now = now_ms();
                    progress
                        .update(|p| p.answer(&item, ok, true, now, tz_offset(now), &lesson_items));
                    if !*answered && ok {
                        right.set(*right + 1);
                    }
                    answered.set(true);
                })
            };
            let next = {
                let (pos, answered) = (pos.clone(), answered.clone());
                Callback::from(move |_| {
                    answered.set(false);
                    pos.set(*pos + 1);
                })
            };
            html! {
                <div class="review-session" data-testid="review-session">
                    <p class="eyebrow">{ tr.ta("review-position", &[("n", (*pos + 1).into()), ("total", items.len().into())]) }
                        { " · " }<span lang={clang.clone()}>{ cat.lesson(&lesson).map(|l| l.title.clone()).unwrap_or_default() }</span></p>
                    { match item {
                        Some(item) => html! {
                            <QuizItemView key={id.clone()} item={item} lang={clang.clone()} on_answer={on_answer}
                                heading={tr.t("review-question")} />
                        },
                        None => html! { <p role="status">{ tr.t("learn-loading") }</p> },
                    } }
                    <div class="button-row">
                        <button type="button" class="button primary" onclick={next} disabled={!*answered}>{ tr.t("review-next") }</button>
                    </div>
                </div>
            }
        }
    };
    html! {
        <section class="panel" aria-labelledby="review-h">
            <h2 id="review-h">{ tr.t("review-title") }</h2>
            <p>{ tr.t("review-why") }</p>
            if due.is_empty() {
                <p data-testid="review-empty">{ match next_due {
                    Some(t) => tr.ta("review-none-until", &[("when", date_time(t, tr.locale.code).into())]),
                    None => tr.t("review-none"),
                } }</p>
            } else {
                <p>{ tr.ta("review-due", &[("count", due.len().into())]) }</p>
                <ul class="review-queue" data-testid="review-queue">
                    { for due.iter().map(|i| html! {
                        <li data-item={i.clone()}>
                            <span lang={clang.clone()}>{ cat.lesson(lesson_of(i)).map(|l| l.title.clone()).unwrap_or_else(|| lesson_of(i).to_string()) }</span>
                            if let Some(t) = prompt(i) { { ": " }<span class="prompt" lang={clang.clone()}>{ t }</span> }
                        </li>
                    }) }
                </ul>
                if session.is_none() {
                    <button type="button" class="button primary" onclick={start}>{ tr.t("review-start") }</button>
                }
            }
            { session_view }
        </section>
    }
}

/// A local date and time for people (the browser's locale formatting).
fn date_time(ms: i64, locale: &str) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_locale_string(locale, &JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

fn export(progress: &Progress) -> Result<(), JsValue> {
    let now = now_ms();
    let file = ExportFile::new(progress.clone(), now);
    let value = file
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let text =
        js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(1))?;
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&text), &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let doc = gloo::utils::document();
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.unchecked_into();
    let date: String = js_sys::Date::new(&JsValue::from_f64(now as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect();
    a.set_href(&url);
    a.set_download(&format!("bitsmith-progress-{date}.json"));
    a.set_hidden(true);
    doc.body().ok_or("no body")?.append_child(&a)?;
    a.click();
    a.remove();
    // Revoke after the download has started.
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

async fn read_import(file: web_sys::File) -> Result<Progress, ImportError> {
    if file.size() > MAX_FILE_BYTES as f64 {
        return Err(ImportError::TooLarge);
    }
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| ImportError::NotJson(format!("{e:?}")))?
        .as_string()
        .unwrap_or_default();
    let value = js_sys::JSON::parse(&text).map_err(|e| {
        ImportError::NotJson(
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_default(),
        )
    })?;
    let format = js_sys::Reflect::get(&value, &JsValue::from_str("format"))
        .ok()
        .and_then(|f| f.as_string());
    if format.as_deref() != Some(FORMAT) {
        return Err(ImportError::NotBitsmith);
    }
    let file: ExportFile =
        serde_wasm_bindgen::from_value(value).map_err(|e| ImportError::Invalid(e.to_string()))?;
    file.validate()
}

#[derive(Properties, PartialEq)]
struct TransferProps {
    progress: ProgressHandle,
}

#[derive(Clone, PartialEq)]
enum Outcome {
    Exported,
    Imported { answers: usize, lessons: usize },
    Failed(String),
}

#[function_component(Transfer)]
fn transfer(p: &TransferProps) -> Html {
    let tr = use_tr();
    let outcome = use_state(|| None::<Outcome>);
    let on_export = {
        let (progress, outcome) = (p.progress.clone(), outcome.clone());
        Callback::from(move |_| {
            let r = export(&progress.get());
            outcome.set(Some(match r {
                Ok(()) => Outcome::Exported,
                Err(e) => Outcome::Failed(format!("{e:?}")),
            }));
        })
    };
    let on_import = {
        let (progress, outcome, tr) = (p.progress.clone(), outcome.clone(), tr.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (progress, outcome, tr) = (progress.clone(), outcome.clone(), tr.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match read_import(file).await {
                    Ok(imported) => {
                        let (answers, lessons) =
                            (imported.attempts.len(), imported.completed.len());
                        progress.update(|p| p.merge(imported));
                        outcome.set(Some(Outcome::Imported { answers, lessons }));
                    }
                    Err(e) => {
                        let msg = match e {
                            ImportError::TooLarge => tr.t("transfer-error-large"),
                            ImportError::NotJson(_) => tr.t("transfer-error-json"),
                            ImportError::NotBitsmith => tr.t("transfer-error-format"),
                            ImportError::TooNew { .. } => tr.t("transfer-error-new"),
                            ImportError::Invalid(d) => {
                                tr.ta("transfer-error-invalid", &[("detail", d.into())])
                            }
                        };
                        outcome.set(Some(Outcome::Failed(msg)));
                    }
                }
            });
        })
    };
    let (ok, err) = match &*outcome {
        Some(Outcome::Exported) => (tr.t("transfer-exported"), None),
        Some(Outcome::Imported { answers, lessons }) => (
            tr.ta(
                "transfer-imported",
                &[
                    ("answers", (*answers).into()),
                    ("lessons", (*lessons).into()),
                ],
            ),
            None,
        ),
        Some(Outcome::Failed(m)) => (String::new(), Some(m.clone())),
        None => (String::new(), None),
    };
    html! {
        <section class="panel" aria-labelledby="transfer-h">
            <h2 id="transfer-h">{ tr.t("transfer-title") }</h2>
            <p>{ tr.t("transfer-why") }</p>
            <div class="button-row">
                <button type="button" class="button" onclick={on_export} data-testid="export">{ tr.t("transfer-export") }</button>
            </div>
            <div class="field">
                <label for="import-file">{ tr.t("transfer-import") }</label>
                <input type="file" id="import-file" accept=".json,application/json" onchange={on_import} />
            </div>
            <p role="status" class="status-line" data-testid="transfer-status">{ ok }</p>
            <div role="alert" data-testid="transfer-error">
                if let Some(e) = err { <p class="notice notice-error">{ e }</p> }
            </div>
        </section>
    }
}
