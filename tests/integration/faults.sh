#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Faults during a run. Each ends the run within seconds with its own
# sentence, the summary, the JSON report and exit 1 (or is ridden out), and
# leaves no XDP program attached:
#   1. a worker failing (XDPGEN_FAULT, test-only injection) with 2 queues:
#      client and server end at once instead of waiting for it forever;
#   2. the interface set down (--on-link-down fail, the default);
#   3. a short down period with --on-link-down wait: the run completes;
#   4. the server process killed: the client counts refused/reset connections;
#   5. the interface deleted.
# Usage: faults.sh PATTERN_SERVER
source "$(dirname "$0")/lib.sh"
SERVER=$1

# A fresh test bed with the kernel's pattern server on 198.18.0.2:7001
# (also after a case that took the link down or deleted it).
fresh_bed() { # fresh_bed QUEUES
  "$TESTBED" --prefix "$PREFIX" down >/dev/null 2>&1 || true
  testbed_up --queues "$1"
  gen ping -c1 -W2 198.18.0.2 >/dev/null
  bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$SERVER" --listen 198.18.0.2:7001 --read 100 --bytes 1000 \
    >"$TMP/server.out" 2>&1
  wait_for_line "$TMP/server.out" '^ready' 10
}

# xdpgen in the generator's namespace in the background; its output in
# $TMP/NAME.out, its report in $TMP/NAME.json, its pid in RUN_PID.
run_bg() { # run_bg NAME xdpgen-ARGS...
  local name=$1; shift
  bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" "$@" --json "$TMP/$name.json" >"$TMP/$name.out" 2>&1
  RUN_PID=${BG_PIDS[-1]}
}
# Waits (bounded) for RUN_PID to end; RUN_RC its exit status, RUN_SECS the
# seconds it took from the call (from the fault).
wait_run() { # wait_run SECONDS
  local t0 i
  t0=$(date +%s.%N)
  for ((i = 0; i < $1 * 20; i++)); do
    kill -0 "$RUN_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$RUN_PID" 2>/dev/null && fail "the run still goes $1 s after the fault"
  set +e; wait "$RUN_PID"; RUN_RC=$?; set -e
  RUN_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
  echo "run ended ${RUN_SECS} s after the fault, exit $RUN_RC"
}
# The common end of a failed run: exit 1, the sentence, the summary, the
# JSON report, nothing attached, no process left.
expect_failed_run() { # expect_failed_run NAME SENTENCE-REGEX
  local out
  out=$(cat "$TMP/$1.out")
  expect_eq "$1: exit status" "$RUN_RC" 1
  expect_match "$1: the message" "$out" "xdpgen: $2"
  expect_match "$1: a hint" "$out" 'hint: '
  expect_match "$1: the summary" "$out" 'summary: [0-9,]+ (attempted|accepted)'
  expect_eq "$1: JSON result" "$(json "$TMP/$1.json" .result)" failed
  expect_match "$1: JSON reason" "$(json "$TMP/$1.json" .reason)" "$2"
  expect_no_leftovers "$1"
}
expect_no_leftovers() { # expect_no_leftovers NAME
  local ns
  for ns in gen peer; do
    if ip netns pids "${PREFIX}$ns" >/dev/null 2>&1; then
      [[ -z $(ip -n "${PREFIX}$ns" link show 2>/dev/null | grep -Eo ' xdp(generic|drv)? ') ]] ||
        fail "$1: an XDP program is still attached in ${PREFIX}$ns: $(ip -n "${PREFIX}$ns" -d link show)"
    fi
  done
  echo "ok: $1: no XDP program attached"
  [[ -z $(pgrep -f "^$XDPGEN (client|server) -i $IF_GEN " || true) ]] || fail "$1: an xdpgen process is left"
}
# Lets the run get going: waits for a live line showing finished connections.
wait_running() { # wait_running NAME
  wait_for_line "$TMP/$1.out" '^\[ *[0-9.]+s\] done +[1-9]' 15
}

# 1. One of two workers fails: the whole run ends at once with the error.
# Before the fix the other worker waited for it forever and the run hung.
fresh_bed 2
XDPGEN_FAULT=worker1-fail-after-ms=300 run_bg fault_client client -i "$IF_GEN" 198.18.0.2:7001 \
  --send-size 100 --recv 1000 -n 100000000 -c 20 -I 0.2
wait_run 15
expect_failed_run fault_client 'worker 1 \(.* queue 1\): injected fault after 300 ms'
expect_eq "fault_client: 2 workers" "$(json "$TMP/fault_client.json" .config.workers)" 2
expect_match "fault_client: it had run" "$(json "$TMP/fault_client.json" .counters.completed)" '^[1-9]'
(( $(echo "$RUN_SECS < 5" | bc) )) || fail "the failed worker ended the client run after $RUN_SECS s"
# The server runs until stopped: a failed worker must end it too.
XDPGEN_FAULT=worker1-fail-after-ms=300 run_bg fault_server server -i "$IF_GEN" 198.18.0.1:8080 --recv-http -d 30
wait_run 15
expect_failed_run fault_server 'worker 1 \(.* queue 1\): injected fault after 300 ms'
(( $(echo "$RUN_SECS < 5" | bc) )) || fail "the failed worker ended the server run after $RUN_SECS s"
