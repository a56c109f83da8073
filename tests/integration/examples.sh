#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The scripts of examples/ run as a user runs them, against real peers:
# ci-smoke.sh, slow-network.sh and find-max.sh against nginx, udp-pair.sh between the two
# namespaces, tcp-bulk.sh into its own kernel receiver. Each must exit 0
# and print its PASS or result lines; ci-smoke.sh and tcp-bulk.sh must also
# exit 1 when a threshold is impossible, and ci-smoke.sh when the server
# refuses connections.
source "$(dirname "$0")/lib.sh"
EX=$ROOT/examples
export XDPGEN  # the examples find xdpgen as ${XDPGEN:-xdpgen}
URL=http://198.18.0.2/
on_fail() { [[ ! -f $TMP/recv.out ]] || { echo "tcp-bulk.sh --receive said:"; cat "$TMP/recv.out"; }; }

testbed_up
settle
nginx_start
base=$(nginx_requests)
logged() { (( $(nginx_requests) - base >= $1 )); }

# ci-smoke.sh: 2,000 GETs, four checks passed.
gen timeout 60 "$EX/ci-smoke.sh" "$IF_GEN" "$URL" 1000 200 >"$TMP/smoke.out" 2>&1 ||
  fail "ci-smoke.sh exited with $?: $(cat "$TMP/smoke.out")"
cat "$TMP/smoke.out"
out=$(cat "$TMP/smoke.out")
expect_match "ci-smoke: xdpgen's own gate" "$out" 'xdpgen exit status: 0 '
expect_match "ci-smoke: result" "$out" 'PASS result == "ok" \(ok\)'
expect_match "ci-smoke: failures" "$out" 'PASS failed == 0 \(0 failed of 2000\)'
expect_match "ci-smoke: rate" "$out" 'PASS connections_per_s >= 1000 \([0-9]+ conn/s\)'
expect_match "ci-smoke: p99" "$out" 'PASS total p99 <= 200 ms \([0-9.]+ ms\)'
expect_eq "ci-smoke: no FAIL line" "$(grep -c '^FAIL' "$TMP/smoke.out" || true)" 0
wait_until 5 "nginx logs 2000 requests" logged 2000
expect_eq "ci-smoke: requests in nginx's log" "$(( $(nginx_requests) - base ))" 2000

# An impossible threshold fails the gate: exit 1, the rate check FAIL.
set +e
gen timeout 60 "$EX/ci-smoke.sh" "$IF_GEN" "$URL" 1e9 >"$TMP/smoke_bad.out" 2>&1
rc=$?
set -e
cat "$TMP/smoke_bad.out"
expect_eq "ci-smoke 1e9 conn/s: exit status" "$rc" 1
out=$(cat "$TMP/smoke_bad.out")
expect_match "ci-smoke 1e9 conn/s: xdpgen's --min-cps failed the run" "$out" 'xdpgen exit status: 1 '
expect_match "ci-smoke 1e9 conn/s: the rate check" "$out" 'FAIL connections_per_s >= 1e9 \([0-9]+ conn/s\)'
expect_match "ci-smoke 1e9 conn/s: the others still pass" "$out" 'PASS failed == 0 .* PASS total p99 <= 50 ms'

# A port nobody listens on: refused connections fail it too.
set +e
gen timeout 60 "$EX/ci-smoke.sh" "$IF_GEN" http://198.18.0.2:81/ >"$TMP/smoke_refused.out" 2>&1
rc=$?
set -e
expect_eq "ci-smoke refused: exit status" "$rc" 1
expect_match "ci-smoke refused: the failure check" "$(cat "$TMP/smoke_refused.out")" 'FAIL failed == 0 \([1-9][0-9]* failed of'

# slow-network.sh: 1,000 GETs 40 ms away with 2% loss, every one completed
# (nginx's log exact), the losses and the slowest connections from the records.
base=$(nginx_requests)
gen timeout 120 env RECORDS="$TMP/slow.csv" "$EX/slow-network.sh" "$IF_GEN" "$URL" >"$TMP/slow.out" 2>&1 ||
  fail "slow-network.sh exited with $?: $(cat "$TMP/slow.out")"
cat "$TMP/slow.out"
out=$(cat "$TMP/slow.out")
expect_match "slow-network: all completed" "$out" '1000 of 1000 connections completed; [1-9][0-9]* of their segments lost'
expect_match "slow-network: the verdict" "$out" 'PASS every connection completed'
expect_eq "slow-network: five slowest listed" "$(grep -c '^  port ' "$TMP/slow.out")" 5
expect_eq "slow-network: the records kept" "$(tail -n +2 "$TMP/slow.csv" | wc -l)" 1000
wait_until 10 "nginx logs 1000 requests" logged 1000
expect_eq "slow-network: nginx's log" "$(( $(nginx_requests) - base ))" 1000

# find-max.sh against nginx limited to 2000 req/s (503 past it): from 1500/s
# in 1 s steps the search ends within about ten seconds, below 2200/s.
nginx_stop
nginx_start --limit-rps 2000
# The SLO names no errors: the script adds errors=0, so nginx's 503s break it.
gen timeout 90 env START=1500 STEP_DURATION=1 REPORT="$TMP/fm.json" "$EX/find-max.sh" "$IF_GEN" "$URL" \
  'p99<500ms' "$TMP/fm.png" >"$TMP/fm.out" 2>&1 || fail "find-max.sh exited with $?: $(cat "$TMP/fm.out")"
cat "$TMP/fm.out"
out=$(cat "$TMP/fm.out")
expect_match "find-max: the result" "$out" 'found max: [0-9.]+ req/s met p99<500ms,errors=0,rate>=0.95'
expect_match "find-max: what broke it" "$out" 'first bad: [0-9.]+ req/s: [0-9]+ failed \(errors=0\)'
expect_match "find-max: the plot" "$out" "plot: $TMP/fm.png"
expect_eq "find-max: the plot is a PNG" "$(head -c 8 "$TMP/fm.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
max=$(json "$TMP/fm.json" .find_max.max_ok)
awk -v m="$max" 'BEGIN { exit !(m >= 1500 && m <= 2200) }' || fail "find-max: $max req/s, nginx's limit is 2000"
echo "ok: find-max: $max req/s, near nginx's 2000"
nginx_stop

# udp-pair.sh: the sink in the peer namespace, the sender in the generator's;
# IPv4 and IPv6. The sink must be gone afterwards, its XDP program with it.
export GEN_NS_CMD="$TESTBED --prefix $PREFIX exec gen" SINK_NS_CMD="$TESTBED --prefix $PREFIX exec peer"
for dst in 198.18.0.2 fd00:18::2; do
  timeout 60 "$EX/udp-pair.sh" "$IF_GEN" "$IF_PEER" "$dst" 100000 >"$TMP/udp.out" 2>&1 ||
    fail "udp-pair.sh to $dst exited with $?: $(cat "$TMP/udp.out")"
  cat "$TMP/udp.out"
  out=$(cat "$TMP/udp.out")
  expect_match "udp-pair $dst: the count" "$out" 'sent 100000 packets \((live|xsk) path\), sink received 100000; lost 0'
  expect_match "udp-pair $dst: the verdict" "$out" 'PASS the sink received all 100000 packets'
  expect_eq "udp-pair $dst: no sink left" "$(pgrep -fc "^$XDPGEN sink .* $IF_PEER\$" || true)" 0
  expect_eq "udp-pair $dst: no XDP left on the sink's side" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
done
unset GEN_NS_CMD SINK_NS_CMD

# tcp-bulk.sh: its receiver in the peer namespace (it execs python3: its pid
# is bg's), 4 streams for 2 s; the receiver's byte counts add up to what
# xdpgen saw acknowledged. GRO on the receiving veth, as the script says:
# where this kernel runs live frames, a veth drops redirected ones without.
peer ethtool -K "$IF_PEER" gro on >/dev/null
bg "$TESTBED" --prefix "$PREFIX" exec peer "$EX/tcp-bulk.sh" --receive >"$TMP/recv.out" 2>&1
receiver=${BG_PIDS[-1]}
wait_for_line "$TMP/recv.out" '^listening on port 5201' 10
gen timeout 60 env REPORT="$TMP/tcp.json" "$EX/tcp-bulk.sh" "$IF_GEN" 198.18.0.2 2 >"$TMP/tcp.out" 2>&1 ||
  fail "tcp-bulk.sh exited with $?: $(cat "$TMP/tcp.out")"
cat "$TMP/tcp.out"
out=$(cat "$TMP/tcp.out")
expect_match "tcp-bulk: goodput" "$out" 'goodput: [0-9.]+ Gbit/s over 4 flows \([0-9]+ B acknowledged'
expect_match "tcp-bulk: the verdict" "$out" 'PASS all 4 streams completed'
streams() { (( $(grep -c '^stream from' "$TMP/recv.out") >= 4 )); }
wait_until 15 "the receiver reads 4 streams to their end" streams
cat "$TMP/recv.out"
expect_eq "tcp-bulk: bytes read by the receiver = acknowledged" \
  "$(awk '/^stream from/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^bytes/) s += $i } END { print s + 0 }' \
    "$TMP/recv.out")" "$(json "$TMP/tcp.json" .acked_bytes)"
expect_eq "tcp-bulk: streams the receiver saw reset" "$(grep -c ', then ' "$TMP/recv.out" || true)" 0

# An impossible goodput fails it: exit 1 and xdpgen's reason.
set +e
gen timeout 60 env MIN_GBPS=100000 "$EX/tcp-bulk.sh" "$IF_GEN" 198.18.0.2 1 >"$TMP/tcp_bad.out" 2>&1
rc=$?
set -e
cat "$TMP/tcp_bad.out"
expect_eq "tcp-bulk 100 Tbit/s: exit status" "$rc" 1
expect_match "tcp-bulk 100 Tbit/s: the reason" "$(cat "$TMP/tcp_bad.out")" '(^| )FAIL goodput .* is below --min-goodput'
kill -TERM "$receiver" 2>/dev/null || true

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
