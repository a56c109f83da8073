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

server() { # server JSON ARGS... (background)
  local json=$1; shift
  bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" server -i "$IF_PEER" --quiet --json "$json" "$@" \
    >"$json.out" 2>&1
  wait_for_line "$json.out" '^server on' 10
}
stop_server() { # stop_server JSON
  pkill -INT -f "^$XDPGEN server -i $IF_PEER " || true
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
  fail "server wrote no report: $(cat "$1.out")"
}
client() { # client JSON ARGS...
  local json=$1; shift
  gen timeout 200 "$XDPGEN" client -i "$IF_GEN" --quiet --json "$json" --peer-time-wait 1.5 "$@" >"$json.out" 2>&1 \
    || fail "client exited with $?: $(cat "$json.out")"
}

# 1. Handshake, 5-byte request, the server closes: 100,000 times.
server "$TMP/s1.json" 198.18.0.2:7000 --recv 5 --close
client "$TMP/c1.json" 198.18.0.2:7000 --send hello --recv-until-close -n 100000 -c 500
stop_server "$TMP/s1.json"
tail -2 "$TMP/c1.json.out"
expect_eq "7-packet exchange: completed" "$(json "$TMP/c1.json" .counters.completed)" 100000
expect_eq "7-packet exchange: failed" "$(json "$TMP/c1.json" .counters.failed)" 0
expect_eq "7-packet exchange: bytes the server got" "$(json "$TMP/s1.json" .counters.rx_bytes)" 500000
expect_eq "7-packet exchange: server completed" "$(json "$TMP/s1.json" .counters.completed)" 100000
expect_eq "7-packet exchange: server failed" "$(json "$TMP/s1.json" .counters.failed)" 0
echo "packets per connection: client $(( $(json "$TMP/c1.json" .counters.tx_packets) / 100000 )) out," \
  "server $(( $(json "$TMP/s1.json" .counters.tx_packets) / 100000 )) out"

# 2. HTTP-like keep-alive: 1,000 connections x 10 requests, 1,000-byte bodies.
server "$TMP/s2.json" 198.18.0.2:8080 --recv-http --http-body-size 1000
client "$TMP/c2.json" 198.18.0.2:8080 --http / --requests-per-connection 10 -n 1000 -c 100
stop_server "$TMP/s2.json"
expect_eq "keep-alive: completed" "$(json "$TMP/c2.json" .counters.completed)" 1000
expect_eq "keep-alive: failed" "$(json "$TMP/c2.json" .counters.failed)" 0
expect_match "keep-alive: bytes (10 responses of 1,000-byte bodies each)" \
  "$(json "$TMP/c2.json" '.counters.rx_bytes / 1000 / 10 | floor')" '^1[0-9]{3} $'
expect_eq "keep-alive: server saw every connection complete" "$(json "$TMP/s2.json" .counters.completed)" 1000

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
