#!/usr/bin/env bash
# Makes the SmolLM2-135M-Instruct variants that the inference tests (engine/tests/infer_*.rs),
# their fixtures (scripts/gen_infer_fixtures.py) and the benchmark (scripts/bench_infer.sh) use,
# next to the shipped Q4_1 file in $BITSMITH_MODELS (default ~/.cache/bitsmith/models):
#
#   SmolLM2-135M-Instruct.F32.gguf     bitsmith dequantize Q4_1 -> F32 (the "base" model)
#   SmolLM2-135M-Instruct.Q8_0.gguf    bitsmith quantize F32 -> Q8_0
#   SmolLM2-135M-Instruct.Q4_K_M.gguf  bitsmith quantize F32 -> Q4_K_M
#
# All with the `bitsmith` CLI (whose quantizer is byte-identical to llama-quantize, see
# engine/tests/interop_smollm2.rs). Idempotent: files already present are kept; each is written
# to a temporary name first so an interrupted run leaves nothing half-written behind.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"

M="$BITSMITH_MODELS"
BASE="$M/SmolLM2-135M-Instruct"
if [[ ! -s "$BASE.Q4_1.gguf" ]]; then
    scripts/fetch_test_models.sh
fi

bitsmith() { cargo run --quiet --release -p bitsmith-engine --bin bitsmith -- "$@"; }

# make OUT CMD ARGS...: runs `bitsmith CMD ARGS... OUT.partial TYPE` unless OUT exists.
make_variant() {
    local out="$1" cmd="$2" input="$3" ty="$4"
    if [[ -s "$out" ]]; then
        echo "prepare_infer_models: $out already present"
        return
    fi
    bitsmith "$cmd" "$input" "$out.partial" "$ty" >/dev/null
    mv "$out.partial" "$out"
    echo "prepare_infer_models: wrote $out"
}

make_variant "$BASE.F32.gguf" dequantize "$BASE.Q4_1.gguf" f32
make_variant "$BASE.Q8_0.gguf" quantize "$BASE.F32.gguf" Q8_0
make_variant "$BASE.Q4_K_M.gguf" quantize "$BASE.F32.gguf" Q4_K_M
