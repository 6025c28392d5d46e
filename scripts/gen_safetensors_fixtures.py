#!/usr/bin/env python3
"""Generates the tiny Hugging Face model folders under engine/tests/fixtures/safetensors/ and,
for each, `expected.gguf`: the GGUF file llama.cpp's convert_hf_to_gguf.py would write for it.

Why not run the real converter: it imports torch (and transformers) at module level, which is
far too heavy for this project's machines. Instead `expected_gguf()` below re-does, step by step,
what the converter does for the Llama family (each step cites the converter function it
follows), using llama.cpp's own gguf-py for everything that is data rather than logic: tensor
name mapping (`gguf.get_tensor_name_map`), metadata key names and value types (the
`GGUFWriter.add_*` methods), F16/BF16 conversion (`gguf.quants`) and the file writer. gguf-py is
taken from the llama-cpp-python 0.3.36 sdist (the same llama.cpp revision as the converter it
ships) when available, else from the installed `gguf` package.

The one value that cannot be reproduced is `tokenizer.ggml.pre`: the converter identifies the
pre-tokenizer by hashing the token ids of a test string and looking the hash up in a table of
known models, and a toy vocabulary is in no table (the converter would stop there). The script
computes that hash with the `tokenizers` package and looks it up in the converter source when
available; otherwise it uses the name of the real model family whose pre-tokenizer the fixture
copies (SmolLM's isolated digits + byte level -> "smollm"; Qwen2's split regex -> "qwen2").

Re-runnable: seeded, deterministic output. Needs numpy, safetensors, tokenizers (PyPI).
Usage: python3 scripts/gen_safetensors_fixtures.py
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "engine" / "tests" / "fixtures" / "safetensors"
SDIST = Path(os.environ.get("LLAMA_CPP_DIR", Path.home() / ".cache/bitsmith/sdist/llama_cpp_python-0.3.36/vendor/llama.cpp"))
if (SDIST / "gguf-py").is_dir():
    sys.path.insert(0, str(SDIST / "gguf-py"))
import gguf  # noqa: E402

from safetensors.numpy import save_file  # noqa: E402
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

TEXT = """The quick brown fox jumps over the lazy dog. 1234 apples and 56 pears!
Quantization maps weights to fewer bits; importance matrices weigh the error.
Hello world, hello llama. SmolLM2 is small. Qwen2 is another model family.
""" * 4

QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

# The converter's hash probe text (conversion/base.py get_vocab_base_pre).
CHKTXT = '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български \'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL'

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


# ---------------------------------------------------------------------------------------------
# Tokenizers
# ---------------------------------------------------------------------------------------------

def byte_level_tokenizer(pre: str, vocab_size: int) -> dict:
    """A byte-level BPE tokenizer.json trained on TEXT. `pre`: "smollm" (Digits + ByteLevel,
    as SmolLM2) or "qwen2" (Split(regex) + ByteLevel without regex, as Qwen2)."""
    tok = Tokenizer(models.BPE())
    if pre == "smollm":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ])
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([TEXT], trainer)
    # A user-defined (non-special) added token, as some chat models have.
    from tokenizers import AddedToken
    tok.add_tokens([AddedToken("<custom>", special=False, normalized=False)])
    return json.loads(tok.to_str())


def spm_style_tokenizer(vocab_size: int) -> dict:
    """A SentencePiece-style BPE tokenizer.json (as Llama-2/Mistral HF repos ship): ▁ for
    spaces, byte fallback with <0xXX> pieces at ids 3..258, <unk> <s> </s> at 0..2."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    specials = ["<unk>", "<s>", "</s>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - 256, special_tokens=specials, show_progress=False)
    tok.train_from_iterator([TEXT.replace(" ", "▁")], trainer)
    j = json.loads(tok.to_str())
    # Insert the 256 byte pieces after the specials, shifting learned pieces up.
    vocab = j["model"]["vocab"]
    new_vocab = {}
    for t, i in sorted(vocab.items(), key=lambda kv: kv[1]):
        new_vocab[t] = i if i < 3 else i + 256
    for b in range(256):
        new_vocab[f"<0x{b:02X}>"] = 3 + b
    j["model"]["vocab"] = dict(sorted(new_vocab.items(), key=lambda kv: kv[1]))
    j["model"]["byte_fallback"] = True
    j["model"]["fuse_unk"] = True
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    j["post_processor"] = {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    for a in j["added_tokens"]:
        a["id"] = vocab[a["content"]]
    # One added token beyond the base vocabulary.
    n = len(j["model"]["vocab"])
    j["added_tokens"].append({"id": n, "content": "<|tool|>", "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True})
    return j


# ---------------------------------------------------------------------------------------------
# Safetensors writing
# ---------------------------------------------------------------------------------------------

def bf16_bits(a: np.ndarray) -> np.ndarray:
    """f32 -> bf16 bits, round to nearest even (as torch and ggml do)."""
    n = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((n + (0x7FFF + ((n >> 16) & 1))) >> 16).astype(np.uint16)


def write_safetensors_by_hand(path: Path, tensors: dict[str, tuple[str, np.ndarray]]):
    """Our own writer (BF16 is not in numpy): header sorted by name, data in that order, header
    padded with spaces to 8 bytes as the reference writer does."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def llama_like_weights(rng, cfg: dict, dtype) -> dict[str, np.ndarray]:
    h, ff, nl = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = h // nh
    w = {"model.embed_tokens.weight": rng.normal(0, 0.05, (cfg["vocab_size"], h)),
         "model.norm.weight": 1 + rng.normal(0, 0.01, (h,))}
    if not cfg.get("tie_word_embeddings", False):
        w["lm_head.weight"] = rng.normal(0, 0.05, (cfg["vocab_size"], h))
    for i in range(nl):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + rng.normal(0, 0.01, (h,))
        w[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, 0.01, (h,))
        w[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.05, (nh * hd, h))
        w[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.05, (nkv * hd, h))
        w[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.05, (nkv * hd, h))
        w[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.05, (h, nh * hd))
        w[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.05, (ff, h))
        w[p + "mlp.up_proj.weight"] = rng.normal(0, 0.05, (ff, h))
        w[p + "mlp.down_proj.weight"] = rng.normal(0, 0.05, (h, ff))
        if cfg["architectures"][0] == "Qwen2ForCausalLM":
            w[p + "self_attn.q_proj.bias"] = rng.normal(0, 0.05, (nh * hd,))
            w[p + "self_attn.k_proj.bias"] = rng.normal(0, 0.05, (nkv * hd,))
            w[p + "self_attn.v_proj.bias"] = rng.normal(0, 0.05, (nkv * hd,))
    return {k: v.astype(dtype) for k, v in w.items()}


# ---------------------------------------------------------------------------------------------
# The converter, re-done (convert_hf_to_gguf.py + conversion/{base,llama,qwen}.py)
# ---------------------------------------------------------------------------------------------

def read_safetensors(path: Path) -> dict[str, tuple[str, np.ndarray]]:
    """gguf-py's SafetensorsLocal: tensors of one part, ordered by name."""
    b = path.read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    np_of = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64}
    for name in sorted(k for k in header if k != "__metadata__"):
        m = header[name]
        s, e = m["data_offsets"]
        arr = np.frombuffer(b[8 + n + s:8 + n + e], dtype=np_of[m["dtype"]]).reshape(m["shape"])
        out[name] = (m["dtype"], arr)
    return out


def as_float(dtype: str, arr: np.ndarray) -> np.ndarray:
    """prepare_tensors: dtypes other than f16/f32 become f32 (bf16 widened exactly)."""
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    if dtype in ("F16", "F32"):
        return arr
    return arr.astype(np.float32)


def permute(w: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """LlamaModel.permute (conversion/llama.py)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def chkhsh_name(tokenizer_json: dict) -> str | None:
    """get_vocab_base_pre: sha256 of the probe's token ids, looked up in the converter source."""
    base = SDIST / "conversion" / "base.py"
    if not base.is_file():
        return None
    tok = Tokenizer.from_str(json.dumps(tokenizer_json))
    h = hashlib.sha256(str(tok.encode(CHKTXT).ids).encode()).hexdigest()
    m = re.search(r'chkhsh == "' + h + r'":\s*\n(?:\s*#.*\n)*\s*res = "([^"]+)"', base.read_text())
    return m.group(1) if m else None


def looks_special(t: str) -> bool:
    """TextModel.does_token_look_special."""
    return (t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (t.startswith("<|") and t.endswith("|>"))
            or (t.startswith("<｜") and t.endswith("｜>")) or (t.startswith("<unused") and t.endswith(">")))


def special_vocab(d: Path, n_vocab: int | None, load_merges: bool) -> gguf.SpecialVocab:
    """gguf-py's SpecialVocab, used exactly as the converter does."""
    return gguf.SpecialVocab(d, load_merges=load_merges, n_vocab=n_vocab)


def vocab_gpt2(d: Path, w: gguf.GGUFWriter, hp: dict, fallback_pre: str):
    """TextModel._set_vocab_gpt2 / get_vocab_base, with the HF tokenizer's view of
    tokenizer.json (vocab = model vocab + added tokens)."""
    tj = json.loads((d / "tokenizer.json").read_text())
    vocab = dict(tj["model"]["vocab"])
    added = {a["content"]: a for a in tj["added_tokens"]}
    for a in tj["added_tokens"]:
        vocab[a["content"]] = a["id"]
    vocab_size = hp.get("vocab_size", len(vocab))
    assert max(vocab.values()) < vocab_size
    reverse = {i: t for t, i in vocab.items()}
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        t = reverse[i]
        if t in added:
            if added[t]["special"] or looks_special(t):
                types.append(gguf.TokenType.CONTROL)
            else:
                t = t.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(t)
    pre = chkhsh_name(tj) or fallback_pre
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    special_vocab(d, None, True).add_to_gguf(w)


def vocab_llama_hf(d: Path, w: gguf.GGUFWriter):
    """TextModel._set_vocab_llama_hf with gguf-py's LlamaHfVocab, whose AutoTokenizer view is:
    base vocab = model vocab; added tokens beyond it appended; special ids = the special tokens
    named in tokenizer_config.json."""
    tj = json.loads((d / "tokenizer.json").read_text())
    tc = json.loads((d / "tokenizer_config.json").read_text())
    base = tj["model"]["vocab"]
    n_base = len(base)
    full = dict(base)
    for a in tj["added_tokens"]:
        full[a["content"]] = a["id"]
    specials = [tc[k] for k in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token") if tc.get(k)]
    specials += tc.get("additional_special_tokens", [])
    special_ids = {full[s] for s in specials}
    reverse = {i: t for t, i in full.items()}
    added = sorted((a["id"], a["content"]) for a in tj["added_tokens"] if a["id"] >= n_base)
    tokens, scores, types = [], [], []
    for i in range(n_base):
        t = reverse[i]
        tokens.append(t)
        scores.append(-1000.0)
        if re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", t):
            types.append(gguf.TokenType.BYTE)
        else:
            types.append(gguf.TokenType.CONTROL if i in special_ids else gguf.TokenType.NORMAL)
    for i, t in added:
        tokens.append(t)
        scores.append(-1000.0)
        types.append((gguf.TokenType.CONTROL if i in special_ids else gguf.TokenType.NORMAL) if t in specials else gguf.TokenType.USER_DEFINED)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    special_vocab(d, len(tokens), False).add_to_gguf(w)


def expected_gguf(d: Path, out: Path, name: str, fallback_pre: str = "smollm"):
    hp = json.loads((d / "config.json").read_text())
    arch_name = hp["architectures"][0]
    arch = {"LlamaForCausalLM": gguf.MODEL_ARCH.LLAMA, "MistralForCausalLM": gguf.MODEL_ARCH.LLAMA,
            "Qwen2ForCausalLM": gguf.MODEL_ARCH.QWEN2}[arch_name]
    undo_permute = arch == gguf.MODEL_ARCH.LLAMA
    n_block = hp["num_hidden_layers"]
    tmap = gguf.get_tensor_name_map(arch, n_block)

    # index_tensors: parts from the index (sorted), else model*.safetensors sorted; each part's
    # tensors by name.
    idx = d / "model.safetensors.index.json"
    if idx.is_file():
        parts = sorted(set(json.loads(idx.read_text())["weight_map"].values()))
    else:
        parts = sorted(p.name for p in d.iterdir() if p.name.startswith("model") and p.name.endswith(".safetensors"))
    model_tensors = {}
    for p in parts:
        model_tensors.update(read_safetensors(d / p))

    # ModelBase.__init__ ftype GUESSED: first >=2-D bf16/f16 tensor decides, else f16.
    ftype = gguf.LlamaFileType.MOSTLY_F16
    for _, (dt, arr) in model_tensors.items():
        if arr.ndim < 2:
            continue
        if dt == "BF16":
            ftype = gguf.LlamaFileType.MOSTLY_BF16
            break
        if dt == "F16":
            ftype = gguf.LlamaFileType.MOSTLY_F16
            break

    w = gguf.GGUFWriter(path=None, arch=gguf.MODEL_ARCH_NAMES[arch])

    # prepare_tensors
    n_head, n_kv = hp["num_attention_heads"], hp.get("num_key_value_heads")
    # LlamaModel.generate_extra_tensors (conversion/llama.py), chained before the file's
    # tensors: Llama 3.1+ rope frequency factors. The converter computes them with float32
    # torch tensors meeting Python scalars (each scalar rounded to float32 where it enters);
    # numpy float32 does the same arithmetic here (pow through the C library's powf).
    rope = hp.get("rope_scaling") or {}
    if arch == gguf.MODEL_ARCH.LLAMA and str(rope.get("rope_type", "")).lower() == "llama3":
        f32 = np.float32
        base = rope.get("rope_theta", hp.get("rope_theta", 10000.0))
        dim = hp.get("head_dim") or hp["hidden_size"] // n_head
        freqs = f32(1.0) / (f32(base) ** (np.arange(0, dim, 2, dtype=f32) / f32(dim)))
        factor = rope.get("factor", 8.0)
        low, high = rope.get("low_freq_factor", 1.0), rope.get("high_freq_factor", 4.0)
        old_len = rope.get("original_max_position_embeddings", 8192)
        low_wavelen, high_wavelen = f32(old_len / low), f32(old_len / high)
        factors = []
        for freq in freqs:
            wavelen = f32(2 * math.pi) / freq
            if wavelen < high_wavelen:
                factors.append(f32(1))
            elif wavelen > low_wavelen:
                factors.append(f32(factor))
            else:
                smooth = (f32(old_len) / wavelen - f32(low)) / f32(high - low)
                factors.append(f32(1) / ((f32(1) - smooth) / f32(factor) + smooth))
        w.add_tensor("rope_freqs.weight", np.array(factors, dtype=f32), raw_dtype=gguf.GGMLQuantizationType.F32)
    for src_name, (dt, arr) in model_tensors.items():
        if src_name.endswith((".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq")):
            continue
        data = as_float(dt, arr)
        if undo_permute:
            if src_name.endswith(("q_proj.weight", "q_proj.bias")):
                data = permute(data, n_head, n_head)
            if src_name.endswith(("k_proj.weight", "k_proj.bias")):
                data = permute(data, n_head, n_kv)
        new_name = tmap.get_name(src_name, try_suffixes=(".weight", ".bias"))
        assert new_name is not None, src_name
        if data.ndim <= 1 or new_name.endswith("_norm.weight") or new_name[-7:] not in (".weight", ".lora_a", ".lora_b"):
            qtype = gguf.GGMLQuantizationType.F32
        elif ftype == gguf.LlamaFileType.MOSTLY_BF16:
            qtype = gguf.GGMLQuantizationType.BF16
        else:
            qtype = gguf.GGMLQuantizationType.F16
        q = gguf.quants.quantize(np.ascontiguousarray(data), qtype)
        w.add_tensor(new_name, q, raw_dtype=qtype)

    # prepare_metadata
    total = w.get_total_parameter_count()
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_size_label(gguf.size_label(*total))
    # TextModel.set_gguf_parameters
    w.add_block_count(n_block)
    w.add_context_length(hp["max_position_embeddings"])
    w.add_embedding_length(hp["hidden_size"])
    w.add_feed_forward_length(hp["intermediate_size"])
    w.add_head_count(n_head)
    if n_kv is not None:
        w.add_head_count_kv(n_kv)
    rope = hp.get("rope_scaling") or {}
    if rope.get("rope_type", rope.get("type")) == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rope["factor"])
    if "rope_theta" in hp:
        w.add_rope_freq_base(hp["rope_theta"])
    w.add_layer_norm_rms_eps(hp["rms_norm_eps"])
    if "head_dim" in hp:
        w.add_key_length(hp["head_dim"])
        w.add_value_length(hp["head_dim"])
    w.add_file_type(ftype)
    if arch == gguf.MODEL_ARCH.LLAMA:
        # LlamaModel.set_gguf_parameters
        w.add_vocab_size(hp["vocab_size"])
        w.add_rope_dimension_count(hp.get("head_dim") or hp["hidden_size"] // n_head)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)

    # set_vocab
    tc_file = d / "tokenizer_config.json"
    tc = json.loads(tc_file.read_text()) if tc_file.is_file() else {}
    if arch == gguf.MODEL_ARCH.LLAMA:
        if (aps := tc.get("add_prefix_space")) is not None:
            w.add_add_space_prefix(aps)
        tj = json.loads((d / "tokenizer.json").read_text())
        m = tj["model"]
        is_llama3 = m["type"] == "BPE" and m.get("ignore_merges", False) and not m.get("byte_fallback", True)
        if not is_llama3 and m["type"] == "BPE" and m.get("byte_fallback", False) and tj["decoder"]["type"] == "Sequence":
            vocab_llama_hf(d, w)
        else:
            vocab_gpt2(d, w, hp, fallback_pre)
        if hp.get("vocab_size", 32000) == 49152:
            w.add_add_bos_token(False)
    else:
        vocab_gpt2(d, w, hp, fallback_pre)

    w.write_header_to_file(path=out)
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---------------------------------------------------------------------------------------------
# The fixtures
# ---------------------------------------------------------------------------------------------

def write_json(path: Path, obj):
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


def tiny_llama():
    d = OUT / "tiny_llama"
    d.mkdir(parents=True, exist_ok=True)
    tj = byte_level_tokenizer("smollm", 290)
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
           "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
           "num_hidden_layers": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "rope_scaling": None, "vocab_size": 300, "tie_word_embeddings": True,
           "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float16"}
    write_json(d / "config.json", cfg)
    write_json(d / "tokenizer.json", tj)
    write_json(d / "tokenizer_config.json", {
        "add_prefix_space": False, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
        "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>", "clean_up_tokenization_spaces": False,
        "chat_template": CHATML, "model_max_length": 256, "tokenizer_class": "GPT2Tokenizer"})
    rng = np.random.default_rng(1)
    w = llama_like_weights(rng, cfg, np.float16)
    # An old-style rotary buffer the converter drops.
    w["model.layers.0.self_attn.rotary_emb.inv_freq"] = (1.0 / 10000 ** (np.arange(0, 8, 2) / 8)).astype(np.float32)
    save_file(w, str(d / "model.safetensors"))
    expected_gguf(d, d / "expected.gguf", "tiny llama")

    # The same weights in two shards with an index; the converter walks the parts in order.
    s = OUT / "tiny_llama_sharded"
    s.mkdir(parents=True, exist_ok=True)
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (s / f).write_bytes((d / f).read_bytes())
    names = sorted(w)
    first = {k: w[k] for k in names if k.startswith("model.layers.1.") or k == "model.norm.weight"}
    second = {k: w[k] for k in names if k not in first}
    parts = {"model-00001-of-00002.safetensors": first, "model-00002-of-00002.safetensors": second}
    weight_map = {}
    for fname, ts in parts.items():
        save_file(ts, str(s / fname))
        weight_map.update({k: fname for k in ts})
    write_json(s / "model.safetensors.index.json", {"metadata": {"total_size": sum(v.nbytes for v in w.values())},
                                                    "weight_map": dict(sorted(weight_map.items()))})
    expected_gguf(s, s / "expected.gguf", "tiny llama")


def tiny_llama3():
    """tiny_llama's weights under Llama 3.1 rope scaling: the converter adds rope_freqs.weight.
    rope_theta 500000 and an original context of 512 put one frequency in each regime (kept,
    blended, scaled) for head dimension 8."""
    src = OUT / "tiny_llama"
    d = OUT / "tiny_llama3"
    d.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((src / "config.json").read_text())
    cfg.update({"rope_theta": 500000.0, "rope_scaling": {
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 512}})
    write_json(d / "config.json", cfg)
    for f in ("tokenizer.json", "tokenizer_config.json", "model.safetensors"):
        (d / f).write_bytes((src / f).read_bytes())
    expected_gguf(d, d / "expected.gguf", "tiny llama3")


def tiny_qwen2():
    d = OUT / "tiny_qwen2"
    d.mkdir(parents=True, exist_ok=True)
    tj = byte_level_tokenizer("qwen2", 280)
    cfg = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32,
           "intermediate_size": 48, "num_attention_heads": 4, "num_key_value_heads": 2,
           "num_hidden_layers": 1, "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
           "rope_theta": 1000000.0, "vocab_size": 288, "tie_word_embeddings": False,
           "bos_token_id": 0, "eos_token_id": 2, "torch_dtype": "bfloat16"}
    write_json(d / "config.json", cfg)
    write_json(d / "tokenizer.json", tj)
    write_json(d / "tokenizer_config.json", {
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
        "clean_up_tokenization_spaces": False, "chat_template": CHATML, "add_bos_token": False})
    rng = np.random.default_rng(2)
    w = llama_like_weights(rng, cfg, np.float32)
    # BF16 matrices, F32 norms and biases: a mixed-dtype checkpoint.
    st = {k: (("BF16", bf16_bits(v)) if v.ndim == 2 else ("F32", v)) for k, v in w.items()}
    write_safetensors_by_hand(d / "model.safetensors", st)
    expected_gguf(d, d / "expected.gguf", "tiny qwen2", fallback_pre="qwen2")


def tiny_mistral():
    d = OUT / "tiny_mistral"
    d.mkdir(parents=True, exist_ok=True)
    tj = spm_style_tokenizer(300)
    n_tok = len(tj["model"]["vocab"]) + 1
    cfg = {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 16,
           "intermediate_size": 32, "num_attention_heads": 2, "num_key_value_heads": 1,
           "num_hidden_layers": 1, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "vocab_size": n_tok, "tie_word_embeddings": False,
           "head_dim": 8, "rope_scaling": {"rope_type": "linear", "factor": 2.0},
           "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
    write_json(d / "config.json", cfg)
    write_json(d / "tokenizer.json", tj)
    write_json(d / "tokenizer_config.json", {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "additional_special_tokens": ["<|tool|>"], "legacy": False})
    rng = np.random.default_rng(3)
    w = llama_like_weights(rng, cfg, np.float32)
    write_safetensors_by_hand(d / "model.safetensors", {k: ("F32", v) for k, v in w.items()})
    expected_gguf(d, d / "expected.gguf", "tiny mistral")


def main():
    print(f"gguf-py from {gguf.__file__}")
    tiny_llama()
    tiny_llama3()
    tiny_qwen2()
    tiny_mistral()
    total = 0
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            total += p.stat().st_size
            print(f"{p.relative_to(OUT)}: {p.stat().st_size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
