#!/usr/bin/env bash
# Starts the real Zipkin server (in-memory storage) on 127.0.0.1. Writes RUN_DIR/env (ZIPKIN_URL) and
# RUN_DIR/zipkin.pid; stop with testbed/obs-down.sh RUN_DIR zipkin.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/versions.sh"
RUN=${1:?usage: zipkin-up.sh RUN_DIR}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
"$here/obs-install.sh"
mkdir -p "$RUN"
# TESTBED_PORT restarts a server on the port it had (outage tests).
PORT=${TESTBED_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}
# Zipkin 3 serves through Armeria, which ignores server.address (it bound every address): its own
# port list takes the address.
STORAGE_TYPE=mem nohup java -Xms64m -Xmx384m -XX:+UseSerialGC -jar "$TESTBED_CACHE/zipkin-$ZIPKIN_VERSION/zipkin.jar" \
  "--armeria.ports[0].ip=127.0.0.1" "--armeria.ports[0].port=$PORT" "--armeria.ports[0].protocols=http" --logging.level.root=WARN >"$RUN/zipkin.log" 2>&1 &
echo $! >"$RUN/zipkin.pid"
wait_ready zipkin "http://127.0.0.1:$PORT/health" "$RUN/zipkin.pid" "$RUN/zipkin.log" 90
echo "ZIPKIN_URL=http://127.0.0.1:$PORT" >>"$RUN/env"
echo "[zipkin] ready on http://127.0.0.1:$PORT" >&2
