// The workbench, as a user drives it: open the real SmolLM2-135M GGUF from disk, quantize it
// to Q4_K_M in the worker, export it and get exactly the bytes `bitsmith quantize` writes; then
// cut the network and do it again from the library. Also: the page at 360 px, and axe on every
// state in light and dark, English and Arabic.
//
// Needs the model that scripts/fetch_test_models.sh unpacks (skipped with a notice otherwise).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, launch, ready, controlled, axe, ROOT } from "./harness.mjs";
import { MODEL, MODELS_DIR, skip, bitsmith, clean, sha256, idbCounts, manifests, openWorkbench, importModel, waitForStatus } from "./workbench_helpers.mjs";

let server;
let tmp;
before(async () => {
  server = await serve();
  server.mount("/models/", MODELS_DIR + path.sep);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bitsmith-wb-"));
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function noViolations(page, label) {
  const v = await axe(page);
  assert.deepEqual(v, [], `${label}: ${JSON.stringify(v, null, 1)}`);
}

test("open the local SmolLM2 file, quantize to Q4_K_M, export the same bytes as `bitsmith quantize`, then again offline", { skip }, async () => {
  const reference = path.join(tmp, "reference-Q4_K_M.gguf");
  bitsmith(["quantize", MODEL, reference, "Q4_K_M"]);
  const b = await launch();
  try {
    const page = await b.page();
    await openWorkbench(page, server.url);
    await noViolations(page, "empty workbench");
    await importModel(page);
    const rows = page.locator('[data-testid="wb-model-row"]');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /SmolLM2-135M-Instruct/);
    // The library holds the file in chunks, with a manifest written last.
    let counts = await idbCounts(page);
    assert.equal(counts.models, 1);
    assert.equal(counts.chunks, Math.ceil(fs.statSync(MODEL).size / (4 << 20)));

    // The plan for the default preset, Q4_K_M, from the worker.
    await page.waitForSelector('[data-testid="wb-prediction"]:has-text("Predicted")', { timeout: 60000 });
    await page.locator("summary", { hasText: "Per-tensor plan" }).click();
    assert.equal(await page.locator('[data-testid="wb-plan"] tbody tr').count(), 272);
    assert.match(await page.locator('[data-testid="wb-plan-command"]').textContent(), /^llama-quantize .*SmolLM2-135M-Instruct\.Q4_1\.gguf SmolLM2-135M-Instruct-Q4_K_M\.gguf Q4_K_M$/);
    await noViolations(page, "model loaded, plan open");

    // Editing one tensor's type updates its size at once and adds a --tensor-type override.
    const before = await page.locator('[data-testid="wb-prediction"]').innerText();
    // (Fluent isolates placeables with U+2068/U+2069, so names are matched by substring.)
    const sel = page.locator('select[aria-label*="blk.0.attn_q.weight"]');
    await sel.selectOption("Q8_0");
    await page.waitForFunction((b) => document.querySelector('[data-testid="wb-prediction"]').innerText !== b, before);
    await page.waitForSelector('[data-testid="wb-plan-command"]:has-text("--tensor-type")', { state: "attached", timeout: 30000 });
    assert.match(await page.locator('[data-testid="wb-plan-command"]').textContent(), /--tensor-type '\^blk\\\.0\\\.attn_q\\\.weight\$=q8_0'/);
    await page.locator("button", { hasText: "one edit" }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="wb-plan-command"]').textContent.includes("--tensor-type"));

    // Quantize in the worker, with per-tensor progress.
    await page.getByTestId("wb-quantize-start").click();
    await page.waitForSelector('[data-testid="wb-progress-tensor"]', { timeout: 30000 });
    assert.match(clean(await page.getByTestId("wb-progress-tensor").innerText()), /Tensor \d+ of 272: /);
    await noViolations(page, "quantizing");
    await waitForStatus(page, "Done:", 600000);
    await page.waitForSelector('[data-testid="wb-run-row"]');
    const q = (await manifests(page)).find((m) => m.quant);
    const source = fs.statSync(MODEL).size;
    console.log(`# quantize in the tab: ${q.quant.seconds.toFixed(1)} s, worker wasm memory peak ${(q.quant.peak_memory / 2 ** 20).toFixed(1)} MiB (source ${(source / 2 ** 20).toFixed(1)} MiB)`);
    assert.ok(q.quant.peak_memory < 2 * source, `peak ${q.quant.peak_memory} ≥ 2 × ${source}`);
    assert.equal(q.size, fs.statSync(reference).size);
    await noViolations(page, "quantized");

    // Export: a download of exactly the CLI's bytes.
    const exportAndCheck = async () => {
      const [dl] = await Promise.all([
        page.waitForEvent("download", { timeout: 120000 }),
        page.locator(`button[aria-label*="${q.name}"][aria-label^="Export"]`).click(),
      ]);
      assert.equal(dl.suggestedFilename(), "SmolLM2-135M-Instruct-Q4_K_M.gguf");
      const saved = path.join(tmp, "exported.gguf");
      await dl.saveAs(saved);
      assert.equal(sha256(saved), sha256(reference), "exported GGUF differs from `bitsmith quantize`");
      fs.rmSync(saved);
    };
    await exportAndCheck();
    const cmd = await page.getByTestId("wb-command").first().textContent();
    assert.equal(cmd, "llama-quantize SmolLM2-135M-Instruct.Q4_1.gguf SmolLM2-135M-Instruct-Q4_K_M.gguf Q4_K_M");

    // Measure the run against its source on the built-in text: PPL and KLD, stored with it.
    await page.getByLabel("Context (tokens)").selectOption("128");
    await page.getByTestId("wb-measure-start").click();
    await waitForStatus(page, "Measured", 600000);
    const ppl = Number((await page.getByTestId("wb-ppl").first().innerText()).split(" ")[0]);
    const kld = Number(await page.getByTestId("wb-kld").first().innerText());
    console.log(`# measured Q4_K_M against Q4_1: PPL ${ppl}, KLD ${kld}`);
    assert.ok(ppl > 1 && ppl < 1000, `PPL ${ppl}`);
    assert.ok(kld >= 0 && kld < 1, `KLD ${kld}`);
    assert.ok(await page.getByTestId("wb-chart-size-ppl").isVisible());
    assert.ok(await page.getByTestId("wb-chart-layers").isVisible());
    const stored = (await manifests(page)).find((m) => m.quant).measurements;
    assert.equal(stored.length, 1);
    assert.equal(stored[0].layer_error.length, 30);
    await noViolations(page, "measured");

    // Chat: 16 tokens, streamed, with tokens/s and memory shown.
    await page.getByLabel("Most tokens").fill("16");
    await page.getByLabel("Most tokens").blur();
    await page.getByLabel("Message").fill("What is the capital of France?");
    await page.getByTestId("wb-send").click();
    await page.waitForSelector('[data-testid="wb-gen-status"]:has-text("Stopped at the token limit"), [data-testid="wb-gen-status"]:has-text("Finished")', { timeout: 300000 });
    const stats = clean(await page.getByTestId("wb-gen-stats").innerText());
    console.log(`# chat: ${stats}`);
    assert.match(stats, /\d+ tokens generated/);
    assert.match(stats, /tokens\/s/);
    assert.match(stats, /worker memory [\d.]+ MiB/);
    const answer = await page.getByTestId("wb-answer").last().innerText();
    assert.ok(answer.trim().length > 0, "empty answer");
    // Automatic backend: headless Chromium's only WebGPU adapter is SwiftShader (software), so
    // the CPU kernels run it, and the page says why.
    assert.match(stats, /on the CPU/);
    assert.match(clean(await page.getByTestId("wb-gen-why-cpu").innerText()), /software one/);
    await noViolations(page, "chatted");

    // The same greedy completion on the CPU and on WebGPU (SwiftShader, chosen explicitly):
    // the GPU forward pass must give the same tokens.
    const run = page.getByRole("region", { name: "Run" });
    const complete = async (backend) => {
      await run.getByLabel(backend, { exact: true }).check();
      await run.getByLabel("Complete text").check();
      await page.getByLabel("Temperature").fill("0");
      await page.getByLabel("Temperature").blur();
      await page.getByLabel("Most tokens").fill("8");
      await page.getByLabel("Most tokens").blur();
      await page.getByLabel("Text to continue").fill("The capital of France is");
      await page.getByTestId("wb-send").click();
      await page.waitForSelector('[data-testid="wb-gen-status"]:has-text("Stopped at the token limit"), [data-testid="wb-gen-status"]:has-text("Finished")', { timeout: 300000 });
      return {
        text: await page.getByTestId("wb-answer").last().innerText(),
        stats: clean(await page.getByTestId("wb-gen-stats").innerText()),
      };
    };
    const onCpu = await complete("CPU");
    assert.match(onCpu.stats, /on the CPU/);
    const onGpu = await complete("WebGPU");
    console.log(`# WebGPU run: ${onGpu.stats}`);
    assert.match(onGpu.stats, /on WebGPU/);
    assert.equal(await page.getByTestId("wb-gen-why-cpu").count(), 0);
    assert.ok(onCpu.text.trim().length > 0, "empty completion");
    assert.equal(onGpu.text, onCpu.text, "greedy text differs between WebGPU and CPU");
    await noViolations(page, "ran on WebGPU");

    // Offline: the shell comes from the service worker, the model from IndexedDB.
    await controlled(page);
    await b.context.setOffline(true);
    await page.reload();
    await ready(page);
    await page.waitForSelector('[data-testid="wb-run-row"]', { timeout: 30000 });
    await exportAndCheck();
    // Quantize again with the network cut, to another preset, on WebGPU (SwiftShader here):
    // the plan says which tensors go to the GPU, the run says where they went, and the file is
    // byte for byte the CLI's.
    await page.getByLabel("Preset").selectOption("Q8_0");
    await page.waitForSelector('[data-testid="wb-plan-command"]:has-text("Q8_0")', { state: "attached", timeout: 30000 });
    const quantPanel = page.getByRole("region", { name: "Quantize", exact: true });
    await page.waitForSelector("#wb-backend-gpu:not([disabled])", { timeout: 30000 });
    assert.match(clean(await page.getByTestId("wb-backend-gpu-help").innerText()), /Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 are quantized on the GPU/);
    await quantPanel.getByLabel("WebGPU", { exact: true }).check();
    const runsOn = await page.getByTestId("wb-plan-runs-on").allTextContents();
    const onGpuPlanned = runsOn.filter((t) => t === "WebGPU").length;
    assert.ok(onGpuPlanned > 100, `only ${onGpuPlanned} tensors planned on WebGPU`);
    assert.ok(runsOn.includes("copied"), "1-D tensors are copied");
    await noViolations(page, "WebGPU chosen for quantizing");
    await page.getByTestId("wb-quantize-start").click();
    await waitForStatus(page, "Done:", 600000);
    assert.equal(await page.locator('[data-testid="wb-run-row"]').count(), 2);
    const q8 = (await manifests(page)).find((m) => m.quant && m.quant.preset === "Q8_0");
    assert.equal(q8.quant.backend, "webgpu");
    assert.equal(q8.quant.gpu_tensors.length, onGpuPlanned);
    const ranOn = clean(await page.locator('[data-testid="wb-run-row"]', { hasText: "Q8_0" }).getByTestId("wb-run-backend").innerText());
    console.log(`# quantized on WebGPU: ${ranOn}, ${q8.quant.seconds.toFixed(1)} s, worker wasm memory peak ${(q8.quant.peak_memory / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(q8.quant.peak_memory < 2 * source, `peak ${q8.quant.peak_memory} ≥ 2 × ${source} on WebGPU`);
    assert.match(ranOn, new RegExp(`WebGPU( \\(.+\\))? for ${onGpuPlanned} of 272 tensors, the CPU for the rest`));
    await noViolations(page, "quantized on WebGPU");
    const q8ref = path.join(tmp, "reference-Q8_0.gguf");
    bitsmith(["quantize", MODEL, q8ref, "Q8_0"]);
    const [dl8] = await Promise.all([
      page.waitForEvent("download", { timeout: 120000 }),
      page.locator(`button[aria-label*="${q8.name}"][aria-label^="Export"]`).click(),
    ]);
    const saved8 = path.join(tmp, "exported-q8.gguf");
    await dl8.saveAs(saved8);
    assert.equal(sha256(saved8), sha256(q8ref), "the WebGPU-quantized GGUF differs from `bitsmith quantize`");
    fs.rmSync(saved8);
    await b.context.setOffline(false);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("the workbench fits a 360 px phone screen and passes axe in every theme and language", { skip }, async () => {
  for (const [locale, colorScheme] of [["en-US", "dark"], ["ar", "light"], ["ar", "dark"], ["es", "light"]]) {
    const b = await launch({ viewport: { width: 360, height: 780 }, locale, colorScheme });
    try {
      const page = await b.page();
      await openWorkbench(page, server.url);
      const noScroll = () => page.evaluate(() => document.scrollingElement.scrollWidth <= window.innerWidth);
      assert.ok(await noScroll(), `${locale}: horizontal scroll on the empty page`);
      await noViolations(page, `${locale} ${colorScheme} empty`);
      if (locale === "ar" && colorScheme === "light") {
        await page.locator('[data-testid="wb-file-input"]').setInputFiles(MODEL);
        await page.waitForSelector('[data-testid="wb-model-row"]', { timeout: 180000 });
        await page.waitForSelector('[data-testid="wb-prediction"] >> text=/\\d/', { timeout: 60000 });
        await page.locator(".wb-plan summary").click();
        await page.waitForSelector('[data-testid="wb-plan"] tbody tr');
        assert.ok(await noScroll(), "horizontal scroll with the plan table open");
        await noViolations(page, "ar, model loaded, plan open");
        await page.screenshot({ path: path.join(process.env.WB_SHOTS || tmp, "wb-360-ar.png"), fullPage: true });
      }
    } finally {
      await b.close();
    }
  }
});

test("a safetensors folder converts in the browser to the GGUF llama.cpp's converter writes; a dropped GGUF is imported", async () => {
  // The engine's tiny HF fixture, without its expected output, in a folder named as the model
  // was when llama.cpp's converter made expected.gguf (general.name "tiny llama").
  const fixture = path.join(ROOT, "engine", "tests", "fixtures", "safetensors", "tiny_llama");
  const folder = path.join(tmp, "tiny llama");
  fs.mkdirSync(folder, { recursive: true });
  for (const f of fs.readdirSync(fixture).filter((f) => f !== "expected.gguf")) {
    fs.copyFileSync(path.join(fixture, f), path.join(folder, f));
  }
  const expected = path.join(fixture, "expected.gguf");
  const b = await launch();
  try {
    const page = await b.page();
    await openWorkbench(page, server.url);
    await page.locator('[data-testid="wb-folder-input"]').setInputFiles(folder);
    await waitForStatus(page, "is in the library", 120000);
    const [m] = await manifests(page);
    assert.equal(m.name, "tiny llama");
    const [dl] = await Promise.all([
      page.waitForEvent("download", { timeout: 60000 }),
      page.locator('button[aria-label^="Export"]').first().click(),
    ]);
    const saved = path.join(tmp, "converted.gguf");
    await dl.saveAs(saved);
    assert.equal(sha256(saved), sha256(expected), "conversion differs from llama.cpp's convert_hf_to_gguf.py");

    // Drag and drop: the same GGUF dropped on the drop zone.
    const bytes = [...fs.readFileSync(expected)];
    await page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], "dropped.gguf"));
      const zone = document.querySelector('[data-testid="wb-drop"]');
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="wb-model-row"]').length === 2, null, { timeout: 60000 });
    const names = (await manifests(page)).map((x) => x.file_name).sort();
    assert.deepEqual(names, ["dropped.gguf", "tiny-llama-F16.gguf"].sort());
  } finally {
    await b.close();
  }
});
