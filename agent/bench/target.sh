# Sourced by the benchmarks: builds agent/go/target (with Debian's Go 1.19 when installed: Delve
# 1.20's range, else with `go`), starts it with GOROUTINES parked goroutines, waits for READY, and
# defines stats (reads numbers, prints "median min max"). Sets TARGET (its pid) and OUT.
OUT="$ROOT/agent/target/bench"
mkdir -p "$OUT"
GO=go
[ -x /usr/lib/go-1.19/bin/go ] && GO=/usr/lib/go-1.19/bin/go
(cd "$ROOT/agent/go" && CGO_ENABLED=0 GOTOOLCHAIN=local "$GO" build -o "$OUT/target" ./target)
"$ROOT/attachproof" --version >/dev/null   # builds the agent and its AOT cache if needed

# TARGET_ARGS: more flags for the target (goroutines-bench.sh makes it busy and collected).
# shellcheck disable=SC2086
"$OUT/target" -hold forever -goroutines "$GOROUTINES" ${TARGET_ARGS:-} > "$OUT/target.out" &
TARGET=$!
trap 'kill $TARGET 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do grep -q READY "$OUT/target.out" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$OUT/target.out" || { echo "bench: the target did not start" >&2; exit 1; }
echo "target: pid $TARGET, $(cat "$OUT/target.out")"

now() { date +%s%N; }
stats() {
  sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%s %s %s\n", m, a[1], a[NR]}'
}
