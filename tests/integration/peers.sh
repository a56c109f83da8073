#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The kernel peers of tests/peers against each other, then under the loss
# injector: xg_epoll_client's connections to xg_pattern_server all complete
# over IPv4 and IPv6 with the pattern checked both ways; with every TCP
# packet dropped they time out while ARP, ND and ping still work; with 5%
# loss TCP recovers and every byte still checks; xg_loss leaves no XDP
# program, tc filter or qdisc of its own behind.
# Usage: peers.sh [XG_PATTERN_SERVER XG_EPOLL_CLIENT XG_LOSS]
source "$(dirname "$0")/lib.sh"
SERVER=${1:-$ROOT/build/tests/peers/xg_pattern_server}
CLIENT=${2:-$ROOT/build/tests/peers/xg_epoll_client}
LOSS=${3:-$ROOT/build/tests/peers/xg_loss}
for b in "$SERVER" "$CLIENT" "$LOSS"; do [[ -x $b ]] || fail "no executable $b: build first"; done

NS_PEER=${PREFIX}peer NS_GEN=${PREFIX}gen
# The first 100 bytes of the stream pattern (include/xdpgen/pattern.h: below
# 64 KiB, byte i is i % 251) as the client's escapes.
PATTERN_REQ=$(printf '\\x%02x' $(seq 0 99))
HTTP_REQ='GET / HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n'

kv() { # kv FILE KEY -> N from "KEY=N" on the file's last line
  tail -n1 "$1" | grep -Eo "(^| )$2=[0-9]+" | cut -d= -f2
}

# Starts a tool in the peer namespace (bounded by timeout); its pid in LAST_PID.
peer_start() { # peer_start NAME CMD ARGS...
  local name=$1; shift
  bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$@" >"$TMP/$name.out" 2>&1
  LAST_PID=${BG_PIDS[-1]}
  wait_for_line "$TMP/$name.out" '^ready$' 10
}

# SIGTERM (timeout passes it on to the tool), then the tool must end with 0.
peer_stop() { # peer_stop PID NAME
  local rc
  kill -TERM "$1"
  set +e; wait "$1"; rc=$?; set -e
  expect_eq "$2: exit status after SIGTERM" "$rc" 0
}

# Under loss the client may be done while its last FIN is still being
# retransmitted: wait (bounded) until the server has no connection left
# short of TIME-WAIT before reading its counters.
server_idle() { # server_idle PORT SECONDS
  local i n=0
  for ((i = 0; i < $2 * 10; i++)); do
    n=$(ip netns exec "$NS_PEER" ss -Htn state established state syn-recv state fin-wait-1 state fin-wait-2 \
      state close-wait state last-ack state closing "( sport = :$1 )" | wc -l)
    [[ $n == 0 ]] && return 0
    sleep 0.1
  done
  fail "the server still has $n connection(s) on port $1 after $2 s"
}

# Runs the client in the gen namespace; its JSON in $TMP/NAME.json.
client() { # client NAME ARGS...
  local name=$1; shift
  gen timeout 60 "$CLIENT" "$@" >"$TMP/$name.json"
  echo "$name: $(cat "$TMP/$name.json")"
}

tc_filters() { tc -n "$NS_PEER" filter show dev "$IF_PEER" egress; }
has_clsact() { tc -n "$NS_PEER" qdisc show dev "$IF_PEER" | grep -c clsact || true; }

testbed_up
gen ping -c1 -W2 198.18.0.2 >/dev/null
gen ping -c1 -W2 fd00:18::2 >/dev/null

echo "== IPv4: 2,000 connections, the pattern checked both ways"
peer_start srv4 "$SERVER" --listen 198.18.0.2:8080 --read 100 --bytes 10000
client c4 --connect 198.18.0.2:8080 --request "$PATTERN_REQ" --concurrency 50 --connections 2000 --duration 30
expect_eq "client: connections" "$(json "$TMP/c4.json" .connections)" 2000
expect_eq "client: failed" "$(json "$TMP/c4.json" .failed)" 0
expect_eq "client: bytes received" "$(json "$TMP/c4.json" .bytes_in)" 20000000
server_idle 8080 10
peer_stop "$LAST_PID" "server"
cat "$TMP/srv4.out"
expect_eq "server: accepted" "$(kv "$TMP/srv4.out" accepted)" 2000
expect_eq "server: completed" "$(kv "$TMP/srv4.out" completed)" 2000
expect_eq "server: verify errors" "$(kv "$TMP/srv4.out" verify_errors)" 0
expect_eq "server: bytes in" "$(kv "$TMP/srv4.out" bytes_in)" 200000
expect_eq "server: resets" "$(kv "$TMP/srv4.out" resets)" 0
expect_eq "server: open" "$(kv "$TMP/srv4.out" open)" 0

echo "== IPv6: 2,000 HTTP-like connections from 2 threads"
peer_start srv6 "$SERVER" --listen '[fd00:18::2]:8081' --bytes 1000 --close-first
client c6 --connect '[fd00:18::2]:8081' --request "$HTTP_REQ" --concurrency 50 --threads 2 --connections 2000 --duration 30
expect_eq "client: connections" "$(json "$TMP/c6.json" .connections)" 2000
expect_eq "client: failed" "$(json "$TMP/c6.json" .failed)" 0
expect_eq "client: bytes received" "$(json "$TMP/c6.json" .bytes_in)" 2000000
server_idle 8081 10
peer_stop "$LAST_PID" "server"
cat "$TMP/srv6.out"
expect_eq "server: completed" "$(kv "$TMP/srv6.out" completed)" 2000
expect_eq "server: verify errors" "$(kv "$TMP/srv6.out" verify_errors)" 0
expect_eq "server: open" "$(kv "$TMP/srv6.out" open)" 0

echo "== the server notices a request that is not the pattern"
peer_start srvbad "$SERVER" --listen 198.18.0.2:8082 --read 16 --bytes 100
client cbad --connect 198.18.0.2:8082 --request "$HTTP_REQ" --concurrency 5 --connections 20 --duration 30
server_idle 8082 10
peer_stop "$LAST_PID" "server"
cat "$TMP/srvbad.out"
expect_eq "server: verify errors" "$(kv "$TMP/srvbad.out" verify_errors)" 20

echo "== every TCP packet dropped: connections time out, ARP, ND and ping get through"
peer_start srvdead "$SERVER" --listen 198.18.0.2:8083 --bytes 100
DEAD_PID=$LAST_PID
peer_start loss1000 "$LOSS" "$IF_PEER" 1000 --tcp-only
expect_match "XDP on $IF_PEER" "$(xdp_attached "$NS_PEER" "$IF_PEER")" '^xdp(drv)? ?$'
expect_match "tc egress filter on $IF_PEER" "$(tc_filters)" 'xg_loss_out'
ip -n "$NS_GEN" neigh flush dev "$IF_GEN"
ip -n "$NS_PEER" neigh flush dev "$IF_PEER"
gen ping -c1 -W2 198.18.0.2 >/dev/null || fail "ping (and ARP) over IPv4 through the loss injector"
gen ping -c1 -W2 fd00:18::2 >/dev/null || fail "ping (and ND) over IPv6 through the loss injector"
echo "ok: ARP, ND and ping pass at 1000 permille with --tcp-only"
client cdead --connect 198.18.0.2:8083 --request "$HTTP_REQ" --concurrency 20 --duration 6.5
expect_eq "client: connections" "$(json "$TMP/cdead.json" .connections)" 0
failed=$(json "$TMP/cdead.json" .failed)
[[ $failed -ge 20 ]] || fail "client: $failed failed connections, expected the 20 in flight to time out"
expect_eq "client: all failures are timeouts" "$(json "$TMP/cdead.json" .failures.timeout)" "$failed"
peer_stop "$LAST_PID" "xg_loss 1000"
cat "$TMP/loss1000.out"
seen=$(kv "$TMP/loss1000.out" seen_in)
[[ $seen -gt 0 ]] || fail "xg_loss saw no TCP packet"
expect_eq "xg_loss: every TCP packet received dropped" "$(kv "$TMP/loss1000.out" dropped_in)" "$seen"
expect_eq "XDP on $IF_PEER after xg_loss" "$(xdp_attached "$NS_PEER" "$IF_PEER")" ""
expect_eq "tc egress filters on $IF_PEER after xg_loss" "$(tc_filters)" ""
expect_eq "clsact qdisc xg_loss made, after it" "$(has_clsact)" 0
peer_stop "$DEAD_PID" "server"
expect_eq "server: accepted" "$(kv "$TMP/srvdead.out" accepted)" 0

echo "== 5% loss both ways: TCP recovers, every byte still checks"
# A clsact qdisc that was there before must stay: only the filter is xg_loss's.
tc -n "$NS_PEER" qdisc add dev "$IF_PEER" clsact
peer_start srvloss "$SERVER" --listen 198.18.0.2:8084 --read 100 --bytes 10000
SRV_PID=$LAST_PID
peer_start loss50 "$LOSS" "$IF_PEER" 50 --tcp-only
# SYNs back off 1, 2, 4, 8 s: the timeout lets a SYN be lost four times.
client closs --connect 198.18.0.2:8084 --request "$PATTERN_REQ" --concurrency 50 --connections 1000 --timeout 20 \
  --duration 40
expect_eq "client: connections" "$(json "$TMP/closs.json" .connections)" 1000
expect_eq "client: failed" "$(json "$TMP/closs.json" .failed)" 0
expect_eq "client: bytes received" "$(json "$TMP/closs.json" .bytes_in)" 10000000
server_idle 8084 20
peer_stop "$LAST_PID" "xg_loss 50"
cat "$TMP/loss50.out"
[[ $(kv "$TMP/loss50.out" dropped_in) -gt 0 ]] || fail "xg_loss dropped nothing on ingress"
[[ $(kv "$TMP/loss50.out" dropped_out) -gt 0 ]] || fail "xg_loss dropped nothing on egress"
echo "ok: xg_loss dropped on both sides"
peer_stop "$SRV_PID" "server"
cat "$TMP/srvloss.out"
expect_eq "server: completed" "$(kv "$TMP/srvloss.out" completed)" 1000
expect_eq "server: verify errors" "$(kv "$TMP/srvloss.out" verify_errors)" 0
expect_eq "server: open" "$(kv "$TMP/srvloss.out" open)" 0
expect_eq "XDP on $IF_PEER after xg_loss" "$(xdp_attached "$NS_PEER" "$IF_PEER")" ""
expect_eq "tc egress filters on $IF_PEER after xg_loss" "$(tc_filters)" ""
expect_eq "clsact qdisc that was there before, after xg_loss" "$(has_clsact)" 1
