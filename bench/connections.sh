#!/usr/bin/env bash
# Hostile connections against sen on loopback, and how another client fares meanwhile
# (bench/connections.py does the clients; docs/PERFORMANCE.md has the figures).
#
#   bench/connections.sh                 # the release binary, all scenarios
#   SEN=target/debug/sen HOLD=20 ONLY="slow bigheader" bench/connections.sh
#
# Scenarios, each against a fresh `sen serve` with the default settings unless said:
#   slow       SLOW (1,500) connections from 127.0.0.1 trickle a request head and never end it, each
#              reopened when closed, for HOLD (45) seconds; sen's descriptor limit is NOFILE (1,024)
#   bigheader  1,000 connections each send 390 KB of a head that never ends, held 10 s, then closed;
#              sen's VmRSS before, while held and 5 s after
#   bigheld    the same with max_header_kb = 512, so the heads are held in memory: what the
#              allocator gives back after they close
# ONLY picks scenarios. Meanwhile a probe from 127.0.0.2 asks for /healthz every 0.25 s with a 1 s timeout.
# Needs: python3, curl. Run as root or with a hard descriptor limit of at least 4,096.
set -euo pipefail
cd "$(dirname "$0")/.."

SLOW="${SLOW:-1500}"
HOLD="${HOLD:-45}"
PORT="${PORT:-18095}"
WORK="$(mktemp -d /tmp/sen-conn.XXXXXX)"
SEN_PID=""

cleanup() {
  [ -n "$SEN_PID" ] && kill "$SEN_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${SEN:-}" ]; then
  echo "== building the release binary"
  cargo build --release --locked -q
  SEN="$PWD/target/release/sen"
fi
"$SEN" sample --data "$WORK/data" >/dev/null

start_sen() { # descriptor-limit, extra args…; settings as SEN_* variables (an older binary ignores them)
  local nofile="$1"
  shift
  (ulimit -n "$nofile" && SEN_LOG=warn exec "$SEN" serve --data "$WORK/data" --no-sample \
    --listen "127.0.0.1:$PORT" "$@" >>"$WORK/sen.log" 2>&1) &
  SEN_PID=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return
    sleep 0.1
  done
  echo "sen did not start" >&2
  cat "$WORK/sen.log" >&2
  exit 1
}

stop_sen() {
  kill "$SEN_PID"
  wait "$SEN_PID" 2>/dev/null || true
  SEN_PID=""
}

ulimit -n "$(ulimit -Hn)"
ONLY="${ONLY:-slow bigheader bigheld}"

[[ " $ONLY " == *" slow "* ]] && {
echo "== slow: $SLOW slow request heads for $HOLD s, sen limited to ${NOFILE:-1024} descriptors"
start_sen "${NOFILE:-1024}"
python3 bench/connections.py slow "127.0.0.1:$PORT" --count "$SLOW" --hold "$HOLD"
stop_sen
}

[[ " $ONLY " == *" bigheader "* ]] && {
echo "== bigheader: 1,000 connections of 390 KB unfinished heads"
SEN_MAX_CONNECTIONS_PER_ADDRESS=5000 start_sen 4096
python3 bench/connections.py bigheader "127.0.0.1:$PORT" --pid "$SEN_PID" --count 1000
stop_sen
}

[[ " $ONLY " == *" bigheld "* ]] && {
echo "== bigheld: the same, heads held in memory (max_header_kb = 512)"
SEN_MAX_CONNECTIONS_PER_ADDRESS=5000 SEN_MAX_HEADER_KB=512 start_sen 4096
python3 bench/connections.py bigheader "127.0.0.1:$PORT" --pid "$SEN_PID" --count 1000
stop_sen
}
exit 0
