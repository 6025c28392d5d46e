#!/usr/bin/env bash
# Inference speed benchmark (not a test): bitsmith vs llama.cpp (llama-cpp-python), one thread
# each, on SmolLM2-135M-Instruct Q4_1 / Q8_0 / Q4_K_M, with the machine's memory bandwidth and
# the decode roofline. See scripts/bench_infer.py for what is measured and how.
#
# With --browser, also the engine compiled to wasm (simd128) in headless Chromium against wllama
# (npm @wllama/wllama, llama.cpp in wasm, single-thread) on the same files (bench/wasm-infer).
#
# Usage: scripts/bench_infer.sh [--reps N] [--json] [--browser]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"

scripts/prepare_infer_models.sh
cargo build --quiet --release -p bitsmith-engine --bin bitsmith
ARGS=()
for a in "$@"; do
    if [[ "$a" == --browser ]]; then
        # bench/wasm-infer is its own cargo workspace; .cargo/config.toml turns on simd128.
        (cd bench/wasm-infer && npm ci --no-audit --no-fund --silent \
            && cargo build --quiet --release --target wasm32-unknown-unknown)
        wasm-bindgen --target web --no-typescript --out-dir bench/wasm-infer/www/pkg \
            "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/bitsmith_bench_wasm_infer.wasm"
        ARGS+=(--browser-runner bench/wasm-infer/run.mjs)
    else
        ARGS+=("$a")
    fi
done
BITSMITH_BIN="$CARGO_TARGET_DIR/release/bitsmith" "$BITSMITH_PYTHON" scripts/bench_infer.py "${ARGS[@]}"
