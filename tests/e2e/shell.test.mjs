// The app shell: routes, titles, i18n and RTL, keyboard navigation, themes, phone layout,
// persistence across reloads, security basics.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, ready, ROUTES } from "./harness.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

const TITLES = {
  "/": "Learn · Bitsmith",
  "/learn": "Learn · Bitsmith",
  "/workbench": "Workbench · Bitsmith",
  "/planner": "Planner · Bitsmith",
  "/progress": "Progress · Bitsmith",
  "/settings": "Settings · Bitsmith",
  "/no-such-page": "Page not found · Bitsmith",
};

// Fluent isolates placeholders with U+2068/U+2069; compare titles without them.
const clean = (s) => s.replace(/[\u2068\u2069]/g, "");

test("every route renders with its own title and one h1", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    for (const route of ROUTES) {
      await page.goto(server.url + route);
      await ready(page);
      assert.equal(clean(await page.title()), TITLES[route], route);
      assert.equal(await page.locator("main h1").count(), 1, route);
    }
    // In-app navigation: click through the nav, current page marked for assistive tech.
    await page.goto(server.url + "/");
    await ready(page);
    await page.getByRole("link", { name: "Planner" }).click();
    await page.waitForURL("**/planner");
    assert.equal(await page.locator('a[aria-current="page"]').innerText(), "Planner");
    assert.equal(clean(await page.title()), "Planner · Bitsmith");
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test("keyboard: the first Tab reaches the skip link, which moves focus to main", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement.className);
    assert.equal(first, "skip-link");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none", "focus is visible");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => location.hash === "#main");
    // Tab again lands inside main (the language picker is the first control on Settings).
    await page.keyboard.press("Tab");
    const inMain = await page.evaluate(() => document.querySelector("main").contains(document.activeElement));
    assert.ok(inMain);
  } finally {
    await b.close();
  }
});

test("language choice applies lang/dir, survives a reload (IndexedDB), and Arabic is RTL", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await page.selectOption("#language", "ar");
    await page.waitForFunction(() => document.documentElement.lang === "ar");
    assert.equal(await page.getAttribute("html", "dir"), "rtl");
    assert.equal(clean(await page.title()), "الإعدادات · Bitsmith");
    // Persisted: a reload comes back in Arabic, from IndexedDB.
    await page.waitForTimeout(300);
    await page.reload();
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "ar");
    assert.equal(await page.getAttribute("html", "dir"), "rtl");
    assert.equal(await page.locator("main h1").innerText(), "الإعدادات");
    const stored = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const r = indexedDB.open("bitsmith");
          r.onsuccess = () => {
            const tx = r.result.transaction("kv").objectStore("kv").get("settings");
            tx.onsuccess = () => resolve({ version: r.result.version, settings: tx.result });
          };
          r.onerror = () => reject(r.error);
        })
    );
    assert.equal(stored.settings.locale, "ar");
    assert.ok(stored.version >= 1);
    // Spanish too, and back to the browser default.
    await page.selectOption("#language", "es");
    await page.waitForFunction(() => document.documentElement.lang === "es");
    assert.equal(await page.getAttribute("html", "dir"), "ltr");
    await page.selectOption("#language", "");
    await page.waitForFunction(() => document.documentElement.lang === "en");
  } finally {
    await b.close();
  }
});

test("the browser's language is followed when the user has not chosen", async () => {
  const b = await launch({ locale: "ar-EG" });
  try {
    const page = await b.page();
    await page.goto(server.url + "/");
    await ready(page);
    assert.equal(await page.getAttribute("html", "lang"), "ar");
    assert.equal(await page.getAttribute("html", "dir"), "rtl");
  } finally {
    await b.close();
  }
});

test("theme follows the system and the override wins", async () => {
  const b = await launch({ colorScheme: "dark" });
  try {
    const page = await b.page();
    await page.goto(server.url + "/settings");
    await ready(page);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await bg();
    assert.equal(dark, "rgb(16, 22, 20)");
    await page.check("#theme-light");
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
    assert.equal(await bg(), "rgb(247, 248, 246)");
    await page.waitForTimeout(300);
    await page.reload();
    await ready(page);
    assert.equal(await page.getAttribute("html", "data-theme"), "light");
    assert.equal(await bg(), "rgb(247, 248, 246)");
  } finally {
    await b.close();
  }
});

test("a 360 px phone: no page scrolls sideways", async () => {
  const b = await launch({ viewport: { width: 360, height: 740 } });
  try {
    const page = await b.page();
    for (const route of ROUTES) {
      await page.goto(server.url + route);
      await ready(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${route} overflows by ${overflow}px`);
    }
  } finally {
    await b.close();
  }
});

test("security: CSP without inline script, and no request leaves the origin at start-up", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    const foreign = [];
    const violations = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) foreign.push(r.url());
    });
    await page.goto(server.url + "/settings");
    await page.evaluate(() => document.addEventListener("securitypolicyviolation", (e) => window.__csp = (window.__csp || []).concat(e.violatedDirective)));
    await ready(page);
    await page.waitForSelector('[data-testid="engine-version"]:has-text("running")', { timeout: 30000 });
    violations.push(...((await page.evaluate(() => window.__csp)) || []));
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(await page.locator("script:not([src])").count(), 0, "no inline script");
    assert.deepEqual(foreign, []);
    assert.deepEqual(violations, []);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
