// The planner: fit, speed and cost from the catalog, a pasted config.json or typed numbers; the
// state in the URL; "this device" detected (SwiftShader's WebGPU adapter headless) and measured
// (CPU, then WebGPU) with progress and cancel; works offline; axe-clean in light/dark, English/Arabic, at 360 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, ready, controlled, axe, CHROMIUM_ARGS } from "./harness.mjs";
import { openWorkbench, importModel, skip as wbSkip } from "./workbench_helpers.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

/** Text without Fluent's bidi isolation marks. */
const plain = (s) => s.replace(/[\u2068\u2069]/g, "");
const text = async (page, sel) => plain(await page.locator(sel).first().innerText());

async function openPlanner(page, query = "") {
  await page.goto(server.url + "/planner" + query);
  await ready(page);
  await page.waitForSelector('[data-testid="verdicts"]', { timeout: 60000 });
}

/** Waits until the one-line summary (a live region) contains `want`. */
async function summaryHas(page, want) {
  await page.waitForFunction(
    (w) => (document.querySelector('[data-testid="plan-summary"]')?.textContent || "").replace(/[\u2068\u2069]/g, "").includes(w),
    want,
    { timeout: 30000 },
  );
}

/** The cell of `column` (0-based, after the row header) in the row of `preset` of table `id`. */
async function cell(page, id, preset, column) {
  const row = page.locator(`[data-testid="${id}"] tbody tr`).filter({ has: page.locator("th", { hasText: new RegExp(`^${preset}`) }) });
  return plain(await row.locator("td").nth(column).innerText());
}

async function breakdown(page, part) {
  return page.evaluate((part) => {
    const plain = (s) => s.replace(/[\u2068\u2069]/g, "");
    const row = [...document.querySelectorAll('[data-testid="breakdown"] tbody tr')].find((r) => plain(r.querySelector("th").textContent).includes(part));
    if (!row) return null;
    const td = row.querySelectorAll("td");
    return { size: plain(td[0].textContent), formula: plain(td[1].textContent) };
  }, part);
}

/** Waits until the first element matching `sel` has text (without isolation marks) matching `re`. */
async function waitText(page, sel, re) {
  await page.waitForFunction(
    ([sel, src, flags]) => {
      const el = document.querySelector(sel);
      return !!el && new RegExp(src, flags).test(el.textContent.replace(/[\u2068\u2069]/g, ""));
    },
    [sel, re.source, re.flags],
    { timeout: 30000 },
  );
}

const QWEN_05B = JSON.stringify({
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  max_position_embeddings: 32768,
  sliding_window: 32768,
  use_sliding_window: false,
  tie_word_embeddings: true,
  vocab_size: 151936,
});

test("catalog model on a database device: verdicts, best preset, and a KV cache checked by hand", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page);
    await page.selectOption("#plan-model", "llama-3.1-8b-instruct");
    await page.selectOption("#plan-device", "rtx-4090");
    await page.fill("#plan-ctx", "8192");
    await page.selectOption("#plan-kv", "f16");
    await summaryHas(page, "RTX 4090");
    // 2 (K,V) × 32 layers × 8 KV heads × 128 dims × 8192 tokens × 2 B = 1 GiB exactly.
    let kv = await breakdown(page, "KV cache");
    assert.equal(kv.size, "1.0 GiB");
    assert.match(kv.formula, /8 KV heads × 128 dims × 8192 tokens/);
    // A calculator that ignores GQA would count all 32 heads: 4 GiB.
    assert.match(await text(page, '[data-testid="kv-naive"]'), /4\.0 GiB.*8 key\/value heads, not 32.*1\.0 GiB/);
    // 24 GiB: even F16 fits, so it is the recommendation.
    assert.equal(await cell(page, "verdicts", "F16", 3), "Fits");
    assert.match(await text(page, '[data-testid="best"]'), /Best preset: F16/);
    assert.match(await text(page, '[data-testid="plan-summary"]'), /F16 fits 8192 tokens/);
    // Every part is named with its formula.
    for (const part of ["Weights (F16", "KV cache (f16)", "Compute buffers", "Runtime overhead"]) {
      const p = await breakdown(page, part);
      assert.ok(p.formula.length > 10, part);
    }
    // Twice the context, twice the cache; q8_0 stores 34 bytes per 32 values.
    await page.fill("#plan-ctx", "16384");
    await page.waitForFunction(() => /2\.0 GiB/.test(document.querySelector('[data-testid="breakdown"]').textContent));
    await page.fill("#plan-ctx", "8192");
    await page.selectOption("#plan-kv", "q8_0");
    await page.waitForFunction(() => /544\.0 MiB/.test(document.querySelector('[data-testid="breakdown"]').textContent));
    // A 12 GiB card: F16 does not fit, a quantized preset is recommended, with the reason.
    await page.selectOption("#plan-kv", "f16");
    await page.selectOption("#plan-device", "rtx-3060-12gb");
    await summaryHas(page, "RTX 3060");
    assert.equal(await cell(page, "verdicts", "F16", 3), "Does not fit");
    const best = await text(page, '[data-testid="best"]');
    assert.match(best, /Best preset: Q8_0 — the highest-quality preset that fits 8192 tokens/);
    assert.match(best, /Higher-quality presets that do not fit: F16, BF16/);
    assert.equal(await page.locator('[data-testid="verdicts"] tr.best .badge').count(), 1);
    // The chart has a bar per preset and the usable line; its numbers are in the table.
    assert.equal(await page.locator(".plan-chart g > text.bar-label").count(), await page.locator('[data-testid="verdicts"] tbody tr').count());
    assert.match(plain(await page.locator(".plan-chart .usable-label").textContent()), /usable 12\.0 GiB/);
    // Speeds: a prediction per preset, generation limited by memory on a GPU.
    assert.ok(Number(await cell(page, "speeds", "Q4_K_M", 1)) > Number(await cell(page, "speeds", "Q8_0", 1)));
    assert.match(await cell(page, "speeds", "Q4_K_M", 3), /\/ memory$/);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("a pasted config.json is read in the worker; bad JSON says why; typed numbers work too", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page);
    await page.check("#plan-src-config");
    await page.fill("#plan-config", "{ not json");
    await page.waitForSelector('[data-testid="plan-error"]', { timeout: 30000 });
    assert.match(await text(page, '[data-testid="plan-error"]'), /invalid JSON/);
    await page.fill("#plan-config", QWEN_05B);
    await waitText(page, '[data-testid="model-facts"]', /2 KV heads/);
    assert.equal(await page.locator('[data-testid="plan-error"]').count(), 0);
    await summaryHas(page, "Pasted model");
    // 2 × 24 layers × 2 KV heads × 64 dims × 8192 tokens × 2 B = 96 MiB.
    assert.equal((await breakdown(page, "KV cache")).size, "96.0 MiB");
    assert.match(await text(page, '[data-testid="model-facts"]'), /14 query heads, 2 KV heads × 64 dims/);
    // The config's text is shown as text, never as markup.
    const hostile = { ...JSON.parse(QWEN_05B), model_type: '<img src=x id=pwned onerror="window.pwned=1">' };
    await page.fill("#plan-config", JSON.stringify(hostile));
    await waitText(page, '[data-testid="model-facts"]', /<img src=x id=pwned/);
    assert.equal(await page.locator("#pwned").count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.match(plain(await page.locator(".plan-assumptions").textContent()), /<img src=x id=pwned/);
    // Typed numbers: the FFN width is solved from the parameter count.
    await page.check("#plan-src-fields");
    await summaryHas(page, "Your model");
    const facts = await text(page, '[data-testid="model-facts"]');
    const ff = Number(/FFN width\s+(\d+)/.exec(facts)[1]);
    assert.ok(Math.abs(ff - 14336) <= 1, facts); // Llama-3-8B's, from 8.03 B parameters
    assert.equal((await breakdown(page, "KV cache")).size, "1.0 GiB");
    // A bad value marks its field and does not plan.
    await page.fill("#plan-f-layers", "0");
    await page.waitForSelector("#plan-f-layers[aria-invalid=true]");
    assert.match(await text(page, "#plan-f-layers-err"), /whole number above 0/);
    await page.fill("#plan-f-layers", "16");
    await page.waitForFunction(() => /0\.5 GiB|512\.0 MiB/.test(document.querySelector('[data-testid="breakdown"]').textContent));
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("a shared link reproduces the plan: every input and the result come back", async () => {
  const b = await launch();
  let url, summary, cost, breakdownCaption;
  try {
    const page = await b.page();
    await openPlanner(page);
    const entries = await page.evaluate(() => history.length);
    await page.selectOption("#plan-model", "qwen2.5-7b-instruct");
    await page.selectOption("#plan-device", "nvidia-l4");
    await page.fill("#plan-ctx", "32768");
    await page.fill("#plan-batch", "2");
    await page.selectOption("#plan-kv", "q8_0");
    await page.uncheck("#plan-fa");
    await page.fill("#plan-usd", "0.9");
    await page.fill("#plan-util", "70");
    await page.fill("#plan-api-in", "0.3");
    await page.fill("#plan-api-out", "1.2");
    await page.fill("#plan-measured", "Q4_K_M tg128 20");
    await page.waitForSelector('[data-testid="calibration"]', { timeout: 30000 });
    await page.selectOption("#plan-detail", "Q5_K_M");
    await page.waitForSelector('#plan-breakdown-cap:has-text("Q5_K_M")');
    await page.waitForTimeout(300);
    url = page.url();
    summary = await text(page, '[data-testid="plan-summary"]');
    cost = await text(page, '[data-testid="cost-summary"]');
    breakdownCaption = await text(page, "#plan-breakdown-cap");
    for (const want of ["model=qwen2.5-7b-instruct", "device=nvidia-l4", "ctx=32768", "batch=2", "kv=q8_0", "fa=0", "usd=0.9", "util=70", "detail=Q5_K_M"]) {
      assert.ok(url.includes(want), `${want} in ${url}`);
    }
    // replaceState: editing does not pile up history entries.
    assert.equal(await page.evaluate(() => history.length), entries);
  } finally {
    await b.close();
  }
  // Another browser profile opens the link.
  const b2 = await launch();
  try {
    const page = await b2.page();
    await page.goto(url);
    await ready(page);
    await page.waitForSelector('[data-testid="calibration"]', { timeout: 60000 });
    assert.equal(await page.inputValue("#plan-model"), "qwen2.5-7b-instruct");
    assert.equal(await page.inputValue("#plan-device"), "nvidia-l4");
    assert.equal(await page.inputValue("#plan-ctx"), "32768");
    assert.equal(await page.inputValue("#plan-batch"), "2");
    assert.equal(await page.inputValue("#plan-kv"), "q8_0");
    assert.equal(await page.isChecked("#plan-fa"), false);
    assert.equal(await page.inputValue("#plan-usd"), "0.9");
    assert.equal(await page.inputValue("#plan-util"), "70");
    assert.equal(await page.inputValue("#plan-api-in"), "0.3");
    assert.equal(await page.inputValue("#plan-api-out"), "1.2");
    assert.equal(await page.inputValue("#plan-measured"), "Q4_K_M tg128 20");
    assert.equal(await page.inputValue("#plan-detail"), "Q5_K_M");
    assert.equal(await text(page, '[data-testid="plan-summary"]'), summary);
    assert.equal(await text(page, '[data-testid="cost-summary"]'), cost);
    assert.equal(await text(page, "#plan-breakdown-cap"), breakdownCaption);
    // A pasted config travels in the link too.
    await page.check("#plan-src-config");
    await page.fill("#plan-config", QWEN_05B);
    await waitText(page, '[data-testid="model-facts"]', /2 KV heads/);
    await page.waitForTimeout(300);
    const cfgUrl = page.url();
    await page.goto(cfgUrl);
    await ready(page);
    await waitText(page, '[data-testid="model-facts"]', /2 KV heads/);
    assert.equal(await page.inputValue("#plan-config"), QWEN_05B);
    assert.deepEqual(b2.errors, []);
  } finally {
    await b2.close();
  }
});

test("this device: the WebGPU adapter (SwiftShader headless), memory and cores; the benchmark shows progress, cancels, and refines the plan", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page, "?model=smollm2-135m-instruct");
    await page.selectOption("#plan-device", "this");
    await page.waitForSelector('[data-testid="this-gpu"]:not(:has-text("Looking"))', { timeout: 30000 });
    const gpu = await text(page, '[data-testid="this-gpu"]');
    assert.match(gpu, /WebGPU adapter: .*swiftshader/i);
    assert.match(gpu, /software fallback/);
    assert.match(gpu, /largest storage buffer \d/);
    await page.waitForSelector('[data-testid="this-engine-gpu"]', { timeout: 30000 });
    assert.match(await text(page, '[data-testid="this-memory"]'), /\d+(\.\d+)? GiB/);
    assert.match(await text(page, '[data-testid="this-cores"]'), /Logical processors: \d+/);
    await summaryHas(page, "on this device");
    // Unmeasured: the defaults are named as assumptions.
    assert.match(await text(page, '[data-testid="device-facts"]'), /25\.0 GB\/s/);
    assert.match(await text(page, '[data-testid="efficiency"]'), /not calibrated/);

    await page.getByRole("button", { name: "Measure this device" }).click();
    await page.waitForFunction(() => Number(document.querySelector(".plan-this progress")?.value) > 0, null, { timeout: 30000 });
    assert.match(await text(page, '[data-testid="bench-status"]'), /Measuring… \d+ %/);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("Measurement cancelled.")', { timeout: 10000 });
    assert.equal(await page.locator(".plan-this progress").count(), 0);
    assert.equal(await page.locator('[data-testid="bench-result"]').count(), 0);

    // Cancelled again in the third phase (the GPU's): progress past two thirds, then Cancel.
    await page.getByRole("button", { name: "Measure this device" }).click();
    await page.waitForFunction(() => Number(document.querySelector(".plan-this progress")?.value) > 680, null, { timeout: 60000 });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("Measurement cancelled.")', { timeout: 10000 });
    assert.equal(await page.locator('[data-testid="bench-result"]').count(), 0);
    assert.equal(await page.locator('[data-testid="bench-gpu-result"]').count(), 0);

    await page.getByRole("button", { name: "Measure this device" }).click();
    await page.waitForSelector('[data-testid="bench-result"]', { timeout: 120000 });
    const result = await text(page, '[data-testid="bench-result"]');
    const bw = /Memory bandwidth ([0-9.]+) GB\/s/.exec(result)[1];
    assert.match(result, /matrix multiply [0-9.]+ GFLOP\/s \(f32, 256 × 256, one thread\)/);
    // The WebGPU phase ran on SwiftShader's adapter, passed its check against the CPU
    // reference, and says its figures describe a software fallback.
    const gpuResult = await text(page, '[data-testid="bench-gpu-result"]');
    console.log(`  CPU: ${result}\n  GPU: ${gpuResult}`);
    const g = /^WebGPU \((.*swiftshader.*)\): matrix × vector ([0-9.]+) GB\/s, ([0-9.]+) GFLOP\/s \(f32, 4096 × 4096 weight of 64\.0 MiB; largest difference from the CPU reference ([0-9.e+-]+)\)\. This adapter is a software fallback/i.exec(gpuResult);
    assert.ok(g, gpuResult);
    const [gbs, gflops, diff] = [Number(g[2]), Number(g[3]), Number(g[4])];
    assert.ok(gbs > 0 && gflops > 0, gpuResult);
    // f32 weights: 4 bytes per multiply-add, so GFLOP/s is half the GB/s (to 3 digits).
    assert.ok(Math.abs(gflops * 2 / gbs - 1) < 0.01, gpuResult);
    assert.ok(diff <= 2e-6, gpuResult);
    // The plan now uses the measured figures.
    await page.waitForSelector(`[data-testid="device-facts"]:has-text("${bw} GB/s")`, { timeout: 30000 });
    assert.match(await text(page, '[data-testid="efficiency"]'), /this device was measured/);
    // The measurement belongs to this machine: kept in IndexedDB, not in the link.
    assert.ok(!page.url().includes(bw));
    await page.reload();
    await ready(page);
    await page.waitForSelector('[data-testid="bench-result"]', { timeout: 30000 });
    await page.waitForSelector(`[data-testid="device-facts"]:has-text("${bw} GB/s")`, { timeout: 30000 });
    assert.equal(await text(page, '[data-testid="bench-gpu-result"]'), gpuResult);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("this device without WebGPU: the benchmark says why the GPU was not measured, and the CPU figures still count", async () => {
  // Without --enable-unsafe-webgpu this Chromium offers no WebGPU on Linux.
  const b = await launch({ args: CHROMIUM_ARGS.filter((a) => a !== "--enable-unsafe-webgpu") });
  try {
    const page = await b.page();
    await openPlanner(page, "?model=smollm2-135m-instruct");
    await page.selectOption("#plan-device", "this");
    await page.waitForSelector('[data-testid="this-gpu"]:has-text("No WebGPU adapter")', { timeout: 30000 });
    await page.getByRole("button", { name: "Measure this device" }).click();
    await page.waitForSelector('[data-testid="bench-result"]', { timeout: 120000 });
    const bw = /Memory bandwidth ([0-9.]+) GB\/s/.exec(await text(page, '[data-testid="bench-result"]'))[1];
    assert.match(await text(page, '[data-testid="bench-gpu-result"]'), /^WebGPU not measured: no WebGPU adapter: .+/);
    await page.waitForSelector(`[data-testid="device-facts"]:has-text("${bw} GB/s")`, { timeout: 30000 });
    assert.match(await text(page, '[data-testid="efficiency"]'), /this device was measured/);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("cost per 1M tokens, break-even against the API, and what quantization saves", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page, "?model=llama-3.1-8b-instruct&device=rtx-3060-12gb");
    // No price, no cost: the page says what to enter.
    assert.match(await text(page, '[data-testid="cost-none"]'), /price per hour/);
    await page.fill("#plan-usd", "0.1");
    await page.waitForSelector('[data-testid="costs"]', { timeout: 30000 });
    // The L4 has a listed example price ($0.805/h) used when the field is empty.
    await page.fill("#plan-usd", "");
    await page.selectOption("#plan-device", "nvidia-l4");
    await summaryHas(page, "NVIDIA L4");
    await page.waitForSelector('[data-testid="costs"]');
    assert.match(await text(page, '[data-testid="cost-summary"]'), /\$587\.65 a month/); // 0.805 × 730 h
    // Break-even = monthly ÷ blended API price: (512 × 0.3 + 128 × 1.2) / 640 = $0.48 per 1M,
    // so 587.65 / 0.48 = 1224 million tokens a month.
    await page.fill("#plan-api-in", "0.3");
    await page.fill("#plan-api-out", "1.2");
    await page.waitForFunction(() => /1224 million tokens a month/.test(document.querySelector('[data-testid="cost-summary"]').textContent.replace(/[\u2068\u2069]/g, "")));
    assert.match(await text(page, '[data-testid="cost-summary"]'), /The API costs \$0\.480 per 1M tokens/);
    assert.equal(await cell(page, "costs", "Q4_K_M", 4), "1224");
    // Halving utilization doubles the cost per token.
    const at50 = Number((await cell(page, "costs", "Q4_K_M", 0)).replace("$", ""));
    await page.fill("#plan-util", "25");
    await page.waitForFunction(
      (old) => {
        const row = [...document.querySelectorAll('[data-testid="costs"] tbody tr')].find((r) => r.querySelector("th").textContent.startsWith("Q4_K_M"));
        return Number(row.querySelectorAll("td")[0].textContent.replace(/[$\u2068\u2069]/g, "")) !== old;
      },
      at50,
    );
    const at25 = Number((await cell(page, "costs", "Q4_K_M", 0)).replace("$", ""));
    assert.ok(Math.abs(at25 / at50 - 2) < 0.02, `${at50} → ${at25}`);
    // Quantization saves against F16: faster decoding, cheaper tokens.
    assert.equal(await cell(page, "costs", "F16", 3), "0 %");
    assert.ok(Number((await cell(page, "costs", "Q4_K_M", 3)).replace(" %", "")) > 20);
    // A bad price marks its field.
    await page.fill("#plan-api-in", "-1");
    await page.waitForSelector("#plan-api-in[aria-invalid=true]");
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("measured runs calibrate the roofline and the prediction's error is shown beside them", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page, "?model=llama-3.1-8b-instruct&device=rtx-3060-12gb");
    assert.equal(await page.locator('[data-testid="measured"]').count(), 0);
    await page.fill("#plan-measured", "Q4_K_M tg128 62, Q4_K_M pp512 1300");
    await page.waitForSelector('[data-testid="measured"]', { timeout: 30000 });
    const rows = page.locator('[data-testid="measured"] tbody tr');
    assert.equal(await rows.count(), 2);
    const tg = plain(await rows.nth(0).innerText());
    assert.match(tg, /Q4_K_M\s+tg128\s+62/);
    assert.match(await text(page, '[data-testid="efficiency"]'), /calibrated from your measured runs/);
    const cal = await text(page, '[data-testid="calibration"]');
    const [, before, after] = /Mean prediction error: ([0-9.]+) % before, ([0-9.]+) % after/.exec(cal);
    assert.ok(Number(after) <= Number(before), cal);
    assert.ok(Number(after) < 5, cal); // two runs, two efficiencies: the fit is close to exact
    // The calibrated speed is used for the table too.
    const decode = Number(await cell(page, "speeds", "Q4_K_M", 1));
    assert.ok(Math.abs(decode - 62) / 62 < 0.15, `${decode}`);
    await page.fill("#plan-measured", "garbage");
    await page.waitForSelector("#plan-measured[aria-invalid=true]");
    assert.match(await text(page, "#plan-measured-err"), /Q4_K_M tg128 45\.2/);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("after one visit the planner works offline", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openPlanner(page);
    await controlled(page);
    await b.context.setOffline(true);
    await openPlanner(page, "?model=smollm2-135m-instruct&device=pixel-8&ctx=2048");
    await summaryHas(page, "SmolLM2-135M-Instruct on Google Pixel 8");
    assert.equal(await page.inputValue("#plan-ctx"), "2048");
    await page.fill("#plan-ctx", "4096");
    await page.waitForFunction(() => location.search.includes("ctx=4096"));
    await b.context.setOffline(false);
  } finally {
    await b.close();
  }
});

for (const locale of ["en-US", "ar"]) {
  for (const colorScheme of ["light", "dark"]) {
    test(`axe: no violations in every state (${locale}, ${colorScheme}), and no sideways scroll at 360 px`, async () => {
      for (const width of [1280, 360]) {
        const b = await launch({ locale, colorScheme, viewport: { width, height: 800 } });
        try {
          const page = await b.page();
          const check = async (state) => {
            const v = await axe(page);
            assert.deepEqual(v, [], `${state} @${width}: ${JSON.stringify(v, null, 1)}`);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(overflow <= 0, `${state} @${width}: page scrolls sideways by ${overflow}px`);
          };
          await openPlanner(page, "?device=nvidia-l4&api_in=0.3&api_out=1.2&m=Q4_K_M%20tg128%2050");
          await page.waitForSelector('[data-testid="calibration"]', { timeout: 30000 });
          assert.equal(await page.getAttribute("html", "dir"), locale === "ar" ? "rtl" : "ltr");
          await check("catalog, cost, measured");
          await page.check("#plan-src-config");
          await page.fill("#plan-config", "{ not json");
          await page.waitForSelector('[data-testid="plan-error"]', { timeout: 30000 });
          await check("config error");
          await page.check("#plan-src-fields");
          await page.fill("#plan-f-layers", "x");
          await page.waitForSelector("#plan-f-layers[aria-invalid=true]");
          await check("fields with an error");
          await page.selectOption("#plan-device", "this");
          await page.waitForSelector('[data-testid="this-gpu"]:not(:has-text("…"))', { timeout: 30000 });
          await check("this device");
        } finally {
          await b.close();
        }
      }
    });
  }
}

test("a model in the library is planned from its real GGUF metadata and calibrated by its workbench runs on this device; an empty library says where to get one", { skip: wbSkip }, async () => {
  const b = await launch();
  try {
    const page = await b.page();
    // No model chosen yet: nothing to plan, and the empty library says where models come from.
    await page.goto(server.url + "/planner?src=library");
    await ready(page);
    await page.waitForSelector('[data-testid="plan-lib-empty"]', { timeout: 30000 });
    assert.match(await text(page, '[data-testid="plan-lib-empty"]'), /no models yet/);
    assert.deepEqual(await axe(page), []);

    await openWorkbench(page, server.url);
    await importModel(page);
    // One run of the model in the workbench (CPU, 16 tokens after a 20-odd-token prompt): the
    // engine's own measurement on this device, recorded for the planner.
    const run = page.getByRole("region", { name: "Run" });
    await run.getByLabel("CPU", { exact: true }).check();
    await run.getByLabel("Complete text").check();
    await page.getByLabel("Temperature").fill("0");
    await page.getByLabel("Temperature").blur();
    await page.getByLabel("Most tokens").fill("16");
    await page.getByLabel("Most tokens").blur();
    await page.getByLabel("Text to continue").fill("The history of computing is a story of making machines do more with less, and every decade the");
    await page.getByTestId("wb-send").click();
    await page.waitForSelector('[data-testid="wb-gen-status"]:has-text("Stopped at the token limit")', { timeout: 300000 });

    await page.goto(server.url + "/planner?src=library&device=rtx-3060-12gb");
    await ready(page);
    const picker = page.getByLabel("Library model");
    await picker.waitFor({ timeout: 30000 });
    const options = await picker.locator("option").allInnerTexts();
    const smol = options.find((o) => /SmolLM2/i.test(o));
    assert.ok(smol, JSON.stringify(options));
    await picker.selectOption({ label: smol });
    // The header's real numbers: 30 layers, 135 M parameters, 9 query / 3 KV heads of 64.
    await waitText(page, '[data-testid="model-facts"]', /Layers\s*30/);
    const facts = await text(page, '[data-testid="model-facts"]');
    assert.match(facts, /Parameters\s*13[45](\.\d+)?\s*M/, facts);
    assert.match(facts, /9 query heads, 3 KV heads × 64 dims/, facts);
    await page.waitForSelector('[data-testid="verdicts"]');
    assert.match(new URL(page.url()).search, /[?&]lib=[^&]+/);
    assert.deepEqual(await axe(page), []);
    // On another device the workbench's runs say nothing; on this device they calibrate the
    // plan, as runs of the file's own preset (Q4_1).
    assert.equal(await page.locator('[data-testid="measured"]').count(), 0);
    await page.selectOption("#plan-device", "this");
    await page.waitForSelector('[data-testid="measured"]', { timeout: 30000 });
    const measured = plain(await page.locator('[data-testid="measured"] tbody').innerText());
    assert.match(measured, /Q4_1\s+tg16\s+[\d.]+/, measured);
    assert.match(measured, /Q4_1\s+pp\d+\s+[\d.]+/, measured);
    assert.match(await text(page, '[data-testid="efficiency"]'), /calibrated from your measured runs/);
    assert.deepEqual(await axe(page), []);
  } finally {
    await b.close();
  }
});
