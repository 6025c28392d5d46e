//! One lesson: its bundle, loaded lazily and rendered block by block (sanitized HTML, figures,
//! quizzes, widgets), with read-aloud, the skills it trains, and what to read next.

use std::cell::RefCell;
use std::rc::Rc;

use bitsmith_curriculum::{Block, Catalog, LessonBundle, Level};
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

use super::data::{self, LoadError, ProgressHandle, content_lang, now_ms, tz_offset};
use super::quiz::{QuizItemView, raw};
use super::readaloud::ReadAloud;
use super::widgets::WidgetView;
use super::{LoadProblem, SkillMeters};
use crate::ui::{Route, use_tr};

thread_local! {
    /// A heading to scroll to once the next lesson has rendered (set by a lesson link with an
    /// anchor).
    static PENDING_ANCHOR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Where an `app:<route>` link of the content goes (curriculum `APP_ROUTES`).
fn app_route(name: &str) -> Route {
    match name {
        "workbench" | "models" => Route::Workbench,
        "plan" => Route::Planner,
        "settings" => Route::Settings,
        _ => Route::Learn,
    }
}

/// Content links carry hash hrefs (`#/learn/<id>[/<anchor>]`, `#/workbench`, …) so they work
/// under any base path; clicks are routed in place (see `LessonPage`), and an address that
/// arrives with such a hash (a link opened in a new tab) is routed here.
#[hook]
pub fn use_content_hash() {
    let navigator = use_navigator();
    use_effect_with((), move |_| {
        let hash = gloo::utils::window().location().hash().unwrap_or_default();
        let Some(path) = hash.strip_prefix("#/") else {
            return;
        };
        let Some(nav) = navigator else { return };
        let mut parts = path.split('/');
        match (parts.next(), parts.next()) {
            (Some("learn"), Some(id)) if !id.is_empty() => {
                PENDING_ANCHOR.with(|a| *a.borrow_mut() = parts.next().map(str::to_string));
                nav.replace(&Route::Lesson { id: id.to_string() });
            }
            (Some(route), _) => nav.replace(&app_route(route)),
            _ => {}
        }
    });
}

pub fn level_key(l: Level) -> &'static str {
    match l {
        Level::Intro => "level-intro",
        Level::Intermediate => "level-intermediate",
        Level::Advanced => "level-advanced",
    }
}

fn scroll_to(id: &str) {
    if let Some(el) = gloo::utils::document().get_element_by_id(id) {
        el.scroll_into_view();
        if let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
            // Headings are not focusable by default; make this one so keyboard users land there.
            let _ = h.set_attribute("tabindex", "-1");
            let _ = h.focus();
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonProps {
    pub id: AttrValue,
}

#[function_component(LessonPage)]
pub fn lesson_page(p: &LessonProps) -> Html {
    let tr = use_tr();
    let lang = content_lang(tr.locale.code);
    let catalog = data::use_catalog();
    let progress = data::use_progress();
    let bundle = use_state(|| None::<Result<Rc<LessonBundle>, LoadError>>);
    {
        let bundle = bundle.clone();
        use_effect_with((p.id.clone(), lang), move |(id, lang)| {
            bundle.set(None);
            let (id, lang) = (id.to_string(), *lang);
            wasm_bindgen_futures::spawn_local(async move {
                bundle.set(Some(data::lesson(lang, &id).await));
            });
        });
    }
    let ready = matches!(&*bundle, Some(Ok(_))) && progress.loaded;
    {
        let (progress, tr, bundle) = (progress.clone(), tr.clone(), bundle.clone());
        use_effect_with((p.id.clone(), ready), move |(id, ready)| {
            if *ready {
                progress.update(|p| p.open(id, now_ms()));
                if let Some(Ok(b)) = &*bundle {
                    gloo::utils::document()
                        .set_title(&tr.ta("page-title", &[("page", b.meta.title.clone().into())]));
                }
                if let Some(anchor) = PENDING_ANCHOR.with(|a| a.borrow_mut().take()) {
                    scroll_to(&anchor);
                }
            }
        });
    }
    use_content_hash();
    let navigator = use_navigator();
    let onclick = {
        let id = p.id.clone();
        Callback::from(move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
                return;
            }
            let Some(a) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[data-lesson], a[data-route]").ok().flatten())
            else {
                return;
            };
            e.prevent_default();
            let Some(nav) = &navigator else { return };
            if let Some(lesson) = a.get_attribute("data-lesson") {
                let anchor = a.get_attribute("data-anchor");
                if lesson == id.as_str() {
                    if let Some(anchor) = anchor {
                        scroll_to(&anchor);
                    }
                } else {
                    PENDING_ANCHOR.with(|p| *p.borrow_mut() = anchor);
                    nav.push(&Route::Lesson { id: lesson });
                }
            } else if let Some(r) = a.get_attribute("data-route") {
                nav.push(&app_route(&r));
            }
        })
    };
    let body = match (&catalog, &*bundle) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => html! { <LoadProblem error={e.clone()} /> },
        (Some(Ok(cat)), Some(Ok(b))) => {
            html! { <LessonBody catalog={cat.clone()} bundle={b.clone()} progress={progress.clone()} /> }
        }
        _ => html! { <p class="loading" role="status">{ tr.t("learn-loading") }</p> },
    };
    html! {
        <article class="page lesson" {onclick}>
            <nav class="breadcrumb" aria-label={tr.t("learn-breadcrumb")}>
                <Link<Route> to={Route::Learn}>{ tr.t("learn-all-lessons") }</Link<Route>>
            </nav>
            { body }
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct BodyProps {
    catalog: Rc<Catalog>,
    bundle: Rc<LessonBundle>,
    progress: ProgressHandle,
}

#[function_component(LessonBody)]
fn lesson_body(p: &BodyProps) -> Html {
    let tr = use_tr();
    let text_ref = use_node_ref();
    let meta = &p.bundle.meta;
    let cat = &p.catalog;
    // Content in another language than the UI is marked up as such (WCAG 3.1.2), and English
    // content stays left-to-right inside an Arabic page.
    let content_lang: Option<AttrValue> =
        (cat.lang != tr.locale.code).then(|| AttrValue::from(cat.lang.clone()));
    let dir = content_lang.as_ref().map(|_| "ltr");
    let progress = p.progress.get();
    let done = progress.is_completed(&meta.id);
    let track = cat.track(&meta.track);
    let missing: Vec<_> = meta
        .prerequisites
        .iter()
        .filter(|id| !progress.is_completed(id))
        .filter_map(|id| cat.lesson(id))
        .collect();
    let on_answer = {
        let (progress, items) = (p.progress.clone(), meta.quiz_items.clone());
        Callback::from(move |(item, right): (String, bool)| {
            let now = now_ms();
            progress.update(|p| p.answer(&item, right, false, now, tz_offset(now), &items));
        })
    };
    let total_items = meta.quiz_items.len();
    let mut item_no = 0;
    let mut widget_no = 0;
    let next = cat
        .lessons
        .iter()
        .position(|l| l.id == meta.id)
        .and_then(|i| cat.lessons.get(i + 1));
    let skills: Vec<String> = meta.skills.clone();
    html! {
        <>
            <header class="lesson-header">
                if let Some(t) = track {
                    <p class="eyebrow" lang={content_lang.clone()}>{ &t.title }</p>
                }
                <h1 lang={content_lang.clone()} dir={dir}>{ &meta.title }</h1>
                <p class="lesson-facts">
                    <span>{ tr.t(level_key(meta.level)) }</span>
                    <span>{ tr.ta("learn-minutes", &[("minutes", meta.minutes.into())]) }</span>
                    if meta.research { <span class="learn-badge research">{ tr.t("learn-research") }</span> }
                    if done { <span class="learn-badge done" data-testid="lesson-done">{ tr.t("learn-completed") }</span> }
                </p>
                if !missing.is_empty() {
                    <p class="notice prereq">
                        { tr.t("learn-read-first") }{ " " }
                        { for missing.iter().enumerate().map(|(i, l)| html! {
                            <>
                                if i > 0 { { ", " } }
                                <Link<Route> to={Route::Lesson { id: l.id.clone() }}><span lang={content_lang.clone()}>{ &l.title }</span></Link<Route>>
                            </>
                        }) }
                    </p>
                }
                <ReadAloud target={text_ref.clone()} lang={AttrValue::from(cat.lang.clone())} />
            </header>
            <div class="lesson-body" ref={text_ref}>
                { for p.bundle.blocks.iter().map(|b| match b {
                    Block::Html(h) => html! { <div class="lesson-text" lang={content_lang.clone()} dir={dir}>{ raw(h) }</div> },
                    Block::Figure(f) => html! {
                        <figure class="lesson-figure" id={f.id.clone()} lang={content_lang.clone()} dir={dir}>
                            { raw(&f.svg) }
                            if let Some(c) = &f.caption_html { <figcaption>{ raw(c) }</figcaption> }
                        </figure>
                    },
                    Block::Quiz(q) => html! {
                        <section class="quiz" aria-labelledby={format!("quiz-{}", q.id)}>
                            <h2 id={format!("quiz-{}", q.id)}>{ tr.t("quiz-title") }</h2>
                            { for q.items.iter().map(|item| {
                                item_no += 1;
                                html! {
                                    <QuizItemView key={item.id.clone()} item={item.clone()} lang={content_lang.clone()} on_answer={on_answer.clone()}
                                        heading={tr.ta("quiz-count", &[("n", item_no.into()), ("total", total_items.into())])} />
                                }
                            }) }
                        </section>
                    },
                    Block::Widget(w) => {
                        widget_no += 1;
                        html! { <WidgetView spec={w.clone()} catalog={cat.clone()} lang={content_lang.clone()} dom={format!("w{widget_no}")} /> }
                    }
                }) }
            </div>
            <section class="panel lesson-skills" aria-labelledby="lesson-skills-h">
                <h2 id="lesson-skills-h">{ tr.t("learn-your-skills") }</h2>
                <SkillMeters catalog={cat.clone()} progress={p.progress.clone()} only={skills} />
            </section>
            if !meta.sources.is_empty() {
                <section class="sources" aria-labelledby="sources-h">
                    <h2 id="sources-h">{ tr.t("learn-sources") }</h2>
                    <ul lang={content_lang.clone()}>
                        { for meta.sources.iter().map(|s| html! {
                            <li><a href={s.url.clone()} target="_blank" rel="noopener noreferrer">{ &s.title }</a></li>
                        }) }
                    </ul>
                </section>
            }
            if let Some(n) = next {
                <nav class="lesson-next" aria-label={tr.t("learn-next")}>
                    <Link<Route> to={Route::Lesson { id: n.id.clone() }} classes="button primary">
                        { tr.t("learn-next") }{ ": " }<span lang={content_lang.clone()}>{ &n.title }</span>
                    </Link<Route>>
                </nav>
            }
        </>
    }
}
