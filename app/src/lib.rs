//! Bitsmith's web app. Two binaries share this library: `bitsmith-app` (the Yew UI on the main
//! thread) and `worker` (the engine in a dedicated Web Worker). Only this crate knows the DOM,
//! IndexedDB, the network and workers; the engine it drives is pure Rust.
//!
//! Modules that touch the browser are wasm-only; `protocol`, `i18n` and `settings` are plain
//! Rust so their tests run natively too.

pub mod i18n;
pub mod learn;
pub mod library;
pub mod protocol;
pub mod settings;

#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
