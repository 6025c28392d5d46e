// axe-core (WCAG 2.0/2.1/2.2 A and AA) reports nothing on any route, in light and dark, in
// English and Arabic.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, ready, axe, ROUTES } from "./harness.mjs";

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server.close();
});

for (const colorScheme of ["light", "dark"]) {
  for (const locale of ["en-US", "ar"]) {
    test(`axe: 0 violations on every route (${colorScheme}, ${locale})`, async () => {
      const b = await launch({ colorScheme, locale });
      try {
        const page = await b.page();
        for (const route of ROUTES) {
          await page.goto(server.url + route);
          await ready(page);
          if (route === "/settings") {
            await page.waitForSelector('[data-testid="engine-version"]:has-text("0.")', { timeout: 30000 });
          }
          const violations = await axe(page);
          assert.deepEqual(violations, [], `${route}: ${JSON.stringify(violations, null, 1)}`);
        }
      } finally {
        await b.close();
      }
    });
  }
}

test("axe is really checking: an injected unlabeled input is reported", async () => {
  const b = await launch();
  try {
    const page = await b.page();
    await page.goto(server.url + "/planner");
    await ready(page);
    await page.evaluate(() => {
      const i = document.createElement("input");
      i.type = "text";
      document.querySelector("main").appendChild(i);
    });
    const violations = await axe(page);
    assert.ok(violations.some((v) => v.id === "label"), JSON.stringify(violations));
  } finally {
    await b.close();
  }
});
