# Shell helpers shared by the testbed's start scripts (sourced).

# wait_ready NAME URL PIDFILE LOG SECONDS: poll URL until it answers; if the process of PIDFILE
# exits or SECONDS pass, print the tail of LOG and fail, so a test run says why a server is missing.
wait_ready() {
  local name=$1 url=$2 pidfile=$3 logfile=$4 deadline=$((SECONDS + $5))
  until curl -sf "$url" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null || [ $SECONDS -ge "$deadline" ]; then
      echo "[$name] FAILED to start; last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2
      exit 1
    fi
    sleep 0.2
  done
}
