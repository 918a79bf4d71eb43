#!/usr/bin/env bash
# Starts a real Prometheus (Debian's package, installed if missing) on 127.0.0.1.
#
#   testbed/prom-up.sh RUN_DIR [SCRAPE_INTERVAL] [TSDB_DIR]
#
# It scrapes the targets listed in RUN_DIR/targets/*.json (file_sd: tests add demoapp processes there
# with their labels, and Prometheus picks them up within a second). With TSDB_DIR it serves an existing
# TSDB (fixtures made with promtool) and scrapes nothing. Writes RUN_DIR/env (PROM_URL) and the pid to
# RUN_DIR/prometheus.pid; stop with testbed/prom-down.sh RUN_DIR.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
RUN=${1:?usage: prom-up.sh RUN_DIR [SCRAPE_INTERVAL] [TSDB_DIR]}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
SCRAPE=${2:-1s}
TSDB=${3:-}
# PROM_LISTEN_IP: a loopback-device address other than 127.0.0.1 (see testbed.LoopbackAlias).
IP=${PROM_LISTEN_IP:-127.0.0.1}
log() { printf '[prometheus %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# PROM_BIN: another Prometheus than Debian's (the cluster Prometheus: built from the module, see
# build-kube.sh, since Debian's lacks the kubernetes service discovery).
PROM=${PROM_BIN:-prometheus}
if [ -z "${PROM_BIN:-}" ] && ! command -v prometheus >/dev/null 2>&1; then
  log "installing Debian's prometheus"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
mkdir -p "$RUN/targets"
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('$IP',0)); print(s.getsockname()[1]); s.close()")
if [ -z "$TSDB" ]; then
  TSDB=$RUN/tsdb
  cat >"$RUN/prometheus.yml" <<EOF
global:
  scrape_interval: $SCRAPE
  evaluation_interval: $SCRAPE
scrape_configs:
- job_name: demoapp
  scrape_interval: $SCRAPE
  file_sd_configs:
  - files: ['$RUN/targets/*.json']
    refresh_interval: 1s
EOF
  if [ -n "${PROM_KUBECONFIG:-}" ]; then
    # As in a cluster: the kubernetes service discovery gives each pod's series its namespace and
    # pod (Services annotated prometheus.io/scrape), kube-state-metrics keeps its own labels, and the
    # kubelet's resource endpoint (kwok emulates it per node) gives container CPU and memory.
    cat >>"$RUN/prometheus.yml" <<EOF
- job_name: kubernetes-pods
  scrape_interval: $SCRAPE
  kubernetes_sd_configs:
  - role: endpointslice
    kubeconfig_file: $PROM_KUBECONFIG
  tls_config:
    ca_file: ${PROM_CA:?}
  relabel_configs:
  - {source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape], action: keep, regex: "true"}
  - {source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scheme], action: replace, target_label: __scheme__, regex: "(https?)"}
  - {source_labels: [__address__, __meta_kubernetes_service_annotation_prometheus_io_port], action: replace, target_label: __address__, regex: '([^:]+)(?::[0-9]+)?;([0-9]+)', replacement: '\$1:\$2'}
  - {source_labels: [__meta_kubernetes_service_annotation_prometheus_io_path], action: replace, target_label: __metrics_path__, regex: (.+)}
  - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
  - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
  - {source_labels: [__meta_kubernetes_service_name], target_label: service}
- job_name: kube-state-metrics
  scrape_interval: $SCRAPE
  honor_labels: true
  file_sd_configs:
  - files: ['$RUN/ksm/*.json']
    refresh_interval: 1s
- job_name: kubelet-resource
  scrape_interval: $SCRAPE
  honor_labels: true
  kubernetes_sd_configs:
  - role: node
    kubeconfig_file: $PROM_KUBECONFIG
  relabel_configs:
  - {target_label: __address__, replacement: "127.0.0.1:${PROM_KWOK_PORT:?}"}
  - {source_labels: [__meta_kubernetes_node_name], target_label: __metrics_path__, replacement: /metrics/nodes/\$1/metrics/resource}
  - {source_labels: [__meta_kubernetes_node_name], target_label: node}
EOF
    mkdir -p "$RUN/ksm"
  fi
else
  printf 'global:\n  scrape_interval: %s\n' "$SCRAPE" >"$RUN/prometheus.yml"
fi
# PROM_OTLP_PROMOTE (Prometheus 3, PROM_BIN): receive OTLP metrics, these resource attributes promoted
# to labels (a YAML list).
extra=()
if [ -n "${PROM_OTLP_PROMOTE:-}" ]; then
  printf 'otlp:\n  promote_resource_attributes: %s\n' "$PROM_OTLP_PROMOTE" >>"$RUN/prometheus.yml"
  extra+=(--web.enable-otlp-receiver)
fi
nohup "$PROM" --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$TSDB" \
  --storage.tsdb.retention.time=100y --web.listen-address="$IP:$PORT" \
  --web.enable-lifecycle "${extra[@]}" >"$RUN/prometheus.log" 2>&1 &
echo $! >"$RUN/prometheus.pid"
wait_ready prometheus "http://$IP:$PORT/-/ready" "$RUN/prometheus.pid" "$RUN/prometheus.log" 30
echo "PROM_URL=http://$IP:$PORT" >"$RUN/env"
echo "PROM_CMD=$PROM --config.file=$RUN/prometheus.yml --storage.tsdb.path=$TSDB --storage.tsdb.retention.time=100y --web.listen-address=$IP:$PORT --web.enable-lifecycle" >>"$RUN/env"
log "ready on http://$IP:$PORT (scrape every $SCRAPE)"
