#!/usr/bin/env bash
# Benchmark of `attachproof goroutines PID` (the text dump, every goroutine with its whole stack)
# against Delve's `dlv attach PID` + `goroutines` (one line per goroutine) + detach, on the same
# target in the same run: a Go program with many parked goroutines, built
# with Debian's Go 1.19 when installed (Delve 1.20's range), else with `go`.
# The target is busy (one goroutine spinning, one writing a file every 10 ms) and has been
# collected twice before the runs, as a service up for more than four minutes has (a GC is forced
# every 2): only then do its parked goroutines carry a non-zero waitsince, which is what lets a
# stack copied before the stop stand. BUSY=0 runs it idle and uncollected instead: every stack is
# then copied again while stopped.
# Delve runs twice per round when it can: the dlv on PATH (Debian's 1.20) and the newest release,
# built once per machine from the module proxy into ~/.cache/attachproof/dlv/VERSION.
#
#   agent/bench/goroutines-bench.sh [RUNS] [GOROUTINES] [--no-delve]   (defaults: 5 runs, 100000)
#
# ATTACHPROOF=COMMAND runs another build in place of ./attachproof (e.g. a wrapper around an older
# jar, for a before/after comparison on one target in one run).
# Prints, for each tool, the median/min/max whole-command wall time; for attachproof, the time
# the target was stopped (stoppedMicros, from the first PTRACE_INTERRUPT to the last detach) and
# the peak RSS of the whole command (GNU time's maximum resident set size, when /usr/bin/time is
# installed); then the ratio of the wall medians. Then the same text dump through `attachproof
# serve` (a sidecar's one long-running JVM; needs curl): its first request apart, then the median
# of RUNS requests, and its ratio against each Delve; then SERVE_SOAK (default 20) more requests,
# the median of the last RUNS and the server's resident memory after them. Before serve, RUNS
# JSON documents (--format json): the time stopped and its waits phase (what goroutines wait on).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-5}"
GOROUTINES="${2:-100000}"
DELVE=1; [ "${3:-}" = "--no-delve" ] && DELVE=0
[ "${BUSY:-1}" = 1 ] && TARGET_ARGS="-busy -gcs 2"
. "$ROOT/agent/bench/target.sh"
AP="${ATTACHPROOF:-$ROOT/attachproof}"
DLVS=()
if [ $DELVE = 1 ]; then
  command -v dlv >/dev/null 2>&1 && DLVS+=("$(command -v dlv)")
  DLV_LATEST="${DLV_LATEST:-v1.27.2}"
  latest="$HOME/.cache/attachproof/dlv/$DLV_LATEST/dlv"
  if [ ! -x "$latest" ] && command -v go >/dev/null 2>&1; then
    echo "building Delve $DLV_LATEST from the module proxy into $(dirname "$latest")" >&2
    GOBIN="$(dirname "$latest")" GOFLAGS=-mod=mod go install "github.com/go-delve/delve/cmd/dlv@$DLV_LATEST" >&2 || true
  fi
  [ -x "$latest" ] && DLVS+=("$latest")
fi

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$OUT/ap.wall"; : > "$OUT/ap.stopped"; : > "$OUT/ap.timing"; : > "$OUT/ap.rss"
for d in "${!DLVS[@]}"; do : > "$OUT/dlv$d.wall"; echo 0 > "$OUT/dlv$d.failed"; done
for i in $(seq 1 "$RUNS"); do
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$OUT/ap.time" "$AP" goroutines "$TARGET" --timing -o "$OUT/ap.txt" 2> "$OUT/ap.err"
    cat "$OUT/ap.time" >> "$OUT/ap.rss"
  else
    "$AP" goroutines "$TARGET" --timing -o "$OUT/ap.txt" 2> "$OUT/ap.err"
  fi
  t1=$(now)
  echo $(( (t1 - t0) / 1000000 )) >> "$OUT/ap.wall"
  grep 'timing' "$OUT/ap.err" >> "$OUT/ap.timing" || true
  # "attachproof: N goroutines; target stopped 215.304 ms; ..." -> microseconds
  sed -n 's/.*target stopped \([0-9]*\)\.\([0-9]*\) ms.*/\1\2/p' "$OUT/ap.err" >> "$OUT/ap.stopped"
  for d in "${!DLVS[@]}"; do
    # Delve's terminal: "goroutines" lists them all, "exit" then "n" (do not kill) detaches.
    t0=$(now)
    if timeout -s KILL 600 sh -c 'printf "goroutines\nexit\nn\n" | "$3" attach "$1" --check-go-version=false --allow-non-terminal-interactive=true > "$2" 2>&1' \
        sh "$TARGET" "$OUT/dlv$d.out" "${DLVS[$d]}"; then
      t1=$(now)
      echo $(( (t1 - t0) / 1000000 )) >> "$OUT/dlv$d.wall"
    else
      echo $(( $(cat "$OUT/dlv$d.failed") + 1 )) > "$OUT/dlv$d.failed"
    fi
  done
done

# The JSON document (what a sidecar's JSON clients ask for): it reads what goroutines wait on,
# before the stop and, for those that may have run since, while stopped (the stop's waits phase).
: > "$OUT/json.timing"
for _ in $(seq 1 "$RUNS"); do
  "$AP" goroutines "$TARGET" --format json --timing -o "$OUT/ap.json" 2> "$OUT/json.err" || true
  grep 'timing' "$OUT/json.err" >> "$OUT/json.timing" || true
done

# The same dump through a sidecar's `serve` (one JVM for every request, as a sidecar runs): the
# first request is made on a cold JVM and reported apart; then RUNS requests, timed by curl.
SERVE_PORT="${SERVE_PORT:-7391}"
: > "$OUT/serve.wall"; SERVE_FIRST=""
if command -v curl >/dev/null 2>&1; then
  "$AP" serve --listen "127.0.0.1:$SERVE_PORT" --max-stop off --rate 100 --burst 100 2> "$OUT/serve.err" &
  SERVE=$!
  trap 'kill $TARGET $SERVE 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$SERVE_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  url="http://127.0.0.1:$SERVE_PORT/v1/goroutines?pid=$TARGET&format=text"
  SERVE_FIRST=$(curl -fs -o "$OUT/serve.txt" -w '%{time_total}' "$url" | awk '{printf "%d", $1 * 1000}') || SERVE_FIRST=""
  for _ in $(seq 1 "$RUNS"); do
    curl -fs -o "$OUT/serve.txt" -w '%{time_total}\n' "$url" | awk '{printf "%d\n", $1 * 1000}' >> "$OUT/serve.wall" || true
  done
  # A sidecar answers for weeks: SERVE_SOAK more requests, then the last RUNS of them and the
  # server's resident memory (its JVM's, the launcher exec's into it).
  : > "$OUT/serve.soak"
  for _ in $(seq 1 "${SERVE_SOAK:-20}"); do
    curl -fs -o "$OUT/serve.txt" -w '%{time_total}\n' "$url" | awk '{printf "%d\n", $1 * 1000}' >> "$OUT/serve.soak" || true
  done
  SERVE_RSS=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVE/status" 2>/dev/null || true)
  SERVE_HWM=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SERVE/status" 2>/dev/null || true)
  kill "$SERVE" 2>/dev/null || true
  wait "$SERVE" 2>/dev/null || true
fi

n=$(grep -c '^goroutine ' "$OUT/ap.txt")
read -r apm apmin apmax < <(stats < "$OUT/ap.wall")
read -r stm stmin stmax < <(stats < "$OUT/ap.stopped")
echo "load average before the runs: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "attachproof goroutines: $n goroutines; wall median ${apm} ms (min ${apmin}, max ${apmax}) over $RUNS runs"
echo "attachproof goroutines: target stopped median $((stm / 1000)) ms (min $((stmin / 1000)), max $((stmax / 1000)))"
echo "attachproof goroutines: the stop's phases, run by run (--timing):"
sed 's/^attachproof: timing (ms): */  /' "$OUT/ap.timing"
if [ -s "$OUT/ap.rss" ]; then
  read -r rm rmin rmax < <(stats < "$OUT/ap.rss")
  echo "attachproof goroutines: peak RSS median $((rm / 1024)) MiB (max $((rmax / 1024)))"
fi
if [ -s "$OUT/json.timing" ]; then
  read -r jsm jsmin jsmax < <(sed -n 's/.*; stopped \([0-9]*\)\.\([0-9]\).*/\1\2/p' "$OUT/json.timing" | stats)
  read -r jwm jwmin jwmax < <(sed -n 's/.* + waits \([0-9]*\)\.\([0-9]\) .*/\1\2/p' "$OUT/json.timing" | stats)
  jsm=${jsm%.*}; jwm=${jwm%.*}   # an even count's median may fall between two tenths
  echo "attachproof goroutines --format json: target stopped median $((jsm / 10)).$((jsm % 10)) ms" \
    "(min $((jsmin / 10)).$((jsmin % 10)), max $((jsmax / 10)).$((jsmax % 10))), of which reading what goroutines wait on" \
    "$((jwm / 10)).$((jwm % 10)) ms (min $((jwmin / 10)).$((jwmin % 10)), max $((jwmax / 10)).$((jwmax % 10)))"
  sed -n 's/.*\(waits kept [0-9]*\);.*/  \1 (goroutines whose wait, read before the stop, stood)/p' "$OUT/json.timing" | tail -1
fi
if [ -s "$OUT/serve.wall" ]; then
  read -r svm svmin svmax < <(stats < "$OUT/serve.wall")
  echo "attachproof serve (one JVM, GET /v1/goroutines?format=text): $(grep -c '^goroutine ' "$OUT/serve.txt") goroutines;" \
    "first request ${SERVE_FIRST} ms; then wall median ${svm} ms (min ${svmin}, max ${svmax}) over $RUNS requests"
  if [ -s "$OUT/serve.soak" ]; then
    read -r skm skmin skmax < <(tail -n "$RUNS" "$OUT/serve.soak" | stats)
    echo "attachproof serve after $(wc -l < "$OUT/serve.soak") more requests: wall median ${skm} ms (min ${skmin}, max ${skmax})" \
      "over the last $RUNS; resident $(( ${SERVE_RSS:-0} / 1024 )) MiB, peak $(( ${SERVE_HWM:-0} / 1024 )) MiB"
  fi
fi
for d in "${!DLVS[@]}"; do
  v=$("${DLVS[$d]}" version | sed -n 's/^Version: //p')
  echo "dlv $v (${DLVS[$d]}) attach + goroutines + detach: $(cat "$OUT/dlv$d.failed") of $RUNS runs failed or hung;" \
    "it listed $(grep -c '^  Goroutine\|^\* Goroutine' "$OUT/dlv$d.out" || true) goroutines in its last run"
  if [ -s "$OUT/dlv$d.wall" ]; then
    read -r dm dmin dmax < <(stats < "$OUT/dlv$d.wall")
    echo "dlv $v: wall median ${dm} ms (min ${dmin}, max ${dmax}); the target is stopped for all of it"
    awk -v a="$apm" -v d="$dm" -v v="$v" 'BEGIN {printf "ratio dlv %s / attachproof (wall medians): %.1f\n", v, d / a}'
    awk -v s="$stm" -v d="$dm" -v v="$v" 'BEGIN {printf "ratio dlv %s wall / attachproof stop (medians): %.0f\n", v, d * 1000 / s}'
    if [ -s "$OUT/serve.wall" ]; then
      awk -v a="$svm" -v d="$dm" -v v="$v" 'BEGIN {printf "ratio dlv %s / attachproof serve (wall medians, warm JVM): %.1f\n", v, d / a}'
    fi
  fi
done
state=$(sed -n 's/^State:\t//p' /proc/$TARGET/status); tracer=$(sed -n 's/^TracerPid:\t//p' /proc/$TARGET/status)
echo "target afterwards: State $state, TracerPid $tracer"
[ "$tracer" = 0 ] && [ "${state:0:1}" != t ] && [ "${state:0:1}" != T ]
