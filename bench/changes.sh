#!/usr/bin/env bash
# Writes and the change feed: COUNT generated articles (default 10,000),
# then SAVES editor saves made by another process (refuge-bench, its own
# database connection) while the server runs: the save's latency, and how
# long until the server's cached page shows the change (the change feed is
# read twice a second; each save here follows the last one seen, so the
# wait is close to the whole half second, not its average).
# Only ever targets 127.0.0.1. Usage: bench/changes.sh [COUNT] [SAVES]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-10000}
SAVES=${2:-100}
PORT=18184

need curl curl
build_release -p refuge-bench
BENCH="$ROOT/target/release/refuge-bench"

WORK=$(mktemp -d)
cleanup() {
  [ -n "${REFUGE_PID:-}" ] && kill "$REFUGE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generating $COUNT articles"
"$BENCH" gen "$WORK/data" "$COUNT" | tail -1
echo "== saves alone (no server)"
"$BENCH" writes "$WORK/data" "$SAVES"
echo "== saves by another process while the server runs"
"$BIN" serve --no-demo --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$PORT
"$BENCH" writes "$WORK/data" "$SAVES" "http://127.0.0.1:$PORT"
echo "server RSS after the run: $(rss_detail $REFUGE_PID)"
