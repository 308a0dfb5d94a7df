#!/usr/bin/env bash
# Blue/green on a balanced cluster, measured (README "Shipping"). On 127.0.0.1: HAProxy (the
# Debian package, installed when absent) in front of two "blue" gateways built from
# examples/bluegreen/v1.json; constant load through HAProxy; two "green" gateways from v2.json
# start, HAProxy's runtime API (admin socket) sets them ready and the blues to drain; once no
# request is in flight on the blues they go to maintenance and get SIGTERM, and drain. Then the
# same cluster loses a green node to SIGKILL under load, and HAProxy's health checks and retries
# take it out. Reports failed requests (must be 0 for the switch), which colour answered each
# second, and the drain times. Bounded: the load stops 2 s after the last step (at most 90 s
# and 60 s); about 40 s in all on an idle machine once the gateways are built.
#
#   scripts/bluegreen.sh                          # release builds of both contracts, then the run
#   BLUEGREEN_PROFILE=dev scripts/bluegreen.sh    # debug builds (quicker to build)
#   BLUEGREEN_SKIP_BUILD=1 scripts/bluegreen.sh   # reuse target/bluegreen/krustd-v{1,2}
#
# Identity of the answering node: HAProxy adds `X-Served-By: <server>` (blue1, blue2, green1,
# green2); the gateways' /__health also carries their release (bluegreen-v1 / bluegreen-v2).
# Ports: HAProxy 19000, blues 19001-19002, greens 19003-19004, backend 19100.
# Exit status: 1 when the switch failed any request.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROFILE=${BLUEGREEN_PROFILE:-release}
OUT=$ROOT/target/bluegreen
RUN=$(mktemp -d)
SOCK=$RUN/admin.sock
LOAD=scripts/bluegreen-load.py
THREADS=${BLUEGREEN_THREADS:-8}
mkdir -p "$OUT"

if ! command -v haproxy >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends haproxy >/dev/null
fi

if [[ ${BLUEGREEN_SKIP_BUILD:-0} != 1 ]]; then
  dir=$([[ $PROFILE == dev ]] && echo debug || echo "$PROFILE")
  for v in v1 v2; do
    echo "== building the $v gateway ($PROFILE)"
    KRUSTD_CONTRACT=examples/bluegreen/$v.json KRUSTD_RELEASE=bluegreen-$v \
      cargo build --locked --profile "$PROFILE" --bin krustd -q
    cp "target/$dir/krustd" "$OUT/krustd-$v"
  done
fi

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT

now() { date +%s%3N; }
event() { echo "$(now) $1" >>"$EVENTS"; }
hap() { # one runtime API command
  python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2]+"\n").encode())
out=b""
while True:
    d=s.recv(65536)
    if not d: break
    out+=d
sys.stdout.write(out.decode())' "$SOCK" "$*"
}
# Column `name` (scur, status, ...) of server gw/$1 in `show stat`.
stat() {
  hap "show stat" | awk -F, -v s="$1" -v col="$2" '
    NR==1 { for (i = 1; i <= NF; i++) if ($i == col || $i == "# " col) c = i }
    $1 == "gw" && $2 == s { print $c }'
}
healthy() { # port: bounded wait for /__health
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/__health" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "gateway on :$1 did not start" >&2
  return 1
}
start() { # name binary port
  "$2" -p "$3" -l ERROR >>"$RUN/$1.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$1=$!"
}
started() { # the load generator's first answer, bounded 30 s
  for _ in $(seq 1 600); do [[ -e $1.started ]] && return 0; sleep 0.05; done
  echo "the load generator did not start" >&2
  return 1
}
wait_exit() { # pid, bounded 15 s; prints the ms it took
  local t=$(now)
  for _ in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || { echo $(($(now) - t)); return 0; }
    sleep 0.05
  done
  echo "timeout"
}

python3 "$LOAD" backend 19100 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null http://127.0.0.1:19100/greeting 2>/dev/null && break; sleep 0.05; done
start blue1 "$OUT/krustd-v1" 19001
start blue2 "$OUT/krustd-v1" 19002
healthy 19001 && healthy 19002

cat >"$RUN/haproxy.cfg" <<CFG
global
  stats socket $SOCK mode 600 level admin
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  # A request that found its server gone (refused, reset before an answer) goes to another one.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
frontend fe
  bind 127.0.0.1:19000
  default_backend gw
backend gw
  balance roundrobin
  option httpchk GET /__health
  http-response set-header X-Served-By %s
  default-server check inter 250ms fall 2 rise 1
  server blue1 127.0.0.1:19001
  server blue2 127.0.0.1:19002
  server green1 127.0.0.1:19003 disabled
  server green2 127.0.0.1:19004 disabled
CFG
haproxy -db -f "$RUN/haproxy.cfg" >"$RUN/haproxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
curl -fsS -o /dev/null http://127.0.0.1:19000/v1/greeting

echo "== 1. blue/green switch under load ($THREADS clients, one request per ~5 ms each)"
EVENTS=$RUN/switch.events
: >"$EVENTS"
python3 "$LOAD" load http://127.0.0.1:19000/v1/greeting 90 "$THREADS" "$RUN/switch.csv" &
LOADPID=$!
started "$RUN/switch.csv"
event load-started
sleep 3
event start-greens
start green1 "$OUT/krustd-v2" 19003
start green2 "$OUT/krustd-v2" 19004
healthy 19003 && healthy 19004
for g in green1 green2; do hap "set server gw/$g state ready" >/dev/null; done
event greens-ready
sleep 2
for b in blue1 blue2; do hap "set server gw/$b state drain" >/dev/null; done
event blues-drain
t_drain=$(now)
for _ in $(seq 1 200); do
  [[ $(stat blue1 scur) == 0 && $(stat blue2 scur) == 0 ]] && break
  sleep 0.05
done
event blues-idle
idle_ms=$(($(now) - t_drain))
for b in blue1 blue2; do hap "set server gw/$b state maint" >/dev/null; done
event blues-maint-SIGTERM
kill -TERM "$PID_blue1" "$PID_blue2"
exit1=$(wait_exit "$PID_blue1")
exit2=$(wait_exit "$PID_blue2")
event blues-exited
sleep 2
touch "$RUN/switch.csv.stop"
wait "$LOADPID"
echo "drain: no request in flight on the blues ${idle_ms} ms after \`state drain\`; after SIGTERM blue1 exited in ${exit1} ms, blue2 in ${exit2} ms"
for p in 19003 19004; do
  printf 'green :%s /__health release: ' "$p"
  curl -fsS "http://127.0.0.1:$p/__health" | grep -o '"release":"[^"]*"'
done
status=0
python3 "$LOAD" report "$RUN/switch.csv" "$EVENTS" || status=1

echo "== 2. one green node SIGKILLed under load (health checks every 250 ms, fall 2; retries + redispatch)"
EVENTS=$RUN/kill.events
: >"$EVENTS"
python3 "$LOAD" load http://127.0.0.1:19000/v1/greeting 60 "$THREADS" "$RUN/kill.csv" &
LOADPID=$!
started "$RUN/kill.csv"
event load-started
sleep 2
event SIGKILL-green1
kill -9 "$PID_green1"
t_kill=$(now)
down=timeout
for _ in $(seq 1 200); do
  if [[ $(stat green1 status) == DOWN* ]]; then down=$(($(now) - t_kill)); break; fi
  sleep 0.02
done
event green1-marked-DOWN
sleep 2
touch "$RUN/kill.csv.stop"
wait "$LOADPID"
echo "green1 marked DOWN by the health checks ${down} ms after SIGKILL"
python3 "$LOAD" report "$RUN/kill.csv" "$EVENTS" || echo "(failed requests above: the loss of a node, not the switch)"
exit $status
