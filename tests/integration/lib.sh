# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Shared by the namespace integration tests: a private test bed per test,
# removed on exit whatever happens, and small assertion helpers.
# Needs: XDPGEN (path of the binary), root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XDPGEN=${XDPGEN:-$ROOT/build/xdpgen}
TESTBED=$ROOT/tools/testbed
# A short prefix unique to this test process, so tests can run side by side.
PREFIX=${PREFIX:-t$(( $$ % 100000 ))}
IF_GEN=${PREFIX}0 IF_PEER=${PREFIX}1
TMP=$(mktemp -d /tmp/xdpgen-test.XXXXXX)
BG_PIDS=()

cleanup() {
  local rc=$?
  for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  "$TESTBED" --prefix "$PREFIX" down >/dev/null 2>&1 || true
  # XDPGEN_KEEP_TMP=1 keeps a failed test's files (JSON reports, outputs) to look at.
  if [[ $rc -ne 0 && -n ${XDPGEN_KEEP_TMP:-} ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
  if [[ $rc -eq 0 ]]; then echo "PASS $(basename "$0")"; else echo "FAIL $(basename "$0") (exit $rc)"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) -eq 0 ]] || { echo "integration tests need root (they create network namespaces)"; exit 1; }
[[ -x $XDPGEN ]] || { echo "no xdpgen binary at $XDPGEN: build first"; exit 1; }

# A test may define on_fail (e.g. to print the reports behind a wrong count).
fail() {
  echo "FAILED: $*" >&2
  if declare -F on_fail >/dev/null; then on_fail >&2 || true; fi
  exit 1
}
expect_eq() { # expect_eq WHAT ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
  echo "ok: $1 = $3"
}
expect_match() { # expect_match WHAT TEXT REGEX (the text's lines are joined by spaces)
  tr '\n' ' ' <<<"$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"
  echo "ok: $1 matches /$3/"
}

testbed_up() { "$TESTBED" --prefix "$PREFIX" "$@" up >/dev/null; }
gen() { "$TESTBED" --prefix "$PREFIX" exec gen "$@"; }
peer() { "$TESTBED" --prefix "$PREFIX" exec peer "$@"; }
# Runs a command in the background (bounded by timeout), remembering its pid for cleanup.
bg() { "$@" & BG_PIDS+=($!); }

pin_neighbours() { # pin_neighbours NS IFNAME: resolved entries become permanent
  local addr mac
  ip -n "$1" neigh show dev "$2" | awk '$2 == "lladdr" { print $1, $3 }' |
    while read -r addr mac; do ip -n "$1" neigh replace "$addr" lladdr "$mac" nud permanent dev "$2"; done
}
rx_packets() { ip netns exec "${PREFIX}peer" cat "/sys/class/net/$IF_PEER/statistics/rx_packets"; }
xdp_attached() { # xdp_attached NS IFNAME -> prints the XDP mode or nothing
  ip -n "$1" -d link show "$2" | grep -Eo '(^| )xdp(generic|drv|offload)?( |$)' | tr -d ' ' || true
}
json() { jq -r "$2" "$1"; }

# "true" when this kernel runs live frames on the generator's interface, as
# `xdpgen probe` finds by a real run (false also when BPF itself is refused):
# which path `xdpgen udp --tx-path auto` takes.
live_frames_supported() {
  gen "$XDPGEN" probe --json "$TMP/probe.json" "$IF_GEN" >/dev/null 2>&1 || true
  [[ $(json "$TMP/probe.json" .checks.live_frames.supported 2>/dev/null) == true ]] && echo true || echo false
}

# Waits (bounded) until the file contains a line matching the regex.
wait_for_line() { # wait_for_line FILE REGEX SECONDS
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -Eq -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no line matching /$2/ in $1 within $3 s: $(cat "$1" 2>/dev/null)"
}

# Polls (bounded) until the command succeeds; fails the test with WHAT otherwise.
wait_until() { # wait_until SECONDS WHAT COMMAND...
  local secs=$1 what=$2 i; shift 2
  for ((i = 0; i < secs * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  fail "$what: not within $secs s"
}

# Lets the link settle (neighbour discovery, the MLD reports after link-up)
# so counters move only for the test's packets: waits until the peer's
# counter stood still for 1.5 s, at most 15 s. The neighbour entries the
# pings made are then pinned: otherwise each kernel re-confirms them about
# 5 s later (NUD DELAY -> PROBE), in the middle of a counted run.
settle() {
  gen ping -c1 -W2 198.18.0.2 >/dev/null
  gen ping -c1 -W2 fd00:18::2 >/dev/null
  pin_neighbours "${PREFIX}gen" "$IF_GEN"
  pin_neighbours "${PREFIX}peer" "$IF_PEER"
  local last still=0 i now
  last=$(rx_packets)
  for ((i = 0; i < 30 && still < 3; i++)); do
    sleep 0.5
    now=$(rx_packets)
    if [[ $now == "$last" ]]; then still=$((still + 1)); else still=0 last=$now; fi
  done
}

# nginx in the peer namespace (tools/nginx-peer): everything under
# $TMP/nginx, listening on 198.18.0.2:80 and [fd00:18::2]:80, serving
# /index.html ("hello from nginx\n") and files the test puts in
# $TMP/nginx/www. The access log ($TMP/nginx/access.log) has one line per
# request. Killed by the cleanup with the other background processes.
nginx_start() { # nginx_start [nginx-peer OPTIONS...]
  bg "$ROOT/tools/nginx-peer" --prefix "$PREFIX" "$@" "$TMP/nginx"
  local i
  for ((i = 0; i < 100; i++)); do
    peer curl -s -o /dev/null --max-time 1 http://198.18.0.2/ && return 0
    sleep 0.1
  done
  fail "nginx did not start: $(cat "$TMP/nginx/error.log" 2>/dev/null)"
}
# xdpgen server in the peer namespace, in the background, its report in JSON
# (its output in JSON.out); stop_xdpgen_server ends it and waits for the report.
xdpgen_server() { # xdpgen_server JSON ARGS... (bounded by SERVER_LIFETIME seconds, default 300)
  local json=$1; shift
  bg timeout "${SERVER_LIFETIME:-300}" "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" server -i "$IF_PEER" --quiet --json "$json" "$@" \
    >"$json.out" 2>&1
  wait_for_line "$json.out" '^server on' 10
}
stop_xdpgen_server() { # stop_xdpgen_server JSON [SECONDS to wait for the report, default 10]
  pkill -INT -f "^$XDPGEN server -i $IF_PEER " || true
  local i
  for ((i = 0; i < ${2:-10} * 10; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
  fail "server wrote no report: $(cat "$1.out")"
}

nginx_requests() { wc -l <"$TMP/nginx/access.log"; }
nginx_gone() { ! kill -0 "$1" 2>/dev/null; }
nginx_stop() { # stops the nginx of nginx_start (its access log stays)
  local pid
  pid=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_until 10 "nginx stops" nginx_gone "$pid"
}

# The kernel's pattern server (tests/peers) in the peer namespace, on
# 198.18.0.2:PORT, bounded by SERVE_SECONDS (default 120); its output in
# $TMP/serverPORT.out. Needs SERVER (the binary's path).
serve() { # serve PORT ARGS...
  local port=$1; shift
  bg timeout "${SERVE_SECONDS:-120}" "$TESTBED" --prefix "$PREFIX" exec peer "$SERVER" --listen "198.18.0.2:$port" "$@" \
    >"$TMP/server$port.out" 2>&1
  wait_for_line "$TMP/server$port.out" '^ready' 10
}
server_result() { # server_result PORT -> the server's results line after SIGTERM
  # Anchored: only the server itself, not the wrappers whose arguments name it.
  pkill -TERM -f "^$SERVER --listen 198.18.0.2:$1 " || true
  wait_for_line "$TMP/server$1.out" '^accepted=' 10
  grep '^accepted=' "$TMP/server$1.out"
}
