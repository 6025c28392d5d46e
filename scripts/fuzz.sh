#!/usr/bin/env bash
# Fuzzes the engine's file parsers with cargo-fuzz (libFuzzer), each target for a bounded time.
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh gguf_parse
#
# Env: FUZZ_SECONDS (per target, default 60), FUZZ_JOBS (parallel jobs per target, default 1).
# Seeds each target's corpus with the small test fixtures. Any crash, OOM, leak or timeout input
# is copied to engine/tests/fixtures/fuzz_regressions/<target>/ (replayed by
# engine/tests/fuzz_regressions.rs on stable) and the script exits non-zero.
# Needs the nightly toolchain and cargo-fuzz; both are installed through rustup/crates.io if
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${FUZZ_SECONDS:-60}"
JOBS="${FUZZ_JOBS:-1}"
ALL=(gguf_parse gguf_stream safetensors_parse imatrix_parse)
TARGETS=("$@")
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=("${ALL[@]}")

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo +stable install cargo-fuzz --locked

FIX=engine/tests/fixtures
seed() {
    local target=$1 dir=fuzz/corpus/$1
    mkdir -p "$dir"
    case $target in
        gguf_parse|gguf_stream)
            find "$FIX/safetensors" "$FIX/gguf" -name '*.gguf' -size -100k -exec cp {} "$dir/" \; ;;
        safetensors_parse)
            find "$FIX/safetensors" -name '*.safetensors' -size -100k | while read -r f; do
                cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done ;;
        imatrix_parse)
            cp "$FIX"/gguf/imatrix/*.dat "$FIX"/gguf/imatrix/*.gguf "$dir/" ;;
    esac
    # Earlier crashes are seeds too.
    if [[ -d $FIX/fuzz_regressions/$target ]]; then
        cp "$FIX/fuzz_regressions/$target"/* "$dir/" 2>/dev/null || true
    fi
}

status=0
for t in "${TARGETS[@]}"; do
    seed "$t"
    echo "== fuzzing $t for ${SECS}s"
    par=()
    [[ $JOBS -gt 1 ]] && par=(-jobs="$JOBS" -workers="$JOBS")
    if ! cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
            -max_total_time="$SECS" "${par[@]}" -rss_limit_mb=2048 \
            -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1; then
        status=1
    fi
    shopt -s nullglob
    found=(fuzz/artifacts/"$t"/{crash,oom,leak,timeout,slow-unit}-*)
    shopt -u nullglob
    if [[ ${#found[@]} -gt 0 ]]; then
        mkdir -p "$FIX/fuzz_regressions/$t"
        cp "${found[@]}" "$FIX/fuzz_regressions/$t/"
        echo "!! $t: ${#found[@]} failing input(s) copied to $FIX/fuzz_regressions/$t/"
        status=1
    fi
done
exit $status
