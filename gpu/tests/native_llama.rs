//! The GPU transformer against the CPU forward pass (`bitsmith_engine::infer::Model`) on real
//! SmolLM2-135M-Instruct files: one layer at a time (prompt batch and single-token decode over
//! the KV cache) and whole-model logits (prompt, then token-by-token decode).
//!
//! With F32 weights both paths compute in f32 (the CPU's activation type for F32 weights is
//! F32), so they must agree closely: this is what checks RoPE, attention, the cache layout and
//! the residual wiring. With quantized weights the CPU quantizes activations to Q8 and the GPU
//! does not, so the tolerance is wider and the check is that both pick the same next token
//! wherever the CPU's choice is clear.
//!
//! Models: `scripts/fetch_test_models.sh` and `scripts/prepare_infer_models.sh` put them in
//! `$BITSMITH_MODELS` or `~/.cache/bitsmith/models/`; without them these tests print a notice
//! and pass.

#![cfg(not(target_arch = "wasm32"))]

use bitsmith_engine::GgmlType;
use bitsmith_engine::gguf::{GgufFile, write_gguf};
use bitsmith_engine::infer::{Backend, Model, Outputs, shared};
use bitsmith_gpu::llama::GpuLlama;
use bitsmith_gpu::{Gpu, max_rel_diff};
use pollster::block_on;

fn model_bytes(name: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("BITSMITH_MODELS")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/bitsmith/models"))
        })?;
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found; run scripts/prepare_infer_models.sh",
                path.display()
            );
            None
        }
    }
}

struct Pair {
    gpu: Gpu,
    cpu: Model,
    gl: GpuLlama,
}

fn load(name: &str) -> Option<Pair> {
    let bytes = shared(model_bytes(name)?);
    let file = GgufFile::parse((*bytes).as_ref()).unwrap();
    let gpu = block_on(Gpu::open()).expect("a Vulkan adapter (lavapipe)");
    let cpu = Model::from_gguf(&file, bytes.clone(), Backend::detect()).unwrap();
    let gl = GpuLlama::from_gguf(&gpu, &file, bytes).unwrap();
    Some(Pair { gpu, cpu, gl })
}

/// "<|im_start|>user\nWhat is 2+2?" in SmolLM2's vocabulary, plus a few continuation tokens.
const PROMPT: [u32; 8] = [1, 4093, 198, 1780, 314, 216, 34, 32];
const DECODE: [u32; 3] = [216, 34, 47];

/// Largest |difference| over the rows' largest magnitude, row by row (a layer's hidden state
/// has a few huge channels; per-row scaling keeps small rows honest).
fn rowwise_rel(got: &[f32], want: &[f32], n: usize) -> f32 {
    got.chunks(n)
        .zip(want.chunks(n))
        .map(|(g, w)| max_rel_diff(g, w))
        .fold(0f32, f32::max)
}

/// Every layer on the CPU's own input to it: the 8-token prompt as one batch (causal
/// attention inside the batch), then one decode token attending over the cache the batch
/// filled. Returns the largest row-relative difference over all layers.
fn check_layers(p: &Pair, tol: f32) -> f32 {
    let e = p.cpu.hparams().n_embd;
    let n_layer = p.cpu.hparams().n_layer;
    let all: Vec<u32> = PROMPT.iter().chain(&DECODE[..1]).copied().collect();
    let mut hidden = vec![p.gl.embed(&all).unwrap()];
    let mut ctx = p.cpu.new_context(64).unwrap();
    p.cpu
        .forward_with(&mut ctx, &all, Outputs::None, &mut |_, h| {
            hidden.push(h.to_vec())
        })
        .unwrap();
    let mut gctx = p.gl.new_context(&p.gpu, 64).unwrap();
    let np = PROMPT.len();
    let mut worst = 0f32;
    for li in 0..n_layer {
        let (input, want) = (&hidden[li], &hidden[li + 1]);
        let batch = block_on(p.gl.run_layer(&p.gpu, &mut gctx, li, &input[..np * e], 0)).unwrap();
        let one = block_on(p.gl.run_layer(&p.gpu, &mut gctx, li, &input[np * e..], np)).unwrap();
        let d_batch = rowwise_rel(&batch, &want[..np * e], e);
        let d_one = rowwise_rel(&one, &want[np * e..], e);
        assert!(d_batch <= tol, "layer {li} prompt batch: {d_batch}");
        assert!(d_one <= tol, "layer {li} decode token: {d_one}");
        worst = worst.max(d_batch).max(d_one);
    }
    worst
}

/// Logits of the prompt (every position, one batch) and then of three decode steps, GPU
/// against CPU. Returns (largest row-relative logit difference, next-token disagreements where
/// the CPU's top two logits are further apart than twice that row's difference).
fn check_logits(p: &Pair, tol: f32) -> (f32, usize) {
    let n_vocab = p.cpu.n_vocab();
    let mut cctx = p.cpu.new_context(32).unwrap();
    let mut gctx = p.gl.new_context(&p.gpu, 32).unwrap();
    let mut rows = vec![];
    let c = p.cpu.forward(&mut cctx, &PROMPT, Outputs::All).unwrap();
    let g = block_on(p.gl.forward(&p.gpu, &mut gctx, &PROMPT, Outputs::All)).unwrap();
    assert_eq!(g.len(), PROMPT.len() * n_vocab);
    rows.extend(
        c.chunks(n_vocab)
            .map(<[f32]>::to_vec)
            .zip(g.chunks(n_vocab).map(<[f32]>::to_vec)),
    );
    for &t in &DECODE {
        let c = p.cpu.forward(&mut cctx, &[t], Outputs::Last).unwrap();
        let g = block_on(p.gl.forward(&p.gpu, &mut gctx, &[t], Outputs::Last)).unwrap();
        rows.push((c, g));
    }
    assert_eq!(gctx.n_past(), PROMPT.len() + DECODE.len());
    let argmax = |v: &[f32]| {
        v.iter()
            .enumerate()
            .fold((0, f32::MIN), |b, (i, &x)| if x > b.1 { (i, x) } else { b })
    };
    let (mut worst, mut flips) = (0f32, 0);
    for (i, (c, g)) in rows.iter().enumerate() {
        let d = max_rel_diff(g, c);
        eprintln!("  logits row {i}: {d:.2e}");
        assert!(d <= tol, "logits row {i}: {d}");
        worst = worst.max(d);
        let (ci, cv) = argmax(c);
        let second = c
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != ci)
            .fold(f32::MIN, |m, (_, &x)| m.max(x));
        let abs = g.iter().zip(c).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        if argmax(g).0 != ci && cv - second > 2.0 * abs {
            flips += 1;
        }
    }
    (worst, flips)
}

/// F32 weights: both paths in f32. Differences come from summation order only.
#[test]
fn f32_model_layers_and_logits_match_cpu() {
    let Some(p) = load("SmolLM2-135M-Instruct.F32.gguf") else {
        return;
    };
    let layers = check_layers(&p, 1e-4);
    let (logits, flips) = check_logits(&p, 1e-4);
    eprintln!("F32: layers {layers:.2e}, logits {logits:.2e}, clear-argmax flips {flips}");
    assert_eq!(flips, 0);
}

/// The tolerance for quantized models against the CPU path, as a fraction of the largest
/// logit: the CPU rounds every matrix input to 8 bits (30 layers × 7 matrices), the GPU does
/// not. The measured differences (2-9%) are the size of the CPU path's own distance from f32
/// arithmetic, which `check_against_dequantized` measures (3-5%).
const QUANT_TOL: f32 = 1e-1;

/// The shipped Q4_1 file (Q8_0 embedding/output): the GPU's f32 activations against the
/// CPU's Q8_1/Q8_0 ones.
#[test]
fn q4_1_model_layers_and_logits_match_cpu() {
    let Some(p) = load("SmolLM2-135M-Instruct.Q4_1.gguf") else {
        return;
    };
    let layers = check_layers(&p, QUANT_TOL);
    let (logits, flips) = check_logits(&p, QUANT_TOL);
    eprintln!("Q4_1: layers {layers:.2e}, logits {logits:.2e}, clear-argmax flips {flips}");
    assert_eq!(flips, 0);
}

/// `file` with every tensor dequantized to F32, written to memory (metadata unchanged).
fn dequantized_copy(file: &GgufFile, bytes: &[u8]) -> Vec<u8> {
    let mut datas = vec![];
    let mut infos = vec![];
    for (i, t) in file.tensors.iter().enumerate() {
        let data = file.tensor_data(bytes, i).unwrap();
        let mut f = vec![0f32; t.n_elements() as usize];
        bitsmith_engine::quant::dequantize_row(t.ggml_type, data, &mut f).unwrap();
        datas.push(f.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
        let mut info = t.clone();
        info.ggml_type = GgmlType::F32;
        infos.push(info);
    }
    let tensors = infos
        .into_iter()
        .zip(datas.iter().map(Vec::as_slice))
        .collect();
    write_gguf(file.metadata.clone(), tensors).unwrap()
}

/// The GPU running a quantized file with f32 activations computes the same function as the
/// CPU running that file's weights dequantized to F32 (where the CPU's activations are F32
/// too): a tight check of every quantized kernel inside a real model, prompt batch and decode.
/// The CPU running the quantized file (Q8 activations) is shown for scale. Returns (GPU, CPU
/// Q8 path) distances from the f32 result.
fn check_against_dequantized(name: &str) -> Option<(f32, f32)> {
    let p = load(name)?;
    let bytes = model_bytes(name)?;
    let file = GgufFile::parse(&bytes).unwrap();
    let fb = shared(dequantized_copy(&file, &bytes));
    let ff = GgufFile::parse((*fb).as_ref()).unwrap();
    let cpu_f = Model::from_gguf(&ff, fb.clone(), Backend::detect()).unwrap();
    let n = cpu_f.n_vocab();
    let all: Vec<u32> = PROMPT.iter().chain(&DECODE).copied().collect();
    let want = cpu_f
        .forward(&mut cpu_f.new_context(16).unwrap(), &all, Outputs::All)
        .unwrap();
    let cq = p
        .cpu
        .forward(&mut p.cpu.new_context(16).unwrap(), &all, Outputs::All)
        .unwrap();
    // The prompt as one batch, then the decode tokens one at a time.
    let mut gctx = p.gl.new_context(&p.gpu, 16).unwrap();
    let mut g = block_on(p.gl.forward(&p.gpu, &mut gctx, &PROMPT, Outputs::All)).unwrap();
    for &t in &DECODE {
        g.extend(block_on(p.gl.forward(&p.gpu, &mut gctx, &[t], Outputs::Last)).unwrap());
    }
    let d_gpu = rowwise_rel(&g, &want, n);
    let d_cpu = rowwise_rel(&cq, &want, n);
    eprintln!(
        "{name} vs its F32 dequantization: GPU {d_gpu:.2e}, CPU (Q8 activations) {d_cpu:.2e}"
    );
    assert!(d_gpu <= 1e-4, "{name}: {d_gpu}");
    Some((d_gpu, d_cpu))
}

#[test]
fn q4_1_on_gpu_equals_its_f32_dequantization() {
    check_against_dequantized("SmolLM2-135M-Instruct.Q4_1.gguf");
}

/// Q4_K, Q6_K, Q5_0 and Q8_0 matrices in one model.
#[test]
fn q4_k_m_on_gpu_equals_its_f32_dequantization() {
    check_against_dequantized("SmolLM2-135M-Instruct.Q4_K_M.gguf");
}

/// Q4_K_M mixes Q4_K, Q6_K, Q5_0 and Q8_0 matrices.
#[test]
fn q4_k_m_model_logits_match_cpu() {
    let Some(p) = load("SmolLM2-135M-Instruct.Q4_K_M.gguf") else {
        return;
    };
    let (logits, flips) = check_logits(&p, QUANT_TOL);
    eprintln!("Q4_K_M: logits {logits:.2e}, clear-argmax flips {flips}");
    assert_eq!(flips, 0);
}

#[test]
fn q8_0_model_logits_match_cpu() {
    let Some(p) = load("SmolLM2-135M-Instruct.Q8_0.gguf") else {
        return;
    };
    let (logits, flips) = check_logits(&p, QUANT_TOL);
    eprintln!("Q8_0: logits {logits:.2e}, clear-argmax flips {flips}");
    assert_eq!(flips, 0);
}
