#!/usr/bin/env bash
# Stops the testbed started by kube-up.sh: exactly the processes whose pids it recorded, nothing else.
#   testbed/kube-down.sh [RUN_DIR]
#   testbed/kube-down.sh --check [RUN_DIR]   # exit 0 if every component is alive
set -uo pipefail
check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi
RUN=${1:-${GAMEDAY_TESTBED_RUN:-/tmp/gameday-testbed}}
RUN=$(realpath -m -- "$RUN") # paths written into kubeconfig/env must not depend on the caller's cwd
[ -d "$RUN/pids" ] || exit $([ "$check" = true ] && echo 1 || echo 0)

if $check; then
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || exit 1
    kill -0 "$(cat "$f")" 2>/dev/null || exit 1
  done
  exit 0
fi

# Stop in reverse order of dependence so nothing logs a storm of connection errors.
order=(metrics-server kwok scheduler controller-manager apiserver etcd)
for name in "${order[@]}"; do
  f=$RUN/pids/$name.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null
done
for name in "${order[@]}"; do
  f=$RUN/pids/$name.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
  rm -f "$f"
done
if [ -f "$RUN/data-dir" ]; then
  rm -rf "$(cat "$RUN/data-dir")"
fi
rm -f "$RUN/env"
