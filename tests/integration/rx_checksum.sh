#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Received checksums (--rx-csum). The kernel peer sends real checksums (tx
# checksumming off on its veth end) through a bridge whose port inverts the
# first payload byte of 1% of its TCP segments, checksum unchanged
# (xg_loss --corrupt). The engine must drop exactly those segments, so the
# peer resends them and every byte arrives right:
#   1. client downloads (auto, the default), checked byte by byte;
#   2. server uploads from the kernel (--rx-csum on), checked byte by byte;
#   3. --rx-csum off lets the corrupted bytes through: --verify catches them;
#   4. a peer that leaves its checksums to an offload (veth, tx on) with
#      --rx-csum on: refused, and the summary says what to do.
# Usage: rx_checksum.sh PATTERN_SERVER LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
SERVER=$1 LOSS=$2
PY=/usr/bin/python3  # Debian's, whatever python3 comes first on PATH
MIB2=2097152

testbed_up --bridge
settle
peer ethtool -K "$IF_PEER" tx off >/dev/null

# corrupt_start NAME [BRIDGE_PORT] / corrupt_stop NAME -> the number of
# segments corrupted. The port's ingress: what the peer sends by default.
corrupt_start() {
  bg "$TESTBED" --prefix "$PREFIX" exec mid "$LOSS" "${2:-${IF_PEER}m}" 0 --ingress --tcp-only --corrupt 10 \
    >"$TMP/corrupt-$1.out" 2>&1
  wait_for_line "$TMP/corrupt-$1.out" '^ready' 10
}
corrupt_stop() {
  pkill -TERM -f "^$LOSS ${PREFIX}[01]m " || true
  wait_for_line "$TMP/corrupt-$1.out" '^seen_in=' 10
  sed -n 's/.*corrupted_in=\([0-9]*\).*/\1/p' "$TMP/corrupt-$1.out"
}

# 1. Downloads: 20 x 2 MiB of the pattern, about 29,000 segments.
serve 7001 --bytes "$MIB2" --wait-close
corrupt_start down
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7001 --recv "$MIB2" --verify -n 20 -c 4 \
  --json "$TMP/c1.json" >"$TMP/c1.out" 2>&1 || fail "client: $(cat "$TMP/c1.out")"
corrupted=$(corrupt_stop down)
echo "downloads: $corrupted segments corrupted"
tail -4 "$TMP/c1.out"
expect_eq "downloads: completed" "$(json "$TMP/c1.json" .counters.completed)" 20
expect_eq "downloads: failed" "$(json "$TMP/c1.json" .counters.failed)" 0
expect_eq "downloads: bytes received" "$(json "$TMP/c1.json" .counters.rx_bytes)" $((20 * MIB2))
expect_match "downloads: segments were corrupted" "$corrupted" '^[1-9][0-9]+ $'
expect_eq "downloads: every corrupted segment dropped for its checksum" \
  "$(json "$TMP/c1.json" .counters.rx_bad_csum)" "$corrupted"
expect_eq "downloads: no checksum left to an offload (the peer's tx checksumming is off)" \
  "$(json "$TMP/c1.json" .counters.rx_csum_offloaded)" 0
expect_match "downloads: the summary says so" "$(cat "$TMP/c1.out")" "checksums: $corrupted received segments had a wrong TCP checksum"
expect_match "downloads: the server saw every connection complete" "$(server_result 7001)" 'completed=20 '

# 2. Uploads from the kernel (the generator's namespace, its checksums real
# now) to the server in the peer's: 10 x 2 MiB.
gen ethtool -K "$IF_GEN" tx off >/dev/null
xdpgen_server "$TMP/s2.json" 198.18.0.2:7002 --recv "$MIB2" --verify --close --rx-csum on
corrupt_start up "${IF_GEN}m"
gen timeout 120 "$PY" "$(dirname "$0")/py/pattern_upload.py" 198.18.0.2 7002 "$MIB2" 10 >"$TMP/up.out" 2>&1 ||
  fail "uploads: $(cat "$TMP/up.out")"
corrupted=$(corrupt_stop up)
stop_xdpgen_server "$TMP/s2.json"
echo "uploads: $corrupted segments corrupted; $(cat "$TMP/up.out")"
expect_match "uploads: the kernel client finished" "$(cat "$TMP/up.out")" 'uploaded=10 failed=0'
expect_eq "uploads: server completed" "$(json "$TMP/s2.json" .counters.completed)" 10
expect_eq "uploads: server failed" "$(json "$TMP/s2.json" .counters.failed)" 0
expect_eq "uploads: bytes received" "$(json "$TMP/s2.json" .counters.rx_bytes)" $((10 * MIB2))
expect_match "uploads: segments were corrupted" "$corrupted" '^[1-9][0-9]+ $'
expect_eq "uploads: every corrupted segment dropped for its checksum" \
  "$(json "$TMP/s2.json" .counters.rx_bad_csum)" "$corrupted"

# 3. Unchecked, the corrupted bytes reach the program.
serve 7003 --bytes "$MIB2" --wait-close
corrupt_start off
set +e
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7003 --recv "$MIB2" --verify -n 10 -c 4 --rx-csum off \
  --json "$TMP/c3.json" >"$TMP/c3.out" 2>&1
rc=$?
set -e
corrupted=$(corrupt_stop off)
expect_eq "--rx-csum off: exit status" "$rc" 1
expect_match "--rx-csum off: segments were corrupted" "$corrupted" '^[1-9][0-9]+ $'
expect_match "--rx-csum off: verify mismatches" "$(json "$TMP/c3.json" .counters.failed_by_cause.verify_mismatch)" '^[1-9]'
expect_eq "--rx-csum off: nothing checked" "$(json "$TMP/c3.json" .counters.rx_bad_csum)" 0
server_result 7003 >/dev/null

# 4. Checksums left to an offload, refused by --rx-csum on: the run says why.
peer ethtool -K "$IF_PEER" tx on >/dev/null
serve 7004 --bytes 1000 --wait-close
set +e
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7004 --recv 1000 -n 1 --connect-timeout 2 --rx-csum on \
  --json "$TMP/c4.json" >"$TMP/c4.out" 2>&1
rc=$?
set -e
cat "$TMP/c4.out"
expect_eq "offloaded, --rx-csum on: exit status" "$rc" 1
expect_eq "offloaded, --rx-csum on: the handshake timed out" "$(json "$TMP/c4.json" .counters.failed_by_cause.timeout)" 1
expect_match "offloaded, --rx-csum on: counted" "$(json "$TMP/c4.json" .counters.rx_csum_offloaded)" '^[1-9]'
expect_match "offloaded, --rx-csum on: the fix" "$(cat "$TMP/c4.out")" 'use --rx-csum auto'
server_result 7004 >/dev/null

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
