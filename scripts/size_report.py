#!/usr/bin/env python3
"""Prints what a first visit transfers before the page is interactive, and what the engine
worker loads after first paint, gzip-compressed; fails if the first load is over budget.

First load = index.html plus everything it references directly (stylesheet, loader script,
app JS and wasm) — the page is interactive once the app's wasm has started. The engine worker
(loader, JS glue, wasm) is spawned after the first paint and is reported separately."""
import gzip
import re
import sys
from pathlib import Path

BUDGET = 300 * 1000  # bytes, gzip

dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


index = dist / "index.html"
html = index.read_text(encoding="utf-8")
first = [index]
for ref in re.findall(r'(?:href|src)="/([^"]+)"', html):
    p = dist / ref
    if p.suffix in (".css", ".js", ".wasm") and p.exists():
        first.append(p)
# The loader script imports the app's JS, which fetches the wasm (both already preloaded above).
worker = [dist / n for n in ("worker_loader.js", "worker.js", "worker_bg.wasm") if (dist / n).exists()]

areas = []
for name, files in re.findall(r'<meta name="bitsmith-area-([a-z]+)" content="([^"]+)"', html):
    areas += [(f"area {name}", dist / f.lstrip("/")) for f in files.split()]
if not areas:
    sys.exit("size_report: index.html names no area modules (post_build.py did not run?)")

rows = [("first load", p) for p in dict.fromkeys(first)] + [("engine worker", p) for p in worker] + areas
print(f"{'part':<14} {'file':<46} {'raw':>10} {'gzip':>10}")
totals = {}
for part, p in rows:
    raw, z = p.stat().st_size, gz(p)
    totals[part] = totals.get(part, 0) + z
    print(f"{part:<14} {p.name:<46} {raw:>10,} {z:>10,}")
print()
for part, z in totals.items():
    print(f"{part:<14} total gzip {z / 1000:8.1f} KB")
fl = totals.get("first load", 0)
print(f"budget: first load ≤ {BUDGET / 1000:.0f} KB gzip → {'OK' if fl <= BUDGET else 'OVER'}")
sys.exit(0 if fl <= BUDGET else 1)
