#!/usr/bin/env bash
# Compiles the lessons in content/ into per-lesson bundles (target/content-bundles), which the
# trunk post_build hook copies into the build and the service worker precaches.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"
cargo run --quiet --release -p bitsmith-curriculum --features compile --bin compile-content -- \
    content "$BITSMITH_ROOT/target/content-bundles"
