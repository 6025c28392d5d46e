// Runs the browser inference benchmark page (www/) in headless Debian Chromium (playwright-core
// from tests/node_modules; no browser is downloaded) and prints its JSON result on stdout.
//
// Usage: node bench/wasm-infer/run.mjs MODEL.gguf [TOKENS] [RUNS]
// Needs www/pkg (built by scripts/bench_infer.sh) and node_modules/@wllama/wllama (npm ci here).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const { chromium } = await import(path.join(root, "tests", "node_modules", "playwright-core", "index.mjs"));

const [model, tokens, runs] = process.argv.slice(2);
if (!model) {
  console.error("usage: run.mjs MODEL.gguf [TOKENS] [RUNS]");
  process.exit(2);
}
const www = path.join(here, "www");
const wllamaDir = path.join(here, "node_modules", "@wllama", "wllama");
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm" };

// No COOP/COEP headers: the page is not cross-origin isolated, so wllama uses its
// single-thread build, as the engine's worker is single-threaded.
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  let file;
  if (url.pathname === "/model.gguf") file = model;
  else if (url.pathname.startsWith("/wllama/")) file = path.join(wllamaDir, path.normalize(url.pathname.slice(8)));
  else file = path.join(www, path.normalize(url.pathname));
  if (file !== model && !file.startsWith(www) && !file.startsWith(wllamaDir)) {
    res.writeHead(403).end();
    return;
  }
  const target = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, "index.html") : file;
  if (!fs.existsSync(target)) {
    res.writeHead(404).end();
    return;
  }
  const size = fs.statSync(target).size;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || "");
  if (m) {
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    res.writeHead(206, { "content-type": "application/octet-stream", "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${size}`, "accept-ranges": "bytes" });
    fs.createReadStream(target, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(target)] || "application/octet-stream", "content-length": size, "accept-ranges": "bytes" });
  if (req.method === "HEAD") return res.end();
  fs.createReadStream(target).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
let code = 0;
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.error(`[page] ${m.text()}`); });
  await page.goto(`${base}/index.html?n=${tokens || 64}&runs=${runs || 3}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 0, polling: 1000 });
  const { result, error } = await page.evaluate(() => ({ result: window.benchResult, error: window.benchError }));
  if (error) {
    console.error(error);
    code = 1;
  } else {
    result.browser = browser.version();
    console.log(JSON.stringify(result));
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
