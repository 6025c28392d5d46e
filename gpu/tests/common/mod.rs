//! Kernel checks shared by the native (lavapipe) and browser (SwiftShader WebGPU) tests: each
//! runs a kernel on deterministic data, compares it with the engine's scalar reference, asserts
//! the stated tolerance and returns the measured difference.

#![allow(dead_code)] // each test binary uses a subset

use bitsmith_engine::GgmlType;
use bitsmith_engine::infer::RopeKind;
use bitsmith_engine::infer::vec_dot::{ActType, quantize_act_row, scalar_dot_fn};
use bitsmith_engine::ops::{self, AttnShape};
use bitsmith_engine::quant;
use bitsmith_gpu::{
    ATTENTION_TOLERANCE, Gpu, MATVEC_TOLERANCE, MATVEC_VS_Q8_TOLERANCE, ROPE_TOLERANCE, RopeShape,
    SOFTMAX_TOLERANCE, SWIGLU_TOLERANCE, max_rel_diff, test_signal,
};

/// `rows` rows of `n` values quantized to `ty` by the engine's quantizer.
pub fn quantized(ty: GgmlType, src: &[f32], n: usize) -> Vec<u8> {
    let rows = src.len() / n;
    let mut out = vec![0u8; ty.row_bytes(n).unwrap() * rows];
    quant::quantize_rows(ty, src, n, &mut out, None).unwrap();
    out
}

/// The CPU inference path's product: activations quantized to the weight's partner type
/// (Q8_0/Q8_1/Q8_K, F16 for F16 weights) and the scalar reference `vec_dot`.
pub fn cpu_q8_matvec(ty: GgmlType, w: &[u8], n_in: usize, x: &[f32]) -> Vec<f32> {
    let act = ActType::for_weight(ty).unwrap();
    let dot = scalar_dot_fn(ty).unwrap();
    let rb = ty.row_bytes(n_in).unwrap();
    let n_out = w.len() / rb;
    let mut a = vec![0u8; act.row_bytes(n_in).unwrap()];
    let mut out = vec![0f32; x.len() / n_in * n_out];
    for (t, xt) in x.chunks_exact(n_in).enumerate() {
        quantize_act_row(act, xt, &mut a).unwrap();
        for (r, wr) in w.chunks_exact(rb).enumerate() {
            out[t * n_out + r] = dot(wr, &a);
        }
    }
    out
}

/// GPU matvec of stored `ty` weights `w` (rows of `n_in`) with `x` against the dequantized f64
/// reference and against the CPU's Q8 path. Returns (vs reference, vs CPU Q8 path).
pub async fn check_matvec_bytes(
    gpu: &Gpu,
    ty: GgmlType,
    w: &[u8],
    n_in: usize,
    x: &[f32],
) -> (f32, f32) {
    let n_out = w.len() / ty.row_bytes(n_in).unwrap();
    let gw = gpu.upload_weight(ty, w, n_in, n_out).unwrap();
    let got = gpu.matvec(&gw, x).await.unwrap();
    let mut want = vec![0f32; got.len()];
    ops::matvec_dequant(ty, w, n_in, x, &mut want).unwrap();
    let d_ref = max_rel_diff(&got, &want);
    let q8 = cpu_q8_matvec(ty, w, n_in, x);
    let d_q8 = max_rel_diff(&got, &q8);
    assert!(
        d_ref <= MATVEC_TOLERANCE,
        "{ty} {n_out}x{n_in}: {d_ref} vs the f64 reference"
    );
    assert!(
        d_q8 <= MATVEC_VS_Q8_TOLERANCE,
        "{ty} {n_out}x{n_in}: {d_q8} vs the CPU Q8 path"
    );
    (d_ref, d_q8)
}

/// [`check_matvec_bytes`] on random weights (scaled by `scale`) quantized by the engine.
pub async fn check_matvec(
    gpu: &Gpu,
    ty: GgmlType,
    n_in: usize,
    n_out: usize,
    n_tok: usize,
    scale: f32,
) -> (f32, f32) {
    let seed = (n_in * 31 + n_out * 7 + n_tok) as u32;
    let w: Vec<f32> = test_signal(n_in * n_out, seed)
        .iter()
        .map(|v| v * scale)
        .collect();
    let x = test_signal(n_in * n_tok, seed + 1);
    let bytes = quantized(ty, &w, n_in);
    check_matvec_bytes(gpu, ty, &bytes, n_in, &x).await
}

pub async fn check_rope(
    gpu: &Gpu,
    kind: RopeKind,
    n_heads: usize,
    head_dim: usize,
    n_rot: usize,
    p0: usize,
    n_tok: usize,
) -> f32 {
    let mut x = test_signal(n_heads * head_dim * n_tok, (p0 + n_rot) as u32);
    let table = ops::rope_cache(p0, n_tok, n_rot, 10000.0, 1.0, None);
    let shape = RopeShape {
        n_heads,
        head_dim,
        n_rot,
        kind,
    };
    let got = gpu.rope(&x, &table, shape).await.unwrap();
    ops::rope(&mut x, n_heads, head_dim, n_rot, kind, &table);
    let d = max_rel_diff(&got, &x);
    assert!(d <= ROPE_TOLERANCE, "rope {kind:?} p0={p0}: {d}");
    d
}

pub async fn check_softmax(gpu: &Gpu, n: usize, rows: usize, spread: f32) -> f32 {
    let x: Vec<f32> = test_signal(n * rows, n as u32)
        .iter()
        .map(|v| v * spread)
        .collect();
    let got = gpu.softmax_rows(&x, n).await.unwrap();
    let mut want = x.clone();
    for r in want.chunks_exact_mut(n) {
        ops::softmax(r);
    }
    let d = got
        .iter()
        .zip(&want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(d <= SOFTMAX_TOLERANCE, "softmax n={n}: {d}");
    d
}

pub async fn check_swiglu(gpu: &Gpu, n: usize) -> f32 {
    let g: Vec<f32> = test_signal(n, 5).iter().map(|v| v * 20.0).collect();
    let u = test_signal(n, 6);
    let got = gpu.swiglu(&g, &u).await.unwrap();
    let mut want = g.clone();
    ops::swiglu(&mut want, &u);
    let d = max_rel_diff(&got, &want);
    assert!(d <= SWIGLU_TOLERANCE, "swiglu n={n}: {d}");
    d
}

pub async fn check_attention(gpu: &Gpu, shape: AttnShape, p0: usize, n_tok: usize) -> f32 {
    let n_kv = p0 + n_tok;
    let seed = (p0 * 13 + n_tok) as u32;
    // Spread the scores (×3) so the softmax is peaked, as it is in trained models.
    let q: Vec<f32> = test_signal(n_tok * shape.n_head * shape.head_dim, seed)
        .iter()
        .map(|v| v * 3.0)
        .collect();
    let k = test_signal(n_kv * shape.n_head_kv * shape.head_dim, seed + 1);
    let v = test_signal(n_kv * shape.n_head_kv * shape.head_dim_v, seed + 2);
    let got = gpu.attention(&q, &k, &v, shape, p0).await.unwrap();
    let mut want = vec![0f32; got.len()];
    ops::attention(&q, &k, &v, shape, p0, &mut want);
    let d = max_rel_diff(&got, &want);
    assert!(
        d <= ATTENTION_TOLERANCE,
        "attention {shape:?} p0={p0} n={n_tok}: {d}"
    );
    d
}

/// A small random Llama-family model (256 wide, 2 layers, 4 query heads over 2 KV heads of 64,
/// feed-forward 512, 320 tokens) with each matrix in its own type, written as two GGUF files:
/// the quantized one and the same weights dequantized to F32.
pub struct SynthModel {
    pub quantized: Vec<u8>,
    pub dequantized: Vec<u8>,
}

/// Matrix types of [`synth_model`]: token_embd, q, k, v, o, gate, up, down, output.
pub type SynthTypes = [GgmlType; 9];

/// Every GPU type somewhere in one model (rows of 256 and 512 fit the K-quants).
pub const MIXED_TYPES: SynthTypes = [
    GgmlType::Q8_0,
    GgmlType::Q4_K,
    GgmlType::Q6_K,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::F16,
    GgmlType::Q6_K,
];

/// `arch` is "llama" (RoPE NORM) or "qwen2" (RoPE NEOX, with Q/K/V biases).
pub fn synth_model(arch: &str, types: SynthTypes) -> SynthModel {
    use bitsmith_engine::gguf::{GgufValue, TensorInfo, write_gguf};
    let (e, ff, n_head, n_kv, hd, n_layer, vocab) = (256usize, 512, 4, 2, 64, 2, 320);
    let meta = |k: &str, v: GgufValue| (format!("{arch}.{k}"), v);
    let metadata = vec![
        (
            "general.architecture".to_owned(),
            GgufValue::String(arch.to_owned()),
        ),
        meta("embedding_length", GgufValue::U32(e as u32)),
        meta("block_count", GgufValue::U32(n_layer as u32)),
        meta("feed_forward_length", GgufValue::U32(ff as u32)),
        meta("attention.head_count", GgufValue::U32(n_head as u32)),
        meta("attention.head_count_kv", GgufValue::U32(n_kv as u32)),
        meta("attention.layer_norm_rms_epsilon", GgufValue::F32(1e-5)),
        meta("rope.freq_base", GgufValue::F32(10000.0)),
        meta("context_length", GgufValue::U32(512)),
    ];
    // (name, ggml type, n_in, n_out (1 for vectors), scale, offset)
    let mut specs: Vec<(String, GgmlType, usize, usize, f32, f32)> = vec![
        ("token_embd.weight".into(), types[0], e, vocab, 0.5, 0.0),
        ("output_norm.weight".into(), GgmlType::F32, e, 1, 0.1, 1.0),
        ("output.weight".into(), types[8], e, vocab, 0.06, 0.0),
    ];
    for l in 0..n_layer {
        let n = |s: &str| format!("blk.{l}.{s}");
        specs.push((n("attn_norm.weight"), GgmlType::F32, e, 1, 0.1, 1.0));
        specs.push((n("attn_q.weight"), types[1], e, n_head * hd, 0.1, 0.0));
        specs.push((n("attn_k.weight"), types[2], e, n_kv * hd, 0.1, 0.0));
        specs.push((n("attn_v.weight"), types[3], e, n_kv * hd, 0.06, 0.0));
        specs.push((n("attn_output.weight"), types[4], n_head * hd, e, 0.06, 0.0));
        if arch == "qwen2" {
            specs.push((n("attn_q.bias"), GgmlType::F32, n_head * hd, 1, 0.5, 0.0));
            specs.push((n("attn_k.bias"), GgmlType::F32, n_kv * hd, 1, 0.5, 0.0));
            specs.push((n("attn_v.bias"), GgmlType::F32, n_kv * hd, 1, 0.5, 0.0));
        }
        specs.push((n("ffn_norm.weight"), GgmlType::F32, e, 1, 0.1, 1.0));
        specs.push((n("ffn_gate.weight"), types[5], e, ff, 0.06, 0.0));
        specs.push((n("ffn_up.weight"), types[6], e, ff, 0.06, 0.0));
        specs.push((n("ffn_down.weight"), types[7], ff, e, 0.04, 0.0));
    }
    let mut q_data = vec![];
    let mut f_data = vec![];
    let mut infos = vec![];
    for (i, (name, ty, n_in, n_out, scale, offset)) in specs.into_iter().enumerate() {
        let w: Vec<f32> = test_signal(n_in * n_out, 1000 + i as u32)
            .iter()
            .map(|v| v * scale + offset)
            .collect();
        let q = quantized(ty, &w, n_in);
        let mut f = vec![0f32; w.len()];
        quant::dequantize_row(ty, &q, &mut f).unwrap();
        let dims = if n_out == 1 {
            vec![n_in as u64]
        } else {
            vec![n_in as u64, n_out as u64]
        };
        infos.push((name, dims, ty));
        q_data.push(q);
        f_data.push(f.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
    }
    let info = |(name, dims, ty): &(String, Vec<u64>, GgmlType), as_f32: bool| TensorInfo {
        name: name.clone(),
        dims: dims.clone(),
        ggml_type: if as_f32 { GgmlType::F32 } else { *ty },
        offset: 0,
    };
    let quantized_file = write_gguf(
        metadata.clone(),
        infos
            .iter()
            .zip(&q_data)
            .map(|(i, d)| (info(i, false), d.as_slice()))
            .collect(),
    )
    .unwrap();
    let dequantized_file = write_gguf(
        metadata,
        infos
            .iter()
            .zip(&f_data)
            .map(|(i, d)| (info(i, true), d.as_slice()))
            .collect(),
    )
    .unwrap();
    SynthModel {
        quantized: quantized_file,
        dequantized: dequantized_file,
    }
}

/// Logits of the GPU forward pass on `m.quantized` (a 6-token prompt as one batch, then 3
/// decode tokens) against the CPU on `m.dequantized` (the same function in f32) and on
/// `m.quantized` (the CPU's Q8-activation path). Returns the row-relative distances (GPU vs
/// f32 CPU, GPU vs Q8 CPU) after asserting the first within 1e-4 (as the SmolLM2 checks) and
/// the second within 0.1 (the CPU's own 8-bit activation error).
pub async fn check_synth_forward(gpu: &Gpu, m: &SynthModel) -> (f32, f32) {
    use bitsmith_engine::gguf::GgufFile;
    use bitsmith_engine::infer::{Backend, Model, Outputs, shared};
    use bitsmith_gpu::llama::GpuLlama;
    let qb = shared(m.quantized.clone());
    let qf = GgufFile::parse((*qb).as_ref()).unwrap();
    let fb = shared(m.dequantized.clone());
    let ff = GgufFile::parse((*fb).as_ref()).unwrap();
    let gl = GpuLlama::from_gguf(gpu, &qf, qb.clone()).unwrap();
    let cpu_q = Model::from_gguf(&qf, qb, Backend::detect()).unwrap();
    let cpu_f = Model::from_gguf(&ff, fb, Backend::detect()).unwrap();
    let prompt = [1u32, 17, 300, 5, 99, 250];
    let decode = [3u32, 318, 42];
    let all: Vec<u32> = prompt.iter().chain(&decode).copied().collect();
    let want = cpu_f
        .forward(&mut cpu_f.new_context(32).unwrap(), &all, Outputs::All)
        .unwrap();
    let q8 = cpu_q
        .forward(&mut cpu_q.new_context(32).unwrap(), &all, Outputs::All)
        .unwrap();
    let mut ctx = gl.new_context(gpu, 32).unwrap();
    let mut got = gl
        .forward(gpu, &mut ctx, &prompt, Outputs::All)
        .await
        .unwrap();
    for &t in &decode {
        got.extend(
            gl.forward(gpu, &mut ctx, &[t], Outputs::Last)
                .await
                .unwrap(),
        );
    }
    let n = cpu_f.n_vocab();
    let rows = |a: &[f32], b: &[f32]| {
        a.chunks(n)
            .zip(b.chunks(n))
            .map(|(x, y)| max_rel_diff(x, y))
            .fold(0f32, f32::max)
    };
    let (d_f32, d_q8) = (rows(&got, &want), rows(&got, &q8));
    assert!(d_f32 <= 1e-4, "GPU vs f32 CPU: {d_f32}");
    assert!(d_q8 <= 0.1, "GPU vs Q8 CPU: {d_q8}");
    (d_f32, d_q8)
}

/// A small deterministic generator (xorshift32) for bit patterns.
pub struct Bits(u32);

impl Bits {
    pub fn new(seed: u32) -> Bits {
        Bits(seed.max(1))
    }

    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A float with a random sign and mantissa and an exponent field in `exp` (biased).
    pub fn float_in(&mut self, exp: std::ops::RangeInclusive<u32>) -> u32 {
        let r = self.next();
        let span = exp.end() - exp.start() + 1;
        let e = exp.start() + self.next() % span;
        (r & 0x8000_0000) | (e << 23) | (r & 0x7f_ffff)
    }
}

/// Operand pairs that reach every path of the soft-float code: any bit pattern (NaN,
/// infinity, subnormals), nearby exponents (cancellation, rounding ties), subnormal ranges,
/// results that overflow or underflow, and special values against everything.
pub fn softfloat_operands(n: usize) -> (Vec<u32>, Vec<u32>) {
    let specials = [
        0u32,
        0x8000_0000,
        0x3f80_0000,
        0xbf80_0000,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0x0000_0001,
        0x8000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x7f7f_ffff,
        0xff7f_ffff,
        0x3f00_0000,
        0x4f00_0000,
        0xcf00_0000,
        0x4effffff,
        0x3effffff,
        0x42fe_0000,
        0xc100_0000,
    ];
    let mut g = Bits::new(0x9e37_79b9);
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &s in &specials {
        for &t in &specials {
            a.push(s);
            b.push(t);
        }
    }
    while a.len() < n {
        let (x, y) = match a.len() % 6 {
            0 => (g.next(), g.next()),
            1 => {
                let x = g.float_in(100..=150);
                // Same or adjacent exponent, often the same high mantissa bits: cancellation.
                let y = (x & 0xffff_0000) ^ (g.next() & 0x8080_ffff);
                (x, y)
            }
            2 => (g.float_in(0..=24), g.float_in(0..=24)),
            3 => (g.float_in(1..=60), g.float_in(120..=200)),
            4 => (g.float_in(200..=254), g.float_in(60..=254)),
            _ => {
                // Small integers and halves: exact ties for add, rounding of x.5.
                let x = ((g.next() % 512) as f32 - 256.0) * 0.5;
                let y = ((g.next() % 64) as f32) * 0.25 + 0.5;
                (x.to_bits(), y.to_bits())
            }
        };
        a.push(x);
        b.push(y);
    }
    (a, b)
}

/// The CPU's answer for soft-float operation `op` (see `Gpu::softfloat_ops`).
pub fn cpu_softfloat(op: u32, a: u32, b: u32) -> u32 {
    let (x, y) = (f32::from_bits(a), f32::from_bits(b));
    match op {
        0 => (x + y).to_bits(),
        1 => (x - y).to_bits(),
        2 => (x * y).to_bits(),
        3 => (x / y).to_bits(),
        4 => u32::from(quant::common::f32_to_f16_bits(x)),
        5 => quant::common::c_trunc_i32(x) as u32,
        _ => quant::common::c_trunc_i32(x.round()) as u32,
    }
}

/// Runs every soft-float operation on the GPU and compares each result's bits with the CPU's
/// (any NaN matches any NaN: the kernels never let a NaN reach their output). Returns the
/// number of operations checked.
pub async fn check_softfloat(gpu: &Gpu, n: usize) -> usize {
    let (a, b) = softfloat_operands(n);
    let is_nan = |v: u32| (v & 0x7fff_ffff) > 0x7f80_0000;
    let mut checked = 0;
    for op in 0..7u32 {
        let got = gpu.softfloat_ops(op, &a, &b).await.unwrap();
        let mut bad = Vec::new();
        for i in 0..a.len() {
            let want = cpu_softfloat(op, a[i], b[i]);
            let f16_nan = op == 4 && (want & 0x7fff) > 0x7c00;
            let same = got[i] == want
                || (op <= 3 && is_nan(got[i]) && is_nan(want))
                || (f16_nan && (got[i] & 0x7fff) > 0x7c00);
            if !same {
                bad.push(format!(
                    "{:08x} {:08x}: gpu {:08x} cpu {want:08x}",
                    a[i], b[i], got[i]
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "op {op}: {} of {} differ, e.g. {:?}",
            bad.len(),
            a.len(),
            &bad[..bad.len().min(8)]
        );
        checked += a.len();
    }
    checked
}

/// Rows meant to catch every way a quantizer can differ: smooth random weights, values on
/// rounding ties (small integers, halves), equal magnitudes of both signs, all-zero blocks with
/// -0, subnormals, and huge values whose range overflows to infinity.
pub fn quantize_cases(n: usize) -> Vec<f32> {
    let mut g = Bits::new(12345);
    let mut v = test_signal(n, 3);
    for (i, x) in v.iter_mut().enumerate() {
        let block = i / 32;
        *x = match block % 8 {
            0 | 1 => *x,
            2 => ((g.next() % 33) as f32 - 16.0) * 0.5,
            3 => {
                if i % 32 == 5 {
                    -3.0
                } else if i % 32 == 9 {
                    3.0
                } else {
                    ((g.next() % 7) as f32 - 3.0) * 0.75
                }
            }
            4 => {
                if i % 2 == 0 {
                    -0.0
                } else {
                    0.0
                }
            }
            5 => f32::from_bits(g.next() & 0x807f_ffff),
            6 => {
                if i % 32 == 0 {
                    3.0e38
                } else if i % 32 == 1 {
                    -3.0e38
                } else {
                    f32::from_bits(g.float_in(1..=254))
                }
            }
            _ => f32::from_bits(g.float_in(110..=130)),
        };
    }
    v
}

/// Quantizes [`quantize_cases`] with every GPU quant type and compares the bytes with the
/// engine's CPU quantizer. Returns the blocks checked.
pub async fn check_gpu_quantize(gpu: &Gpu, n: usize) -> usize {
    let values = quantize_cases(n);
    let mut blocks = 0;
    for ty in bitsmith_gpu::GPU_QUANT_TYPES {
        let got = gpu.quantize(ty, &values).await.unwrap();
        let want = quantized(ty, &values, 256);
        assert_eq!(got.len(), want.len(), "{ty}");
        let bb = ty.type_size();
        let bad: Vec<usize> = (0..got.len() / bb)
            .filter(|&i| got[i * bb..(i + 1) * bb] != want[i * bb..(i + 1) * bb])
            .collect();
        assert!(
            bad.is_empty(),
            "{ty}: {} of {} blocks differ; first block {} (case {}): gpu {:02x?} cpu {:02x?} from {:?}",
            bad.len(),
            got.len() / bb,
            bad[0],
            bad[0] % 8,
            &got[bad[0] * bb..(bad[0] + 1) * bb],
            &want[bad[0] * bb..(bad[0] + 1) * bb],
            &values[bad[0] * 32..bad[0] * 32 + 32]
        );
        blocks += got.len() / bb;
    }
    blocks
}
