#!/usr/bin/env bash
# Records /proc trees on a real Yama kernel (Debian's linux-image-amd64 under qemu) for each
# ptrace_scope, into agent/src/test/proc-trees/yama-*. See record-yama-payload.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
files="$(mktemp -d)"; out="$(mktemp -d)"
trap 'rm -rf "$files" "$out"' EXIT
(cd "$ROOT/agent/go" && CGO_ENABLED=0 go build -o "$files/target" ./target && CGO_ENABLED=0 go build -o "$files/tryattach" ./tryattach)
cp "$ROOT/containers/proc-recorder/record-proc.sh" "$files/"
"$ROOT/containers/qemu/yama-vm.sh" "$ROOT/containers/proc-recorder/record-yama-payload.sh" "$files" "$out"
cat "$out/payload.log"
ls -d "$out"/yama-* >/dev/null 2>&1 || { echo "record-yama: the VM recorded nothing" >&2; exit 1; }
for tree in "$out"/yama-*; do
  rm -rf "$ROOT/agent/src/test/proc-trees/$(basename "$tree")"
  cp -a "$tree" "$ROOT/agent/src/test/proc-trees/"
done
