#!/usr/bin/env bash
# Upload memory: four uploads at once of each kind of hostile or huge
# image, against a fresh server on 127.0.0.1; prints each answer, the
# time taken, and the server's peak resident memory (VmHWM) after each
# round. The target: every round answered, the peak under 600 MB.
#   round 1  image bombs: a 631-byte JPEG declaring 11,999 × 11,999 px
#            and a small 16-bit RGBA PNG declaring 8,000 × 8,000 px
#   round 2  the largest accepted photo: a progressive JPEG of 40 megapixels
#   round 3  the largest accepted deep image: a 16-bit RGBA PNG of 20 megapixels
#   round 4  a WebP of 40 megapixels
#   round 5  a 12-megapixel photo of a face (faces are looked for, the
#            photo waits in memory for review, then is saved covered)
# Needs Python with Pillow (installed from PyPI if missing).
# Usage: bench/upload-memory.sh [BINARY]   (default: target/release/refuge, built)
source "$(dirname "$0")/lib.sh"

PORT=18185
need curl curl
if [ -n "${1:-}" ]; then BIN=$1; else build_release; fi
python3 -c "import PIL" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pillow

WORK=$(mktemp -d)
cleanup() {
  [ -n "${REFUGE_PID:-}" ] && kill "$REFUGE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "making the test files ..." >&2
python3 - "$WORK" "$(dirname "$0")/../crates/refuge/tests/fixtures/faces/astronaut.jpg" <<'PY'
import io, struct, sys, zlib
from PIL import Image
work = sys.argv[1]

def png(path, w, h, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    row = b"\0" + bytes(w * 8)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(rows)) + z.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 6, 0, 0, 0))
                + chunk(b"IDAT", data) + chunk(b"IEND", b""))

# Round 1: bombs. The JPEG: a tiny image whose frame header claims 11,999².
buf = io.BytesIO()
Image.new("RGB", (8, 8), (90, 120, 200)).save(buf, "JPEG", quality=50)
jpeg = bytearray(buf.getvalue())
sof = jpeg.index(b"\xff\xc0")
jpeg[sof + 5:sof + 9] = struct.pack(">HH", 11999, 11999)
open(f"{work}/bomb.jpg", "wb").write(jpeg)
png(f"{work}/bomb.png", 8000, 8000, 64)

# Round 2: a real 40-megapixel progressive JPEG (7,744 × 5,164).
big = Image.linear_gradient("L").resize((7744, 5164)).convert("RGB")
big.save(f"{work}/big-progressive.jpg", "JPEG", quality=85, progressive=True)
# Round 3: a 16-bit RGBA PNG of 5,000 × 4,000 (160 MB decoded: the limit).
png(f"{work}/deep.png", 5000, 4000, 4000)
# Round 4: a 40-megapixel WebP.
big.save(f"{work}/big.webp", "WEBP", quality=80)
# Round 5: a 12-megapixel photo (4,240 × 2,832) with a face in it.
face = Image.open(sys.argv[2]).convert("RGB").resize((2832, 2832))
photo = Image.new("RGB", (4240, 2832), (120, 110, 100))
photo.paste(face, (700, 0))
photo.save(f"{work}/face.jpg", "JPEG", quality=88)
PY
ls -l "$WORK"/*.jpg "$WORK"/*.png "$WORK"/*.webp | awk '{ printf "  %-20s %10d bytes\n", $NF, $5 }' | sed "s|$WORK/||"

# The first start makes the inbox key (scrypt, which alone can take a few
# hundred megabytes): start once, stop, and measure a second start.
"$BIN" serve --data "$WORK/data" --addr 127.0.0.1:$PORT >"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$PORT
kill "$REFUGE_PID"
wait "$REFUGE_PID" 2>/dev/null || true
echo "a long enough password" | "$BIN" user add ed@example.org --role editor --password-stdin --data "$WORK/data" >/dev/null
"$BIN" serve --data "$WORK/data" --addr 127.0.0.1:$PORT >>"$WORK/refuge.log" 2>&1 &
REFUGE_PID=$!
wait_healthy 127.0.0.1:$PORT

BASE="http://127.0.0.1:$PORT"
JAR="$WORK/cookies"
TOKEN=$(curl -fsS -c "$JAR" "$BASE/admin/login" | grep -o 'name="token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -fsS -b "$JAR" -c "$JAR" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode "token=$TOKEN" --data-urlencode "email=ed@example.org" \
  --data-urlencode "password=a long enough password" --data-urlencode "next=/admin/" "$BASE/admin/login"
CSRF=$(curl -fsS -b "$JAR" "$BASE/admin/" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
[ -n "$CSRF" ] || { echo "could not sign in" >&2; exit 1; }

peak_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$REFUGE_PID/status"; }
upload() { # upload FILE: prints "STATUS SECONDS"; a photo's review (303) is saved as proposed
  local answer status took review
  answer=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code} %{time_total} %{redirect_url}' -H "Origin: $BASE" \
    --max-time 300 -F "csrf=$CSRF" -F "alt_en=test" -F "alt_ja=テスト" -F "file=@$1" "$BASE/admin/media")
  read -r status took review <<<"$answer"
  if [ "$status" = 303 ] && [ -n "$review" ]; then
    # Every proposed area ticked, as the review page proposes them.
    local ticks
    ticks=$(curl -s -b "$JAR" "$review" | grep -o 'name="cover_[0-9]*"' | sed 's/name="//; s/"$/=1/' | paste -sd'&' - || true)
    answer=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code} %{time_total}' -H "Origin: $BASE" --max-time 300 \
      --data "csrf=$CSRF&action=save${ticks:+&$ticks}" "$review")
    read -r status saved <<<"$answer"
    took=$(awk -v a="$took" -v b="$saved" 'BEGIN { printf "%.2f", a + b }')
    status="303>$status"
  fi
  echo "$status $took"
}
round() { # round NAME FILE FILE FILE FILE
  local name=$1
  shift
  local started=$SECONDS
  for f in "$@"; do upload "$WORK/$f" >"$WORK/answer.$f.$RANDOM" & done
  wait $(jobs -p | grep -v "^$REFUGE_PID$") 2>/dev/null || true
  printf "%-40s answers: %-28s %3d s   peak RSS so far: %s MB\n" "$name" \
    "$(cat "$WORK"/answer.* | awk '{ printf "%s(%.1fs) ", $1, $2 }')" $((SECONDS - started)) "$(peak_mb)"
  rm -f "$WORK"/answer.*
}

echo "server RSS at start: $(rss_mb $REFUGE_PID) MB, peak $(peak_mb) MB"
round "1: four image bombs at once" bomb.jpg bomb.png bomb.jpg bomb.png
round "2: four 40 MP progressive JPEGs at once" big-progressive.jpg big-progressive.jpg big-progressive.jpg big-progressive.jpg
round "3: four 16-bit 20 MP PNGs at once" deep.png deep.png deep.png deep.png
round "4: four 40 MP WebPs at once" big.webp big.webp big.webp big.webp
round "5: four 12 MP photos of a face at once" face.jpg face.jpg face.jpg face.jpg
echo "peak resident memory of the server over all rounds: $(peak_mb) MB (target: under 600 MB)"
echo "(answers: 200 kept, 303>200 a photo reviewed then kept, 422 refused with a message, 503 busy: try again; 408 timed out)"
