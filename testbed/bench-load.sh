#!/usr/bin/env bash
# Load benchmark (make bench-load): the highest rate each open-loop generator sustains on loopback with
# achieved/requested >= 99 % and p99 < 10 ms, against one Go net/http server on this machine:
# gameday, and vegeta v12.13.0 tuned (-max-workers 50, its best setting here); wrk's closed-loop
# throughput is the machine's ceiling. Also gameday's CPU per 1,000 requests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/versions.sh"
OUT=$root/.testbed/bench-load
SECS=${BENCH_SECONDS:-6}
RATES=${BENCH_RATES:-"8000 12000 16000 20000 24000 28000 32000 36000 40000 44000 48000 52000 56000"}
mkdir -p "$OUT"
log() { printf '[bench-load %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v wrk >/dev/null || { log "installing wrk"; sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null; }
VEG=$GAMEDAY_CACHE/tools/vegeta-v12.13.0
[ -x "$VEG/vegeta" ] || { mkdir -p "$VEG"; (cd /tmp && GOBIN=$VEG go install github.com/tsenart/vegeta/v12@v12.13.0); }
(cd "$root" && go build -o "$OUT/gameday" ./cmd/gameday && go build -o "$OUT/hello" ./testbed/hello)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT/
"$OUT/hello" -addr "127.0.0.1:$PORT" & srv=$!
trap 'kill $srv 2>/dev/null' EXIT
sleep 0.5

log "wrk -t2 -c50 (closed loop: the machine's ceiling)"
wrk_rps=$(wrk -t2 -c50 -d"${SECS}s" "$URL" | awk '/Requests\/sec/{print $2}')
echo "wrk_closed_loop_rps $wrk_rps" | tee "$OUT/results.txt"

# Two latency definitions, both reported for both tools: "send" counts from when the request left
# (vegeta's and k6's own figure; a generator that falls behind hides its queueing there) and
# "intended" counts from when it was due (gameday's headline figure; for vegeta it is rebuilt from
# its per-request timestamps: due time = first send + seq/rate). A rate is sustained when
# achieved/requested >= 99 % and the p99 is under 10 ms.
best_gs=0; best_gi=0; best_vs=0; best_vi=0; cpu_per_k=""
ok() { python3 -c "print(int($1 >= 0.99 and $2 < 10))"; }
for R in $RATES; do
  TIMEFORMAT='%U %S'
  { time "$OUT/gameday" load --config /dev/null --max-rate 1000000 --rate "$R" --duration "${SECS}s" -o json "$URL" >"$OUT/g-$R.json" 2>/dev/null; } 2>"$OUT/g-$R.time" || true
  read -r gach gp99 gsp99 gsent < <(python3 -c "import json; r=json.load(open('$OUT/g-$R.json')); print(r['achievedRate']/max(r['requestedRate'],1), r['latency']['p99Ms'], r['serviceLatency']['p99Ms'], r['requests'])")
  read -r u s < "$OUT/g-$R.time"
  cpk=$(python3 -c "print(round(($u+$s)/max($gsent,1)*1000*1000, 1))")
  echo "GET $URL" | "$VEG/vegeta" attack -rate "$R" -duration "${SECS}s" -max-workers 50 2>/dev/null >"$OUT/v-$R.bin"
  "$VEG/vegeta" report -type json <"$OUT/v-$R.bin" >"$OUT/v-$R.json"
  read -r vach vsp99 vp99 < <("$VEG/vegeta" encode -to csv <"$OUT/v-$R.bin" | python3 -c "
import csv, sys
rows = sorted((int(r[8]), int(r[0]), int(r[2])) for r in csv.reader(sys.stdin))
t0 = rows[0][1]
send = sorted(l for _, _, l in rows)
due = sorted(ts - (t0 + seq * 1e9 / $R) + l for seq, ts, l in rows)
q = lambda a: a[min(len(a) - 1, int(0.99 * len(a)))] / 1e6
print(len(rows) / ($R * $SECS), q(send), q(due))")
  gs=$(ok "$gach" "$gsp99"); gi=$(ok "$gach" "$gp99"); vs=$(ok "$vach" "$vsp99"); vi=$(ok "$vach" "$vp99")
  mark() { [ "$1" = 1 ] && echo OK || echo --; }
  printf 'rate %6d  gameday ach %.3f p99 send %7.2fms %s intended %8.2fms %s cpu %sms/1k | vegeta ach %.3f p99 send %7.2fms %s intended %8.2fms %s\n' \
    "$R" "$gach" "$gsp99" "$(mark $gs)" "$gp99" "$(mark $gi)" "$cpk" "$vach" "$vsp99" "$(mark $vs)" "$vp99" "$(mark $vi)" | tee -a "$OUT/results.txt"
  [ "$gs" = 1 ] && best_gs=$R
  [ "$gi" = 1 ] && { best_gi=$R; cpu_per_k=$cpk; }
  [ "$vs" = 1 ] && best_vs=$R
  [ "$vi" = 1 ] && best_vi=$R
  rm -f "$OUT/v-$R.bin"
done
{
  echo "gameday_best_sustained_rps send=$best_gs intended=$best_gi"
  echo "vegeta_best_sustained_rps send=$best_vs intended=$best_vi"
  echo "gameday_cpu_ms_per_1000_requests $cpu_per_k"
  python3 -c "print('ratio_gameday_to_vegeta send', round($best_gs/max($best_vs,1), 2), 'intended', round($best_gi/max($best_vi,1), 2))"
} | tee -a "$OUT/results.txt"
