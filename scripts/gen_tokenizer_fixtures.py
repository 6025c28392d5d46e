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


def main() -> None:
    cmds = {
        "unicode": cmd_unicode,
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
