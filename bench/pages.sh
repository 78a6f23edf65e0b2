#!/usr/bin/env bash
# Article page throughput: refuge vs nginx serving the same bytes.
#
# Builds release, starts refuge on a fresh demo data folder, measures an
# article page with wrk (64 connections, 10 s), saves the page's HTML,
# serves it with nginx (one worker, access log off) and measures the same.
# DB=postgres serves the same demo site from PostgreSQL (a throw-away
# server started here; the demo is moved there with `refuge db copy`):
# cached pages should not care.
# Only ever targets 127.0.0.1. Usage: [DB=postgres] bench/pages.sh [SECONDS]
source "$(dirname "$0")/lib.sh"

DURATION=${1:-10}
CONNS=64
PAGE=/en/news/current-background-march-2026/
REFUGE_PORT=18181
NGINX_PORT=18182

need wrk wrk
need nginx nginx
need curl curl
build_release

WORK=$(mktemp -d)
chmod 755 "$WORK"
DB=${DB:-sqlite}
cleanup() {
  [ -n "${REFUGE_PID:-}" ] && kill "$REFUGE_PID" 2>/dev/null || true
  [ "$DB" = postgres ] && stop_postgres "$WORK/pg"
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$DB" = postgres ]; then
  # The demo site is made on SQLite, then moved.
  "$BIN" serve --data "$WORK/demo" --addr 127.0.0.1:$REFUGE_PORT >"$WORK/demo.log" 2>&1 &
  REFUGE_PID=$!
  wait_healthy 127.0.0.1:$REFUGE_PORT
  kill "$REFUGE_PID"; wait "$REFUGE_PID" 2>/dev/null || true
  URL=$(start_postgres "$WORK/pg" 18183)
  "$BIN" db copy "$URL" --data "$WORK/demo" | tail -1
  export REFUGE_DATABASE_URL=$URL
fi
"$BIN" serve --data "$WORK/data" --addr 127.0.0.1:$REFUGE_PORT >"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$REFUGE_PORT
curl -fsS "http://127.0.0.1:$REFUGE_PORT$PAGE" -o "$WORK/page.html"
BYTES=$(wc -c <"$WORK/page.html")
echo "page: $PAGE ($BYTES bytes uncompressed), database: $DB"
echo "rss at start: $(rss_mb $REFUGE_PID) MB"

echo "refuge: wrk -t2 -c$CONNS -d${DURATION}s ..."
read -r R_RPS R_P99 R_BAD < <(wrk -t2 -c$CONNS -d"${DURATION}s" --latency "http://127.0.0.1:$REFUGE_PORT$PAGE" | wrk_summary)
R_RSS=$(rss_mb $REFUGE_PID)

mkdir -p "$WORK/www${PAGE}"
cp "$WORK/page.html" "$WORK/www${PAGE}index.html"
chmod -R a+rX "$WORK/www"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    index index.html;
  }
}
CONF
mkdir -p "$WORK/tmp"
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.5
curl -fsS "http://127.0.0.1:$NGINX_PORT$PAGE" -o /dev/null
echo "nginx: wrk -t2 -c$CONNS -d${DURATION}s ..."
read -r N_RPS N_P99 N_BAD < <(wrk -t2 -c$CONNS -d"${DURATION}s" --latency "http://127.0.0.1:$NGINX_PORT$PAGE" | wrk_summary)

echo
printf '%-8s %12s %10s %10s\n' server "requests/s" "p99 ms" "errors"
printf '%-8s %12s %10s %10s\n' refuge "$R_RPS" "$R_P99" "$R_BAD"
printf '%-8s %12s %10s %10s\n' nginx "$N_RPS" "$N_P99" "$N_BAD"
echo "refuge/nginx throughput ratio: $(awk -v a="$R_RPS" -v b="$N_RPS" 'BEGIN { printf "%.2f", a / b }')"
echo "refuge RSS after the run: $R_RSS MB"
