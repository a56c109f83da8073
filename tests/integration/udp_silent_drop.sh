#!/usr/bin/env bash
# A veth whose peer has neither XDP nor GRO drops every redirected frame while
# the send "succeeds". xdpgen must notice, count nothing as sent, say why, exit 1.
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
source "$(dirname "$0")/lib.sh"

testbed_up
peer ethtool -K "$IF_PEER" gro off >/dev/null 2>&1 || true
settle
set +e
gen timeout 30 "$XDPGEN" udp -a 198.18.0.2 -n 100000 --json "$TMP/udp.json" "$IF_GEN" >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
cat "$TMP/out" "$TMP/err"
expect_eq "exit status" "$rc" 1
expect_eq "packets counted as sent" "$(json "$TMP/udp.json" .tx.packets)" 0
expect_eq "result" "$(json "$TMP/udp.json" .result)" failed
expect_match "error names the interface" "$(cat "$TMP/err")" "driver of $IF_GEN dropped every frame"
expect_match "hint says what to do" "$(cat "$TMP/err")" "GRO|xdpgen sink"

# With GRO on the peer, the same frames arrive in the peer's kernel.
peer ethtool -K "$IF_PEER" gro on >/dev/null
before=$(rx_packets)
gen timeout 30 "$XDPGEN" udp -q -a 198.18.0.2 -n 100000 --json "$TMP/udp2.json" "$IF_GEN" >/dev/null
expect_eq "with GRO: packets sent" "$(json "$TMP/udp2.json" .tx.packets)" 100000
expect_eq "with GRO: peer rx_packets delta" "$(( $(rx_packets) - before ))" 100000
