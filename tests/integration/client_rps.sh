#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client --rps against nginx: requests go out on a fixed schedule
# (open loop, as wrk2 -R) over keep-alive connections. The rate holds
# within 2% over 10 s by nginx's own log; a server that stalls for 1 s shows
# in the p99 because each request's latency counts from when it was due
# (a closed-loop tester such as wrk sends nothing during the stall and
# misses it).
source "$(dirname "$0")/lib.sh"

testbed_up
settle
nginx_start
base=$(nginx_requests)
logged() { (( $(nginx_requests) - base >= $1 )); }

# 2000 requests per second for 10 s over 20 connections.
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --rps 2000 -c 20 -d 10 --quiet \
  --json "$TMP/r1.json" >"$TMP/r1.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/r1.out")"
cat "$TMP/r1.out"
sent=$(json "$TMP/r1.json" .counters.requests_sent)
expect_eq "rps: failed" "$(json "$TMP/r1.json" .counters.failed)" 0
expect_eq "rps: connections completed (each closed once the run ended)" "$(json "$TMP/r1.json" .counters.completed)" 20
expect_eq "rps: responses = requests sent" "$(json "$TMP/r1.json" .counters.http_responses)" "$sent"
(( sent >= 19600 && sent <= 20400 )) || fail "rps: $sent requests in 10 s, not 20000 within 2%"
wait_until 5 "nginx logs the requests" logged "$sent"
expect_eq "nginx access log: requests" "$(( $(nginx_requests) - base ))" "$sent"
expect_eq "rps: request latencies, one per response" "$(json "$TMP/r1.json" .latency.request.samples)" "$sent"
expect_eq "rps: send lags, one per request" "$(json "$TMP/r1.json" .latency.send_lag.samples)" "$sent"
p50=$(json "$TMP/r1.json" .latency.request.p50_ns)
lag50=$(json "$TMP/r1.json" .latency.send_lag.p50_ns)
(( p50 < 20000000 )) || fail "rps: request p50 $p50 ns on an idle nginx"
(( p50 > lag50 )) || fail "rps: request p50 $p50 ns not above the send lag's $lag50 ns: the response time is missing"
base=$(nginx_requests)

# nginx stalls for 1 s (SIGSTOP to its worker) in the middle of an 8 s run
# at 1000 requests per second: about 1 request in 8 was due during the
# stall and waited for it, up to 1 s, so p99 lands near 0.9 s.
bg gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --rps 1000 -c 20 -d 8 --quiet \
  --json "$TMP/r2.json" >"$TMP/r2.out" 2>&1
client=${BG_PIDS[-1]}
wait_until 10 "requests flow" logged 2000
worker=$(pgrep -P "$(cat "$TMP/nginx/nginx.pid")" | head -n1)  # this test's nginx, not another's
[[ -n $worker ]] || fail "no nginx worker to stall"
kill -STOP "$worker"
sleep 1  # the stall itself, not synchronisation
kill -CONT "$worker"
wait "$client" || fail "stalled run: client exited with $?: $(cat "$TMP/r2.out")"
cat "$TMP/r2.out"
expect_eq "stall: failed" "$(json "$TMP/r2.json" .counters.failed)" 0
p99=$(json "$TMP/r2.json" .latency.request.p99_ns)
p50=$(json "$TMP/r2.json" .latency.request.p50_ns)
max=$(json "$TMP/r2.json" .latency.request.max_ns)
(( p99 >= 800000000 && p99 <= 1500000000 )) || fail "stall: request p99 $p99 ns, expected about 0.9 s"
(( max >= 900000000 )) || fail "stall: the longest request $max ns, far less than the 1 s stall"
(( p50 < 50000000 )) || fail "stall: p50 $p50 ns: most requests were not due during the stall"
lag=$(json "$TMP/r2.json" .latency.send_lag.max_ns)
(( lag >= 500000000 )) || fail "stall: the send lag ($lag ns max) does not show the requests that waited"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
