#!/usr/bin/env bash
# Stops a server a testbed start script started in RUN_DIR (zipkin, jaeger, opensearch, prometheus, istiod, envoy, recommender, redis), by its
# pid and nothing else.
set -uo pipefail
RUN=${1:?usage: obs-down.sh RUN_DIR zipkin|jaeger|opensearch|prometheus|istiod|envoy|recommender|redis}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
NAME=${2:?usage: obs-down.sh RUN_DIR zipkin|jaeger|opensearch|prometheus|istiod|envoy|recommender|redis}
[ -f "$RUN/$NAME.pid" ] || exit 0
pid=$(cat "$RUN/$NAME.pid")
kill "$pid" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null
rm -f "$RUN/$NAME.pid"
