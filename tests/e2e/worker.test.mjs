// The engine worker: it answers, runs a job with progress, cancels it, and its WebGPU kernel
// agrees with the CPU reference.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, ready } from "./harness.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

test("the engine runs in a dedicated worker, not on the UI thread", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.waitForSelector('[data-testid="engine-version"]:has-text("running in a background worker")', { timeout: 30000 });
    // The worker's wasm is fetched by the worker; the page itself never instantiated it.
    const workers = page.workers().map((w) => w.url());
    assert.ok(workers.some((u) => u.endsWith("/worker_loader.js")), JSON.stringify(workers));
    assert.ok(server.log.includes("/worker_bg.wasm"));
  } finally {
    await b.close();
  }
});

test("a long job reports progress and stops when cancelled; a second one completes", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.waitForSelector('[data-testid="engine-version"]:has-text("running")', { timeout: 30000 });
    await page.getByRole("button", { name: "Run benchmark" }).click();
    // Progress arrives while the job runs (rows done so far).
    await page.waitForFunction(() => Number(document.querySelector("progress")?.value) > 0, null, { timeout: 30000 });
    assert.match(await page.locator('[data-testid="bench-status"]').innerText(), /Quantized \D*\d+\D* of \D*65536\D* rows/);
    // The UI stays responsive while the worker computes: the cancel button reacts at once.
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("Benchmark cancelled.")', { timeout: 10000 });
    const after = await page.locator('[data-testid="bench-status"]').innerText();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-testid="bench-status"]').innerText(), after, "no progress after cancel");
    // The worker kept its state and runs the next job to the end.
    await page.getByRole("button", { name: "Run benchmark" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("million weights per second")', { timeout: 120000 });
    const text = await page.locator('[data-testid="bench-status"]').innerText();
    const rmse = Number(/RMSE ([0-9.e+-]+)/.exec(text.replace(/[\u2068\u2069]/g, ""))[1]);
    // Q8_0 on a uniform signal in [-2, 2): step 2/127, RMSE ≈ step/√12 ≈ 0.0045.
    assert.ok(rmse > 0.001 && rmse < 0.01, text);
  } finally {
    await b.close();
  }
});

test("WebGPU is detected in the worker and its RMSNorm matches the CPU reference", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.waitForSelector('[data-testid="gpu-adapter"]:has-text("WebGPU adapter:")', { timeout: 30000 });
    await page.getByRole("button", { name: "Check the GPU against the CPU" }).click();
    await page.waitForSelector('[data-testid="gpu-check"]:has-text("matches the CPU reference")', { timeout: 60000 });
  } finally {
    await b.close();
  }
});

test("without WebGPU the app says why and the CPU path still works", async () => {
  const { chromium } = await import("playwright-core");
  const { CHROMIUM, CHROMIUM_ARGS } = await import("./harness.mjs");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== "--enable-unsafe-webgpu") });
  try {
    const page = await browser.newPage();
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.waitForSelector('[data-testid="gpu-adapter"]:has-text("No WebGPU here")', { timeout: 30000 });
    assert.ok(await page.getByRole("button", { name: "Check the GPU against the CPU" }).isDisabled());
    await page.getByRole("button", { name: "Run benchmark" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("rows")', { timeout: 30000 });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForSelector('[data-testid="bench-status"]:has-text("Benchmark cancelled.")', { timeout: 10000 });
  } finally {
    await browser.close();
  }
});
