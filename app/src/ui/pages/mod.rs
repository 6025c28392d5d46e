//! One module per route.

mod learn;
mod not_found;
mod planner;
mod progress;
mod settings;
mod workbench;

use yew::prelude::*;

use super::Route;

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home | Route::Learn => html! { <learn::LearnPage /> },
        Route::Lesson { id } => html! { <learn::LessonPage id={id} /> },
        Route::Workbench => html! { <workbench::WorkbenchPage /> },
        Route::Planner => html! { <planner::PlannerPage /> },
        Route::Progress => html! { <progress::ProgressPage /> },
        Route::Settings => html! { <settings::SettingsPage /> },
        Route::NotFound => html! { <not_found::NotFoundPage /> },
    }
}

/// A page's heading and lead paragraph.
#[derive(Properties, PartialEq)]
pub struct PageIntroProps {
    pub title: String,
    pub lead: String,
}

#[function_component(PageIntro)]
pub fn page_intro(props: &PageIntroProps) -> Html {
    html! {
        <>
            <h1>{ &props.title }</h1>
            <p class="lead">{ &props.lead }</p>
        </>
    }
}
