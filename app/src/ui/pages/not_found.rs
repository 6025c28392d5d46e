use yew::prelude::*;
use yew_router::prelude::*;

use crate::ui::{Route, use_tr};

#[function_component(NotFoundPage)]
pub fn not_found_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page">
            <h1>{ tr.t("not-found-title") }</h1>
            <p>{ tr.t("not-found-body") }</p>
            <p><Link<Route> to={Route::Learn}>{ tr.t("not-found-home") }</Link<Route>></p>
        </section>
    }
}
