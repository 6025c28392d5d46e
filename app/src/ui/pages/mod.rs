//! One module per route.

mod learn;
mod not_found;
mod planner;
mod progress;
mod settings;
mod workbench;

use yew::prelude::*;

use super::Route;
use super::area::{Area, AreaHost};

/// The shell's routes: its own pages, and a host for each area's (`super::area`).
pub fn shell_switch(route: Route) -> Html {
    match Area::of(&route) {
        Some(area) => html! { <AreaHost {area} /> },
        None => match route {
            Route::Settings => html! { <settings::SettingsPage /> },
            _ => html! { <not_found::NotFoundPage /> },
        },
    }
}

// One switch per area module: each names only its own pages, so the linker leaves the other
// areas' pages out of that module. Routes of other areas render nothing (the shell shows them).

pub fn learn_switch(route: Route) -> Html {
    match route {
        Route::Home | Route::Learn => html! { <learn::LearnPage /> },
        Route::Lesson { id } => html! { <learn::LessonPage id={id} /> },
        Route::Progress => html! { <progress::ProgressPage /> },
        _ => html! {},
    }
}

pub fn workbench_switch(route: Route) -> Html {
    match route {
        Route::Workbench => html! { <workbench::WorkbenchPage /> },
        _ => html! {},
    }
}

pub fn planner_switch(route: Route) -> Html {
    match route {
        Route::Planner => html! { <planner::PlannerPage /> },
        _ => html! {},
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
