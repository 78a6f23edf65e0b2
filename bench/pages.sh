#!/usr/bin/env bash
# Article page throughput: refuge vs nginx serving the same bytes.
#
# Builds release, starts refuge on a fresh demo data folder, measures an
# article page with wrk (64 connections, 10 s), saves the page's HTML,
# serves it with nginx (one worker, or NGINX_WORKERS; access log off) and
# measures the same.
# DB=postgres serves the same demo site from PostgreSQL (a throw-away
# server started here; the demo is moved there with `refuge db copy`):
# cached pages should not care.
# Then the same over HTTPS (TLS=0 skips it): refuge serving TLS itself
# with a certificate from files, and nginx with the same certificate and
# bytes; HTTP/1.1 with wrk, HTTP/2 with h2load (64 connections, up to 10
# requests at once on each), all kept alive.
# Only ever targets 127.0.0.1. Usage: [DB=postgres] [TLS=0] bench/pages.sh [SECONDS]
source "$(dirname "$0")/lib.sh"

DURATION=${1:-10}
CONNS=64
PAGE=/en/news/current-background-march-2026/
REFUGE_PORT=18181
NGINX_PORT=18182
REFUGE_TLS_PORT=18185
REFUGE_PLAIN_PORT=18186
NGINX_TLS_PORT=18187
TLS=${TLS:-1}

need wrk wrk
need nginx nginx
need curl curl
if [ "$TLS" = 1 ]; then need h2load nghttp2-client; need openssl openssl; fi
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
worker_processes ${NGINX_WORKERS:-1};
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  # Refuge keeps a connection for any number of requests; so does nginx
  # here (its default, 1000, closes HTTP/2 connections under h2load).
  keepalive_requests 1000000;
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
  server {
    listen 127.0.0.1:$NGINX_TLS_PORT ssl http2;
    ssl_certificate $WORK/tls/cert.pem;
    ssl_certificate_key $WORK/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    root $WORK/www-tls;
    index index.html;
  }
}
CONF
# One self-signed ECDSA P-256 certificate for both servers.
mkdir -p "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=bench.localhost \
  -addext subjectAltName=DNS:bench.localhost -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
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

[ "$TLS" = 1 ] || exit 0

# h2load_summary: reads h2load output, prints "RPS MEAN_MS FAILED"
h2load_summary() {
  awk '
    /^finished in/ { gsub(",", ""); rps = $4 }
    /^requests:/ { gsub(",", ""); failed = $10 + $12 }
    /^time for request:/ { v = $6; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } mean = v }
    END { printf "%s %s %s\n", rps, mean, failed }'
}

kill "$REFUGE_PID"; wait "$REFUGE_PID" 2>/dev/null || true
cat >>"$WORK/data/refuge.toml" <<CONF

addr = "127.0.0.1:$REFUGE_TLS_PORT"
http_addr = "127.0.0.1:$REFUGE_PLAIN_PORT"
[tls]
cert_file = "$WORK/tls/cert.pem"
key_file = "$WORK/tls/key.pem"
CONF
"$BIN" serve --data "$WORK/data" >"$WORK/refuge-tls.log" 2>&1 &
REFUGE_PID=$!
for _ in $(seq 100); do curl -kfsS -o /dev/null "https://127.0.0.1:$REFUGE_TLS_PORT/healthz" 2>/dev/null && break; sleep 0.2; done
# The page names its own address, so nginx gets the HTTPS page's bytes.
curl -kfsS "https://127.0.0.1:$REFUGE_TLS_PORT$PAGE" -o "$WORK/page-tls.html"
mkdir -p "$WORK/www-tls${PAGE}"
cp "$WORK/page-tls.html" "$WORK/www-tls${PAGE}index.html"
chmod -R a+rX "$WORK/www-tls"
for port in $REFUGE_TLS_PORT $NGINX_TLS_PORT; do
  curl -kfsS --http2 "https://127.0.0.1:$port$PAGE" -o "$WORK/tls-$port.html"
  cmp -s "$WORK/page-tls.html" "$WORK/tls-$port.html" || { echo "port $port serves other bytes over TLS" >&2; exit 1; }
done
echo
echo "HTTPS, same certificate (ECDSA P-256), same bytes:"
echo "refuge: wrk HTTP/1.1 ..."
read -r RT_RPS RT_P99 RT_BAD < <(wrk -t2 -c$CONNS -d"${DURATION}s" --latency "https://127.0.0.1:$REFUGE_TLS_PORT$PAGE" | wrk_summary)
echo "nginx: wrk HTTP/1.1 ..."
read -r NT_RPS NT_P99 NT_BAD < <(wrk -t2 -c$CONNS -d"${DURATION}s" --latency "https://127.0.0.1:$NGINX_TLS_PORT$PAGE" | wrk_summary)
echo "refuge: h2load HTTP/2 ..."
read -r R2_RPS R2_MEAN R2_BAD < <(h2load -t2 -c$CONNS -m10 -D"$DURATION" "https://127.0.0.1:$REFUGE_TLS_PORT$PAGE" | h2load_summary)
echo "nginx: h2load HTTP/2 ..."
read -r N2_RPS N2_MEAN N2_BAD < <(h2load -t2 -c$CONNS -m10 -D"$DURATION" "https://127.0.0.1:$NGINX_TLS_PORT$PAGE" | h2load_summary)
echo
printf '%-8s %-10s %12s %16s %10s\n' server protocol "requests/s" "p99 / mean ms" "errors"
printf '%-8s %-10s %12s %16s %10s\n' refuge HTTP/1.1 "$RT_RPS" "$RT_P99 (p99)" "$RT_BAD"
printf '%-8s %-10s %12s %16s %10s\n' nginx HTTP/1.1 "$NT_RPS" "$NT_P99 (p99)" "$NT_BAD"
printf '%-8s %-10s %12s %16s %10s\n' refuge HTTP/2 "$R2_RPS" "$R2_MEAN (mean)" "$R2_BAD"
printf '%-8s %-10s %12s %16s %10s\n' nginx HTTP/2 "$N2_RPS" "$N2_MEAN (mean)" "$N2_BAD"
echo "refuge/nginx over HTTPS, HTTP/1.1: $(awk -v a="$RT_RPS" -v b="$NT_RPS" 'BEGIN { printf "%.2f", a / b }')"
echo "refuge/nginx over HTTPS, HTTP/2:   $(awk -v a="$R2_RPS" -v b="$N2_RPS" 'BEGIN { printf "%.2f", a / b }')"
echo "refuge RSS after the HTTPS runs: $(rss_mb $REFUGE_PID) MB"
