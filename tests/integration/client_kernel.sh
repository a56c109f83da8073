#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client against the Linux kernel's TCP stack (tests/peers'
# pattern server): data both ways byte-exact, 1 MiB responses byte-exact
# under 5% random loss in both directions with no connection left open, a
# closed port (refused, the run ends at once) and a silent server (timeouts,
# the run ends on time).
# Usage: client_kernel.sh PATTERN_SERVER LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
SERVER=$1 LOSS=$2

testbed_up
settle

peer_open_conns() { peer ss -Htn state established "( sport = :$1 )" | wc -l; }

# 1. Request and response both ways, both sides checking the pattern.
serve 7001 --read 1000 --bytes 100000
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7001 --send-size 1000 --recv 100000 --verify \
  -n 500 -c 50 --quiet --json "$TMP/k1.json" >"$TMP/k1.out" 2>&1 || fail "client: $(cat "$TMP/k1.out")"
expect_eq "pattern exchange: completed" "$(json "$TMP/k1.json" .counters.completed)" 500
expect_eq "pattern exchange: bytes received" "$(json "$TMP/k1.json" .counters.rx_bytes)" 50000000
expect_eq "pattern exchange: bytes acknowledged" "$(json "$TMP/k1.json" .counters.tx_bytes)" 500000
res=$(server_result 7001)
expect_match "server: every connection complete, every byte right" "$res" 'accepted=500 completed=500 verify_errors=0'

# 2. 1 MiB responses under 5% loss on the peer, both directions.
serve 7002 --bytes 1048576 --wait-close
bg "$TESTBED" --prefix "$PREFIX" exec peer "$LOSS" "$IF_PEER" 50 --tcp-only >"$TMP/loss.out" 2>&1
wait_for_line "$TMP/loss.out" '^ready' 10
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7002 --recv 1048576 --verify -n 20 -c 10 --quiet \
  --json "$TMP/k2.json" >"$TMP/k2.out" 2>&1 || fail "client under loss: $(cat "$TMP/k2.out")"
# Our side of a 1 MiB download is ACKs but for 20 SYNs and 20 FINs, none of
# them lost 13% of the time: short exchanges (SYN, request, FIN: 900
# segments to lose) show our retransmissions.
serve 7004 --read 1000 --bytes 1000 --wait-close
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7004 --send-size 1000 --recv 1000 --verify -n 300 -c 100 \
  --quiet --json "$TMP/k2s.json" >"$TMP/k2s.out" 2>&1 || fail "short exchanges under loss: $(cat "$TMP/k2s.out")"
pkill -TERM -f "^$LOSS " || true
wait_for_line "$TMP/loss.out" '^seen_in=' 10
cat "$TMP/loss.out"
expect_eq "loss: completed" "$(json "$TMP/k2.json" .counters.completed)" 20
expect_eq "loss: failed" "$(json "$TMP/k2.json" .counters.failed)" 0
expect_eq "loss: bytes received" "$(json "$TMP/k2.json" .counters.rx_bytes)" $((20 * 1048576))
expect_match "loss: packets were dropped in" "$(cat "$TMP/loss.out")" 'dropped_in=[1-9]'
expect_match "loss: packets were dropped out" "$(cat "$TMP/loss.out")" 'dropped_out=[1-9]'
expect_eq "loss, short exchanges: completed" "$(json "$TMP/k2s.json" .counters.completed)" 300
expect_eq "loss, short exchanges: bytes received" "$(json "$TMP/k2s.json" .counters.rx_bytes)" 300000
expect_match "loss, short exchanges: our retransmissions" "$(json "$TMP/k2s.json" .counters.retransmitted_segments)" '^[1-9]'
expect_match "loss, short exchanges: the server saw every one complete" "$(server_result 7004)" 'completed=300 verify_errors=0'
# The last FIN/ACK exchanges on the peer side.
none_open() { (( $(peer_open_conns 7002) == 0 )); }
wait_until 5 "loss: no connection left open at the peer" none_open
expect_eq "loss: no connection left open at the peer" "$(peer_open_conns 7002)" 0
expect_eq "loss: none open at our end" "$(json "$TMP/k2.json" .counters.open_at_end)" 0
res=$(server_result 7002)
expect_match "loss: the server saw every connection complete" "$res" 'completed=20 '

# 3. A closed port: refused, and the run ends at once with exit 1.
set +e
start=$(date +%s%N)
gen timeout 30 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7999 -n 100000 -c 10 --quiet --json "$TMP/k3.json" \
  >"$TMP/k3.out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
set -e
expect_eq "refused: exit status" "$rc" 1
expect_match "refused: counted as refused" "$(json "$TMP/k3.json" .counters.failed_by_cause.refused)" '^[1-9]'
expect_eq "refused: nothing else" "$(json "$TMP/k3.json" '.counters.failed - .counters.failed_by_cause.refused')" 0
expect_match "refused: reason on the last line" "$(tail -n1 "$TMP/k3.out")" 'FAILED: .*refused'
(( ms < 3000 )) || fail "refused: the run took $ms ms, expected it to end at once"
echo "ok: refused run ended in $ms ms"

# 4. A server that never answers: every connection times out on time (the
# SYN is sent again after the initial RTO of 1 s).
bg "$TESTBED" --prefix "$PREFIX" exec peer "$LOSS" "$IF_PEER" 1000 --ingress --tcp-only >"$TMP/loss2.out" 2>&1
wait_for_line "$TMP/loss2.out" '^ready' 10
set +e
start=$(date +%s%N)
gen timeout 30 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7001 -n 20 -c 20 --connect-timeout 2 --max-failures 100 \
  --quiet --json "$TMP/k4.json" >"$TMP/k4.out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
set -e
expect_eq "silent server: exit status (20 of 20 failed but under --max-failures, none completed)" "$rc" 0
expect_eq "silent server: timeouts" "$(json "$TMP/k4.json" .counters.failed_by_cause.timeout)" 20
expect_match "silent server: SYNs retransmitted" "$(json "$TMP/k4.json" .counters.retransmitted_segments)" '^[1-9]'
(( ms >= 1900 && ms < 5000 )) || fail "silent server: the run took $ms ms, expected about 2 s"
echo "ok: silent-server run ended in $ms ms"
pkill -TERM -f "^$LOSS " || true
wait_for_line "$TMP/loss2.out" '^seen_in=' 10

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
