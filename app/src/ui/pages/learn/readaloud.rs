//! Read-aloud: speaks the lesson paragraph by paragraph with the Web Speech API, with play,
//! pause and stop, highlighting the paragraph being read. Hidden where the browser has no
//! voices (it would be a button that does nothing).

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, SpeechSynthesis, SpeechSynthesisUtterance};
use yew::prelude::*;

use crate::ui::use_tr;

/// What is read: the lesson's prose, not its quiz or widgets.
const READABLE: &str = ".lesson-text h2, .lesson-text h3, .lesson-text h4, .lesson-text p, .lesson-text li, .lesson-text td";
const READING: &str = "reading";

fn synth() -> Option<SpeechSynthesis> {
    gloo::utils::window().speech_synthesis().ok()
}

fn has_voices() -> bool {
    synth().is_some_and(|s| s.get_voices().length() > 0)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Stopped,
    Playing,
    Paused,
}

#[derive(Default)]
struct Reader {
    items: Vec<Element>,
    current: Option<usize>,
    /// Bumped by every start and stop, so the end event of a cancelled utterance is ignored.
    generation: u32,
    /// Kept alive while speaking (Chrome drops events of collected utterances).
    utterance: Option<SpeechSynthesisUtterance>,
    on_end: Option<Closure<dyn FnMut()>>,
}

impl Reader {
    fn unmark(&mut self) {
        if let Some(el) = self.current.and_then(|i| self.items.get(i)) {
            let _ = el.class_list().remove_1(READING);
            let _ = el.remove_attribute("aria-current");
        }
    }
}

fn speak(reader: &Rc<RefCell<Reader>>, i: usize, lang: &str, done: Callback<()>) {
    let Some(s) = synth() else { return };
    let mut r = reader.borrow_mut();
    r.unmark();
    let Some(el) = r.items.get(i).cloned() else {
        r.current = None;
        r.utterance = None;
        drop(r);
        done.emit(());
        return;
    };
    r.current = Some(i);
    let _ = el.class_list().add_1(READING);
    let _ = el.set_attribute("aria-current", "true");
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
    el.scroll_into_view_with_scroll_into_view_options(&opts);
    let text = el.text_content().unwrap_or_default();
    let Ok(u) = SpeechSynthesisUtterance::new_with_text(&text) else {
        return;
    };
    u.set_lang(lang);
    let generation = r.generation;
    let (next_reader, next_lang) = (reader.clone(), lang.to_string());
    let on_end = Closure::<dyn FnMut()>::new(move || {
        if next_reader.borrow().generation == generation {
            speak(&next_reader, i + 1, &next_lang, done.clone());
        }
    });
    u.set_onend(Some(on_end.as_ref().unchecked_ref()));
    r.on_end = Some(on_end);
    r.utterance = Some(u.clone());
    drop(r);
    s.speak(&u);
}

#[derive(Properties, PartialEq)]
pub struct ReadAloudProps {
    /// The lesson body to read.
    pub target: NodeRef,
    /// BCP 47 language of the lesson (picks the voice).
    pub lang: AttrValue,
}

#[function_component(ReadAloud)]
pub fn read_aloud(p: &ReadAloudProps) -> Html {
    let tr = use_tr();
    let voices = use_state(has_voices);
    let mode = use_state(|| Mode::Stopped);
    let reader = use_mut_ref(Reader::default);
    {
        // Voices often load after the page; listen for them, and stop speaking on leave.
        let (voices, reader) = (voices.clone(), reader.clone());
        use_effect_with((), move |_| {
            let listener = synth().map(|s| {
                EventListener::new(&s, "voiceschanged", move |_| voices.set(has_voices()))
            });
            move || {
                drop(listener);
                let mut r = reader.borrow_mut();
                r.generation += 1;
                r.unmark();
                if let Some(s) = synth() {
                    s.cancel();
                }
            }
        });
    }
    if !*voices {
        return html! {};
    }
    let stop = {
        let (reader, mode) = (reader.clone(), mode.clone());
        Callback::from(move |_: MouseEvent| {
            let mut r = reader.borrow_mut();
            r.generation += 1;
            r.unmark();
            r.current = None;
            if let Some(s) = synth() {
                s.cancel();
            }
            mode.set(Mode::Stopped);
        })
    };
    let toggle = {
        let (reader, mode, target, lang) = (
            reader.clone(),
            mode.clone(),
            p.target.clone(),
            p.lang.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(s) = synth() else { return };
            match *mode {
                Mode::Playing => {
                    s.pause();
                    mode.set(Mode::Paused);
                }
                Mode::Paused => {
                    s.resume();
                    mode.set(Mode::Playing);
                }
                Mode::Stopped => {
                    let Some(root) = target.cast::<Element>() else {
                        return;
                    };
                    let mut items = vec![];
                    if let Ok(list) = root.query_selector_all(READABLE) {
                        for i in 0..list.length() {
                            if let Some(el) =
                                list.item(i).and_then(|n| n.dyn_into::<Element>().ok())
                            {
                                // A list item holding paragraphs is read through them.
                                if el.tag_name() == "LI"
                                    && el.query_selector("p").ok().flatten().is_some()
                                {
                                    continue;
                                }
                                items.push(el);
                            }
                        }
                    }
                    s.cancel();
                    {
                        let mut r = reader.borrow_mut();
                        r.generation += 1;
                        r.items = items;
                    }
                    let m = mode.clone();
                    speak(
                        &reader,
                        0,
                        &lang,
                        Callback::from(move |_| m.set(Mode::Stopped)),
                    );
                    mode.set(Mode::Playing);
                }
            }
        })
    };
    let (label, state) = match *mode {
        Mode::Playing => (tr.t("read-aloud-pause"), tr.t("read-aloud-playing")),
        Mode::Paused => (tr.t("read-aloud-resume"), tr.t("read-aloud-paused")),
        Mode::Stopped => (tr.t("read-aloud-play"), String::new()),
    };
    html! {
        <div class="read-aloud" role="group" aria-label={tr.t("read-aloud")} data-testid="read-aloud">
            <button type="button" class="button" onclick={toggle}>{ label }</button>
            <button type="button" class="button" onclick={stop} disabled={*mode == Mode::Stopped}>{ tr.t("read-aloud-stop") }</button>
            <span role="status" class="status-line">{ state }</span>
        </div>
    }
}
