//! Loading the compiled curriculum (catalog, lesson bundles, search index) and the learner's
//! progress, plus the clock the progress model reads.
//!
//! Bundles are fetched lazily from `/content/<lang>/…` (scripts/post_build.py copies them into
//! the build and the service worker precaches them, so they load offline) and decoded once per
//! page load with postcard; decoding a bundle of a few kilobytes is cheap enough for the UI
//! thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bitsmith_curriculum::{Catalog, LessonBundle, SearchIndex};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use crate::learn::{Progress, STORE_KEY};
use crate::store::STORE_KV;
use crate::ui::StoreHandle;

/// Languages the content has been compiled for. The catalog of the UI's language is used when
/// there is one, English otherwise.
pub const CONTENT_LANGS: &[&str] = &["en"];

pub fn content_lang(ui: &str) -> &'static str {
    CONTENT_LANGS
        .iter()
        .find(|l| **l == ui)
        .copied()
        .unwrap_or("en")
}

/// Why curriculum data could not be shown.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// The fetch failed (offline before the content was cached, or missing).
    Network(String),
    /// The file did not decode (corrupt, or from another app version).
    Decode(String),
    /// No such lesson in the catalog.
    NotFound,
}

thread_local! {
    static CATALOGS: RefCell<HashMap<&'static str, Rc<Catalog>>> = RefCell::new(HashMap::new());
    static LESSONS: RefCell<HashMap<String, Rc<LessonBundle>>> = RefCell::new(HashMap::new());
    static SEARCH: RefCell<HashMap<&'static str, Rc<SearchIndex>>> = RefCell::new(HashMap::new());
}

/// GETs a same-origin file as bytes.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, LoadError> {
    let net = |e: wasm_bindgen::JsValue| LoadError::Network(format!("{url}: {e:?}"));
    let resp = JsFuture::from(gloo::utils::window().fetch_with_str(url))
        .await
        .map_err(net)?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(LoadError::Network(format!("{url}: HTTP {}", resp.status())));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(net)?)
        .await
        .map_err(net)?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

pub async fn catalog(lang: &'static str) -> Result<Rc<Catalog>, LoadError> {
    if let Some(c) = CATALOGS.with(|m| m.borrow().get(lang).cloned()) {
        return Ok(c);
    }
    let bytes = fetch_bytes(&format!("/content/{lang}/catalog.bin")).await?;
    let c = Rc::new(
        bitsmith_curriculum::decode_catalog(&bytes)
            .map_err(|e| LoadError::Decode(e.to_string()))?,
    );
    CATALOGS.with(|m| m.borrow_mut().insert(lang, c.clone()));
    Ok(c)
}

pub async fn lesson(lang: &'static str, id: &str) -> Result<Rc<LessonBundle>, LoadError> {
    let key = format!("{lang}/{id}");
    if let Some(b) = LESSONS.with(|m| m.borrow().get(&key).cloned()) {
        return Ok(b);
    }
    // Only ids from the catalog are fetched, so a made-up URL never reaches the network.
    let cat = catalog(lang).await?;
    if cat.lesson(id).is_none() {
        return Err(LoadError::NotFound);
    }
    let bytes = fetch_bytes(&format!("/content/{lang}/lessons/{id}.bin")).await?;
    let b = Rc::new(
        bitsmith_curriculum::decode_lesson(&bytes).map_err(|e| LoadError::Decode(e.to_string()))?,
    );
    LESSONS.with(|m| m.borrow_mut().insert(key, b.clone()));
    Ok(b)
}

pub async fn search_index(lang: &'static str) -> Result<Rc<SearchIndex>, LoadError> {
    if let Some(s) = SEARCH.with(|m| m.borrow().get(lang).cloned()) {
        return Ok(s);
    }
    let bytes = fetch_bytes(&format!("/content/{lang}/search.bin")).await?;
    let s = Rc::new(
        bitsmith_curriculum::decode_search(&bytes).map_err(|e| LoadError::Decode(e.to_string()))?,
    );
    SEARCH.with(|m| m.borrow_mut().insert(lang, s.clone()));
    Ok(s)
}

/// The catalog of the UI's content language: `None` while loading.
#[hook]
pub fn use_catalog() -> Option<Result<Rc<Catalog>, LoadError>> {
    let tr = crate::ui::use_tr();
    let lang = content_lang(tr.locale.code);
    let state = use_state(|| None);
    {
        let state = state.clone();
        use_effect_with(lang, move |&lang| {
            wasm_bindgen_futures::spawn_local(async move { state.set(Some(catalog(lang).await)) });
        });
    }
    (*state).clone()
}

// ---------------------------------------------------------------------------------------------
// Clock

/// Test-only clock override: when `localStorage["bitsmith.testClock"]` holds a number of
/// milliseconds since the epoch, the progress model takes it as "now". The end-to-end tests set
/// it to move days ahead and see reviews fall due; it changes nothing but the review schedule
/// and streak days of this browser profile, and nothing in the app writes it.
pub const TEST_CLOCK_KEY: &str = "bitsmith.testClock";

pub fn now_ms() -> i64 {
    let injected = gloo::utils::window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(TEST_CLOCK_KEY).ok().flatten())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0);
    injected.unwrap_or_else(js_sys::Date::now) as i64
}

/// `Date.getTimezoneOffset()` at `ms`.
pub fn tz_offset(ms: i64) -> i32 {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset() as i32
}

pub fn today() -> i64 {
    let now = now_ms();
    crate::learn::local_day(now, tz_offset(now))
}

// ---------------------------------------------------------------------------------------------
// Progress

/// The progress record and a way to change it. Changes are applied at once and written to
/// IndexedDB in the background.
#[derive(Clone)]
pub struct ProgressHandle {
    cell: Rc<RefCell<Progress>>,
    pub loaded: bool,
    pub error: Option<String>,
    revision: u32,
    bump: UseStateSetter<u32>,
    store: Option<StoreHandle>,
    save_error: UseStateSetter<Option<String>>,
}

impl PartialEq for ProgressHandle {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.loaded == other.loaded && self.error == other.error
    }
}

impl ProgressHandle {
    pub fn get(&self) -> std::cell::Ref<'_, Progress> {
        self.cell.borrow()
    }

    /// Applies `f` to the record, re-renders, and saves.
    pub fn update(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut self.cell.borrow_mut());
        self.bump.set(self.revision.wrapping_add(1));
        let snapshot = self.cell.borrow().clone();
        if let Some(StoreHandle(store)) = self.store.clone() {
            let save_error = self.save_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let r = store.put(STORE_KV, STORE_KEY, &snapshot).await;
                save_error.set(r.err().map(|e| e.to_string()));
            });
        }
    }
}

#[hook]
pub fn use_progress() -> ProgressHandle {
    let store = use_context::<Option<StoreHandle>>().flatten();
    let cell = use_mut_ref(Progress::new);
    let revision = use_state(|| 0u32);
    let loaded = use_state(|| false);
    let error = use_state(|| None::<String>);
    {
        let (cell, loaded, error, revision) = (
            cell.clone(),
            loaded.clone(),
            error.clone(),
            revision.clone(),
        );
        let store = store.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(StoreHandle(store)) = store {
                    match store.get::<Progress>(STORE_KV, STORE_KEY).await {
                        Ok(Some(p)) => *cell.borrow_mut() = p.migrate(),
                        Ok(None) => {}
                        Err(e) => error.set(Some(e.to_string())),
                    }
                }
                revision.set(*revision + 1);
                loaded.set(true);
            });
        });
    }
    ProgressHandle {
        cell,
        loaded: *loaded,
        error: (*error).clone(),
        revision: *revision,
        bump: revision.setter(),
        store,
        save_error: error.setter(),
    }
}
