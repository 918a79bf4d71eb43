#!/usr/bin/env bash
# Starts a real Elasticsearch-API server (OpenSearch's integ-test distribution: single node, no
# security plugin, small heap) on 127.0.0.1. OpenSearch refuses to run as root, so as root it runs
# as the unprivileged user gameday-testbed (created if missing). Writes RUN_DIR/env (ES_URL) and
# RUN_DIR/opensearch.pid; stop with testbed/obs-down.sh RUN_DIR opensearch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: opensearch-up.sh RUN_DIR}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
"$here/obs-install.sh"
HOME_OS=$TESTBED_CACHE/opensearch-$OPENSEARCH_VERSION/opensearch-$OPENSEARCH_VERSION
mkdir -p "$RUN/os-data" "$RUN/os-logs" "$RUN/os-config"
cp -r "$HOME_OS/config/." "$RUN/os-config/"
# GC logs, heap dumps and error files go to relative paths by default: keep them out (tests).
sed -i -e '/Xlog:gc/d' -e '/HeapDumpPath/d' -e '/ErrorFile/d' -e '/HeapDumpOnOutOfMemoryError/d' "$RUN/os-config/jvm.options"
read -r PORT TPORT < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
# TESTBED_PORT restarts a server on the port it had (outage tests).
PORT=${TESTBED_PORT:-$PORT}
cat >"$RUN/os-config/opensearch.yml" <<YML
cluster.name: gameday-testbed
node.name: testbed
network.host: 127.0.0.1
http.port: $PORT
transport.port: $TPORT
discovery.type: single-node
path.data: $RUN/os-data
path.logs: $RUN/os-logs
action.auto_create_index: true
YML
as=()
if [ "$(id -u)" -eq 0 ]; then
  # Test packages start servers in parallel: one at a time through the user and the copy.
  mkdir -p /opt/gameday-testbed
  exec 8>/opt/gameday-testbed/.lock
  flock 8
  id gameday-testbed >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin gameday-testbed
  # The unprivileged user cannot read root's cache: keep a readable copy of the distribution.
  RO=/opt/gameday-testbed/opensearch-$OPENSEARCH_VERSION
  if [ ! -f "$RO/.done" ]; then
    rm -rf "$RO" && mkdir -p "$(dirname "$RO")" && cp -r "$HOME_OS" "$RO" && chmod -R a+rX "$RO" && touch "$RO/.done"
  fi
  HOME_OS=$RO
  flock -u 8
  chown -R gameday-testbed "$RUN/os-data" "$RUN/os-logs" "$RUN/os-config"
  chmod o+rx "$RUN"
  as=(setpriv --reuid=gameday-testbed --regid=gameday-testbed --clear-groups)
fi
OPENSEARCH_JAVA_HOME="${OPENSEARCH_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}" OPENSEARCH_JAVA_OPTS="-Xms384m -Xmx384m" OPENSEARCH_PATH_CONF="$RUN/os-config" nohup "${as[@]}" "$HOME_OS/bin/opensearch" >"$RUN/opensearch.log" 2>&1 &
echo $! >"$RUN/opensearch.pid"
wait_ready opensearch "http://127.0.0.1:$PORT/_cluster/health?wait_for_status=yellow&timeout=1s" "$RUN/opensearch.pid" "$RUN/opensearch.log" 120
echo "ES_URL=http://127.0.0.1:$PORT" >>"$RUN/env"
echo "[opensearch] ready on http://127.0.0.1:$PORT" >&2
