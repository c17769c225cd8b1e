#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io when dockerd is
# missing, starts dockerd when `docker info` does not answer, and waits for it (bounded).
# Safe to run twice. No registry is needed or reached: images are built locally.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  # No network is needed by our containers (they run with --network none), and this machine's
  # kernel may lack the iptables pieces a default bridge wants: start without them.
  nohup dockerd --iptables=false --ip6tables=false --bridge=none >/var/log/attachproof-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
fi
docker info >/dev/null 2>&1 || { echo "docker-engine: dockerd did not answer within 60 s (log: /var/log/attachproof-dockerd.log)" >&2; exit 1; }
echo "docker engine $(docker version --format '{{.Server.Version}}') ($(docker info --format '{{.Driver}}') storage)"
