// Learn: the lesson list and offline search; a lesson taken end to end (its widget on real
// weights, its quiz, mastery changing and surviving a reload); spaced review falling due with an
// injected clock; export and re-import of progress; read-aloud; offline use; and axe on every
// lesson page state in light and dark, English and Arabic, and at 360 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serve, launch, ready, axe, controlled } from "./harness.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

const DAY = 86_400_000;
const LESSON = "symmetric-asymmetric";
// One lesson per widget kind (from content/en/<track>/<NN>-<id>.md).
const WIDGET_LESSONS = {
  quantize_matrix: "symmetric-asymmetric",
  error_vs_bits: "granularity",
  number_format: "number-formats",
  memory_calc: "edge-and-mobile",
  layer_sensitivity: "layer-sensitivity",
  spiking_neuron: "spiking-computation",
  annealing_qubo: "annealing-and-qubo",
  block_format: "block-quantization",
  kv_cache: "kv-cache-quantization",
};

async function openLesson(page, id) {
  await page.goto(server.url + "/learn/" + id);
  await page.waitForSelector(".lesson-text", { timeout: 30000 });
}

/** Waits until every widget on the page has shown a result (its live region has text). */
async function widgetsReady(page) {
  await page.waitForFunction(
    () => [...document.querySelectorAll(".widget")].every((w) => w.querySelector(".widget-status")?.textContent.trim()),
    null,
    { timeout: 30000 },
  );
}

/** Text without Fluent's bidi isolation marks (U+2068/U+2069 around every placeable). */
const plain = (s) => s.replace(/[\u2068\u2069]/g, "");
const text = async (loc) => plain(await loc.innerText());

/** Waits until some element matching the CSS selector `sel` has text (without isolation marks) matching `re`. */
async function waitText(page, sel, re) {
  await page.waitForFunction(
    ([sel, src, flags]) =>
      [...document.querySelectorAll(sel)].some((el) => new RegExp(src, flags).test(el.textContent.replace(/[\u2068\u2069]/g, ""))),
    [sel, re.source, re.flags],
    { timeout: 30000 },
  );
}

function noErrors(b) {
  assert.deepEqual(b.errors.filter((e) => !/favicon/.test(e)), []);
}

/** Answers the symmetric/asymmetric quiz correctly (answers from content/en/foundations/04-symmetric-asymmetric.md). */
async function answerQuiz(page) {
  const item = (id) => page.locator(`form[data-item="${LESSON}/${id}"]`);
  await item("asym-cost").getByLabel("Your answer").fill("5");
  await item("asym-cost").getByRole("button", { name: "Check answer" }).click();
  await item("which-symmetric").getByLabel("Q4_0").check();
  await item("which-symmetric").getByLabel("Q8_0").check();
  await item("which-symmetric").getByRole("button", { name: "Check answer" }).click();
  await item("when-asym").getByLabel("One-sided values").check();
  await item("when-asym").getByRole("button", { name: "Check answer" }).click();
  for (const id of ["asym-cost", "which-symmetric", "when-asym"]) {
    await waitText(page, `form[data-item="${LESSON}/${id}"] [role="status"]`, /Right!/);
  }
}

test("the Learn page lists tracks and lessons from the catalog, and search finds lessons offline-ready", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/learn");
    await ready(page);
    await page.waitForSelector(".lesson-card");
    const tracks = await page.locator("section.track").count();
    assert.ok(tracks >= 7, `${tracks} tracks`);
    const lessons = await page.locator(".lesson-card").count();
    assert.ok(lessons >= 30, `${lessons} lessons`);
    // Level, minutes and prerequisites are shown.
    const card = page.locator(`.lesson-card[data-lesson="${LESSON}"]`);
    await assert.doesNotReject(card.locator(".lesson-facts:has-text('min')").waitFor());
    assert.match(await card.locator(".prereqs").innerText(), /Read first:\s*What quantization is/);
    // Search: typing finds lessons with the shared tokenizer's prefix matching, announced politely.
    await page.getByLabel("Search the lessons").fill("gptq");
    await page.waitForSelector("#lesson-search-status:has-text('match')");
    const first = page.locator(".search-results a").first();
    assert.match(await first.innerText(), /GPTQ/i);
    assert.ok(server.log.includes("/content/en/search.bin"));
    await page.getByLabel("Search the lessons").fill("zzzzqqq");
    await page.waitForSelector("#lesson-search-status:has-text('No lesson')");
    await page.getByLabel("Search the lessons").fill("k-quant");
    await page.waitForSelector(".search-results li");
    assert.deepEqual(await axe(page), []);
    await page.locator(".search-results a").first().click();
    await page.waitForSelector(".lesson-text");
    assert.match(page.url(), /\/learn\/[a-z0-9-]+$/);
    // Links inside lesson text route in the app: to another lesson, and to an app page.
    await openLesson(page, "granularity");
    await page.locator('.lesson-text a[data-lesson="error-metrics"]').first().click();
    await page.waitForURL("**/learn/error-metrics");
    await page.waitForSelector(".lesson-text");
    await openLesson(page, LESSON);
    await page.locator('.lesson-text a[data-route="workbench"]').first().click();
    await page.waitForURL("**/workbench");
    // A content link opened in a new tab arrives as a hash address and is routed.
    await page.goto(server.url + "/#/learn/gptq");
    await page.waitForURL("**/learn/gptq");
    await page.waitForSelector(".lesson-text");
    noErrors(b);
  } finally {
    await b.close();
  }
});

test("take a lesson: widget on real weights, quiz, mastery changes and survives a reload; reviews fall due; export and import", async () => {
  const b = await launch();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bitsmith-learn-"));
  let exported;
  try {
    const page = await b.page();
    // What the page itself requests (the service worker's precache runs separately).
    const fetched = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    await openLesson(page, LESSON);
    // Lessons load lazily: this bundle, not the others.
    assert.ok(fetched.includes(`/content/en/lessons/${LESSON}.bin`));
    assert.ok(!fetched.includes("/content/en/lessons/gptq.bin"), JSON.stringify(fetched));
    await widgetsReady(page);
    const widget = page.locator('.widget[data-widget="quantize_matrix"]');
    const statusBox = widget.locator(".widget-status");
    const W = '.widget[data-widget="quantize_matrix"] .widget-status';
    assert.match(await text(statusBox), /3-bit asymmetric, groups of 64: 3\.500 bits per weight, relative error/);
    // The worker fetched the real weight slice.
    assert.ok(server.log.includes("/content/weights/blk0.attn_q.f16"));
    // Keyboard: one step right on the bits slider → 4 bits, announced with the new error.
    const before3 = await text(statusBox);
    const slider = widget.getByLabel("Bits");
    await slider.focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(await slider.getAttribute("aria-valuetext"), "4 bits");
    await waitText(page, W, /4-bit asymmetric/);
    const err = (s) => parseFloat(/relative error ([\d.]+)/.exec(s)[1]);
    const after4 = await text(statusBox);
    assert.ok(err(after4) < err(before3), `${after4} vs ${before3}`);
    // Groups of 32 asymmetric at 4 bits: the Q4_1 grid these weights came from, almost exact.
    await widget.getByLabel("Group size").selectOption("32");
    await waitText(page, W, /groups of 32/);
    assert.ok(err(await text(statusBox)) < 1, await text(statusBox));
    // A real ggml type through the engine.
    await widget.getByLabel("Method").selectOption("Q4_0");
    await waitText(page, W, /Q4_0: 4\.50* bits per weight/);
    // The chart has its data table.
    await widget.locator("summary:has-text('Data table')").click();
    assert.ok((await widget.locator("table tbody tr").count()) > 10);

    // Mastery before, the quiz, mastery after.
    const skill = page.locator('.lesson-skills li[data-skill="quantization-basics"]');
    assert.match(await text(skill), /Not practised yet/);
    await answerQuiz(page);
    await page.locator('[data-testid="lesson-done"]').waitFor();
    await page.locator('.lesson-skills li.mastered[data-skill="quantization-basics"]').waitFor();
    assert.match(await text(skill), /Mastered: 3 of your last 3/);
    assert.deepEqual(await axe(page), []);

    // Reload: still completed and mastered (IndexedDB).
    await page.reload();
    await page.waitForSelector('[data-testid="lesson-done"]');
    await page.locator('.lesson-skills li.mastered[data-skill="quantization-basics"]').waitFor();

    // The Learn page now says what is next.
    await page.goto(server.url + "/learn");
    await page.waitForSelector(".up-next li a");
    assert.ok(!(await page.locator(".up-next").innerText()).includes("Symmetric and asymmetric"), "a completed lesson is not recommended");
    assert.equal(await text(page.locator('[data-testid="learn-overall"]')), "You have completed 1 of " + (await page.locator(".lesson-card").count()) + " lessons.");

    // Progress dashboard: counts, mastery chart, nothing due yet.
    await page.goto(server.url + "/progress");
    await page.waitForSelector('[data-testid="progress-stats"]');
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^1 of \d+$/);
    assert.match(await text(page.locator('[data-testid="stat-skills"]')), /^1 of \d+$/);
    assert.equal(await text(page.locator('[data-testid="stat-due"]')), "0");
    assert.equal(await text(page.locator('[data-testid="stat-streak"]')), "1 day");
    await waitText(page, '[data-testid="review-empty"]', /next question is due/);
    assert.ok((await page.locator('[data-testid="recommendations"] li').count()) >= 1);
    assert.deepEqual(await axe(page), []);

    // Four days later (injected clock): the three items are due.
    const now = await page.evaluate(() => Date.now());
    await page.evaluate((t) => localStorage.setItem("bitsmith.testClock", String(t)), now + 4 * DAY);
    await page.reload();
    await page.waitForSelector('[data-testid="review-queue"]');
    for (const id of ["asym-cost", "which-symmetric", "when-asym"]) {
      await page.locator(`[data-testid="review-queue"] li[data-item="${LESSON}/${id}"]`).waitFor();
    }
    assert.equal(await text(page.locator('[data-testid="stat-due"]')), "3");
    // Review the first one (the most overdue: answered first).
    await page.getByRole("button", { name: "Review now" }).click();
    const session = page.locator('[data-testid="review-session"]');
    await session.locator(`form[data-item="${LESSON}/asym-cost"]`).waitFor();
    await session.getByLabel("Your answer").fill("5.0");
    await session.getByRole("button", { name: "Check answer" }).click();
    await waitText(page, '[data-testid="review-session"] [role="status"]', /Right!/);
    assert.deepEqual(await axe(page), []);
    await session.getByRole("button", { name: "Next question" }).click();
    await session.locator(`form[data-item="${LESSON}/which-symmetric"]`).waitFor();
    // The reviewed item left the queue (due again in about ten days); the others remain.
    await page.reload();
    await page.waitForSelector('[data-testid="review-queue"]');
    assert.equal(await page.locator(`li[data-item="${LESSON}/asym-cost"]`).count(), 0);
    assert.equal(await text(page.locator('[data-testid="stat-due"]')), "2");

    // Export: a versioned JSON file with every answer.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export progress" }).click()]);
    exported = path.join(tmp, download.suggestedFilename());
    await download.saveAs(exported);
    assert.match(download.suggestedFilename(), /^bitsmith-progress-\d{4}-\d\d-\d\d\.json$/);
    const file = JSON.parse(fs.readFileSync(exported, "utf8"));
    assert.equal(file.format, "bitsmith-progress");
    assert.equal(file.version, 1);
    assert.equal(file.progress.attempts.length, 4);
    assert.ok(file.progress.cards[`${LESSON}/asym-cost`].stability > 3);
    assert.ok(file.progress.completed[LESSON] > 0);
    noErrors(b);
  } finally {
    await b.close();
  }

  // A fresh browser: nothing; a bad file is refused with a reason; the export restores it all.
  const c = await launch();
  try {
    const page = await c.page();
    await page.goto(server.url + "/progress");
    await page.waitForSelector('[data-testid="progress-stats"]');
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^0 of/);
    await page.setInputFiles("#import-file", { name: "notes.json", mimeType: "application/json", buffer: Buffer.from('{"hello": 1}') });
    await page.locator('[data-testid="transfer-error"]:has-text("not a Bitsmith progress file")').waitFor();
    await page.setInputFiles("#import-file", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from("{not json") });
    await page.locator('[data-testid="transfer-error"]:has-text("it is not JSON")').waitFor();
    const tampered = JSON.parse(fs.readFileSync(exported, "utf8"));
    tampered.progress.cards[`${LESSON}/asym-cost`].difficulty = 99;
    await page.setInputFiles("#import-file", { name: "tampered.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(tampered)) });
    await page.locator('[data-testid="transfer-error"]:has-text("damaged")').waitFor();
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^0 of/);
    assert.deepEqual(await axe(page), []);
    await page.setInputFiles("#import-file", exported);
    await waitText(page, '[data-testid="transfer-status"]', /Imported 4 answers and one completed lesson\./);
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^1 of/);
    assert.match(await text(page.locator('[data-testid="stat-skills"]')), /^1 of/);
    // It was saved, not just shown.
    await page.reload();
    await page.waitForSelector('[data-testid="progress-stats"]');
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^1 of/);
    await openLesson(page, LESSON);
    await page.waitForSelector('[data-testid="lesson-done"]');
  } finally {
    await c.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("progress written under an older database schema survives the app's migrations", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    // A database as the first released schema (version 1: `kv` and `meta`) left it, holding a
    // progress record of an older shape (no `opened`, no review cards), written before the app
    // of this build ever ran in this profile.
    await page.goto(server.url + "/manifest.webmanifest");
    const t = await page.evaluate(() => Date.now() - 86_400_000);
    await page.evaluate(async ([lesson, t]) => {
      await new Promise((resolve, reject) => {
        const req = indexedDB.open("bitsmith", 1);
        req.onupgradeneeded = () => {
          req.result.createObjectStore("kv");
          req.result.createObjectStore("meta");
        };
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction("kv", "readwrite");
          const items = ["asym-cost", "which-symmetric", "when-asym"];
          tx.objectStore("kv").put(
            {
              version: 1,
              attempts: items.map((i, k) => ({ item: `${lesson}/${i}`, at: t + k, correct: true })),
              completed: { [lesson]: t + 2 },
              days: [Math.floor(t / 86_400_000)],
            },
            "progress",
          );
          tx.oncomplete = () => { db.close(); resolve(); };
          tx.onerror = () => reject(tx.error);
        };
      });
    }, [LESSON, t]);
    await page.goto(server.url + "/progress");
    await page.waitForSelector('[data-testid="progress-stats"]');
    assert.match(await text(page.locator('[data-testid="stat-lessons"]')), /^1 of \d+$/);
    assert.match(await text(page.locator('[data-testid="stat-skills"]')), /^1 of \d+$/);
    // The app upgraded the database past version 1 and kept the record.
    const version = await page.evaluate(() => new Promise((r) => { const q = indexedDB.open("bitsmith"); q.onsuccess = () => { r(q.result.version); q.result.close(); }; }));
    assert.ok(version > 1, `database version ${version}`);
    await openLesson(page, LESSON);
    await page.waitForSelector('[data-testid="lesson-done"]');
    noErrors(b);
  } finally {
    await b.close();
  }
});

test("an ordering question is answered with the keyboard alone", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openLesson(page, "number-formats");
    const form = page.locator('form[data-item="number-formats/precision-order"]');
    const want = ["fp8 E5M2", "fp8 E4M3", "bf16", "fp16", "fp32"];
    const order = async () => (await form.locator(".order-text").allInnerTexts()).map((s) => s.trim());
    assert.notDeepEqual(await order(), want, "shown shuffled");
    for (let i = 0; i < want.length; i++) {
      const cur = await order();
      const j = cur.indexOf(want[i]);
      if (j === i) continue;
      // Button ids carry the item's index in the correct order (its label: "Move up: <item>").
      const up = form.locator(`#q-number-formats-precision-order-${i}-up`);
      assert.equal(plain(await up.getAttribute("aria-label")), `Move up: ${want[i]}`);
      await up.focus();
      for (let k = 0; k < j - i; k++) await page.keyboard.press("Enter");
      // Focus followed the item; the move was announced.
      await waitText(page, 'form[data-item="number-formats/precision-order"] [role="status"]', new RegExp(`is now at position ${i + 1} of 5`));
    }
    assert.deepEqual(await order(), want);
    await form.getByRole("button", { name: "Check answer" }).focus();
    await page.keyboard.press("Enter");
    await waitText(page, 'form[data-item="number-formats/precision-order"] [role="status"]', /Right!/);
  } finally {
    await b.close();
  }
});

test("read-aloud is hidden without voices, and plays, pauses and highlights with them", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await openLesson(page, LESSON);
    const voices = await page.evaluate(() => speechSynthesis.getVoices().length);
    if (voices === 0) {
      assert.equal(await page.locator('[data-testid="read-aloud"]').count(), 0);
    }
  } finally {
    await b.close();
  }
  // A browser with a voice (a scripted speechSynthesis: speaking ends when the test says so).
  const c = await launch();
  try {
    await c.context.addInitScript(() => {
      const fake = new EventTarget();
      const log = [];
      let current = null;
      fake.getVoices = () => [{ name: "Test voice", lang: "en-US" }];
      fake.speak = (u) => { current = u; log.push(["speak", u.text]); };
      fake.pause = () => log.push(["pause"]);
      fake.resume = () => log.push(["resume"]);
      fake.cancel = () => { log.push(["cancel"]); current = null; };
      Object.defineProperty(window, "speechSynthesis", { value: fake, configurable: true });
      window.__speech = { log, finish: () => { const u = current; current = null; u && u.onend && u.onend(new Event("end")); } };
    });
    const page = await c.page();
    await openLesson(page, LESSON);
    const controls = page.locator('[data-testid="read-aloud"]');
    await controls.waitFor();
    await controls.getByRole("button", { name: "Read aloud" }).click();
    const first = page.locator(".lesson-text .reading");
    await first.waitFor();
    assert.equal(await first.getAttribute("aria-current"), "true");
    const text1 = await first.innerText();
    const spoken = await page.evaluate(() => window.__speech.log.filter((e) => e[0] === "speak").map((e) => e[1]));
    const norm = (s) => s.replace(/\s+/g, " ").trim();
    assert.equal(norm(spoken[0]), norm(text1));
    // The next paragraph is highlighted when the first has been spoken.
    await page.evaluate(() => window.__speech.finish());
    await page.waitForFunction((t) => document.querySelector(".lesson-text .reading")?.textContent.trim() !== t.trim(), text1);
    assert.equal(await page.locator(".lesson-text .reading").count(), 1);
    await controls.getByRole("button", { name: "Pause" }).click();
    await waitText(page, '[data-testid="read-aloud"] [role="status"]', /Paused/);
    await controls.getByRole("button", { name: "Resume" }).click();
    await controls.getByRole("button", { name: "Stop" }).click();
    assert.equal(await page.locator(".lesson-text .reading").count(), 0);
    const log = await page.evaluate(() => window.__speech.log.map((e) => e[0]));
    for (const op of ["speak", "pause", "resume", "cancel"]) assert.ok(log.includes(op), JSON.stringify(log));
    assert.deepEqual(await axe(page), []);
  } finally {
    await c.close();
  }
});

test("lessons, their widgets and quizzes work offline after one visit", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/learn");
    await ready(page);
    await controlled(page);
    // Reload so the engine worker, too, is controlled by the service worker.
    await page.reload();
    await page.waitForSelector(".lesson-card");
    await b.context.setOffline(true);
    // Lessons never opened online: bundles and weight slices come from the precache.
    for (const id of ["granularity", "block-quantization"]) {
      await openLesson(page, id);
      await widgetsReady(page);
      assert.equal(await page.locator(".widget .notice-error").count(), 0);
    }
    await page.goto(server.url + "/learn");
    await page.getByLabel("Search the lessons").fill("imatrix");
    await page.waitForSelector(".search-results li");
    await b.context.setOffline(false);
    noErrors(b);
  } finally {
    await b.close();
  }
});

for (const [colorScheme, locale, viewport] of [
  ["light", "en-US", { width: 1280, height: 900 }],
  ["dark", "en-US", { width: 1280, height: 900 }],
  ["light", "ar", { width: 1280, height: 900 }],
  ["dark", "ar", { width: 360, height: 740 }],
  ["light", "en-US", { width: 360, height: 740 }],
]) {
  test(`axe: lesson pages and every widget, ${colorScheme}, ${locale}, ${viewport.width} px`, async () => {
    const b = await launch({ colorScheme, locale, viewport });
    try {
      const page = await b.page();
      const lessons = viewport.width === 1280 && locale === "en-US" && colorScheme === "light"
        ? Object.values(WIDGET_LESSONS)
        : [LESSON, "number-formats", "annealing-and-qubo", "layer-sensitivity"];
      for (const id of lessons) {
        await openLesson(page, id);
        await widgetsReady(page);
        // Open every data table so axe checks them too.
        for (const d of await page.locator("details.data-table").all()) await d.evaluate((e) => (e.open = true));
        const v = await axe(page);
        assert.deepEqual(v, [], `${id}: ${JSON.stringify(v, null, 1)}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${id}: ${overflow}px of horizontal scroll`);
      }
      // An answered quiz (feedback and explanations shown).
      await openLesson(page, LESSON);
      const form = page.locator(`form[data-item="${LESSON}/asym-cost"]`);
      await form.locator('input[type="text"]').fill("4");
      await form.locator('button[type="submit"]').click();
      await form.locator(".explanation").waitFor();
      const choice = page.locator(`form[data-item="${LESSON}/which-symmetric"]`);
      await choice.locator('input[type="checkbox"]').first().check();
      await choice.locator('button[type="submit"]').click();
      await choice.locator(".explanation").waitFor();
      assert.deepEqual(await axe(page), []);
      await page.goto(server.url + "/learn");
      await page.waitForSelector(".lesson-card");
      assert.deepEqual(await axe(page), []);
      await page.goto(server.url + "/progress");
      await page.waitForSelector('[data-testid="progress-stats"]');
      for (const d of await page.locator("details").all()) await d.evaluate((e) => (e.open = true));
      assert.deepEqual(await axe(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `progress: ${overflow}px of horizontal scroll`);
      noErrors(b);
    } finally {
      await b.close();
    }
  });
}
