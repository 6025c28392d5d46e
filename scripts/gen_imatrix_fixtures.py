#!/usr/bin/env python3
"""Writes imatrix fixtures under engine/tests/fixtures/gguf/imatrix/ the way llama-imatrix does,
with llama.cpp's own code where possible:

* `small.imatrix.gguf`: written by ggml's gguf writer (libggml-base.so from the
  llama-cpp-python wheel, called through ctypes) following `IMatrixCollector::save_imatrix` in
  tools/imatrix/imatrix.cpp step by step: gguf_init_empty, general.type, imatrix.datasets,
  imatrix.chunk_count, imatrix.chunk_size, then per entry (sorted by name) a 2-D F32
  `<name>.in_sum2` (ne0 x n_mat) and `<name>.counts` (1 x n_mat), gguf_write_to_file.
* `small.imatrix.dat`: the legacy format, packed here as `save_imatrix_legacy` writes it (a plain
  layout of i32/f32 fields; there is no library function for it).
* `expected.json`: the per-tensor importance llama-quantize's `load_imatrix` derives from each
  file (mean of x^2 per column; 1 for experts with a zero count; legacy values / ncall).

Needs: numpy, llama-cpp-python installed (for libggml-base.so). Deterministic (seeded).
"""

from __future__ import annotations

import ctypes
import json
import struct
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "engine" / "tests" / "fixtures" / "gguf" / "imatrix"


def libggml() -> ctypes.CDLL:
    import llama_cpp  # noqa: F401  (locates the shared libraries)
    lib = Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"
    return ctypes.CDLL(str(lib))


class GgmlInitParams(ctypes.Structure):
    _fields_ = [("mem_size", ctypes.c_size_t), ("mem_buffer", ctypes.c_void_p), ("no_alloc", ctypes.c_bool)]


GGML_TYPE_F32 = 0
CHUNK_SIZE = 512
CHUNK_COUNT = 3
DATASETS = ["calibration.txt"]


def stats(rng) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (sums of x^2 as float32 [n_mat, ne0], counts as int64 [n_mat])."""
    out = {}
    for name, ne0, nmat in [("blk.0.attn_q.weight", 64, 1), ("blk.0.ffn_down.weight", 128, 1),
                            ("output.weight", 64, 1), ("blk.1.ffn_up_exps.weight", 32, 4)]:
        counts = np.full(nmat, CHUNK_SIZE * CHUNK_COUNT, dtype=np.int64)
        if nmat > 1:
            counts[2] = 0          # an expert never routed to
            counts[3] = 700        # a partially used one
        sums = (rng.random((nmat, ne0)) * 5).astype(np.float32) * counts[:, None].astype(np.float32)
        sums[counts == 0] = 0
        out[name] = (sums, counts)
    return out


def write_gguf(path: Path, st):
    g = libggml()
    g.ggml_init.restype = ctypes.c_void_p
    g.ggml_init.argtypes = [GgmlInitParams]
    g.ggml_new_tensor_2d.restype = ctypes.c_void_p
    g.ggml_new_tensor_2d.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    g.ggml_set_name.restype = ctypes.c_void_p
    g.ggml_set_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    g.ggml_get_data_f32.restype = ctypes.POINTER(ctypes.c_float)
    g.ggml_get_data_f32.argtypes = [ctypes.c_void_p]
    g.gguf_init_empty.restype = ctypes.c_void_p
    g.gguf_set_val_str.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    g.gguf_set_val_u32.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
    g.gguf_set_arr_str.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t]
    g.gguf_add_tensor.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    g.gguf_write_to_file.restype = ctypes.c_bool
    g.gguf_write_to_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_bool]
    g.gguf_free.argtypes = [ctypes.c_void_p]
    g.ggml_free.argtypes = [ctypes.c_void_p]

    ctx = g.ggml_init(GgmlInitParams(16 << 20, None, False))
    gg = g.gguf_init_empty()
    g.gguf_set_val_str(gg, b"general.type", b"imatrix")
    arr = (ctypes.c_char_p * len(DATASETS))(*[d.encode() for d in DATASETS])
    g.gguf_set_arr_str(gg, b"imatrix.datasets", arr, len(DATASETS))
    g.gguf_set_val_u32(gg, b"imatrix.chunk_count", CHUNK_COUNT)
    g.gguf_set_val_u32(gg, b"imatrix.chunk_size", CHUNK_SIZE)
    for name in sorted(st):
        sums, counts = st[name]
        nmat, ne0 = sums.shape
        t_sum = g.ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ne0, nmat)
        t_cnt = g.ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, nmat)
        g.ggml_set_name(t_sum, f"{name}.in_sum2".encode())
        g.ggml_set_name(t_cnt, f"{name}.counts".encode())
        ps, pc = g.ggml_get_data_f32(t_sum), g.ggml_get_data_f32(t_cnt)
        for j, v in enumerate(sums.reshape(-1)):
            ps[j] = float(v)
        for j, c in enumerate(counts):
            pc[j] = float(c)
        g.gguf_add_tensor(gg, t_sum)
        g.gguf_add_tensor(gg, t_cnt)
    assert g.gguf_write_to_file(gg, str(path).encode(), False)
    g.gguf_free(gg)
    g.ggml_free(ctx)


def write_legacy(path: Path, st):
    """save_imatrix_legacy: ncall = ceil(max count / chunk size); value = (sum/count) * ncall
    (count 0 -> value 1, count 1); entries with all counts zero skipped; then the chunk count and
    the dataset name."""
    out = bytearray()
    names = [n for n in sorted(st) if (st[n][1] != 0).any()]
    out += struct.pack("<i", len(names))
    for name in names:
        sums, counts = st[name]
        ncall = int((counts.max() + CHUNK_SIZE - 1) // CHUNK_SIZE)
        flat = sums.reshape(-1)
        nmat = len(counts)
        per = len(flat) // nmat
        vals = np.empty(len(flat), dtype=np.float32)
        for i in range(len(flat)):
            count = np.float32(counts[i // per])
            value = np.float32(flat[i])
            if count == 0:
                value, count = np.float32(1), np.float32(1)
            vals[i] = np.float32(value / count) * np.float32(ncall)
        out += struct.pack("<i", len(name)) + name.encode() + struct.pack("<ii", ncall, len(flat)) + vals.tobytes()
    out += struct.pack("<i", CHUNK_COUNT)
    out += struct.pack("<i", len(DATASETS[-1])) + DATASETS[-1].encode()
    path.write_bytes(bytes(out))


def importance(st) -> dict:
    """llama-quantize load_imatrix, GGUF branch: per matrix sums / count, or 1 when count is 0."""
    res = {}
    for name, (sums, counts) in st.items():
        e = []
        for j in range(len(counts)):
            c = np.float32(counts[j])
            e += [float(np.float32(x) / c) if c > 0 else 1.0 for x in sums[j]]
        res[name] = e
    return res


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    st = stats(np.random.default_rng(7))
    write_gguf(OUT / "small.imatrix.gguf", st)
    write_legacy(OUT / "small.imatrix.dat", st)
    exp = {"chunk_count": CHUNK_COUNT, "chunk_size": CHUNK_SIZE, "datasets": DATASETS, "importance": importance(st)}
    (OUT / "expected.json").write_text(json.dumps(exp, indent=0, sort_keys=True) + "\n")
    for p in sorted(OUT.iterdir()):
        print(p.name, p.stat().st_size)


if __name__ == "__main__":
    main()
