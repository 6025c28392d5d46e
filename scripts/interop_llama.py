#!/usr/bin/env python3
"""Interop proof: Bitsmith's quantizer against llama.cpp's, on a real model.

Steps (all files under --workdir, reused across runs only if --keep is given):
  1. `bitsmith dequantize MODEL f32.gguf f32`                  (MODEL: SmolLM2 Q4_1 GGUF)
  2. for each TYPE: `bitsmith quantize f32.gguf bitsmith-TYPE.gguf TYPE --threads N`
     and llama.cpp's `llama_model_quantize(f32.gguf, llama-TYPE.gguf, ftype, nthread=1)`
     (through llama-cpp-python 0.3.36's ctypes binding, i.e. the real libllama.so);
  3. compare the two GGUFs: metadata (keys, order, values), tensor order, names, shapes, types,
     and tensor data byte for byte (plus whole-file equality);
  4. load Bitsmith's file with `llama_cpp.Llama` and greedily generate a few tokens (and the same
     with llama.cpp's file: with identical data the texts must match);
  5. Q4_K_M with a synthetic importance matrix (legacy .dat for bitsmith --imatrix, the same
     values through llama_model_quantize_params.imatrix): tensor types and data compared;
  6. `bitsmith quantize f32.gguf Q4_1` and compare its tensor data with the shipped Q4_1 file.

Prints a JSON report on stdout (human notes on stderr) and exits 1 if any check failed,
2 if a prerequisite (llama_cpp, gguf, the model, the binary) is missing.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# llama_ftype ids from llama.cpp's include/llama.h.
FTYPES = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10,
    "Q3_K_S": 11, "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16,
    "Q5_K_M": 17, "Q6_K": 18, "IQ4_NL": 25, "IQ4_XS": 30, "BF16": 32, "TQ1_0": 36, "TQ2_0": 37,
}


def note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def llama_quantize(src: Path, dst: Path, preset: str, nthread: int = 1, imatrix: dict | None = None) -> float:
    """Runs llama.cpp's llama_model_quantize; returns seconds. `imatrix`: name -> list of floats."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.nthread = nthread
    params.ftype = FTYPES[preset]
    keep = []  # ctypes buffers must outlive the call
    if imatrix:
        entries = (llama_cpp.llama_model_imatrix_data * (len(imatrix) + 1))()
        for i, (name, values) in enumerate(sorted(imatrix.items())):
            buf = (ctypes.c_float * len(values))(*values)
            keep.append(buf)
            entries[i].name = name.encode()
            entries[i].data = ctypes.cast(buf, ctypes.POINTER(ctypes.c_float))
            entries[i].size = len(values)
        entries[len(imatrix)].name = None
        keep.append(entries)
        params.imatrix = entries
    t0 = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    dt = time.perf_counter() - t0
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({preset}) returned {rc}")
    return dt


def run_bitsmith(binary: str, *args: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"bitsmith {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return dt


def field_value(f):
    """A comparable Python value for a GGUFReader field."""
    try:
        v = f.contents()
    except Exception:  # older gguf-py
        v = [bytes(p).hex() for p in f.parts]
    return [int(t) for t in f.types], v


def read(path: Path):
    from gguf import GGUFReader

    return GGUFReader(str(path))


def compare_files(ours: Path, theirs: Path) -> dict:
    """Compares two GGUF files; returns a report dict with 'ok'."""
    import numpy as np

    a, b = read(ours), read(theirs)
    rep: dict = {"ours": str(ours), "llama_cpp": str(theirs)}
    ka = [k for k in a.fields if not k.startswith("GGUF.")]
    kb = [k for k in b.fields if not k.startswith("GGUF.")]
    rep["metadata_keys_equal"] = ka == kb
    diff_vals = [k for k in ka if k in b.fields and field_value(a.fields[k]) != field_value(b.fields[k])]
    rep["metadata_values_differing"] = diff_vals
    na = [t.name for t in a.tensors]
    nb = [t.name for t in b.tensors]
    rep["tensor_order_equal"] = na == nb
    rep["n_tensors"] = len(na)
    types_a = {t.name: t.tensor_type.name for t in a.tensors}
    types_b = {t.name: t.tensor_type.name for t in b.tensors}
    type_diff = {n: [types_a[n], types_b.get(n)] for n in types_a if types_a[n] != types_b.get(n)}
    rep["type_mismatches"] = type_diff
    shape_diff = [
        t.name for t in a.tensors
        if t.name in types_b and list(t.shape) != list(next(x for x in b.tensors if x.name == t.name).shape)
    ]
    rep["shape_mismatches"] = shape_diff
    by_b = {t.name: t for t in b.tensors}
    data_diff = {}
    for t in a.tensors:
        u = by_b.get(t.name)
        if u is None or t.tensor_type != u.tensor_type:
            continue
        da = np.asarray(t.data).view(np.uint8).reshape(-1)
        db = np.asarray(u.data).view(np.uint8).reshape(-1)
        if da.shape != db.shape or not np.array_equal(da, db):
            nbytes = int((da != db).sum()) if da.shape == db.shape else -1
            data_diff[t.name] = {"type": t.tensor_type.name, "bytes_differing": nbytes, "bytes": int(da.size)}
    rep["data_mismatches"] = data_diff
    from collections import Counter

    rep["types"] = dict(Counter(types_a.values()))
    rep["files_identical"] = ours.read_bytes() == theirs.read_bytes()
    rep["ok"] = (
        rep["metadata_keys_equal"] and not diff_vals and rep["tensor_order_equal"]
        and not type_diff and not shape_diff and not data_diff
    )
    return rep


def synthetic_imatrix(f32: Path) -> dict:
    """Deterministic positive importance weights for every 2-D weight but token_embd (which
    llama.cpp quantizes without an imatrix anyway), like an imatrix of SmolLM2 would hold."""
    import numpy as np

    rng = np.random.default_rng(1234)
    out = {}
    for t in read(f32).tensors:
        if len(t.shape) >= 2 and t.name.endswith(".weight") and t.name != "token_embd.weight":
            out[t.name] = [float(x) for x in rng.gamma(2.0, 0.5, int(t.shape[0])).astype(np.float32)]
    return out


def write_legacy_imatrix(path: Path, imatrix: dict, dataset: str = "synthetic") -> None:
    """llama-imatrix's legacy .dat layout (tools/imatrix/imatrix.cpp, save_imatrix_legacy) with
    ncall = 1, so the importance llama-quantize derives (value / ncall) is the value itself."""
    import struct

    with open(path, "wb") as f:
        f.write(struct.pack("<i", len(imatrix)))
        for name, values in sorted(imatrix.items()):
            b = name.encode()
            f.write(struct.pack("<i", len(b)) + b)
            f.write(struct.pack("<ii", 1, len(values)))
            f.write(struct.pack(f"<{len(values)}f", *values))
        d = dataset.encode()
        f.write(struct.pack("<ii", 1, len(d)) + d)


def compare_data_only(ours: Path, reference: Path) -> dict:
    """Tensor data equality by name (for the Q4_1 round trip; orders/metadata may differ)."""
    import numpy as np

    a, b = read(ours), read(reference)
    by_b = {t.name: t for t in b.tensors}
    mismatched, type_diff = {}, {}
    for t in a.tensors:
        u = by_b[t.name]
        if t.tensor_type != u.tensor_type:
            type_diff[t.name] = [t.tensor_type.name, u.tensor_type.name]
            continue
        da = np.asarray(t.data).view(np.uint8).reshape(-1)
        db = np.asarray(u.data).view(np.uint8).reshape(-1)
        if not np.array_equal(da, db):
            mismatched[t.name] = int((da != db).sum())
    return {
        "ok": not mismatched and not type_diff and len(a.tensors) == len(b.tensors),
        "n_tensors": len(a.tensors),
        "type_mismatches": type_diff,
        "data_mismatches": mismatched,
    }


def generate(path: Path, prompt: str, n: int) -> str:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, n_threads=2, seed=0, verbose=False)
    out = llm(prompt, max_tokens=n, temperature=0.0, top_k=1)
    text = out["choices"][0]["text"]
    del llm
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bitsmith", required=True, help="path of the bitsmith binary")
    ap.add_argument("--model", required=True, help="SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--types", default="Q8_0,Q4_K_M,Q2_K")
    ap.add_argument("--threads", type=int, default=2, help="bitsmith --threads")
    ap.add_argument("--prompt", default="The capital of France is")
    ap.add_argument("--tokens", type=int, default=8)
    args = ap.parse_args()

    try:
        import gguf  # noqa: F401
        import llama_cpp  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        note(f"interop: missing python package: {e}")
        return 2
    model = Path(args.model)
    if not model.is_file() or not Path(args.bitsmith).is_file():
        note("interop: model or bitsmith binary missing")
        return 2
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    f32 = work / "f32.gguf"
    report: dict = {"model": str(model), "types": {}, "ok": True}

    note(f"interop: dequantize {model.name} -> F32")
    run_bitsmith(args.bitsmith, "dequantize", str(model), str(f32), "f32")

    for preset in [t.strip() for t in args.types.split(",") if t.strip()]:
        ours = work / f"bitsmith-{preset}.gguf"
        theirs = work / f"llama-{preset}.gguf"
        note(f"interop: {preset}: bitsmith quantize")
        t_ours = run_bitsmith(args.bitsmith, "quantize", str(f32), str(ours), preset,
                              "--threads", str(args.threads))
        note(f"interop: {preset}: llama_model_quantize")
        t_theirs = llama_quantize(f32, theirs, preset, 1)
        rep = compare_files(ours, theirs)
        rep["seconds_bitsmith"] = round(t_ours, 3)
        rep["seconds_llama_cpp"] = round(t_theirs, 3)
        note(f"interop: {preset}: generating with llama.cpp from both files")
        rep["text_bitsmith"] = generate(ours, args.prompt, args.tokens)
        rep["text_llama_cpp"] = generate(theirs, args.prompt, args.tokens)
        rep["loads_and_generates"] = len(rep["text_bitsmith"]) > 0
        rep["same_text"] = rep["text_bitsmith"] == rep["text_llama_cpp"]
        rep["ok"] = rep["ok"] and rep["loads_and_generates"] and rep["same_text"]
        report["types"][preset] = rep
        report["ok"] &= rep["ok"]
        note(f"interop: {preset}: {'OK' if rep['ok'] else 'MISMATCH'}"
             f" (types {rep['types']}, data mismatches {len(rep['data_mismatches'])},"
             f" files identical {rep['files_identical']}, text {rep['text_bitsmith']!r})")
        for p in (ours, theirs):
            p.unlink(missing_ok=True)

    note("interop: Q4_K_M with an importance matrix")
    im = synthetic_imatrix(f32)
    im_path = work / "synthetic.imatrix.dat"
    write_legacy_imatrix(im_path, im)
    ours, theirs = work / "bitsmith-imatrix.gguf", work / "llama-imatrix.gguf"
    run_bitsmith(args.bitsmith, "quantize", str(f32), str(ours), "Q4_K_M", "--imatrix", str(im_path),
                 "--threads", str(args.threads))
    llama_quantize(f32, theirs, "Q4_K_M", 1, im)
    rep = compare_data_only(ours, theirs)
    # llama-quantize (the CLI) records quantize.imatrix.* keys; the library call does not.
    keys = [k for k in read(ours).fields if k.startswith("quantize.imatrix.")]
    rep["imatrix_keys"] = keys
    rep["ok"] = rep["ok"] and keys == [
        "quantize.imatrix.file", "quantize.imatrix.dataset", "quantize.imatrix.entries_count",
        "quantize.imatrix.chunks_count"]
    plain = work / "bitsmith-plain.gguf"
    run_bitsmith(args.bitsmith, "quantize", str(f32), str(plain), "Q4_K_M", "--threads", str(args.threads))
    rep["imatrix_changes_output"] = not compare_data_only(ours, plain)["ok"]
    rep["ok"] = rep["ok"] and rep["imatrix_changes_output"]
    report["imatrix_q4_k_m"] = rep
    report["ok"] &= rep["ok"]
    note(f"interop: imatrix Q4_K_M: {'OK' if rep['ok'] else 'MISMATCH'}")
    for p in (ours, theirs, plain, im_path):
        p.unlink(missing_ok=True)

    note("interop: F32 -> Q4_1 round trip vs the shipped Q4_1 file")
    q41 = work / "bitsmith-Q4_1.gguf"
    run_bitsmith(args.bitsmith, "quantize", str(f32), str(q41), "Q4_1", "--threads", str(args.threads))
    report["q4_1_round_trip"] = compare_data_only(q41, model)
    report["ok"] &= report["q4_1_round_trip"]["ok"]
    note(f"interop: Q4_1 round trip: {'OK' if report['q4_1_round_trip']['ok'] else 'MISMATCH'}")
    q41.unlink(missing_ok=True)
    f32.unlink(missing_ok=True)

    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
