#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The UDP benchmark's independent live-frames reference, xg_live_sender
# (tests/peers/live_sender.cpp), is itself tested. Bad arguments exit 2.
# Then, as xg_live_frames_check (libbpf alone) answers:
#  - "no REASON": the sender exits 3 with one line on stderr naming the
#    kernel's reason, prints no report, and sends nothing (the peer's counter
#    does not move);
#  - "yes": with 1 and 2 threads it sends (packets = calls x batch > 0) and
#    the peer's veth counted exactly its packets (rx_packets, read from /sys
#    outside the process after it exited). The test bed has GRO on, so
#    frames redirected into the veth are not dropped for want of an XDP
#    program on the peer (docs: platform.md); the link is settled first, so
#    no frame of the kernel's own crosses it.
# Usage: live_sender.sh PATH-TO-xg_live_sender PATH-TO-xg_live_frames_check
source "$(dirname "$0")/lib.sh"
LS=${1:?usage: live_sender.sh PATH-TO-xg_live_sender PATH-TO-xg_live_frames_check}
CHECK=${2:?usage: live_sender.sh PATH-TO-xg_live_sender PATH-TO-xg_live_frames_check}
[[ -x $LS ]] || fail "no xg_live_sender at $LS"
[[ -x $CHECK ]] || fail "no xg_live_frames_check at $CHECK"

testbed_up --queues 2 --gro
settle
on_fail() { cat "$TMP"/ls*.json "$TMP"/ls*.err 2>/dev/null; }
peer_rx() { ip netns exec "${PREFIX}peer" cat "/sys/class/net/$IF_PEER/statistics/rx_packets"; }
peer_mac=$(ip netns exec "${PREFIX}peer" cat "/sys/class/net/$IF_PEER/address")
dst=(-i "$IF_GEN" -m "$peer_mac" -a 198.18.0.2)
cpu1=$(( $(nproc) > 1 ? 1 : 0 ))

# Bad arguments: exit 2, no report.
bad_args=("" "-i $IF_GEN -m $peer_mac" "-i $IF_GEN -m 02:00:zz:00:00:01 -a 198.18.0.2"
          "-i $IF_GEN -m $peer_mac -a 198.18.0.300" "-i $IF_GEN -m $peer_mac -a 198.18.0.2 --batch 0"
          "-i $IF_GEN -m $peer_mac -a 198.18.0.2 --kernel-batch 257" "-i $IF_GEN -m $peer_mac -a 198.18.0.2 -s 59"
          "-i $IF_GEN -m $peer_mac -a 198.18.0.2 -t 2 --cpus 0" "-i $IF_GEN -m $peer_mac -a 198.18.0.2 -d 0"
          "-i $IF_GEN -m $peer_mac -a fd00:18::2 -s 61" "-i $IF_GEN -m $peer_mac -a 198.18.0.2 stray")
for args in "${bad_args[@]}"; do
  rc=0
  # shellcheck disable=SC2086 # the arguments are split on purpose
  gen "$LS" $args >"$TMP/ls-bad.json" 2>"$TMP/ls-bad.err" || rc=$?
  expect_eq "exit status of '$args'" "$rc" 2
  [[ ! -s $TMP/ls-bad.json ]] || fail "'$args' printed a report"
done
# A missing interface is a set-up error, not a usage error.
rc=0
gen "$LS" -i nosuch0 -m "$peer_mac" -a 198.18.0.2 -d 1 >"$TMP/ls-noif.json" 2>"$TMP/ls-noif.err" || rc=$?
expect_eq "exit status without the interface" "$rc" 1

answer=$(gen "$CHECK")
echo "live frames, asked with libbpf alone: $answer"
case "$answer" in
  no*)
    reason=${answer#no }
    for threads in 1 2; do
      cpus=0
      ((threads == 2)) && cpus="0,$cpu1"
      rx0=$(peer_rx)
      rc=0
      gen timeout -k 5 30 "$LS" "${dst[@]}" -d 1 -t "$threads" --cpus "$cpus" >"$TMP/ls-no.json" \
        2>"$TMP/ls-no.err" || rc=$?
      rx1=$(peer_rx)
      cat "$TMP/ls-no.err"
      expect_eq "$threads thread(s): exit status on a kernel that refuses live frames" "$rc" 3
      expect_eq "$threads thread(s): lines on stderr" "$(wc -l <"$TMP/ls-no.err")" 1
      expect_match "$threads thread(s): the message" "$(cat "$TMP/ls-no.err")" \
        "^xg_live_sender: this kernel refuses live frames \(BPF_PROG_TEST_RUN: $reason\); "
      [[ ! -s $TMP/ls-no.json ]] || fail "a report although nothing ran: $(cat "$TMP/ls-no.json")"
      expect_eq "$threads thread(s): frames at the peer" "$((rx1 - rx0))" 0
    done
    ;;
  yes)
    for threads in 1 2; do
      cpus=0
      ((threads == 2)) && cpus="0,$cpu1"
      j=$TMP/ls$threads.json
      rx0=$(peer_rx)
      rc=0
      gen timeout -k 5 60 "$LS" "${dst[@]}" -d 1 -t "$threads" --cpus "$cpus" --batch 65536 >"$j" \
        2>"$TMP/ls$threads.err" || rc=$?
      rx1=$(peer_rx)
      cat "$j"
      expect_eq "$threads thread(s): exit status" "$rc" 0
      packets=$(json "$j" .packets)
      ((packets > 0)) || fail "$threads thread(s): nothing sent in 1 s"
      expect_eq "$threads thread(s): packets = calls x batch" "$packets" "$(($(json "$j" .calls) * 65536))"
      expect_eq "$threads thread(s): threads" "$(json "$j" .threads)" "$threads"
      expect_eq "$threads thread(s): the peer's rx_packets, from /sys after it exited" "$((rx1 - rx0))" "$packets"
      echo "ok: $threads thread(s) sent $packets frames ($(json "$j" .pps) pps), all counted by the peer"
    done
    ;;
  *) fail "xg_live_frames_check answered '$answer'" ;;
esac
