#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen tcp against the Linux kernel's TCP stack as the receiver
# (tests/peers' tcp sink, which checks every byte against the pattern).
# Cases 1-7 run with the default --data-path auto: live frames where this
# kernel allows them (`xdpgen probe`'s live_frames check says whether), else
# the AF_XDP engine's own TCP; each run's JSON must name the path expected,
# and the checks of that path apply (which one ran is printed):
#  1. 8 flows x 4 MiB over IPv4: every byte received exactly once, in order,
#     each stream ended by a FIN (EOF), none by a RST; live: the data went
#     through the live-frames sender and its ACKs through the steering
#     program; engine: every segment counted by the engine, every byte sent
#     exactly once on a clean path, no ACK taken by steering;
#  2. the same with 2% random loss each way (data and ACKs): still exact,
#     with the retransmissions counted;
#  3. IPv6, --cc none, with the same loss;
#  4. a --duration run: the receiver got exactly what the sender counts as
#     acknowledged, and each stream ended by a FIN;
#  5. a closed port: refused, exit 1; and nothing left attached afterwards;
#  6. a veth peer without GRO: live: it drops redirected frames, the run stops
#     at once with the hint; engine (AF_XDP TX is no redirect): exact anyway;
#  7. --payload FILE: 3 streams of a file's bytes (odd size), checked against it;
#  8. --data-path engine forced (every kernel): 4 x 4 MiB exact, and a
#     --duration run with --cc none whose streams end where they stand;
#  9. --data-path live forced: where the kernel refuses live frames, exit 2
#     with the message and the hint, before any segment reaches the peer;
#     elsewhere an exact run through live frames.
# Usage: tcp_bulk.sh TCP_SINK LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
SINK=$1 LOSS=$2
MIB4=$((4 * 1048576))

testbed_up --gro
settle

# Does this kernel run live frames? The probe's real run decides, as xdpgen tcp's auto does.
gen "$XDPGEN" probe "$IF_GEN" --json "$TMP/probe.json" >/dev/null
LIVE=$(json "$TMP/probe.json" .checks.live_frames.supported)
[[ $LIVE == true || $LIVE == false ]] || fail "probe: no live_frames verdict in $(cat "$TMP/probe.json")"
if [[ $LIVE == true ]]; then AUTO_PATH=live; else AUTO_PATH=engine; fi
echo "live frames on this kernel: $LIVE ($(json "$TMP/probe.json" .checks.live_frames.detail)); --data-path auto runs '$AUTO_PATH'"

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
path_ran() { # path_ran NAME EXPECTED: the run's JSON names the data path expected; prints it
  local p
  p=$(json "$TMP/$1.json" .data_path)
  expect_eq "$1: data path (JSON)" "$p" "$2"
  if [[ $2 == engine && $(json "$TMP/$1.json" .config.data_path) == auto ]]; then
    # auto fell back: one note line says why.
    expect_eq "$1: one note on the fallback" "$(grep -c '^note: live frames are refused here' "$TMP/$1.xg")" 1
  fi
}
exact() { # exact NAME FLOWS BYTES [PATH]: both ends agree, byte for byte; PATH defaults to auto's
  local name=$1 flows=$2 bytes=$3 path=${4:-$AUTO_PATH} res j
  j=$TMP/$name.json
  res=$(sink_result "$name")
  expect_match "$name: receiver got every stream whole and right, each ended by a FIN" "$res" \
    "^conns=$flows eof=$flows resets=0 open=0 bytes=$((flows * bytes)) verify_errors=0 min_bytes=$bytes max_bytes=$bytes "
  expect_eq "$name: flows completed" "$(json "$j" .flows.completed)" "$flows"
  expect_eq "$name: flows failed" "$(json "$j" .flows.failed)" 0
  expect_eq "$name: bytes acknowledged" "$(json "$j" .acked_bytes)" $((flows * bytes))
  path_ran "$name" "$path"
  if [[ $path == live ]]; then
    # The data path, not the engine, sent the streams: the engine's own
    # packets are the handshakes and closes only.
    expect_match "$name: segments from the live-frames sender" "$(json "$j" .tx.segments)" '^[1-9][0-9]{3,}'
    expect_match "$name: ACKs consumed by steering" "$(json "$j" .steering.acks_consumed)" '^[1-9][0-9]+'
    (( $(json "$j" .engine.tx_packets) <= 10 * flows )) ||
      fail "$name: the engine sent $(json "$j" .engine.tx_packets) packets for $flows flows"
  else
    # The engine sent everything: its counters are the report's, steering
    # took no ACK, and each stream's bytes left at least once (exactly
    # once when nothing was retransmitted), in at least one segment per MSS.
    local segs payload retx
    segs=$(json "$j" .tx.segments) payload=$(json "$j" .tx.payload_bytes) retx=$(json "$j" .retransmitted_segments)
    expect_eq "$name: segments are the engine's" "$segs" "$(json "$j" .engine.tx_packets)"
    expect_eq "$name: no ACK consumed by steering" "$(json "$j" .steering.acks_consumed)" 0
    expect_eq "$name: no live-frames retransmission" "$(json "$j" .retransmits.data_path)" 0
    (( segs >= flows * (bytes / 1460 + 3) )) || fail "$name: $segs segments cannot carry $flows x $bytes bytes with handshakes"
    if (( retx == 0 )); then
      expect_eq "$name: every byte sent once (nothing retransmitted)" "$payload" $((flows * bytes))
    else
      (( payload > flows * bytes )) || fail "$name: $retx retransmissions but $payload payload bytes for $((flows * bytes))"
      echo "ok: $name: $payload payload bytes sent for $((flows * bytes)), $retx segments retransmitted"
    fi
  fi
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
if [[ $AUTO_PATH == live ]]; then
  expect_match "loss4: resent by the data path" "$(json "$TMP/loss4.json" .retransmits.data_path)" '^[1-9]'
else
  expect_match "loss4: resent by the engine" "$(json "$TMP/loss4.json" .retransmits.engine)" '^[1-9]'
fi

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
path_ran dur "$AUTO_PATH"

# 5. A closed port: refused, exit 1; nothing left attached.
set +e
gen timeout 30 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 -p 5999 --bytes 1M --quiet --json "$TMP/ref.json" >"$TMP/ref.out" 2>&1
rc=$?
set -e
expect_eq "refused: exit status" "$rc" 1
expect_eq "refused: counted" "$(json "$TMP/ref.json" .flows.failed_by_cause.refused)" 1
expect_eq "no XDP program left on $IF_GEN" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""

# 6. A veth peer without GRO (and no XDP program there).
sink dead 198.18.0.2:5205 --conns 1
peer ethtool -K "$IF_PEER" gro off >/dev/null
if [[ $AUTO_PATH == live ]]; then
  # Live frames redirected into it are dropped: the run stops within
  # seconds with the reason and what to do.
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
else
  # The engine's AF_XDP frames are ordinary transmits, not redirects: GRO
  # does not matter to them.
  run_tcp dead 198.18.0.2 -p 5205 --bytes 1M
  peer ethtool -K "$IF_PEER" gro on >/dev/null
  exact dead 1 1048576
fi
expect_eq "no XDP program left on $IF_GEN after it" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""

# 7. A file's bytes instead of the pattern (an odd size: the last segment is short).
head -c 3000001 /dev/urandom >"$TMP/payload.bin"
sink file 198.18.0.2:5206 --conns 3 --file "$TMP/payload.bin"
run_tcp file 198.18.0.2 -p 5206 --flows 3 --payload "$TMP/payload.bin"
exact file 3 3000001

# 8. The engine path forced, on every kernel.
sink eng 198.18.0.2:5207 --conns 4
run_tcp eng 198.18.0.2 -p 5207 --flows 4 --bytes 4M --data-path engine
expect_match "eng: says it runs on the engine" "$(head -1 "$TMP/eng.xg")" 'data path engine'
exact eng 4 "$MIB4" engine
expect_eq "eng: no note (the path was asked for)" "$(grep -c '^note: live frames' "$TMP/eng.xg" || true)" 0
sink engdur 198.18.0.2:5208 --conns 2
run_tcp engdur 198.18.0.2 -p 5208 --flows 2 --duration 2 --cc none --data-path engine
res=$(sink_result engdur)
acked=$(json "$TMP/engdur.json" .acked_bytes)
path_ran engdur engine
expect_match "engdur: both streams ended by a FIN, every byte right" "$res" '^conns=2 eof=2 resets=0 open=0 .*verify_errors=0 '
expect_match "engdur: receiver bytes = acknowledged bytes" "$res" " bytes=$acked "
expect_match "engdur: it sent for real" "$acked" '^[1-9][0-9]{6,} '
expect_eq "engdur: both flows completed" "$(json "$TMP/engdur.json" .flows.completed)" 2
secs=$(json "$TMP/engdur.json" .duration_s)
awk -v s="$secs" 'BEGIN { exit !(s >= 2 && s < 5) }' || fail "engdur: ran $secs s for --duration 2"
echo "ok: engdur: ended after $secs s"

# 9. The live path forced.
tcp_in() { peer awk '/^Tcp:/ && ++n == 2 { print $11 }' /proc/net/snmp; } # the peer's InSegs
if [[ $LIVE == false ]]; then
  before=$(tcp_in)
  set +e
  gen timeout 30 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 -p 5209 --bytes 1M --data-path live >"$TMP/live.out" 2>"$TMP/live.err"
  rc=$?
  set -e
  expect_eq "live refused: exit status" "$rc" 2
  expect_match "live refused: one error naming the cause" "$(head -1 "$TMP/live.err")" \
    '^xdpgen: --data-path live: the kernel refuses live frames on '
  expect_match "live refused: the hint" "$(cat "$TMP/live.err")" 'hint: use --data-path engine'
  (( $(wc -l <"$TMP/live.err") <= 2 )) || fail "live refused: more than one error: $(cat "$TMP/live.err")"
  expect_eq "live refused: nothing on stdout" "$(cat "$TMP/live.out")" ""
  expect_eq "live refused: no segment reached the peer" "$(tcp_in)" "$before"
else
  sink live 198.18.0.2:5209 --conns 2
  run_tcp live 198.18.0.2 -p 5209 --flows 2 --bytes 4M --data-path live
  exact live 2 "$MIB4" live
fi
