#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `udp -n N` puts exactly N packets on the wire: the peer's kernel counters and
# `xdpgen sink` both see exactly N, with no loss and valid stamps.
# Usage: udp_exact_count.sh [4|6] [THREADS] [N] [VETH-QUEUES] [TX-PATH]
# TX-PATH auto (default) takes live frames where the kernel allows them, else
# AF_XDP (decided here by `xdpgen probe`); xsk forces AF_XDP on every kernel.
source "$(dirname "$0")/lib.sh"
family=${1:-4} threads=${2:-1} n=${3:-1000000} queues=${4:-1} tx_path=${5:-auto}
if [[ $family == 6 ]]; then dst=fd00:18::2; else dst=198.18.0.2; fi

testbed_up --queues "$queues"
settle
expected_path=$tx_path
[[ $tx_path == auto ]] && { [[ $(live_frames_supported) == true ]] && expected_path=live || expected_path=xsk; }
# The AF_XDP path runs one socket per TX queue: more threads than queues run as many as there are queues.
expected_threads=$threads
[[ $expected_path == xsk && $threads -gt $queues ]] && expected_threads=$queues
echo "tx path expected: $expected_path, $expected_threads thread(s)"
before=$(rx_packets)

bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink -p 9 -a "$dst" -n "$n" --duration 50 \
  --json "$TMP/sink.json" "$IF_PEER" >"$TMP/sink.out" 2>&1
wait_for_line "$TMP/sink.out" '^sink on' 10

gen timeout 60 "$XDPGEN" udp -a "$dst" -p 9 -n "$n" -t "$threads" --tx-path "$tx_path" --json "$TMP/udp.json" \
  "$IF_GEN" | tee "$TMP/udp.out"
wait "${BG_PIDS[0]}" || fail "sink exited with $?: $(cat "$TMP/sink.out")"
after=$(rx_packets)

expect_eq "udp: tx path" "$(json "$TMP/udp.json" .tx_path)" "$expected_path"
expect_eq "udp: threads" "$(json "$TMP/udp.json" .config.threads)" "$expected_threads"
if [[ $expected_threads != "$threads" ]]; then
  expect_match "udp: says it runs fewer threads" "$(cat "$TMP/udp.out")" "^note: .*$expected_threads thread.* instead of $threads"
fi
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
expect_eq "sink: streams (one per sending thread)" "$(json "$TMP/sink.json" .rx.streams)" "$expected_threads"
expect_eq "sink: result" "$(json "$TMP/sink.json" .result)" ok
