#!/usr/bin/env bash
# Before a long test run: clear what earlier, interrupted runs left in the temp folder, then say
# how much disk is free and stop early, with a clear message, when it is too little. A full
# disk otherwise shows up twenty minutes later as a confusing browser-test failure.
set -euo pipefail
source "$(dirname "$0")/env.sh"
tmp="${TMPDIR:-/tmp}"
# Our own e2e profiles and scratch folders, and Chromium's download folders, older than two
# hours: no live run of ours is that old at its start.
find "$tmp" -maxdepth 1 -mmin +120 \( -name 'bitsmith-*' -o -name 'org.chromium.Chromium.*' -o -name 'playwright-artifacts-*' \) \
  -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$CARGO_TARGET_DIR"
free_mib() { df -Pm "$1" | awk 'NR==2 { print $4 }'; }
min_mib="${BITSMITH_MIN_FREE_MIB:-3072}"
for dir in "$CARGO_TARGET_DIR" "$tmp"; do
  free=$(free_mib "$dir")
  echo "free disk at $dir: $((free / 1024)) GiB"
  if [ "$free" -lt "$min_mib" ]; then
    echo "error: only ${free} MiB free at $dir; the tests need about ${min_mib} MiB (build outputs, browser profiles holding model files)." >&2
    echo "       free some space (an old target folder, say) and run again." >&2
    exit 1
  fi
done
