#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen server in the peer namespace against real clients in the generator
# namespace: curl gets the exact bytes (IPv4 and IPv6), wrk and ab get
# complete responses with no errors, a SYN flood from spoofed addresses is
# met with SYN cookies and bounded state while curl still gets its answer,
# and nothing is left attached afterwards.
# Usage: server.sh SYN_FLOOD
source "$(dirname "$0")/lib.sh"
FLOOD=$1

testbed_up
settle
head -c 100000 /dev/urandom >"$TMP/body"

bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" server -i "$IF_PEER" 198.18.0.2:8080 '[fd00:18::2]:8080' \
  --recv-http --http-body "$TMP/body" --syn-backlog 64 --connect-timeout 2 --json "$TMP/server.json" \
  >"$TMP/server.out" 2>&1
server=${BG_PIDS[-1]}
wait_for_line "$TMP/server.out" '^server on' 10

gen curl -s --max-time 5 -o "$TMP/got4" http://198.18.0.2:8080/ || fail "curl IPv4: $?"
cmp "$TMP/body" "$TMP/got4" || fail "curl IPv4: the body differs"
echo "ok: curl IPv4 got the 100,000-byte body exactly"
gen curl -s --max-time 5 -o "$TMP/got6" 'http://[fd00:18::2]:8080/' || fail "curl IPv6: $?"
cmp "$TMP/body" "$TMP/got6" || fail "curl IPv6: the body differs"
echo "ok: curl IPv6 got the body exactly"
# Keep-alive: curl reuses one connection for several URLs.
gen curl -s --max-time 5 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
  http://198.18.0.2:8080/a http://198.18.0.2:8080/b http://198.18.0.2:8080/c >"$TMP/ka"
expect_eq "curl keep-alive: new connections per request" "$(tr -d '\n' <"$TMP/ka")" "100"

gen timeout 30 wrk -t2 -c 20 -d 2s --timeout 2s http://198.18.0.2:8080/ >"$TMP/wrk.out" 2>&1 || fail "wrk: $(cat "$TMP/wrk.out")"
cat "$TMP/wrk.out"
expect_match "wrk: requests done" "$(cat "$TMP/wrk.out")" '[1-9][0-9]* requests in'
if grep -Eq 'Non-2xx|Socket errors' "$TMP/wrk.out"; then fail "wrk saw errors: $(cat "$TMP/wrk.out")"; fi

gen timeout 60 ab -q -n 2000 -c 20 http://198.18.0.2:8080/ >"$TMP/ab.out" 2>&1 || fail "ab: $(cat "$TMP/ab.out")"
expect_match "ab: complete requests" "$(cat "$TMP/ab.out")" 'Complete requests: +2000'
expect_match "ab: failed requests" "$(cat "$TMP/ab.out")" 'Failed requests: +0 '
expect_match "ab: body length" "$(cat "$TMP/ab.out")" 'Document Length: +100000 bytes'

# SYN flood: 200,000 SYNs from 198.18.2.0/24 (nobody's), while curl asks.
gen ip route add 198.18.2.0/24 dev "$IF_GEN" 2>/dev/null || true
bg gen timeout 60 "$FLOOD" "$IF_GEN" 02:00:c6:12:00:02 198.18.2.0 198.18.0.2 8080 200000 >"$TMP/flood.out" 2>&1
flood=${BG_PIDS[-1]}
ok=0
for i in 1 2 3 4 5; do
  if gen curl -s --max-time 5 -o "$TMP/gotf" http://198.18.0.2:8080/ && cmp -s "$TMP/body" "$TMP/gotf"; then ok=$((ok + 1)); else echo "curl $i during the flood: exit $?"; fi
done
wait "$flood" || fail "flood: $(cat "$TMP/flood.out")"
expect_eq "curl answered during the flood (of 5)" "$ok" 5
expect_eq "flood sent" "$(cat "$TMP/flood.out")" "sent=200000"

# The half-open flows time out (--connect-timeout 2): the live line shows none open.
wait_for_line "$TMP/server.out" ' open +0 ' 10
kill -INT "$server"
wait "$server" || fail "server exited with $?: $(tail -3 "$TMP/server.out")"
cat "$TMP/server.out" | tail -4
expect_match "server: SYN cookies sent" "$(json "$TMP/server.json" .counters.syn_cookies_sent)" '^[1-9]'
(( $(json "$TMP/server.json" .counters.accepted) < 200000 )) || fail "server kept a flow per flood SYN"
expect_eq "server: no flow left open" "$(json "$TMP/server.json" .counters.open_at_end)" 0
expect_eq "server: result" "$(json "$TMP/server.json" .result)" ok
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
