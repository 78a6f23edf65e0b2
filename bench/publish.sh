#!/usr/bin/env bash
# `refuge publish` to a bucket: 10,000 generated articles (5,000 English,
# 5,000 Japanese, ~600 words each) sent to a local Garage (S3-compatible)
# on 127.0.0.1. Prints the time, objects and bytes of the first publish,
# of one with nothing changed, and of one after one article changed, and
# checks a page through Garage's website endpoint.
# Usage: bench/publish.sh [COUNT]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-10000}

build_release -p refuge-bench
BENCH="$ROOT/target/release/refuge-bench"

WORK=$(mktemp -d)
GARAGE_PID=""
trap '[ -n "$GARAGE_PID" ] && kill "$GARAGE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

start_garage "$WORK/garage"
echo "== generating $COUNT articles"
"$BENCH" gen "$WORK/data" "$COUNT"

publish() { # publish LABEL
  local start end
  start=$(date +%s.%N)
  "$BIN" publish s3://bench --endpoint "$GARAGE_ENDPOINT" --region garage \
    --base-url http://bench.web.garage.localhost:39902 --data "$WORK/data" >"$WORK/out" 2>"$WORK/err" \
    || { cat "$WORK/err" >&2; return 1; }
  end=$(date +%s.%N)
  printf "%-36s %7.2f s   " "$1" "$(echo "$end - $start" | bc -l)"
  # "Published N files to … in T s: U uploaded (B), K unchanged, D removed."
  sed -n 's/^Published \([0-9]*\) files to .* in [0-9.]* s: \(.*\)$/\1 objects in the copy; \2/p' "$WORK/out"
}

echo
publish "first publish"
publish "second publish (nothing changed)"
"$BENCH" touch "$WORK/data" >/dev/null
publish "one article changed"
echo
echo "store: $(du -sm "$WORK/garage/data" | cut -f1) MB in Garage"
code=$(curl -s -o /dev/null -w "%{http_code}" -H "Host: bench.web.garage.localhost" "$GARAGE_WEB/en/news/")
echo "website endpoint: /en/news/ answers $code"
