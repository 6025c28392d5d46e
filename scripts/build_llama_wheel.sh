#!/usr/bin/env bash
# Builds and installs the llama.cpp reference that the interop test and the quantization
# benchmark compare against: llama-cpp-python 0.3.36, compiled from its sdist (llama.cpp inside).
#
# Idempotent:
#   - the wheel is built into $BITSMITH_WHEELS (default ~/.cache/bitsmith/wheels) only when no
#     llama_cpp_python-0.3.36 wheel is there yet (a build takes ~15 min on 2 cores); a lock
#     keeps two concurrent runs from building twice, and a failed build leaves no wheel behind;
#   - it is pip-installed (with its runtime deps, plus gguf and numpy for the comparison
#     scripts) only when `import llama_cpp` does not already give version 0.3.36.
#
# The CPU flags are fixed (no -march=native) so the library behaves the same on every x86-64
# machine with AVX-512; quantization itself lives in ggml-base, which these flags do not touch.
set -euo pipefail

VERSION=0.3.36
WHEEL_DIR="${BITSMITH_WHEELS:-$HOME/.cache/bitsmith/wheels}"
PY="${BITSMITH_PYTHON:-python3}"
CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF"

mkdir -p "$WHEEL_DIR"

have_wheel() {
    compgen -G "$WHEEL_DIR/llama_cpp_python-$VERSION-*.whl" > /dev/null
}

if have_wheel; then
    echo "build_llama_wheel: wheel already in $WHEEL_DIR"
else
    exec 9> "$WHEEL_DIR/.llama-build.lock"
    echo "build_llama_wheel: waiting for the build lock"
    flock 9
    # Another run may have finished the build while we waited.
    if have_wheel; then
        echo "build_llama_wheel: wheel built by a concurrent run"
    else
        tmp="$(mktemp -d "$WHEEL_DIR/.build.XXXXXX")"
        trap 'rm -rf "$tmp"' EXIT
        echo "build_llama_wheel: building llama-cpp-python==$VERSION (CMAKE_ARGS=$CMAKE_FLAGS)"
        CMAKE_ARGS="$CMAKE_FLAGS" \
        CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
            "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python \
            "llama-cpp-python==$VERSION" -w "$tmp"
        mv "$tmp"/llama_cpp_python-"$VERSION"-*.whl "$WHEEL_DIR"/
        echo "build_llama_wheel: wheel written to $WHEEL_DIR"
    fi
    flock -u 9
fi

installed="$("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)' 2>/dev/null || true)"
if [[ "$installed" == "$VERSION" ]]; then
    echo "build_llama_wheel: llama_cpp $VERSION already installed"
else
    "$PY" -m pip install --no-index --no-deps --find-links "$WHEEL_DIR" "llama-cpp-python==$VERSION"
fi
# Runtime deps of llama-cpp-python, and the readers the comparison scripts use. Already
# satisfied requirements make this a quick no-op.
"$PY" -m pip install --quiet numpy typing-extensions diskcache jinja2 gguf
"$PY" -c 'import llama_cpp, gguf, numpy; print("build_llama_wheel: ok, llama_cpp", llama_cpp.__version__)'
