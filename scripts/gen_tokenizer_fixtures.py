#!/usr/bin/env python3
"""Generate the tokenizer's committed data: the Unicode category table and the test fixtures.

Subcommands (all re-runnable; outputs are deterministic for fixed package versions):

  unicode   Write engine/src/tokenizer/unicode_table.rs: the general category of every code point,
            run-length encoded. llama.cpp (src/unicode-data.cpp, made by scripts/gen-unicode-data.py)
            tabulates Unicode 15.1.0; we take the same version from `unicodedata2==15.1.0` so that
            our \\p{L}/\\p{N}/... classes agree with llama.cpp code point for code point.
            (Python 3.11's own `unicodedata` is Unicode 14.0 and differs in ~600 code points.)

  smollm2   Tokenize the committed test strings with llama.cpp (llama-cpp-python, vocab_only) using
            the SmolLM2-135M-Instruct GGUF and write tests/fixtures/tokenizer/smollm2.json.

  pre_variants  SmolLM2's vocabulary re-tagged with other tokenizer.ggml.pre values (gpt-2, qwen2,
            llama3, default) and tokenized by llama.cpp, plus random strings for each:
            tests/fixtures/tokenizer/smollm2_pre_variants.json.

  spm       Train a tiny SentencePiece BPE model (byte fallback) on a generated corpus, write it as a
            vocab-only llama-style GGUF (tests/fixtures/tokenizer/spm_tiny.gguf) and tokenize the
            test strings with llama.cpp into tests/fixtures/tokenizer/spm_tiny.json.

  hfjson    Train a tiny byte-level BPE with the HF `tokenizers` library (SmolLM2-style
            pre-tokenizer: isolated digits + ByteLevel), save tests/fixtures/tokenizer/bpe_tiny/
            tokenizer.json (+ tokenizer_config.json) and HF's encodings of the test strings.

  all       All of the above.

Needs: pip install "unicodedata2==15.1.0" sentencepiece tokenizers gguf numpy jinja2
       and llama-cpp-python (the wheel in ~/.cache/bitsmith/wheels).
The SmolLM2 GGUF is looked up in $BITSMITH_MODELS or ~/.cache/bitsmith/models/.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "engine" / "tests" / "fixtures" / "tokenizer"
TABLE_RS = ROOT / "engine" / "src" / "tokenizer" / "unicode_table.rs"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# --------------------------------------------------------------------------------------------
# The committed test strings. Each exercises a distinct corner of the pre-tokenizers / merges.
# --------------------------------------------------------------------------------------------
TEST_STRINGS: list[str] = [
    "",
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    " \n \n",
    "Hello world",
    " Hello world",
    "Hello World!",
    "hello  world",
    "hello   world   ",
    "trailing spaces   ",
    "   leading spaces",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\nline four\n",
    "windows\r\nnewlines\r\n",
    "mixed \t\n whitespace \n\t ",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you're right, it's what they'd've said; we'll see. DON'T SHOUT, I'M HERE",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Ll",
    "rock 'n' roll",
    "0",
    "12",
    "123",
    "1234",
    "12345678901234567890",
    "3.14159 and 2,718 and 1e-9 and -42",
    "Version 1.2.3-beta+build.45",
    "Call 555-0199 at 10:30pm on 2024-01-15",
    "١٢٣ ٤٥٦ (Arabic-Indic digits) and ½ ⅓ ² ③",
    "Ⅻ roman numeral letters",
    "Héllo wörld, ça va? Niño, façade, naïve, Ærøskøbing",
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε",
    "こんにちは世界、元気ですか？",
    "你好，世界！我们今天学习量化。",
    "안녕하세요 세계",
    "مرحبا بالعالم! كيف حالك؟",
    "שלום עולם",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "สวัสดีชาวโลก",
    "Emoji: 😀 😃 😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ 🤖",
    "😀😀😀",
    "Math: ∑ ∫ √ ∞ ≠ ≤ ≥ ∂ ∇ α β γ",
    "Symbols: © ® ™ € £ ¥ § ¶ • … — – « » “quotes” ‘single’",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "fn main() {\n\tlet x: Vec<u8> = vec![1, 2, 3];\n\tprintln!(\"{:?}\", x);\n}\n",
    "for (int i = 0; i < 10; ++i) { a[i] += b[i] * 2; }",
    "<div class=\"foo\">&nbsp;</div>",
    "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
    "https://example.com/path?query=1&other=two#frag",
    "user@example.com",
    "$100 + 50% = ~150^2 | x <= y >= z",
    "`backticks` and ~tildes~ and ^carets^",
    "!!!???...,,,;;;:::",
    "a\u00a0b\u2003c\u3000d",
    "zero\u200bwidth\u200djoiner",
    "combining: e\u0301 a\u0308 n\u0303",
    "ﬁ ligature and Ｆｕｌｌｗｉｄｔｈ",
    "a" * 40,
    "Mixed 123abc456 DEF789 ghi",
    "CamelCaseIdentifier snake_case_identifier kebab-case-identifier",
    "   \n\n   \t\t  end",
    # special token texts (only matched as special tokens with parse_special)
    "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|im_end|>more text",
    "<|im_start|><|im_start|>",
    "<s>[INST] hello [/INST]</s>",
    "not <|a special|> token",
]


def find_smollm2() -> Path:
    roots = []
    if os.environ.get("BITSMITH_MODELS"):
        roots.append(Path(os.environ["BITSMITH_MODELS"]))
    roots.append(Path.home() / ".cache" / "bitsmith" / "models")
    for r in roots:
        p = r / SMOLLM2_FILE
        if p.exists():
            return p
    sys.exit(f"cannot find {SMOLLM2_FILE} in {roots}")


# --------------------------------------------------------------------------------------------
# unicode
# --------------------------------------------------------------------------------------------
# Our category codes (see engine/src/tokenizer/unicode.rs). llama.cpp's unicode_cpt_flags
# (src/unicode.h) has one flag per major class; Cn (unassigned) is its UNDEFINED.
CAT_CODE = {"Cn": 0, "N": 1, "L": 2, "Z": 3, "M": 4, "P": 5, "S": 6, "C": 7}


def cmd_unicode() -> None:
    import unicodedata2

    if unicodedata2.unidata_version != "15.1.0":
        sys.exit(f"need unicodedata2==15.1.0 (have {unicodedata2.unidata_version})")

    def code(cp: int) -> int:
        cat = unicodedata2.category(chr(cp))
        return CAT_CODE["Cn"] if cat == "Cn" else CAT_CODE[cat[0]]

    runs: list[tuple[int, int]] = []
    prev = None
    for cp in range(0x110000):
        c = code(cp)
        if c != prev:
            runs.append((cp, c))
            prev = c

    # The contraction rules of the llama3/qwen2 pre-tokenizers lower-case the letter after an
    # apostrophe with the full Unicode table (src/unicode.cpp unicode_tolower). We only ever
    # compare that result with ASCII s/t/r/v/m/l/d/e, so ASCII lower-casing suffices iff no other
    # code point lower-cases to one of those letters. Check it here (with Python's own case
    # tables, which is close enough for this one-off check).
    for cp in range(0x110000):
        ch = chr(cp)
        lower = ch.lower()
        if len(lower) == 1 and lower in "strvmlde" and not ("A" <= ch <= "Z" or ch == lower):
            sys.exit(f"U+{cp:04X} lower-cases to {lower!r}: ASCII lower-casing is not enough")

    lines = [
        "// Generated by scripts/gen_tokenizer_fixtures.py unicode — do not edit.",
        "// Unicode 15.1.0 general categories (unicodedata2==15.1.0), the version of llama.cpp's",
        "// src/unicode-data.cpp. Each entry is `(first_code_point << 3) | category`; an entry's",
        "// category runs up to the next entry's first code point. Categories: 0 unassigned (Cn),",
        "// 1 number (N), 2 letter (L), 3 separator (Z), 4 mark (M), 5 punctuation (P), 6 symbol (S),",
        "// 7 other (Cc/Cf/Cs/Co).",
        "",
        f"/// {len(runs)} runs, {len(runs) * 4} bytes.",
        "#[rustfmt::skip]",
        "pub(super) static CATEGORY_RUNS: [u32; %d] = [" % len(runs),
    ]
    row: list[str] = []
    for cp, c in runs:
        row.append("0x%07X" % ((cp << 3) | c))
        if len(row) == 10:
            lines.append("    " + ", ".join(row) + ",")
            row = []
    if row:
        lines.append("    " + ", ".join(row) + ",")
    lines.append("];")
    TABLE_RS.write_text("\n".join(lines) + "\n")
    print(f"wrote {TABLE_RS} ({len(runs)} runs)")


# --------------------------------------------------------------------------------------------
# llama.cpp through llama-cpp-python's ctypes bindings
# --------------------------------------------------------------------------------------------
class LlamaVocab:
    """A vocab-only llama.cpp model: the reference tokenizer."""

    def __init__(self, path: Path):
        import llama_cpp as lc

        self.lc = lc
        # Silence llama.cpp's loader log.
        self._log_cb = lc.llama_log_callback(lambda level, text, user: None)
        lc.llama_log_set(self._log_cb, None)
        lc.llama_backend_init()
        params = lc.llama_model_default_params()
        params.vocab_only = True
        self.model = lc.llama_model_load_from_file(str(path).encode(), params)
        if not self.model:
            sys.exit(f"llama.cpp could not load {path}")
        self.vocab = lc.llama_model_get_vocab(self.model)
        self.n_tokens = lc.llama_vocab_n_tokens(self.vocab)

    def tokenize(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        lc = self.lc
        data = text.encode("utf-8")
        n_max = len(data) + 16
        buf = (lc.llama_token * n_max)()
        n = lc.llama_tokenize(self.vocab, data, len(data), buf, n_max, add_special, parse_special)
        if n < 0:
            sys.exit(f"tokenize overflow for {text!r}")
        return list(buf[:n])

    def detokenize(self, ids: list[int], remove_special: bool, unparse_special: bool) -> bytes:
        lc = self.lc
        arr = (lc.llama_token * max(1, len(ids)))(*ids)
        size = 64 + 16 * len(ids)
        buf = ctypes.create_string_buffer(size)
        n = lc.llama_detokenize(self.vocab, arr, len(ids), buf, size, remove_special, unparse_special)
        if n < 0:
            size = -n
            buf = ctypes.create_string_buffer(size)
            n = lc.llama_detokenize(self.vocab, arr, len(ids), buf, size, remove_special, unparse_special)
        return buf.raw[:n]

    def piece(self, tok: int, special: bool) -> bytes:
        lc = self.lc
        buf = ctypes.create_string_buffer(256)
        n = lc.llama_token_to_piece(self.vocab, tok, buf, 256, 0, special)
        if n < 0:
            sys.exit(f"piece of {tok} longer than 256 bytes")
        return buf.raw[:n]

    def chat_template(self) -> str | None:
        t = self.lc.llama_model_chat_template(self.model, None)
        return t.decode() if t else None

    def apply_template(self, tmpl: str, messages: list[dict], add_ass: bool) -> str | None:
        lc = self.lc
        msgs = (lc.llama_chat_message * len(messages))()
        keep = []
        for i, m in enumerate(messages):
            r, c = m["role"].encode(), m["content"].encode()
            keep += [r, c]
            msgs[i].role = r
            msgs[i].content = c
        size = 4096
        buf = ctypes.create_string_buffer(size)
        n = lc.llama_chat_apply_template(tmpl.encode(), msgs, len(messages), add_ass, buf, size)
        if n < 0:
            return None
        return buf.raw[:n].decode()


def text_or_bytes(b: bytes):
    """JSON-friendly bytes: a string when valid UTF-8, else {"bytes": [..]}."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"bytes": list(b)}


def fnv1a64(chunks) -> str:
    """FNV-1a 64 over length-prefixed chunks (mirrored in the Rust test)."""
    h = 0xCBF29CE484222325
    for c in chunks:
        for b in len(c).to_bytes(4, "little") + c:
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def reference_cases(v: LlamaVocab) -> list[dict]:
    cases = []
    for text in TEST_STRINGS:
        ids = v.tokenize(text, False, False)
        ids_special = v.tokenize(text, True, True)
        cases.append(
            {
                "text": text,
                # llama_tokenize(add_special=false, parse_special=false)
                "ids": ids,
                # llama_tokenize(add_special=true, parse_special=true)
                "ids_special": ids_special,
                # llama_detokenize(ids, remove_special=false, unparse_special=false)
                "detok": text_or_bytes(v.detokenize(ids, False, False)),
                # llama_detokenize(ids_special, remove_special=true, unparse_special=true)
                "detok_special": text_or_bytes(v.detokenize(ids_special, True, True)),
                # llama_detokenize(ids_special, remove_special=false, unparse_special=false)
                "detok_special_hidden": text_or_bytes(v.detokenize(ids_special, False, False)),
            }
        )
    return cases


def piece_hashes(v: LlamaVocab) -> dict:
    return {
        "fnv1a64_special": fnv1a64(v.piece(i, True) for i in range(v.n_tokens)),
        "fnv1a64_plain": fnv1a64(v.piece(i, False) for i in range(v.n_tokens)),
        # A sample to make a mismatch readable.
        "sample": [
            [i, text_or_bytes(v.piece(i, True))] for i in list(range(0, 300)) + list(range(300, v.n_tokens, 211))
        ],
    }


CHATS: list[list[dict]] = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
    [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "  Tell me a joke.\n"},
    ],
]


def render_jinja(tmpl: str, messages: list[dict], add_generation_prompt: bool, bos: str, eos: str) -> str:
    """Render a chat template as transformers does (trim_blocks, lstrip_blocks)."""
    import jinja2

    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(tmpl).render(
        messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos, eos_token=eos
    )


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    import re

    text = json.dumps(obj, ensure_ascii=False, indent=1)
    # Put lists of numbers on one line. A match must span a newline, which never occurs inside
    # a JSON string (newlines are escaped there), so string contents are left alone.
    text = re.sub(
        r"\[((?:\s*-?\d+(?:\.\d+)?,)*\s*-?\d+(?:\.\d+)?\s*)\]",
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]" if "\n" in m.group(0) else m.group(0),
        text,
    )
    path.write_text(text + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


def versions() -> dict:
    import llama_cpp

    return {"llama_cpp_python": llama_cpp.__version__}


# --------------------------------------------------------------------------------------------
# smollm2
# --------------------------------------------------------------------------------------------
def cmd_smollm2() -> None:
    path = find_smollm2()
    v = LlamaVocab(path)
    tmpl = v.chat_template()
    chats = []
    for msgs in CHATS:
        for add in (False, True):
            chats.append(
                {
                    "messages": msgs,
                    "add_generation_prompt": add,
                    "llama_cpp": v.apply_template(tmpl, msgs, add),
                    "jinja": render_jinja(tmpl, msgs, add, "<|im_start|>", "<|im_end|>"),
                }
            )
    write_json(
        FIX / "smollm2.json",
        {
            "generated_by": "scripts/gen_tokenizer_fixtures.py smollm2",
            "versions": versions(),
            "model_file": SMOLLM2_FILE,
            "n_tokens": v.n_tokens,
            "cases": reference_cases(v),
            "pieces": piece_hashes(v),
            "chat": chats,
        },
    )


# --------------------------------------------------------------------------------------------
# spm: a tiny SentencePiece BPE model as a llama-style GGUF
# --------------------------------------------------------------------------------------------
TINYLLAMA_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
)

CORPUS_PARAGRAPHS = [
    "Quantization maps floating point weights to a small set of integers with a scale per block.",
    "The quick brown fox jumps over the lazy dog while the lazy dog sleeps in the sun.",
    "Language models predict the next token from the tokens that came before it.",
    "Hello world! Hello there, how are you today? I'm fine, thanks, and you're kind to ask.",
    "def main():\n    print('hello world')\n    return 0\n",
    "for i in range(10):\n    total += i * i\n",
    "Numbers like 12345, 3.14159 and 2024-01-15 appear in text all the time.",
    "Bonjour le monde, ça va? Très bien, merci beaucoup.",
    "Привет мир, как дела? Всё хорошо, спасибо.",
    "你好世界，今天天气很好。我们学习量化和推理。",
    "こんにちは、世界。今日はいい天気ですね。",
    "The tokenizer splits text into pieces; each piece has an id in the vocabulary.",
    "Emoji are rare in training text, so they usually fall back to single bytes.",
    "   Indented lines, trailing spaces   and\ttabs\tshow how whitespace is handled.",
]


def spm_corpus() -> list[str]:
    lines = []
    for rep in range(30):
        for i, p in enumerate(CORPUS_PARAGRAPHS):
            lines.append(p if rep % 2 == 0 else p.lower())
            lines.append(f"{p.split(' ')[0]} number {rep * 37 + i}")
    return lines


def cmd_spm() -> None:
    import tempfile

    import gguf
    import numpy as np
    import sentencepiece as spm

    out_gguf = FIX / "spm_tiny.gguf"
    with tempfile.TemporaryDirectory() as td:
        prefix = os.path.join(td, "tiny")
        # Llama's SentencePiece settings: BPE, byte fallback, digits split, identity
        # normalization, dummy prefix, whitespace kept.
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(spm_corpus()),
            model_prefix=prefix,
            model_type="bpe",
            vocab_size=700,
            byte_fallback=True,
            split_digits=True,
            allow_whitespace_only_pieces=True,
            normalization_rule_name="identity",
            add_dummy_prefix=True,
            remove_extra_whitespaces=False,
            character_coverage=0.98,
            num_threads=1,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            user_defined_symbols=["<tool>", "<|user|>", "<|assistant|>", "<|system|>"],
            hard_vocab_limit=False,
            minloglevel=2,
        )
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")

    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            t = gguf.TokenType.UNKNOWN
        elif sp.is_control(i):
            t = gguf.TokenType.CONTROL
        elif sp.is_unused(i):
            t = gguf.TokenType.UNUSED
        elif sp.is_byte(i):
            t = gguf.TokenType.BYTE
        elif tokens[-1] in ("<tool>", "<|user|>", "<|assistant|>", "<|system|>"):
            t = gguf.TokenType.USER_DEFINED
        else:
            t = gguf.TokenType.NORMAL
        types.append(t)

    w = gguf.GGUFWriter(str(out_gguf), "llama")
    w.add_name("spm-tiny")
    # Minimal llama hyper-parameters: llama.cpp reads them even for a vocab-only load.
    w.add_context_length(64)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(64)
    w.add_head_count(1)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(TINYLLAMA_TEMPLATE)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {out_gguf} ({out_gguf.stat().st_size} bytes, {len(tokens)} tokens)")

    v = LlamaVocab(out_gguf)
    chats = []
    for msgs in CHATS:
        for add in (False, True):
            chats.append(
                {
                    "messages": msgs,
                    "add_generation_prompt": add,
                    "jinja": render_jinja(TINYLLAMA_TEMPLATE, msgs, add, "<s>", "</s>"),
                    # llama.cpp's own formatters for named templates.
                    "llama_cpp_llama2_sys": v.apply_template("llama2-sys", msgs, add),
                    "llama_cpp_llama3": v.apply_template("llama3", msgs, add),
                    "llama_cpp_zephyr": v.apply_template("zephyr", msgs, add),
                }
            )
    write_json(
        FIX / "spm_tiny.json",
        {
            "generated_by": "scripts/gen_tokenizer_fixtures.py spm",
            "versions": versions() | {"sentencepiece": spm.__version__},
            "model_file": out_gguf.name,
            "n_tokens": v.n_tokens,
            "cases": reference_cases(v),
            "fuzz": fuzz_cases(v.tokenize, 400, seed=11),
            "pieces": piece_hashes(v),
            "chat": chats,
        },
    )
    del np


# --------------------------------------------------------------------------------------------
# hfjson: a tiny byte-level BPE tokenizer.json trained with HF tokenizers
# --------------------------------------------------------------------------------------------
def cmd_hfjson() -> None:
    import tokenizers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    out_dir = FIX / "bpe_tiny"
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    # SmolLM2's pre-tokenizer: isolated digits, then GPT-2's byte-level regex.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(spm_corpus(), trainer)
    tok.save(str(out_dir / "tokenizer.json"))
    smollm2_template = (
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
        "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
        "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )
    config = {
        "add_prefix_space": False,
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|im_end|>",
        "unk_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "chat_template": smollm2_template,
        "model_max_length": 8192,
        "tokenizer_class": "GPT2Tokenizer",
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=1) + "\n")
    cases = []
    for text in TEST_STRINGS:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append(
            {
                "text": text,
                # HF splits out special added tokens by default: like parse_special = true.
                "ids": enc.ids,
                "decoded": tok.decode(enc.ids, skip_special_tokens=False),
            }
        )
    write_json(
        out_dir / "expected.json",
        {
            "generated_by": "scripts/gen_tokenizer_fixtures.py hfjson",
            "versions": {"tokenizers": tokenizers.__version__},
            "cases": cases,
            # [text, ids] with HF's encode(add_special_tokens=False).
            "fuzz": [[t, tok.encode(t, add_special_tokens=False).ids] for t in fuzz_strings(400, seed=12)],
        },
    )


# --------------------------------------------------------------------------------------------
# Random strings (fixed seed) built from fragments that stress the pre-tokenizers.
# --------------------------------------------------------------------------------------------
FUZZ_FRAGMENTS = [
    "a", "Z", "hello", "World", "x", "ß", "é", "Ñ", "ǅ", "ﬁ", "e\u0301", "\u0301", "\u0308",
    "0", "7", "42", "123", "98765", "½", "²", "٣", "Ⅻ", "①",
    " ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2003", "\u200b",
    "\u0085", "\u2028", "\v", "\f",
    "'", "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'d", "'x", "’",
    ".", ",", "!", "?", "...", "-", "_", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "\"",
    "#", "$", "%", "&", "*", "+", "=", "^", "~", "|", "`", "@", ":", ";", "€", "©", "•", "—", "«",
    "中文", "日本語", "한국어", "مرحبا", "हिन्दी", "ไทย", "Ελληνικά", "русский", "עברית",
    "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🤖",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "<tool>", "<|user|>", "<|",
    "|>", "<unk>", "\u0000", "\u007f", "\ufffd", "\U0001F600\U0001F600",
]


def fuzz_strings(n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(1, 14)
        out.append("".join(rng.choice(FUZZ_FRAGMENTS) for _ in range(k)))
    return out


def fuzz_cases(encode, n: int, seed: int) -> list[list]:
    """[text, ids(add_special=false, parse_special=false), ids(true, true)] per string."""
    return [[t, encode(t, False, False), encode(t, True, True)] for t in fuzz_strings(n, seed)]


SMOLLM2_PRE_VARIANTS = ["smollm", "gpt-2", "qwen2", "llama3", "default"]


def copy_vocab_with_pre(src: Path, dst: Path, pre: str) -> None:
    """A vocab-only copy of a GGUF's metadata with another tokenizer.ggml.pre."""
    import gguf

    r = gguf.GGUFReader(str(src))
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(str(dst), arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        val = pre if key == "tokenizer.ggml.pre" else f.contents()
        w.add_key_value(key, val, vtype, sub_type=sub)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def cmd_pre_variants() -> None:
    """SmolLM2's vocabulary and merges under each supported byte-level pre-tokenizer."""
    import tempfile

    src = find_smollm2()
    variants = {}
    with tempfile.TemporaryDirectory() as td:
        for pre in SMOLLM2_PRE_VARIANTS:
            if pre == "smollm":
                path = src
            else:
                path = Path(td) / f"{pre}.gguf"
                copy_vocab_with_pre(src, path, pre)
            v = LlamaVocab(path)
            texts = [[t, v.tokenize(t, False, False), v.tokenize(t, True, True)] for t in TEST_STRINGS]
            variants[pre] = texts + fuzz_cases(v.tokenize, 250, seed=SMOLLM2_PRE_VARIANTS.index(pre) + 1)
    write_json(
        FIX / "smollm2_pre_variants.json",
        {
            "generated_by": "scripts/gen_tokenizer_fixtures.py pre_variants",
            "versions": versions(),
            "model_file": SMOLLM2_FILE,
            "note": "SmolLM2's tokens and merges with tokenizer.ggml.pre replaced; cases are [text, ids(false,false), ids(true,true)]",
            "variants": variants,
        },
    )


def main() -> None:
    cmds = {
        "unicode": cmd_unicode,
        "smollm2": cmd_smollm2,
        "pre_variants": cmd_pre_variants,
        "spm": cmd_spm,
        "hfjson": cmd_hfjson,
    }
    if len(sys.argv) != 2 or sys.argv[1] not in list(cmds) + ["all"]:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(list(cmds) + ['all'])}}}")
    if sys.argv[1] == "all":
        for f in cmds.values():
            f()
    else:
        cmds[sys.argv[1]]()


if __name__ == "__main__":
    main()
