#!/usr/bin/env bash
# Builds attachproof/base:local from Debian's busybox-static, FROM scratch: no registry needed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
# A scratch image needs the static build (Debian's busybox-static); the plain busybox package is
# dynamically linked and would not start there.
if ! ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable'; then
  apt-get update -qq
  apt-get install -y -qq busybox-static >/dev/null
fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cp "$here/Dockerfile" "$ctx/"
printf 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$ctx/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' > "$ctx/group"
docker build -q -t attachproof/base:local "$ctx"
