#!/usr/bin/env bash
# Load benchmark of sen against nginx serving the same article page as a static file, in one run.
#
#   bench/run.sh            # 10,000 articles; per target 3 rounds of nginx 5 s then sen 5 s
#   ARTICLES=2000 DURATION=3 ROUNDS=1 bench/run.sh
#
# Each server runs on core 0 and wrk on core 1, on loopback, with the same load (wrk, CONNECTIONS
# connections, DURATION seconds, a browser User-Agent, no cookies) and both servers writing one access
# log line per request to a file, buffered in 64 KiB blocks flushed at least every second. Every request sen answers is counted and booked as in production;
# the script checks the article's count against what wrk reports. The machine's speed drifts, so each
# sen target is measured in ROUNDS rounds of (nginx, then sen): a target's figure is the median of its
# rounds' ratios, each to the nginx run seconds before it.
# Needs: nginx and wrk (Debian packages; installed when missing), taskset, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES="${ARTICLES:-10000}"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32}"
SEN_PORT="${SEN_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
OUT="bench/out"
WORK="$(mktemp -d /tmp/sen-bench.XXXXXX)"
SEN_PID=""
NGINX_PID=""

cleanup() {
  [ -n "$SEN_PID" ] && kill "$SEN_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need wrk; then
  echo "installing nginx-light and wrk…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

mkdir -p "$OUT"
echo "== building the release binary"
cargo build --release --locked -q
SEN="$PWD/target/release/sen"

echo "== preparing a SQLite portal with $ARTICLES generated articles"
DATA="$WORK/data"
"$SEN" sample --data "$DATA" >/dev/null
"$SEN" sample --data "$DATA" --articles "$ARTICLES" >/dev/null

start_sen() { # extra args…
  SEN_LOG=info taskset -c 0 "$SEN" serve --data "$DATA" --no-sample --listen "127.0.0.1:$SEN_PORT" "$@" \
    >>"$WORK/sen-access.log" 2>&1 &
  SEN_PID=$!
}

wait_200() { # url [start, as seconds since the epoch] → prints seconds from start until the first 200
  python3 - "$1" "${2:-}" <<'PY'
import sys, time, urllib.request
url = sys.argv[1]
start = float(sys.argv[2]) if sys.argv[2] else time.time()
while True:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                break
    except Exception:
        pass
    if time.time() - start > 60:
        sys.exit("no 200 within 60 s")
    time.sleep(0.002)
print(f"{time.time() - start:.3f}")
PY
}

stop_sen() {
  kill -TERM "$SEN_PID"
  wait "$SEN_PID" || true
  SEN_PID=""
}

rss_peak_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

run_wrk() { # name url → req/s
  local name="$1" url="$2"
  taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "User-Agent: $UA" "$url" >"$OUT/wrk-$name.txt"
  awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$name.txt"
}

wrk_requests() { awk '/requests in/ {print $1}' "$OUT/wrk-$1.txt"; }

echo "== start-up on the existing database"
STARTED=$(date +%s.%N)
start_sen
FIRST_200=$(wait_200 "http://127.0.0.1:$SEN_PORT/" "$STARTED")
echo "   first 200 of / after ${FIRST_200}s (process start to response)"

# The media library's start-up work runs on the servers' core: wait until it is done.
python3 bench/media-settled.py "$DATA/sen.db"

# A sample article: real Vietnamese text, a cover, lists of related news.
ARTICLE_ID=3
ARTICLE_URL=$(curl -s "http://127.0.0.1:$SEN_PORT/api/v1/articles/$ARTICLE_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
ARTICLE_PATH="${ARTICLE_URL#http://127.0.0.1:$SEN_PORT}"

echo "== nginx serving a static copy of $ARTICLE_PATH"
mkdir -p "$WORK/www" "$WORK/nginx/logs"
curl -s -A "Mozilla/5.0 (compatible; Googlebot/2.1)" "http://127.0.0.1:$SEN_PORT$ARTICLE_PATH" >"$WORK/www/article.html"
PAGE_BYTES=$(stat -c %s "$WORK/www/article.html")
cat >"$WORK/nginx/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  default_type text/html;
  access_log $WORK/nginx/logs/access.log combined buffer=64k flush=1s;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location / { }
  }
}
NGINX
mkdir -p "$WORK/nginx/tmp"
taskset -c 0 "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
wait_200 "http://127.0.0.1:$NGINX_PORT/article.html" >/dev/null

echo "== load: $CONNECTIONS connections, ${DURATION}s each, wrk on core 1, servers on core 0"
median() { # digits numbers… → their median
  python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[2:])):.{sys.argv[1]}f}')" "$@"
}

# nginx stays up (idle while sen runs). compare name url → sets RPS (median sen req/s), REF (median
# nginx req/s), RATIO (median of the rounds' ratios) and REQUESTS (requests sen answered, all rounds).
compare() {
  local name="$1" url="$2" round sen ref ratios="" refs="" rates=""
  REQUESTS=0
  for round in $(seq 1 "$ROUNDS"); do
    ref=$(run_wrk "nginx-$name-$round" "http://127.0.0.1:$NGINX_PORT/article.html")
    sen=$(run_wrk "$name-$round" "$url")
    REQUESTS=$((REQUESTS + $(wrk_requests "$name-$round")))
    echo "   round $round: nginx $ref req/s, sen $name $sen req/s"
    ratios="$ratios $(python3 -c "print($sen/$ref)")"; refs="$refs $ref"; rates="$rates $sen"
  done
  RATIO=$(median 2 $ratios); REF=$(median 0 $refs); RPS=$(median 0 $rates)
}

views() { curl -s "http://127.0.0.1:$SEN_PORT/api/v1/articles/$ARTICLE_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["views"])'; }
BEFORE=$(views)
curl -s -o /dev/null -A "$UA" "http://127.0.0.1:$SEN_PORT$ARTICLE_PATH"   # fills the cache
compare cached "http://127.0.0.1:$SEN_PORT$ARTICLE_PATH"
CACHED_RPS=$RPS; CACHED_RATIO=$RATIO; NGINX_CACHED=$REF; CACHED_REQUESTS=$REQUESTS
AFTER=$(views)
compare home "http://127.0.0.1:$SEN_PORT/"
HOME_RPS=$RPS; HOME_RATIO=$RATIO; NGINX_HOME=$REF
RSS_CACHED=$(rss_peak_mb "$SEN_PID")
COUNTED=$((AFTER - BEFORE - 1))
echo "   views counted during the cached runs: $COUNTED (wrk completed $CACHED_REQUESTS)"
stop_sen

echo "== sen with the page cache off"
start_sen --cache-mb 0
wait_200 "http://127.0.0.1:$SEN_PORT/" >/dev/null
BEFORE=$(views)
compare uncached "http://127.0.0.1:$SEN_PORT$ARTICLE_PATH"
UNCACHED_RPS=$RPS; UNCACHED_RATIO=$RATIO; NGINX_UNCACHED=$REF
AFTER=$(views)
RSS_UNCACHED=$(rss_peak_mb "$SEN_PID")
echo "   views counted during the uncached runs: $((AFTER - BEFORE)) (wrk completed $REQUESTS)"
stop_sen

# After SIGTERM the counts are booked: the restarted node shows the same total.
start_sen
wait_200 "http://127.0.0.1:$SEN_PORT/" >/dev/null
BOOKED=$(views)
stop_sen
echo "   after restart the article shows $BOOKED views (before restart: $AFTER)"

RSS_PEAK=$(python3 -c "print(max($RSS_CACHED, $RSS_UNCACHED))")
cat <<REPORT | tee "$OUT/summary.txt"

sen benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $ARTICLES articles, page $PAGE_BYTES bytes
medians of $ROUNDS rounds of ${DURATION} s; × nginx is the median of each round's ratio to nginx run just before
target                     req/s     nginx req/s   × nginx
sen cached article         $CACHED_RPS     $NGINX_CACHED         $CACHED_RATIO   (target ≥ 0.80)
sen uncached article       $UNCACHED_RPS      $NGINX_UNCACHED         $UNCACHED_RATIO   (target ≥ 0.15, aim 0.25)
sen home page (cached)     $HOME_RPS     $NGINX_HOME         $HOME_RATIO   (a larger page than nginx's article)
peak RSS of sen            ${RSS_PEAK} MB   (target ≤ 100)
first 200 after start      ${FIRST_200} s   (target ≤ 1)
REPORT
