use yew::prelude::*;

use super::PageIntro;
use crate::ui::use_tr;

#[function_component(PlannerPage)]
pub fn planner_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page">
            <PageIntro title={tr.t("planner-title")} lead={tr.t("planner-lead")} />
            <ul class="steps">
                <li>{ tr.t("planner-fit") }</li>
                <li>{ tr.t("planner-speed") }</li>
                <li>{ tr.t("planner-cost") }</li>
            </ul>
        </section>
    }
}
