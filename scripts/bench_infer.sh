#!/usr/bin/env bash
# Inference speed benchmark (not a test): bitsmith vs llama.cpp (llama-cpp-python), one thread
# each, on SmolLM2-135M-Instruct Q4_1 / Q8_0 / Q4_K_M, with the machine's memory bandwidth and
# the decode roofline. See scripts/bench_infer.py for what is measured and how.
#
# Usage: scripts/bench_infer.sh [--reps N] [--json]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"

scripts/prepare_infer_models.sh
cargo build --quiet --release -p bitsmith-engine --bin bitsmith
BITSMITH_BIN="$CARGO_TARGET_DIR/release/bitsmith" python3 scripts/bench_infer.py "$@"
