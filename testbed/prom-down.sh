#!/usr/bin/env bash
# Stops the Prometheus prom-up.sh started in RUN_DIR (by its pid, nothing else).
set -uo pipefail
exec "$(cd "$(dirname "$0")" && pwd)/obs-down.sh" "${1:?usage: prom-down.sh RUN_DIR}" prometheus
