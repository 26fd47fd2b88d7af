#!/usr/bin/env bash
# The service's speed check: one uvicorn worker on 127.0.0.1, driven by wrk with 16 connections.
#
#   scripts/bench_service.sh            # 3 rounds of 10 s per route after a warm-up; medians; exit 1 on a miss
#   SECONDS_PER_RUN=5 ROUNDS=1 scripts/bench_service.sh   # a quick look
#
# Targets: single-row POST /predict >= 85% of GET /health/live requests/s, /predict p99 < 10 ms,
# idle RSS < 150 MB, start to ready < 1.5 s. Loopback only; every run is bounded in time; the only
# process stopped is the server this script started, by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
BUNDLE=${BUNDLE:-artifacts/model}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-3}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=16

if ! command -v wrk >/dev/null; then
  echo "wrk is missing; installing Debian's package" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
if [ ! -f "$BUNDLE/bundle.json" ]; then
  echo "no bundle at $BUNDLE; training one" >&2
  "$PYTHON" -m service.train --out "$BUNDLE" >&2
fi

work=$(mktemp -d)
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/predict.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [{"island": "Biscoe", "bill_length_mm": 47.5, "bill_depth_mm": 14.8, ' ..
           '"flipper_length_mm": 217.0, "body_mass_g": 5200.0, "sex": "female"}]}'
LUA

started=$(date +%s.%N)
"$PYTHON" -m service --bundle "$BUNDLE" --host 127.0.0.1 --port "$port" 2>"$work/service.log" &
server=$!
for _ in $(seq 500); do
  if curl -sf -o /dev/null "$base/health/ready"; then break; fi
  kill -0 "$server" 2>/dev/null || { cat "$work/service.log" >&2; exit 1; }
  sleep 0.01
done
ready=$(date +%s.%N)
curl -sf -o /dev/null "$base/health/ready" || { echo "not ready after 5 s" >&2; exit 1; }
start_s=$(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.2f", b - a }')
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
idle_rss=$(rss_mb)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }  # the server's user + system time
tick_us=$((1000000 / $(getconf CLK_TCK)))

# wrk prints "N requests in", "Requests/sec: N" and, with --latency, "99% 4.41ms".
# Give "rps p99_ms non2xx cpu_us_per_request": the last is the server's CPU time per
# request, which other load on a shared machine disturbs far less than requests/s.
measure() {
  local seconds=$1; shift
  local before after
  before=$(cpu_ticks)
  wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s --latency "$@" >"$work/wrk.out"
  after=$(cpu_ticks)
  awk -v cpu_us=$(( (after - before) * tick_us )) '
    /requests in/ { n = $1 }
    /Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    $1 == "99%" { v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
                  p99 = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
    END { printf "%.0f %.2f %d %.0f\n", rps, p99, bad + 0, cpu_us / n }' "$work/wrk.out"
}

measure "$WARMUP_SECONDS" "$base/health/live" >/dev/null
measure "$WARMUP_SECONDS" -s "$work/predict.lua" "$base/predict" >/dev/null
live_runs=() predict_runs=()
for round in $(seq "$ROUNDS"); do
  read -r rps p99 bad cpu < <(measure "$SECONDS_PER_RUN" "$base/health/live")
  echo "round $round  GET  /health/live  $rps req/s  p99 $p99 ms  non-2xx $bad  server CPU $cpu us/request"
  live_runs+=("$rps $p99 $bad $cpu")
  read -r rps p99 bad cpu < <(measure "$SECONDS_PER_RUN" -s "$work/predict.lua" "$base/predict")
  echo "round $round  POST /predict      $rps req/s  p99 $p99 ms  non-2xx $bad  server CPU $cpu us/request"
  predict_runs+=("$rps $p99 $bad $cpu")
done
after_rss=$(rss_mb)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
live_rps=$(printf '%s\n' "${live_runs[@]}" | cut -d' ' -f1 | median)
predict_rps=$(printf '%s\n' "${predict_runs[@]}" | cut -d' ' -f1 | median)
predict_p99=$(printf '%s\n' "${predict_runs[@]}" | cut -d' ' -f2 | median)
non_2xx=$(printf '%s\n' "${predict_runs[@]}" "${live_runs[@]}" | awk '{ s += $3 } END { print s }')
ratio=$(awk -v p="$predict_rps" -v l="$live_rps" 'BEGIN { printf "%.2f", p / l }')
live_cpu=$(printf '%s\n' "${live_runs[@]}" | cut -d' ' -f4 | median)
predict_cpu=$(printf '%s\n' "${predict_runs[@]}" | cut -d' ' -f4 | median)

failed=0
check() {  # check NAME VALUE OP LIMIT
  if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !((op == "<") ? v < l : v >= l) }'; then
    printf '  ok    %-34s %s (target %s %s)\n' "$1" "$2" "$3" "$4"
  else
    printf '  MISS  %-34s %s (target %s %s)\n' "$1" "$2" "$3" "$4"
    failed=1
  fi
}
echo
echo "stopline service speed check: $(nproc) CPUs, $CONNECTIONS connections, ${SECONDS_PER_RUN}s x $ROUNDS round(s)"
echo "  /health/live $live_rps req/s; /predict $predict_rps req/s, p99 $predict_p99 ms (medians)"
echo "  server CPU per request: /health/live $live_cpu us, /predict $predict_cpu us" \
  "(ratio $(awk -v p="$predict_cpu" -v l="$live_cpu" 'BEGIN { printf "%.2f", l / p }'); load average now" \
  "$(cut -d' ' -f1-3 /proc/loadavg))"
check "/predict req/s over /health/live's" "$ratio" ">=" 0.85
check "/predict p99 (ms)" "$predict_p99" "<" 10
check "idle RSS at ready (MB)" "$idle_rss" "<" 150
check "RSS after the load (MB)" "$after_rss" "<" 150
check "start to ready (s)" "$start_s" "<" 1.5
check "non-2xx answers" "$non_2xx" "<" 1
exit "$failed"
