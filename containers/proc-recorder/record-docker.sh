#!/usr/bin/env bash
# Records /proc trees inside real Docker containers, for the agent's unit tests:
#   agent/src/test/proc-trees/docker-default            default capabilities and seccomp profile
#   agent/src/test/proc-trees/docker-cap-sys-ptrace     --cap-add SYS_PTRACE
#   agent/src/test/proc-trees/docker-seccomp-deny-ptrace  a profile answering ptrace with EPERM
# In each container two Go targets run (as root and as uid 1000); the recorder runs as root, and
# `tryattach` (PTRACE_SEIZE with the recorder's credentials) writes the kernel's answer for each
# target into SCENARIO.txt, and `tryattach -probes` the doctor's seccomp probes into probes.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
"$ROOT/containers/docker-engine.sh"
"$ROOT/containers/base/build-base-image.sh" >/dev/null
work="$(mktemp -d)"
chmod 755 "$work"   # uid 1000 in the container runs the target from it
trap 'rm -rf "$work"' EXIT
(cd "$ROOT/agent/go" && CGO_ENABLED=0 go build -o "$work/target" ./target && CGO_ENABLED=0 go build -o "$work/tryattach" ./tryattach)
cp "$ROOT/containers/proc-recorder/record-proc.sh" "$work/"

scenario() { # NAME DOCKER-RUN-OPTIONS...
  local name="$1"; shift
  local out="$ROOT/agent/src/test/proc-trees/$name" ctr="attachproof-record-$name"
  docker rm -f "$ctr" >/dev/null 2>&1 || true
  docker run -d --name "$ctr" --network none -v "$work:/w:ro" "$@" attachproof/base:local sleep 600 >/dev/null
  docker exec "$ctr" sh -c '/w/target -hold forever > /tmp/root.out 2>&1 &'
  docker exec "$ctr" su -s /bin/sh user -c '/w/target -hold forever > /tmp/user.out 2>&1 &'
  local p0 p1
  for _ in $(seq 1 50); do
    p0=$(docker exec "$ctr" sed -n 's/READY pid=\([0-9]*\).*/\1/p' /tmp/root.out 2>/dev/null || true)
    p1=$(docker exec "$ctr" sed -n 's/READY pid=\([0-9]*\).*/\1/p' /tmp/user.out 2>/dev/null || true)
    [ -n "$p0" ] && [ -n "$p1" ] && break
    sleep 0.2
  done
  if [ -z "$p0" ] || [ -z "$p1" ]; then
    echo "record-docker: the targets did not start in $ctr" >&2
    docker rm -f "$ctr" >/dev/null
    exit 1
  fi
  rm -rf "$out"
  docker exec "$ctr" sh -c "rm -rf /out/tree && /w/record-proc.sh /out/tree 1 $p0 $p1 && tar -C /out -cf - tree" | tar -C "$work" -xf -
  mkdir -p "$(dirname "$out")"
  mv "$work/tree" "$out"
  {
    echo "scenario: $name, Docker $(docker version --format '{{.Server.Version}}'), kernel $(uname -r)"
    echo "made with: docker run --network none $* attachproof/base:local; containers/proc-recorder/record-docker.sh"
    echo "recorder: root in the container (proc/self), via docker exec; lines with tracer=self were tried with its credentials"
    echo "target $p0: uid 0, dumpable"
    echo "target $p1: uid 1000, dumpable"
    for p in $p0 $p1; do
      echo "observed PID=$p tracer=self tryattach=$(docker exec "$ctr" /w/tryattach "$p" || true)"
    done
  } > "$out/SCENARIO.txt"
  # The doctor's seccomp probes, made under the container's filter (a tree cannot make them later).
  docker exec "$ctr" /w/tryattach -probes > "$out/probes.txt"
  docker rm -f "$ctr" >/dev/null
  echo "recorded $out"
}

scenario docker-default
scenario docker-cap-sys-ptrace --cap-add SYS_PTRACE
scenario docker-seccomp-deny-ptrace --security-opt "seccomp=$ROOT/containers/seccomp/deny-ptrace.json"
