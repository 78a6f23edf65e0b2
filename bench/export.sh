#!/usr/bin/env bash
# Static export against Hugo: 10,000 generated articles (5,000 English,
# 5,000 Japanese, ~600 words each), exported by `refuge export` and built
# by Debian's `hugo` from the same articles with simple templates, in the
# same run. Prints wall time and peak memory of each, then a second
# (incremental) export after one article changed.
# Usage: [REFUGE_BIN=… REFUGE_BENCH=…] bench/export.sh [COUNT]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-10000}

need hugo hugo
# REFUGE_BENCH names the refuge-bench of the same build as REFUGE_BIN
# (a corpus written by a newer build is refused by an older refuge).
if [ -n "${REFUGE_BENCH:-}" ]; then BENCH=$REFUGE_BENCH; else
  build_release -p refuge-bench
  BENCH="$ROOT/target/release/refuge-bench"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# peak RSS (MB) and wall seconds of a command, from GNU time
measure() { # measure LABEL COMMAND...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }
  read -r SECS KB <"$WORK/time"
  printf "%-34s %7.2f s  %7.1f MB peak\n" "$label" "$SECS" "$(echo "$KB / 1024" | bc -l)"
}

echo "== generating $COUNT articles"
"$BENCH" gen "$WORK/data" "$COUNT"
"$BENCH" hugo "$WORK/data" "$WORK/hugo-site"
hugo version | head -1
echo
measure "refuge export (first)" "$BIN" export "$WORK/mirror" --data "$WORK/data"
tail -1 "$WORK/out"
echo "  files: $(find "$WORK/mirror" -type f | wc -l), $(du -sm "$WORK/mirror" | cut -f1) MB"
measure "hugo (same articles)" hugo --quiet -s "$WORK/hugo-site" -d "$WORK/hugo-public"
echo "  files: $(find "$WORK/hugo-public" -type f | wc -l), $(du -sm "$WORK/hugo-public" | cut -f1) MB"
measure "refuge export (nothing changed)" "$BIN" export "$WORK/mirror" --data "$WORK/data"
tail -1 "$WORK/out"
"$BENCH" touch "$WORK/data" >/dev/null
measure "refuge export (one article changed)" "$BIN" export "$WORK/mirror" --data "$WORK/data"
tail -1 "$WORK/out"
measure "refuge export --precompress (fresh)" "$BIN" export "$WORK/mirror-z" --precompress --data "$WORK/data"
tail -1 "$WORK/out"
