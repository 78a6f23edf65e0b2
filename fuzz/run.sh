#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) with cargo-fuzz on
# the nightly toolchain, installing what is missing. Crashes are saved
# under fuzz/artifacts/TARGET/ and make the script fail.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(markdown legacy_html search_query form)

rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# Seeds: the legacy-site fixtures for the importer.
mkdir -p fuzz/corpus/legacy_html
cp -n crates/refuge/tests/fixtures/legacy-site/*/*.html fuzz/corpus/legacy_html/ 2>/dev/null || true

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for target in "${TARGETS[@]}"; do
  echo "== fuzzing $target for ${SECONDS_EACH} s"
  if ! cargo +nightly fuzz run "$target" -- -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 >"$LOG" 2>&1; then
    tail -40 "$LOG" >&2
    echo "fuzz target $target failed: see above and fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs" "$LOG" | tail -1
done
