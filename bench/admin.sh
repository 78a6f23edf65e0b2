#!/usr/bin/env bash
# The back office's item lists at scale: COUNT generated articles (half
# English, half Japanese), then each list an editor uses timed in process
# (filters, sorting, and the text search, which scans titles, summaries
# and texts). Usage: bench/admin.sh [COUNT]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-100000}
build_release -p refuge-bench
BENCH="$ROOT/target/release/refuge-bench"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== generating $COUNT articles"
"$BENCH" gen "$WORK/data" "$COUNT"
echo "== timing the lists"
"$BENCH" admin "$WORK/data"
