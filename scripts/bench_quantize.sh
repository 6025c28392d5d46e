#!/usr/bin/env bash
# Benchmark (not a test): `bitsmith quantize --threads 1` (release build) and the engine in
# WebAssembly (simd128) in headless Chromium, vs llama.cpp's `llama_model_quantize`
# (nthread=1) on F32 SmolLM2-135M, for Q8_0, Q4_0, Q4_K (--pure), Q6_K and the Q4_K_M preset.
# Prints one table of medians: wall and CPU seconds, speed relative to llama.cpp, and whether
# the output files are identical to llama.cpp's (details in scripts/bench_quantize.py).
#
# Usage: scripts/bench_quantize.sh [RUNS] [--no-wasm]      (default 5 runs)
# Needs: the SmolLM2 Q4_1 GGUF (scripts/fetch_test_models.sh) and llama_cpp
# (scripts/build_llama_wheel.sh); for the wasm column also wasm-bindgen, node, the e2e
# node_modules (tests/, playwright-core) and chromium (scripts/setup.sh). The F32 model is made
# with `bitsmith dequantize` once and kept in $BENCH_DIR (default target/bench).
set -euo pipefail

RUNS=5
WASM=1
for arg in "$@"; do
    case "$arg" in
        --no-wasm) WASM=0 ;;
        *[!0-9]* | "") echo "usage: $0 [RUNS] [--no-wasm]" >&2; exit 2 ;;
        *) RUNS="$arg" ;;
    esac
done
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/env.sh"
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
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/bitsmith"

mkdir -p "$BENCH_DIR"
F32="$BENCH_DIR/SmolLM2-135M-Instruct.F32.gguf"
if [[ ! -s "$F32" ]]; then
    "$BIN" dequantize "$MODEL" "$F32" f32
fi

WASM_ARGS=()
if [[ "$WASM" == 1 ]]; then
    # bench/wasm-quant is its own cargo workspace (kept out of the app's); the repository's
    # .cargo/config.toml turns on simd128 for wasm32 builds.
    (cd "$ROOT/bench/wasm-quant" && cargo build --release --target wasm32-unknown-unknown)
    wasm-bindgen --target web --no-typescript --out-dir "$ROOT/bench/wasm-quant/www/pkg" \
        "${CARGO_TARGET_DIR:-$ROOT/bench/wasm-quant/target}/wasm32-unknown-unknown/release/bitsmith_bench_wasm.wasm"
    WASM_ARGS=(--wasm-runner "$ROOT/bench/wasm-quant/run.mjs")
fi

"$PY" "$ROOT/scripts/bench_quantize.py" --bitsmith "$BIN" --f32 "$F32" --workdir "$BENCH_DIR" \
    --runs "$RUNS" "${WASM_ARGS[@]}"
