//! The Yew UI: routes, layout, and the contexts every page reads (translations, settings, the
//! engine worker, connectivity, app updates).

pub mod area;
mod engine;
mod layout;
mod pages;
mod sw;

use std::cell::Cell;

use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::i18n::{self, I18n};
use crate::settings::Settings;
use crate::store::{STORE_KV, Store};

pub use engine::{Engine, EngineState, JobState, use_call};

/// The app's pages. `/` is the Learn page: teaching is the front door.
#[derive(Clone, Routable, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/learn")]
    Learn,
    #[at("/learn/:id")]
    Lesson { id: String },
    #[at("/workbench")]
    Workbench,
    #[at("/planner")]
    Planner,
    #[at("/progress")]
    Progress,
    #[at("/settings")]
    Settings,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    /// The Fluent key of the page's name (nav label and title).
    pub fn name_key(&self) -> &'static str {
        match self {
            Route::Home | Route::Learn | Route::Lesson { .. } => "nav-learn",
            Route::Workbench => "nav-workbench",
            Route::Planner => "nav-planner",
            Route::Progress => "nav-progress",
            Route::Settings => "nav-settings",
            Route::NotFound => "not-found-title",
        }
    }
}

/// Shared, cheaply cloned translations.
pub type Tr = Rc<I18n>;

/// The settings and a way to change them (changes are persisted, then applied).
#[derive(Clone, PartialEq)]
pub struct SettingsCtx {
    pub settings: Settings,
    pub set: Callback<Settings>,
}

/// What this wasm module renders: the shell (layout, router, Settings, and hosts for the
/// areas), or one area's pages inside the host the shell made for it (`area`).
#[derive(Clone, Copy)]
enum Frame {
    Shell,
    Area(fn(Route) -> Html),
}

thread_local! {
    static FRAME: Cell<Frame> = const { Cell::new(Frame::Shell) };
}

/// Mounts the shell on `<body>`.
pub fn start() {
    area::sync_navigation();
    yew::Renderer::<Root>::new().render();
}

/// Mounts an area's app in the element the shell made for it.
fn start_area(area: area::Area, switch: fn(Route) -> Html) {
    FRAME.with(|f| f.set(Frame::Area(switch)));
    area::sync_navigation();
    let id = format!("area-{}", area.name());
    match gloo::utils::document().get_element_by_id(&id) {
        Some(host) => {
            // Yew numbers the DOM subtrees it manages per wasm module, from 1, and marks elements
            // and events with that number. The shell's root is 1; were this area's root 1 too, the
            // shell's event delegation would take clicks inside the area for its own and call its
            // own handlers. A throw-away app on a detached element uses up number 1 here.
            if let Ok(spare) = gloo::utils::document().create_element("div") {
                yew::Renderer::<Spare>::with_root(spare).render().destroy();
            }
            yew::Renderer::<Root>::with_root(host).render();
        }
        None => web_sys::console::error_1(
            &format!("no #{id} to mount the {} area in", area.name()).into(),
        ),
    }
}

#[function_component(Spare)]
fn spare() -> Html {
    html! {}
}

/// Entry of the Learn module (`src/bin/area_learn.rs`).
pub fn start_learn() {
    start_area(area::Area::Learn, pages::learn_switch);
}

/// Entry of the Workbench module (`src/bin/area_workbench.rs`).
pub fn start_workbench() {
    start_area(area::Area::Workbench, pages::workbench_switch);
}

/// Entry of the Planner module (`src/bin/area_planner.rs`).
pub fn start_planner() {
    start_area(area::Area::Planner, pages::planner_switch);
}

fn preferred_languages() -> Vec<String> {
    let nav = gloo::utils::window().navigator();
    let langs: Vec<String> = nav
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if langs.is_empty() {
        nav.language().into_iter().collect()
    } else {
        langs
    }
}

fn apply_to_document(tr: &I18n, settings: &Settings) {
    let root = gloo::utils::document_element();
    let _ = root.set_attribute("lang", tr.locale.code);
    let _ = root.set_attribute("dir", tr.locale.dir.attr());
    let _ = root.set_attribute("data-theme", settings.theme.attr());
}

fn wanted_locale(settings: &Settings) -> &'static i18n::Locale {
    match &settings.locale {
        Some(code) => i18n::locale(code),
        None => {
            let prefs = preferred_languages();
            i18n::negotiate(prefs.iter().map(String::as_str))
        }
    }
}

/// English is compiled in; another locale's messages are fetched (from the service worker's
/// cache when offline). If that fails the app stays usable in English.
async fn load_translations(locale: &'static i18n::Locale) -> Tr {
    if locale.code == "en" {
        return Rc::new(I18n::english());
    }
    match fetch_text(&i18n::ftl_url(locale.code)).await {
        Some(src) => Rc::new(I18n::with_source(locale, &src)),
        None => Rc::new(I18n::english()),
    }
}

async fn fetch_text(url: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let resp = JsFuture::from(gloo::utils::window().fetch_with_str(url))
        .await
        .ok()?
        .dyn_into::<web_sys::Response>()
        .ok()?;
    if !resp.ok() {
        return None;
    }
    JsFuture::from(resp.text().ok()?).await.ok()?.as_string()
}

/// Loads settings from IndexedDB before the first render, so the first paint is already in the
/// user's language and theme.
#[function_component(Root)]
fn root() -> Html {
    let loaded = use_state(|| None::<(Option<Store>, Settings, Option<String>, Tr)>);
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match Store::open().await {
                    Ok(store) => {
                        let (settings, err) =
                            match store.get::<Settings>(STORE_KV, "settings").await {
                                Ok(s) => (s.unwrap_or_default(), None),
                                Err(e) => (Settings::default(), Some(e.to_string())),
                            };
                        let tr = load_translations(wanted_locale(&settings)).await;
                        loaded.set(Some((Some(store), settings, err, tr)));
                    }
                    Err(e) => {
                        let settings = Settings::default();
                        let tr = load_translations(wanted_locale(&settings)).await;
                        loaded.set(Some((None, settings, Some(e.to_string()), tr)));
                    }
                }
            });
        });
    }
    match &*loaded {
        None => html! {},
        Some((store, settings, err, tr)) => html! {
            <App store={store.clone().map(StoreHandle)} initial={settings.clone()} storage_error={err.clone()} initial_tr={tr.clone()} />
        },
    }
}

/// `Store` is not `PartialEq`; props compare it by identity.
#[derive(Clone)]
pub struct StoreHandle(pub Store);

impl PartialEq for StoreHandle {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[derive(Properties, PartialEq)]
struct AppProps {
    store: Option<StoreHandle>,
    initial: Settings,
    storage_error: Option<String>,
    initial_tr: Tr,
}

#[function_component(App)]
fn app(props: &AppProps) -> Html {
    let settings = use_state(|| props.initial.clone());
    let tr_state = use_state(|| props.initial_tr.clone());
    {
        // A language change fetches that locale's messages, then switches in one render.
        let tr_state = tr_state.clone();
        let current = (*settings).clone();
        use_effect_with(settings.locale.clone(), move |_| {
            let want = wanted_locale(&current);
            if want.code != tr_state.locale.code {
                wasm_bindgen_futures::spawn_local(async move {
                    tr_state.set(load_translations(want).await);
                });
            }
        });
    }
    let tr: Tr = (*tr_state).clone();
    let save_error = use_state(|| props.storage_error.clone());
    {
        let tr = tr.clone();
        use_effect_with(((*settings).clone(), tr.locale.code), move |(s, _)| {
            apply_to_document(&tr, s);
        });
    }
    let set = {
        let settings = settings.clone();
        let store = props.store.clone();
        let save_error = save_error.clone();
        Callback::from(move |next: Settings| {
            settings.set(next.clone());
            if let Some(StoreHandle(store)) = store.clone() {
                let save_error = save_error.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let r = store.put(STORE_KV, "settings", &next).await;
                    if r.is_ok() {
                        area::announce_settings();
                    }
                    save_error.set(r.err().map(|e| e.to_string()));
                });
            }
        })
    };
    {
        // Another module (the shell's Settings page, say) saved new settings: read them again.
        let settings = settings.clone();
        let store = props.store.clone();
        use_effect_with((), move |_| {
            let listener = gloo::events::EventListener::new(
                &gloo::utils::window(),
                area::SETTINGS_EVENT,
                move |_| {
                    let (settings, store) = (settings.clone(), store.clone());
                    if let Some(StoreHandle(store)) = store {
                        wasm_bindgen_futures::spawn_local(async move {
                            if let Ok(Some(s)) = store.get::<Settings>(STORE_KV, "settings").await {
                                settings.set(s);
                            }
                        });
                    }
                },
            );
            move || drop(listener)
        });
    }
    let ctx = SettingsCtx {
        settings: (*settings).clone(),
        set,
    };
    let engine = engine::use_engine();
    html! {
        <ContextProvider<Tr> context={tr}>
            <ContextProvider<SettingsCtx> context={ctx}>
                <ContextProvider<Engine> context={engine}>
                    <ContextProvider<Option<StoreHandle>> context={props.store.clone()}>
                        <BrowserRouter>
                            { match FRAME.with(Cell::get) {
                                Frame::Shell => html! {
                                    <layout::Layout storage_error={(*save_error).clone()}>
                                        <Switch<Route> render={pages::shell_switch} />
                                    </layout::Layout>
                                },
                                Frame::Area(switch) => html! { <Switch<Route> render={switch} /> },
                            } }
                        </BrowserRouter>
                    </ContextProvider<Option<StoreHandle>>>
                </ContextProvider<Engine>>
            </ContextProvider<SettingsCtx>>
        </ContextProvider<Tr>>
    }
}

/// The translations in scope.
#[hook]
pub fn use_tr() -> Tr {
    use_context::<Tr>().expect("Tr is provided by App")
}

#[hook]
pub fn use_settings() -> SettingsCtx {
    use_context::<SettingsCtx>().expect("SettingsCtx is provided by App")
}

#[hook]
pub fn use_engine_ctx() -> Engine {
    use_context::<Engine>().expect("Engine is provided by App")
}
