use yew::prelude::*;

use super::PageIntro;
use crate::ui::use_tr;

/// The curriculum's tracks, in teaching order (each a Fluent key pair: name, summary).
const TRACKS: [(&str, &str); 7] = [
    ("track-foundations", "track-foundations-summary"),
    ("track-formats", "track-formats-summary"),
    ("track-calibration", "track-calibration-summary"),
    ("track-extreme", "track-extreme-summary"),
    ("track-automated", "track-automated-summary"),
    ("track-deployment", "track-deployment-summary"),
    ("track-research", "track-research-summary"),
];

#[function_component(LearnPage)]
pub fn learn_page() -> Html {
    let tr = use_tr();
    html! {
        <section class="page" aria-labelledby="learn-title">
            <div id="learn-title"><PageIntro title={tr.t("learn-title")} lead={tr.t("learn-lead")} /></div>
            <h2>{ tr.t("learn-tracks") }</h2>
            <ol class="card-list">
                { for TRACKS.iter().map(|(name, summary)| html! {
                    <li class="card">
                        <h3>{ tr.t(name) }</h3>
                        <p>{ tr.t(summary) }</p>
                    </li>
                }) }
            </ol>
        </section>
    }
}
