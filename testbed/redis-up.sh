#!/usr/bin/env bash
# Starts Debian's redis-server (no persistence) on 127.0.0.1: the shared session store of the demo
# app's --sessions redis. Writes RUN_DIR/env (REDIS_ADDR) and RUN_DIR/redis.pid; stop with
# testbed/obs-down.sh RUN_DIR redis.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUN=${1:?usage: redis-up.sh RUN_DIR}
RUN=$(realpath -m -- "$RUN")
"$here/deps.sh"
mkdir -p "$RUN"
# TESTBED_PORT restarts a server on the port it had (outage tests).
PORT=${TESTBED_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}
nohup redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --protected-mode yes \
  --dir "$RUN" --logfile "$RUN/redis.log" >/dev/null 2>&1 &
echo $! >"$RUN/redis.pid"
for _ in $(seq 1 100); do
  if [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = "PONG" ]; then
    echo "REDIS_ADDR=127.0.0.1:$PORT" >>"$RUN/env"
    echo "[redis] ready on 127.0.0.1:$PORT" >&2
    exit 0
  fi
  kill -0 "$(cat "$RUN/redis.pid")" 2>/dev/null || { echo "[redis] exited:" >&2; tail -20 "$RUN/redis.log" >&2; exit 1; }
  sleep 0.1
done
echo "[redis] not ready after 10 s" >&2
tail -20 "$RUN/redis.log" >&2
exit 1
