#!/usr/bin/env bash
# Benchmark (not a test): `bitsmith quantize --threads 1` (release build) vs llama.cpp's
# `llama_model_quantize` (nthread=1) on F32 SmolLM2-135M, for Q8_0, Q4_0, Q4_K (--pure),
# Q6_K and the Q4_K_M preset. Prints one table: type, bitsmith s, llama.cpp s, ratio (medians).
#
# Usage: scripts/bench_quantize.sh [RUNS]        (default 3)
# Needs: the SmolLM2 Q4_1 GGUF (scripts/fetch_test_models.sh) and llama_cpp
# (scripts/build_llama_wheel.sh). The F32 model is made with `bitsmith dequantize` once and
# kept in $BENCH_DIR (default target/bench).
set -euo pipefail

RUNS="${1:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${BITSMITH_PYTHON:-python3}"
MODELS="${BITSMITH_MODELS:-$HOME/.cache/bitsmith/models}"
MODEL="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"

if [[ ! -s "$MODEL" ]]; then
    echo "bench_quantize: $MODEL missing; run scripts/fetch_test_models.sh" >&2
    exit 2
fi
if ! "$PY" -c 'import llama_cpp, gguf' 2>/dev/null; then
    echo "bench_quantize: llama_cpp not importable; run scripts/build_llama_wheel.sh" >&2
    exit 2
fi

cd "$ROOT"
cargo build --release -p bitsmith-engine --bin bitsmith
BIN="$ROOT/target/release/bitsmith"

mkdir -p "$BENCH_DIR"
F32="$BENCH_DIR/SmolLM2-135M-Instruct.F32.gguf"
if [[ ! -s "$F32" ]]; then
    "$BIN" dequantize "$MODEL" "$F32" f32
fi

"$PY" "$ROOT/scripts/bench_quantize.py" --bitsmith "$BIN" --f32 "$F32" --workdir "$BENCH_DIR" --runs "$RUNS"
