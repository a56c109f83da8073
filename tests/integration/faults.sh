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
# The fault happens now: wait_run measures from here.
fault_now() { T_FAULT=$(date +%s.%N); }
# Waits (bounded) for RUN_PID to end; RUN_RC its exit status, RUN_SECS the
# seconds from the fault (fault_now) to its end.
wait_run() { # wait_run SECONDS
  local i
  for ((i = 0; i < $1 * 20; i++)); do
    kill -0 "$RUN_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$RUN_PID" 2>/dev/null && fail "the run still goes $1 s after the fault"
  set +e; wait "$RUN_PID"; RUN_RC=$?; set -e
  RUN_SECS=$(echo "$(date +%s.%N) - $T_FAULT" | bc)
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
  [[ -z $(pgrep -f "^$XDPGEN [a-z]+ -i ${PREFIX}[01] " || true) ]] || fail "$1: an xdpgen process is left"
}
# Lets the run get going: waits for a live line showing finished connections.
wait_running() { # wait_running NAME
  wait_for_line "$TMP/$1.out" '^\[ *[0-9.]+s\] done +[1-9]' 15
}

# 1. One of two workers fails: the whole run ends at once with the error.
# Before the fix the other worker waited for it forever and the run hung.
fresh_bed 2
fault_now  # the run starts: its worker 1 fails 300 ms into it
XDPGEN_FAULT=worker1-fail-after-ms=300 run_bg fault_client client -i "$IF_GEN" 198.18.0.2:7001 \
  --send-size 100 --recv 1000 -n 100000000 -c 20 -I 0.2
wait_run 15
expect_failed_run fault_client 'worker 1 \(.* queue 1\): injected fault after 300 ms'
expect_eq "fault_client: 2 workers" "$(json "$TMP/fault_client.json" .config.workers)" 2
expect_match "fault_client: it had run" "$(json "$TMP/fault_client.json" .counters.completed)" '^[1-9]'
(( $(echo "$RUN_SECS < 5" | bc) )) || fail "the failed worker ended the client run after $RUN_SECS s"
# The server runs until stopped: a failed worker must end it too.
fault_now
XDPGEN_FAULT=worker1-fail-after-ms=300 run_bg fault_server server -i "$IF_GEN" 198.18.0.1:8080 --recv-http -d 30
wait_run 15
expect_failed_run fault_server 'worker 1 \(.* queue 1\): injected fault after 300 ms'
(( $(echo "$RUN_SECS < 5" | bc) )) || fail "the failed worker ended the server run after $RUN_SECS s"

# 2. The interface set down (--on-link-down fail, the default): the run ends at once.
fresh_bed 1
run_bg down_fail client -i "$IF_GEN" 198.18.0.2:7001 --send-size 100 --recv 1000 -d 30 -c 20 -I 0.2
wait_running down_fail
fault_now
ip -n "${PREFIX}gen" link set "$IF_GEN" down
wait_run 5
expect_failed_run down_fail "the interface $IF_GEN went down during the run"
expect_match "down_fail: the hint" "$(cat "$TMP/down_fail.out")" "hint: .*ip link set dev $IF_GEN up.*--on-link-down wait"
expect_eq "down_fail: JSON link.down_periods" "$(json "$TMP/down_fail.json" .link.down_periods)" 1
expect_eq "down_fail: JSON link.state_at_end" "$(json "$TMP/down_fail.json" .link.state_at_end)" down
(( $(echo "$RUN_SECS < 3" | bc) )) || fail "link down ended the run after $RUN_SECS s"

# 3. A short down period with --on-link-down wait: no new connections while
# it lasts, and the run completes without failures once the link is back.
fresh_bed 1
run_bg flap client -i "$IF_GEN" 198.18.0.2:7001 --send-size 100 --recv 1000 -d 6 -c 20 -I 0.2 --on-link-down wait
wait_running flap
fault_now
ip -n "${PREFIX}gen" link set "$IF_GEN" down
wait_for_line "$TMP/flap.out" "^link: $IF_GEN went down at .*waiting up to 10 s" 5
sleep 1  # the outage itself
ip -n "${PREFIX}gen" link set "$IF_GEN" up
wait_for_line "$TMP/flap.out" "^link: $IF_GEN is up again" 5
wait_run 15
cat "$TMP/flap.out"
expect_eq "flap: exit status" "$RUN_RC" 0
expect_eq "flap: JSON result" "$(json "$TMP/flap.json" .result)" ok
expect_eq "flap: failed connections" "$(json "$TMP/flap.json" .counters.failed)" 0
expect_eq "flap: JSON link.down_periods" "$(json "$TMP/flap.json" .link.down_periods)" 1
expect_match "flap: down about 1 s" "$(json "$TMP/flap.json" .link.down_s)" '^(0\.9|1\.|2\.)'
expect_match "flap: connections completed after the link came back" \
  "$(json "$TMP/flap.json" '[.intervals[] | select(.t > 5) | .completed_per_s > 0] | any')" true
expect_match "flap: the summary names the down period" "$(cat "$TMP/flap.out")" "link: $IF_GEN was down 1 time"
expect_no_leftovers flap
# ... and one longer than the wait allows ends the run.
run_bg wait_over client -i "$IF_GEN" 198.18.0.2:7001 --send-size 100 --recv 1000 -d 30 -c 20 -I 0.2 \
  --on-link-down wait:1
wait_running wait_over
fault_now
ip -n "${PREFIX}gen" link set "$IF_GEN" down
wait_run 5
expect_failed_run wait_over "the interface $IF_GEN stayed down longer than the 1 s --on-link-down wait:1 allows"
(( $(echo "$RUN_SECS > 0.9 && $RUN_SECS < 3" | bc) )) || fail "wait:1 ended the run after $RUN_SECS s"

# 4. The server killed: refused (and reset) connections, the run stops at
# the first failure (--max-failures 0 of an -n run) and names the cause.
fresh_bed 1
run_bg killed client -i "$IF_GEN" 198.18.0.2:7001 --send-size 100 --recv 1000 -n 100000000 -c 20 -I 0.2
wait_running killed
fault_now
pkill -KILL -f "^$SERVER --listen 198.18.0.2:7001 " || true
wait_run 5
out=$(cat "$TMP/killed.out")
expect_eq "killed: exit status" "$RUN_RC" 1
expect_match "killed: the summary counts refused connections" "$out" 'summary: .* failed \([0-9,]+ refused'
expect_match "killed: the reason" "$out" 'FAILED: [0-9,]+ connections failed .*more than --max-failures 0'
expect_match "killed: the hint" "$out" 'hint: the server at 198.18.0.2:7001 refused connections after it had accepted'
expect_eq "killed: JSON result" "$(json "$TMP/killed.json" .result)" failed
expect_match "killed: JSON refused" "$(json "$TMP/killed.json" .counters.failed_by_cause.refused)" '^[1-9]'
expect_no_leftovers killed
(( $(echo "$RUN_SECS < 3" | bc) )) || fail "the killed server ended the run after $RUN_SECS s"

# 5. The veth deleted: the client and an xdpgen server on its other end
# both end with the sentence; nothing is left behind.
fresh_bed 1
xdpgen_server "$TMP/del_server.json" 198.18.0.2:8080 --recv-http
SERVER_PID=${BG_PIDS[-1]}
run_bg deleted client -i "$IF_GEN" 198.18.0.2:7001 --send-size 100 --recv 1000 -d 30 -c 20 -I 0.2
wait_running deleted
fault_now
ip -n "${PREFIX}gen" link del "$IF_GEN"
wait_run 5
expect_failed_run deleted "the interface $IF_GEN was deleted during the run"
expect_eq "deleted: JSON link.state_at_end" "$(json "$TMP/deleted.json" .link.state_at_end)" deleted
RUN_PID=$SERVER_PID wait_run 5  # from the same deletion
expect_eq "deleted: server exit status" "$RUN_RC" 1
expect_match "deleted: the server's message" "$(cat "$TMP/del_server.json.out")" "xdpgen: the interface $IF_PEER was deleted during the run"
expect_eq "deleted: the server's JSON result" "$(json "$TMP/del_server.json" .result)" failed
expect_no_leftovers deleted
