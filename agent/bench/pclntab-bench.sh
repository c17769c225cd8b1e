#!/usr/bin/env bash
# Benchmark of the build-info and pclntab readers on Go binaries (default: the largest Go
# binaries of the local toolchain, and Delve if installed; --big adds a 66 MB one, Hugo v0.139.0,
# built once through the Go module proxy into agent/target/bench, about 3 minutes):
#   agent/bench/pclntab-bench.sh [--big] [BINARY ...]
# Prints, per binary, the time to build info + pclntab ready (first, cold JVM; warm median), the
# median time of 100,000 random PC lookups, `go tool addr2line` on the same PCs (Go's own
# reader, whole process) as the reference, and the time to the runtime layout from DWARF.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="$("$ROOT/attachproof" __jdk)"; export JAVA_HOME
cd "$ROOT"
"$ROOT/attachproof" --version >/dev/null                 # the agent jar, with its dependencies
mvn -B -q -ntp -pl native-bindings,agent test-compile >/dev/null 2>&1   # the bench class
big=()
if [ "${1:-}" = "--big" ]; then
  shift
  if [ ! -x agent/target/bench/bin/hugo ]; then
    echo "building Hugo v0.139.0 (a 66 MB Go binary) ..." >&2
    CGO_ENABLED=0 GOBIN="$ROOT/agent/target/bench/bin" GOFLAGS=-mod=mod go install github.com/gohugoio/hugo@v0.139.0
  fi
  big=(agent/target/bench/bin/hugo)
fi
if [ $# -eq 0 ]; then
  set -- $(ls -S "$(go env GOROOT)"/pkg/tool/*/compile "$(go env GOROOT)"/bin/go "$(command -v dlv || true)" 2>/dev/null)
fi
"$JAVA_HOME/bin/java" -cp "agent/target/attachproof.jar:agent/target/test-classes" \
  dev.attachproof.bench.PclntabBench "${big[@]}" "$@"
