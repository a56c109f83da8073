#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `xdpgen udp --tx-path`: which way the packets leave, decided as `xdpgen
# probe` finds by a real live-frames run on this kernel.
# - live, where the kernel refuses live frames: one clear error (and its
#   hint), exit 2, nothing sent, no report; where it allows them: a normal run.
# - auto: live frames where they work, silently; else AF_XDP, said in exactly
#   one note line with the reason, every packet delivered.
# - xsk with more threads than TX queues: runs one thread per queue and says so.
source "$(dirname "$0")/lib.sh"

testbed_up
peer ethtool -K "$IF_PEER" gro on >/dev/null  # redirected live frames reach the peer's kernel
settle
live=$(live_frames_supported)
echo "live frames on this kernel: $live"

run_udp() { # run_udp NAME ARGS... -> $TMP/NAME.{json,out,err}, exit status in rc, peer rx delta in delta
  local name=$1; shift
  local before
  before=$(rx_packets)
  set +e
  gen timeout 30 "$XDPGEN" udp -a 198.18.0.2 -n 1000 --json "$TMP/$name.json" "$@" "$IF_GEN" >"$TMP/$name.out" 2>"$TMP/$name.err"
  rc=$?
  set -e
  delta=$(( $(rx_packets) - before ))
  cat "$TMP/$name.out" "$TMP/$name.err"
}

run_udp live --tx-path live
if [[ $live == true ]]; then
  expect_eq "live: exit status" "$rc" 0
  expect_eq "live: tx path" "$(json "$TMP/live.json" .tx_path)" live
  expect_eq "live: packets sent" "$(json "$TMP/live.json" .tx.packets)" 1000
  expect_eq "live: peer rx_packets delta" "$delta" 1000
else
  expect_eq "live refused: exit status" "$rc" 2
  expect_eq "live refused: lines on stdout" "$(wc -l <"$TMP/live.out")" 0
  expect_match "live refused: the error says why" "$(head -1 "$TMP/live.err")" \
    "^xdpgen: on $IF_GEN: the kernel refused a live-frames run, BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: "
  expect_match "live refused: the hint names the other path" "$(sed -n 2p "$TMP/live.err")" "^  hint: .*--tx-path xsk"
  expect_eq "live refused: lines on stderr (error, hint)" "$(wc -l <"$TMP/live.err")" 2
  expect_eq "live refused: peer rx_packets delta" "$delta" 0
  expect_eq "live refused: no report written" "$([[ -e $TMP/live.json ]] && echo yes || echo no)" no
fi

run_udp auto
expect_eq "auto: exit status" "$rc" 0
expect_eq "auto: packets sent" "$(json "$TMP/auto.json" .tx.packets)" 1000
expect_eq "auto: peer rx_packets delta" "$delta" 1000
expect_eq "auto: tx_path_requested" "$(json "$TMP/auto.json" .config.tx_path_requested)" auto
if [[ $live == true ]]; then
  expect_eq "auto: tx path" "$(json "$TMP/auto.json" .tx_path)" live
  expect_eq "auto: note lines" "$(grep -c '^note:' "$TMP/auto.out" || true)" 0
else
  expect_eq "auto: tx path" "$(json "$TMP/auto.json" .tx_path)" xsk
  expect_eq "auto: note lines" "$(grep -c '^note:' "$TMP/auto.out" || true)" 1
  expect_match "auto: the note gives the reason and the path taken" "$(grep '^note:' "$TMP/auto.out")" \
    "^note: live frames are not available here \(the kernel refused a live-frames run, .*\); sending through AF_XDP"
fi

# One TX queue, two threads asked: one AF_XDP socket, one thread, said in a note.
run_udp xsk2 --tx-path xsk -t 2
expect_eq "xsk -t 2 on 1 queue: exit status" "$rc" 0
expect_eq "xsk -t 2 on 1 queue: tx path" "$(json "$TMP/xsk2.json" .tx_path)" xsk
expect_eq "xsk -t 2 on 1 queue: threads" "$(json "$TMP/xsk2.json" .config.threads)" 1
expect_eq "xsk -t 2 on 1 queue: threads requested" "$(json "$TMP/xsk2.json" .config.threads_requested)" 2
expect_match "xsk -t 2 on 1 queue: says so" "$(cat "$TMP/xsk2.out")" "^note: .*one socket per TX queue and $IF_GEN has 1: 1 thread instead of 2"
expect_eq "xsk -t 2 on 1 queue: packets sent" "$(json "$TMP/xsk2.json" .tx.packets)" 1000
expect_eq "xsk -t 2 on 1 queue: peer rx_packets delta" "$delta" 1000

# --rate: reached at 100 kpps (the peer counts every packet), and a rate no
# sender reaches is said with what limits it.
before=$(rx_packets)
gen timeout 30 "$XDPGEN" udp -a 198.18.0.2 --tx-path xsk -n 200000 --rate 100000 --json "$TMP/r100k.json" "$IF_GEN" \
  >"$TMP/r100k.out" 2>&1 || fail "--rate 100000: $(cat "$TMP/r100k.out")"
expect_eq "--rate 100k: the peer got every packet" "$(( $(rx_packets) - before ))" 200000
expect_eq "--rate 100k: reached" "$(json "$TMP/r100k.json" .rate.reached)" true
expect_eq "--rate 100k: within 1%" "$(json "$TMP/r100k.json" '.rate.reached_pps / .rate.asked_pps | . > 0.99 and . < 1.01')" true
expect_eq "--rate 100k: no rate line" "$(grep -c '^rate:' "$TMP/r100k.out" || true)" 0
gen timeout 30 "$XDPGEN" udp -a 198.18.0.2 --tx-path xsk --duration 2 --rate 1e9 --json "$TMP/r1g.json" "$IF_GEN" \
  >"$TMP/r1g.out" 2>&1 || fail "--rate 1e9: $(cat "$TMP/r1g.out")"
cat "$TMP/r1g.out"
expect_eq "--rate 1 Gpps: not reached" "$(json "$TMP/r1g.json" .rate.reached)" false
expect_match "--rate 1 Gpps: the summary says by how much and why" "$(grep '^rate:' "$TMP/r1g.out")" \
  '^rate: asked 1\.00 Gpps, reached .* \([0-9.]+%\): limited by the sender: 1 thread at full speed'
expect_match "--rate 1 Gpps: the live lines say so" "$(grep -c 'below --rate' "$TMP/r1g.out")" '^[12]'
expect_match "--rate 1 Gpps: the JSON names the limit" "$(json "$TMP/r1g.json" .rate.limit)" '^the sender'
