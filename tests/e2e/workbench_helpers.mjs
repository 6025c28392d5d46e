// Shared helpers of the workbench end-to-end tests (not a test file itself).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { ready, ROOT } from "./harness.mjs";

const MODELS = process.env.BITSMITH_MODELS || path.join(os.homedir(), ".cache", "bitsmith", "models");
const MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
export const MODEL = path.join(MODELS, MODEL_FILE);
export const MODELS_DIR = MODELS;
export const skip = fs.existsSync(MODEL) ? false : `needs ${MODEL} (scripts/fetch_test_models.sh)`;

/** The `bitsmith` CLI: a built binary if there is one, else cargo builds it. */
export function bitsmith(args) {
  const candidates = [
    process.env.BITSMITH_BIN,
    path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release", "bitsmith"),
    path.join(ROOT, "target", "release", "bitsmith"),
  ].filter(Boolean);
  const bin = candidates.find((p) => fs.existsSync(p));
  if (bin) return execFileSync(bin, args, { stdio: "pipe" });
  return execFileSync("cargo", ["run", "--quiet", "--release", "-p", "bitsmith-engine", "--bin", "bitsmith", "--", ...args], { cwd: ROOT, stdio: "pipe" });
}

/** Text without Fluent's bidi isolation marks (U+2068, U+2069 around every placeable). */
export const clean = (s) => s.replace(/[\u2068\u2069]/g, "");

export const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** Counts of the library's IndexedDB records, read in the page. */
export async function idbCounts(page) {
  return page.evaluate(async () => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open("bitsmith");
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const count = (s) => new Promise((res, rej) => {
      const q = db.transaction(s).objectStore(s).count();
      q.onsuccess = () => res(q.result);
      q.onerror = () => rej(q.error);
    });
    const out = { chunks: await count("lib_chunks"), models: await count("lib_models"), pending: await count("lib_pending") };
    db.close();
    return out;
  });
}

/** Every manifest in the library. */
export async function manifests(page) {
  return page.evaluate(async () => {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open("bitsmith");
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const all = await new Promise((res, rej) => {
      const q = db.transaction("lib_models").objectStore("lib_models").getAll();
      q.onsuccess = () => res(q.result);
      q.onerror = () => rej(q.error);
    });
    db.close();
    return all;
  });
}

export async function openWorkbench(page, url) {
  await page.goto(url + "/workbench");
  await ready(page);
  await page.waitForSelector('[data-testid="wb-library-empty"], [data-testid="wb-library"]', { timeout: 30000 });
}

/** Opens the model file through the file picker and waits until it is in the library. */
export async function importModel(page) {
  await page.locator('[data-testid="wb-file-input"]').setInputFiles(MODEL);
  await waitForStatus(page, "is in the library", 180000);
}


/**
 * Waits until the workbench's status line contains `text`; fails at once, with the message the
 * user sees, when the job ends in a failure instead (not after the whole timeout).
 */
export async function waitForStatus(page, text, timeout) {
  const done = `[data-testid="wb-status"]:has-text(${JSON.stringify(text)})`;
  await page.waitForSelector(`${done}, [data-testid="wb-failure"]`, { timeout });
  const failure = page.getByTestId("wb-failure");
  if (await failure.count()) {
    throw new Error(`expected “${text}” but the workbench failed: ${clean(await failure.first().innerText())}`);
  }
}
