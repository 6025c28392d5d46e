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
    # The real SmolLM2 Q4_1 model (fetched from the model server below) on the simd128 CPU
    # path against llama.cpp's fixture: tokens, prompt logits, 32-token greedy generation,
    # perplexity (engine/tests/wasm_infer.rs).
    bitsmith-engine:wasm_infer
    # The same model's logits on SwiftShader WebGPU (GpuLlama) against the CPU path's in the
    # same page (gpu/tests/wasm_llama.rs).
    bitsmith-gpu:wasm_llama
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

# The model server. wasm-bindgen-test-runner serves only the test bundle, so the tests that
# need a real model (wasm_infer, wasm_llama) fetch it from here: $BITSMITH_MODELS over HTTP on
# 127.0.0.1 and a port the OS picks, with `Access-Control-Allow-Origin: *` because the test
# page is another origin. Its URL is compiled into the tests (`option_env!`); once given it, a
# test fails, rather than skips, when the fetch fails. Without the directory no URL is set
# and those tests print a notice and pass, as the native ones do without models.
if [[ -d "$BITSMITH_MODELS" ]]; then
    port_file="$(mktemp)"
    python3 - "$BITSMITH_MODELS" "$port_file" <<'PY' &
import functools
import http.server
import os
import sys

models, port_file = sys.argv[1], sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, *args):
        pass  # one line per request would bury the test output


server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(Handler, directory=models)
)
# Written then renamed, so the shell never reads a half-written port.
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
PY
    model_server_pid=$!
    trap 'kill "$model_server_pid" 2>/dev/null || true; rm -f "$port_file"' EXIT
    for _ in $(seq 100); do
        [[ -s "$port_file" ]] && break
        kill -0 "$model_server_pid" 2>/dev/null || { echo "the model server failed to start" >&2; exit 1; }
        sleep 0.1
    done
    [[ -s "$port_file" ]] || { echo "the model server did not report its port" >&2; exit 1; }
    export BITSMITH_MODEL_URL="http://127.0.0.1:$(cat "$port_file")"
    echo "serving $BITSMITH_MODELS at $BITSMITH_MODEL_URL"
else
    unset BITSMITH_MODEL_URL
    echo "NOTICE: $BITSMITH_MODELS is missing: the real-model browser tests will skip" >&2
fi

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
