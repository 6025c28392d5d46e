//! The lesson widgets' side of the worker: fetches the real weight slices (and their importance
//! vectors and Hessian blocks) from `/content/weights/`, keeps them decoded for the worker's
//! lifetime, and runs `crate::learn::compute` / `crate::learn::sim` on them. The service worker
//! precaches `/content/`, so this works offline.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bitsmith_curriculum::WeightSlice;
use gloo::worker::{HandlerId, WorkerScope};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::EngineWorker;
use crate::learn::{compute, sim};
use crate::protocol::learn::{LearnCall, LearnReply};
use crate::protocol::{CallId, Reply, Response};

/// Where the content compiler's weight files are served (scripts/post_build.py copies
/// `target/content-bundles` to `/content`).
const WEIGHTS_URL: &str = "/content/weights/";

thread_local! {
    /// Decoded files by name: slices as f32 (from f16), importance and Hessians as f32.
    static FILES: RefCell<HashMap<String, Rc<Vec<f32>>>> = RefCell::new(HashMap::new());
}

/// Answers a lesson call, after fetching whatever weights it needs.
pub fn respond(scope: &WorkerScope<EngineWorker>, id: HandlerId, call: CallId, body: LearnCall) {
    let scope = scope.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let body = match answer(body).await {
            Ok(r) => Reply::Learn(Box::new(r)),
            Err(e) => Reply::Error(e),
        };
        scope.respond(id, Response::Reply { call, body });
    });
}

async fn fetch(file: &str) -> Result<Vec<u8>, String> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let url = format!("{WEIGHTS_URL}{file}");
    let resp = JsFuture::from(global.fetch_with_str(&url))
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    let resp: web_sys::Response = resp.unchecked_into();
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// A file decoded by `decode`, fetched once per worker.
async fn cached(
    file: &str,
    decode: impl FnOnce(&[u8]) -> Option<Vec<f32>>,
) -> Result<Rc<Vec<f32>>, String> {
    if let Some(v) = FILES.with(|f| f.borrow().get(file).cloned()) {
        return Ok(v);
    }
    let bytes = fetch(file).await?;
    let v = Rc::new(
        decode(&bytes).ok_or_else(|| format!("{file}: wrong size ({} bytes)", bytes.len()))?,
    );
    FILES.with(|f| f.borrow_mut().insert(file.to_string(), v.clone()));
    Ok(v)
}

async fn weights(slice: &WeightSlice) -> Result<Rc<Vec<f32>>, String> {
    cached(&slice.file, |b| slice.decode_f16(b)).await
}

async fn importance(slice: &WeightSlice) -> Result<Option<Rc<Vec<f32>>>, String> {
    match &slice.importance_file {
        Some(f) => cached(f, |b| slice.decode_importance(b)).await.map(Some),
        None => Ok(None),
    }
}

async fn answer(call: LearnCall) -> Result<LearnReply, String> {
    let e = |e: compute::ComputeError| e.to_string();
    Ok(match call {
        LearnCall::Quantize {
            slice,
            method,
            bits,
            group,
            symmetric,
            importance: use_imp,
        } => {
            let w = weights(&slice).await?;
            let imp = if use_imp {
                importance(&slice).await?
            } else {
                None
            };
            LearnReply::Quantize(
                compute::quantize(
                    &w,
                    slice.cols,
                    &method,
                    bits,
                    group,
                    symmetric,
                    imp.as_deref().map(Vec::as_slice),
                )
                .map_err(e)?,
            )
        }
        LearnCall::ErrorCurve {
            slice,
            group,
            symmetric,
            bits,
        } => {
            let w = weights(&slice).await?;
            LearnReply::ErrorCurve(
                compute::error_curve(&w, slice.cols, group, symmetric, &bits).map_err(e)?,
            )
        }
        LearnCall::Block {
            slice,
            ggml_type,
            row,
            block,
        } => {
            let w = weights(&slice).await?;
            LearnReply::Block(
                compute::block_view(&w, slice.cols, &ggml_type, row, block).map_err(e)?,
            )
        }
        LearnCall::Number { value, formats } => LearnReply::Number(
            formats
                .into_iter()
                .map(|f| compute::number_view(value, f))
                .collect(),
        ),
        LearnCall::Spiking {
            tau_ms,
            threshold,
            input,
            duration_ms,
        } => LearnReply::Spiking(sim::spiking(tau_ms, threshold, input, duration_ms).map_err(e)?),
        LearnCall::Anneal {
            slice,
            row,
            col,
            count,
            bits,
            sweeps,
            t_start,
            t_end,
            seed,
        } => {
            let hb = slice
                .hessian
                .clone()
                .ok_or_else(|| format!("{} has no Hessian block", slice.id))?;
            let w = weights(&slice).await?;
            let h = cached(&hb.file, |b| hb.decode(b)).await?;
            let (start, size) = (hb.col_start, hb.size);
            if col < start || col + count > start + size || row >= slice.rows {
                return Err(format!(
                    "columns {col}..{} of row {row} are outside the Hessian block {start}..{}",
                    col + count,
                    start + size
                ));
            }
            let off = (row * slice.cols + col) as usize;
            let ws = &w[off..off + count as usize];
            // The block restricted to the chosen columns.
            let (n, k0) = (count as usize, (col - start) as usize);
            let mut hs = Vec::with_capacity(n * n);
            for i in 0..n {
                let r = (k0 + i) * size as usize + k0;
                hs.extend_from_slice(&h[r..r + n]);
            }
            LearnReply::Anneal(sim::anneal(ws, &hs, bits, sweeps, t_start, t_end, seed).map_err(e)?)
        }
    })
}
