// The page areas (Learn, Workbench, Planner) are wasm modules of their own, loaded by the shell
// the first time one of their routes is shown (app/src/ui/area.rs). These tests check that the
// first visit of a shell route fetches none of them, that in-app links, back and forward move
// between modules, that a settings change made in the shell reaches a loaded area, and that a
// module that fails to arrive says so and can be retried.
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

const h1 = (page) => page.locator("main h1").innerText();
// Fluent wraps placeables in Unicode isolates (U+2068 … U+2069).
const title = async (page) => (await page.title()).replace(/[\u2068\u2069]/g, "");
const areaRequests = (urls) => urls.filter((u) => /\/area-(learn|workbench|planner)-/.test(u));

test("a shell route loads no area module; links, back and forward move between areas", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    const urls = [];
    page.on("request", (r) => urls.push(new URL(r.url()).pathname));
    await page.goto(server.url + "/settings");
    await ready(page);
    assert.equal(await h1(page), "Settings");
    assert.deepEqual(areaRequests(urls), [], "the Settings page fetched an area module");

    await page.getByRole("link", { name: "Planner" }).click();
    await page.waitForSelector('main h1:has-text("Planner")');
    assert.ok(areaRequests(urls).some((u) => u.startsWith("/area-planner-")));
    assert.ok(!areaRequests(urls).some((u) => u.startsWith("/area-learn-")), "Learn was not asked for");

    await page.getByRole("link", { name: "Learn", exact: true }).click();
    await page.waitForSelector('main h1:has-text("Learn LLM optimization by doing")');
    assert.equal(await page.locator("main h1").count(), 1, "one page in main at a time");
    // A link the Learn module follows itself: the shell hears it (nav state, then the lesson's
    // own title).
    await page.locator(".lesson-card a").first().click();
    await page.waitForSelector(".lesson-text", { timeout: 30000 });
    assert.match(new URL(page.url()).pathname, /^\/learn\/[a-z0-9-]+$/);
    assert.equal(await page.getByRole("link", { name: "Learn", exact: true }).getAttribute("aria-current"), "page");
    await page.waitForFunction(() => {
      const t = document.title.replace(/[\u2068\u2069]/g, "");
      return t !== "Learn · Bitsmith" && t.endsWith(" · Bitsmith");
    });
    // The shell's nav to a page the Learn module shows.
    await page.getByRole("link", { name: "Progress" }).first().click();
    await page.waitForSelector('main h1:has-text("Progress")');
    assert.equal(new URL(page.url()).pathname, "/progress");
    assert.equal(await page.locator("main h1").count(), 1);

    await page.goBack();
    await page.waitForSelector(".lesson-text");
    await page.goBack();
    await page.waitForSelector('main h1:has-text("Learn LLM optimization by doing")');
    await page.goBack();
    await page.waitForSelector('main h1:has-text("Planner")');
    assert.equal(await page.locator("main h1").count(), 1);
    await page.goBack();
    await page.waitForSelector('main h1:has-text("Settings")');
    await page.goForward();
    await page.waitForSelector('main h1:has-text("Planner")');
    assert.equal(await title(page), "Planner · Bitsmith");
    // The Planner module was fetched once, however often its page was shown.
    assert.equal(areaRequests(urls).filter((u) => u.startsWith("/area-planner-") && u.endsWith(".wasm")).length, 1);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("a language chosen in Settings reaches an area that is already loaded", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/planner");
    await page.waitForSelector('main h1:has-text("Planner")');
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForSelector('main h1:has-text("Settings")');
    await page.selectOption("#language", "es");
    await page.waitForFunction(() => document.documentElement.lang === "es");
    await page.getByRole("link", { name: "Planificador" }).click();
    await page.waitForSelector('main h1:has-text("Planificador")');
    await page.reload();
    await page.waitForSelector('main h1:has-text("Planificador")');
  } finally {
    await b.close();
  }
});

test("an area module that does not arrive: a clear message, and Try again loads it", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    // The connection drops for the Workbench module's wasm (before any service worker controls
    // the page, so the request goes to the network).
    await page.route(/\/area-workbench-[0-9a-f]+_bg\.wasm$/, (route) => route.abort("connectionreset"));
    await page.goto(server.url + "/workbench");
    const alert = page.locator('main [role="alert"]');
    await alert.waitFor({ timeout: 30000 });
    assert.match(await alert.innerText(), /This page could not be loaded/);
    assert.match(await alert.innerText(), /nothing you saved is lost/);
    assert.equal(await title(page), "Workbench · Bitsmith");
    // The rest of the app still works meanwhile.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForSelector('main h1:has-text("Settings")');
    await page.goBack();
    await alert.waitFor();
    await page.unroute(/\/area-workbench-[0-9a-f]+_bg\.wasm$/);
    await page.getByRole("button", { name: "Try again" }).click();
    await page.waitForSelector('main h1:has-text("Workbench")', { timeout: 30000 });
    assert.equal(await page.locator('main [role="alert"]:has-text("could not be loaded")').count(), 0);
  } finally {
    await b.close();
  }
});
