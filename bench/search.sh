#!/usr/bin/env bash
# Search at scale: 100,000 generated articles (half English, half Japanese,
# ~600 words each, deterministic seed). Prints index build time, index
# size, single-threaded query latency in process, then latency over HTTP
# with 32 concurrent connections (wrk) and the server's memory.
# Only ever targets 127.0.0.1. Usage: bench/search.sh [COUNT] [SECONDS]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-100000}
DURATION=${2:-10}
PORT=18183

need wrk wrk
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
"$BENCH" gen "$WORK/data" "$COUNT"
echo "== building the index and timing queries in process"
"$BENCH" search "$WORK/data" 1000

echo "== over HTTP: 32 connections, ${DURATION} s, the same 1,000 queries in turn"
REFUGE_SEARCH_PER_MINUTE=0 "$BIN" serve --no-demo --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$PORT
if grep -q "rebuilding the search index" "$WORK/refuge.log"; then
  echo "note: the server rebuilt the index at start" >&2
fi
cat >"$WORK/queries.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/data/queries.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
read -r RPS P99 BAD < <(wrk -t2 -c32 -d"${DURATION}s" --latency -s "$WORK/queries.lua" "http://127.0.0.1:$PORT" | wrk_summary)
echo "HTTP search: $RPS requests/s, p99 $P99 ms, non-2xx responses: $BAD"
echo "server RSS after the run: $(rss_detail $REFUGE_PID)"
