#!/usr/bin/env bash
# A one-node Kubernetes cluster on this machine, for the tests (it-tests, KubernetesClusterTest) and
# for trying the manifests by hand. Needs root, Debian's etcd-server, containerd, runc and
# containernetworking-plugins, and the Kubernetes programs build-binaries.sh builds.
#
#   cluster.sh up        start etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a
#                        containerd of its own and the kubelet; wait until the node is Ready and the
#                        default service account exists; print the kubeconfig's path
#   cluster.sh import IMAGE...   copy images from the Docker engine into the cluster's containerd
#   cluster.sh down      stop everything, remove the pods' containers, mounts and cgroups
#
# Everything lives under $ATTACHPROOF_K8S (default /var/lib/attachproof-k8s) and /run/attachproof-k8s
# (sockets: a unix socket's path must stay under 108 bytes). Nothing is pulled: the pod sandbox image
# is attachproof/pause:local (containers/build-images.sh pause), imported like every other image.
#
# Why each setting (measured on this kind of machine: cgroup v1, root without CAP_SYS_RESOURCE):
# - containerd's CRI `restrict_oom_score_adj`: runc cannot lower oom_score_adj without
#   CAP_SYS_RESOURCE (`nsexec: failed to update /proc/self/oom_score_adj: Permission denied`).
# - kubelet: cgroupfs driver (no systemd here), `failSwapOn: false`, node name `localhost`; the
#   kubelet picks the node IP from the default route, the apiserver reaches it by that Hostname.
#   Webhook authentication and authorization with the cluster's CA, so `kubectl exec`, `logs`,
#   `port-forward` and `debug` work as on a real cluster.
# - Admission as shipped, PodSecurity included (namespaces choose a level by label); the apiserver
#   allows privileged containers, as every real cluster's does.
# - No kube-proxy, no DNS: the tests reach pods through the API (exec, port-forward) or by pod IP.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${ATTACHPROOF_K8S:-/var/lib/attachproof-k8s}"
RUN=/run/attachproof-k8s
SOCK="$RUN/containerd.sock"
API_PORT="${ATTACHPROOF_K8S_API_PORT:-16443}"
ETCD_PORT=12379
say() { echo "cluster: $*" >&2; }

bin_dir() { "$HERE/build-binaries.sh"; }

kubectl_() { "$BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" "$@"; }

# The address the kubelet will pick: its default route's source, else the first global IPv4 address.
node_ip() {
  local ip
  ip="$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)"
  [ -n "$ip" ] || ip="$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub("/.*", "", $4); print $4; exit}')"
  [ -n "$ip" ] || { say "no IPv4 address but loopback: the kubelet needs one for its node"; exit 1; }
  echo "$ip"
}

pki() {
  local d="$DIR/pki" ip="$1"
  [ -f "$d/done" ] && [ "$(cat "$d/done")" = "$ip" ] && return
  rm -rf "$d"; mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=attachproof-k8s-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  cert() { # NAME SUBJECT [SAN]
    local name="$1" subj="$2" san="${3:-}"
    openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
    if [ -n "$san" ]; then printf 'subjectAltName=%s\n' "$san" > "$d/$name.ext"; else : > "$d/$name.ext"; fi
    openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
      -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  }
  cert apiserver "/CN=kube-apiserver" \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.0.0.1,IP:$ip"
  cert admin "/O=system:masters/CN=attachproof-admin"
  cert kubelet "/O=system:nodes/CN=system:node:localhost"
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  echo "$ip" > "$d/done"
}

kubeconfig() { # FILE USER
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: attachproof
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$DIR/pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$DIR/pki/$2.crt", client-key: "$DIR/pki/$2.key"}
contexts:
- name: attachproof
  context: {cluster: attachproof, user: $2}
current-context: attachproof
EOF
}

start() { # NAME COMMAND...: in the background, its log under logs/, its pid in pids/
  local name="$1"; shift
  setsid "$@" > "$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name"
}

wait_for() { # SECONDS WHAT COMMAND...
  local limit=$(( SECONDS + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= limit )); then say "$what did not happen in time; logs in $DIR/logs"; tail -20 "$DIR"/logs/*.log >&2; exit 1; fi
    sleep 0.2
  done
}

containerd_config() {
  mkdir -p "$DIR/cni" "$DIR/containerd"
  cat > "$DIR/cni/10-attachproof.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "attachproof", "plugins": [
  {"type": "bridge", "bridge": "apk8s0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$DIR/cni-ipam"}}]}
EOF
  cat > "$DIR/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/attachproof/pause:local"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni"
EOF
}

kubelet_config() {
  cat > "$DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$SOCK
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$DIR/pki/ca.crt"}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzPort: 0
# A test machine's disk may be nearly full: never evict the test's pods or collect its images.
evictionHard: {memory.available: "100Mi", nodefs.available: "0%", imagefs.available: "0%", nodefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
resolvConf: /etc/resolv.conf
EOF
}

up() {
  [ "$(id -u)" = 0 ] || { say "needs root (containerd, the kubelet, cgroups)"; exit 1; }
  for p in etcd containerd runc /usr/lib/cni/bridge openssl; do
    command -v "$p" >/dev/null || { say "missing $p: apt-get install etcd-server containerd runc containernetworking-plugins openssl"; exit 1; }
  done
  BIN="$(bin_dir)"
  if [ -f "$DIR/pids/kubelet" ] && kill -0 "$(cat "$DIR/pids/kubelet")" 2>/dev/null; then
    say "already up"; echo "$DIR/admin.kubeconfig"; return
  fi
  down_quietly
  local ip start=$SECONDS
  ip="$(node_ip)"
  mkdir -p "$DIR/logs" "$DIR/pids" "$RUN"
  pki "$ip"
  kubeconfig "$DIR/admin.kubeconfig" admin
  kubeconfig "$DIR/kubelet.kubeconfig" kubelet
  containerd_config
  kubelet_config

  rm -rf "$DIR/etcd"
  start etcd etcd --data-dir "$DIR/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls http://127.0.0.1:12380 \
    --initial-advertise-peer-urls http://127.0.0.1:12380 --initial-cluster default=http://127.0.0.1:12380 \
    --unsafe-no-fsync
  start containerd containerd --config "$DIR/containerd/config.toml"
  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 0.0.0.0 --advertise-address "$ip" --secure-port "$API_PORT" \
    --tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
    --client-ca-file "$DIR/pki/ca.crt" --authorization-mode Node,RBAC --allow-privileged=true \
    --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc --service-cluster-ip-range 10.0.0.0/24 \
    --kubelet-client-certificate "$DIR/pki/admin.crt" --kubelet-client-key "$DIR/pki/admin.key" \
    --kubelet-preferred-address-types Hostname,InternalIP
  wait_for 60 "kube-apiserver ready" kubectl_ get --raw /readyz
  say "kube-apiserver ready $((SECONDS - start)) s after start"
  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$DIR/admin.kubeconfig" \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --leader-elect=false --secure-port 0 --use-service-account-credentials=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$DIR/admin.kubeconfig" --leader-elect=false \
    --secure-port 0
  wait_for 30 "containerd answering" ctr --address "$SOCK" version
  start kubelet "$BIN/kubelet" --config "$DIR/kubelet.yaml" --kubeconfig "$DIR/kubelet.kubeconfig" \
    --hostname-override localhost --root-dir "$DIR/kubelet" --cert-dir "$DIR/kubelet-pki"
  wait_for 90 "node Ready" kubectl_ wait node/localhost --for condition=Ready --timeout 2s
  wait_for 60 "the default service account" kubectl_ get serviceaccount default
  say "node Ready $((SECONDS - start)) s after start"
  echo "$DIR/admin.kubeconfig"
}

import() {
  [ $# -gt 0 ] || { say "usage: cluster.sh import IMAGE..."; exit 2; }
  docker save "$@" | ctr --address "$SOCK" -n k8s.io images import - >/dev/null
  say "imported $*"
}

# Stops what a previous `up` started, in the order that leaves nothing behind: the kubelet (so it
# restarts no container), every pod's task and the shims, containerd, the control plane; then the
# kubelet's mounts (secrets, emptyDirs, the pods' network namespaces) and the pods' cgroups.
down_quietly() {
  local name pid m
  [ -f "$DIR/pids/kubelet" ] && kill "$(cat "$DIR/pids/kubelet")" 2>/dev/null || true
  if ctr --address "$SOCK" version >/dev/null 2>&1; then
    for pid in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n k8s.io tasks kill -s SIGKILL "$pid" >/dev/null 2>&1 || true
    done
  fi
  pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io -address $SOCK" 2>/dev/null || true
  for name in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [ -f "$DIR/pids/$name" ] && kill "$(cat "$DIR/pids/$name")" 2>/dev/null || true
  done
  for name in kubelet containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [ -f "$DIR/pids/$name" ] || continue
    pid="$(cat "$DIR/pids/$name")"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/pids/$name"
  done
  # Deepest first, so a mount inside a mount goes before it.
  for m in $(awk -v a="$DIR/" -v b="$RUN/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for m in /sys/fs/cgroup/*/kubepods; do
    [ -d "$m" ] && find "$m" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  ip link delete apk8s0 2>/dev/null || true
  rm -rf "$DIR/kubelet" "$DIR/cni-ipam" "$RUN"
}

case "${1:-}" in
  up) up ;;
  import) shift; import "$@" ;;
  down) down_quietly; say "down" ;;
  *) echo "usage: cluster.sh up|import IMAGE...|down" >&2; exit 2 ;;
esac
