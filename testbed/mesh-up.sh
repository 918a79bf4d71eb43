#!/usr/bin/env bash
# Starts a real istiod (pilot-discovery, built by build-kube.sh) against a running testbed apiserver,
# outside any cluster: the Istio CRDs of exactly that istiod are applied first, xDS is served in
# plaintext on 127.0.0.1. Envoys (testbed/envoy-up.sh) bootstrap to it as Istio gateways.
#
#   testbed/mesh-up.sh MESH_DIR KUBECONFIG     # writes MESH_DIR/env (ISTIOD_XDS, ISTIOD_HTTP)
#   testbed/obs-down.sh MESH_DIR istiod        # stops it by pid
#
# Stock Envoy is not istio-proxy: istiod must not send it istio-proxy's own filters (metadata
# exchange, ALPN, stats) nor wait on automatic mTLS, whose certificates only pilot-agent serves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: mesh-up.sh MESH_DIR KUBECONFIG}
KCFG=${2:?usage: mesh-up.sh MESH_DIR KUBECONFIG}
RUN=$(realpath -m -- "$RUN")
"$here/build-kube.sh" istiod kubernetes
I=$TESTBED_CACHE/istiod-$ISTIO_VERSION
KCTL="$TESTBED_CACHE/kubernetes-$K8S_VERSION/bin/kubectl --kubeconfig=$KCFG"
mkdir -p "$RUN"

# Server-side apply: the CRDs are too large for the last-applied annotation.
$KCTL apply --server-side --force-conflicts -f "$I/crds.yaml" >"$RUN/crds.log" 2>&1 || { cat "$RUN/crds.log" >&2; exit 1; }
$KCTL wait --for condition=established --timeout=60s crd/virtualservices.networking.istio.io crd/gateways.networking.istio.io \
  crd/serviceentries.networking.istio.io >/dev/null
$KCTL create namespace istio-system --dry-run=client -o yaml | $KCTL apply -f - >/dev/null

read -r XDS HTTP MON < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

# A mesh config stock Envoy can take: no auto mTLS (its certificates come from pilot-agent's SDS), no
# telemetry providers (istio.stats is an istio-proxy filter); access logs on the proxies' stdout
# with the response flags (FI: fault abort, DI: fault delay).
cat >"$RUN/mesh.yaml" <<'MESH'
enableAutoMtls: false
defaultProviders: {}
rootNamespace: istio-system
trustDomain: cluster.local
accessLogFile: /dev/stdout
accessLogFormat: "ACCESS %RESPONSE_CODE% %RESPONSE_FLAGS% %REQ(:METHOD)% %REQ(:PATH)% %DURATION%\n"
MESH

POD_NAMESPACE=istio-system POD_NAME=istiod-testbed REVISION=default CLUSTER_ID=Kubernetes \
PILOT_ENABLE_METADATA_EXCHANGE=false PILOT_ENABLE_ALPN_FILTER=false ENABLE_CA_SERVER=false \
PILOT_CERT_PROVIDER=none INJECT_ENABLED=false PILOT_ENABLE_GATEWAY_API=false ENABLE_LEADER_ELECTION=false \
VALIDATION_WEBHOOK_CONFIG_NAME= INJECTION_WEBHOOK_CONFIG_NAME= \
nohup "$I/bin/pilot-discovery" discovery --kubeconfig "$KCFG" --meshConfig "$RUN/mesh.yaml" \
  --namespace istio-system --domain cluster.local --grpcAddr "127.0.0.1:$XDS" --secureGRPCAddr "" --httpsAddr "" \
  --httpAddr "127.0.0.1:$HTTP" --monitoringAddr "127.0.0.1:$MON" --ctrlz_port 0 --log_output_level default:warn \
  >"$RUN/istiod.log" 2>&1 &
echo $! >"$RUN/istiod.pid"
wait_ready istiod "http://127.0.0.1:$HTTP/ready" "$RUN/istiod.pid" "$RUN/istiod.log" 60
cat >>"$RUN/env" <<ENV
ISTIOD_XDS=127.0.0.1:$XDS
ISTIOD_HTTP=http://127.0.0.1:$HTTP
ENV
echo "[istiod] ready: xDS 127.0.0.1:$XDS" >&2
