#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 for tests and demos: etcd, kube-apiserver (RBAC on),
# kube-controller-manager, kube-scheduler, kwok (fake nodes and pods, emulated CPU) and metrics-server,
# then creates fake nodes over three zones. Binaries come from build-kube.sh (built once, cached).
#
#   testbed/kube-up.sh [RUN_DIR]      # default: $GAMEDAY_TESTBED_RUN or /tmp/gameday-testbed
#   testbed/kube-down.sh [RUN_DIR]    # stops exactly the processes this started (by pid)
#
# RUN_DIR/env holds KUBECONFIG and the ports; RUN_DIR/logs/<component>.log the logs. If a component
# does not come up, this exits non-zero and prints that component's log tail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
RUN=${1:-${GAMEDAY_TESTBED_RUN:-/tmp/gameday-testbed}}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
NODES_PER_ZONE=${TESTBED_NODES_PER_ZONE:-2}
ZONES=(zone-a zone-b zone-c)

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

"$here/build-kube.sh"
K8S=$TESTBED_CACHE/kubernetes-$K8S_VERSION/bin
ETCD=$TESTBED_CACHE/etcd-$ETCD_VERSION/bin/etcd
KWOK=$TESTBED_CACHE/kwok-$KWOK_VERSION
MS=$TESTBED_CACHE/metrics-server-$METRICS_SERVER_VERSION/bin/metrics-server

if [ -f "$RUN/env" ] && "$here/kube-down.sh" --check "$RUN" 2>/dev/null; then
  log "already running in $RUN"
  exit 0
fi
"$here/kube-down.sh" "$RUN" >/dev/null 2>&1 || true
mkdir -p "$RUN"/{pki,logs,pids,cmd}
# etcd data lives in memory: tests do not need durability and fsync on a shared disk is slow.
DATA=/dev/shm/gameday-testbed-$(echo "$RUN" | md5sum | cut -c1-8)
rm -rf "$DATA" && mkdir -p "$DATA"
echo "$DATA" >"$RUN/data-dir"

# Pick all ports at once, holding each open until all are chosen: picked one by one, the kernel can
# hand out the same free port twice.
read -r ETCD_PORT ETCD_PEER API_PORT CM_PORT SCHED_PORT KWOK_PORT MS_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

# --- PKI: one CA; one leaf (CN=testbed-admin, O=system:masters) that serves and authenticates ---
P=$RUN/pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" -days 30 -subj "/CN=gameday-testbed-ca" 2>/dev/null
cat >"$P/leaf.cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[ext]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, IP:127.0.0.1, IP:10.96.0.1
EOF
openssl req -newkey rsa:2048 -nodes -keyout "$P/leaf.key" -out "$P/leaf.csr" -subj "/O=system:masters/CN=testbed-admin" -config "$P/leaf.cnf" 2>/dev/null
openssl x509 -req -in "$P/leaf.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -out "$P/leaf.crt" -days 30 -extfile "$P/leaf.cnf" -extensions ext 2>/dev/null
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null

KUBECONFIG_FILE=$RUN/kubeconfig
cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: testbed
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $P/ca.crt
users:
- name: testbed-admin
  user:
    client-certificate: $P/leaf.crt
    client-key: $P/leaf.key
contexts:
- name: testbed
  context: {cluster: testbed, user: testbed-admin, namespace: default}
current-context: testbed
EOF
KCTL="$K8S/kubectl --kubeconfig=$KUBECONFIG_FILE"

# start NAME CMD...: runs the component in the background, records its pid and its command line
# (so a test can stop and restart it), logs to logs/NAME.log.
start() {
  local name=$1; shift
  printf '%q ' "$@" >"$RUN/cmd/$name"
  echo >>"$RUN/cmd/$name"
  nohup "$@" >>"$RUN/logs/$name.log" 2>&1 &
  echo $! >"$RUN/pids/$name.pid"
}

fail() {
  local name=$1 why=$2
  log "FAILED: $name $why; last lines of $RUN/logs/$name.log:"
  tail -n 40 "$RUN/logs/$name.log" >&2 || true
  [ -n "${TESTBED_KEEP_ON_FAILURE:-}" ] || "$here/kube-down.sh" "$RUN" >/dev/null 2>&1 || true
  exit 1
}

# wait_for NAME SECONDS CHECK...: polls CHECK until it succeeds; the component must stay alive.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$RUN/pids/$name.pid")" 2>/dev/null || fail "$name" "exited"
    [ $SECONDS -ge $deadline ] && fail "$name" "not ready after ${secs}s"
    sleep 0.2
  done
}

log "etcd on 127.0.0.1:$ETCD_PORT"
start etcd "$ETCD" --name testbed --data-dir "$DATA/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "testbed=http://127.0.0.1:$ETCD_PEER" --unsafe-no-fsync --quota-backend-bytes 4294967296 \
  --log-level warn
wait_for etcd 20 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

log "kube-apiserver on 127.0.0.1:$API_PORT"
start apiserver "$K8S/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$P/leaf.crt" --tls-private-key-file "$P/leaf.key" --client-ca-file "$P/ca.crt" \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode RBAC --allow-privileged=true \
  --proxy-client-cert-file "$P/leaf.crt" --proxy-client-key-file "$P/leaf.key" \
  --requestheader-client-ca-file "$P/ca.crt" --requestheader-allowed-names testbed-admin \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- --endpoint-reconciler-type none \
  --event-ttl 1h
wait_for apiserver 60 curl -sf --cacert "$P/ca.crt" --cert "$P/leaf.crt" --key "$P/leaf.key" "https://127.0.0.1:$API_PORT/readyz"

log "kube-controller-manager, kube-scheduler"
start controller-manager "$K8S/kube-controller-manager" --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --leader-elect=false --controllers '*,-nodeipam' --root-ca-file "$P/ca.crt" \
  --service-account-private-key-file "$P/sa.key" --cluster-signing-cert-file "$P/ca.crt" \
  --cluster-signing-key-file "$P/ca.key" --horizontal-pod-autoscaler-sync-period 5s \
  --bind-address 127.0.0.1 --secure-port "$CM_PORT" --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
  --kube-api-qps 400 --kube-api-burst 800
start scheduler "$K8S/kube-scheduler" --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --kube-api-qps 400 --kube-api-burst 800
wait_for controller-manager 60 curl -skf "https://127.0.0.1:$CM_PORT/healthz"
wait_for scheduler 60 curl -skf "https://127.0.0.1:$SCHED_PORT/healthz"

log "kwok (fake nodes and pods) serving node metrics on 127.0.0.1:$KWOK_PORT"
# kwok has no built-in stages: give it the node and pod lifecycles and the resource-usage metrics.
{
  for f in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete metrics-resource usage-from-annotation; do
    echo "---"
    if [ "$f" = pod-ready ]; then
      # A pod may take its time to become ready, as a container and its readiness probe do: the
      # annotation kwok's own general stages read (pod-ready.stage.kwok.x-k8s.io/delay: 3s); none: at once.
      awk '/^  next:/ && !d { print "  delay:\n    durationMilliseconds: 0\n    durationFrom:\n      expressionFrom: '"'"'.metadata.annotations[\"pod-ready.stage.kwok.x-k8s.io/delay\"]'"'"'"; d=1 } { print }' "$KWOK/stages/$f.yaml"
    else
      cat "$KWOK/stages/$f.yaml"
    fi
  done
} >"$RUN/kwok.yaml"
start kwok "$KWOK/bin/kwok" --kubeconfig "$KUBECONFIG_FILE" --config "$RUN/kwok.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.128.0.0/12 --node-ip 127.0.0.1 --node-port "$KWOK_PORT" --server-address "127.0.0.1:$KWOK_PORT" \
  --tls-cert-file "$P/leaf.crt" --tls-private-key-file "$P/leaf.key" --node-lease-duration-seconds 40
wait_for kwok 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KWOK_PORT"

log "fake nodes: ${#ZONES[@]} zones x $NODES_PER_ZONE"
{
  for z in "${ZONES[@]}"; do
    for i in $(seq 1 "$NODES_PER_ZONE"); do
      n=kwok-$z-$i
      cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    type: kwok
    topology.kubernetes.io/zone: $z
    topology.kubernetes.io/region: testbed
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
    metrics.k8s.io/resource-metrics-path: /metrics/nodes/$n/metrics/resource
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "2000"}
  capacity: {cpu: "64", memory: 256Gi, pods: "2000"}
EOF
    done
  done
} >"$RUN/nodes.yaml"
$KCTL apply -f "$RUN/nodes.yaml" >/dev/null
wait_for kwok 60 bash -c "[ \"\$($KCTL get nodes --no-headers 2>/dev/null | grep -c ' Ready ')\" -ge $(( ${#ZONES[@]} * NODES_PER_ZONE )) ]"

log "metrics-server on 127.0.0.1:$MS_PORT (APIService v1beta1.metrics.k8s.io)"
start metrics-server "$MS" --kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
  --authorization-kubeconfig "$KUBECONFIG_FILE" --secure-port "$MS_PORT" --bind-address 127.0.0.1 \
  --tls-cert-file "$P/leaf.crt" --tls-private-key-file "$P/leaf.key" \
  --kubelet-use-node-status-port --kubelet-insecure-tls --kubelet-preferred-address-types InternalIP \
  --metric-resolution 10s --kubelet-request-timeout 5s
$KCTL apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec:
  type: ExternalName
  externalName: 127.0.0.1
  ports: [{name: https, port: $MS_PORT, targetPort: $MS_PORT}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  service: {name: metrics-server, namespace: kube-system, port: $MS_PORT}
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
wait_for metrics-server 20 $KCTL get --raw /apis/metrics.k8s.io/v1beta1/nodes

cat >"$RUN/env" <<EOF
KUBECONFIG=$KUBECONFIG_FILE
TESTBED_RUN=$RUN
TESTBED_API=https://127.0.0.1:$API_PORT
TESTBED_ETCD_PORT=$ETCD_PORT
TESTBED_KWOK_PORT=$KWOK_PORT
TESTBED_MS_PORT=$MS_PORT
TESTBED_KUBECTL=$K8S/kubectl
EOF
log "ready: export KUBECONFIG=$KUBECONFIG_FILE   (stop with testbed/kube-down.sh $RUN)"
