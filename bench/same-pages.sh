#!/usr/bin/env bash
# Are two builds' public pages the same bytes? The earlier binary makes a
# demo data folder; each binary then serves its own copy of it. Both are
# crawled from the homes, the feeds and the sitemap (same requests), and
# every response's status, type and body are compared — but for the
# contact form's signed token, new at every start. Prints the
# differences, then a count.
# Only ever targets 127.0.0.1. Usage: bench/same-pages.sh OLD_BINARY NEW_BINARY
source "$(dirname "$0")/lib.sh"

OLD=${1:?the earlier refuge binary}
NEW=${2:?the later refuge binary}
WORK=$(mktemp -d)
cleanup() {
  for pid in ${PIDS:-}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PIDS=""
start() { # start BINARY PORT NAME
  "$1" serve --data "$WORK/$3" --addr "127.0.0.1:$2" >"$WORK/$3.log" 2>&1 &
  PIDS="$PIDS $!"
  wait_healthy "127.0.0.1:$2"
}
start "$OLD" 18191 old
kill $PIDS; wait 2>/dev/null || true; PIDS=""
cp -a "$WORK/old" "$WORK/new"
start "$OLD" 18191 old
start "$NEW" 18192 new

python3 - "$WORK" <<'PY'
import re, sys, urllib.request, urllib.error
from html.parser import HTMLParser

def fetch(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept-Language": "en"})
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k): return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        r = opener.open(req, timeout=30)
        return r.status, r.headers.get("content-type", ""), r.headers.get("location", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.headers.get("location", ""), e.read()

def links(body, base_path):
    text = body.decode("utf-8", "replace")
    found = re.findall(r'(?:href|src)="([^"]+)"', text) + re.findall(r"<loc>([^<]+)</loc>", text)
    out = []
    for link in found:
        link = link.replace("&amp;", "&")
        if link.startswith("http://127.0.0.1:"):
            link = "/" + link.split("/", 3)[3] if link.count("/") >= 3 else "/"
        if link.startswith("/") and not link.startswith("//") and not link.startswith("/admin"):
            out.append(link.split("#")[0])
    return out

seen, queue = set(), ["/", "/en/", "/ja/", "/sitemap.xml", "/robots.txt", "/en/feed.xml", "/ja/feed.xml", "/en/no-such-page/"]
diffs = 0
while queue and len(seen) < 3000:
    path = queue.pop(0)
    if path in seen:
        continue
    seen.add(path)
    old = fetch(18191, path)
    new = fetch(18192, path)
    # The two servers differ only in their port; addresses are compared without it.
    norm = lambda b: re.sub(rb'name="token" value="[^"]*"', b'name="token" value=""',
                            b.replace(b"127.0.0.1:18191", b"HOST").replace(b"127.0.0.1:18192", b"HOST"))
    if (old[0], old[1], old[2].replace("18191", "X")) != (new[0], new[1], new[2].replace("18192", "X")) or norm(old[3]) != norm(new[3]):
        diffs += 1
        print(f"DIFFERENT {path}: {old[0]} {len(old[3])} bytes → {new[0]} {len(new[3])} bytes")
    if old[1].startswith(("text/html", "application/xml", "application/atom", "application/rss")):
        queue.extend(l for l in links(old[3], path) if l not in seen)
    if old[2].startswith("/"):
        queue.append(old[2])
print(f"{len(seen)} public addresses compared, {diffs} different")
PY
