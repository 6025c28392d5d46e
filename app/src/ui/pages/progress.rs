use yew::prelude::*;

use super::PageIntro;
use crate::ui::use_tr;

#[function_component(ProgressPage)]
pub fn progress_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page">
            <PageIntro title={tr.t("progress-title")} lead={tr.t("progress-lead")} />
        </section>
    }
}
