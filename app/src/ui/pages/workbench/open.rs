//! Opening a model: files or a folder (picker or drag and drop), a URL, or the catalog; with
//! the data saver asking before big downloads.

use js_sys::Reflect;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileList, HtmlInputElement};
use yew::prelude::*;

use super::{ActiveKind, fmt, use_wb};
use crate::protocol::workbench::{
    DEMO_URL, Fit, RemoteFile, SUGGESTIONS, Suggestion, WbJob, files_for_url, stem,
};
use crate::store::STORE_KV;
use crate::ui::{StoreHandle, use_tr};

/// Where the data-saver choice is kept (IndexedDB key-value store).
const PREFS_KEY: &str = "workbench-prefs";

/// The workbench's own preferences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// `None`: follow the connection (on when it asks to save data or is 2G).
    pub data_saver: Option<bool>,
    /// Ask before downloads bigger than this many MB while the data saver is on.
    pub ask_over_mb: u32,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            data_saver: None,
            ask_over_mb: 50,
        }
    }
}

/// What `navigator.connection` says: (saveData, effectiveType).
fn connection() -> (bool, String) {
    let nav: JsValue = gloo::utils::window().navigator().into();
    let conn = Reflect::get(&nav, &JsValue::from_str("connection")).unwrap_or(JsValue::UNDEFINED);
    if conn.is_undefined() || conn.is_null() {
        return (false, String::new());
    }
    let save = Reflect::get(&conn, &JsValue::from_str("saveData"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let eff = Reflect::get(&conn, &JsValue::from_str("effectiveType"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    (save, eff)
}

/// Whether the connection itself asks for the data saver.
fn auto_data_saver() -> bool {
    let (save, eff) = connection();
    save || eff == "2g" || eff == "slow-2g"
}

/// Files a model import uses (others in a picked folder are skipped).
fn wanted(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base.ends_with(".gguf")
        || base.ends_with(".safetensors")
        || matches!(
            base.as_str(),
            "config.json"
                | "tokenizer.json"
                | "tokenizer_config.json"
                | "chat_template.jinja"
                | "chat_template.json"
                | "model.safetensors.index.json"
                | "tokenizer.model"
        )
}

/// The files of a FileList with their paths (a picked folder's files carry theirs).
fn list_files(list: &FileList) -> Vec<(String, File)> {
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|f| {
            let path = Reflect::get(&f, &JsValue::from_str("webkitRelativePath"))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| f.name());
            (path, f)
        })
        .collect()
}

/// Picked files as worker inputs (`blob:` URLs; no bytes are read here), and a model name.
fn files_to_job(files: Vec<(String, File)>) -> Option<(WbJob, String, Vec<String>)> {
    let mut remote = Vec::new();
    let mut urls = Vec::new();
    for (path, f) in files.iter().filter(|(p, _)| wanted(p)) {
        let Ok(url) = web_sys::Url::create_object_url_with_blob(f) else {
            continue;
        };
        urls.push(url.clone());
        remote.push(RemoteFile {
            name: path.clone(),
            url,
            size: Some(f.size() as u64),
        });
    }
    if remote.is_empty() {
        return None;
    }
    let lower = |f: &RemoteFile| f.name.to_ascii_lowercase();
    let safetensors = remote.iter().any(|f| lower(f).ends_with(".safetensors"));
    let name = match remote.iter().find(|f| lower(f).ends_with(".gguf")) {
        Some(g) if !safetensors => stem(&g.name),
        _ => remote[0]
            .name
            .split_once('/')
            .map(|(folder, _)| folder.to_string())
            .unwrap_or_else(|| "safetensors model".into()),
    };
    Some((
        WbJob::ImportFiles {
            name: name.clone(),
            files: remote,
        },
        name,
        urls,
    ))
}

/// Calls `obj.method(resolve, reject)` (the callback style of the File and Directory Entries
/// API) and awaits the value it is called back with.
async fn callback_call(obj: &JsValue, method: &str) -> Option<JsValue> {
    let f: js_sys::Function = Reflect::get(obj, &JsValue::from_str(method))
        .ok()?
        .dyn_into()
        .ok()?;
    let p = js_sys::Promise::new(&mut |resolve, reject| {
        let _ = f.call2(obj, &resolve, &reject);
    });
    JsFuture::from(p).await.ok()
}

/// Every file under a dropped entry, with its path (folders are walked).
fn walk(
    entry: JsValue,
    prefix: String,
    out: std::rc::Rc<std::cell::RefCell<Vec<(String, File)>>>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let flag = |k: &str| {
            Reflect::get(&entry, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        let name = Reflect::get(&entry, &JsValue::from_str("name"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if flag("isFile") {
            if let Some(f) = callback_call(&entry, "file").await
                && let Ok(f) = f.dyn_into::<File>()
            {
                out.borrow_mut().push((path, f));
            }
        } else if flag("isDirectory") {
            let Some(reader) = Reflect::get(&entry, &JsValue::from_str("createReader"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .and_then(|f| f.call0(&entry).ok())
            else {
                return;
            };
            // readEntries hands out a directory in batches until an empty one.
            while let Some(batch) = callback_call(&reader, "readEntries").await {
                let batch = js_sys::Array::from(&batch);
                if batch.length() == 0 {
                    break;
                }
                for e in batch.iter() {
                    walk(e, path.clone(), out.clone()).await;
                }
            }
        }
    })
}

/// The files of a drop: folders are walked when the browser exposes entries, else the plain
/// file list is used.
async fn dropped_files(
    entries: Vec<JsValue>,
    fallback: Vec<(String, File)>,
) -> Vec<(String, File)> {
    if entries.is_empty() {
        return fallback;
    }
    let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    for e in entries {
        walk(e, String::new(), out.clone()).await;
    }
    let files = out.borrow().clone();
    if files.is_empty() { fallback } else { files }
}

/// The size of a URL from a HEAD request (`None` when the server does not say).
async fn head_size(url: &str) -> Option<u64> {
    let init = web_sys::RequestInit::new();
    init.set_method("HEAD");
    let resp = JsFuture::from(gloo::utils::window().fetch_with_str_and_init(url, &init))
        .await
        .ok()?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return None;
    }
    let ct = resp
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if ct.starts_with("text/html") {
        // The app's own fallback page: the file is not there.
        return None;
    }
    resp.headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
}

/// This device's memory (`navigator.deviceMemory`, GiB, Chromium only) and free storage.
async fn device_room() -> (Option<u64>, Option<u64>) {
    let nav: JsValue = gloo::utils::window().navigator().into();
    let mem = Reflect::get(&nav, &JsValue::from_str("deviceMemory"))
        .ok()
        .and_then(|v| v.as_f64())
        .map(|g| (g * (1u64 << 30) as f64) as u64);
    let sm = gloo::utils::window().navigator().storage();
    let mut free = None;
    if let Ok(p) = sm.estimate()
        && let Ok(v) = JsFuture::from(p).await
    {
        let est: web_sys::StorageEstimate = v.unchecked_into();
        if let (Some(q), Some(u)) = (est.get_quota(), est.get_usage()) {
            free = Some((q - u).max(0.0) as u64);
        }
    }
    (mem, free)
}

/// A download waiting for the user's go-ahead (data saver).
#[derive(Clone, PartialEq)]
struct Ask {
    job: WbJob,
    name: String,
    size: Option<u64>,
}

#[function_component(OpenPanel)]
pub fn open_panel() -> Html {
    let tr = use_tr();
    let wb = use_wb();
    let store = use_context::<Option<StoreHandle>>().flatten();
    let prefs = use_state(Prefs::default);
    let url = use_state(String::new);
    let url_error = use_state(|| false);
    let ask = use_state(|| None::<Ask>);
    let dragging = use_state(|| false);
    let room = use_state(|| (None::<u64>, None::<u64>));
    let demo_ok = use_state(|| None::<bool>);
    let ask_ref = use_node_ref();

    {
        let (prefs, store, room, demo_ok) =
            (prefs.clone(), store.clone(), room.clone(), demo_ok.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(StoreHandle(s)) = store
                    && let Ok(Some(p)) = s.get::<Prefs>(STORE_KV, PREFS_KEY).await
                {
                    prefs.set(p);
                }
                room.set(device_room().await);
                // Offline, the demo (served beside the app) cannot be fetched either; asking
                // would only log a failed request.
                let online = gloo::utils::window().navigator().on_line();
                demo_ok.set(Some(online && head_size(DEMO_URL).await.is_some()));
            });
        });
    }
    // Move focus to the question when it appears, so keyboard users are not left behind.
    {
        let ask_ref = ask_ref.clone();
        use_effect_with(ask.is_some(), move |shown| {
            if *shown && let Some(el) = ask_ref.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let save_prefs = {
        let (prefs, store) = (prefs.clone(), store.clone());
        Callback::from(move |p: Prefs| {
            prefs.set(p.clone());
            if let Some(StoreHandle(s)) = store.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = s.put(STORE_KV, PREFS_KEY, &p).await;
                });
            }
        })
    };
    let saver_on = prefs.data_saver.unwrap_or_else(auto_data_saver);
    let limit = u64::from(prefs.ask_over_mb) * 1_000_000;

    // Starts a download now, or asks first when the data saver says so.
    let request = {
        let (wb, ask) = (wb.clone(), ask.clone());
        Callback::from(move |(job, name, size): (WbJob, String, Option<u64>)| {
            if saver_on && size.is_none_or(|s| s > limit) {
                ask.set(Some(Ask { job, name, size }));
            } else {
                wb.start.emit((job, ActiveKind::Download, name, Vec::new()));
            }
        })
    };

    let on_files = {
        let wb = wb.clone();
        Callback::from(move |files: Vec<(String, File)>| {
            if let Some((job, name, urls)) = files_to_job(files) {
                wb.start.emit((job, ActiveKind::Import, name, urls));
            }
        })
    };
    let on_pick = {
        let on_files = on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(list) = input.files() {
                on_files.emit(list_files(&list));
            }
            // Picking the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let on_drag = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_drop = {
        let (dragging, on_files, busy) = (dragging.clone(), on_files.clone(), wb.busy());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if busy {
                return;
            }
            let Some(dt) = e.data_transfer() else {
                return;
            };
            // Entries must be taken during the event; they are read afterwards.
            let items =
                Reflect::get(&dt, &JsValue::from_str("items")).unwrap_or(JsValue::UNDEFINED);
            let n = Reflect::get(&items, &JsValue::from_str("length"))
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0) as u32;
            let entries: Vec<JsValue> = (0..n)
                .filter_map(|i| Reflect::get_u32(&items, i).ok())
                .filter_map(|item| {
                    let f: js_sys::Function =
                        Reflect::get(&item, &JsValue::from_str("webkitGetAsEntry"))
                            .ok()?
                            .dyn_into()
                            .ok()?;
                    f.call0(&item).ok().filter(|v| !v.is_null())
                })
                .collect();
            let fallback = dt.files().map(|l| list_files(&l)).unwrap_or_default();
            let on_files = on_files.clone();
            wasm_bindgen_futures::spawn_local(async move {
                on_files.emit(dropped_files(entries, fallback).await);
            });
        })
    };
    let on_url_input = {
        let (url, url_error) = (url.clone(), url_error.clone());
        Callback::from(move |e: InputEvent| {
            url.set(e.target_unchecked_into::<HtmlInputElement>().value());
            url_error.set(false);
        })
    };
    let on_url_submit = {
        let (url, url_error, request) = (url.clone(), url_error.clone(), request.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match files_for_url(&url) {
                Some((name, files)) => {
                    let (request, first) = (request.clone(), files.last().map(|f| f.url.clone()));
                    let n = files.len();
                    wasm_bindgen_futures::spawn_local(async move {
                        // The big file is the last one; its size decides whether to ask.
                        let size = match (&first, n) {
                            (Some(u), _) => head_size(u).await,
                            _ => None,
                        };
                        request.emit((
                            WbJob::Download {
                                resume: None,
                                name: name.clone(),
                                files,
                            },
                            name,
                            size,
                        ));
                    });
                }
                None => url_error.set(true),
            }
        })
    };
    let on_saver = {
        let (prefs, save) = (prefs.clone(), save_prefs.clone());
        Callback::from(move |e: Event| {
            let mut p = (*prefs).clone();
            p.data_saver = Some(e.target_unchecked_into::<HtmlInputElement>().checked());
            save.emit(p);
        })
    };
    let on_limit = {
        let (prefs, save) = (prefs.clone(), save_prefs.clone());
        Callback::from(move |e: Event| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse::<u32>()
            {
                let mut p = (*prefs).clone();
                p.ask_over_mb = v;
                save.emit(p);
            }
        })
    };

    let busy = wb.busy();
    let catalog = SUGGESTIONS.iter().map(|s: &Suggestion| {
        let fit = Fit::judge(s.approx_bytes, room.0, room.1);
        let available = !s.local || *demo_ok == Some(true);
        let go = {
            let request = request.clone();
            let s = s.clone();
            Callback::from(move |_| {
                let files = s
                    .files
                    .iter()
                    .map(|(n, u)| RemoteFile {
                        name: n.to_string(),
                        url: u.to_string(),
                        size: None,
                    })
                    .collect();
                // The local demo costs no data: never ask for it.
                let size = if s.local { Some(0) } else { Some(s.approx_bytes) };
                request.emit((
                    WbJob::Download {
                        resume: None,
                        name: s.name.to_string(),
                        files,
                    },
                    s.name.to_string(),
                    size,
                ));
            })
        };
        html! {
            <li class="card wb-suggestion" data-testid="wb-suggestion">
                <h3>{ s.name }</h3>
                <p class="wb-sub">
                    { tr.ta("wb-params", &[("n", fmt::params(s.params).into())]) }
                    { " · " }
                    { tr.ta("wb-approx-size", &[("size", fmt::bytes(s.approx_bytes).into())]) }
                </p>
                <p class={classes!("wb-fit", format!("wb-fit-{fit:?}").to_lowercase())}>{ tr.t(fit.label_key()) }</p>
                if s.local {
                    <p class="wb-sub">{ match *demo_ok {
                        Some(true) => tr.t("wb-demo-ready"),
                        Some(false) => tr.t("wb-demo-missing"),
                        None => String::new(),
                    } }</p>
                } else {
                    <p class="wb-sub">{ tr.t("wb-from-hf") }</p>
                }
                <button type="button" class="button primary" onclick={go} disabled={busy || !available}
                        aria-label={tr.ta("wb-get-named", &[("name", s.name.to_string().into())])}>{ tr.t("wb-get") }</button>
            </li>
        }
    });

    let question = ask.as_ref().map(|a| {
        let yes = {
            let (ask, wb, a) = (ask.clone(), wb.clone(), a.clone());
            Callback::from(move |_| {
                ask.set(None);
                wb.start.emit((a.job.clone(), ActiveKind::Download, a.name.clone(), Vec::new()));
            })
        };
        let no = {
            let ask = ask.clone();
            Callback::from(move |_| ask.set(None))
        };
        let size = a.size.map(fmt::bytes).unwrap_or_else(|| tr.t("wb-size-unknown"));
        html! {
            <div class="notice wb-ask" role="group" aria-labelledby="wb-ask-text" tabindex="-1" ref={ask_ref.clone()} data-testid="wb-ask">
                <p id="wb-ask-text">{ tr.ta("wb-ask-download", &[("name", a.name.clone().into()), ("size", size.into())]) }</p>
                <div class="button-row">
                    <button type="button" class="button primary" onclick={yes}>{ tr.t("wb-ask-yes") }</button>
                    <button type="button" class="button" onclick={no}>{ tr.t("wb-ask-no") }</button>
                </div>
            </div>
        }
    });

    html! {
        <section class="panel" aria-labelledby="wb-open-h">
            <h2 id="wb-open-h">{ tr.t("wb-open") }</h2>
            <div class={classes!("wb-drop", dragging.then_some("dragging"))}
                 ondragover={on_drag.clone()} ondragenter={on_drag} ondragleave={on_leave} ondrop={on_drop}
                 data-testid="wb-drop">
                <p>{ tr.t("wb-drop-hint") }</p>
                <div class="button-row">
                    <label class="button primary wb-file-label">
                        { tr.t("wb-pick-files") }
                        <input type="file" class="visually-hidden" multiple=true disabled={busy}
                               accept=".gguf,.safetensors,.json,.jinja,.model" onchange={on_pick.clone()}
                               data-testid="wb-file-input" />
                    </label>
                    <label class="button wb-file-label">
                        { tr.t("wb-pick-folder") }
                        <input type="file" class="visually-hidden" webkitdirectory=true multiple=true disabled={busy}
                               onchange={on_pick} data-testid="wb-folder-input" />
                    </label>
                </div>
                <p class="wb-sub">{ tr.t("wb-files-stay") }</p>
            </div>

            <form class="wb-url" onsubmit={on_url_submit}>
                <div class="field">
                    <label for="wb-url">{ tr.t("wb-url-label") }</label>
                    <input id="wb-url" type="url" inputmode="url" value={(*url).clone()} oninput={on_url_input}
                           placeholder="https://huggingface.co/…/resolve/main/model.gguf"
                           aria-describedby="wb-url-help" aria-invalid={url_error.to_string()} />
                    <p id="wb-url-help" class="wb-sub">{ tr.t("wb-url-help") }</p>
                    if *url_error {
                        <p class="wb-error" role="alert">{ tr.t("wb-url-bad") }</p>
                    }
                </div>
                <button type="submit" class="button primary" disabled={busy || url.trim().is_empty()}>{ tr.t("wb-url-go") }</button>
            </form>

            { question.unwrap_or_default() }

            <h3>{ tr.t("wb-catalog") }</h3>
            <ul class="card-list wb-catalog">{ for catalog }</ul>

            <details class="wb-saver">
                <summary>{ tr.t(if saver_on { "wb-saver-summary-on" } else { "wb-saver-summary-off" }) }</summary>
                <div class="radio">
                    <input type="checkbox" id="wb-saver" checked={saver_on} onchange={on_saver} />
                    <label for="wb-saver">{ tr.t("wb-saver") }</label>
                </div>
                <p class="wb-sub">{ tr.t(if prefs.data_saver.is_none() && auto_data_saver() { "wb-saver-auto-on" } else { "wb-saver-why" }) }</p>
                <div class="field">
                    <label for="wb-saver-limit">{ tr.t("wb-saver-limit") }</label>
                    <input id="wb-saver-limit" type="number" min="0" step="10" inputmode="numeric"
                           value={prefs.ask_over_mb.to_string()} onchange={on_limit} />
                </div>
            </details>
        </section>
    }
}
