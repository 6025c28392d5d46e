//! Page areas as separately loaded wasm modules.
//!
//! The first visit must stay within 300 KB gzip (issue 2), and Learn, Workbench and Planner
//! together are far bigger than that. wasm-bindgen has no code splitting, so each area is its own
//! binary (`src/bin/area_*.rs`, built by trunk beside the shell): the shell (`bitsmith-app`)
//! holds the router, the layout, Settings and the not-found page, and fetches an area's module
//! the first time one of its routes is shown. The area module mounts its own Yew app into a
//! host element the shell keeps inside `<main>`; the linker drops every page a binary never
//! names, so no page is in two modules.
//!
//! Each module has its own router, translations, settings and engine worker; what they share
//! lives in the browser: the URL, IndexedDB and two window events.
//! - Navigation: yew-router only hears its own pushes (and the browser's `popstate`). A push in
//!   one module is re-announced to the others as a synthetic `popstate` ([`sync_navigation`]).
//! - Settings: a module that saves settings fires `bitsmith-settings`; every module then reads
//!   them again from IndexedDB ([`SETTINGS_EVENT`]).
//!
//! `scripts/post_build.py` removes trunk's start-up scripts for the area modules from
//! `index.html` and leaves a `<meta name="bitsmith-area-<name>" content="<js> <wasm>">` per area;
//! `public/areas.js` (a file, so the CSP needs no inline script or eval) does the `import()`.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;
use yew_router::history::{BrowserHistory, History};

use super::{Route, use_tr};

/// A group of routes built as one lazily loaded module.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Area {
    /// Lessons and the Progress dashboard (they share the learner's progress model).
    Learn,
    Workbench,
    Planner,
}

impl Area {
    /// The area a route belongs to; `None` for the shell's own routes.
    pub fn of(route: &Route) -> Option<Area> {
        match route {
            Route::Home | Route::Learn | Route::Lesson { .. } | Route::Progress => {
                Some(Area::Learn)
            }
            Route::Workbench => Some(Area::Workbench),
            Route::Planner => Some(Area::Planner),
            Route::Settings | Route::NotFound => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Area::Learn => "learn",
            Area::Workbench => "workbench",
            Area::Planner => "planner",
        }
    }

    fn host_id(self) -> String {
        format!("area-{}", self.name())
    }
}

/// Fired on `window` after a module saved the settings.
pub const SETTINGS_EVENT: &str = "bitsmith-settings";

/// Tells the other modules that the settings changed (they read them again).
pub fn announce_settings() {
    if let Ok(ev) = web_sys::Event::new(SETTINGS_EVENT) {
        let _ = gloo::utils::window().dispatch_event(&ev);
    }
}

/// Keeps every module's router on the current URL: after a navigation this module's router
/// made (or heard), a synthetic `popstate` makes the other modules' routers read the URL too.
/// The last announced URL, kept on `window` where all modules see it, stops the echo.
/// (Each module then hears some navigations twice; a router re-reading the same URL is a no-op.)
pub fn sync_navigation() {
    let history = BrowserHistory::new();
    let listener = history.listen(|| {
        let win = gloo::utils::window();
        let href = win.location().href().unwrap_or_default();
        let key = JsValue::from_str("__bitsmithHref");
        let last = js_sys::Reflect::get(&win, &key)
            .ok()
            .and_then(|v| v.as_string());
        if last.as_deref() == Some(href.as_str()) {
            return;
        }
        let _ = js_sys::Reflect::set(&win, &key, &JsValue::from_str(&href));
        // Not from inside this listener: it may be running in a `popstate` handler, and
        // wasm-bindgen closures must not be re-entered. A microtask runs right after.
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(ev) = web_sys::PopStateEvent::new("popstate") {
                let _ = win.dispatch_event(&ev);
            }
        });
    });
    // For the module's lifetime.
    std::mem::forget(listener);
}

/// Where an area's module is.
#[derive(Clone, PartialEq, Debug)]
enum Load {
    Loading,
    Ready,
    Failed(String),
}

thread_local! {
    static LOADS: RefCell<HashMap<Area, Load>> = RefCell::new(HashMap::new());
    static WAITING: RefCell<HashMap<Area, Vec<Callback<Load>>>> = RefCell::new(HashMap::new());
    static HOSTS: RefCell<HashMap<Area, web_sys::Element>> = RefCell::new(HashMap::new());
}

/// The element an area's app is mounted in. Created once and kept, so an area keeps its state
/// while another route is shown (the shell only takes the element out of `<main>`).
fn host(area: Area) -> web_sys::Element {
    HOSTS.with(|h| {
        h.borrow_mut()
            .entry(area)
            .or_insert_with(|| {
                let el = gloo::utils::document()
                    .create_element("div")
                    .expect("create a div");
                el.set_id(&area.host_id());
                el.set_class_name("area-host");
                el
            })
            .clone()
    })
}

/// The module's files, from the `<meta>` post_build.py wrote.
fn module_files(area: Area) -> Result<(String, String), String> {
    let sel = format!("meta[name=\"bitsmith-area-{}\"]", area.name());
    let content = gloo::utils::document()
        .query_selector(&sel)
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .ok_or_else(|| format!("this build names no module for {}", area.name()))?;
    let mut parts = content.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(js), Some(wasm)) => Ok((js.to_string(), wasm.to_string())),
        _ => Err(format!("bad module entry for {}", area.name())),
    }
}

async fn import(area: Area) -> Result<(), String> {
    let (js, wasm) = module_files(area)?;
    let win = gloo::utils::window();
    let load = js_sys::Reflect::get(&win, &JsValue::from_str("bitsmithLoadArea"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("areas.js did not load")?;
    let promise = load
        .call2(&win, &JsValue::from_str(&js), &JsValue::from_str(&wasm))
        .map_err(describe)?
        .dyn_into::<js_sys::Promise>()
        .map_err(describe)?;
    JsFuture::from(promise).await.map_err(describe)?;
    Ok(())
}

fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Starts loading an area's module unless it is loaded or loading; `done` hears how it ended.
fn ensure(area: Area, done: Callback<Load>) -> Load {
    let now = LOADS.with(|l| l.borrow().get(&area).cloned());
    match now {
        Some(Load::Ready) => Load::Ready,
        Some(Load::Loading) => {
            WAITING.with(|w| w.borrow_mut().entry(area).or_default().push(done));
            Load::Loading
        }
        None | Some(Load::Failed(_)) => {
            LOADS.with(|l| l.borrow_mut().insert(area, Load::Loading));
            WAITING.with(|w| w.borrow_mut().entry(area).or_default().push(done));
            wasm_bindgen_futures::spawn_local(async move {
                let end = match import(area).await {
                    Ok(()) => Load::Ready,
                    Err(e) => Load::Failed(e),
                };
                LOADS.with(|l| l.borrow_mut().insert(area, end.clone()));
                let waiting = WAITING.with(|w| w.borrow_mut().remove(&area).unwrap_or_default());
                for cb in waiting {
                    cb.emit(end.clone());
                }
            });
            Load::Loading
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct AreaHostProps {
    pub area: Area,
}

/// The shell's stand-in for an area's pages: the area's host element, and while its module
/// loads a status line (or, if it failed, why and a way to try again).
#[function_component(AreaHost)]
pub fn area_host(props: &AreaHostProps) -> Html {
    let tr = use_tr();
    let area = props.area;
    let load = use_state(|| None::<Load>);
    let attempt = use_state(|| 0u32);
    {
        let load = load.clone();
        use_effect_with((area, *attempt), move |_| {
            let set = load.clone();
            let now = ensure(area, Callback::from(move |l| set.set(Some(l))));
            load.set(Some(now));
        });
    }
    let retry = {
        let attempt = attempt.clone();
        Callback::from(move |_| attempt.set(*attempt + 1))
    };
    let status = match &*load {
        None | Some(Load::Loading) => html! {
            <p class="area-status" role="status">{ tr.t("area-loading") }</p>
        },
        Some(Load::Ready) => html! {},
        Some(Load::Failed(reason)) => html! {
            <div class="area-status" role="alert">
                <h1>{ tr.t("area-failed-title") }</h1>
                <p>{ tr.ta("area-failed", &[("reason", reason.clone().into())]) }</p>
                <button type="button" onclick={retry}>{ tr.t("area-retry") }</button>
            </div>
        },
    };
    html! {
        <>
            { status }
            { Html::VRef(host(area).into()) }
        </>
    }
}
