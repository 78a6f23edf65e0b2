#!/usr/bin/env bash
# Soak: mixed reader traffic (pages from the sitemap, searches in English
# and Japanese, feeds) against the demo site on 127.0.0.1, first flat out
# for 10 s to find the peak, then at 80 % of it for MINUTES (default 10),
# reported minute by minute: requests/s, p99, errors, server RSS.
# Only ever targets 127.0.0.1 and stops by itself.
# Usage: bench/soak.sh [MINUTES]
source "$(dirname "$0")/lib.sh"

MINUTES=${1:-10}
PORT=18184
need wrk wrk
need curl curl
build_release

WORK=$(mktemp -d)
cleanup() {
  [ -n "${REFUGE_PID:-}" ] && kill "$REFUGE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

REFUGE_SEARCH_PER_MINUTE=0 "$BIN" serve --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$PORT

# The mix: every page in the sitemap, feeds, and searches.
curl -fsS "http://127.0.0.1:$PORT/sitemap.xml" | grep -o '<loc>[^<]*</loc>' | sed -E 's|<loc>https?://[^/]+||; s|</loc>||' >"$WORK/paths"
for lang in en ja; do echo "/$lang/feed.xml" >>"$WORK/paths"; done
for q in refugees detention appeal shelter 'forced+return' %E9%9B%A3%E6%B0%91 %E5%BC%B7%E5%88%B6%E9%80%81%E9%82%84 %E6%94%AF%E6%8F%B4; do
  echo "/en/search/?q=$q" >>"$WORK/paths"
  echo "/ja/search/?q=$q" >>"$WORK/paths"
done
echo "mix: $(wc -l <"$WORK/paths") paths (pages, feeds, searches)"

script() { # script DELAY_MS
  cat >"$WORK/mix.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/paths") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Accept-Encoding"] = "br, gzip" })
end
delay = function() return $1 end
LUA
}

CONNECTIONS=32
script 0
read -r PEAK P99 BAD < <(wrk -t2 -c$CONNECTIONS -d10s --latency -s "$WORK/mix.lua" "http://127.0.0.1:$PORT" | wrk_summary)
echo "peak: $PEAK requests/s, p99 $P99 ms, errors $BAD"
TARGET=$(echo "$PEAK * 0.8" | bc -l)
DELAY=$(echo "$CONNECTIONS * 1000 / $TARGET" | bc -l | xargs printf "%.2f")
script "$DELAY"
echo "soak at 80 % (~$(printf %.0f "$TARGET") requests/s) for $MINUTES minutes"
echo "server RSS at start: $(rss_mb $REFUGE_PID) MB"
TOTAL_BAD=0
for minute in $(seq 1 "$MINUTES"); do
  read -r RPS P99 BAD < <(wrk -t2 -c$CONNECTIONS -d60s --latency -s "$WORK/mix.lua" "http://127.0.0.1:$PORT" | wrk_summary)
  TOTAL_BAD=$((TOTAL_BAD + BAD))
  printf "minute %2d: %8.0f requests/s  p99 %6.2f ms  errors %s  RSS %s MB\n" "$minute" "$RPS" "$P99" "$BAD" "$(rss_mb $REFUGE_PID)"
done
echo "server RSS at end: $(rss_mb $REFUGE_PID) MB; errors in total: $TOTAL_BAD"
[ "$TOTAL_BAD" = 0 ]
