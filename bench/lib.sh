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
