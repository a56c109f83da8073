#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `--dyn-ports K` spreads the packets over exactly K destination ports, evenly.
source "$(dirname "$0")/lib.sh"
k=37 n=37000

testbed_up
settle
bg timeout 30 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink -n "$n" --duration 25 \
  --json "$TMP/sink.json" "$IF_PEER" >"$TMP/sink.out" 2>&1
wait_for_line "$TMP/sink.out" '^sink on' 10
gen timeout 30 "$XDPGEN" udp --quiet -a 198.18.0.2 -p 1000 --dyn-ports "$k" -n "$n" --json "$TMP/udp.json" "$IF_GEN"
wait "${BG_PIDS[0]}" || fail "sink exited with $?: $(cat "$TMP/sink.out")"

expect_eq "sink: packets" "$(json "$TMP/sink.json" .rx.packets)" "$n"
expect_eq "sink: distinct destination ports" "$(json "$TMP/sink.json" .rx.dst_ports)" "$k"
expect_eq "udp: dst_ports in config" "$(json "$TMP/udp.json" .config.dst_ports)" "$k"

# A sink filtering on the lowest and highest ports of the range only sees those two.
bg timeout 30 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink -p 1000-1000 --duration 25 --idle-timeout 1 \
  --json "$TMP/sink2.json" "$IF_PEER" >"$TMP/sink2.out" 2>&1
wait_for_line "$TMP/sink2.out" '^sink on' 10
gen timeout 30 "$XDPGEN" udp --quiet -a 198.18.0.2 -p 1000 --dyn-ports "$k" -n "$n" "$IF_GEN" >/dev/null
wait "${BG_PIDS[1]}" || fail "sink exited with $?: $(cat "$TMP/sink2.out")"
expect_eq "sink on port 1000 only: packets" "$(json "$TMP/sink2.json" .rx.packets)" "$((n / k))"
