#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# More connections open at once than one address has local ports: four
# local addresses (--src-addr A-B) over a 100-port range, 300 connections
# held open together; and, on a 2-queue link, two workers whose flows' answers
# land on either queue (the kernel peer picks its queue by hash) and are
# handed to their owner.
# Usage: client_many.sh PATTERN_SERVER QUEUES
source "$(dirname "$0")/lib.sh"
SERVER=$1 QUEUES=${2:-1}

testbed_up --queues "$QUEUES"
for i in 10 11 12 13; do gen ip addr add "198.18.0.$i/24" dev "$IF_GEN"; done
settle

bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$SERVER" --listen 198.18.0.2:7003 --bytes 1000 --wait-close \
  >"$TMP/server.out" 2>&1
wait_for_line "$TMP/server.out" '^ready' 10

# Each connection receives 1000 bytes, then stays 1.5 s before closing: with
# 300 started at once, 300 are open together on 100 ports.
bg gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7003 --src-addr 198.18.0.10-198.18.0.13 \
  --src-port-range 20000-20099 --recv 1000 --verify --delay 1500 -n 300 -c 300 --quiet --json "$TMP/m.json" \
  >"$TMP/m.out" 2>&1
client=${BG_PIDS[-1]}
# All 300 hold their connection 1.5 s after their 1000 bytes: poll for them.
peer_open() { (( $(peer ss -Htn state established '( sport = :7003 )' | wc -l) >= 300 )); }
wait_until 10 "300 connections open at the peer" peer_open
open=$(peer ss -Htn state established '( sport = :7003 )' | wc -l)
addrs=$(peer ss -Htn state established '( sport = :7003 )' | awk '{print $4}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
wait "$client" || fail "client exited with $?: $(cat "$TMP/m.out")"
echo "open at the peer mid-run: $open, from: $addrs"
(( open > 100 )) || fail "only $open connections open at once, expected more than the 100 ports allow"
expect_eq "client addresses seen by the server" "$addrs" "198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 "
expect_eq "completed" "$(json "$TMP/m.json" .counters.completed)" 300
expect_eq "failed" "$(json "$TMP/m.json" .counters.failed)" 0
expect_eq "workers" "$(json "$TMP/m.json" .config.workers)" "$QUEUES"
if [[ $QUEUES -gt 1 ]]; then
  expect_match "frames handed between workers" "$(json "$TMP/m.json" .counters.rx_handed_off)" '^[1-9]'
  expect_eq "none of them dropped" "$(json "$TMP/m.json" .counters.handoff_dropped)" 0
fi
expect_eq "no segment for an unknown flow" "$(json "$TMP/m.json" .counters.rx_no_flow)" 0
# Nothing is lost on the path: a retransmission means a frame was not read
# (e.g. a worker done with its own flows that stopped serving its queue).
expect_eq "no retransmissions" "$(json "$TMP/m.json" .counters.retransmitted_segments)" 0
