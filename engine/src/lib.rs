//! Bitsmith's engine: pure Rust and sans-IO. It works on bytes and chunks handed to it and never
//! touches files, the network, the DOM or storage; the CLI (`src/bin/bitsmith.rs`) and the web
//! app's worker do the I/O and call in here. It builds natively and for `wasm32-unknown-unknown`.

pub mod ggml_type;

pub use ggml_type::GgmlType;
pub mod device;
pub mod gguf;
pub mod hf;
pub mod imatrix;
pub mod infer;
pub mod model;
pub mod ops;
pub mod pipeline;
pub mod plan;
pub mod preset;
pub mod progress;
pub mod quant;
pub mod safetensors;
pub mod tokenizer;
