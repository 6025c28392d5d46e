//! One quiz item as an accessible form: radio buttons or checkboxes, a number box with its
//! unit, or a list to put in order with up/down buttons. The verdict goes to a live region that
//! is in the DOM before any text is put in it, so screen readers announce it.

use bitsmith_curriculum::{Answer, QuizItem, QuizKind};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::learn::text::{plain_text, shuffled};
use crate::ui::use_tr;

pub fn raw(html: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(html.to_string()))
}

#[derive(Properties, PartialEq)]
pub struct QuizItemProps {
    pub item: QuizItem,
    /// Language of the content (for `lang` on prompts and options), when it differs from the UI.
    pub lang: Option<AttrValue>,
    /// Called with (item id, right) on every checked answer.
    pub on_answer: Callback<(String, bool)>,
    /// Position label, e.g. "Question 2 of 3".
    pub heading: String,
}

#[function_component(QuizItemView)]
pub fn quiz_item_view(p: &QuizItemProps) -> Html {
    let tr = use_tr();
    let item = &p.item;
    let dom = format!("q-{}", item.id.replace('/', "-"));
    let n_options = match &item.kind {
        QuizKind::MultipleChoice { options_html, .. } => options_html.len(),
        QuizKind::Ordering { items_html } => items_html.len(),
        QuizKind::Numeric { .. } => 0,
    };
    let chosen = use_state(|| vec![false; n_options]);
    let number = use_state(String::new);
    let order = {
        let id = item.id.clone();
        use_state(move || shuffled(&id, n_options))
    };
    let verdict = use_state(|| None::<bool>);
    let moved = use_state(String::new);
    let error = use_state(|| false);

    let answer = || -> Option<Answer> {
        match &item.kind {
            QuizKind::MultipleChoice { .. } => {
                let picked: Vec<u32> = chosen
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c)
                    .map(|(i, _)| i as u32)
                    .collect();
                (!picked.is_empty()).then_some(Answer::Choice(picked))
            }
            QuizKind::Numeric { .. } => number
                .trim()
                .replace(',', ".")
                .replace('−', "-")
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Answer::Number),
            QuizKind::Ordering { .. } => Some(Answer::Order((*order).clone())),
        }
    };
    let onsubmit = {
        let (verdict, error, on_answer) = (verdict.clone(), error.clone(), p.on_answer.clone());
        let id = item.id.clone();
        let a = answer();
        let item = item.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match &a {
                Some(a) => {
                    let right = item.check(a);
                    error.set(false);
                    verdict.set(Some(right));
                    on_answer.emit((id.clone(), right));
                }
                None => error.set(true),
            }
        })
    };
    let retry = {
        let verdict = verdict.clone();
        Callback::from(move |_| verdict.set(None))
    };
    let done = verdict.is_some();
    let lang = p.lang.clone();

    let body = match &item.kind {
        QuizKind::MultipleChoice {
            options_html,
            correct,
        } => {
            let multi = correct.len() > 1;
            html! {
                <>
                    if multi { <p class="hint">{ tr.t("quiz-select-all") }</p> }
                    <ul class="options">
                        { for options_html.iter().enumerate().map(|(i, o)| {
                            let state = chosen.clone();
                            let onchange = Callback::from(move |e: Event| {
                                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                                let mut v = (*state).clone();
                                if !multi { v.iter_mut().for_each(|c| *c = false); }
                                v[i] = on;
                                state.set(v);
                            });
                            let oid = format!("{dom}-o{i}");
                            html! {
                                <li class="radio">
                                    <input type={if multi { "checkbox" } else { "radio" }} id={oid.clone()} name={dom.clone()}
                                           checked={chosen[i]} disabled={done} {onchange} />
                                    <label for={oid} lang={lang.clone()}>{ raw(o) }</label>
                                </li>
                            }
                        }) }
                    </ul>
                </>
            }
        }
        QuizKind::Numeric { unit, .. } => {
            let oninput = {
                let number = number.clone();
                Callback::from(move |e: InputEvent| {
                    number.set(e.target_unchecked_into::<HtmlInputElement>().value())
                })
            };
            let nid = format!("{dom}-n");
            html! {
                <div class="number-answer">
                    <label for={nid.clone()}>{ tr.t("quiz-your-answer") }</label>
                    <input type="text" inputmode="decimal" id={nid} value={(*number).clone()} {oninput} disabled={done}
                           autocomplete="off" aria-invalid={error.then_some("true")} />
                    if let Some(u) = unit { <span class="unit" lang={lang.clone()}>{ u }</span> }
                </div>
            }
        }
        QuizKind::Ordering { items_html } => {
            let n = items_html.len();
            html! {
                <>
                    <p class="hint">{ tr.t("quiz-order-hint") }</p>
                    <ol class="order-list">
                        { for order.iter().enumerate().map(|(pos, &k)| {
                            let text = plain_text(&items_html[k as usize]);
                            let mover = |delta: isize| {
                                let (order, moved, tr, text) = (order.clone(), moved.clone(), tr.clone(), text.clone());
                                let dom = dom.clone();
                                Callback::from(move |_: MouseEvent| {
                                    let to = pos as isize + delta;
                                    if to < 0 || to as usize >= n { return; }
                                    let mut v = (*order).clone();
                                    v.swap(pos, to as usize);
                                    order.set(v);
                                    moved.set(tr.ta("quiz-moved", &[("item", text.clone().into()), ("position", (to + 1).into()), ("total", n.into())]));
                                    // Keep focus on the item just moved (its button at the new place).
                                    let id = format!("{dom}-{k}-{}", if delta < 0 { "up" } else { "down" });
                                    let alt = format!("{dom}-{k}-{}", if delta < 0 { "down" } else { "up" });
                                    gloo::timers::callback::Timeout::new(0, move || {
                                        let doc = gloo::utils::document();
                                        for i in [id, alt] {
                                            if let Some(el) = doc.get_element_by_id(&i)
                                                && !el.has_attribute("disabled")
                                                && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                                                let _ = el.focus();
                                                break;
                                            }
                                        }
                                    }).forget();
                                })
                            };
                            html! {
                                <li class="order-item">
                                    <span class="order-text" lang={lang.clone()}>{ raw(&items_html[k as usize]) }</span>
                                    <span class="order-buttons">
                                        <button type="button" class="button small" id={format!("{dom}-{k}-up")} disabled={done || pos == 0}
                                                aria-label={tr.ta("quiz-move-up", &[("item", text.clone().into())])} onclick={mover(-1)}>{ "↑" }</button>
                                        <button type="button" class="button small" id={format!("{dom}-{k}-down")} disabled={done || pos + 1 == n}
                                                aria-label={tr.ta("quiz-move-down", &[("item", text.clone().into())])} onclick={mover(1)}>{ "↓" }</button>
                                    </span>
                                </li>
                            }
                        }) }
                    </ol>
                </>
            }
        }
    };

    let feedback = match *verdict {
        Some(true) => tr.t("quiz-right"),
        Some(false) => tr.t("quiz-wrong"),
        None if *error => tr.t("quiz-need-answer"),
        None => (*moved).clone(),
    };
    let solution = match (&item.kind, *verdict) {
        (QuizKind::Numeric { answer, unit, .. }, Some(false)) => Some(format!(
            "{} {}",
            super::chart::fmt_short(*answer, 6),
            unit.clone().unwrap_or_default()
        )),
        _ => None,
    };
    html! {
        <form class={classes!("quiz-item", verdict.map(|r| if r { "right" } else { "wrong" }))} {onsubmit} data-item={item.id.clone()}>
            <fieldset>
                <legend>
                    <span class="quiz-count">{ &p.heading }</span>
                    <span class="quiz-prompt" lang={lang.clone()}>{ raw(&item.prompt_html) }</span>
                </legend>
                { body }
            </fieldset>
            <div class="button-row">
                if done {
                    <button type="button" class="button" onclick={retry}>{ tr.t("quiz-try-again") }</button>
                } else {
                    <button type="submit" class="button primary">{ tr.t("quiz-check") }</button>
                }
            </div>
            <p role="status" class={classes!("status-line", "quiz-verdict", verdict.map(|r| if r { "ok" } else { "bad" }))}>{ feedback }</p>
            if done && (solution.is_some() || !item.explanation_html.is_empty()) {
                <div class="explanation">
                    if let Some(s) = solution { <p>{ tr.ta("quiz-solution", &[("answer", s.into())]) }</p> }
                    if !item.explanation_html.is_empty() { <p lang={lang.clone()}>{ raw(&item.explanation_html) }</p> }
                </div>
            }
        </form>
    }
}
