// Times greedy generation on the model served at /model.gguf: the engine (wasm, simd128, one
// thread, CPU) and wllama (llama.cpp in wasm, single-thread build, n_threads 1, no WebGPU
// layers), alternating runs. Query: ?n=TOKENS&runs=N&ctx=CTX. Publishes window.benchResult
// (or window.benchError) for bench/wasm-infer/run.mjs.
//
// Both sides report llama.cpp's two phases: prompt processing (tokens/s over the prompt) and
// generation (tokens/s over the generated tokens). wllama's figures are llama.cpp's own
// `timings` from its completion result; the engine's are performance.now() around each step.
import init, { InferBench } from "./pkg/bitsmith_bench_wasm_infer.js";
import { Wllama } from "./wllama/esm/index.js";

const status = (t) => (document.getElementById("status").textContent = t);

// About 100 tokens of plain English, so prompt processing is measured on a real batch.
const PROMPT =
  "The history of computing is a story of making machines do more with less. Early computers " +
  "filled rooms and consumed enormous amounts of power, yet they could perform only a few " +
  "thousand operations each second. Over the following decades, engineers learned to shrink " +
  "transistors, to pack them more densely, and to design clever circuits that wasted less " +
  "energy. Today a phone in your pocket holds more computing power than all the machines of " +
  "the nineteen sixties combined, and it runs on a small battery for a whole day. The next step";

async function main() {
  await init();
  const q = new URLSearchParams(location.search);
  const n = Number(q.get("n") || "64");
  const runs = Number(q.get("runs") || "3");
  const ctx = Number(q.get("ctx") || "512");
  status("fetching model");
  const bytes = new Uint8Array(await (await fetch("/model.gguf")).arrayBuffer());

  status("loading the engine");
  const ours = new InferBench(bytes);
  status("loading wllama");
  const wllama = new Wllama({ default: "/wllama/esm/wasm/wllama.wasm" }, { suppressNativeLog: true });
  await wllama.loadModelFromUrl(location.origin + "/model.gguf", {
    n_threads: 1,
    n_ctx: ctx,
    n_gpu_layers: 0,
    useCache: false,
  });

  const out = { backend: ours.backend(), model_bytes: bytes.length, n, runs: [], wllama_runs: [] };
  // One untimed warm-up each (page-in, JIT tiers, allocator).
  ours.run(PROMPT, 4, ctx);
  await wllama.createCompletion({ prompt: PROMPT, max_tokens: 4, temperature: 0, cache_prompt: false });
  for (let i = 0; i < runs; i++) {
    status(`run ${i + 1}/${runs}: engine`);
    await new Promise((r) => setTimeout(r, 0));
    const r = ours.run(PROMPT, n, ctx);
    out.runs.push({
      prompt_tokens: r.prompt_tokens,
      prompt_per_second: (r.prompt_tokens / r.prompt_ms) * 1000,
      generated_tokens: r.generated_tokens,
      predicted_per_second: (r.generated_tokens / r.generation_ms) * 1000,
      text: r.text,
    });
    status(`run ${i + 1}/${runs}: wllama`);
    const w = await wllama.createCompletion({
      prompt: PROMPT,
      max_tokens: n,
      temperature: 0,
      ignore_eos: true,
      // Every run processes the whole prompt (llama.cpp's server would otherwise reuse the
      // KV cache of the previous identical prompt and time one token).
      cache_prompt: false,
    });
    const t = w.timings;
    out.wllama_runs.push({
      prompt_tokens: t.prompt_n,
      prompt_per_second: t.prompt_per_second,
      generated_tokens: t.predicted_n,
      predicted_per_second: t.predicted_per_second,
      text: w.choices?.[0]?.text ?? "",
    });
  }
  status("done");
  window.benchResult = out;
}

main().catch((e) => {
  status(`error: ${e}`);
  window.benchError = String(e && e.stack ? e.stack : e);
});
