#!/usr/bin/env python3
"""Builds the page areas' wasm modules (app/src/bin/area_*.rs) into trunk's staging folder.

trunk builds one main-thread app per page, so the areas (Learn, Workbench, Planner), which the
shell loads on demand (app/src/ui/area.rs), are built here, from the post_build hook, the way
trunk builds the shell: `cargo build --release` for wasm32, `wasm-bindgen --target web`,
`wasm-opt -Oz`, then a content hash in the file names (the service worker caches by name).
Returns {area: (js, wasm)} file names for the `bitsmith-area-<name>` meta tags."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

AREAS = ("learn", "workbench", "planner")
root = Path(__file__).resolve().parent.parent


def run(cmd):
    r = subprocess.run(cmd, cwd=root)
    if r.returncode != 0:
        sys.exit(f"build_areas: {' '.join(map(str, cmd))} failed ({r.returncode})")


def target_dir() -> Path:
    meta = subprocess.run(["cargo", "metadata", "--format-version=1", "--no-deps", "--offline"],
                          cwd=root, capture_output=True, text=True, check=True)
    return Path(json.loads(meta.stdout)["target_directory"])


def build(staging: Path) -> dict:
    bins = [a for name in AREAS for a in ("--bin", f"area-{name}")]
    run(["cargo", "build", "--release", "--offline", "--target", "wasm32-unknown-unknown",
         "-p", "bitsmith-app", *bins])
    out = target_dir() / "wasm32-unknown-unknown" / "release"
    built = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in AREAS:
            stem = f"area-{name}"
            run(["wasm-bindgen", "--target=web", "--no-typescript", f"--out-dir={tmp}",
                 f"--out-name={stem}", out / f"{stem}.wasm"])
            run(["wasm-opt", f"--output={tmp / (stem + '_opt.wasm')}", "-Oz", tmp / f"{stem}_bg.wasm"])
            js = (tmp / f"{stem}.js").read_bytes()
            wasm = (tmp / f"{stem}_opt.wasm").read_bytes()
            h = hashlib.sha256(js + wasm).hexdigest()[:16]
            js_name, wasm_name = f"{stem}-{h}.js", f"{stem}-{h}_bg.wasm"
            (staging / js_name).write_bytes(js)
            (staging / wasm_name).write_bytes(wasm)
            # wasm-bindgen puts local JS snippets beside the glue; the glue imports them by path.
            if (tmp / "snippets").is_dir():
                shutil.copytree(tmp / "snippets", staging / "snippets", dirs_exist_ok=True)
            built[name] = (js_name, wasm_name)
    return built


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
