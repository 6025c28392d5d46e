// The workbench's library under stress, as a user meets it: a URL download that breaks off and
// resumes after a reload; a full disk (a real quota, set through Chromium's DevTools protocol)
// that leaves no half model and offers a way out; a tab closed in the middle of a write.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, launch, ready, axe } from "./harness.mjs";
import { MODEL, skip, sha256, idbCounts, manifests, openWorkbench, clean, waitForStatus } from "./workbench_helpers.mjs";

const MODEL_URL = "/models/" + path.basename(MODEL);
const CHUNK = 4 << 20;

let server;
let tmp;
before(async () => {
  server = await serve();
  server.mount("/models/", path.dirname(MODEL) + path.sep);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bitsmith-wbs-"));
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function noViolations(page, label) {
  const v = await axe(page);
  assert.deepEqual(v, [], `${label}: ${JSON.stringify(v, null, 1)}`);
}

test("a URL download cut off mid-way resumes after a reload where it stopped", { skip }, async () => {
  const b = await launch();
  const ranges = [];
  b.context.on("request", (r) => {
    if (r.url().endsWith(MODEL_URL)) ranges.push(r.headers()["range"] || "none");
  });
  try {
    const page = await b.page();
    // The connection drops after 30 MB of the model (sent at 12 MB/s, so progress is seen).
    server.cutAfter(MODEL_URL, 30_000_000, 12_000_000);
    await openWorkbench(page, server.url);
    await page.waitForSelector('[data-testid="wb-suggestion"]:has-text("local demo") button:not([disabled])', { timeout: 30000 });
    await page.locator('[data-testid="wb-suggestion"]', { hasText: "local demo" }).getByRole("button").click();
    await page.waitForSelector('[data-testid="wb-progress-text"]:has-text("/s")', { timeout: 30000 });
    const progress = clean(await page.getByTestId("wb-progress-text").innerText());
    assert.match(progress, / of 93\.8 MiB · [\d.]+ [KMG]?i?B\/s/);
    await page.waitForSelector('[data-testid="wb-failure"]:has-text("The download stopped")', { timeout: 60000 });
    await noViolations(page, "download interrupted");
    const [p] = await page.evaluate(async () => {
      const db = await new Promise((res) => { const r = indexedDB.open("bitsmith"); r.onsuccess = () => res(r.result); });
      const all = await new Promise((res) => { const q = db.transaction("lib_pending").objectStore("lib_pending").getAll(); q.onsuccess = () => res(q.result); });
      db.close();
      return all;
    });
    const stored = p.files[0].done;
    // Whole chunks only, as far as the bytes that arrived allow.
    assert.equal(stored % CHUNK, 0);
    assert.ok(stored >= 30_000_000 - CHUNK - (16 << 20) && stored <= 30_000_000, `stored ${stored}`);
    assert.equal((await idbCounts(page)).models, 0, "no model before its manifest");

    // Reload: the interrupted download is listed and resumes from its stored bytes.
    server.cutAfter(MODEL_URL, null);
    await page.reload();
    await ready(page);
    await page.waitForSelector('[data-testid="wb-pending"]', { timeout: 30000 });
    ranges.length = 0;
    await page.locator('[data-testid="wb-pending"] button', { hasText: "Resume" }).click();
    await waitForStatus(page, "is in the library", 180000);
    assert.ok(ranges.includes(`bytes=${stored}-${stored + (16 << 20) - 1}`), `resume requests: ${ranges.join(", ")}`);
    assert.ok(!ranges.some((r) => r.startsWith("bytes=0-") && r !== "bytes=0-0"), `restarted from 0: ${ranges.join(", ")}`);
    const counts = await idbCounts(page);
    assert.deepEqual([counts.models, counts.pending], [1, 0]);

    // The stored model is the file, byte for byte.
    const [dl] = await Promise.all([
      page.waitForEvent("download", { timeout: 120000 }),
      page.locator('button[aria-label^="Export"]').first().click(),
    ]);
    const saved = path.join(tmp, "resumed.gguf");
    await dl.saveAs(saved);
    assert.equal(sha256(saved), sha256(MODEL));
    assert.deepEqual(b.errors.filter((e) => !e.includes("ERR_") && !e.includes("Failed to load resource")), []);
  } finally {
    server.cutAfter(MODEL_URL, null);
    await b.close();
  }
});

test("a full disk stops the import with a clear message, actions, and no half model left", { skip }, async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openWorkbench(page, server.url);
    // A real quota: what the app already uses plus 40 MB, less than the 94 MB model needs.
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage);
    const cdp = await b.context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url, quotaSize: usage + 40_000_000 });
    await page.locator('[data-testid="wb-file-input"]').setInputFiles(MODEL);
    await page.waitForSelector('[data-testid="wb-failure"]', { timeout: 120000 });
    const text = await page.getByTestId("wb-failure").innerText();
    assert.match(text, /storage for this site is full/);
    assert.match(text, /Nothing was left half-saved/);
    for (const name of ["Delete models", "Ask for persistent storage"]) {
      assert.ok(await page.getByRole("button", { name }).isVisible(), name);
    }
    assert.ok(await page.getByRole("link", { name: "Storage settings" }).isVisible());
    await noViolations(page, "quota failure");
    // Nothing of the model is stored and nothing is listed.
    assert.deepEqual(await idbCounts(page), { chunks: 0, models: 0, pending: 0 });
    assert.ok(await page.getByTestId("wb-library-empty").isVisible());
    // The way out works: "Delete models" takes the user to the library.
    await page.getByRole("button", { name: "Delete models" }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), "wb-library-h");
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url });
  } finally {
    await b.close();
  }
});

test("a tab closed in the middle of a write leaves no model, and its chunks are collected", { skip }, async () => {
  const b = await launch();
  try {
    let page = await b.page();
    await openWorkbench(page, server.url);
    await page.locator('[data-testid="wb-file-input"]').setInputFiles(MODEL);
    // Wait until some chunks are written, then close the tab mid-write.
    await page.waitForFunction(async () => {
      const db = await new Promise((res) => { const r = indexedDB.open("bitsmith"); r.onsuccess = () => res(r.result); });
      const n = await new Promise((res) => { const q = db.transaction("lib_chunks").objectStore("lib_chunks").count(); q.onsuccess = () => res(q.result); });
      db.close();
      return n >= 3;
    }, null, { timeout: 60000, polling: 50 });
    await page.close();
    page = await b.context.newPage();
    await openWorkbench(page, server.url);
    assert.ok(await page.getByTestId("wb-library-empty").isVisible(), "a half model is listed");
    // The workbench's garbage collection removes the orphaned chunks (the closed tab's write
    // lock is gone).
    await page.waitForFunction(async () => {
      const db = await new Promise((res) => { const r = indexedDB.open("bitsmith"); r.onsuccess = () => res(r.result); });
      const n = await new Promise((res) => { const q = db.transaction("lib_chunks").objectStore("lib_chunks").count(); q.onsuccess = () => res(q.result); });
      db.close();
      return n === 0;
    }, null, { timeout: 30000, polling: 200 });
    assert.equal((await manifests(page)).length, 0);
  } finally {
    await b.close();
  }
});

test("the data saver asks before a big download", { skip }, async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openWorkbench(page, server.url);
    await page.locator(".wb-saver summary").click();
    await page.getByLabel("Ask before big downloads (data saver)").check();
    await page.getByLabel("Ask before downloads over (MB)").fill("10");
    await page.getByLabel("Ask before downloads over (MB)").blur();
    await page.getByLabel("Or download from a link").fill(server.url + MODEL_URL);
    await page.getByRole("button", { name: "Download", exact: true }).click();
    await page.waitForSelector('[data-testid="wb-ask"]', { timeout: 30000 });
    assert.match(clean(await page.getByTestId("wb-ask").innerText()), /Download SmolLM2-135M-Instruct\.Q4_1 \(93\.8 MiB\)\?/);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "wb-ask");
    await noViolations(page, "data saver question");
    await page.getByRole("button", { name: "Not now" }).click();
    assert.equal(await page.getByTestId("wb-ask").count(), 0);
    assert.equal((await idbCounts(page)).pending, 0);
  } finally {
    await b.close();
  }
});
