#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Source ranges the generator's interface does not carry (198.18.1.10-.20,
# fd00:19::10-::20): the peer reaches them through an on-link route, so its
# kernel asks ARP / neighbour solicitation for each address, and only the
# steering program can answer. Every connection completes, the peer's
# neighbour table holds the generator's MAC for each address, and nothing
# stays attached.
# Usage: neigh_answer.sh PATTERN_SERVER
source "$(dirname "$0")/lib.sh"
SERVER=$1

testbed_up
# The answers leave the generator's veth as XDP frames (a redirect to
# itself), which the peer end takes only with GRO on or an XDP program.
peer ethtool -K "$IF_PEER" gro on >/dev/null
peer ip route add 198.18.1.0/24 dev "$IF_PEER"
peer ip -6 route add fd00:19::/64 dev "$IF_PEER"
settle
GEN_MAC=$(gen cat "/sys/class/net/$IF_GEN/address")
expect_eq "the generator's kernel owns none of the ranges" \
  "$(gen ip addr show dev "$IF_GEN" | grep -cE '198\.18\.1\.|fd00:19:' || true)" 0

expect_at_least() { # expect_at_least WHAT ACTUAL MIN
  [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3)) || fail "$1: got '$2', expected at least $3"
  echo "ok: $1 = $2 (at least $3)"
}
serve() { # serve NAME ADDR:PORT
  bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$SERVER" --listen "$2" --bytes 1000 >"$TMP/$1.out" 2>&1
  wait_for_line "$TMP/$1.out" '^ready' 10
}
# Entries of the peer's neighbour table on the test link with the
# generator's MAC, one address per line, for the addresses matching REGEX.
peer_neigh_gen() { # peer_neigh_gen FAMILY REGEX
  peer ip "-$1" neigh show dev "$IF_PEER" |
    awk -v mac="$GEN_MAC" -v re="$2" '$1 ~ re && $2 == "lladdr" && $3 == mac { print $1 }' | sort | tr '\n' ' '
}
# The addresses printf FORMAT makes of FIRST..LAST, in the same order.
addr_list() { # addr_list FORMAT FIRST LAST
  local i
  for ((i = $2; i <= $3; i++)); do printf "$1\n" "$i"; done | sort | tr '\n' ' '
}

run() { # run NAME SRC TARGET ADDRS
  local name=$1 src=$2 target=$3 addrs=$4
  gen timeout 60 "$XDPGEN" client -i "$IF_GEN" "$target" --src-addr "$src" --recv 1000 --verify \
    -n 220 -c 22 --quiet --json "$TMP/$name.json" >"$TMP/$name.out" 2>&1 ||
    fail "client ($name) exited with $?: $(cat "$TMP/$name.out")"
  expect_eq "$name: completed" "$(json "$TMP/$name.json" .counters.completed)" 220
  expect_eq "$name: failed" "$(json "$TMP/$name.json" .counters.failed)" 0
  expect_eq "$name: addresses used" "$(json "$TMP/$name.json" .config.src_addrs)" "$addrs"
  expect_eq "$name: nothing attached after the run" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
}

# IPv4: at least one ARP answer per address (the client uses them all).
serve s4 198.18.0.2:7020
run v4 198.18.1.10-198.18.1.20 198.18.0.2:7020 11
expect_at_least "v4: ARP requests answered" "$(json "$TMP/v4.json" .steering.arp_replies)" 11
expect_eq "v4: neighbour solicitations answered" "$(json "$TMP/v4.json" .steering.na_replies)" 0
expect_eq "v4: the peer resolved every address to the generator's MAC" \
  "$(peer_neigh_gen 4 '^198\\.18\\.1\\.')" "$(addr_list 198.18.1.%d 10 20)"

# IPv6: the same through neighbour discovery.
serve s6 '[fd00:18::2]:7020'
run v6 fd00:19::10-fd00:19::20 '[fd00:18::2]:7020' 17
expect_at_least "v6: neighbour solicitations answered" "$(json "$TMP/v6.json" .steering.na_replies)" 17
expect_eq "v6: ARP requests answered" "$(json "$TMP/v6.json" .steering.arp_replies)" 0
expect_eq "v6: the peer resolved every address to the generator's MAC" \
  "$(peer_neigh_gen 6 '^fd00:19::')" "$(addr_list fd00:19::%x 16 32)"

# A server on addresses its interface lacks: the generator side's kernel
# (curl) reaches them through on-link routes, resolving them by ARP / NDP.
gen ethtool -K "$IF_GEN" gro on >/dev/null  # the answers arrive as XDP frames here too
gen ip route add 198.18.2.0/24 dev "$IF_GEN"
gen ip -6 route add fd00:1a::/64 dev "$IF_GEN"
PEER_MAC=$(peer cat "/sys/class/net/$IF_PEER/address")
bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" server -i "$IF_PEER" 198.18.2.7:8080 '[fd00:1a::7]:8080' \
  --recv-http --http-body-size 1234 --quiet --json "$TMP/srv.json" >"$TMP/srv.out" 2>&1
wait_for_line "$TMP/srv.out" '^server on' 10
expect_eq "server: curl IPv4 gets the body" "$(gen curl -s --max-time 10 http://198.18.2.7:8080/ | wc -c)" 1234
expect_eq "server: curl IPv6 gets the body" "$(gen curl -s --max-time 10 'http://[fd00:1a::7]:8080/' | wc -c)" 1234
expect_eq "server: the client side resolved 198.18.2.7 to the server's MAC" \
  "$(gen ip -4 neigh show 198.18.2.7 dev "$IF_GEN" | awk '{print $3}')" "$PEER_MAC"
expect_eq "server: the client side resolved fd00:1a::7 to the server's MAC" \
  "$(gen ip -6 neigh show fd00:1a::7 dev "$IF_GEN" | awk '{print $3}')" "$PEER_MAC"
pkill -INT -f "^$XDPGEN server -i $IF_PEER " || true
for ((i = 0; i < 100; i++)); do [[ -s $TMP/srv.json ]] && break; sleep 0.1; done
expect_eq "server: ARP requests answered" "$(json "$TMP/srv.json" '.steering.arp_replies >= 1')" true
expect_eq "server: neighbour solicitations answered" "$(json "$TMP/srv.json" '.steering.na_replies >= 1')" true
expect_eq "server: connections completed" "$(json "$TMP/srv.json" .counters.completed)" 2

# With the generator gone, nobody answers for the ranges any more.
peer ip neigh flush dev "$IF_PEER" to 198.18.1.0/24
if peer ping -c1 -W1 198.18.1.15 >/dev/null 2>&1; then fail "198.18.1.15 answers with xdpgen gone"; fi
echo "ok: 198.18.1.15 unanswered with xdpgen gone"
