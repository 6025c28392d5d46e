// Times the engine's quantization (wasm) on the F32 model served at /model.gguf.
// Query: ?rows=LABEL:PRESET:PURE,...&runs=N. Publishes the results as window.benchResult
// (or window.benchError) for bench/wasm-quant/run.mjs.
import init, { Bench } from "./pkg/bitsmith_bench_wasm.js";

const status = (t) => (document.getElementById("status").textContent = t);

async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main() {
  await init();
  const q = new URLSearchParams(location.search);
  const runs = Number(q.get("runs") || "3");
  const rows = (q.get("rows") || "Q8_0:Q8_0:0").split(",").map((r) => {
    const [label, preset, pure] = r.split(":");
    return { label, preset, pure: pure === "1" };
  });
  status("fetching model");
  const model = new Uint8Array(await (await fetch("/model.gguf")).arrayBuffer());
  const bench = new Bench();
  const out = { simd128: Bench.simd128(), model_bytes: model.length, rows: [] };
  for (const r of rows) {
    const times = [];
    let converted = 0;
    for (let i = 0; i < runs; i++) {
      status(`${r.label} run ${i + 1}/${runs}`);
      // Let the status paint and the event loop breathe between runs.
      await new Promise((res) => setTimeout(res, 0));
      const t0 = performance.now();
      converted = bench.run(model, r.preset, r.pure);
      times.push((performance.now() - t0) / 1000);
    }
    const sha = await sha256(bench.output());
    out.rows.push({ ...r, times, converted, output_bytes: bench.output_len(), sha256: sha });
  }
  status("done");
  window.benchResult = out;
}

main().catch((e) => {
  status(`error: ${e}`);
  window.benchError = String(e && e.stack ? e.stack : e);
});
