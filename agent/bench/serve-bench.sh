#!/usr/bin/env bash
# Warm latency of the sidecar: `attachproof serve` on a loopback port, a Go target with
# GOROUTINES parked goroutines, WARMUP requests to warm the JVM up, then RUNS timed requests to
# GET /v1/doctor?pid=TARGET (the checks and the live proof) with curl, one connection each.
#
#   agent/bench/serve-bench.sh [RUNS] [GOROUTINES] [WARMUP]   (defaults: 50 runs, 1000, 50 warm-up)
#
# Prints the first request's time (a cold server), median/min/max of curl's time_total for
# /v1/doctor once warm, the median time the proof kept the
# target stopped (stoppedMicros), the same figures for /healthz (the HTTP floor) and for
# /v1/goroutines?format=json, and checks that the target runs untraced afterwards. The rate
# limit is raised for the run (--rate 1000 --burst 1000): the default, 5 a second, would answer
# most of these 429.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-50}"
GOROUTINES="${2:-1000}"
WARMUP="${3:-50}"
. "$ROOT/agent/bench/target.sh"

"$ROOT/attachproof" serve --listen 127.0.0.1:0 --rate 1000 --burst 1000 2> "$OUT/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; kill $TARGET 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$OUT/serve.err" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$OUT/serve.err")
[ -n "$PORT" ] || { echo "bench: serve did not start:" >&2; cat "$OUT/serve.err" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"
echo "serve: $(head -1 "$OUT/serve.err" | sed 's/^attachproof serve: //')"

# Times N requests to PATH: one line of milliseconds each in $OUT/FILE; any status but 200 fails the bench.
timed() {
  local n="$1" path="$2" file="$3" out code ms
  : > "$OUT/$file"
  for _ in $(seq 1 "$n"); do
    out=$(curl -s -o "$OUT/body" -w '%{http_code} %{time_total}' "$BASE$path")
    code=${out%% *}
    [ "$code" = 200 ] || { echo "bench: GET $path answered $code: $(cat "$OUT/body")" >&2; exit 1; }
    ms=$(awk -v s="${out#* }" 'BEGIN {printf "%.2f", s * 1000}')
    echo "$ms" >> "$OUT/$file"
  done
}

timed "$WARMUP" "/v1/doctor?pid=$TARGET" warm.ms
: > "$OUT/stopped.us"
timed 1 "/healthz" health.ms
: > "$OUT/doctor.ms"
for _ in $(seq 1 "$RUNS"); do
  timed 1 "/v1/doctor?pid=$TARGET" one.ms
  cat "$OUT/one.ms" >> "$OUT/doctor.ms"
  sed -n 's/.*"stoppedMicros": \([0-9]*\).*/\1/p' "$OUT/body" >> "$OUT/stopped.us"
done
timed "$RUNS" "/healthz" health.ms
timed 10 "/v1/goroutines?pid=$TARGET&format=json" goroutines.ms

read -r dm dmin dmax < <(stats < "$OUT/doctor.ms")
read -r sm smin smax < <(stats < "$OUT/stopped.us")
read -r hm hmin hmax < <(stats < "$OUT/health.ms")
read -r gm gmin gmax < <(stats < "$OUT/goroutines.ms")
echo "GET /v1/doctor, the first request (cold server): $(head -1 "$OUT/warm.ms") ms"
echo "GET /v1/doctor (warm, after $WARMUP): median ${dm} ms (min ${dmin}, max ${dmax}) over $RUNS requests"
echo "  target stopped during the proof: median ${sm} µs (min ${smin}, max ${smax})"
echo "GET /healthz: median ${hm} ms (min ${hmin}, max ${hmax}) over $RUNS requests"
echo "GET /v1/goroutines?format=json: median ${gm} ms (min ${gmin}, max ${gmax}) over 10 requests"

kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
tail -1 "$OUT/serve.err"
state=$(sed -n 's/^State:\t//p' /proc/$TARGET/status); tracer=$(sed -n 's/^TracerPid:\t//p' /proc/$TARGET/status)
echo "target afterwards: State $state, TracerPid $tracer"
[ "$tracer" = 0 ] && [ "${state:0:1}" != t ] && [ "${state:0:1}" != T ]
