#!/usr/bin/env bash
# README command (b): every test. CI (.ci/run) runs exactly this.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "disk"
scripts/disk_check.sh
# One temp folder for the whole run (browser profiles, Chromium's download folders, test
# scratch files), removed when the run ends however it ends: runs leave no gigabytes behind.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/bitsmith-run-XXXXXX")"
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR="$run_tmp"

step "set-up"
scripts/setup.sh test

step "format"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "clippy (wasm32)"
cargo clippy --workspace --target wasm32-unknown-unknown --lib --bins --quiet -- -D warnings

step "native tests (workspace)"
cargo test --workspace --no-fail-fast

step "wasm tests in headless Chromium"
scripts/test_wasm.sh

step "build the app"
scripts/build.sh

step "size report"
python3 scripts/size_report.py dist

step "end-to-end tests in headless Chromium"
(cd tests && node --test --test-concurrency=1 e2e/)
