#!/usr/bin/env bash
# Writes and the change feed: COUNT generated articles (default 10,000),
# then SAVES editor saves made by another process (refuge-bench, its own
# database connection) while the server runs: the save's latency, and how
# long until the server's cached page shows the change (the change feed is
# read twice a second; each save here follows the last one seen, so the
# wait is close to the whole half second, not its average).
#
# DB=postgres runs the same on PostgreSQL (a throw-away server started
# here, with fsync on, as in production): the articles are moved there with
# `refuge db copy`, TWO servers share the database, and the time is how
# long a save takes to reach the second server's cached page.
# Only ever targets 127.0.0.1. Usage: [DB=postgres] bench/changes.sh [COUNT] [SAVES]
source "$(dirname "$0")/lib.sh"

COUNT=${1:-10000}
SAVES=${2:-100}
PORT=18184
DB=${DB:-sqlite}

need curl curl
build_release -p refuge-bench
BENCH="$ROOT/target/release/refuge-bench"

WORK=$(mktemp -d)
chmod 755 "$WORK"
cleanup() {
  for pid in ${REFUGE_PID:-} ${OTHER_PID:-}; do kill "$pid" 2>/dev/null || true; done
  [ "$DB" = postgres ] && stop_postgres "$WORK/pg"
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generating $COUNT articles"
"$BENCH" gen "$WORK/data" "$COUNT" | tail -1
if [ "$DB" = postgres ]; then
  URL=$(start_postgres "$WORK/pg" 18185)
  echo "== moving them to PostgreSQL ($URL)"
  "$BIN" db copy "$URL" --data "$WORK/data" | tail -1
  export REFUGE_DATABASE_URL=$URL
  echo "== saves alone (no server)"
  "$BENCH" writes "$WORK/data" "$SAVES"
  echo "== saves by another process while two servers run; shown by the second"
  "$BIN" serve --no-demo --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
  REFUGE_PID=$!
  mkdir -p "$WORK/data2"
  "$BIN" serve --no-demo --data "$WORK/data2" --addr 127.0.0.1:$((PORT + 2)) >"$WORK/refuge2.log" 2>&1 &
  OTHER_PID=$!
  wait_healthy 127.0.0.1:$PORT
  wait_healthy 127.0.0.1:$((PORT + 2))
  "$BENCH" writes "$WORK/data" "$SAVES" "http://127.0.0.1:$((PORT + 2))"
  echo "second server RSS after the run: $(rss_detail $OTHER_PID)"
else
  echo "== saves alone (no server)"
  "$BENCH" writes "$WORK/data" "$SAVES"
  echo "== saves by another process while the server runs"
  "$BIN" serve --no-demo --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
  REFUGE_PID=$!
  wait_healthy 127.0.0.1:$PORT
  "$BENCH" writes "$WORK/data" "$SAVES" "http://127.0.0.1:$PORT"
  echo "server RSS after the run: $(rss_detail $REFUGE_PID)"
fi
