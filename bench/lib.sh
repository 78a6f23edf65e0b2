# Shared helpers for the benchmark scripts. Source it; do not run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# REFUGE_BIN names another build to measure (say, the one before a change),
# which is then not rebuilt.
BIN="${REFUGE_BIN:-$ROOT/target/release/refuge}"

need() { # need COMMAND DEBIAN_PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "installing $2 ..." >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null
    else sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq "$2" >/dev/null; fi
  fi
}

build_release() {
  if [ -n "${REFUGE_BIN:-}" ] && [ "$#" = 0 ]; then return 0; fi
  echo "building release binaries ..." >&2
  (cd "$ROOT" && cargo build --release --quiet -p refuge "$@")
}

wait_healthy() { # wait_healthy HOST:PORT
  for _ in $(seq 1 600); do
    if curl -fsS "http://$1/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server on $1 did not become healthy" >&2
  return 1
}

rss_mb() { # rss_mb PID
  awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

rss_detail() { # rss_detail PID: total, anonymous and file-backed (mapped index) parts
  awk '/VmRSS/ { t = $2 } /RssAnon/ { a = $2 } /RssFile/ { f = $2 }
       END { printf "%.1f MB (anonymous %.1f MB, file-backed %.1f MB)", t / 1024, a / 1024, f / 1024 }' "/proc/$1/status"
}

# wrk_summary: reads wrk --latency output, prints "RPS P99_MS ERRORS"
# (errors: non-2xx/3xx responses plus socket errors)
wrk_summary() {
  awk '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v = v * 1000 } p99 = v }
    /Non-2xx or 3xx responses/ { bad = $NF }
    /Socket errors/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
    END { printf "%s %s %s\n", rps, p99, bad + sock }'
}

# start_postgres DIR PORT: a throw-away PostgreSQL server in DIR on
# 127.0.0.1:PORT (as the postgres user when run as root, since initdb
# refuses root); prints its address for database "refuge". Stop it with
# stop_postgres DIR.
start_postgres() {
  local dir=$1 port=$2 bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] || { need initdb postgresql; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U refuge -E UTF8 --locale=C --no-sync >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U refuge -d postgres -c "CREATE DATABASE refuge" >/dev/null
  echo "postgres://refuge@127.0.0.1:$port/refuge"
}

stop_postgres() { # stop_postgres DIR
  local bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  [ -d "$1/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_garage DIR: a single-node Garage (S3-compatible) on 127.0.0.1 with a
# key and a bucket `bench` served as a website. Sets GARAGE_PID,
# GARAGE_ENDPOINT (S3), GARAGE_WEB (website endpoint, Host: bench.web.garage.localhost),
# and exports AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Installs Garage
# with cargo when missing (about 10 minutes once).
start_garage() {
  local dir=$1 g
  g=$(command -v garage || echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage")
  if [ ! -x "$g" ]; then
    echo "installing garage with cargo (once) ..." >&2
    cargo install garage --version 2.5.0 --locked --no-default-features --features bundled-libs,lmdb --quiet
  fi
  mkdir -p "$dir"
  cat >"$dir/garage.toml" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:39901"
rpc_public_addr = "127.0.0.1:39901"
rpc_secret = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:39900"
root_domain = ".s3.garage.localhost"

[s3_web]
bind_addr = "127.0.0.1:39902"
root_domain = ".web.garage.localhost"
index = "index.html"
TOML
  "$g" -c "$dir/garage.toml" server >"$dir/log" 2>&1 &
  GARAGE_PID=$!
  local node=""
  for _ in $(seq 100); do
    node=$("$g" -c "$dir/garage.toml" node id -q 2>/dev/null | cut -d@ -f1) && [ -n "$node" ] && break
    sleep 0.2
  done
  [ -n "$node" ] || { cat "$dir/log" >&2; return 1; }
  local cli=("$g" -c "$dir/garage.toml")
  "${cli[@]}" layout assign -z dc1 -c 10G "$node" >/dev/null
  "${cli[@]}" layout apply --version 1 >/dev/null
  export AWS_ACCESS_KEY_ID=GK00112233445566778899aabb
  export AWS_SECRET_ACCESS_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  "${cli[@]}" key import --yes -n bench "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >/dev/null
  "${cli[@]}" bucket create bench >/dev/null
  "${cli[@]}" bucket allow --read --write --owner bench --key bench >/dev/null
  "${cli[@]}" bucket website --allow bench >/dev/null
  GARAGE_ENDPOINT=http://127.0.0.1:39900
  GARAGE_WEB=http://127.0.0.1:39902
}
