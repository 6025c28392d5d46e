#!/usr/bin/env bash
# Builds the web app into dist/ (release, offline: trunk uses the tools setup.sh installed).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"
cargo fetch --quiet
if [[ -f curriculum/Cargo.toml ]]; then
    scripts/build_content.sh
fi
trunk build --release --offline
