// Runs the wasm quantization benchmark page in headless Debian Chromium (playwright-core from
// tests/node_modules; no browser is downloaded) and prints its JSON result on stdout.
//
// Usage: node bench/wasm-quant/run.mjs MODEL.gguf ROWS RUNS
//   ROWS: LABEL:PRESET:PURE,...  (PURE 0/1), e.g. Q4_K:Q4_K_S:1
// Needs bench/wasm-quant/www/pkg (built by scripts/bench_quantize_wasm.sh).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const { chromium } = await import(
  path.join(root, "tests", "node_modules", "playwright-core", "index.mjs")
);

const [model, rows, runs] = process.argv.slice(2);
if (!model || !rows) {
  console.error("usage: run.mjs MODEL.gguf ROWS [RUNS]");
  process.exit(2);
}
const www = path.join(here, "www");
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm" };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const file = url.pathname === "/model.gguf" ? model : path.join(www, path.normalize(url.pathname));
  if (!file.startsWith(www) && file !== model) {
    res.writeHead(403).end();
    return;
  }
  const target = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, "index.html") : file;
  if (!fs.existsSync(target)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    "content-type": TYPES[path.extname(target)] || "application/octet-stream",
    "content-length": fs.statSync(target).size,
  });
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
  page.on("console", (m) => console.error(`[page] ${m.text()}`));
  await page.goto(`${base}/index.html?rows=${encodeURIComponent(rows)}&runs=${runs || 3}`);
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
