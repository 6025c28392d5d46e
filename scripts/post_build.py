#!/usr/bin/env python3
"""trunk post_build hook: make the build CSP-clean and offline-ready.

0. Builds the page areas' wasm modules (scripts/build_areas.py) and names them in index.html.
1. Moves trunk's inline module loader out of index.html into a hashed file, so the
   Content-Security-Policy needs no 'unsafe-inline' (and fails the build if any inline script is
   left).
2. Copies the compiled lesson bundles (if the curriculum compiler produced them) into the build.
3. Writes the service worker's precache list and version from the files actually built (trunk
   hashes file names, so the list can never be maintained by hand).
"""
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

staging = Path(os.environ.get("TRUNK_STAGING_DIR", sys.argv[1] if len(sys.argv) > 1 else "dist"))
root = Path(__file__).resolve().parent.parent

index = staging / "index.html"
html = index.read_text(encoding="utf-8")

INLINE = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)


def externalise(m: re.Match) -> str:
    attrs, body = m.group("attrs"), m.group("body")
    if "src=" in attrs or not body.strip():
        return m.group(0)
    name = "boot-" + hashlib.sha256(body.encode()).hexdigest()[:16] + ".js"
    (staging / name).write_text(body, encoding="utf-8")
    attrs = re.sub(r'\s(nonce|integrity)="[^"]*"', "", attrs)
    return f'<script{attrs} src="/{name}"></script>'


# The page areas (app/src/ui/area.rs): built here (trunk builds one main-thread app) and
# named in a meta tag each; the shell imports them when one of their routes is first shown.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_areas  # noqa: E402

areas = build_areas.build(staging)
meta = "".join(f'\n  <meta name="bitsmith-area-{n}" content="/{js} /{wasm}">' for n, (js, wasm) in sorted(areas.items()))
html = html.replace("</head>", meta + "\n</head>", 1)

html = INLINE.sub(externalise, html)
left = [m for m in INLINE.finditer(html) if "src=" not in m.group("attrs") and m.group("body").strip()]
if left:
    sys.exit("post_build: inline <script> left in index.html (CSP forbids it)")
index.write_text(html, encoding="utf-8")

# Non-English messages: one file per locale, fetched when chosen (English is compiled in).
locales = root / "app" / "locales"
(staging / "locales").mkdir(exist_ok=True)
for folder in sorted(p for p in locales.iterdir() if p.is_dir() and p.name != "en"):
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.ftl")))
    (staging / "locales" / f"{folder.name}.ftl").write_text(text, encoding="utf-8")

# Lesson bundles compiled by `bitsmith-curriculum` (scripts/build_content.sh) go in as they are.
bundles = root / "target" / "content-bundles"
if bundles.is_dir():
    shutil.copytree(bundles, staging / "content", dirs_exist_ok=True)

# Precache everything the app needs offline: the shell, its wasm and js, the engine worker,
# styles, icons, the manifest and the lesson bundles. Not the service worker itself.
# Never models/ (scripts/demo_model.sh puts a model there): the workbench stores models in
# IndexedDB when the user opens one, and a 100 MB precache would block every install.
files = sorted(
    "/" + p.relative_to(staging).as_posix()
    for p in staging.rglob("*")
    if p.is_file() and p.name != "sw.js" and p.relative_to(staging).parts[0] != "models"
)
digest = hashlib.sha256()
for f in files:
    digest.update(f.encode())
    digest.update((staging / f[1:]).read_bytes())
version = digest.hexdigest()[:16]

sw = staging / "sw.js"
text = sw.read_text(encoding="utf-8")
if "__BITSMITH_PRECACHE__" not in text:
    sys.exit("post_build: sw.js has no precache placeholder")
text = text.replace("__BITSMITH_VERSION__", version).replace("__BITSMITH_PRECACHE__", json.dumps(files, indent=1))
sw.write_text(text, encoding="utf-8")
(staging / "build-info.json").write_text(json.dumps({"version": version, "files": len(files)}), encoding="utf-8")
print(f"post_build: version {version}, {len(files)} files precached")
