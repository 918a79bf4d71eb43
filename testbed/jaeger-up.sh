#!/usr/bin/env bash
# Starts a real Jaeger v2 (built by build-kube.sh jaeger) on 127.0.0.1: in-memory storage, Zipkin
# intake and the query service (the HTTP API its UI uses). Writes RUN_DIR/env (JAEGER_URL, the query
# service; JAEGER_ZIPKIN, where Zipkin-format spans go) and RUN_DIR/jaeger.pid; stop with
# testbed/obs-down.sh RUN_DIR jaeger.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: jaeger-up.sh RUN_DIR}
RUN=$(realpath -m -- "$RUN")
"$here/build-kube.sh" jaeger >&2
mkdir -p "$RUN"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
QUERY=$(port) GRPC=$(port) ZIPKIN=$(port) HEALTH=$(port)
cat >"$RUN/jaeger.yaml" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [zipkin]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics: {level: none}
    logs: {level: warn}
extensions:
  jaeger_storage:
    backends:
      mem: {memory: {max_traces: 100000}}
  jaeger_query:
    storage: {traces: mem}
    http: {endpoint: "127.0.0.1:$QUERY"}
    grpc: {endpoint: "127.0.0.1:$GRPC"}
  healthcheckv2:
    use_v2: true
    http: {endpoint: "127.0.0.1:$HEALTH"}
receivers:
  zipkin: {endpoint: "127.0.0.1:$ZIPKIN"}
processors:
  batch: {timeout: 100ms}
exporters:
  jaeger_storage_exporter: {trace_storage: mem}
YAML
nohup "$TESTBED_CACHE/jaeger-$JAEGER_VERSION/bin/jaeger" --config "$RUN/jaeger.yaml" >"$RUN/jaeger.log" 2>&1 &
echo $! >"$RUN/jaeger.pid"
wait_ready jaeger "http://127.0.0.1:$QUERY/api/services" "$RUN/jaeger.pid" "$RUN/jaeger.log" 60
{
  echo "JAEGER_URL=http://127.0.0.1:$QUERY"
  echo "JAEGER_ZIPKIN=http://127.0.0.1:$ZIPKIN/api/v2/spans"
} >>"$RUN/env"
echo "[jaeger] ready, query on http://127.0.0.1:$QUERY" >&2
