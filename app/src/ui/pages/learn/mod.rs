//! The Learn page (the catalog of tracks and lessons, and offline search) and the lesson page.

pub mod chart;
pub mod data;
mod lesson;
pub mod quiz;
mod readaloud;
mod widgets;

use std::rc::Rc;

use bitsmith_curriculum::{Catalog, SearchIndex};
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::PageIntro;
use crate::learn::MASTERY_M;
use crate::ui::{Route, use_tr};
use data::{LoadError, ProgressHandle, content_lang};
pub use lesson::{LessonPage, level_key, use_content_hash};

/// The Fluent key explaining a recommendation.
pub fn reason_key(r: crate::learn::Reason) -> &'static str {
    match r {
        crate::learn::Reason::Continue => "progress-reason-continue",
        crate::learn::Reason::Strengthen => "progress-reason-strengthen",
        crate::learn::Reason::Ready => "progress-reason-ready",
    }
}

#[derive(Properties, PartialEq)]
pub struct LoadProblemProps {
    pub error: LoadError,
}

/// Why lessons cannot be shown, in words, with a way to retry.
#[function_component(LoadProblem)]
pub fn load_problem(p: &LoadProblemProps) -> Html {
    let tr = use_tr();
    let (key, detail) = match &p.error {
        LoadError::Network(d) => ("learn-error-network", d.clone()),
        LoadError::Decode(d) => ("learn-error-decode", d.clone()),
        LoadError::NotFound => ("learn-error-not-found", String::new()),
    };
    let reload = Callback::from(|_| {
        let _ = gloo::utils::window().location().reload();
    });
    html! {
        <div class="notice notice-error" role="alert">
            <p>{ tr.t(key) }</p>
            if !detail.is_empty() { <p class="detail">{ detail }</p> }
            if p.error != LoadError::NotFound {
                <button type="button" class="button" onclick={reload}>{ tr.t("learn-retry") }</button>
            } else {
                <Link<Route> to={Route::Learn}>{ tr.t("learn-all-lessons") }</Link<Route>>
            }
        </div>
    }
}

#[function_component(LearnPage)]
pub fn learn_page() -> Html {
    let tr = use_tr();
    use_content_hash();
    let catalog = data::use_catalog();
    let progress = data::use_progress();
    let list = match &catalog {
        None => html! { <p class="loading" role="status">{ tr.t("learn-loading") }</p> },
        Some(Err(e)) => html! { <LoadProblem error={e.clone()} /> },
        Some(Ok(c)) => html! {
            <>
                <Search catalog={c.clone()} />
                <Tracks catalog={c.clone()} progress={progress} />
            </>
        },
    };
    html! {
        <section class="page learn" aria-labelledby="learn-title">
            <div id="learn-title"><PageIntro title={tr.t("learn-title")} lead={tr.t("learn-lead")} /></div>
            { list }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TracksProps {
    catalog: Rc<Catalog>,
    progress: ProgressHandle,
}

#[function_component(Tracks)]
fn tracks(p: &TracksProps) -> Html {
    let tr = use_tr();
    let cat = &p.catalog;
    let progress = p.progress.get();
    let lang: Option<AttrValue> = (cat.lang != tr.locale.code).then(|| cat.lang.clone().into());
    let done = cat
        .lessons
        .iter()
        .filter(|l| progress.is_completed(&l.id))
        .count();
    // Once the learner has started, the front door says where to go next.
    let next = if progress.opened.is_empty() && progress.attempts.is_empty() {
        vec![]
    } else {
        progress.recommend(cat, 2)
    };
    html! {
        <>
            if !next.is_empty() {
                <section class="panel up-next" aria-labelledby="up-next-h">
                    <h2 id="up-next-h">{ tr.t("learn-up-next") }</h2>
                    <ul class="recommendations">
                        { for next.iter().filter_map(|r| cat.lesson(&r.lesson).map(|l| (r, l))).map(|(r, l)| html! {
                            <li>
                                <Link<Route> to={Route::Lesson { id: l.id.clone() }}><span lang={lang.clone()}>{ &l.title }</span></Link<Route>>
                                <span class="reason">{ tr.t(reason_key(r.reason)) }</span>
                            </li>
                        }) }
                    </ul>
                </section>
            }
            <h2>{ tr.t("learn-tracks") }</h2>
            <p data-testid="learn-overall">{ tr.ta("learn-overall", &[("done", done.into()), ("total", cat.lessons.len().into())]) }</p>
            { for cat.tracks.iter().map(|t| {
                let hid = format!("track-{}", t.id);
                let lessons: Vec<_> = cat.lessons_in(&t.id).collect();
                let finished = lessons.iter().filter(|l| progress.is_completed(&l.id)).count();
                html! {
                    <section class="track" aria-labelledby={hid.clone()}>
                        <h3 id={hid} lang={lang.clone()}>{ &t.title }
                            if t.research { <span class="learn-badge research">{ tr.t("learn-research") }</span> }
                        </h3>
                        <p class="track-summary" lang={lang.clone()}>{ &t.description }</p>
                        <p class="track-progress">{ tr.ta("learn-track-progress", &[("done", finished.into()), ("total", lessons.len().into())]) }</p>
                        <ol class="lesson-list">
                            { for lessons.iter().map(|l| {
                                let state = if progress.is_completed(&l.id) {
                                    Some(("done", tr.t("learn-completed")))
                                } else if progress.opened.contains_key(&l.id) {
                                    Some(("started", tr.t("learn-started")))
                                } else { None };
                                html! {
                                    <li class="lesson-card" data-lesson={l.id.clone()}>
                                        <h4><Link<Route> to={Route::Lesson { id: l.id.clone() }}><span lang={lang.clone()}>{ &l.title }</span></Link<Route>></h4>
                                        <p lang={lang.clone()}>{ &l.summary }</p>
                                        <p class="lesson-facts">
                                            <span>{ tr.t(level_key(l.level)) }</span>
                                            <span>{ tr.ta("learn-minutes", &[("minutes", l.minutes.into())]) }</span>
                                            if let Some((class, text)) = state { <span class={classes!("learn-badge", class)}>{ text }</span> }
                                        </p>
                                        if !l.prerequisites.is_empty() {
                                            <p class="prereqs">{ tr.t("learn-prerequisites") }{ " " }
                                                { for l.prerequisites.iter().filter_map(|id| cat.lesson(id)).enumerate().map(|(i, pre)| html! {
                                                    <>
                                                        if i > 0 { { ", " } }
                                                        <Link<Route> to={Route::Lesson { id: pre.id.clone() }}><span lang={lang.clone()}>{ &pre.title }</span></Link<Route>>
                                                        if progress.is_completed(&pre.id) { <span class="check" aria-label={tr.t("learn-completed")}>{ " ✓" }</span> }
                                                    </>
                                                }) }
                                            </p>
                                        }
                                    </li>
                                }
                            }) }
                        </ol>
                    </section>
                }
            }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct SearchProps {
    catalog: Rc<Catalog>,
}

/// Offline search over every lesson, with the index the content compiler built (loaded on
/// first use) and the crate's own tokenizer, so queries match what was indexed.
#[function_component(Search)]
fn search(p: &SearchProps) -> Html {
    let tr = use_tr();
    let lang = content_lang(tr.locale.code);
    let index = use_state(|| None::<Result<Rc<SearchIndex>, LoadError>>);
    let query = use_state(String::new);
    let load = {
        let index = index.clone();
        move || {
            if index.is_none() {
                let index = index.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    index.set(Some(data::search_index(lang).await));
                });
            }
        }
    };
    let onfocus = {
        let load = load.clone();
        Callback::from(move |_: FocusEvent| load())
    };
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            load();
            query.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onsubmit = Callback::from(|e: SubmitEvent| e.prevent_default());
    let cat = &p.catalog;
    let clang: Option<AttrValue> = (cat.lang != tr.locale.code).then(|| cat.lang.clone().into());
    let hits = match &*index {
        Some(Ok(ix)) if !query.trim().is_empty() => Some(ix.search(&query, 12)),
        _ => None,
    };
    let announce = match (&hits, &*index) {
        (_, Some(Err(_))) => tr.t("search-unavailable"),
        (Some(h), _) if h.is_empty() => tr.t("search-none"),
        (Some(h), _) => tr.ta("search-count", &[("count", h.len().into())]),
        _ => String::new(),
    };
    html! {
        <div class="lesson-search">
            <form role="search" {onsubmit}>
                <label for="lesson-search">{ tr.t("search-label") }</label>
                <input type="search" id="lesson-search" value={(*query).clone()} {oninput} {onfocus}
                       autocomplete="off" aria-describedby="lesson-search-status" />
            </form>
            <p id="lesson-search-status" role="status" class="status-line">{ announce }</p>
            if let Some(h) = hits {
                <ul class="search-results">
                    { for h.iter().filter_map(|hit| cat.lesson(&hit.lesson)).map(|l| html! {
                        <li>
                            <Link<Route> to={Route::Lesson { id: l.id.clone() }}><span lang={clang.clone()}>{ &l.title }</span></Link<Route>>
                            <p lang={clang.clone()}>{ &l.summary }</p>
                        </li>
                    }) }
                </ul>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SkillMetersProps {
    pub catalog: Rc<Catalog>,
    pub progress: ProgressHandle,
    /// Only these skills (all when empty).
    #[prop_or_default]
    pub only: Vec<String>,
}

/// Mastery per skill as meters with their numbers in words ("2 of your last 5 answers right;
/// mastered at 3").
#[function_component(SkillMeters)]
pub fn skill_meters(p: &SkillMetersProps) -> Html {
    let tr = use_tr();
    let lang: Option<AttrValue> =
        (p.catalog.lang != tr.locale.code).then(|| p.catalog.lang.clone().into());
    let all = p.progress.get().mastery(&p.catalog);
    html! {
        <ul class="skill-meters">
            { for all.iter().filter(|m| p.only.is_empty() || p.only.contains(&m.skill)).map(|m| {
                let id = format!("skill-{}", m.skill);
                let text = if m.mastered {
                    tr.ta("skill-mastered", &[("right", m.right.into()), ("window", m.window.into())])
                } else if m.window == 0 {
                    tr.t("skill-not-started")
                } else {
                    tr.ta("skill-progress", &[("right", m.right.into()), ("window", m.window.into()), ("needed", MASTERY_M.into())])
                };
                html! {
                    <li class={classes!("skill", m.mastered.then_some("mastered"))} data-skill={m.skill.clone()}>
                        <span id={id.clone()} class="skill-name" lang={lang.clone()}>{ &m.title }</span>
                        <meter min="0" max={MASTERY_M.to_string()} value={m.right.min(MASTERY_M).to_string()} aria-labelledby={id.clone()}
                               aria-describedby={format!("{id}-text")}></meter>
                        <span id={format!("{id}-text")} class="skill-state">{ text }</span>
                    </li>
                }
            }) }
        </ul>
    }
}
