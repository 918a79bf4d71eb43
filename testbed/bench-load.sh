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
RATES=${BENCH_RATES:-"8000 12000 16000 20000 24000 28000 32000 36000"}
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

best_g=0; best_v=0; cpu_per_k=""
for R in $RATES; do
  # gameday: user+sys CPU from bash's time, rate and p99 from its JSON report.
  TIMEFORMAT='%U %S'
  { time "$OUT/gameday" load --config /dev/null --max-rate 1000000 --rate "$R" --duration "${SECS}s" -o json "$URL" >"$OUT/g-$R.json" 2>/dev/null; } 2>"$OUT/g-$R.time" || true
  read -r gach gp99 gsent < <(python3 -c "import json; r=json.load(open('$OUT/g-$R.json')); print(r['achievedRate']/max(r['requestedRate'],1), r['latency']['p99Ms'], r['requests'])")
  read -r u s < "$OUT/g-$R.time"
  cpk=$(python3 -c "print(round(($u+$s)/max($gsent,1)*1000*1000, 1))")
  ok_g=$(python3 -c "print(int($gach >= 0.99 and $gp99 < 10))")
  # vegeta, tuned.
  echo "GET $URL" | "$VEG/vegeta" attack -rate "$R" -duration "${SECS}s" -max-workers 50 2>/dev/null | "$VEG/vegeta" report -type json >"$OUT/v-$R.json"
  read -r vach vp99 < <(python3 -c "import json; r=json.load(open('$OUT/v-$R.json')); print(r['throughput']/max(r['rate'],1) if r['rate'] else 0, r['latencies']['99th']/1e6)")
  ok_v=$(python3 -c "print(int($vach >= 0.99 and $vp99 < 10))")
  printf 'rate %6d  gameday achieved %.3f p99 %6.2fms cpu %sms/1k %s | vegeta achieved %.3f p99 %6.2fms %s\n' \
    "$R" "$gach" "$gp99" "$cpk" "$([ "$ok_g" = 1 ] && echo OK || echo --)" "$vach" "$vp99" "$([ "$ok_v" = 1 ] && echo OK || echo --)" | tee -a "$OUT/results.txt"
  [ "$ok_g" = 1 ] && { best_g=$R; cpu_per_k=$cpk; }
  [ "$ok_v" = 1 ] && best_v=$R
done
echo "gameday_best_sustained_rps $best_g" | tee -a "$OUT/results.txt"
echo "gameday_cpu_ms_per_1000_requests $cpu_per_k" | tee -a "$OUT/results.txt"
echo "vegeta_best_sustained_rps $best_v" | tee -a "$OUT/results.txt"
python3 -c "print('ratio_gameday_to_vegeta', round($best_g/max($best_v,1), 2))" | tee -a "$OUT/results.txt"
