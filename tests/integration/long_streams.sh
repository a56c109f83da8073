#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Streams past 2^30 and 2^32 bytes go out whole, every byte checked by a
# kernel peer (tests/peers), in every role:
#  1. client upload of 6 GiB + 1 into the pattern server (it reads and checks each byte);
#  2. client download of 6 GiB with --verify from the pattern server;
#  3. server answer of 6 GiB + 1 to a kernel client (the tcp sink in --connect mode);
#  4. xdpgen tcp, one flow of 6 GiB, into the tcp sink.
# A transfer cut short must show as a failure: each check compares xdpgen's
# count with the peer's own.
# Usage: long_streams.sh PATTERN_SERVER TCP_SINK
source "$(dirname "$0")/lib.sh"
SERVER=$1 SERVE_SECONDS=300 SINK=$2
N=$((6 * 1024 * 1024 * 1024 + 1))  # odd, past 2^32: the FIN lands off any round boundary
N6=$((6 * 1024 * 1024 * 1024))

testbed_up --gro
settle

client() { # client NAME ARGS... (xdpgen client in the gen namespace, JSON in $TMP/NAME.json)
  local name=$1; shift
  gen timeout 300 "$XDPGEN" client -i "$IF_GEN" --quiet --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 ||
    fail "$name: xdpgen client failed: $(cat "$TMP/$name.out")"
}
sink_result() { # sink_result NAME -> the tcp sink's summary line once it has ended
  wait_for_line "$TMP/$1.out" '^conns=' 300
  grep '^conns=' "$TMP/$1.out"
}

# 1. Upload: the server reads N bytes, checking each, then closes.
serve 7101 --read "$N" --bytes 0
client up 198.18.0.2:7101 --send-size "$N" -n 1 --timeout 280
expect_eq "upload: completed" "$(json "$TMP/up.json" .counters.completed)" 1
expect_eq "upload: bytes acknowledged" "$(json "$TMP/up.json" .counters.tx_bytes)" "$N"
expect_match "upload: the kernel got every byte, each right" "$(server_result 7101)" \
  "completed=1 verify_errors=0 bytes_in=$N "

# 2. Download with --verify: every byte checked on our side, counted on theirs.
serve 7102 --bytes "$N6" --wait-close
client down 198.18.0.2:7102 --recv "$N6" --verify -n 1 --timeout 280
expect_eq "download: completed" "$(json "$TMP/down.json" .counters.completed)" 1
expect_eq "download: bytes received" "$(json "$TMP/down.json" .counters.rx_bytes)" "$N6"
expect_match "download: the kernel sent them all" "$(server_result 7102)" "completed=1 .*bytes_out=$N6 "

# 3. Server role: N bytes of the pattern, then our FIN, to a kernel client.
xdpgen_server "$TMP/srv.json" 198.18.0.2:7103 --send-size "$N" --close
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec gen "$SINK" --connect 198.18.0.2:7103 >"$TMP/ksink.out" 2>&1
expect_match "server: the kernel client got every byte, each right, then our FIN" "$(sink_result ksink)" \
  "^conns=1 eof=1 resets=0 open=0 bytes=$N verify_errors=0 "
stop_xdpgen_server "$TMP/srv.json"
expect_eq "server: completed" "$(json "$TMP/srv.json" .counters.completed)" 1
expect_eq "server: bytes acknowledged" "$(json "$TMP/srv.json" .counters.tx_bytes)" "$N"

# 4. xdpgen tcp: one flow of 6 GiB, through live frames where this kernel
#    allows them, else through the engine's TCP (--data-path auto; printed).
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec peer "$SINK" --listen 198.18.0.2:5201 --conns 1 >"$TMP/bulk.out" 2>&1
wait_for_line "$TMP/bulk.out" '^ready' 10
gen timeout 300 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 --flows 1 --bytes "$N6" --quiet --json "$TMP/bulk.json" \
  >"$TMP/bulk.xg" 2>&1 || fail "xdpgen tcp failed: $(cat "$TMP/bulk.xg")"
expect_match "tcp: the kernel got the stream whole and right" "$(sink_result bulk)" \
  "^conns=1 eof=1 resets=0 open=0 bytes=$N6 verify_errors=0 "
expect_eq "tcp: completed" "$(json "$TMP/bulk.json" .flows.completed)" 1
expect_eq "tcp: bytes acknowledged" "$(json "$TMP/bulk.json" .acked_bytes)" "$N6"
echo "tcp: data path $(json "$TMP/bulk.json" .data_path)"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
