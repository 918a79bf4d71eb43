#!/usr/bin/env bash
# Stops the Prometheus prom-up.sh started in RUN_DIR (by its pid, nothing else).
set -uo pipefail
RUN=${1:?usage: prom-down.sh RUN_DIR}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
[ -f "$RUN/prometheus.pid" ] || exit 0
pid=$(cat "$RUN/prometheus.pid")
kill "$pid" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null
rm -f "$RUN/prometheus.pid"
