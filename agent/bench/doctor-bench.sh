#!/usr/bin/env bash
# Benchmark of `attachproof doctor PID` on a Go target with many goroutines, against Delve
# attaching to and detaching from the same target in the same run.
#
#   agent/bench/doctor-bench.sh [RUNS] [GOROUTINES]      (defaults: 15 runs, 10000 goroutines)
#
# Prints, for each tool, the median/min/max whole-command wall time, and for attachproof the
# median time the target was stopped (stoppedMicros, measured inside the agent from the first
# PTRACE_INTERRUPT to the last PTRACE_DETACH), then the ratio of the medians. The target is
# built with Debian's Go 1.19 when it is installed (Delve 1.20's range), else with `go`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNS="${1:-15}"
GOROUTINES="${2:-10000}"
. "$ROOT/agent/bench/target.sh"

: > "$OUT/ap.wall"; : > "$OUT/ap.stopped"; : > "$OUT/dlv.wall"
dlv_failed=0
have_dlv=0; command -v dlv >/dev/null 2>&1 && have_dlv=1
for i in $(seq 1 "$RUNS"); do
  t0=$(now)
  stopped=$("$ROOT/attachproof" doctor "$TARGET" --json | sed -n 's/.*"stoppedMicros": \([0-9]*\).*/\1/p')
  t1=$(now)
  echo $(( (t1 - t0) / 1000000 )) >> "$OUT/ap.wall"
  echo "$stopped" >> "$OUT/ap.stopped"
  if [ $have_dlv = 1 ]; then
    # Delve's terminal reads "exit", then "n" to "Would you like to kill the process?": it
    # detaches and the target runs on. ("exit -c" is for multi-client servers only; Delve 1.20
    # then reads the "n" as `next` and steps the target.) Bounded: a Delve that hangs is
    # counted, not waited for.
    t0=$(now)
    if timeout -s KILL 20 sh -c 'printf "exit\nn\n" | dlv attach "$1" --allow-non-terminal-interactive=true >/dev/null 2>&1' sh "$TARGET"; then
      t1=$(now)
      echo $(( (t1 - t0) / 1000000 )) >> "$OUT/dlv.wall"
    else
      dlv_failed=$((dlv_failed + 1))
    fi
  fi
done

read -r apm apmin apmax < <(stats < "$OUT/ap.wall")
read -r stm stmin stmax < <(stats < "$OUT/ap.stopped")
echo "attachproof doctor: wall median ${apm} ms (min ${apmin}, max ${apmax}) over $RUNS runs"
echo "attachproof doctor: target stopped median ${stm} µs (min ${stmin}, max ${stmax})"
if [ $have_dlv = 1 ]; then
  echo "dlv attach + detach ($(dlv version | sed -n 's/^Version: //p')): $dlv_failed of $RUNS runs failed or hung (killed after 20 s)"
  if [ -s "$OUT/dlv.wall" ]; then
    read -r dm dmin dmax < <(stats < "$OUT/dlv.wall")
    echo "dlv attach + detach: wall median ${dm} ms (min ${dmin}, max ${dmax}) over the runs that finished"
    awk -v a="$apm" -v d="$dm" 'BEGIN {printf "ratio dlv/attachproof (wall medians): %.2f\n", d / a}'
  fi
else
  echo "dlv not installed: no Delve comparison (apt-get install delve)"
fi
state=$(sed -n 's/^State:\t//p' /proc/$TARGET/status); tracer=$(sed -n 's/^TracerPid:\t//p' /proc/$TARGET/status)
echo "target afterwards: State $state, TracerPid $tracer"
[ "$tracer" = 0 ] && [ "${state:0:1}" != t ] && [ "${state:0:1}" != T ]
