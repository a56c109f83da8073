#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Path MTU discovery through a router (tools/testbed --router 1280): the
# generator's link has MTU 1500, the peer's 1280, and every segment is sent
# with DF, so the router answers the first full-sized ones with ICMP
# "fragmentation needed" (IPv4) or "packet too big" (IPv6). Steering hands
# those to the engine, which lowers the flow's MSS and resends: 1 MiB
# uploads from the client (IPv4 and IPv6, checked by the kernel server) and
# a 1 MiB download from the server (checked by a kernel client) arrive whole.
# Without it they time out: the smaller path is a black hole.
# Usage: path_mtu.sh PATTERN_SERVER TCP_SINK
source "$(dirname "$0")/lib.sh"
SERVER=$1 SINK=$2
MIB=1048576

testbed_up --router 1280
wait_until 10 "the peer reachable through the router (IPv4)" gen ping -c1 -W1 198.18.1.2 >/dev/null
wait_until 10 "the peer reachable through the router (IPv6)" gen ping -6 -c1 -W1 fd00:19::2 >/dev/null

router_icmp() { # the router's "too big" errors sent so far, IPv4 and IPv6
  "$TESTBED" --prefix "$PREFIX" exec mid nstat -az IcmpOutDestUnreachs Icmp6OutPktTooBigs |
    awk '$1 ~ /^Icmp/ {n += $2} END {print n + 0}'
}

# 1. Uploads: the kernel server reads 1 MiB of the pattern per connection.
upload() { # upload NAME LISTEN TARGET
  local name=$1 listen=$2 target=$3
  bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$SERVER" --listen "$listen" --read "$MIB" --bytes 100 \
    >"$TMP/server-$name.out" 2>&1
  wait_for_line "$TMP/server-$name.out" '^ready' 10
  local before; before=$(router_icmp)
  gen timeout 60 "$XDPGEN" client -i "$IF_GEN" "$target" --send-size "$MIB" --recv 100 --verify -n 10 -c 5 \
    --connect-timeout 5 --timeout 30 --json "$TMP/$name.json" >"$TMP/$name.out" 2>&1 ||
    fail "$name: $(cat "$TMP/$name.out")"
  local sent=$(( $(router_icmp) - before ))
  pkill -TERM -f "^$SERVER --listen .*:${listen##*:} " || true  # by port: [v6] would be a regex class
  wait_for_line "$TMP/server-$name.out" '^accepted=' 10
  echo "$name: the router sent $sent too-big errors; $(json "$TMP/$name.json" '.counters | {rx_icmp, rx_icmp_mss_lowered, retransmitted_segments}' | tr -d '\n ')"
  expect_eq "$name: completed" "$(json "$TMP/$name.json" .counters.completed)" 10
  expect_eq "$name: bytes acknowledged" "$(json "$TMP/$name.json" .counters.tx_bytes)" $((10 * MIB))
  expect_match "$name: the kernel server got every byte right" "$(cat "$TMP/server-$name.out")" 'completed=10 verify_errors=0'
  expect_match "$name: the router sent too-big errors" "$sent" '^[1-9]'
  expect_eq "$name: each flow lowered its MSS once" "$(json "$TMP/$name.json" .counters.rx_icmp_mss_lowered)" 10
  expect_eq "$name: every error the router sent reached the engine" "$(json "$TMP/$name.json" .counters.rx_icmp)" "$sent"
}
upload v4 198.18.1.2:7001 198.18.1.2:7001
upload v6 "[fd00:19::2]:7002" "[fd00:19::2]:7002"

# 2. A download from the server by a kernel client.
bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" server -i "$IF_GEN" 198.18.0.1:7100 --send-size "$MIB" \
  --close --json "$TMP/srv.json" >"$TMP/srv.out" 2>&1
wait_for_line "$TMP/srv.out" '^server on' 10
peer timeout 60 "$SINK" --connect 198.18.0.1:7100 >"$TMP/sink.out" 2>&1 || fail "kernel client: $(cat "$TMP/sink.out")"
pkill -INT -f "^$XDPGEN server -i $IF_GEN " || true
wait_until 10 "the server's report" test -s "$TMP/srv.json"
cat "$TMP/sink.out"
expect_match "download: the kernel client got 1 MiB, every byte right" "$(cat "$TMP/sink.out")" \
  "eof=1 .*bytes=$MIB verify_errors=0"
expect_match "download: the server lowered the flow's MSS" "$(json "$TMP/srv.json" .counters.rx_icmp_mss_lowered)" '^[1-9]'
expect_eq "download: server completed" "$(json "$TMP/srv.json" .counters.completed)" 1

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
