// Shared test harness: a static server for the built app (dist/) on 127.0.0.1 and headless
// Debian Chromium driven by playwright-core. No browser is ever downloaded.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..", "..");
export const DIST = process.env.BITSMITH_DIST || path.join(ROOT, "dist");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".bin": "application/octet-stream",
  ".gguf": "application/octet-stream",
  ".ftl": "text/plain; charset=utf-8",
};

/** Serves `dir` like a static host: files as they are, unknown paths → index.html (SPA).
 *  Single `Range: bytes=a-b` requests get 206 answers (model downloads resume with them). */
export async function serve(dir = DIST) {
  const overrides = new Map();
  const mounts = new Map();
  const cuts = new Map();
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    log.push(url.pathname);
    if (overrides.has(url.pathname)) {
      const { body, type } = overrides.get(url.pathname);
      res.writeHead(200, { "content-type": type, "cache-control": "no-cache" });
      res.end(body);
      return;
    }
    let root = dir;
    let rel = decodeURIComponent(url.pathname);
    for (const [prefix, d] of mounts) {
      if (rel.startsWith(prefix)) {
        root = d;
        rel = rel.slice(prefix.length - 1);
      }
    }
    let file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      file = path.join(dir, "index.html");
    }
    const type = TYPES[path.extname(file)] || "application/octet-stream";
    const stat = fs.statSync(file);
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = { "content-type": type, "cache-control": "no-cache", "accept-ranges": "bytes", etag };
    let start = 0;
    let end = stat.size - 1;
    let status = 200;
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || "");
    const ifRange = req.headers["if-range"];
    if (m && (!ifRange || ifRange === etag)) {
      start = m[1] === "" ? Math.max(0, stat.size - Number(m[2])) : Number(m[1]);
      end = m[1] !== "" && m[2] !== "" ? Math.min(Number(m[2]), stat.size - 1) : stat.size - 1;
      if (start >= stat.size || start > end) {
        res.writeHead(416, { "content-range": `bytes */${stat.size}` }).end();
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${stat.size}`;
    }
    headers["content-length"] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file, { start, end });
    const cut = cuts.get(url.pathname);
    if (cut) {
      // Simulate a dropped connection: after `cut.left` more bytes of this path, the socket dies.
      stream.on("data", (chunk) => {
        if (cut.left <= 0) return;
        if (chunk.length >= cut.left) {
          res.write(chunk.subarray(0, cut.left));
          cut.left = 0;
          stream.destroy();
          setTimeout(() => res.socket && res.socket.destroy(), 50);
        } else {
          cut.left -= chunk.length;
          res.write(chunk);
          if (cut.rate) {
            stream.pause();
            setTimeout(() => stream.resume(), (chunk.length / cut.rate) * 1000);
          }
        }
      });
      stream.on("end", () => res.end());
      return;
    }
    stream.pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Serve `body` at `p` instead of the file (e.g. a new sw.js to simulate an update). */
    override(p, body, type = "text/javascript; charset=utf-8") {
      overrides.set(p, { body, type });
    },
    /** Serve the files of `d` under the URL prefix `prefix` (e.g. "/models/"). */
    mount(prefix, d) {
      mounts.set(prefix, d);
    },
    /** Drop the connection once `bytes` more bytes of `p` have been sent (at `rate` bytes per
     *  second, if given); `null` lifts it. */
    cutAfter(p, bytes, rate = 0) {
      if (bytes === null) cuts.delete(p);
      else cuts.set(p, { left: bytes, rate });
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--enable-unsafe-webgpu",
];

/** A fresh browser profile (its own IndexedDB, caches and service workers). */
export async function launch({ viewport = { width: 1280, height: 900 }, locale = "en-US", colorScheme = "light", args = CHROMIUM_ARGS } = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bitsmith-e2e-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport,
    locale,
    colorScheme,
  });
  const errors = [];
  context.on("page", (p) => watch(p, errors));
  for (const p of context.pages()) watch(p, errors);
  return {
    context,
    errors,
    async page() {
      return context.pages()[0] || context.newPage();
    },
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

function watch(page, errors) {
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
}

/** Waits until the app has rendered a page heading. */
export async function ready(page) {
  await page.waitForSelector("main h1", { timeout: 30000 });
}

/** Waits until a service worker controls the page (offline-ready). */
export async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
}

export const ROUTES = ["/", "/learn", "/workbench", "/planner", "/progress", "/settings", "/no-such-page"];

/** Runs axe-core in the page with the WCAG tags the project holds itself to. */
export async function axe(page) {
  const source = fs.readFileSync(path.join(ROOT, "tests", "node_modules", "axe-core", "axe.min.js"), "utf8");
  // Injected through CDP-evaluated script, not a <script> tag: the page's CSP forbids inline script.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5), help: v.help }));
  });
}
