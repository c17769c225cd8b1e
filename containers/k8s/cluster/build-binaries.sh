#!/usr/bin/env bash
# Builds the Kubernetes programs KubernetesClusterTest runs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kubectl) from the Go module proxy, once per machine, and prints the directory
# that holds them. The cache lives outside the clone (~/.cache/attachproof/k8s/VERSION, or
# $ATTACHPROOF_CACHE/k8s/VERSION): a cold build takes 15-20 minutes on 2 cores and grows Go's module and
# build caches by several GB; a warm one does nothing.
#
# Built as the Kubernetes project builds its releases: static (CGO_ENABLED=0), -trimpath, stripped, with
# the version stamped where `kubectl version` and the kubelet read it. v1.34 is the newest line whose
# kubelet runs on cgroup v1 without an opt-in, and it speaks CRI v1 to Debian's containerd 1.6.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VERSION=v1.34.4
GO_RELEASE=go1.24.13
PROGRAMS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
OUT="${ATTACHPROOF_CACHE:-$HOME/.cache/attachproof}/k8s/$VERSION"

missing=()
for p in "${PROGRAMS[@]}"; do [ -x "$OUT/$p" ] || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$OUT"; exit 0; fi

[ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"
mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$HERE/go.mod" "$HERE/go.sum" "$HERE/tools.go" "$work/"
cd "$work"
export GOTOOLCHAIN="$GO_RELEASE" CGO_ENABLED=0 GOFLAGS=-mod=mod
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
for p in "${missing[@]}"; do
  start=$SECONDS
  go build -trimpath -ldflags "$ldflags" -o "$work/$p" "k8s.io/kubernetes/cmd/$p" >&2
  mv "$work/$p" "$OUT/$p"
  echo "k8s: built $p in $((SECONDS - start)) s" >&2
done
echo "$OUT"
