#!/usr/bin/env bash
# Benchmark of the build-info and pclntab readers on Go binaries (default: the largest Go
# binaries of the local toolchain, and Delve if installed):
#   agent/bench/pclntab-bench.sh [BINARY ...]
# Prints, per binary, the time to build info + pclntab ready (first, cold JVM; warm median) and
# the median time of 100,000 random PC lookups.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="$("$ROOT/attachproof" __jdk)"; export JAVA_HOME
cd "$ROOT"
"$ROOT/attachproof" --version >/dev/null                 # the agent jar, with its dependencies
mvn -B -q -ntp -pl native-bindings,agent test-compile >/dev/null 2>&1   # the bench class
if [ $# -eq 0 ]; then
  set -- $(ls -S "$(go env GOROOT)"/pkg/tool/*/compile "$(go env GOROOT)"/bin/go "$(command -v dlv || true)" 2>/dev/null)
fi
"$JAVA_HOME/bin/java" -cp "agent/target/attachproof.jar:agent/target/test-classes" \
  dev.attachproof.bench.PclntabBench "$@"
