#!/usr/bin/env bash
# README command (a): install what is missing, build the app, serve it on http://127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$BITSMITH_ROOT"
scripts/setup.sh app
scripts/build.sh
scripts/demo_model.sh   # SmolLM2-135M beside the app: the workbench's local demo model
echo "Bitsmith: serving on http://127.0.0.1:8080 (Ctrl-C to stop)"
exec python3 scripts/serve.py dist --port "${PORT:-8080}"
