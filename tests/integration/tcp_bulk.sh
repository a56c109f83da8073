#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen tcp against the Linux kernel's TCP stack as the receiver
# (tests/peers' tcp sink, which checks every byte against the pattern):
#  1. 8 flows x 4 MiB over IPv4: every byte received exactly once, in order,
#     each stream ended by a FIN (EOF), none by a RST; the data went through
#     the live-frames sender and its ACKs through the steering program;
#  2. the same with 2% random loss each way (data and ACKs): still exact,
#     with the retransmissions counted;
#  3. IPv6, --cc none, with the same loss;
#  4. a --duration run: the receiver got exactly what the sender counts as
#     acknowledged, and each stream ended by a FIN;
#  5. a closed port: refused, exit 1; and nothing left attached afterwards;
#  6. a veth peer that drops redirected frames: stopped at once, with the hint;
#  7. --payload FILE: 3 streams of a file's bytes (odd size), checked against it.
# Usage: tcp_bulk.sh TCP_SINK LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
SINK=$1 LOSS=$2
MIB4=$((4 * 1048576))

testbed_up --gro
settle

sink() { # sink NAME LISTEN ARGS... -> the kernel receiver in the peer namespace
  local name=$1 listen=$2; shift 2
  bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$SINK" --listen "$listen" --per-conn "$@" >"$TMP/$name.out" 2>&1
  wait_for_line "$TMP/$name.out" '^ready' 10
}
sink_result() { # sink_result NAME -> the summary line, once the sink has ended
  wait_for_line "$TMP/$1.out" '^conns=' 30
  grep '^conns=' "$TMP/$1.out"
}
loss_start() { # loss_start PERMILLE
  bg "$TESTBED" --prefix "$PREFIX" exec peer "$LOSS" "$IF_PEER" "$1" --tcp-only >"$TMP/loss.out" 2>&1
  wait_for_line "$TMP/loss.out" '^ready' 10
}
loss_stop() {
  pkill -TERM -f "^$LOSS " || true
  wait_for_line "$TMP/loss.out" '^seen_in=' 10
  cat "$TMP/loss.out"
}
run_tcp() { # run_tcp NAME ARGS... (xdpgen tcp in the gen namespace, JSON in $TMP/NAME.json)
  local name=$1; shift
  gen timeout 120 "$XDPGEN" tcp -i "$IF_GEN" --quiet --json "$TMP/$name.json" "$@" >"$TMP/$name.xg" 2>&1 ||
    fail "$name: xdpgen tcp failed: $(cat "$TMP/$name.xg")"
  cat "$TMP/$name.xg"
}
exact() { # exact NAME FLOWS BYTES: both ends agree, byte for byte
  local name=$1 flows=$2 bytes=$3 res
  res=$(sink_result "$name")
  expect_match "$name: receiver got every stream whole and right, each ended by a FIN" "$res" \
    "^conns=$flows eof=$flows resets=0 open=0 bytes=$((flows * bytes)) verify_errors=0 min_bytes=$bytes max_bytes=$bytes "
  expect_eq "$name: flows completed" "$(json "$TMP/$name.json" .flows.completed)" "$flows"
  expect_eq "$name: flows failed" "$(json "$TMP/$name.json" .flows.failed)" 0
  expect_eq "$name: bytes acknowledged" "$(json "$TMP/$name.json" .acked_bytes)" $((flows * bytes))
  # The data path, not the engine, sent the streams: the engine's own
  # packets are the handshakes and closes only.
  expect_match "$name: segments from the live-frames sender" "$(json "$TMP/$name.json" .tx.segments)" '^[1-9][0-9]{3,}'
  expect_match "$name: ACKs consumed by steering" "$(json "$TMP/$name.json" .steering.acks_consumed)" '^[1-9][0-9]+'
  (( $(json "$TMP/$name.json" .engine.tx_packets) <= 10 * flows )) ||
    fail "$name: the engine sent $(json "$TMP/$name.json" .engine.tx_packets) packets for $flows flows"
}

# 1. 8 flows, IPv4, no loss.
sink v4 198.18.0.2:5201 --conns 8
run_tcp v4 198.18.0.2 --flows 8 --bytes 4M
exact v4 8 "$MIB4"
expect_eq "v4: no retransmissions on a clean path" "$(json "$TMP/v4.json" .retransmitted_segments)" 0

# 2. The same under 2% loss each way.
sink loss4 198.18.0.2:5202 --conns 8
loss_start 20
run_tcp loss4 198.18.0.2 -p 5202 --flows 8 --bytes 4M
out=$(loss_stop)
exact loss4 8 "$MIB4"
expect_match "loss4: data segments were dropped" "$out" 'dropped_in=[1-9]'
expect_match "loss4: ACKs were dropped" "$out" 'dropped_out=[1-9]'
expect_match "loss4: retransmissions counted" "$(json "$TMP/loss4.json" .retransmitted_segments)" '^[1-9]'
expect_match "loss4: resent by the data path" "$(json "$TMP/loss4.json" .retransmits.data_path)" '^[1-9]'

# 3. IPv6, window-limited (--cc none), same loss.
sink loss6 '[fd00:18::2]:5203' --conns 8
loss_start 20
run_tcp loss6 fd00:18::2 -p 5203 --flows 8 --bytes 4M --cc none
loss_stop >/dev/null
exact loss6 8 "$MIB4"
expect_match "loss6: retransmissions counted" "$(json "$TMP/loss6.json" .retransmitted_segments)" '^[1-9]'

# 4. A --duration run: what the receiver got is what the sender counts as acknowledged.
sink dur 198.18.0.2:5204 --conns 2
run_tcp dur 198.18.0.2 -p 5204 --flows 2 --duration 2
res=$(sink_result dur)
acked=$(json "$TMP/dur.json" .acked_bytes)
expect_match "dur: both streams ended by a FIN, every byte right" "$res" '^conns=2 eof=2 resets=0 open=0 .*verify_errors=0 '
expect_match "dur: receiver bytes = acknowledged bytes" "$res" " bytes=$acked "
expect_match "dur: it sent for real" "$acked" '^[1-9][0-9]{6,} '
expect_match "dur: intervals reported" "$(json "$TMP/dur.json" '.intervals | length')" '^[2-9]'

# 5. A closed port: refused, exit 1; nothing left attached.
set +e
gen timeout 30 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 -p 5999 --bytes 1M --quiet --json "$TMP/ref.json" >"$TMP/ref.out" 2>&1
rc=$?
set -e
expect_eq "refused: exit status" "$rc" 1
expect_eq "refused: counted" "$(json "$TMP/ref.json" .flows.failed_by_cause.refused)" 1
expect_eq "no XDP program left on $IF_GEN" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""

# 6. A veth whose peer drops redirected frames (no GRO, no XDP program there):
#    the run stops within seconds with the reason and what to do.
sink dead 198.18.0.2:5205 --conns 1
peer ethtool -K "$IF_PEER" gro off >/dev/null
set +e
start=$(date +%s)
gen timeout 60 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 -p 5205 --bytes 1M --quiet >"$TMP/dead.out" 2>&1
rc=$?
set -e
secs=$(( $(date +%s) - start ))
peer ethtool -K "$IF_PEER" gro on >/dev/null
expect_eq "dead path: exit status" "$rc" 1
expect_match "dead path: says why and what to do" "$(cat "$TMP/dead.out")" 'refused every frame.*gro on'
(( secs < 10 )) || fail "dead path: took $secs s"
echo "ok: dead path detected in $secs s"
expect_eq "no XDP program left on $IF_GEN after it" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""

# 7. A file's bytes instead of the pattern (an odd size: the last segment is short).
head -c 3000001 /dev/urandom >"$TMP/payload.bin"
sink file 198.18.0.2:5206 --conns 3 --file "$TMP/payload.bin"
run_tcp file 198.18.0.2 -p 5206 --flows 3 --payload "$TMP/payload.bin"
exact file 3 3000001
