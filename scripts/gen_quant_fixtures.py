#!/usr/bin/env python3
"""Generate the byte-exact quantization fixtures in engine/tests/fixtures/quant/.

The reference is llama.cpp itself: the shared library libggml-base.so shipped in the
llama-cpp-python wheel, called through ctypes:

  * `ggml_quantize_chunk(type, src, dst, 0, nrows, n_per_row, imatrix)` - the function
    llama-quantize uses - for every type Bitsmith can quantize to (quant::QUANTIZABLE in
    engine/src/quant/mod.rs), with and without an importance matrix;
  * `ggml_get_type_traits(type)->from_float_ref` for Q8_K and Q8_1, which ggml_quantize_chunk
    does not accept (they are activation formats);
  * `ggml_get_type_traits(type)->to_float` for ggml's own dequantization of those bytes.

Re-runnable and deterministic: inputs come from numpy's PCG64 with fixed seeds.

Usage:
    pip install numpy
    pip install --no-index --find-links ~/.cache/bitsmith/wheels llama-cpp-python
    python3 scripts/gen_quant_fixtures.py [--out engine/tests/fixtures/quant]

Files written (all little-endian, rows of N_PER_ROW = 512 values):
    input.f32              the input rows (f32)
    special.f32            rows with NaN / inf / huge values (f32), only for the float types
                           and the legacy/ternary/IQ4 types whose NaN handling Bitsmith mirrors
    imatrix.f32            one importance weight per column (512 f32)
    <T>.bin                ggml's quantized bytes of input.f32 without imatrix
    <T>.deq.f32            ggml's dequantization of <T>.bin
    <T>.imatrix.bin        same with imatrix.f32 (only types whose quantizer uses it)
    <T>.imatrix.deq.f32    ggml's dequantization of <T>.imatrix.bin
    <T>.special.bin / <T>.special.deq.f32   the same for special.f32 (SPECIAL_TYPES only)
    <T>.fma.bin / <T>.imatrix.fma.bin       only with --fma-source: the same quantizers
                           compiled with FMA contraction (see below)

FMA builds. On x86-64, llama.cpp compiles ggml-base (where the quantizers live) for baseline
x86-64, so GCC cannot fuse a*b+c and the results equal plain IEEE evaluation in source order,
which is what Bitsmith implements. On aarch64 (FMA is baseline; GCC defaults to
-ffp-contract=fast, clang to -ffp-contract=on) llama.cpp's quantizers get fused multiply-adds
and can pick different scales in a few blocks. `--fma-source LLAMA_CPP_DIR` compiles that
tree's ggml/src/ggml-quants.c with `gcc -O3 -mfma -mavx2 -ffp-contract=fast` (linked against
the wheel's libggml-base.so for everything else) to record such output, so the tests can bound
the difference. The vendored tree of the llama-cpp-python 0.3.36 sdist is
`llama_cpp_python-0.3.36/vendor/llama.cpp`.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

N_PER_ROW = 512

# name -> ggml_type id (ggml/include/ggml.h, enum ggml_type); checked against
# ggml_type_name() at run time.
TYPES = {
    "F32": 0,
    "F16": 1,
    "Q4_0": 2,
    "Q4_1": 3,
    "Q5_0": 6,
    "Q5_1": 7,
    "Q8_0": 8,
    "Q8_1": 9,
    "Q2_K": 10,
    "Q3_K": 11,
    "Q4_K": 12,
    "Q5_K": 13,
    "Q6_K": 14,
    "Q8_K": 15,
    "IQ4_NL": 20,
    "IQ4_XS": 23,
    "BF16": 30,
    "TQ1_0": 34,
    "TQ2_0": 35,
}

# Every type in quant::QUANTIZABLE, plus Q8_1 (a helper format, not in the dispatch).
QUANTIZABLE = [
    "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
    "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
    "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "Q8_1",
]

# Types whose ggml quantizer (quantize_<t> in ggml/src/ggml-quants.c) reads quant_weights.
USES_IMATRIX = {
    "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS",
}

# Not accepted by ggml_quantize_chunk (activation formats): quantized with ggml's exported
# reference row function instead (quantize_row_*_ref in ggml/src/ggml-quants.c).
REF_ONLY = {"Q8_K": "quantize_row_q8_K_ref", "Q8_1": "quantize_row_q8_1_ref"}
# Dequantizers exported by ggml-base that the type traits do not list.
EXTRA_TO_FLOAT = {"Q8_K": "dequantize_row_q8_K"}

# Types whose behaviour on NaN / inf / huge inputs is fixture-checked (special.f32).
SPECIAL_TYPES = [
    "F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS",
    "TQ1_0", "TQ2_0",
]


class TypeTraits(ctypes.Structure):
    # struct ggml_type_traits (ggml/include/ggml.h)
    _fields_ = [
        ("type_name", ctypes.c_char_p),
        ("blck_size", ctypes.c_int64),
        ("blck_size_interleave", ctypes.c_int64),
        ("type_size", ctypes.c_size_t),
        ("is_quantized", ctypes.c_bool),
        ("to_float", ctypes.c_void_p),
        ("from_float_ref", ctypes.c_void_p),
    ]


ROW_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)


def ggml_lib_path() -> str:
    import llama_cpp  # the wheel that ships the library

    libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    return sorted(glob.glob(os.path.join(libdir, "libggml-base.so*")))[0]


def load_ggml() -> tuple[ctypes.CDLL, str]:
    import llama_cpp

    lib = ctypes.CDLL(ggml_lib_path())
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [
        ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_void_p,
    ]
    lib.ggml_get_type_traits.restype = ctypes.POINTER(TypeTraits)
    lib.ggml_get_type_traits.argtypes = [ctypes.c_int]
    lib.ggml_type_name.restype = ctypes.c_char_p
    lib.ggml_type_name.argtypes = [ctypes.c_int]
    lib.ggml_row_size.restype = ctypes.c_size_t
    lib.ggml_row_size.argtypes = [ctypes.c_int, ctypes.c_int64]
    return lib, llama_cpp.__version__


def make_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240611)
    n = N_PER_ROW
    rows = []
    # 0: standard Gaussian
    rows.append(rng.standard_normal(n))
    # 1: Gaussian at a typical LLM weight scale
    rows.append(0.02 * rng.standard_normal(n))
    # 2: heavy-tailed (Student t, 3 dof) with a few large outliers of both signs
    r = 0.05 * rng.standard_t(3, n)
    r[[7, 100, 333, 480]] = [2.5, -3.75, 6.0, -1.25]
    rows.append(r)
    # 3: all zero
    rows.append(np.zeros(n))
    # 4: constant
    rows.append(np.full(n, 0.375))
    # 5: tiny values: scales fall into fp16's subnormal range / underflow
    rows.append(1e-6 * rng.standard_normal(n))
    # 6: f32 subnormals and values near GROUP_MAX_EPS
    r = 1e-39 * rng.standard_normal(n)
    r[256:] = 1e-16 * rng.standard_normal(n - 256)
    rows.append(r)
    # 7: a row where the largest magnitude in each block is negative, one zero block, and
    #    grid-aligned values (multiples of 1/16) that create rounding ties
    r = rng.uniform(-1, 1, n)
    for b in range(0, n, 32):
        r[b + 5] = -1.5
    r[64:96] = 0.0
    r[128:256] = np.round(rng.uniform(-8, 8, 128)) / 16
    rows.append(r)
    # 8: large magnitudes (fp16 scales overflow for Q8_0: amax/127 > 65504)
    r = 1e4 * rng.standard_normal(n)
    r[300] = 1.0e7
    rows.append(r)
    # 9: uniform positive offset (exercises the min of Q4_1/Q5_1 and k-quants)
    rows.append(rng.uniform(0.5, 1.5, n))
    x = np.asarray(rows, dtype=np.float32)

    # Importance weights: positive, spread over two orders of magnitude.
    imatrix = np.exp(1.2 * rng.standard_normal(n)).astype(np.float32)

    # Special values; kept apart so the k-quants (whose NaN behaviour is not mirrored) do not
    # have to handle them.
    s = []
    r = rng.standard_normal(n)
    r[[3, 40, 77, 300]] = np.nan
    s.append(r)
    r = rng.standard_normal(n)
    r[[10, 200]] = np.inf
    r[[33, 400]] = -np.inf
    s.append(r)
    r = rng.standard_normal(n)
    r[0:32] = np.nan
    r[64] = 3.0e38
    r[65] = -3.0e38
    s.append(r)
    special = np.asarray(s, dtype=np.float32)
    return x, imatrix, special


def quantize(lib, name: str, x: np.ndarray, imatrix: np.ndarray | None) -> bytes:
    t = TYPES[name]
    nrows, n = x.shape
    row_size = lib.ggml_row_size(t, n)
    dst = ctypes.create_string_buffer(row_size * nrows)
    src = np.ascontiguousarray(x, dtype=np.float32)
    if name in REF_ONLY:
        fn = getattr(lib, REF_ONLY[name])
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn(src.ctypes.data, ctypes.addressof(dst), nrows * n)
    else:
        qw = None if imatrix is None else np.ascontiguousarray(imatrix, dtype=np.float32)
        got = lib.ggml_quantize_chunk(
            t, src.ctypes.data, ctypes.addressof(dst), 0, nrows, n,
            None if qw is None else qw.ctypes.data,
        )
        assert got == row_size * nrows, (name, got)
    return dst.raw


def dequantize(lib, name: str, data: bytes, count: int) -> np.ndarray | None:
    traits = lib.ggml_get_type_traits(TYPES[name]).contents
    if name == "F32":
        # ggml has no to_float for F32 (it is the identity): the bytes are the values.
        return np.frombuffer(data, dtype="<f4").copy()
    if name in EXTRA_TO_FLOAT:
        fn = getattr(lib, EXTRA_TO_FLOAT[name])
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    elif traits.to_float:
        fn = ROW_FN(traits.to_float)
    else:
        return None
    out = np.zeros(count, dtype=np.float32)
    src = ctypes.create_string_buffer(data, len(data))
    fn(ctypes.addressof(src), out.ctypes.data, count)
    return out


# quantize_<t> functions of ggml-quants.c for the FMA build, by type name.
FMA_TYPES = {
    "Q4_0": "q4_0", "Q4_1": "q4_1", "Q5_0": "q5_0", "Q5_1": "q5_1", "Q8_0": "q8_0",
    "Q2_K": "q2_K", "Q3_K": "q3_K", "Q4_K": "q4_K", "Q5_K": "q5_K", "Q6_K": "q6_K",
    "IQ4_NL": "iq4_nl", "IQ4_XS": "iq4_xs", "TQ1_0": "tq1_0", "TQ2_0": "tq2_0",
    "Q8_K": "q8_K",  # no quantize_q8_K: recorded with quantize_row_q8_K_ref
}


def build_fma_lib(src_dir: str, ggml_lib: str, workdir: str) -> ctypes.CDLL:
    ggml = os.path.join(src_dir, "ggml")
    out = os.path.join(workdir, "libquants_fma.so")
    libdir = os.path.dirname(ggml_lib)
    cmd = [
        "gcc", "-O3", "-mfma", "-mavx2", "-ffp-contract=fast", "-std=gnu11", "-fPIC", "-shared",
        "-DNDEBUG", "-D_GNU_SOURCE", "-DGGML_BUILD", "-DGGML_SHARED",
        f"-I{ggml}/src", f"-I{ggml}/include", f"{ggml}/src/ggml-quants.c", "-o", out,
        # Bind the file's own calls to its own (FMA) definitions, not libggml-base's.
        "-Wl,-Bsymbolic", f"-L{libdir}", f"-l:{os.path.basename(ggml_lib)}",
        f"-Wl,-rpath,{libdir}",
    ]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    return ctypes.CDLL(out)


def quantize_fma(lib: ctypes.CDLL, name: str, x: np.ndarray, imatrix: np.ndarray | None,
                 row_size: int) -> bytes:
    nrows, n = x.shape
    dst = ctypes.create_string_buffer(row_size * nrows)
    src = np.ascontiguousarray(x, dtype=np.float32)
    if name in REF_ONLY:
        fn = getattr(lib, REF_ONLY[name])
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn(src.ctypes.data, ctypes.addressof(dst), nrows * n)
        return dst.raw
    fn = getattr(lib, "quantize_" + FMA_TYPES[name])
    fn.restype = ctypes.c_size_t
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                   ctypes.c_void_p]
    qw = None if imatrix is None else np.ascontiguousarray(imatrix, dtype=np.float32)
    got = fn(src.ctypes.data, ctypes.addressof(dst), nrows, n,
             None if qw is None else qw.ctypes.data)
    assert got == row_size * nrows, (name, got)
    return dst.raw


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "engine", "tests", "fixtures", "quant"))
    ap.add_argument("--fma-source", help="llama.cpp source tree: also record FMA-build output")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    lib, version = load_ggml()
    for name, t in TYPES.items():
        got = lib.ggml_type_name(t).decode()
        assert got.upper() == name, (name, t, got)

    x, imatrix, special = make_inputs()
    x.astype("<f4").tofile(os.path.join(out, "input.f32"))
    imatrix.astype("<f4").tofile(os.path.join(out, "imatrix.f32"))
    special.astype("<f4").tofile(os.path.join(out, "special.f32"))

    def emit(name: str, suffix: str, inp: np.ndarray, qw: np.ndarray | None) -> None:
        data = quantize(lib, name, inp, qw)
        with open(os.path.join(out, f"{name}{suffix}.bin"), "wb") as f:
            f.write(data)
        deq = dequantize(lib, name, data, inp.size)
        if deq is not None:
            deq.astype("<f4").tofile(os.path.join(out, f"{name}{suffix}.deq.f32"))

    for name in QUANTIZABLE:
        emit(name, "", x, None)
        if name in USES_IMATRIX:
            emit(name, ".imatrix", x, imatrix)
    for name in SPECIAL_TYPES:
        emit(name, ".special", special, None)

    if args.fma_source:
        with tempfile.TemporaryDirectory() as tmp:
            fma = build_fma_lib(args.fma_source, ggml_lib_path(), tmp)
            for name in FMA_TYPES:
                row_size = lib.ggml_row_size(TYPES[name], N_PER_ROW)
                for suffix, qw in [("", None), (".imatrix", imatrix)]:
                    if qw is not None and name not in USES_IMATRIX:
                        continue
                    data = quantize_fma(fma, name, x, qw, row_size)
                    with open(os.path.join(out, f"{name}{suffix}.fma.bin"), "wb") as f:
                        f.write(data)

    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "*")))
    print(f"llama-cpp-python {version}: wrote fixtures to {out} ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
