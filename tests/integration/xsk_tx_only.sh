#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The UDP benchmark's independent AF_XDP transmit reference,
# `xg_xsk_pingpong --tx-only` (tests/peers/xsk_pingpong.cpp), is itself
# tested on a 2-queue test bed: with 1 and with 2 threads it sends
# (packets > 0, every thread), and its count of completions is exactly what
# the peer's veth counted, read here from /sys and ethtool -S (per queue:
# thread q sends on queue q) outside the process after it exited, and what it
# read itself; bad arguments exit 2; SIGINT still gives an exact JSON line and
# exit 130; its XDP program leaves with it.
# Exact, not "within N": the link is settled first (neighbours pinned, no
# router solicitations nor DAD), so no frame of the kernel's own crosses it,
# and the reference drains its completions and closes its sockets before it
# reads the counter, so no frame it counted arrives later.
# With a BPF object (a bare drop program, xg_probe_drop, e.g. the build's
# skel/probe.bpf.o) it also runs where a caller attached its own XDP drop on
# the peer first, as the benchmarks do: that program is kept and takes the
# frames, the count is still exact, and it is still attached afterwards.
# Usage: xsk_tx_only.sh PATH-TO-xg_xsk_pingpong [BPF-OBJECT-WITH-xg_probe_drop]
source "$(dirname "$0")/lib.sh"
PP=${1:?usage: xsk_tx_only.sh PATH-TO-xg_xsk_pingpong [BPF-OBJECT]}
OBJ=${2:-}
[[ -x $PP ]] || fail "no xg_xsk_pingpong at $PP"
[[ -z $OBJ || -f $OBJ ]] || fail "no BPF object at $OBJ"

testbed_up --queues 2
settle
on_fail() { cat "$TMP"/tx*.json "$TMP"/tx*.err 2>/dev/null; }
peer_rx() { ip netns exec "${PREFIX}peer" cat "/sys/class/net/$IF_PEER/statistics/rx_packets"; }
queue_rx() { # queue_rx Q: XDP packets of the peer's receive queue Q
  ip netns exec "${PREFIX}peer" ethtool -S "$IF_PEER" | awk -v k="rx_queue_$1_xdp_packets:" '$1 == k { print $2 }'
}
no_xdp_left() { expect_eq "XDP on $IF_PEER after $1" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""; }
cpu1=$(( $(nproc) > 1 ? 1 : 0 ))

# Bad arguments: exit 2 before anything is attached.
bad_args=("--tx-only --threads 0" "--tx-only --threads 65" "--tx-only --threads 2 --cpus 0"
          "--tx-only --cpus 0,x" "--tx-only --inflight 8" "--tx-only --queue 1" "--threads 2" "--cpus 0"
          "--tx-only -d 0" "--tx-only stray")
for args in "${bad_args[@]}"; do
  rc=0
  # shellcheck disable=SC2086 # the arguments are split on purpose
  "$PP" --prefix "$PREFIX" $args >"$TMP/tx-bad.json" 2>"$TMP/tx-bad.err" || rc=$?
  expect_eq "exit status of '$args'" "$rc" 2
  [[ ! -s $TMP/tx-bad.json ]] || fail "'$args' printed a report"
done
no_xdp_left "bad arguments"

# check_run NAME THREADS JSON RX_BEFORE RX_AFTER Q0_BEFORE Q0_AFTER Q1_BEFORE Q1_AFTER
check_run() {
  local name=$1 threads=$2 j=$3 packets sum q n
  packets=$(json "$j" .packets)
  expect_eq "$name: mode" "$(json "$j" .mode)" tx-only
  expect_eq "$name: threads" "$(json "$j" .threads)" "$threads"
  expect_eq "$name: per-thread entries" "$(json "$j" '.per_thread | length')" "$threads"
  sum=$(json "$j" '[.per_thread[].packets] | add')
  expect_eq "$name: packets = the threads' sum" "$packets" "$sum"
  expect_eq "$name: frames the driver dropped" "$(json "$j" .driver_drops)" 0
  expect_eq "$name: the peer's rx_packets, from /sys after it exited" "$(($5 - $4))" "$packets"
  expect_eq "$name: its own reading of the peer's rx_packets" "$(json "$j" .peer_rx_packets)" "$packets"
  for ((q = 0; q < threads; q++)); do
    expect_eq "$name: thread $q's queue" "$(json "$j" ".per_thread[$q].queue")" "$q"
    n=$(json "$j" ".per_thread[$q].packets")
    if ((q == 0)); then expect_eq "$name: the peer's queue 0 (ethtool -S)" "$(($7 - $6))" "$n"
    else expect_eq "$name: the peer's queue 1 (ethtool -S)" "$(($9 - $8))" "$n"; fi
  done
  awk -v c="$(json "$j" .cpu_s)" 'BEGIN { exit !(c > 0) }' || fail "$name: cpu_s is $(json "$j" .cpu_s)"
}

for threads in 1 2; do
  cpus=0
  ((threads == 2)) && cpus="0,$cpu1"
  j=$TMP/tx$threads.json
  rx0=$(peer_rx) q00=$(queue_rx 0) q10=$(queue_rx 1)
  rc=0
  timeout -k 5 30 "$PP" --prefix "$PREFIX" --tx-only --threads "$threads" --cpus "$cpus" -d 1 >"$j" \
    2>"$TMP/tx$threads.err" || rc=$?
  rx1=$(peer_rx) q01=$(queue_rx 0) q11=$(queue_rx 1)
  cat "$j"
  expect_eq "$threads thread(s): exit status" "$rc" 0
  for ((q = 0; q < threads; q++)); do
    (($(json "$j" ".per_thread[$q].packets") > 0)) || fail "$threads thread(s): thread $q sent nothing in 1 s"
  done
  echo "ok: $threads thread(s) sent $(json "$j" .packets) frames in 1 s ($(json "$j" .pps) pps)"
  check_run "$threads thread(s)" "$threads" "$j" "$rx0" "$rx1" "$q00" "$q01" "$q10" "$q11"
  no_xdp_left "a $threads-thread run"
done

# A drop program of the caller's own on the peer: kept, and the count still exact.
if [[ -n $OBJ ]]; then
  ip -n "${PREFIX}peer" link set dev "$IF_PEER" xdpdrv object "$OBJ" program xg_probe_drop
  j=$TMP/tx-existing.json
  rx0=$(peer_rx) q00=$(queue_rx 0) q10=$(queue_rx 1)
  rc=0
  timeout -k 5 30 "$PP" --prefix "$PREFIX" --tx-only --threads 2 --cpus "0,$cpu1" -d 1 >"$j" \
    2>"$TMP/tx-existing.err" || rc=$?
  rx1=$(peer_rx) q01=$(queue_rx 0) q11=$(queue_rx 1)
  cat "$j" "$TMP/tx-existing.err"
  expect_eq "with the caller's XDP program: exit status" "$rc" 0
  expect_eq "with the caller's XDP program: the peer's program" "$(json "$j" .pong.xdp)" existing
  (($(json "$j" .packets) > 0)) || fail "with the caller's XDP program: nothing sent"
  check_run "with the caller's XDP program" 2 "$j" "$rx0" "$rx1" "$q00" "$q01" "$q10" "$q11"
  [[ -n $(xdp_attached "${PREFIX}peer" "$IF_PEER") ]] || fail "the caller's XDP program was taken off $IF_PEER"
  echo "ok: the caller's XDP program is still on $IF_PEER"
  ip -n "${PREFIX}peer" link set dev "$IF_PEER" xdp off
  no_xdp_left "taking the caller's program off"
fi

# SIGINT mid-run: the JSON line still comes, marked interrupted, still exact; exit 130.
j=$TMP/tx-int.json
rx0=$(peer_rx) q00=$(queue_rx 0) q10=$(queue_rx 1)
"$PP" --prefix "$PREFIX" --tx-only --threads 2 --cpus "0,$cpu1" -d 30 >"$j" 2>"$TMP/tx-int.err" &
pid=$!
BG_PIDS+=("$pid")
# Interrupted once frames arrive at the peer (its XDP program is attached and the run under way).
sending() { (($(peer_rx) > rx0)); }
wait_until 10 "frames at $IF_PEER" sending
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
rx1=$(peer_rx) q01=$(queue_rx 0) q11=$(queue_rx 1)
cat "$j"
expect_eq "exit status after SIGINT" "$rc" 130
expect_eq "interrupted" "$(json "$j" .interrupted)" true
(($(json "$j" .packets) > 0)) || fail "nothing sent before SIGINT"
check_run "SIGINT" 2 "$j" "$rx0" "$rx1" "$q00" "$q01" "$q10" "$q11"
no_xdp_left "SIGINT"
