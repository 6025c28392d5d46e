//! Service worker registration and the update prompt. A new version installs in the
//! background; the page then offers "reload", and only when the user agrees does it ask the
//! waiting worker to take over (`skipWaiting`), reloading once the new one controls the page.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ServiceWorker, ServiceWorkerRegistration, ServiceWorkerState};
use yew::prelude::*;

/// The waiting worker, once there is an update to offer.
#[derive(Clone, PartialEq)]
pub struct Waiting(pub ServiceWorker);

impl Waiting {
    /// Asks the waiting worker to activate; the `controllerchange` listener then reloads.
    pub fn activate(&self) {
        USER_ASKED_TO_UPDATE.with(|f| f.set(true));
        let _ = self.0.post_message(&JsValue::from_str("skip-waiting"));
    }
}

thread_local! {
    /// Set when the user accepts an update; the next controller change then reloads the page.
    /// (The first visit's `clients.claim()` also changes the controller, and must not reload.)
    static USER_ASKED_TO_UPDATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Registers `/sw.js` and calls `on_waiting` whenever an installed update is waiting.
pub fn register(on_waiting: Callback<Waiting>) {
    let window = gloo::utils::window();
    let container = window.navigator().service_worker();
    // Reload once a new worker has taken control: the user asked for it.
    {
        let reload = Closure::<dyn FnMut()>::new(move || {
            if USER_ASKED_TO_UPDATE.with(|f| f.get()) {
                let _ = gloo::utils::window().location().reload();
            }
        });
        container.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
        reload.forget();
    }
    let promise = container.register("/sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(reg) = wasm_bindgen_futures::JsFuture::from(promise).await else {
            return;
        };
        let reg: ServiceWorkerRegistration = reg.unchecked_into();
        watch(reg, on_waiting);
    });
}

fn has_controller() -> bool {
    gloo::utils::window()
        .navigator()
        .service_worker()
        .controller()
        .is_some()
}

fn watch(reg: ServiceWorkerRegistration, on_waiting: Callback<Waiting>) {
    // An update that finished installing while no page was open is already waiting.
    if let Some(w) = reg.waiting()
        && has_controller()
    {
        on_waiting.emit(Waiting(w));
    }
    let reg2 = reg.clone();
    let on_update = Closure::<dyn FnMut()>::new(move || {
        let Some(installing) = reg2.installing() else {
            return;
        };
        let on_waiting = on_waiting.clone();
        let inst = installing.clone();
        let on_state = Closure::<dyn FnMut()>::new(move || {
            // "installed" with a controller present means: an update is waiting (on the very
            // first install there is no controller, and nothing to offer).
            if inst.state() == ServiceWorkerState::Installed && has_controller() {
                on_waiting.emit(Waiting(inst.clone()));
            }
        });
        installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
        on_state.forget();
    });
    reg.set_onupdatefound(Some(on_update.as_ref().unchecked_ref()));
    on_update.forget();
}
