#!/usr/bin/env bash
# The wasm-bindgen tests, compiled for wasm32-unknown-unknown and run in headless Chromium.
#
# Each entry of TESTS is `package:test`, one integration test file (`<crate>/tests/<test>.rs`)
# run with `cargo test -p <package> --target wasm32-unknown-unknown --test <test>`. Always one
# named test: with no `--test`, cargo would also build the crate's native-only tests (which read
# files, use proptest, ...) for wasm32. The browser flags come from the `webdriver.json` beside
# each crate's Cargo.toml (the runner looks for it in the working directory cargo gives it).
#
# Usage: scripts/test_wasm.sh [package:test ...]   (default: every entry of TESTS)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"

TESTS=(
    # Every quantizer byte-identical to llama.cpp in the browser (engine/tests/wasm_quant.rs).
    bitsmith-engine:wasm_quant
    # The SIMD lanes of the fast quantizers byte-identical to the scalar reference (simd128).
    bitsmith-engine:wasm_quant_fast
    # Every simd128 vec_dot against the scalar reference (engine/tests/infer_vec_dot.rs).
    bitsmith-engine:infer_vec_dot
    # The app's IndexedDB store and model library against real IndexedDB.
    bitsmith-app:wasm_store
    bitsmith-app:wasm_library
    # Every WGSL kernel against the engine's scalar reference in SwiftShader WebGPU
    # (gpu/tests/wasm_kernels.rs).
    bitsmith-gpu:wasm_kernels
)

if [[ $# -gt 0 ]]; then
    TESTS=("$@")
fi

# wasm-bindgen-test-runner (the version Cargo.lock resolves; scripts/setup.sh installs it)
# drives Debian's chromium through chromedriver.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# The runner's own time-out per test file, in seconds (its default, 20, is short for the
# debug-built wasm on a busy machine).
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"

for tool in wasm-bindgen-test-runner "$CHROMEDRIVER"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done

failed=()
for entry in "${TESTS[@]}"; do
    package="${entry%%:*}"
    test="${entry#*:}"
    if [[ -z "$package" || -z "$test" || "$package" == "$entry" ]]; then
        echo "bad entry '$entry': expected package:test" >&2
        exit 2
    fi
    printf '\n== wasm: %s --test %s\n' "$package" "$test"
    # No `-q`: the runner parses the harness's normal output.
    if ! cargo test -p "$package" --target wasm32-unknown-unknown --test "$test"; then
        failed+=("$entry")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "wasm tests failed: ${failed[*]}" >&2
    exit 1
fi
echo "wasm tests passed: ${TESTS[*]}"
