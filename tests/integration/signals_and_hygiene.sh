#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Host hygiene: after SIGKILL nothing stays attached or pinned; SIGINT and
# SIGTERM end a run cleanly with its summary and JSON.
source "$(dirname "$0")/lib.sh"

testbed_up
settle

# SIGKILL of a sink: its XDP program is a bpf_link of the process, gone with it.
bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink --duration 50 "$IF_PEER" >"$TMP/sink.out" 2>&1
wait_for_line "$TMP/sink.out" '^sink on' 10
expect_match "sink attached XDP" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" 'xdp'
pid=$(ip netns pids "${PREFIX}peer" | head -1)
bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp --quiet -a 198.18.0.2 --rate 100000 --duration 50 "$IF_GEN" >"$TMP/udp.out" 2>&1
wait_for_line "$TMP/udp.out" '^udp ' 10
# Killed while sending: once the peer counts the stream's packets.
base_rx=$(rx_packets)
sending() { (( $(rx_packets) > base_rx + 1000 )); }
wait_until 10 "the udp stream reaches the peer" sending
for ns in "${PREFIX}peer" "${PREFIX}gen"; do ip netns pids "$ns" | xargs -r kill -9; done
detached() { [[ -z $(xdp_attached "${PREFIX}peer" "$IF_PEER")$(xdp_attached "${PREFIX}gen" "$IF_GEN") ]]; }
wait_until 5 "the XDP programs go with the killed processes" detached
expect_eq "XDP on $IF_PEER after SIGKILL" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
expect_eq "XDP on $IF_GEN after SIGKILL" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "xdpgen processes left in the namespaces" "$(ip netns pids "${PREFIX}peer"; ip netns pids "${PREFIX}gen")" ""
# A fresh bpffs holds only the kernel's own iterators (maps.debug, progs.debug).
pinned=$(ip netns exec "${PREFIX}peer" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; ls /sys/fs/bpf' | grep -v '\.debug$' || true)
expect_eq "objects pinned in bpffs" "$pinned" ""
expect_eq "sink programs still loaded" "$(bpftool prog show name xg_udp_sink 2>/dev/null | grep -c xg_udp_sink || true)" 0

# SIGINT and SIGTERM: clean end, summary printed, JSON written, exit 0.
for sig in INT TERM; do
  bg "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink --duration 50 --json "$TMP/sink-$sig.json" "$IF_PEER" >"$TMP/sink-$sig.out" 2>&1
  spid=${BG_PIDS[-1]}
  wait_for_line "$TMP/sink-$sig.out" '^sink on' 10
  gen timeout 20 "$XDPGEN" udp --quiet -a 198.18.0.2 -n 5000 "$IF_GEN" >/dev/null
  kill -s "$sig" "$(ip netns pids "${PREFIX}peer" | head -1)"
  set +e; wait "$spid"; rc=$?; set -e
  expect_eq "sink exit status after SIG$sig" "$rc" 0
  expect_match "sink summary after SIG$sig" "$(cat "$TMP/sink-$sig.out")" 'summary: 5,000 packets'
  expect_eq "sink JSON after SIG$sig: interrupted" "$(json "$TMP/sink-$sig.json" .interrupted)" true
  expect_eq "XDP on $IF_PEER after SIG$sig" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
done
