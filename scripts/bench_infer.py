#!/usr/bin/env python3
"""Inference speed benchmark: bitsmith (native, 1 thread) vs llama.cpp (llama-cpp-python,
n_threads = n_threads_batch = 1) on the same GGUF files, plus the machine's single-thread memory
bandwidth and the decode roofline it implies.

Not a test: numbers depend on the machine and on whatever else runs on it. Run through
scripts/bench_infer.sh, which prepares the models and builds the CLI.

For each model (SmolLM2-135M-Instruct Q4_1 as shipped, Q8_0, Q4_K_M):
  * prompt processing (pp): one batch of a ~128-token prompt, tokens per second;
  * decode (tg): 64 tokens one at a time after the prompt, tokens per second (bitsmith samples
    greedily; llama.cpp is fed tokens without sampling, which costs it nothing);
  * both in wall-clock time and in CPU time of the computing thread (bitsmith reads
    /proc/thread-self/schedstat, Python time.thread_time()): on a shared, loaded machine the
    CPU-time figures are the comparable ones; each is the best of REPS runs.
Memory bandwidth: a single-threaded streaming read (numpy XOR-reduce over a 512 MiB buffer,
best of several). Roofline decode bound = bandwidth / bytes of weights read per token (every
matrix once; the embedding contributes one row), as reported by `bitsmith generate --json`.

Usage: scripts/bench_infer.py [--reps N] [--json]   (BITSMITH_BIN points at the CLI)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("BITSMITH_MODELS", Path.home() / ".cache" / "bitsmith" / "models"))
VARIANTS = ["Q4_1", "Q8_0", "Q4_K_M"]
TEXT = (ROOT / "engine" / "tests" / "fixtures" / "infer" / "ppl_text.txt").read_text()
PROMPT = TEXT[:560]  # ~128 tokens with SmolLM2's tokenizer
N_GEN = 64


def bandwidth(reps: int = 5) -> tuple[float, float]:
    """Single-thread streaming read bandwidth in bytes/s: (wall, cpu)."""
    buf = np.frombuffer(np.ones(512 * 1024 * 1024, dtype=np.uint8), dtype=np.uint64)
    np.bitwise_xor.reduce(buf)
    best_w = best_c = 0.0
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        np.bitwise_xor.reduce(buf)
        t1, c1 = time.perf_counter(), time.thread_time()
        best_w = max(best_w, buf.nbytes / (t1 - t0))
        best_c = max(best_c, buf.nbytes / max(c1 - c0, 1e-9))
    return best_w, best_c


def bench_bitsmith(binary: str, model: Path, reps: int) -> dict:
    best: dict = {}
    for _ in range(reps):
        out = subprocess.run(
            [binary, "generate", str(model), "-p", PROMPT, "-n", str(N_GEN), "--temp", "0",
             "--ignore-eos", "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
        d = json.loads(out)
        for key, src in [("pp", "prompt_tokens_per_second"), ("tg", "generation_tokens_per_second"),
                         ("pp_cpu", "prompt_tokens_per_cpu_second"),
                         ("tg_cpu", "generation_tokens_per_cpu_second")]:
            best[key] = max(best.get(key, 0.0), d[src])
        best["n_prompt"] = len(d["prompt_tokens"])
        best["bytes_per_token"] = d["weight_bytes_per_token"]
        best["file_bytes"] = d["file_bytes"]
        best["backend"] = d["backend"]
    return best


def bench_llama(model: Path, reps: int) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model), n_ctx=512, n_batch=512, n_ubatch=512, n_threads=1,
                n_threads_batch=1, flash_attn=False, verbose=False)
    prompt = llm.tokenize(PROMPT.encode(), add_bos=True, special=True)
    feed = llm.tokenize(TEXT[600:1200].encode(), add_bos=False)[:N_GEN]
    best: dict = {"n_prompt": len(prompt)}
    for _ in range(reps):
        llm.reset()
        t0, c0 = time.perf_counter(), time.thread_time()
        llm.eval(prompt)
        t1, c1 = time.perf_counter(), time.thread_time()
        for tok in feed:
            llm.eval([tok])
        t2, c2 = time.perf_counter(), time.thread_time()
        for key, v in [("pp", len(prompt) / (t1 - t0)), ("pp_cpu", len(prompt) / max(c1 - c0, 1e-9)),
                       ("tg", len(feed) / (t2 - t1)), ("tg_cpu", len(feed) / max(c2 - c1, 1e-9))]:
            best[key] = max(best.get(key, 0.0), v)
    del llm
    return best


def bench_browser(runner: str, model: Path, reps: int) -> dict:
    """The engine (wasm) and wllama in headless Chromium on the same file (bench/wasm-infer)."""
    out = subprocess.run(["node", runner, str(model), str(N_GEN), str(reps)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"browser benchmark failed on {model.name}:\n{out.stderr[-2000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])

    def side(runs):
        return {"pp": statistics.median(r["prompt_per_second"] for r in runs),
                "tg": statistics.median(r["predicted_per_second"] for r in runs),
                "n_prompt": runs[0]["prompt_tokens"]}

    return {"engine": side(res["runs"]), "wllama": side(res["wllama_runs"]),
            "backend": res["backend"], "browser": res["browser"], "n": res["n"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--browser-runner", help="bench/wasm-infer/run.mjs: also time the engine "
                    "in headless Chromium against wllama")
    args = ap.parse_args()
    binary = os.environ.get("BITSMITH_BIN", str(ROOT / "target" / "release" / "bitsmith"))
    bw_wall, bw_cpu = bandwidth()
    rows = []
    for v in VARIANTS:
        model = MODELS / f"SmolLM2-135M-Instruct.{v}.gguf"
        if not model.exists():
            print(f"missing {model}: run scripts/prepare_infer_models.sh", file=sys.stderr)
            return 1
        b = bench_bitsmith(binary, model, args.reps)
        l = bench_llama(model, args.reps)
        roof_cpu = bw_cpu / b["bytes_per_token"]
        row = {"model": v, "bitsmith": b, "llama_cpp": l, "roofline_tok_s": roof_cpu}
        if args.browser_runner:
            row["browser"] = bench_browser(args.browser_runner, model, args.reps)
        rows.append(row)
    load = os.getloadavg()
    report = {
        "cpu": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                     if ln.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "load_average": load,
        "bandwidth_wall_gb_s": bw_wall / 1e9,
        "bandwidth_cpu_gb_s": bw_cpu / 1e9,
        "models": rows,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"CPU: {report['cpu']}, {report['cores']} cores, load average {load[0]:.1f}")
    print(f"single-thread read bandwidth: {bw_cpu / 1e9:.1f} GB/s per CPU second "
          f"({bw_wall / 1e9:.1f} GB/s wall clock)")
    print()
    print("tokens/s, 1 thread; CPU-time figures first, wall-clock in brackets")
    print("| model | weights/token | pp bitsmith | pp llama.cpp | tg bitsmith | tg llama.cpp "
          "| tg roofline | bitsmith tg / roofline |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        b, l = r["bitsmith"], r["llama_cpp"]
        print(f"| {r['model']} | {b['bytes_per_token'] / 1e6:.1f} MB "
              f"| {b['pp_cpu']:.0f} ({b['pp']:.0f}) | {l['pp_cpu']:.0f} ({l['pp']:.0f}) "
              f"| {b['tg_cpu']:.1f} ({b['tg']:.1f}) | {l['tg_cpu']:.1f} ({l['tg']:.1f}) "
              f"| {r['roofline_tok_s']:.0f} | {100 * b['tg_cpu'] / r['roofline_tok_s']:.0f}% |")
    if args.browser_runner:
        br = rows[0]["browser"]
        print()
        print(f"In headless Chromium {br['browser']}, one thread, CPU (engine: wasm "
              f"{br['backend']}; wllama: its single-thread build, n_gpu_layers 0), medians of "
              f"{args.reps} alternating runs, tokens/s:")
        print("| model | pp engine | pp wllama | pp ratio | tg engine | tg wllama | tg ratio |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            e, w = r["browser"]["engine"], r["browser"]["wllama"]
            print(f"| {r['model']} | {e['pp']:.0f} | {w['pp']:.0f} | {e['pp'] / w['pp']:.2f}x "
                  f"| {e['tg']:.1f} | {w['tg']:.1f} | {e['tg'] / w['tg']:.2f}x |")
        print(f"(prompt {br['engine']['n_prompt']} tokens, wllama {br['wllama']['n_prompt']}; "
              f"{br['n']} generated; ratio = engine / wllama, above 1 is faster)")
    print(f"\nbitsmith kernels: {rows[0]['bitsmith']['backend']}; "
          f"prompt {rows[0]['bitsmith']['n_prompt']} tokens (llama.cpp "
          f"{rows[0]['llama_cpp']['n_prompt']}), {N_GEN} generated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
