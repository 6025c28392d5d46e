# Sourced by the project's scripts: one place for the paths every step shares.
# Caches live under ~/.cache/bitsmith so a fresh checkout on the same machine reuses them.
BITSMITH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BITSMITH_ROOT
export BITSMITH_CACHE="${BITSMITH_CACHE:-$HOME/.cache/bitsmith}"
export BITSMITH_WHEELS="${BITSMITH_WHEELS:-$BITSMITH_CACHE/wheels}"
export BITSMITH_MODELS="${BITSMITH_MODELS:-$BITSMITH_CACHE/models}"
export BITSMITH_VENV="${BITSMITH_VENV:-$BITSMITH_CACHE/venv}"
export BITSMITH_PYTHON="$BITSMITH_VENV/bin/python3"
# One build directory for every checkout on this machine: a clean clone (CI) reuses compiled
# dependencies instead of rebuilding wgpu and friends from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BITSMITH_CACHE/target}"
# No incremental caches: they doubled the build folder (5 GB) for little gain on a full run.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Tools from npm (wasm-opt) and the Python venv (llama.cpp reference) come first on PATH;
# cargo-installed tools (trunk, wasm-bindgen) live in ~/.cargo/bin.
export PATH="$BITSMITH_ROOT/tests/node_modules/.bin:$BITSMITH_VENV/bin:$HOME/.cargo/bin:$PATH"
# Never let playwright fetch a browser: the tests use Debian's /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
