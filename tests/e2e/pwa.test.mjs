// Offline-first: after one online visit every route loads with the network cut; a new version
// installs in the background and is applied only when the user agrees.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { serve, launch, ready, controlled, ROUTES, DIST } from "./harness.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

test("manifest is installable: name, icons 192/512/maskable, standalone, theme colour", async () => {
  const m = JSON.parse(fs.readFileSync(path.join(DIST, "manifest.webmanifest"), "utf8"));
  assert.equal(m.display, "standalone");
  assert.equal(m.start_url, "/");
  assert.ok(m.name && m.short_name && m.theme_color);
  const sizes = m.icons.map((i) => `${i.sizes}:${i.purpose}`);
  for (const want of ["192x192:any", "512x512:any", "512x512:maskable"]) assert.ok(sizes.includes(want), want);
  for (const i of m.icons) {
    const png = fs.readFileSync(path.join(DIST, i.src));
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    assert.equal(`${w}x${h}`, i.sizes, i.src);
  }
});

test("the service worker precaches the build: shell, engine worker, styles, icons", async () => {
  const sw = fs.readFileSync(path.join(DIST, "sw.js"), "utf8");
  assert.doesNotMatch(sw, /__BITSMITH_/);
  const list = JSON.parse(/const PRECACHE = (\[[\s\S]*?\]);/.exec(sw)[1]);
  const built = fs.readdirSync(DIST);
  for (const f of built.filter((f) => /\.(wasm|js|css|html)$/.test(f) && f !== "sw.js")) {
    assert.ok(list.includes("/" + f), `${f} precached`);
  }
  assert.ok(list.includes("/worker_bg.wasm") && list.includes("/worker_loader.js"));
  assert.ok(!list.includes("/sw.js"));
});

test("after one online visit, every route works with the network cut", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/");
    await ready(page);
    await controlled(page);
    // Let the worker load once online too (it is precached either way).
    await page.goto(server.url + "/settings");
    await page.waitForSelector('[data-testid="engine-version"]:has-text("running")', { timeout: 30000 });
    await b.context.setOffline(true);
    for (const route of ROUTES) {
      await page.goto(server.url + route);
      await ready(page);
    }
    // The indicator says so, and the engine worker still starts offline.
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.waitForSelector('[data-testid="connectivity"]:has-text("Offline")');
    await page.waitForSelector('[data-testid="engine-version"]:has-text("running")', { timeout: 30000 });
    await b.context.setOffline(false);
    await page.waitForSelector('[data-testid="connectivity"]:has-text("Online")');
  } finally {
    await b.close();
  }
});

test("an update waits for the user: banner, then reload into the new version; old cache deleted", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/learn");
    await ready(page);
    await controlled(page);
    const oldCaches = await page.evaluate(() => caches.keys());
    assert.equal(oldCaches.length, 1);
    // Publish a new version: a byte-different sw.js with a new cache version.
    const sw = fs.readFileSync(path.join(DIST, "sw.js"), "utf8");
    const next = sw.replace(/const VERSION = "([^"]+)"/, 'const VERSION = "$1-next"');
    server.override("/sw.js", next);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await page.waitForSelector('[data-testid="update-banner"]', { timeout: 30000 });
    // Not applied behind the user's back: the old worker still controls the page.
    assert.equal((await page.evaluate(() => caches.keys())).length, 2);
    const reloaded = page.waitForEvent("load");
    await page.getByRole("button", { name: "Reload to update" }).click();
    await reloaded;
    await ready(page);
    await page.waitForFunction(async () => (await caches.keys()).length === 1);
    const now = await page.evaluate(() => caches.keys());
    assert.match(now[0], /-next$/);
    assert.equal(await page.locator('[data-testid="update-banner"]').count(), 0);
  } finally {
    await b.close();
  }
});
