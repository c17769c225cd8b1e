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
# passwd and group name root, nobody and a user 1000 (the arm64 agent image copies them too).
cp "$here/Dockerfile" "$here/passwd" "$here/group" "$ctx/"
docker build -q -t attachproof/base:local "$ctx"
