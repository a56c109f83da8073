#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Live frames: a veth whose peer has neither XDP nor GRO drops every frame
# XDP_REDIRECTed into it, while the redirect "succeeds". On the live path
# xdpgen must notice, count nothing as sent, say why, exit 1.
# AF_XDP has no such drop: its frames are skbs (copy mode), which the veth
# hands to the peer's kernel like any other, so the same peer gets every one.
# That is checked on every kernel with --tx-path xsk. The default path (auto)
# is checked for what it takes here: the live-path failure where the kernel
# allows live frames, full delivery through AF_XDP where it refuses them
# (then the premise of the silent drop does not exist on this machine).
# The AF_XDP path's own failure, a driver refusing every frame, is checked
# last, with the peer down.
source "$(dirname "$0")/lib.sh"

testbed_up
peer ethtool -K "$IF_PEER" gro off >/dev/null 2>&1 || true
settle
live=$(live_frames_supported)
echo "live frames on this kernel: $live"

run_udp() { # run_udp NAME ARGS... -> $TMP/NAME.{json,out,err}, exit status in rc
  local name=$1; shift
  set +e
  gen timeout 30 "$XDPGEN" udp -a 198.18.0.2 -n 100000 --json "$TMP/$name.json" "$@" "$IF_GEN" >"$TMP/$name.out" 2>"$TMP/$name.err"
  rc=$?
  set -e
  cat "$TMP/$name.out" "$TMP/$name.err"
}

# AF_XDP into the same peer (GRO off, no XDP): every frame arrives.
before=$(rx_packets)
run_udp xsk --tx-path xsk
expect_eq "xsk, peer without GRO: exit status" "$rc" 0
expect_eq "xsk, peer without GRO: tx path" "$(json "$TMP/xsk.json" .tx_path)" xsk
expect_eq "xsk, peer without GRO: packets sent" "$(json "$TMP/xsk.json" .tx.packets)" 100000
expect_eq "xsk, peer without GRO: driver drops" "$(json "$TMP/xsk.json" .tx.driver_dropped)" 0
expect_eq "xsk, peer without GRO: peer rx_packets delta" "$(( $(rx_packets) - before ))" 100000

before=$(rx_packets)
run_udp auto
if [[ $live == true ]]; then
  expect_eq "auto takes live frames" "$(json "$TMP/auto.json" .tx_path)" live
  expect_eq "exit status" "$rc" 1
  expect_eq "packets counted as sent" "$(json "$TMP/auto.json" .tx.packets)" 0
  expect_eq "result" "$(json "$TMP/auto.json" .result)" failed
  expect_match "error names the interface" "$(cat "$TMP/auto.err")" "driver of $IF_GEN dropped every frame"
  expect_match "hint says what to do" "$(cat "$TMP/auto.err")" "GRO|xdpgen sink"
  expect_eq "peer rx_packets delta" "$(( $(rx_packets) - before ))" 0

  # With GRO on the peer, the same frames arrive in the peer's kernel.
  peer ethtool -K "$IF_PEER" gro on >/dev/null
  before=$(rx_packets)
  run_udp live-gro --quiet --tx-path live
  expect_eq "with GRO: exit status" "$rc" 0
  expect_eq "with GRO: packets sent" "$(json "$TMP/live-gro.json" .tx.packets)" 100000
  expect_eq "with GRO: peer rx_packets delta" "$(( $(rx_packets) - before ))" 100000
else
  expect_eq "auto takes AF_XDP (live frames refused)" "$(json "$TMP/auto.json" .tx_path)" xsk
  expect_eq "auto: exit status" "$rc" 0
  expect_eq "auto: packets sent" "$(json "$TMP/auto.json" .tx.packets)" 100000
  expect_eq "auto: peer rx_packets delta" "$(( $(rx_packets) - before ))" 100000
fi

# What the AF_XDP path does have: a driver that refuses frames says so (in
# copy mode, each refused frame is an EBUSY of the kick). With the peer end
# down the veth has no carrier and drops every frame: nothing is counted as
# sent, the run stops with exit 1 and says why. (Last: the peer coming back
# up sends its own packets.)
peer ip link set "$IF_PEER" down
run_udp xsk-down --tx-path xsk
expect_eq "xsk, peer down: exit status" "$rc" 1
expect_eq "xsk, peer down: packets counted as sent" "$(json "$TMP/xsk-down.json" .tx.packets)" 0
expect_eq "xsk, peer down: result" "$(json "$TMP/xsk-down.json" .result)" failed
expect_match "xsk, peer down: error names the interface" "$(cat "$TMP/xsk-down.err")" "driver of $IF_GEN dropped every frame"
expect_match "xsk, peer down: hint says what to check" "$(cat "$TMP/xsk-down.err")" "carrier"
