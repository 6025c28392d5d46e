use yew::prelude::*;

use super::PageIntro;
use crate::ui::use_tr;

#[function_component(WorkbenchPage)]
pub fn workbench_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page">
            <PageIntro title={tr.t("workbench-title")} lead={tr.t("workbench-lead")} />
            <ol class="steps">
                <li>{ tr.t("workbench-step-open") }</li>
                <li>{ tr.t("workbench-step-quantize") }</li>
                <li>{ tr.t("workbench-step-measure") }</li>
                <li>{ tr.t("workbench-step-export") }</li>
            </ol>
        </section>
    }
}
