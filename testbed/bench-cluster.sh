#!/usr/bin/env bash
# Cluster benchmark (make bench-cluster): 5,000 pods and ~50 pod changes/s on a private testbed;
# gameday and k9s (same cluster, same run, one after the other) each watch the pod list for 60 s in a
# 200x60 tmux pane. Reports CPU seconds, peak RSS, gameday's time to the first full frame and its
# event-to-screen latency (delete request -> first frame showing the pod terminating or gone).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/versions.sh"
PODS=${BENCH_PODS:-5000}
RATE=${BENCH_DELETES_PER_SEC:-10}
WINDOW=${BENCH_SECONDS:-60}
RUN=$root/.testbed/bench
OUT=$root/.testbed/bench-results
mkdir -p "$OUT"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

TESTBED_NODES_PER_ZONE=2 "$here/kube-up.sh" "$RUN"
trap '"$here/kube-down.sh" "$RUN"; tmux -L gdbench kill-server 2>/dev/null || true' EXIT
. "$RUN/env"
K="$TESTBED_KUBECTL --kubeconfig $KUBECONFIG"

log "building gameday, churn and k9s $K9S_VERSION (cached)"
# The build is copied, not run where the linker wrote it: a file the Go linker just wrote (through
# mmap) is mapped in larger pages, and the process's RSS counted ~30 MiB more file pages than the same
# bytes copied (measured: gameday --help, 80 vs 44 MiB), which biased RSS against the new build (the
# baseline is always a copy).
(cd "$root" && go build -o "$OUT/gameday.linked" ./cmd/gameday && go build -o "$OUT/churn" ./testbed/churn)
cp "$OUT/gameday.linked" "$OUT/gameday" && rm -f "$OUT/gameday.linked"
K9S_DIR=$GAMEDAY_CACHE/tools/k9s-$K9S_VERSION
if [ ! -x "$K9S_DIR/k9s" ]; then
  mkdir -p "$K9S_DIR"
  (cd /tmp && GOBIN=$K9S_DIR go install "github.com/derailed/k9s@$K9S_VERSION")
fi

log "creating $PODS pods"
$K create namespace bench >/dev/null
$K -n bench create deployment filler --image=fake --replicas="$PODS" >/dev/null
deadline=$((SECONDS + 600))
until [ "$($K -n bench get deploy filler -o jsonpath='{.status.readyReplicas}')" = "$PODS" ]; do
  [ $SECONDS -ge $deadline ] && { log "pods not ready after 600s"; exit 1; }
  sleep 2
done
log "$PODS pods ready"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

# measure NAME CMD READY_CHECK: start CMD in tmux, wait until ready, churn for WINDOW seconds, report.
measure() {
  local name=$1 cmd=$2
  tmux -L gdbench new-session -d -s "$name" -x 200 -y 60 "$cmd 2>$OUT/stderr-$name.txt; sleep 600"
  local pid=""
  local t0=$((SECONDS + 10))
  until [ -n "$pid" ]; do
    pid=$(pgrep -f -n "^$(echo "$cmd" | awk '{for(i=1;i<=NF;i++) if ($i !~ /=/ && $i != "env") {print $i; exit}}')" || true)
    [ $SECONDS -ge $t0 ] && { log "$name did not start: $(cat "$OUT/stderr-$name.txt")"; exit 1; }
    sleep 0.1
  done
  local t=$((SECONDS + 60))
  until tmux -L gdbench capture-pane -p -t "$name" | grep -q "filler-"; do
    [ $SECONDS -ge $t ] && { log "$name never showed the pods: $(cat "$OUT/stderr-$name.txt")"; tmux -L gdbench capture-pane -p -t "$name" >&2; exit 1; }
    sleep 0.2
  done
  sleep 3 # let the initial sync settle
  local c0
  c0=$(cpu_ticks "$pid")
  "$OUT/churn" run -kubeconfig "$KUBECONFIG" -n bench -selector app=filler -rate "$RATE" -duration "${WINDOW}s" -out "$OUT/churn-$name.log"
  local c1 hwm
  c1=$(cpu_ticks "$pid")
  hwm=$(hwm_kb "$pid")
  tmux -L gdbench capture-pane -p -t "$name" >"$OUT/screen-$name.txt"
  # Quit the way a user does (q), so profiles and traces are written; then clean up.
  tmux -L gdbench send-keys -t "$name" q
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  tmux -L gdbench kill-session -t "$name"
  awk -v c=$((c1 - c0)) -v hz="$HZ" -v m="$hwm" -v n="$name" 'BEGIN{printf "%s_cpu_seconds %.2f\n%s_peak_rss_mib %.0f\n", n, c/hz, n, m/1024}'
}

# gameday_run NAME BINARY [VAR=VALUE...]: measure one gameday build (with that environment) and
# analyze its frame trace.
gameday_run() {
  local name=$1 bin=$2
  shift 2
  log "$name: watching for ${WINDOW}s under churn"
  rm -f "$OUT/trace-$name.txt"
  measure "$name" "env XDG_CONFIG_HOME=$OUT/xdg XDG_STATE_HOME=$OUT/xdg $* $bin --kubeconfig $KUBECONFIG -n bench --target deploy/filler --trace-frames $OUT/trace-$name.txt ${BENCH_GAMEDAY_ARGS:-} ${EXTRA_ARGS:-}" | tee -a "$OUT/results.txt"
  sleep 2
  "$OUT/churn" analyze -churn "$OUT/churn-$name.log" -trace "$OUT/trace-$name.txt" | sed "s/^/${name}_/" | tee -a "$OUT/results.txt"
}
mkdir -p "$OUT/xdg"
: >"$OUT/results.txt"
gameday_run gameday "$OUT/gameday" ${BENCH_GAMEDAY_ENV:-}
# BENCH_BASELINE=/path/to/an/older/gameday measures it too, on the same cluster in the same run, so a
# change is judged by a ratio and not against a number from another day's noise. BENCH_GAMEDAY_ENV
# and BENCH_BASELINE_ENV set environment variables for one of the two (GOMAXPROCS=1, GOGC=200...).
if [ -n "${BENCH_BASELINE:-}" ]; then
  cp "$BENCH_BASELINE" "$OUT/baseline"
  # BENCH_BASELINE_ARGS are flags for the baseline only: the same build with --no-record measures
  # what recording costs.
  EXTRA_ARGS=${BENCH_BASELINE_ARGS:-} gameday_run baseline "$OUT/baseline" ${BENCH_BASELINE_ENV:-}
fi

# What the sessions recorded (the default: every cockpit session records), in bytes per minute.
for f in "$OUT"/xdg/gameday/sessions/*.gdr; do
  [ -e "$f" ] && awk -v f="$f" -v b="$(stat -c %s "$f")" -v w="$WINDOW" 'BEGIN{printf "recording %s %.0f KiB (%.0f KiB per minute of churn)\n", f, b/1024, b/1024*60/(w+20)}' | tee -a "$OUT/results.txt"
done
if [ -n "${BENCH_SKIP_K9S:-}" ]; then cat "$OUT/results.txt"; exit 0; fi
log "k9s $K9S_VERSION: watching for ${WINDOW}s under churn"
mkdir -p "$OUT/k9s-home"
measure k9s "env HOME=$OUT/k9s-home XDG_CONFIG_HOME=$OUT/k9s-home XDG_STATE_HOME=$OUT/k9s-home XDG_DATA_HOME=$OUT/k9s-home $K9S_DIR/k9s --kubeconfig $KUBECONFIG -n bench -c pods --headless --logoless" | tee -a "$OUT/results.txt"

log "results ($OUT/results.txt):"
cat "$OUT/results.txt"
