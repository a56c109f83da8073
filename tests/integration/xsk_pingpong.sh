#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The benchmark's independent AF_XDP reference (tests/peers/xsk_pingpong.cpp,
# tools/bench-xsk) is itself tested: a 1-second ping-pong over the test bed's
# veth bounces frames (round trips > 0), its packet count is the veth's own
# (each end's tx_packets, read here from /sys, outside the process) but for
# the frames in flight when it stopped, and its XDP programs leave with it:
# at the end of a run, on SIGINT (its JSON line still printed) and on SIGKILL.
# Usage: xsk_pingpong.sh PATH-TO-xg_xsk_pingpong
source "$(dirname "$0")/lib.sh"
PP=${1:?usage: xsk_pingpong.sh PATH-TO-xg_xsk_pingpong}
[[ -x $PP ]] || fail "no xg_xsk_pingpong at $PP"

testbed_up
cpus="0,$(( $(nproc) > 1 ? 1 : 0 ))"
inflight=64
counter() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
snapshot() { echo "$(counter "${PREFIX}gen" "$IF_GEN" tx_packets) $(counter "${PREFIX}peer" "$IF_PEER" tx_packets) $(counter "${PREFIX}peer" "$IF_PEER" rx_packets)"; }
no_xdp_left() { # WHEN
  expect_eq "XDP on $IF_GEN after $1" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
  expect_eq "XDP on $IF_PEER after $1" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
}
on_fail() { cat "$TMP"/pp*.json "$TMP"/pp*.err 2>/dev/null; }

read -r gen_tx0 peer_tx0 peer_rx0 < <(snapshot)
set +e
timeout -k 5 30 "$PP" --prefix "$PREFIX" -d 1 --inflight "$inflight" --cpu "$cpus" >"$TMP/pp.json" 2>"$TMP/pp.err"
rc=$?
set -e
read -r gen_tx1 peer_tx1 peer_rx1 < <(snapshot)
cat "$TMP/pp.json"
expect_eq "exit status" "$rc" 0
rt=$(json "$TMP/pp.json" .round_trips)
packets=$(json "$TMP/pp.json" .packets)
(( rt > 0 )) || fail "no round trip in 1 s"
echo "ok: $rt round trips in 1 s"
expect_eq "packets = 2 x round trips" "$packets" "$((2 * rt))"
gen_tx=$((gen_tx1 - gen_tx0)) peer_tx=$((peer_tx1 - peer_tx0)) peer_rx=$((peer_rx1 - peer_rx0))
wire=$((gen_tx + peer_tx))
echo "veth: $IF_GEN sent $gen_tx, $IF_PEER sent $peer_tx and received $peer_rx; counted $packets"
# Frames still in the peer's veth ring when the sockets close are freed
# uncounted (seen once in about seven runs): at most those in flight.
(( peer_rx <= gen_tx && gen_tx - peer_rx <= inflight )) ||
  fail "$IF_PEER received $peer_rx, $IF_GEN sent $gen_tx (more than the $inflight in flight apart, or more received)"
echo "ok: $IF_PEER received $peer_rx of the $gen_tx $IF_GEN sent"
# Every counted packet crossed the veth; what crossed and was not counted is
# at most the frames in flight at the stop (each crossed at most once more).
# Besides the frames in flight, the kernel's own IPv6 packets of a link just
# up (router solicitations, MLD reports, DAD): up to 3 per end seen, 8 allowed.
kernel_own=16
(( wire >= packets && wire - packets <= 2 * inflight + kernel_own )) ||
  fail "the veth carried $wire packets, the reference counted $packets (more than $((2 * inflight + kernel_own)) apart, or fewer)"
echo "ok: veth carried $wire packets, $((wire - packets)) more than counted (at most $((2 * inflight)) in flight, and a few of the kernel's own)"
# Its own reading of the counters (netlink, in each namespace, once both
# sides stopped) agrees with /sys's, read from outside before and after it ran
# (a few packets of the kernel's own around the run aside).
near() { # WHAT GOT WANT
  (( $2 - $3 <= 4 && $3 - $2 <= 4 )) || fail "$1: got $2, /sys says $3"
  echo "ok: $1 = $2 (/sys: $3)"
}
near "its $IF_GEN tx_packets" "$(json "$TMP/pp.json" .ping.if_tx_packets)" "$gen_tx"
near "its $IF_PEER tx_packets" "$(json "$TMP/pp.json" .pong.if_tx_packets)" "$peer_tx"
cpu=$(json "$TMP/pp.json" .cpu_s)
awk -v c="$cpu" 'BEGIN{exit !(c > 0)}' || fail "cpu_s is $cpu"
no_xdp_left "a run"

# SIGINT mid-run: the JSON line still comes, marked interrupted; exit 130; programs gone.
"$PP" --prefix "$PREFIX" -d 30 --inflight "$inflight" --cpu "$cpus" >"$TMP/pp-int.json" 2>"$TMP/pp-int.err" &
pid=$!
BG_PIDS+=("$pid")
sleep 1
kill -INT "$pid"
set +e
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait "$pid"
rc=$?
set -e
expect_eq "exit status after SIGINT" "$rc" 130
expect_eq "interrupted" "$(json "$TMP/pp-int.json" .interrupted)" true
(( $(json "$TMP/pp-int.json" .round_trips) > 0 )) || fail "no round trip before SIGINT"
no_xdp_left "SIGINT"

# SIGKILL: the bpf_links go with the process.
"$PP" --prefix "$PREFIX" -d 30 --inflight "$inflight" --cpu "$cpus" >"$TMP/pp-kill.json" 2>"$TMP/pp-kill.err" &
pid=$!
BG_PIDS+=("$pid")
sleep 1
[[ -n $(xdp_attached "${PREFIX}gen" "$IF_GEN") ]] || fail "no XDP program on $IF_GEN while it runs"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
sleep 0.2
no_xdp_left "SIGKILL"
