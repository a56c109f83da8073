#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Segments larger than the usual MTU, every byte checked by a kernel peer:
#  1. MTU 3000, native XDP, --mss 2960: 4096-byte UMEM frames; the client
#     uploads and downloads (--verify) 1 MiB, the server answers a kernel
#     client with 1 MiB (main used to send nothing and time out in silence);
#  2. MTU 9000: native XDP cannot attach on veth: one sentence and the hint;
#  3. MTU 9000, skb mode, --mss 8960: lowered to what one frame holds, with a
#     note, and the same uploads byte-exact.
# Usage: jumbo.sh PATTERN_SERVER TCP_SINK
source "$(dirname "$0")/lib.sh"
SERVER=$1 SERVE_SECONDS=60 SINK=$2
MIB=1048576

testbed_up
mtu() { gen ip link set "$IF_GEN" mtu "$1"; peer ip link set "$IF_PEER" mtu "$1"; }
client() { # client NAME ARGS...
  local name=$1; shift
  gen timeout 60 "$XDPGEN" client -i "$IF_GEN" --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 ||
    fail "$name: $(cat "$TMP/$name.out")"
  expect_eq "$name: completed" "$(json "$TMP/$name.json" .counters.completed)" 1
  expect_eq "$name: no segment too big for its frame" "$(json "$TMP/$name.json" .counters.tx_oversize)" 0
}
server_to_kernel() { # server_to_kernel NAME PORT ARGS... (1 MiB answered to a kernel client)
  local name=$1 port=$2; shift 2
  xdpgen_server "$TMP/$name.json" "198.18.0.2:$port" --send-size $MIB --close "$@"
  bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec gen "$SINK" --connect "198.18.0.2:$port" >"$TMP/$name.sink" 2>&1
  wait_for_line "$TMP/$name.sink" '^conns=' 30
  expect_match "$name: the kernel client got every byte right" "$(grep '^conns=' "$TMP/$name.sink")" \
    "^conns=1 eof=1 resets=0 open=0 bytes=$MIB verify_errors=0 "
  stop_xdpgen_server "$TMP/$name.json"
  expect_eq "$name: completed" "$(json "$TMP/$name.json" .counters.completed)" 1
}

# 1. MTU 3000, native.
mtu 3000
settle
serve 7301 --read $MIB --bytes 0
client up3000 198.18.0.2:7301 --mss 2960 --send-size $MIB -n 1 --timeout 20
expect_match "up3000: the kernel got every byte right" "$(server_result 7301)" "completed=1 verify_errors=0 bytes_in=$MIB "
serve 7302 --bytes $MIB --wait-close
client down3000 198.18.0.2:7302 --mss 2960 --recv $MIB --verify -n 1 --timeout 20
expect_eq "down3000: bytes received" "$(json "$TMP/down3000.json" .counters.rx_bytes)" $MIB
server_to_kernel srv3000 7303 --mss 2960

# 2. MTU 9000: native XDP refuses it on veth.
mtu 9000
set +e
gen timeout 30 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7301 -n 1 >"$TMP/native9000.out" 2>&1
rc=$?
set -e
expect_eq "native at MTU 9000: exit status" "$rc" 2
expect_match "native at MTU 9000: what and what to do" "$(cat "$TMP/native9000.out")" \
  'MTU is too large for native XDP.*--xdp-mode skb'

# 3. MTU 9000, skb mode: the MSS is lowered to what a frame holds.
serve 7304 --read $MIB --bytes 0
client up9000 198.18.0.2:7304 --xdp-mode skb --mss 8960 --send-size $MIB -n 1 --timeout 20
expect_match "up9000: says the MSS was lowered" "$(cat "$TMP/up9000.out")" 'note: --mss 8960 lowered to 3786'
expect_match "up9000: the kernel got every byte right" "$(server_result 7304)" "completed=1 verify_errors=0 bytes_in=$MIB "
server_to_kernel srv9000 7305 --xdp-mode skb --mss 8960
expect_match "srv9000: says the MSS was lowered" "$(cat "$TMP/srv9000.json.out")" 'note: --mss 8960 lowered to 3786'

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
