#!/usr/bin/env python3
"""Quantization speed: `bitsmith quantize --threads 1` vs llama.cpp's `llama_model_quantize`
(nthread=1), on the same F32 GGUF, in the same run. Prints one table of medians.

Called by scripts/bench_quantize.sh (which builds the release binary and makes the F32 model).
Both sides are timed end to end (read F32 input, quantize, write the output file), alternating
runs so neither gets a warmer page cache. Output files are compared too: a speed number for a
file that differs from llama.cpp's would mean nothing.
"""

from __future__ import annotations

import argparse
import ctypes
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


def time_bitsmith(binary: str, src: Path, dst: Path, args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([binary, "quantize", str(src), str(dst), *args, "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def time_llama(src: Path, dst: Path, ftype: int, pure: bool) -> float:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.nthread = 1
    params.ftype = ftype
    params.pure = pure
    t0 = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    dt = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize ftype {ftype} failed")
    return dt


def type_mix(path: Path) -> str:
    from gguf import GGUFReader

    c = Counter(t.tensor_type.name for t in GGUFReader(str(path)).tensors if t.tensor_type.name != "F32")
    return " ".join(f"{k}:{v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitsmith", required=True)
    ap.add_argument("--f32", required=True, help="F32 GGUF to quantize")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", default=",".join(r[0] for r in ROWS))
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
    results = []
    for label, bargs, ftype, pure in ROWS:
        if label not in wanted:
            continue
        ours, theirs = work / f"bench-bitsmith-{label}.gguf", work / f"bench-llama-{label}.gguf"
        tb, tl = [], []
        for _ in range(args.runs):
            tb.append(time_bitsmith(args.bitsmith, src, ours, bargs))
            tl.append(time_llama(src, theirs, ftype, pure))
        same = ours.read_bytes() == theirs.read_bytes()
        mix = type_mix(ours)
        ours.unlink()
        theirs.unlink()
        mb, ml = statistics.median(tb), statistics.median(tl)
        results.append((label, mb, ml, mb / ml, same, mix))
        print(f"  {label}: bitsmith {tb}, llama.cpp {tl}", file=sys.stderr, flush=True)

    print(f"F32 input: {src} ({src.stat().st_size / 2**20:.0f} MiB); median of {args.runs} runs; 1 thread each")
    print(f"{'type':<8} {'bitsmith s':>10} {'llama.cpp s':>11} {'ratio':>6}  {'identical':<9}  output types (non-F32 tensors)")
    for label, mb, ml, r, same, mix in results:
        print(f"{label:<8} {mb:>10.3f} {ml:>11.3f} {r:>6.2f}  {str(same):<9}  {mix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
