#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Set-up problems end in one clear sentence and exit 2, never a hang; the
# destination MAC is resolved from the neighbour table, also when it is missing.
source "$(dirname "$0")/lib.sh"

testbed_up
peer ethtool -K "$IF_PEER" gro on >/dev/null

# Neighbour missing: xdpgen has the kernel resolve it (ARP, then NDP).
gen ip neigh flush dev "$IF_GEN"
gen timeout 20 "$XDPGEN" udp --quiet -a 198.18.0.2 -n 10 --json "$TMP/v4.json" "$IF_GEN" >/dev/null
expect_eq "resolved IPv4 neighbour MAC" "$(json "$TMP/v4.json" .config.dst_mac)" 02:00:c6:12:00:02
gen ip -6 neigh flush dev "$IF_GEN"
gen timeout 20 "$XDPGEN" udp --quiet -a fd00:18::2 -n 10 --json "$TMP/v6.json" "$IF_GEN" >/dev/null
expect_eq "resolved IPv6 neighbour MAC" "$(json "$TMP/v6.json" .config.dst_mac)" 02:00:c6:12:00:02
expect_eq "default source address (IPv6)" "$(json "$TMP/v6.json" .config.src_addr)" fd00:18::1

check_setup_error() { # check_setup_error REGEX CMD...
  local regex=$1; shift
  set +e
  timeout 20 "$@" >"$TMP/o" 2>"$TMP/e"
  local rc=$?
  set -e
  expect_eq "exit status of: ${*:4}" "$rc" 2
  expect_match "message of: ${*:4}" "$(cat "$TMP/e")" "$regex"
}
# Nobody answers ARP for .99: clear error naming the fix, within the resolve timeout.
check_setup_error 'no ARP answer from 198.18.0.99 on .*--dst-mac' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.99 -n 10 "$IF_GEN"
check_setup_error 'source fd00:18::1 and destination 198.18.0.2 are not of the same family' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -A fd00:18::1 -a 198.18.0.2 -n 10 "$IF_GEN"
check_setup_error 'interface nosuch0 does not exist' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.2 nosuch0
check_setup_error 'packet size 40 is too small' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.2 -s 40 "$IF_GEN"
check_setup_error 'exceeds the MTU' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.2 -s 9000 "$IF_GEN"
check_setup_error 'one sending thread per CPU' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.2 -t 200 "$IF_GEN"
gen ip link set "$IF_GEN" down
check_setup_error "interface $IF_GEN is down.*ip link set dev $IF_GEN up" \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" udp -a 198.18.0.2 "$IF_GEN"
gen ip link set "$IF_GEN" up

# An XDP program already on the interface: the sink says so instead of replacing it.
bg timeout 30 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink --duration 20 "$IF_PEER" >"$TMP/s1" 2>&1
wait_for_line "$TMP/s1" '^sink on' 10
check_setup_error 'another XDP program is attached' \
  "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" sink --duration 1 "$IF_PEER"

# The client: zero-copy asked for on a driver without it, a missing neighbour,
# another XDP program on the interface; nothing of ours left attached.
check_setup_error 'zero-copy.*--zero-copy' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" client -i "$IF_GEN" --zero-copy on -n 1 198.18.0.2:80
check_setup_error 'no ARP answer from 198.18.0.99 on .*--dst-mac' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" client -i "$IF_GEN" -n 1 198.18.0.99:80
expect_eq "client: no XDP left after set-up errors" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
bg timeout 30 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" sink --duration 20 "$IF_GEN" >"$TMP/s2" 2>&1
wait_for_line "$TMP/s2" '^sink on' 10
check_setup_error 'another XDP program is attached' \
  "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" client -i "$IF_GEN" -n 1 198.18.0.2:80
