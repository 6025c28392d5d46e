//! Native GPU micro-benchmarks (not a test): per-dispatch overhead, batched vs one submit per
//! dispatch; matrix-kernel throughput per weight type, decode (1 token) and batched (16
//! tokens); and, when the SmolLM2 files are present, whole-model decode and prefill on the GPU
//! next to the CPU path.
//!
//! ```text
//! cargo run -p bitsmith-gpu --example gpu_bench --config 'profile.dev.package.bitsmith-gpu.opt-level=3'
//! ```
//!
//! On lavapipe (Mesa's CPU Vulkan driver) every figure is CPU-bound: it shows the shape of the
//! costs (overhead per dispatch and per submit, the batching win), not GPU speed.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::run();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Instant;

    use bitsmith_engine::GgmlType;
    use bitsmith_engine::gguf::GgufFile;
    use bitsmith_engine::infer::vec_dot::{ActType, dot_fn, quantize_act_row};
    use bitsmith_engine::infer::{Backend, Model, Outputs, shared};
    use bitsmith_engine::quant;
    use bitsmith_gpu::llama::GpuLlama;
    use bitsmith_gpu::{GPU_WEIGHT_TYPES, Gpu, MatvecOpts, test_signal};
    use pollster::block_on;

    fn time<F: FnMut()>(reps: usize, mut f: F) -> f64 {
        f(); // warm-up: pipelines, bind groups, pool
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed().as_secs_f64() / reps as f64
    }

    pub fn run() {
        let gpu = block_on(Gpu::open()).expect("a Vulkan adapter");
        println!(
            "adapter: {} ({}, {}), driver {}",
            gpu.report.name, gpu.report.backend, gpu.report.device_type, gpu.report.driver
        );
        // GPU_BENCH=dispatch,matvec,model picks sections; GPU_BENCH_TYPES=Q8_0,Q4_K types.
        let sections =
            std::env::var("GPU_BENCH").unwrap_or_else(|_| "dispatch,matvec,model".into());
        if sections.contains("dispatch") {
            dispatch_overhead(&gpu);
        }
        if sections.contains("matvec") {
            matvec_throughput(&gpu);
        }
        if sections.contains("model") {
            model(&gpu);
        }
    }

    fn dispatch_overhead(gpu: &Gpu) {
        let n = 256;
        let (g, u) = (
            gpu.upload(&test_signal(n, 1)),
            gpu.upload(&test_signal(n, 2)),
        );
        let count = 400;
        let batched = time(5, || {
            let mut b = gpu.batch();
            for _ in 0..count {
                b.swiglu(g.at(0), u.at(0), n).unwrap();
            }
            b.submit().unwrap();
            gpu.wait_idle().unwrap();
        });
        let separate = time(2, || {
            for _ in 0..count {
                let mut b = gpu.batch();
                b.swiglu(g.at(0), u.at(0), n).unwrap();
                b.submit().unwrap();
            }
            gpu.wait_idle().unwrap();
        });
        let roundtrip = time(20, || {
            let mut b = gpu.batch();
            b.swiglu(g.at(0), u.at(0), n).unwrap();
            block_on(b.submit_and_read(g.at(0), 4)).unwrap();
        });
        println!("\nper-dispatch overhead ({count} tiny swiglu dispatches of {n} elements):");
        println!(
            "  one batch, one submit:    {:7.1} us/dispatch",
            batched / count as f64 * 1e6
        );
        println!(
            "  one submit per dispatch:  {:7.1} us/dispatch",
            separate / count as f64 * 1e6
        );
        println!(
            "  single dispatch + read-back round trip: {:.1} us",
            roundtrip * 1e6
        );
    }

    fn matvec_throughput(gpu: &Gpu) {
        println!(
            "\nmatvec throughput (shape = rows x row length; 8 products per submit; GB/s counts \
             weight bytes once per call; last column: the CPU inference path on the same weights):"
        );
        println!(
            "  {:6} {:>11} {:>4} {:>10} {:>10} {:>9} {:>12}",
            "type", "shape", "tok", "ms/call", "GB/s(w)", "GFLOP/s", "CPU ms/call"
        );
        let only = std::env::var("GPU_BENCH_TYPES").ok();
        for ty in GPU_WEIGHT_TYPES {
            if only
                .as_ref()
                .is_some_and(|o| !o.split(',').any(|t| t == ty.name()))
            {
                continue;
            }
            for (n_in, n_out, n_tok) in [(1536, 576, 1), (4096, 4096, 1), (4096, 4096, 16)] {
                let w = test_signal(n_in * n_out, 9);
                let mut bytes = vec![0u8; ty.row_bytes(n_in).unwrap() * n_out];
                quant::quantize_rows(ty, &w, n_in, &mut bytes, None).unwrap();
                let gw = gpu.upload_weight(ty, &bytes, n_in, n_out).unwrap();
                let x = gpu.upload(&test_signal(n_in * n_tok, 3));
                let y = gpu.scratch(n_out * n_tok);
                let per = 8;
                let t = time(3, || {
                    let mut b = gpu.batch();
                    for _ in 0..per {
                        b.matvec(&gw, x.at(0), y.at(0), n_tok, MatvecOpts::default())
                            .unwrap();
                    }
                    b.submit().unwrap();
                    gpu.wait_idle().unwrap();
                }) / per as f64;
                let flops = 2.0 * (n_in * n_out * n_tok) as f64;
                let cpu = cpu_matvec_time(ty, &bytes, n_in, n_tok);
                println!(
                    "  {:6} {:>11} {:>4} {:10.3} {:10.2} {:9.2} {:12.3}",
                    ty.name(),
                    format!("{n_out}x{n_in}"),
                    n_tok,
                    t * 1e3,
                    bytes.len() as f64 / t / 1e9,
                    flops / t / 1e9,
                    cpu * 1e3
                );
                if ty == GgmlType::F32 && n_in == 4096 {
                    break; // 64 MiB of f32 weights: one shape is enough on a CPU driver
                }
            }
        }
    }

    /// The CPU inference path on the same weights (activations quantized to Q8 once per call,
    /// the fastest dot kernel this machine has), for scale.
    fn cpu_matvec_time(ty: GgmlType, w: &[u8], n_in: usize, n_tok: usize) -> f64 {
        let act = ActType::for_weight(ty).unwrap();
        let dot = dot_fn(ty, Backend::detect()).unwrap();
        let x = test_signal(n_in * n_tok, 3);
        let rb = ty.row_bytes(n_in).unwrap();
        let mut a = vec![0u8; act.row_bytes(n_in).unwrap() * n_tok];
        let arb = act.row_bytes(n_in).unwrap();
        let mut out = vec![0f32; w.len() / rb * n_tok];
        time(3, || {
            for (xt, at) in x.chunks_exact(n_in).zip(a.chunks_exact_mut(arb)) {
                quantize_act_row(act, xt, at).unwrap();
            }
            for (r, wr) in w.chunks_exact(rb).enumerate() {
                for t in 0..n_tok {
                    out[r * n_tok + t] = dot(wr, &a[t * arb..(t + 1) * arb]);
                }
            }
            std::hint::black_box(&out);
        })
    }

    fn model(gpu: &Gpu) {
        let dir = std::env::var_os("BITSMITH_MODELS")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| std::path::PathBuf::from(h).join(".cache/bitsmith/models"))
            });
        let Some(dir) = dir else { return };
        println!(
            "\nSmolLM2-135M-Instruct, GPU (this adapter) vs CPU ({}):",
            Backend::detect().describe()
        );
        for name in ["Q4_1", "Q8_0", "Q4_K_M"] {
            let path = dir.join(format!("SmolLM2-135M-Instruct.{name}.gguf"));
            let Ok(bytes) = std::fs::read(&path) else {
                println!("  {name}: {} not found, skipped", path.display());
                continue;
            };
            let bytes = shared(bytes);
            let file = GgufFile::parse((*bytes).as_ref()).unwrap();
            let gl = GpuLlama::from_gguf(gpu, &file, bytes.clone()).unwrap();
            let cpu = Model::from_gguf(&file, bytes.clone(), Backend::detect()).unwrap();
            let prompt: Vec<u32> = (0..32).map(|i| 100 + i * 37).collect();
            let decode = 16;
            let groups0 = gpu.bind_groups_created();
            let mut gctx = gl.new_context(gpu, 128).unwrap();
            let t = Instant::now();
            block_on(gl.forward(gpu, &mut gctx, &prompt, Outputs::Last)).unwrap();
            let g_pre = t.elapsed().as_secs_f64();
            // One warm-up decode token (first-use compiles and bind groups), then timed ones.
            block_on(gl.forward(gpu, &mut gctx, &[42], Outputs::Last)).unwrap();
            let groups1 = gpu.bind_groups_created();
            let t = Instant::now();
            for i in 0..decode {
                block_on(gl.forward(gpu, &mut gctx, &[7 + i as u32], Outputs::Last)).unwrap();
            }
            let g_dec = t.elapsed().as_secs_f64() / decode as f64;
            let new_groups = gpu.bind_groups_created() - groups1;
            let mut cctx = cpu.new_context(128).unwrap();
            let t = Instant::now();
            cpu.forward(&mut cctx, &prompt, Outputs::Last).unwrap();
            let c_pre = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for i in 0..decode {
                cpu.forward(&mut cctx, &[7 + i as u32], Outputs::Last)
                    .unwrap();
            }
            let c_dec = t.elapsed().as_secs_f64() / decode as f64;
            println!(
                "  {name:7} GPU: prefill {:6.1} tok/s, decode {:6.1} tok/s ({} dispatches/token in one submit; {} bind groups made at first use, {new_groups} while decoding)",
                prompt.len() as f64 / g_pre,
                1.0 / g_dec,
                gl.dispatches_per_pass(),
                groups1 - groups0,
            );
            println!(
                "  {name:7} CPU: prefill {:6.1} tok/s, decode {:6.1} tok/s",
                prompt.len() as f64 / c_pre,
                1.0 / c_dec
            );
        }
    }
}
