#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client against xdpgen server, one in each namespace: the 7-packet
# exchange (handshake, a small request, the server closes after it) 100,000
# times with no failure; HTTP-like keep-alive.
# Usage: back_to_back.sh [QUEUES]
source "$(dirname "$0")/lib.sh"
QUEUES=${1:-1}

testbed_up --queues "$QUEUES"
settle

client() { # client JSON ARGS...
  local json=$1; shift
  gen timeout 200 "$XDPGEN" client -i "$IF_GEN" --quiet --json "$json" --peer-time-wait 1.5 "$@" >"$json.out" 2>&1 \
    || fail "client exited with $?: $(cat "$json.out")"
}

# 1. Handshake, 5-byte request, the server closes: 100,000 times.
xdpgen_server "$TMP/s1.json" 198.18.0.2:7000 --recv 5 --close
client "$TMP/c1.json" 198.18.0.2:7000 --send hello --recv-until-close -n 100000 -c 500
stop_xdpgen_server "$TMP/s1.json"
tail -2 "$TMP/c1.json.out"
expect_eq "7-packet exchange: completed" "$(json "$TMP/c1.json" .counters.completed)" 100000
expect_eq "7-packet exchange: failed" "$(json "$TMP/c1.json" .counters.failed)" 0
expect_eq "7-packet exchange: bytes the server got" "$(json "$TMP/s1.json" .counters.rx_bytes)" 500000
expect_eq "7-packet exchange: server completed" "$(json "$TMP/s1.json" .counters.completed)" 100000
expect_eq "7-packet exchange: server failed" "$(json "$TMP/s1.json" .counters.failed)" 0
# Six packets, not seven: the request rides on the handshake's ACK, and the
# client's FIN on the ACK of the server's (it has nothing left to do).
for side in c1 s1; do
  expect_eq "7-packet exchange: $side sends 3 packets per connection (retransmissions aside)" \
    "$(json "$TMP/$side.json" '.counters.tx_packets - .counters.retransmitted_segments')" 300000
done

# 2. HTTP-like keep-alive: 1,000 connections x 10 requests, 1,000-byte bodies.
xdpgen_server "$TMP/s2.json" 198.18.0.2:8080 --recv-http --http-body-size 1000
client "$TMP/c2.json" 198.18.0.2:8080 --http / --requests-per-connection 10 -n 1000 -c 100
stop_xdpgen_server "$TMP/s2.json"
expect_eq "keep-alive: completed" "$(json "$TMP/c2.json" .counters.completed)" 1000
expect_eq "keep-alive: failed" "$(json "$TMP/c2.json" .counters.failed)" 0
expect_match "keep-alive: bytes (10 responses of 1,000-byte bodies each)" \
  "$(json "$TMP/c2.json" '.counters.rx_bytes / 1000 / 10 | floor')" '^1[0-9]{3} $'
expect_eq "keep-alive: server saw every connection complete" "$(json "$TMP/s2.json" .counters.completed)" 1000

# 3. --hold 2: 400 connections open and idle together for 2 s, then the
# client closes; per-worker counters add up to the totals.
xdpgen_server "$TMP/s3.json" 198.18.0.2:7100 --recv 5 --per-worker
client "$TMP/c3.json" 198.18.0.2:7100 --send hello --hold 2 -n 400 -c 400 --per-worker
stop_xdpgen_server "$TMP/s3.json"
expect_eq "hold: completed" "$(json "$TMP/c3.json" .counters.completed)" 400
expect_eq "hold: failed" "$(json "$TMP/c3.json" .counters.failed)" 0
# (Histogram edges are 12.5% apart: min_ns is a bucket's lower edge.)
expect_eq "hold: the run lasted 2 s or more" "$(json "$TMP/c3.json" '.duration_s >= 2')" true
expect_eq "hold: no connection was shorter than its bucket below 2 s" \
  "$(json "$TMP/c3.json" '.latency.total.min_ns >= 1750000000')" true
expect_eq "hold: the server saw all 400 open at once" "$(json "$TMP/s3.json" '[.intervals[].open] | max')" 400
expect_eq "hold: server completed" "$(json "$TMP/s3.json" .counters.completed)" 400
for side in c3 s3; do
  expect_eq "$side: one per-worker entry per queue" "$(json "$TMP/$side.json" '.per_worker | length')" "$QUEUES"
  expect_eq "$side: per-worker completed add up" "$(json "$TMP/$side.json" '[.per_worker[].completed] | add')" 400
  expect_eq "$side: every worker had flows" "$(json "$TMP/$side.json" '[.per_worker[].started > 0] | all')" true
done
expect_match "client summary shows each worker" "$(cat "$TMP/c3.json.out")" "worker $((QUEUES - 1)) \(queue $((QUEUES - 1))\): [0-9,]+ started"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
