#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `udp -n N` puts exactly N packets on the wire: the peer's kernel counters and
# `xdpgen sink` both see exactly N, with no loss and valid stamps.
# Usage: udp_exact_count.sh [4|6] [THREADS] [N] [VETH-QUEUES]
source "$(dirname "$0")/lib.sh"
family=${1:-4} threads=${2:-1} n=${3:-1000000} queues=${4:-1}
if [[ $family == 6 ]]; then dst=fd00:18::2; else dst=198.18.0.2; fi

testbed_up --queues "$queues"
settle
before=$(rx_packets)

bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink -p 9 -a "$dst" -n "$n" --duration 50 \
  --json "$TMP/sink.json" "$IF_PEER" >"$TMP/sink.out" 2>&1
wait_for_line "$TMP/sink.out" '^sink on' 10

gen timeout 60 "$XDPGEN" udp -a "$dst" -p 9 -n "$n" -t "$threads" --json "$TMP/udp.json" "$IF_GEN"
wait "${BG_PIDS[0]}" || fail "sink exited with $?: $(cat "$TMP/sink.out")"
after=$(rx_packets)

expect_eq "udp: packets the driver accepted" "$(json "$TMP/udp.json" .tx.packets)" "$n"
drops=$(json "$TMP/udp.json" .tx.driver_dropped)
echo "driver drops (sent again): $drops"
expect_eq "udp: result" "$(json "$TMP/udp.json" .result)" ok
expect_eq "peer kernel counter rx_packets delta" "$((after - before))" "$n"
expect_eq "sink: packets" "$(json "$TMP/sink.json" .rx.packets)" "$n"
expect_eq "sink: stamped" "$(json "$TMP/sink.json" .rx.stamped)" "$n"
# Frames the sender's driver refused never arrive: the sink sees exactly those as sequence gaps.
expect_eq "sink: lost = sender's driver drops" "$(json "$TMP/sink.json" .rx.lost)" "$drops"
expect_eq "sink: reordered" "$(json "$TMP/sink.json" .rx.reordered)" 0
expect_eq "sink: latency samples" "$(json "$TMP/sink.json" .latency.samples)" "$n"
expect_eq "sink: result" "$(json "$TMP/sink.json" .result)" ok
