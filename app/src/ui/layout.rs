//! The page frame: skip link, header with navigation, connectivity and update notices, the
//! `<main>` landmark, and the per-route document title and focus handling.

use gloo::events::EventListener;
use yew::prelude::*;
use yew_router::prelude::*;

use super::sw::{self, Waiting};
use super::{Route, use_tr};

#[derive(Properties, PartialEq)]
pub struct LayoutProps {
    pub children: Html,
    pub storage_error: Option<String>,
}

const NAV: [Route; 5] = [
    Route::Learn,
    Route::Workbench,
    Route::Planner,
    Route::Progress,
    Route::Settings,
];

#[function_component(Layout)]
pub fn layout(props: &LayoutProps) -> Html {
    let tr = use_tr();
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let main_ref = use_node_ref();

    // Title per route, and focus moved to <main> after an in-app navigation so screen-reader
    // and keyboard users start at the new content (not on the first load).
    {
        let tr = tr.clone();
        let main_ref = main_ref.clone();
        let first = use_mut_ref(|| true);
        use_effect_with((route.clone(), tr.locale.code), move |(route, _)| {
            let page = tr.t(route.name_key());
            gloo::utils::document().set_title(&tr.ta("page-title", &[("page", page.into())]));
            if !std::mem::replace(&mut *first.borrow_mut(), false)
                && let Some(main) = main_ref.cast::<web_sys::HtmlElement>()
            {
                let _ = main.focus();
            }
        });
    }

    html! {
        <>
            <a class="skip-link" href="#main">{ tr.t("skip-to-content") }</a>
            <header class="site-header">
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
                        <rect x="2" y="2" width="28" height="28" rx="6" />
                        <path d="M9 22V10h8a4 4 0 0 1 0 8h-8m8 0a4 4 0 0 1 0 8" />
                    </svg>
                    <span class="brand-name">{ "Bitsmith" }</span>
                </div>
                <nav aria-label={tr.t("nav-label")}>
                    <ul class="nav-list">
                        { for NAV.iter().map(|r| html! { <NavLink to={r.clone()} current={is_current(&route, r)} /> }) }
                    </ul>
                </nav>
                <OnlineIndicator />
            </header>
            <UpdateBanner />
            if let Some(err) = &props.storage_error {
                <p class="notice notice-error" role="alert">{ tr.ta("storage-error", &[("detail", err.clone().into())]) }</p>
            }
            <main id="main" tabindex="-1" ref={main_ref}>
                { props.children.clone() }
            </main>
            <footer class="site-footer">
                <p>{ tr.t("footer-privacy") }</p>
            </footer>
        </>
    }
}

fn is_current(current: &Route, link: &Route) -> bool {
    current == link
        || (matches!(current, Route::Home | Route::Lesson { .. }) && *link == Route::Learn)
}

#[derive(Properties, PartialEq)]
struct NavLinkProps {
    to: Route,
    current: bool,
}

/// A router link that marks the current page with `aria-current="page"`.
#[function_component(NavLink)]
fn nav_link(props: &NavLinkProps) -> Html {
    let tr = use_tr();
    let navigator = use_navigator();
    let to = props.to.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        // Let modified clicks (new tab, etc.) behave as plain links.
        if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
            return;
        }
        e.prevent_default();
        if let Some(n) = &navigator {
            n.push(&to);
        }
    });
    html! {
        <li>
            <a href={props.to.to_path()} {onclick}
               class={classes!("nav-link", props.current.then_some("current"))}
               aria-current={props.current.then_some("page")}>
                { tr.t(props.to.name_key()) }
            </a>
        </li>
    }
}

/// "Online" / "Offline", from `navigator.onLine` and the window's online/offline events.
#[function_component(OnlineIndicator)]
fn online_indicator() -> Html {
    let tr = use_tr();
    let online = use_state(|| gloo::utils::window().navigator().on_line());
    {
        let online = online.clone();
        use_effect_with((), move |_| {
            let w = gloo::utils::window();
            let (a, b) = (online.clone(), online.clone());
            let on = EventListener::new(&w, "online", move |_| a.set(true));
            let off = EventListener::new(&w, "offline", move |_| b.set(false));
            move || drop((on, off))
        });
    }
    let (class, key) = if *online {
        ("status-pill online", "status-online")
    } else {
        ("status-pill offline", "status-offline")
    };
    html! {
        <p class={class} role="status" data-testid="connectivity">
            <span class="dot" aria-hidden="true"></span>{ tr.t(key) }
        </p>
    }
}

/// The "new version ready" prompt. The live region is always in the DOM so screen readers
/// announce the text when it appears.
#[function_component(UpdateBanner)]
fn update_banner() -> Html {
    let tr = use_tr();
    let waiting = use_state(|| None::<Waiting>);
    {
        let waiting = waiting.clone();
        use_effect_with((), move |_| {
            sw::register(Callback::from(move |w| waiting.set(Some(w))));
        });
    }
    let reload = {
        let waiting = waiting.clone();
        Callback::from(move |_| {
            if let Some(w) = &*waiting {
                w.activate();
            }
        })
    };
    html! {
        <div class="update-region" role="status" aria-live="polite">
            if waiting.is_some() {
                <div class="notice notice-update" data-testid="update-banner">
                    <span>{ tr.t("update-ready") }</span>
                    <button type="button" class="button primary" onclick={reload}>{ tr.t("update-reload") }</button>
                </div>
            }
        </div>
    }
}
