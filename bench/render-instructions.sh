#!/usr/bin/env bash
# Instructions per render of the article page (the render bench under callgrind): a figure that does
# not move with the machine's load, for comparing a change to the theme or the template values.
#
#   bench/render-instructions.sh                    # the default theme
#   SEN_BENCH_THEME=path/to/theme bench/render-instructions.sh
#
# Runs the bench twice (1,000 and 3,000 rounds) and divides the difference, so start-up and the
# warm-up rounds cancel out. Needs valgrind (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "installing valgrind…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if ! cargo bench -p sen-web --bench render --no-run --locked >"$OUT/build.log" 2>&1; then
  cat "$OUT/build.log" >&2
  exit 1
fi
BENCH=$(awk '/Executable/ {gsub(/[()]/, "", $NF); print $NF}' "$OUT/build.log")
count() { # rounds → instructions of the whole run
  SEN_BENCH_ROUNDS="$1" valgrind --tool=callgrind --callgrind-out-file="$OUT/$1.cg" "$BENCH" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$OUT/$1.cg"
}
LOW=$(count 1000)
HIGH=$(count 3000)
python3 -c "print(f'article.html: {($HIGH - $LOW) / 2000 / 1000:.1f} k instructions per render (context included)')"
