#!/usr/bin/env python3
"""Record llama.cpp's outputs for the inference tests (engine/tests/infer_smollm2.rs).

For each SmolLM2-135M-Instruct variant (F32, Q8_0, Q4_K_M, made by
scripts/prepare_infer_models.sh; the shipped Q4_1 too) this runs llama.cpp through
llama-cpp-python 0.3.36 on the CPU and writes engine/tests/fixtures/infer/:

  smollm2_<variant>.json             prompt tokens; per prompt position the argmax token and its
                                     logit; the greedy 32-token continuation of a plain prompt
                                     and of a chat-formatted one; perplexity of ppl_text.txt
  smollm2_<variant>.last_logits.bin  the full logit vector (f32 little-endian) after the plain
                                     prompt (F32, Q8_0, Q4_K_M only, to keep the fixtures small)

Setting (what the engine reproduces): KV cache in F32 (type_k = type_v = GGML_TYPE_F32, the
engine's cache type; llama.cpp's default would be F16), no flash attention, one sequence,
n_batch = n_ubatch = 512.

Greedy decoding: the prompt is evaluated in one batch, then the argmax token (first maximum) is
fed back one at a time; this is llama.cpp's greedy sampler without the sampler object.

Perplexity: exactly llama-perplexity's default path (tools/perplexity/perplexity.cpp,
`perplexity()`): tokenize with add_special = true (SmolLM2's vocabulary has add_bos_token =
false, so no BOS), split into len/n_ctx chunks of n_ctx = 512 tokens, evaluate each chunk from an
empty cache (first token replaced by BOS only when the vocabulary adds BOS), score the logits of
positions n_ctx/2 .. n_ctx-2 against the next token with log-softmax (max-subtracted, exp-sum
in double), PPL = exp(mean NLL), ± = PPL * sqrt((mean(NLL^2) - mean^2) / (count - 1)).
The same numbers with llama.cpp's default F16 KV cache are recorded for reference.

Usage: scripts/gen_infer_fixtures.py   (re-runnable; deterministic for a fixed llama.cpp build)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "engine" / "tests" / "fixtures" / "infer"
MODELS = Path(os.environ.get("BITSMITH_MODELS", Path.home() / ".cache" / "bitsmith" / "models"))
VARIANTS = ["F32", "Q8_0", "Q4_K_M", "Q4_1"]
FULL_LOGITS = {"F32", "Q8_0", "Q4_K_M"}

PROMPT = "Once upon a time, in a small village by the sea, there lived"
CHAT_USER = "What is the capital of France?"
# SmolLM2-Instruct's chat template applied to one user turn (its default system prompt
# included, generation prompt appended), as the engine's ChatTemplate::ChatMl produces it.
CHAT_PROMPT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n<|im_start|>user\n" + CHAT_USER + "<|im_end|>\n<|im_start|>assistant\n"
)
N_GREEDY = 32
N_CTX_PPL = 512
GGML_TYPE_F32 = 0


def load(path: Path, n_ctx: int, kv_f32: bool = True):
    from llama_cpp import Llama

    kw = dict(type_k=GGML_TYPE_F32, type_v=GGML_TYPE_F32) if kv_f32 else {}
    return Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=512,
        n_ubatch=512,
        logits_all=True,
        flash_attn=False,
        n_threads=os.cpu_count() or 1,
        seed=0,
        verbose=False,
        **kw,
    )


def greedy(llm, tokens: list[int], n: int) -> list[int]:
    llm.reset()
    llm.eval(tokens)
    out = []
    for _ in range(n):
        logits = llm.scores[llm.n_tokens - 1]
        tok = int(np.argmax(logits))  # first maximum, like llama.cpp's greedy sampler
        out.append(tok)
        llm.eval([tok])
    return out


def nll_llama(logits: np.ndarray, tok: int) -> float:
    """`log_softmax` in perplexity.cpp: f32 max, expf per logit, the sum in double."""
    mx = np.float32(logits.max())
    sum_exp = np.exp((logits - mx).astype(np.float32)).astype(np.float64).sum()
    return -(float(np.float32(logits[tok] - mx)) - float(np.log(sum_exp)))


def perplexity(llm, tokens: list[int], n_ctx: int, bos: int | None) -> dict:
    n_chunk = len(tokens) // n_ctx
    first = n_ctx // 2
    nll = nll2 = 0.0
    count = 0
    running = []
    for i in range(n_chunk):
        chunk = list(tokens[i * n_ctx : (i + 1) * n_ctx])
        if bos is not None:
            chunk[0] = bos
        llm.reset()
        llm.eval(chunk)
        for j in range(first, n_ctx - 1):
            v = nll_llama(llm.scores[j], tokens[i * n_ctx + j + 1])
            nll += v
            nll2 += v * v
            count += 1
        running.append(float(np.exp(nll / count)))
    mean = nll / count
    var = nll2 / count - mean * mean
    err = float(np.sqrt(var / (count - 1))) if var > 0 else 0.0
    ppl = float(np.exp(mean))
    return {
        "n_ctx": n_ctx,
        "n_chunks": n_chunk,
        "count": count,
        "ppl": ppl,
        "ppl_err": ppl * err,
        "mean_nll": mean,
        "chunk_ppl": running,
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    text = (OUT / "ppl_text.txt").read_text(encoding="utf-8")
    import llama_cpp

    for variant in VARIANTS:
        path = MODELS / f"SmolLM2-135M-Instruct.{variant}.gguf"
        if not path.exists():
            print(f"missing {path}: run scripts/prepare_infer_models.sh", file=sys.stderr)
            return 1
        llm = load(path, n_ctx=N_CTX_PPL)
        add_bos = bool(llama_cpp.llama_vocab_get_add_bos(llm._model.vocab))
        bos = llm.token_bos() if add_bos else None

        prompt_tokens = llm.tokenize(PROMPT.encode(), add_bos=True, special=True)
        chat_tokens = llm.tokenize(CHAT_PROMPT.encode(), add_bos=True, special=True)
        llm.reset()
        llm.eval(prompt_tokens)
        scores = np.array(llm.scores[: len(prompt_tokens)], dtype=np.float32)
        last = scores[-1]
        if variant in FULL_LOGITS:
            (OUT / f"smollm2_{variant.lower()}.last_logits.bin").write_bytes(
                last.astype("<f4").tobytes()
            )
        ppl_tokens = llm.tokenize(text.encode(), add_bos=True, special=False)
        fixture = {
            "generator": "scripts/gen_infer_fixtures.py",
            "llama_cpp_python": llama_cpp.__version__,
            "model": path.name,
            "kv_cache": "f32",
            "n_vocab": int(last.shape[0]),
            "prompt": PROMPT,
            "prompt_tokens": prompt_tokens,
            "argmax": [int(np.argmax(r)) for r in scores],
            "max_logit": [float(r.max()) for r in scores],
            "last_logits_mean": float(last.mean()),
            "last_logits_std": float(last.std()),
            "greedy": greedy(llm, prompt_tokens, N_GREEDY),
            "chat_user": CHAT_USER,
            "chat_tokens": chat_tokens,
            "chat_greedy": greedy(llm, chat_tokens, N_GREEDY),
            "ppl_text_tokens": ppl_tokens,
            "perplexity": perplexity(llm, ppl_tokens, N_CTX_PPL, bos),
        }
        del llm
        llm16 = load(path, n_ctx=N_CTX_PPL, kv_f32=False)
        fixture["perplexity_f16_kv"] = perplexity(llm16, ppl_tokens, N_CTX_PPL, bos)
        del llm16
        out = OUT / f"smollm2_{variant.lower()}.json"
        out.write_text(json.dumps(fixture, indent=1) + "\n")
        p = fixture["perplexity"]
        print(f"{variant}: PPL {p['ppl']:.4f} ± {p['ppl_err']:.5f} over {p['count']} tokens; "
              f"greedy {fixture['greedy'][:8]}...; wrote {out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
