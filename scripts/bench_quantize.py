#!/usr/bin/env python3
"""Quantization speed: `bitsmith quantize --threads 1` (native) and the engine compiled to
WebAssembly in headless Chromium, against llama.cpp's `llama_model_quantize` (nthread=1), on
the same F32 GGUF, in the same run. Prints one table of medians.

Called by scripts/bench_quantize.sh (which builds the release binary, the wasm benchmark and
makes the F32 model).

Native: both sides are timed end to end (read the F32 input, quantize, write the output file),
alternating runs so neither gets a warmer page cache. Besides wall-clock time, each side's CPU
time (user + system) is measured: bitsmith's from the child's rusage, llama.cpp's from this
process's times around the call (it runs in this process, on the calling thread). On a busy
machine the CPU times are the steadier comparison.

Wasm: bench/wasm-quant (the engine's `pipeline::run_job`, simd128) runs in headless Chromium,
reading 16 MiB chunks from the F32 file held in a JavaScript Uint8Array (the browser's stand-in
for the page cache) and writing the output into wasm memory: no file system, so its time has
no disk I/O in it. Timed with `performance.now()` around each run.

speed = llama.cpp time / our time: above 1 means faster than llama.cpp. Output files are
compared too (native byte for byte, wasm by SHA-256 against llama.cpp's file): a speed for a
file that differs from llama.cpp's would mean nothing.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

# (row label, bitsmith args, llama ftype id (include/llama.h), llama pure flag)
ROWS = [
    ("Q8_0", ["Q8_0"], 7, False),
    ("Q4_0", ["Q4_0"], 2, False),
    ("Q4_K", ["Q4_K_S", "--pure"], 14, True),
    ("Q6_K", ["Q6_K"], 18, False),
    ("Q4_K_M", ["Q4_K_M"], 15, False),
]


_QUIET = None


def time_bitsmith(binary: str, src: Path, dst: Path, args: list[str]) -> tuple[float, float]:
    """(wall s, cpu s) of one `bitsmith quantize` run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "quantize", str(src), str(dst), *args, "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"bitsmith quantize {args} failed ({proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime


def time_llama(src: Path, dst: Path, ftype: int, pure: bool) -> tuple[float, float]:
    """(wall s, cpu s) of one `llama_model_quantize` call in this process."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.nthread = 1
    params.ftype = ftype
    params.pure = pure
    c0 = os.times()
    t0 = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    dt = time.perf_counter() - t0
    c1 = os.times()
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize ftype {ftype} failed")
    return dt, (c1.user - c0.user) + (c1.system - c0.system)


def type_mix(path: Path) -> str:
    from gguf import GGUFReader

    c = Counter(t.tensor_type.name for t in GGUFReader(str(path)).tensors if t.tensor_type.name != "F32")
    return " ".join(f"{k}:{v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


def run_wasm(runner: str, src: Path, rows: list[tuple[str, list[str]]], runs: int) -> dict:
    """Runs bench/wasm-quant/run.mjs; returns {label: row result}, plus the browser info."""
    spec = ",".join(f"{label}:{bargs[0]}:{int('--pure' in bargs)}" for label, bargs in rows)
    out = subprocess.run(["node", runner, str(src), spec, str(runs)], check=True,
                         stdout=subprocess.PIPE, text=True)
    res = json.loads(out.stdout)
    return res


def fmt_ratio(ours: float, theirs: float) -> str:
    return f"{theirs / ours:.2f}" if ours > 0 else "-"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitsmith", required=True)
    ap.add_argument("--f32", required=True, help="F32 GGUF to quantize")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rows", default=",".join(r[0] for r in ROWS))
    ap.add_argument("--wasm-runner", help="bench/wasm-quant/run.mjs; omit to skip the wasm column")
    ap.add_argument("--wasm-runs", type=int, help="runs per row in the browser (default: --runs)")
    args = ap.parse_args()

    import llama_cpp

    # Keep a reference: ctypes callbacks must outlive the C side's use of them.
    global _QUIET
    _QUIET = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
    llama_cpp.llama_log_set(_QUIET, ctypes.c_void_p(0))
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    src = Path(args.f32)
    wanted = set(args.rows.split(","))
    rows = [r for r in ROWS if r[0] in wanted]
    results = []
    llama_sha = {}
    for label, bargs, ftype, pure in rows:
        ours, theirs = work / f"bench-bitsmith-{label}.gguf", work / f"bench-llama-{label}.gguf"
        tb, tl = [], []
        for _ in range(args.runs):
            tb.append(time_bitsmith(args.bitsmith, src, ours, bargs))
            tl.append(time_llama(src, theirs, ftype, pure))
        theirs_bytes = theirs.read_bytes()
        same = ours.read_bytes() == theirs_bytes
        llama_sha[label] = hashlib.sha256(theirs_bytes).hexdigest()
        del theirs_bytes
        mix = type_mix(ours)
        ours.unlink()
        theirs.unlink()
        med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
        results.append(dict(label=label, bw=med(tb, 0), bc=med(tb, 1), lw=med(tl, 0), lc=med(tl, 1),
                            same=same, mix=mix))
        print(f"  {label}: bitsmith wall/cpu {[(round(w, 3), round(c, 3)) for w, c in tb]}, "
              f"llama.cpp {[(round(w, 3), round(c, 3)) for w, c in tl]}", file=sys.stderr, flush=True)

    wasm = None
    if args.wasm_runner:
        wasm = run_wasm(args.wasm_runner, src, [(r[0], r[1]) for r in rows], args.wasm_runs or args.runs)
        for r in wasm["rows"]:
            print(f"  {r['label']}: wasm {[round(t, 3) for t in r['times']]}", file=sys.stderr, flush=True)
        wasm_rows = {r["label"]: r for r in wasm["rows"]}

    print(f"F32 input: {src} ({src.stat().st_size / 2**20:.0f} MiB); median of {args.runs} runs; "
          f"1 thread each; speed = llama.cpp time / ours (> 1: faster than llama.cpp)")
    if wasm:
        print(f"wasm: {wasm.get('browser', 'chromium')}, simd128 {wasm['simd128']}, "
              f"median of {args.wasm_runs or args.runs} runs, no file I/O; "
              f"speed vs llama.cpp native (wall)")
    head = (f"{'type':<7} {'llama s':>8} {'ours s':>7} {'speed':>6} {'llama cpu':>9} {'ours cpu':>8} "
            f"{'speed':>6} {'same':<5}")
    if wasm:
        head += f" {'wasm s':>7} {'speed':>6} {'same':<5}"
    print(head + "  output types (non-F32 tensors)")
    for r in results:
        line = (f"{r['label']:<7} {r['lw']:>8.3f} {r['bw']:>7.3f} {fmt_ratio(r['bw'], r['lw']):>6} "
                f"{r['lc']:>9.3f} {r['bc']:>8.3f} {fmt_ratio(r['bc'], r['lc']):>6} {str(r['same']):<5}")
        if wasm:
            w = wasm_rows[r["label"]]
            wt = statistics.median(w["times"])
            line += f" {wt:>7.3f} {fmt_ratio(wt, r['lw']):>6} {str(w['sha256'] == llama_sha[r['label']]):<5}"
        print(line + f"  {r['mix']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
