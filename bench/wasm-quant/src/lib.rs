//! The engine's quantization job, exported to JavaScript for the browser benchmark
//! (bench/wasm-quant/www/bench.mjs, driven by scripts/bench_quantize_wasm.sh).
//!
//! [`Bench::run`] does what `bitsmith quantize --threads 1` does, minus the file system: it
//! parses the GGUF header, plans the preset, and runs `pipeline::run_job` with 16 MiB reads
//! (the CLI's chunk size) copied out of a JavaScript `Uint8Array` holding the F32 model (the
//! browser's stand-in for the page cache) and the output appended to a buffer in wasm memory.
//! The caller times the call; the output stays here so that it can be hashed afterwards and
//! compared with llama.cpp's file.

use bitsmith_engine::gguf::{GgufEvent, GgufStreamReader};
use bitsmith_engine::pipeline::{JobOptions, QuantizeJob, SourceModel, run_job};
use bitsmith_engine::preset::{Preset, QuantOptions};
use bitsmith_engine::progress::{CancelToken, NoProgress};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

/// Source bytes per read, as the native CLI (engine/src/bin/bitsmith/convert.rs).
const CHUNK_BYTES: usize = 16 << 20;

#[wasm_bindgen]
#[derive(Default)]
pub struct Bench {
    output: Vec<u8>,
}

#[wasm_bindgen]
impl Bench {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Bench {
        Bench::default()
    }

    /// Quantizes `model` (a whole GGUF file) with llama.cpp preset `preset` (`--pure` when
    /// `pure`), one thread. Returns the number of tensors converted.
    pub fn run(&mut self, model: &Uint8Array, preset: &str, pure: bool) -> Result<u32, JsError> {
        let size = model.length() as u64;
        let mut reader = GgufStreamReader::with_file_size(size);
        let mut header = None;
        let mut pos = 0u32;
        let mut buf = vec![0u8; 1 << 20];
        while header.is_none() {
            let end = (pos + buf.len() as u32).min(model.length());
            if end == pos {
                return Err(JsError::new("no GGUF header found"));
            }
            let piece = &mut buf[..(end - pos) as usize];
            model.subarray(pos, end).copy_to(piece);
            for ev in reader.feed(piece)? {
                if let GgufEvent::Header(h) = ev {
                    header = Some(h);
                }
            }
            pos = end;
        }
        let header = header.expect("loop ends with a header");
        let source = SourceModel::from_gguf(&header);
        let preset: Preset = preset.parse().map_err(|e| JsError::new(&format!("{e}")))?;
        let mut opts = QuantOptions::new(preset);
        opts.pure = pure;
        let plan = source.plan(&opts)?;
        let job = QuantizeJob::new(&source, plan, None, JobOptions::default())?;
        self.output.clear();
        self.output.reserve(job.file_size() as usize);
        let output = &mut self.output;
        let summary = run_job(
            job,
            |index, offset, dst| {
                let range = header
                    .tensor_range(index)
                    .ok_or_else(|| format!("tensor #{index} has no data range"))?;
                let start = u32::try_from(range.start + offset).map_err(|e| e.to_string())?;
                let end = start + dst.len() as u32;
                model.subarray(start, end).copy_to(dst);
                Ok(())
            },
            |bytes| {
                output.extend_from_slice(bytes);
                Ok(())
            },
            &mut NoProgress,
            &CancelToken::new(),
            CHUNK_BYTES,
        )?;
        Ok(summary.converted as u32)
    }

    /// The last run's output file (a copy).
    pub fn output(&self) -> Vec<u8> {
        self.output.clone()
    }

    /// Length of the last run's output.
    pub fn output_len(&self) -> f64 {
        self.output.len() as f64
    }

    /// Whether the engine was built with WebAssembly SIMD.
    pub fn simd128() -> bool {
        cfg!(target_feature = "simd128")
    }
}
