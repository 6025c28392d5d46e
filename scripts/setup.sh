#!/usr/bin/env bash
# Installs whatever is missing for Bitsmith, from the package registries only. Idempotent: each
# step checks first and does nothing when its tool is already there at the pinned version.
#
#   scripts/setup.sh app     what building and serving the app needs
#   scripts/setup.sh test    all of that, plus what the test suite needs (the llama.cpp
#                            reference built from PyPI, the SmolLM2 test model)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"
PART="${1:-test}"

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
SUDO=""
[[ "$(id -u)" -eq 0 ]] || SUDO="sudo"

# --- Debian packages ---------------------------------------------------------------------
APT=(chromium chromium-driver mesa-vulkan-drivers python3 python3-venv python3-pip nodejs npm
     build-essential cmake git pkg-config ca-certificates)
missing=()
for p in "${APT[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine may have node/python from elsewhere (e.g. pyenv, nodesource): accept those.
filtered=()
for p in "${missing[@]}"; do
    case "$p" in
        nodejs|npm) command -v node >/dev/null && command -v npm >/dev/null && continue ;;
        python3|python3-pip) command -v python3 >/dev/null && continue ;;
        python3-venv) python3 -c 'import venv, ensurepip' 2>/dev/null && continue ;;
        cmake|git|pkg-config) command -v "$p" >/dev/null && continue ;;
    esac
    filtered+=("$p")
done
if ((${#filtered[@]})); then
    log "installing Debian packages: ${filtered[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${filtered[@]}"
fi

# --- Rust: the pinned toolchain with its wasm32 target (rust-toolchain.toml) -------------
command -v rustup >/dev/null || { echo "setup: rustup is required (stock Rust install)"; exit 1; }
rustup toolchain install >/dev/null 2>&1 || cargo --version >/dev/null
rustc --version | grep -q "$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)" \
    || { echo "setup: the pinned toolchain did not install"; exit 1; }

# --- trunk and wasm-bindgen at pinned versions (trunk must never download its own) ------
TRUNK_VERSION=0.22.1
if [[ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]]; then
    log "building trunk $TRUNK_VERSION (≈ 10–25 min on 2 cores, once per machine)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
fi
WBG_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WBG_VERSION" ]]; then
    log "building wasm-bindgen-cli $WBG_VERSION (the version Cargo.lock resolves)"
    # Not --locked: its lock file pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

# --- npm: wasm-opt (binaryen), playwright-core, axe-core, from the lock file ---------------
if [[ ! -f tests/node_modules/.package-lock.json || tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
    log "installing the test harness's npm packages (tests/package-lock.json)"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
fi
wasm-opt --version | grep -q "version 132" || { echo "setup: wasm-opt 132 missing"; exit 1; }

[[ "$PART" == "app" ]] && { log "app tools ready"; exit 0; }

# --- Python venv with the llama.cpp reference (built once into a cached wheel) ------------
if [[ ! -x "$BITSMITH_PYTHON" ]]; then
    log "creating the Python venv at $BITSMITH_VENV"
    python3 -m venv "$BITSMITH_VENV"
fi
BITSMITH_PYTHON="$BITSMITH_PYTHON" scripts/build_llama_wheel.sh

# --- real model for tests and the demo ------------------------------------------------------
scripts/fetch_test_models.sh
log "test tools ready"
