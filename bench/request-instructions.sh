#!/usr/bin/env bash
# Instructions per request of the release server (callgrind), for the cached or the uncached article
# page or the home page: the whole request path (hyper, the layers, counting, the log line, the
# render when uncached), in a figure that does not move with the machine's load.
#
#   bench/request-instructions.sh                       # cached article, 2,000 requests
#   bench/request-instructions.sh uncached article 1000 # with the page cache off
#   bench/request-instructions.sh cached home
#
# The server runs the sample portal under callgrind with instrumentation off; after 50 warm-up
# requests it is switched on for N keep-alive requests from one client (a browser's User-Agent, no
# cookie, as bench/run.sh sends), then off, and the total is divided by N. Under valgrind SHA-256
# runs without the CPU's SHA instructions, so the visitor hashes count several times what they cost
# on the machine (≈ 17k of a cached request's instructions). Needs valgrind (installed from
# Debian's packages when missing). KEEP=file keeps the callgrind dump there, for
# `callgrind_annotate --inclusive=yes file`.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-cached}"
PAGE="${2:-article}"
N="${3:-2000}"
PORT="${PORT:-18095}"
case "$MODE" in cached | uncached) ;; *) echo "mode: cached or uncached, not $MODE" >&2; exit 2 ;; esac
case "$PAGE" in article | home) ;; *) echo "page: article or home, not $PAGE" >&2; exit 2 ;; esac

if ! command -v valgrind >/dev/null; then
  echo "installing valgrind…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
cargo build --release --locked -q
SEN="$PWD/target/release/sen"
WORK=$(mktemp -d)
VG_PID=""
cleanup() {
  if [ -n "$VG_PID" ]; then kill "$VG_PID" 2>/dev/null; wait "$VG_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SEN" sample --data "$WORK/data" >/dev/null
# The media library's start-up work, done once here, outside the measurement.
"$SEN" serve --data "$WORK/data" --no-sample --listen "127.0.0.1:$PORT" >"$WORK/first.log" 2>&1 &
FIRST=$!
python3 bench/media-settled.py "$WORK/data/sen.db" >/dev/null
kill "$FIRST"
wait "$FIRST" || true
ARGS=()
[ "$MODE" = uncached ] && ARGS=(--cache-mb 0)
SEN_LOG=info valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/cg.out" \
  "$SEN" serve --data "$WORK/data" --no-sample --listen "127.0.0.1:$PORT" "${ARGS[@]}" >"$WORK/sen.log" 2>&1 &
VG_PID=$!

python3 - "$PORT" "$PAGE" "$N" "$VG_PID" <<'PY'
import http.client, json, subprocess, sys, time
port, page, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
start = time.time()
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/api/v1/articles/3")
        url = json.loads(c.getresponse().read())["url"]
        break
    except Exception:
        if time.time() - start > 120:
            sys.exit("sen did not answer within 120 s under valgrind")
        time.sleep(0.5)
path = url.split(f":{port}", 1)[1] if page == "article" else "/"
def get():
    c.request("GET", path, headers={"User-Agent": UA})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path} answered {r.status}")
for _ in range(50):
    get()
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, stdout=subprocess.DEVNULL)
for _ in range(n):
    get()
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["callgrind_control", "-d", pid], check=True, stdout=subprocess.DEVNULL)
PY

sleep 1
DUMP=$(ls -S "$WORK"/cg.out* | head -1)
TOTAL=$(awk '/^totals:/ {print $2}' "$DUMP")
if [ -n "${KEEP:-}" ]; then cp "$DUMP" "$KEEP"; fi
python3 -c "print(f'$MODE $PAGE: {$TOTAL / $N / 1000:.1f} k instructions per request ($N requests)')"
