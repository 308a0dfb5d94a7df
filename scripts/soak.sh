#!/usr/bin/env bash
# Soak test: the 3-way merge gateway (contracts/bench/aggregate.json) in front of the bench mock
# backend (benches/mock_backend.rs), on 127.0.0.1, at ~70% of its measured maximum rate for a
# bounded time. Fails unless there are 0 errors and the gateway's RSS grows < 5% from the end of
# the warm-up (minute 1) to the end. See RELIABILITY.md.
#
#   scripts/soak.sh              # 10 minutes
#   QUICK=1 scripts/soak.sh      # 1 minute (RSS reference taken at 10 s)
#
# Rate control: wrk has no target rate (wrk2 is not in Debian), so every connection waits a
# fixed delay before each request (wrk's `delay` hook) and the connection count sets the rate:
# connections = rate × (delay + latency). One 5 s calibration run corrects the count.
#
# Settings (environment):
#   SOAK_DURATION=600 (QUICK: 60)   seconds under load
#   SOAK_WARMUP=60 (QUICK: 10)      seconds before the RSS reference sample
#   SOAK_LOAD=70                    percent of the measured maximum
#   SOAK_MAX_SECONDS=10 (QUICK: 5)  length of the maximum-rate measurement
#   SOAK_DELAY_MS=10                per-connection delay between requests
#   SOAK_SKIP_BUILD=0               1: reuse the binaries of the previous run
#   SOAK_RESULTS=target/soak/<UTC time>   raw outputs and summary
# Ports: the mock on 9100, the gateway on 9200 (the bench contracts name them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [[ ${QUICK:-0} = 1 ]]; then
  DURATION=${SOAK_DURATION:-60}
  WARMUP=${SOAK_WARMUP:-10}
  MAX_SECONDS=${SOAK_MAX_SECONDS:-5}
else
  DURATION=${SOAK_DURATION:-600}
  WARMUP=${SOAK_WARMUP:-60}
  MAX_SECONDS=${SOAK_MAX_SECONDS:-10}
fi
LOAD=${SOAK_LOAD:-70}
DELAY_MS=${SOAK_DELAY_MS:-10}
SKIP_BUILD=${SOAK_SKIP_BUILD:-0}
RESULTS=${SOAK_RESULTS:-$ROOT/target/soak/$(date -u +%Y%m%dT%H%M%SZ)}
BIN=$ROOT/target/soak/bin
MOCK_PORT=9100
GATEWAY_PORT=9200
URL=http://127.0.0.1:$GATEWAY_PORT/aggregate

mkdir -p "$RESULTS" "$BIN"
log() { printf '[soak] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

http_status() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 line <&3 || exit 1
  line=${line#HTTP/1.? }
  echo "${line%% *}"
) 2>/dev/null
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_ready() { # port path pid; bounded: 10 s
  local i
  for ((i = 0; i < 200; i++)); do
    [[ $(http_status "$1" "$2") == 200 ]] && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

if ! command -v wrk >/dev/null; then
  log "installing wrk (apt)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >"$RESULTS/apt-wrk.log" 2>&1 ||
    die "wrk is required (apt-get install wrk; see $RESULTS/apt-wrk.log)"
fi

if [[ $SKIP_BUILD != 1 || ! -x $BIN/krustd-aggregate || ! -x $BIN/mock_backend ]]; then
  log "building the mock backend and the aggregate gateway (release)"
  cargo build --locked --release --bench mock_backend --message-format=json-render-diagnostics \
    >"$RESULTS/build-mock.jsonl" 2>"$RESULTS/build-mock.log" || die "build failed (see $RESULTS/build-mock.log)"
  mock_exe=$(grep '"reason":"compiler-artifact"' "$RESULTS/build-mock.jsonl" | grep '"name":"mock_backend"' |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1)
  [[ -n $mock_exe ]] || die "no mock_backend executable (see $RESULTS/build-mock.jsonl)"
  cp "$mock_exe" "$BIN/mock_backend"
  KRUSTD_CONTRACT=contracts/bench/aggregate.json cargo build --locked --release --bin krustd \
    >"$RESULTS/build-gateway.log" 2>&1 || die "build failed (see $RESULTS/build-gateway.log)"
  cp target/release/krustd "$BIN/krustd-aggregate"
fi

port_in_use $MOCK_PORT && die "port $MOCK_PORT is in use"
port_in_use $GATEWAY_PORT && die "port $GATEWAY_PORT is in use"
"$BIN/mock_backend" serve --port $MOCK_PORT --threads 1 >"$RESULTS/mock.log" 2>&1 &
MOCK_PID=$!
PIDS+=("$MOCK_PID")
wait_ready $MOCK_PORT /a "$MOCK_PID" || die "the mock backend did not start (see $RESULTS/mock.log)"
"$BIN/krustd-aggregate" -l ERROR >"$RESULTS/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
wait_ready $GATEWAY_PORT /aggregate "$GW_PID" || die "the gateway did not start (see $RESULTS/gateway.log)"

LUA=$RESULTS/soak.lua
cat >"$LUA" <<EOF
delay = function() return $DELAY_MS end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SOAK requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
MAXLUA=$RESULTS/max.lua
grep -v '^delay' "$LUA" >"$MAXLUA"

result() { # file key
  sed -n "s/.*[ ]$2=\([0-9]*\).*/\1/p" "$1" | tail -n1
}
rate() { # file -> requests per second
  local req dur
  req=$(result "$1" requests)
  dur=$(result "$1" duration_us)
  echo $((req * 1000000 / (dur > 0 ? dur : 1)))
}

log "measuring the maximum rate (${MAX_SECONDS}s, 64 connections)"
wrk -t2 -c64 -d"${MAX_SECONDS}s" --timeout 10s -s "$MAXLUA" "$URL" >"$RESULTS/max.txt" 2>&1 || die "wrk failed (see $RESULTS/max.txt)"
MAX=$(rate "$RESULTS/max.txt")
TARGET=$((MAX * LOAD / 100))
P50_MS=$(($(result "$RESULTS/max.txt" p50_us) / 1000))
CONNS=$((TARGET * (DELAY_MS + P50_MS) / 1000))
((CONNS < 1)) && CONNS=1
log "maximum ${MAX} req/s: target ${TARGET} req/s; calibrating with ${CONNS} connections"
wrk -t2 -c"$CONNS" -d5s --timeout 10s -s "$LUA" "$URL" >"$RESULTS/calibrate.txt" 2>&1 || die "wrk failed (see $RESULTS/calibrate.txt)"
GOT=$(rate "$RESULTS/calibrate.txt")
CONNS=$((CONNS * TARGET / (GOT > 0 ? GOT : 1)))
((CONNS < 1)) && CONNS=1
((CONNS > 2000)) && CONNS=2000
log "calibration gave ${GOT} req/s: ${CONNS} connections for ${DURATION}s"

SAMPLES=$RESULTS/rss.tsv
printf 'seconds\trss_kib\n' >"$SAMPLES"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$LUA" "$URL" >"$RESULTS/soak.txt" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
START=$(date +%s)
REF=""
while kill -0 "$WRK_PID" 2>/dev/null; do
  now=$(($(date +%s) - START))
  kib=$(rss_kib "$GW_PID") || die "the gateway died during the soak (see $RESULTS/gateway.log)"
  printf '%s\t%s\n' "$now" "$kib" >>"$SAMPLES"
  [[ -z $REF ]] && ((now >= WARMUP)) && REF=$kib
  sleep 5
done
wait "$WRK_PID" || die "wrk failed (see $RESULTS/soak.txt)"
END_KIB=$(rss_kib "$GW_PID") || die "the gateway died (see $RESULTS/gateway.log)"
printf '%s\t%s\n' "$(($(date +%s) - START))" "$END_KIB" >>"$SAMPLES"
[[ -n $REF ]] || REF=$END_KIB

REQS=$(result "$RESULTS/soak.txt" requests)
ERRS=$(result "$RESULTS/soak.txt" errors)
NON2XX=$(result "$RESULTS/soak.txt" non2xx)
SOAK_RATE=$(rate "$RESULTS/soak.txt")
DRIFT_PERMILLE=$(((END_KIB - REF) * 1000 / REF))
SUMMARY=$RESULTS/summary.md
{
  echo "| Measure | Value |"
  echo "|---|---|"
  echo "| Maximum rate (${MAX_SECONDS}s, 64 connections) | ${MAX} req/s |"
  echo "| Soak rate (target ${LOAD}% = ${TARGET} req/s), ${CONNS} connections | ${SOAK_RATE} req/s for ${DURATION}s |"
  echo "| Requests | ${REQS} |"
  echo "| Errors (connect/read/write/timeout) + non-2xx | ${ERRS} + ${NON2XX} |"
  echo "| RSS at ${WARMUP}s → end | ${REF} KiB → ${END_KIB} KiB ($((DRIFT_PERMILLE / 10)).$((DRIFT_PERMILLE < 0 ? -DRIFT_PERMILLE % 10 : DRIFT_PERMILLE % 10))%) |"
} >"$SUMMARY"
cat "$SUMMARY"
log "raw results in $RESULTS"
((ERRS == 0 && NON2XX == 0)) || die "errors during the soak"
((DRIFT_PERMILLE < 50)) || die "RSS grew by 5% or more"
log "ok"
