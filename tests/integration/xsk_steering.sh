#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Steering to AF_XDP (copy mode, veth): the generator's UDP ports reach its
# sockets, exactly K of them, on every queue; ping to the same address still
# reaches the kernel and is answered; the probe echoes every datagram back
# through the AF_XDP TX ring and the peer gets all K replies; nothing stays
# attached afterwards.
# Usage: xsk_steering.sh XSK_RX_PROBE [VETH-QUEUES] [K]
source "$(dirname "$0")/lib.sh"
probe=${1:?path of xsk_rx_probe} queues=${2:-1} k=${3:-500}
[[ -x $probe ]] || fail "no xsk_rx_probe at $probe: build first"

testbed_up --queues "$queues"
settle

# veth has no zero-copy: "on" fails with the fix named, "auto" falls back.
if gen timeout 10 "$probe" "$IF_GEN" 198.18.0.1 40000 40099 0 on >"$TMP/zc.out" 2>&1; then
  fail "zero-copy on veth did not fail: $(cat "$TMP/zc.out")"
fi
expect_match "zero-copy on: error" "$(cat "$TMP/zc.out")" "$IF_GEN queue 0: cannot bind an AF_XDP socket in zero-copy mode.*use --zero-copy off/auto"
gen timeout 10 "$probe" "$IF_GEN" 198.18.0.1 40000 40099 0 auto >"$TMP/auto.out" 2>&1 || fail "auto: $(cat "$TMP/auto.out")"
expect_match "zero-copy auto: copy mode" "$(cat "$TMP/auto.out")" "^ready queues=$queues zero_copy=0"
expect_eq "XDP attached after the short runs" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""

bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec gen "$probe" "$IF_GEN" 198.18.0.1 40000 40099 45 off echo \
  >"$TMP/probe.out" 2>&1
probe_pid=${BG_PIDS[0]}
wait_for_line "$TMP/probe.out" '^ready' 10
expect_eq "XDP attached while the probe runs" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" xdp

# Ping runs alongside the datagrams: ICMP to the same address goes to the kernel.
peer ping -c 5 -i 0.2 -W 2 198.18.0.1 >"$TMP/ping.out" 2>&1 &
ping_pid=$!
BG_PIDS+=("$ping_pid")
# K datagrams over the whole port range, from many source ports so that with
# several queues they spread over them; paced so the veth ring never fills.
peer python3 - "$k" >"$TMP/replies.out" <<'PY'
import select, socket, sys, time
k = int(sys.argv[1])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
for i in range(k):
    socks[i % 16].sendto(b"xdpgen-steer-%d" % i, ("198.18.0.1", 40000 + i % 100))
    if i % 32 == 31:
        time.sleep(0.002)
# The echoes come back from 198.18.0.1:4xxxx to the sending socket; count
# them (bounded: 5 s, or 1 s of silence after the last one).
got, deadline = 0, time.time() + 5
while got < k and time.time() < deadline:
    ready, _, _ = select.select(socks, [], [], 1.0)
    if not ready:
        break
    for s in ready:
        data, src = s.recvfrom(2048)
        if data.startswith(b"xdpgen-steer-") and src[0] == "198.18.0.1":
            got += 1
print(got)
PY
# Outside the range: must not reach the sockets. The kernel answers with ICMP
# port unreachable, which a connected socket sees as a refusal: proof that
# the steering program passed them before the probe is stopped.
peer python3 - >"$TMP/outside.out" 2>&1 <<'PY' || fail "outside the range: $(cat "$TMP/outside.out")"
import socket
for port in (39999, 40100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.connect(("198.18.0.1", port))
    s.send(b"x")
    try:
        s.recv(16)
        raise SystemExit(f"port {port}: an answer came back, expected ICMP port unreachable")
    except ConnectionRefusedError:
        pass
PY
wait "$ping_pid" || fail "ping failed: $(cat "$TMP/ping.out")"
kill -INT "$probe_pid" 2>/dev/null || true
wait "$probe_pid" || fail "probe exited with $?: $(cat "$TMP/probe.out")"
cat "$TMP/probe.out"

line=$(grep '^received=' "$TMP/probe.out") || fail "no result line: $(cat "$TMP/probe.out")"
field() { sed -E "s/.*(^| )$1=([^ ]*).*/\2/" <<<"$line"; }
expect_eq "frames received on the AF_XDP sockets" "$(field received)" "$k"
expect_eq "frames that were ours" "$(field valid)" "$k"
expect_eq "steered counter" "$(field steered)" "$k"
expect_eq "ours without a socket" "$(field no_socket)" 0
(( $(field passed) >= 7 )) || fail "passed counter $(field passed) < 7 (5 pings + 2 other ports)"
echo "ok: passed to the kernel = $(field passed) (>= 7)"
expect_eq "echoes sent through AF_XDP TX" "$(field echoed)" "$k"
expect_eq "TX completions" "$(field tx_completed)" "$k"
expect_eq "echoes the peer received" "$(cat "$TMP/replies.out")" "$k"
expect_match "ping replies" "$(cat "$TMP/ping.out")" '5 packets transmitted, 5 received'
if ((queues > 1)); then
  IFS=, read -ra pq <<<"$(field per_queue)"
  for ((i = 0; i < queues; i++)); do
    ((pq[i] > 0)) || fail "queue $i received nothing (per_queue=$(field per_queue))"
  done
  echo "ok: every queue received (per_queue=$(field per_queue))"
fi
expect_eq "XDP attached after the probe exited" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
