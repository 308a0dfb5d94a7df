#!/usr/bin/env bash
# End-to-end load benchmark: Krustd gateways built from contracts/bench/*.json, in front of the
# mock backend of benches/mock_backend.rs, driven by wrk (or oha) on 127.0.0.1. Every scenario
# also measures the backend hit directly, in the same run, and the table gives the gateway's
# figures as ratios to it. Then the start-up probe (benches/startup.rs). See BENCHMARKS.md.
#
#   scripts/bench-load.sh
#
# Bounded: fixed duration and connection count per measurement; everything it starts is
# stopped on exit. Settings (environment):
#   BENCH_ROUNDS=3           rounds per scenario (direct, then gateway, back to back); medians
#   BENCH_DURATION=10        seconds measured per measurement
#   BENCH_WARMUP=2           seconds of unmeasured load before each measurement
#   BENCH_CONNECTIONS=64     concurrent connections of the load generator
#   BENCH_THREADS=2          load generator threads
#   BENCH_TIMEOUT=10         per-request timeout of the load generator, seconds
#   BENCH_MOCK_THREADS=2     mock backend worker threads
#   BENCH_STARTUP_RUNS=20    start-up runs per measurement (0: skip the start-up probe)
#   BENCH_SCENARIOS="ref-single ref-agg ref-single-log proxy-1kb proxy-1kb-nolog proxy-1kb-metrics aggregate-3x1kb noop-1kb noop-100kb large-1mb-allow3 large-1mb-allow3-generic jwt-hs256-1kb jwt-rs256-1kb tls-1kb"
#   BENCH_REF_DIR=../shared/bench   the yardstick: refgw/ (a hand-written hyper gateway) and www/
#                            (its backend files). The ref-* scenarios serve www/ with nginx on
#                            127.0.0.1:8081 and measure three columns in each round: backend
#                            direct, the reference gateway, Krustd (contracts/bench/reference*.json).
#                            Without that directory the ref-* scenarios are skipped.
#   BENCH_LOADGEN=auto       wrk | oha | auto (wrk, installed with apt if missing; else oha)
#   BENCH_GATEWAY_PORT=9200  the mock backend's port is 9100: the bench contracts name it
#   BENCH_TARGET_DIR=target/bench   cargo target dir of the benchmark builds
#   BENCH_PROFILE=release    cargo profile of the gateway builds (`ship`: fat LTO, one codegen
#                            unit; see Cargo.toml). The mock backend is always built in release.
#   BENCH_SKIP_BUILD=0       1: reuse the binaries of the previous run
#   BENCH_RESULTS=$BENCH_TARGET_DIR/results/load-<UTC time>   raw outputs and summary.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
TIMEOUT=${BENCH_TIMEOUT:-10}
MOCK_THREADS=${BENCH_MOCK_THREADS:-2}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-20}
PROFILE=${BENCH_PROFILE:-release}
SCENARIOS=${BENCH_SCENARIOS:-"ref-single ref-agg ref-single-log proxy-1kb proxy-1kb-nolog proxy-1kb-metrics aggregate-3x1kb noop-1kb noop-100kb large-1mb-allow3 large-1mb-allow3-generic jwt-hs256-1kb jwt-rs256-1kb post-1kb schema-post-1kb cel-1kb tls-1kb lua-post-1kb lua-http-1kb tracing-1kb tracing0-1kb ratelimit-1kb ratelimit-redis-1kb stats-1kb"}
# The gateway's scheme in the current scenario (https: tls-*).
GW_SCHEME=http
# The Authorization header value of the current scenario (jwt-* only).
AUTH=
# The JSON body of the current scenario (post-*, schema-post-* only; the others GET).
BODY=
CRLF=$'\r\n'
REF_DIR=${BENCH_REF_DIR:-$ROOT/../shared/bench}
NGINX_PORT=8081
REF_PORT=8083
LOADGEN=${BENCH_LOADGEN:-auto}
MOCK_PORT=9100
GATEWAY_PORT=${BENCH_GATEWAY_PORT:-9200}
TARGET_DIR=${BENCH_TARGET_DIR:-$ROOT/target/bench}
[[ $TARGET_DIR = /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
SKIP_BUILD=${BENCH_SKIP_BUILD:-0}
RESULTS=${BENCH_RESULTS:-$TARGET_DIR/results/load-$(date -u +%Y%m%dT%H%M%SZ)}
GATEWAYS=$TARGET_DIR/gateways
CLK_TCK=$(getconf CLK_TCK)

mkdir -p "$RESULTS" "$GATEWAYS"
log() { printf '[bench-load] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# scenario -> "backend contract gateway-path direct-path reference-path" (reference-path "-":
# no reference column). Backend "mock" is benches/mock_backend.rs on $MOCK_PORT; "nginx" serves
# the yardstick's www/ on $NGINX_PORT, in front of which the reference gateway also runs.
scenario() {
  case $1 in
    ref-single) echo "nginx reference /single /a.json /single" ;;
    ref-agg) echo "nginx reference /agg /a.json /agg-typed" ;;
    # The same route with the access log on (the reference has none).
    ref-single-log) echo "nginx reference-log /single /a.json /single" ;;
    proxy-1kb) echo "mock proxy /json/1kb /1kb -" ;;
    proxy-1kb-nolog) echo "mock proxy-nolog /json/1kb /1kb -" ;;
    # proxy-1kb with request metrics and a Prometheus exporter (telemetry/opentelemetry).
    proxy-1kb-metrics) echo "mock proxy-metrics /json/1kb /1kb -" ;;
    # proxy-1kb with OpenTelemetry traces (server, proxy, backend spans; traceparent written to
    # the backend) sampled at 1 and at 0.0001 (0 means 1, as in KrakenD), exported to an OTLP port where nothing listens.
    tracing-1kb) echo "mock tracing /json/1kb /1kb -" ;;
    tracing0-1kb) echo "mock tracing0 /json/1kb /1kb -" ;;
    # proxy-1kb with telemetry/metrics (/__stats, contracts/bench/stats.json): its cost.
    stats-1kb) echo "mock stats /json/1kb /1kb -" ;;
    aggregate-3x1kb) echo "mock aggregate /aggregate /a -" ;;
    noop-1kb) echo "mock noop /noop/1kb /1kb -" ;;
    noop-100kb) echo "mock noop /noop/100kb /100kb -" ;;
    large-1mb-allow3) echo "mock large /large/allow3 /1mb -" ;;
    # The same gateway built with KRUSTD_SHAPING=generic: shaping on the generic path.
    large-1mb-allow3-generic) echo "mock large+generic /large/allow3 /1mb -" ;;
    # proxy-1kb behind auth/validator (contracts/bench/jwt.json): every request carries a token
    # (jwt_token below), verified with keys embedded at build time. Compare with proxy-1kb.
    jwt-hs256-1kb) echo "mock jwt /jwt/hs256 /1kb -" ;;
    jwt-rs256-1kb) echo "mock jwt /jwt/rs256 /1kb -" ;;
    # A POST of a small JSON order (BENCH_BODY below) forwarded to the 1 KB answer, without and
    # with validation/json-schema (contracts/bench/validation.json). Compare the two.
    post-1kb) echo "mock validation /post/plain /1kb -" ;;
    schema-post-1kb) echo "mock validation /post/schema /1kb -" ;;
    # proxy-1kb's route guarded by one validation/cel rule. Compare with proxy-1kb.
    cel-1kb) echo "mock validation /cel/guarded /1kb -" ;;
    # proxy-1kb over HTTPS (contracts/bench/tls.json: TLS 1.3, an ECDSA P-256 certificate made
    # by tls_cert below); wrk keeps its connections, so this is the cost of TLS records, not of
    # handshakes. Compare with proxy-1kb.
    tls-1kb) echo "mock tls /json/1kb /1kb -" ;;
    # proxy-1kb with a modifier/lua-proxy post script (contracts/bench/lua.json): one Lua call
    # per request on the worker's own state. Compare with proxy-1kb.
    lua-post-1kb) echo "mock lua /lua/1kb /1kb -" ;;
    # proxy-1kb with a modifier/lua-proxy pre script making one http_response.new call to the
    # mock (contracts/bench/lua.json): offloaded to the blocking pool. Compare with proxy-1kb.
    lua-http-1kb) echo "mock lua /lua-http/1kb /1kb -" ;;
    # proxy-1kb behind qos/ratelimit/router (an endpoint and an ip client limit that never
    # reject; contracts/bench/ratelimit.json): the limiter's cost per request. Compare with
    # proxy-1kb. The -redis one keeps both budgets in Redis (krustd/ratelimit/redis): the script
    # starts redis-server on 127.0.0.1:$REDIS_PORT for it (start_redis) and stops it after.
    ratelimit-1kb) echo "mock ratelimit /ratelimit/1kb /1kb -" ;;
    ratelimit-redis-1kb) echo "mock ratelimit /ratelimit-redis/1kb /1kb -" ;;
    *) die "unknown scenario $1" ;;
  esac
}

# --- processes: every one we start is recorded and stopped on exit --------------------------
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() {
  local pid=$1 p keep=()
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# The status code of GET $2 on 127.0.0.1:$1 (a fresh connection), or nothing.
http_status() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  IFS= read -r -t 5 line <&3 || exit 1
  line=${line#HTTP/1.? }
  echo "${line%% *}"
) 2>/dev/null

# The whole response (head and body) of GET $2 on 127.0.0.1:$1 (with $AUTH when set; a POST of
# $BODY when set).
http_get() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  if [[ -n $BODY ]]; then
    printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$2" "${AUTH:+Authorization: $AUTH$CRLF}" "${#BODY}" "$BODY" >&3
  else
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n' "$2" "${AUTH:+Authorization: $AUTH$CRLF}" >&3
  fi
  timeout 10 cat <&3
) 2>/dev/null

# The status code of GET $2 on https://127.0.0.1:$1 (certificate not checked), or nothing.
https_status() { curl -sk --max-time 5 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$1$2" 2>/dev/null; }

# A throw-away certificate and key for contracts/bench/tls.json (which names these paths).
tls_cert() {
  local dir=$ROOT/target/bench-tls
  [[ -s $dir/server.pem && -s $dir/server.key ]] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$dir/server.key" -out "$dir/server.pem" >"$RESULTS/openssl.log" 2>&1 || die "openssl failed (see $RESULTS/openssl.log)"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Wait (bounded: 10 s) until GET $2 on port $1 answers 200, while process $3 lives.
wait_ready() {
  local i status
  for ((i = 0; i < 200; i++)); do
    if [[ ${4:-http} == https ]]; then status=$(https_status "$1" "$2"); else status=$(http_status "$1" "$2"); fi
    [[ $status == 200 ]] && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# utime+stime of a process and its direct children (nginx's workers), in clock ticks.
cpu_ticks() {
  local stat rest pid total=0
  for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    stat=$(<"/proc/$pid/stat") || continue
    rest=${stat##*) }
    read -ra f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# Peak resident set size (VmHWM) of a process, in KiB.
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# --- load generator --------------------------------------------------------------------------
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

ensure_loadgen() {
  if [[ $LOADGEN == auto || $LOADGEN == wrk ]]; then
    if ! command -v wrk >/dev/null; then
      log "installing wrk (apt)"
      if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq wrk; } >"$RESULTS/apt-wrk.log" 2>&1; then
        log "apt could not install wrk (see $RESULTS/apt-wrk.log)"
      fi
    fi
    if command -v wrk >/dev/null; then
      LOADGEN=wrk
      return
    fi
    [[ $LOADGEN == wrk ]] && die "wrk is not available"
  fi
  if ! command -v oha >/dev/null; then
    log "installing oha (cargo install --locked oha)"
    cargo install --locked oha >"$RESULTS/cargo-install-oha.log" 2>&1 || die "cannot install oha (see $RESULTS/cargo-install-oha.log)"
  fi
  command -v python3 >/dev/null || die "oha's JSON output is read with python3, which is missing"
  LOADGEN=oha
}

WRK_LUA=$RESULTS/report.lua
cat >"$WRK_LUA" <<'EOF'
-- The jwt-* scenarios send a token (BENCH_AUTH); the others send no Authorization.
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
-- The POST scenarios (post-*, schema-post-*) send a JSON body (BENCH_BODY); the others GET.
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
-- One machine-readable line with what the benchmark reports (latencies in microseconds).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF

# Load on URL $1 for $2 seconds; raw output to $3. Sets R_REQ R_DUR_US R_BYTES R_P50 R_P99
# R_P999 (microseconds) R_ERR R_NON2XX.
run_load() {
  local url=$1 secs=$2 out=$3 line
  if [[ $LOADGEN == wrk ]]; then
    BENCH_AUTH=$AUTH BENCH_BODY=$BODY wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout "${TIMEOUT}s" -s "$WRK_LUA" "$url" >"$out" 2>&1 || die "wrk failed on $url (see $out)"
    line=$(grep '^BENCH ' "$out") || die "no result from wrk (see $out)"
  else
    oha -z "${secs}s" -c "$CONNECTIONS" -t "${TIMEOUT}s" --no-tui --output-format json ${AUTH:+-H "Authorization: $AUTH"} ${BODY:+-m POST -T application/json -d "$BODY"} "$url" >"$out" 2>&1 || die "oha failed on $url (see $out)"
    line=$(python3 - "$out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
codes = {int(k): v for k, v in r.get("statusCodeDistribution", {}).items()}
ok = sum(v for k, v in codes.items() if 200 <= k < 400)
errors = sum(r.get("errorDistribution", {}).values())
us = lambda x: int((x or 0) * 1e6)
print("BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d" % (
    sum(codes.values()), us(s["total"]), int(s.get("totalData") or 0), us(p["p50"]), us(p["p99"]),
    us(p["p99.9"]), errors, sum(codes.values()) - ok))
EOF
    ) || die "cannot read oha's output (see $out)"
  fi
  local kv
  for kv in ${line#BENCH }; do
    case $kv in
      requests=*) R_REQ=${kv#*=} ;;
      duration_us=*) R_DUR_US=${kv#*=} ;;
      bytes=*) R_BYTES=${kv#*=} ;;
      p50_us=*) R_P50=${kv#*=} ;;
      p99_us=*) R_P99=${kv#*=} ;;
      p999_us=*) R_P999=${kv#*=} ;;
      errors=*) R_ERR=${kv#*=} ;;
      non2xx=*) R_NON2XX=${kv#*=} ;;
    esac
  done
}

# --- builds ----------------------------------------------------------------------------------
export CARGO_TARGET_DIR=$TARGET_DIR

bench_exe() { # the executable of bench target $1 from cargo's JSON messages in $2
  grep '"reason":"compiler-artifact"' "$2" | grep "\"name\":\"$1\"" | grep '"kind":\["bench"\]' |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1
}

needed_contracts() {
  local s
  for s in $SCENARIOS; do
    set -- $(scenario "$s")
    echo "$2"
  done | sort -u
}

build_all() {
  local contract
  log "building the mock backend and the start-up probe (release)"
  cargo build --release --bench mock_backend --bench startup --message-format=json-render-diagnostics \
    >"$RESULTS/build-benches.jsonl" 2>"$RESULTS/build-benches.log" || die "build failed (see $RESULTS/build-benches.log)"
  cp "$(bench_exe mock_backend "$RESULTS/build-benches.jsonl")" "$GATEWAYS/mock_backend"
  cp "$(bench_exe startup "$RESULTS/build-benches.jsonl")" "$GATEWAYS/startup"
  for contract in $(needed_contracts); do
    # `name+generic`: contracts/bench/name.json with compiled shaping switched off.
    local file=${contract%+generic} shaping=compiled
    [ "$file" != "$contract" ] && shaping=generic
    log "building the gateway for contracts/bench/$file.json ($PROFILE, $shaping shaping)"
    KRUSTD_SHAPING=$shaping KRUSTD_CONTRACT=contracts/bench/$file.json cargo build --profile "$PROFILE" --bin krustd \
      >"$RESULTS/build-$contract.log" 2>&1 || die "build failed (see $RESULTS/build-$contract.log)"
    cp "$TARGET_DIR/$PROFILE/krustd" "$GATEWAYS/krustd-$contract"
  done
  if uses_nginx; then
    log "building the reference gateway of $REF_DIR/refgw (its own release profile)"
    cargo build --release --manifest-path "$REF_DIR/refgw/Cargo.toml" --target-dir "$TARGET_DIR/refgw" \
      >"$RESULTS/build-refgw.log" 2>&1 || die "build failed (see $RESULTS/build-refgw.log)"
    cp "$TARGET_DIR/refgw/release/ref-gw" "$GATEWAYS/ref-gw"
  fi
}

uses_nginx() {
  local s
  for s in $SCENARIOS; do
    set -- $(scenario "$s")
    [[ $1 == nginx ]] && return 0
  done
  return 1
}

# The ref-* scenarios need the yardstick; without it they are left out (with a line saying so).
drop_ref_scenarios_without_yardstick() {
  [[ -d $REF_DIR/refgw && -d $REF_DIR/www ]] && return 0
  local s keep=()
  for s in $SCENARIOS; do
    set -- $(scenario "$s")
    if [[ $1 == nginx ]]; then log "skipping $s: no yardstick at $REF_DIR (set BENCH_REF_DIR)"; else keep+=("$s"); fi
  done
  SCENARIOS="${keep[*]}"
}

ensure_nginx() {
  command -v nginx >/dev/null && return 0
  log "installing nginx (apt)"
  { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx-light; } \
    >"$RESULTS/apt-nginx.log" 2>&1 || die "cannot install nginx (see $RESULTS/apt-nginx.log)"
}

# --- measurements ----------------------------------------------------------------------------
MOCK=$GATEWAYS/mock_backend
STARTUP=$GATEWAYS/startup

start_mock() {
  port_in_use "$MOCK_PORT" && die "port $MOCK_PORT is in use: stop what listens there"
  "$MOCK" serve --port "$MOCK_PORT" --threads "$MOCK_THREADS" >"$RESULTS/mock.log" 2>&1 &
  MOCK_PID=$!
  PIDS+=("$MOCK_PID")
  wait_ready "$MOCK_PORT" /1kb "$MOCK_PID" || die "the mock backend did not start (see $RESULTS/mock.log)"
}

# nginx serving the yardstick's www/ on $NGINX_PORT (a config of its own under $RESULTS).
start_nginx() {
  port_in_use "$NGINX_PORT" && die "port $NGINX_PORT is in use: stop what listens there"
  local dir=$RESULTS/nginx
  mkdir -p "$dir/tmp"
  ln -sfn "$REF_DIR/www" "$dir/www"
  sed "s#BACKEND_DIR#$dir#g" "$REF_DIR/nginx.conf.template" >"$dir/nginx.conf"
  nginx -c "$dir/nginx.conf" -p "$dir" >"$RESULTS/nginx.log" 2>&1 &
  MOCK_PID=$!
  PIDS+=("$MOCK_PID")
  wait_ready "$NGINX_PORT" /a.json "$MOCK_PID" || die "nginx did not start (see $RESULTS/nginx.log, $dir/error.log)"
}

start_reference() {
  port_in_use "$REF_PORT" && die "port $REF_PORT is in use: stop what listens there"
  REF_ADDR=127.0.0.1:$REF_PORT REF_MODE=tpc REF_THREADS=$(nproc) REF_BACKEND=http://127.0.0.1:$NGINX_PORT \
    "$GATEWAYS/ref-gw" >"$RESULTS/ref-gw.log" 2>&1 &
  REF_PID=$!
  PIDS+=("$REF_PID")
  wait_ready "$REF_PORT" /single "$REF_PID" || die "the reference gateway did not start (see $RESULTS/ref-gw.log)"
}

# redis-server for the ratelimit-redis-* scenarios: 127.0.0.1 only, no persistence, bounded
# start (10 s); the gateway finds it through KRUSTD_REDIS_URL.
REDIS_PORT=${BENCH_REDIS_PORT:-6390}
start_redis() {
  command -v redis-server >/dev/null || die "redis-server is needed by $1 (apt-get install redis-server)"
  port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is in use: stop what listens there"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no >"$RESULTS/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  local i
  for ((i = 0; i < 200; i++)); do
    port_in_use "$REDIS_PORT" && { export KRUSTD_REDIS_URL=redis://127.0.0.1:$REDIS_PORT; return 0; }
    kill -0 "$REDIS_PID" 2>/dev/null || break
    sleep 0.05
  done
  die "redis-server did not start (see $RESULTS/redis.log)"
}

start_gateway() { # $1 contract, $2 log file
  port_in_use "$GATEWAY_PORT" && die "port $GATEWAY_PORT is in use: stop what listens there"
  "$GATEWAYS/krustd-$1" -p "$GATEWAY_PORT" >"$2" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_ready "$GATEWAY_PORT" /__health "$GW_PID" "$GW_SCHEME" || die "the gateway did not start (see $2)"
}

# base64url without padding.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# `Bearer <token>` for a jwt-* scenario (empty otherwise): signed with openssl by the test-only
# keys of tests/fixtures/jwt (contracts/bench/jwt.json embeds their public halves).
# The JSON body a POST scenario (post-*, schema-post-*) sends (a valid order for
# schema-post-1kb's schema), else nothing. lua-post-1kb GETs: its "post" is the Lua hook.
bench_body() {
  case $1 in
    post-* | schema-post-*) echo '{"id":1042,"customer":"ACME Corp","express":true,"items":[{"sku":"ABC-1234","qty":2},{"sku":"XYZ-0042","qty":10},{"sku":"KRK-2026","qty":1}]}' ;;
  esac
}

jwt_token() {
  local alg kid header payload signed key=$RESULTS/jwt-test-key.der
  case $1 in
    jwt-hs256-*) alg=HS256 kid=bench-hs ;;
    jwt-rs256-*) alg=RS256 kid=bench-rs ;;
    *) return 0 ;;
  esac
  header=$(printf '{"alg":"%s","kid":"%s","typ":"JWT"}' "$alg" "$kid" | b64url)
  payload=$(printf '{"sub":"bench","aud":"bench","roles":["user"],"exp":%d}' $(($(date +%s) + 86400)) | b64url)
  signed=$header.$payload
  if [[ $alg == HS256 ]]; then
    printf 'Bearer %s.%s' "$signed" "$(printf %s "$signed" | openssl dgst -sha256 -mac HMAC -macopt key:test-only-hmac-secret-for-krustd-jwt-tests -binary | b64url)"
  else
    base64 -d "$ROOT/tests/fixtures/jwt/rsa2048_test_only.pk1.b64" >"$key"
    printf 'Bearer %s.%s' "$signed" "$(printf %s "$signed" | openssl dgst -sha256 -sign "$key" -keyform DER -binary | b64url)"
  fi
}

ROWS=()
ROUND_LOG=()
fmt_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# Measures load on port $1 path $2 against process $3; sets M_* (rps, cpu per 10k, rss).
measure() {
  local port=$1 path=$2 pid=$3 tag=$4 scheme=${5:-http} t0 t1
  run_load "$scheme://127.0.0.1:$port$path" "$WARMUP" "$RESULTS/$tag.warmup.txt"
  t0=$(cpu_ticks "$pid")
  run_load "$scheme://127.0.0.1:$port$path" "$DURATION" "$RESULTS/$tag.txt"
  t1=$(cpu_ticks "$pid")
  M_REQ=$R_REQ
  M_RPS=$(awk -v n="$R_REQ" -v us="$R_DUR_US" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
  M_CPU=$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$R_REQ" 'BEGIN { printf "%.3f", n ? t / hz / n * 10000 : 0 }')
  M_RSS=$(peak_rss_kib "$pid")
  M_P50=$R_P50 M_P99=$R_P99 M_P999=$R_P999
  M_BYTES=$(awk -v b="$R_BYTES" -v n="$R_REQ" 'BEGIN { printf "%.0f", n ? b / n : 0 }')
  M_ERR=$((R_ERR + R_NON2XX))
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else printf "–" }'; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { printf '%s\n' "$@" | sort -g | tail -n1; }
sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { print s + 0 }'; }
mib_of_kib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# One scenario: mock and gateway stay up; each round measures the backend directly, then
# through the gateway, back to back. Figures are medians over the rounds (peak RSS: the max,
# errors: the sum), so a burst of load from elsewhere on the machine moves one round, not the
# result.
run_scenario() {
  local name=$1 backend contract gpath dpath rpath status r
  read -r backend contract gpath dpath rpath <<<"$(scenario "$name")"
  AUTH=$(jwt_token "$name")
  BODY=$(bench_body "$name")
  GW_SCHEME=http
  if [[ $contract == tls ]]; then
    GW_SCHEME=https
    tls_cert
  fi
  local dport=$MOCK_PORT
  log "scenario $name: backend direct $dpath$([[ $rpath != - ]] && echo ", reference $rpath"), then gateway $gpath (contracts/bench/$contract.json), $ROUNDS rounds"
  if [[ $backend == nginx ]]; then
    dport=$NGINX_PORT
    start_nginx
    start_reference
  else
    start_mock
  fi
  [[ $name == ratelimit-redis-* ]] && start_redis "$name"
  start_gateway "$contract" "$RESULTS/$name.gateway.log"
  if [[ $GW_SCHEME == https ]]; then
    curl -sk -i --max-time 10 "https://127.0.0.1:$GATEWAY_PORT$gpath" >"$RESULTS/$name.sample-response.txt" || true
  else
    http_get "$GATEWAY_PORT" "$gpath" >"$RESULTS/$name.sample-response.txt" || true
  fi
  status=$(head -n1 "$RESULTS/$name.sample-response.txt" | tr -d '\r')
  log "  sample response: $status, $(wc -c <"$RESULTS/$name.sample-response.txt") bytes (saved)"
  local d_rps=() d_p50=() d_p99=() d_p999=() d_cpu=() d_bytes=() d_err=()
  local f_rps=() f_p50=() f_p99=() f_p999=() f_cpu=() f_bytes=() f_err=()
  local g_rps=() g_p50=() g_p99=() g_p999=() g_cpu=() g_bytes=() g_err=()
  for ((r = 1; r <= ROUNDS; r++)); do
    measure "$dport" "$dpath" "$MOCK_PID" "$name.direct.$r"
    d_rps+=("$M_RPS") d_p50+=("$M_P50") d_p99+=("$M_P99") d_p999+=("$M_P999") d_cpu+=("$M_CPU") d_bytes+=("$M_BYTES") d_err+=("$M_ERR")
    log "  round $r: direct $M_RPS req/s, $M_CPU s/10k"
    if [[ $rpath != - ]]; then
      measure "$REF_PORT" "$rpath" "$REF_PID" "$name.reference.$r"
      f_rps+=("$M_RPS") f_p50+=("$M_P50") f_p99+=("$M_P99") f_p999+=("$M_P999") f_cpu+=("$M_CPU") f_bytes+=("$M_BYTES") f_err+=("$M_ERR")
      log "  round $r: reference $M_RPS req/s, $M_CPU s/10k"
    fi
    measure "$GATEWAY_PORT" "$gpath" "$GW_PID" "$name.gateway.$r" "$GW_SCHEME"
    g_rps+=("$M_RPS") g_p50+=("$M_P50") g_p99+=("$M_P99") g_p999+=("$M_P999") g_cpu+=("$M_CPU") g_bytes+=("$M_BYTES") g_err+=("$M_ERR")
    log "  round $r: gateway $M_RPS req/s, $M_CPU s/10k"
  done
  # The backend's peak RSS includes the gateways' load on it: report it as the backend's.
  local d_rss g_rss f_rss=0
  g_rss=$(peak_rss_kib "$GW_PID")
  d_rss=$(peak_rss_kib "$MOCK_PID")
  stop "$GW_PID"
  if [[ $rpath != - ]]; then
    f_rss=$(peak_rss_kib "$REF_PID")
    stop "$REF_PID"
  fi
  stop "$MOCK_PID"
  if [[ $name == ratelimit-redis-* ]]; then
    stop "$REDIS_PID"
    unset KRUSTD_REDIS_URL
  fi

  local D_RPS D_P50 D_P99 D_P999 D_CPU G_RPS G_P50 G_P99 G_P999 G_CPU
  D_RPS=$(median "${d_rps[@]}") D_P50=$(median "${d_p50[@]}") D_P99=$(median "${d_p99[@]}") D_P999=$(median "${d_p999[@]}") D_CPU=$(median "${d_cpu[@]}")
  G_RPS=$(median "${g_rps[@]}") G_P50=$(median "${g_p50[@]}") G_P99=$(median "${g_p99[@]}") G_P999=$(median "${g_p999[@]}") G_CPU=$(median "${g_cpu[@]}")
  ROWS+=("| $name | backend direct \`$dpath\` | $(printf %.0f "$D_RPS") | $(fmt_ms "$D_P50") | $(fmt_ms "$D_P99") | $(fmt_ms "$D_P999") | $D_CPU (backend) | $(mib_of_kib "$d_rss") (backend) | $(median "${d_bytes[@]}") | $(sum "${d_err[@]}") |")
  if [[ $rpath != - ]]; then
    local F_RPS F_P50 F_P99 F_P999 F_CPU
    F_RPS=$(median "${f_rps[@]}") F_P50=$(median "${f_p50[@]}") F_P99=$(median "${f_p99[@]}") F_P999=$(median "${f_p999[@]}") F_CPU=$(median "${f_cpu[@]}")
    ROWS+=("| | reference \`$rpath\` | $(printf %.0f "$F_RPS") | $(fmt_ms "$F_P50") | $(fmt_ms "$F_P99") | $(fmt_ms "$F_P999") | $F_CPU | $(mib_of_kib "$f_rss") | $(median "${f_bytes[@]}") | $(sum "${f_err[@]}") |")
  fi
  ROWS+=("| | gateway \`$gpath\` | $(printf %.0f "$G_RPS") | $(fmt_ms "$G_P50") | $(fmt_ms "$G_P99") | $(fmt_ms "$G_P999") | $G_CPU | $(mib_of_kib "$g_rss") | $(median "${g_bytes[@]}") | $(sum "${g_err[@]}") |")
  ROWS+=("| | **gateway ÷ direct** | **$(ratio "$G_RPS" "$D_RPS")** | $(ratio "$G_P50" "$D_P50") | $(ratio "$G_P99" "$D_P99") | $(ratio "$G_P999" "$D_P999") | $(ratio "$G_CPU" "$D_CPU") | $(ratio "$g_rss" "$d_rss") | | |")
  if [[ $rpath != - ]]; then
    ROWS+=("| | **gateway ÷ reference** | **$(ratio "$G_RPS" "$F_RPS")** | $(ratio "$G_P50" "$F_P50") | $(ratio "$G_P99" "$F_P99") | $(ratio "$G_P999" "$F_P999") | **$(ratio "$G_CPU" "$F_CPU")** | $(ratio "$g_rss" "$f_rss") | | |")
    ROUND_LOG+=("$name reference req/s: ${f_rps[*]}; reference CPU s/10k: ${f_cpu[*]}")
  fi
  ROUND_LOG+=("$name direct req/s: ${d_rps[*]}; gateway req/s: ${g_rps[*]}; direct CPU s/10k: ${d_cpu[*]}; gateway CPU s/10k: ${g_cpu[*]}")
}

STARTUP_ROWS=()
run_startup() {
  local contract=proxy line what med min p90 max fail
  [[ $STARTUP_RUNS -gt 0 ]] || return 0
  [[ -x $GATEWAYS/krustd-$contract ]] || return 0
  log "start-up: $STARTUP_RUNS runs each of --version, first /__health, first proxied /json/1kb"
  port_in_use "$GATEWAY_PORT" && die "port $GATEWAY_PORT is in use: stop what listens there"
  start_mock
  "$STARTUP" --bin "$GATEWAYS/krustd-$contract" --port "$GATEWAY_PORT" --runs "$STARTUP_RUNS" \
    --path /__health --path /json/1kb >"$RESULTS/startup.txt" 2>"$RESULTS/startup.log" || log "start-up probe reported failures (see $RESULTS/startup.log)"
  stop "$MOCK_PID"
  local ref_med=""
  while read -r line; do
    [[ $line == startup* ]] || continue
    for kv in $line; do
      case $kv in
        what=*) what=${kv#*=} ;; median_us=*) med=${kv#*=} ;; min_us=*) min=${kv#*=} ;;
        p90_us=*) p90=${kv#*=} ;; max_us=*) max=${kv#*=} ;; failures=*) fail=${kv#*=} ;;
      esac
    done
    [[ $what == --version ]] && ref_med=$med
    local label
    case $what in
      --version) label="\`krustd --version\`: exec to exit (reference)" ;;
      /__health) label="exec to first 200 on \`/__health\`" ;;
      *) label="exec to first 200 on \`$what\` (through the backend)" ;;
    esac
    STARTUP_ROWS+=("| $label | $(fmt_ms "$med") | $(fmt_ms "$min") | $(fmt_ms "$p90") | $(fmt_ms "$max") | $(ratio "$med" "$ref_med") | $fail |")
  done <"$RESULTS/startup.txt"
}

machine() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "- machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r)"
  echo "- toolchain: $(rustc --version)"
  echo "- load generator: $($LOADGEN --version 2>&1 | head -n1) — $CONNECTIONS connections, $THREADS threads, 127.0.0.1 only"
  echo "- each scenario: $ROUNDS rounds of (backend direct, then gateway), each measurement ${WARMUP} s warm-up + ${DURATION} s measured; medians over the rounds (peak RSS: max over the scenario)"
  echo "- mock backend: benches/mock_backend.rs, $MOCK_THREADS threads; gateways: \`cargo build --profile $PROFILE\` of contracts/bench/*.json, run with \`-p $GATEWAY_PORT\` and no other setting"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (work tree has uncommitted changes)')"
  echo "- load average before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# --- main ------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $SCENARIOS; do scenario "$s" >/dev/null; done
drop_ref_scenarios_without_yardstick
ensure_loadgen
uses_nginx && ensure_nginx
if [[ $SKIP_BUILD == 1 ]]; then
  log "reusing the binaries in $GATEWAYS"
else
  build_all
fi
[[ -x $MOCK && -x $STARTUP ]] || die "missing $MOCK or $STARTUP (build them: unset BENCH_SKIP_BUILD)"

for s in $SCENARIOS; do
  run_scenario "$s"
done
run_startup

{
  echo "### Load ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  machine
  echo
  echo "| scenario | measured | req/s | p50 ms | p99 ms | p99.9 ms | CPU s / 10k req | peak RSS MiB | bytes / response | errors |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Per round (req/s and CPU s / 10k req):"
  echo
  printf -- '- %s\n' "${ROUND_LOG[@]}"
  if ((${#STARTUP_ROWS[@]})); then
    echo
    echo "### Start-up ($STARTUP_RUNS runs, contracts/bench/proxy.json)"
    echo
    echo "| measured | median ms | min ms | p90 ms | max ms | median ÷ reference | failures |"
    echo "|---|--:|--:|--:|--:|--:|--:|"
    printf '%s\n' "${STARTUP_ROWS[@]}"
  fi
} | tee "$RESULTS/summary.md"
log "raw outputs and summary.md in $RESULTS"
