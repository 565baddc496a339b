#!/usr/bin/env bash
# Media figures, in one run (loopback, the release binary):
#   - making a 12-megapixel JPEG safe and its variants: time and peak memory (cargo bench);
#   - a 300 MB video upload through POST /api/v1/media: sen's peak RSS before and after;
#   - a cached variant served from the local store against nginx serving the same file (wrk,
#     server on core 0, wrk on core 1, 3 rounds, the median of the ratios).
# Needs nginx, wrk, curl, python3 (nginx-light and wrk are installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${SEN_PORT:-18090}"; NGINX_PORT="${NGINX_PORT:-18091}"; DURATION="${DURATION:-5}"
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
WORK="$(mktemp -d /tmp/sen-media-bench.XXXXXX)"
SEN_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$SEN_PID" ] && kill "$SEN_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi

echo "== variants of a 12-megapixel JPEG"
cargo bench -q -p sen-media --bench variants 2>/dev/null | tail -1 | tee "$WORK/variants.txt"

echo "== a 300 MB upload"
cargo build --release --locked -q -p sen
SEN="$PWD/target/release/sen"
DATA="$WORK/data"
"$SEN" sample --data "$DATA" >/dev/null
"$SEN" user add --data "$DATA" --username bench --role admin --password-stdin <<< "Bench-mat-khau-2026" >/dev/null
TOKEN=$("$SEN" token create --data "$DATA" --user bench | grep -o 'sen_[A-Za-z0-9_-]*' | head -n 1)
SEN_LOG=warn taskset -c 0 "$SEN" serve --data "$DATA" --no-sample --listen "127.0.0.1:$PORT" >"$WORK/sen.log" 2>&1 &
SEN_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 - "$WORK/video.mp4" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41")
    block = os.urandom(1 << 20)
    for _ in range(300):
        f.write(block)
PY
rss() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SEN_PID/status"; }
BEFORE=$(rss)
START=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $TOKEN" -F "file=@$WORK/video.mp4;filename=phim-tu-lieu.mp4" \
  "http://127.0.0.1:$PORT/api/v1/media" >"$WORK/video.json"
SECONDS_TAKEN=$(python3 -c "import time; print(f'{time.time() - $START:.1f}')")
AFTER=$(rss)
echo "   300 MB video: stored in ${SECONDS_TAKEN} s; sen's peak RSS ${BEFORE} MB before, ${AFTER} MB after (target < 100)"

echo "== a cached variant: sen against nginx"
python3 -c "
from PIL import Image
Image.new('RGB', (2400, 1600), (30, 90, 160)).save('$WORK/anh.jpg', quality=88)
" 2>/dev/null || python3 -m pip install -q pillow
python3 -c "
from PIL import Image
Image.new('RGB', (2400, 1600), (30, 90, 160)).save('$WORK/anh.jpg', quality=88)
"
KEY=$(curl -sf -H "Authorization: Bearer $TOKEN" -F "file=@$WORK/anh.jpg;filename=anh-bench.jpg" -F alt=bench \
  "http://127.0.0.1:$PORT/api/v1/media" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
VARIANT="${KEY%.jpg}.w640.jpg"
for _ in $(seq 1 100); do
  [ -f "$DATA/media/$VARIANT" ] && break; sleep 0.1
done
mkdir -p "$WORK/www" "$WORK/nginx/tmp"
cp "$DATA/media/$VARIANT" "$WORK/www/variant.jpg"
BYTES=$(stat -c %s "$WORK/www/variant.jpg")
cat >"$WORK/nginx/nginx.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  default_type image/jpeg; access_log $WORK/nginx/access.log combined buffer=64k flush=1s;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp; fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; location / { } }
}
NGINX
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
sleep 0.5
run() { taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" -H "User-Agent: $UA" "$1" | awk '/Requests\/sec/ {print $2}'; }
RATIOS=""
for round in 1 2 3; do
  N=$(run "http://127.0.0.1:$NGINX_PORT/variant.jpg")
  S=$(run "http://127.0.0.1:$PORT/media/$VARIANT")
  R=$(python3 -c "print(f'{$S/$N:.2f}')")
  RATIOS="$RATIOS $R"
  echo "   round $round: nginx $N req/s, sen $S req/s ($R ×)"
done
MEDIAN=$(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" $RATIOS)
echo
echo "media benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
cat "$WORK/variants.txt"
echo "300 MB upload: ${SECONDS_TAKEN} s, peak RSS ${BEFORE} → ${AFTER} MB"
echo "cached 640 px variant (${BYTES} bytes) × nginx: ${MEDIAN} (median of 3 rounds)"
