#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Servers that end keep-alive connections: nginx after keepalive_requests
# (it says "Connection: close" on the last response) and Python's HTTP/1.0
# server (every response ends its connection). As with wrk, the request is
# done and the program's next requests go on over a new connection: no
# failures, and the requests the servers log equal the requests made.
# Usage: http_server_close.sh LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
LOSS=$1

testbed_up
settle
nginx_start --keepalive-requests 3
base=$(nginx_requests)
logged() { (( $(nginx_requests) - base >= $1 )); }

# 20 programs of 10 requests; nginx closes after each 3rd: 3+3+3+1, so each
# program closes 3 times and goes on 3 times.
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --requests-per-connection 10 \
  -n 20 -c 5 --quiet --json "$TMP/k3.json" >"$TMP/k3.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/k3.out")"
cat "$TMP/k3.out"
expect_eq "keepalive_requests 3: completed" "$(json "$TMP/k3.json" .counters.completed)" 20
expect_eq "keepalive_requests 3: failed" "$(json "$TMP/k3.json" .counters.failed)" 0
expect_eq "keepalive_requests 3: responses" "$(json "$TMP/k3.json" .counters.http_responses)" 200
expect_eq "keepalive_requests 3: connections the server closed" "$(json "$TMP/k3.json" .counters.server_closed)" 60
expect_eq "keepalive_requests 3: connections made" "$(json "$TMP/k3.json" .counters.established)" 80
expect_match "keepalive_requests 3: the summary says so" "$(cat "$TMP/k3.out")" \
  'http: 200 responses, 60 keep-alive connections closed by the server'
wait_until 5 "nginx logs 200 requests" logged 200
expect_eq "nginx access log: requests" "$(( $(nginx_requests) - base ))" 200
expect_eq "nginx: all answered 200" "$(tail -n 200 "$TMP/nginx/access.log" | grep -c '" 200 ')" 200

# The same under 5% loss both ways on the peer: every program still ends
# with all its requests answered, none twice (nginx logs each once).
bg "$TESTBED" --prefix "$PREFIX" exec peer "$LOSS" "$IF_PEER" 50 --tcp-only >"$TMP/loss.out" 2>&1
wait_for_line "$TMP/loss.out" '^ready' 10
base=$(nginx_requests)
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --requests-per-connection 10 \
  -n 50 -c 10 --quiet --json "$TMP/k3loss.json" >"$TMP/k3loss.out" 2>&1 ||
  fail "client under loss exited with $?: $(cat "$TMP/k3loss.out")"
pkill -TERM -f "^$LOSS " || true
wait_for_line "$TMP/loss.out" '^seen_in=' 10
expect_match "loss: packets were dropped" "$(cat "$TMP/loss.out")" 'dropped_in=[1-9]'
expect_eq "under loss: completed" "$(json "$TMP/k3loss.json" .counters.completed)" 50
expect_eq "under loss: failed" "$(json "$TMP/k3loss.json" .counters.failed)" 0
expect_eq "under loss: responses" "$(json "$TMP/k3loss.json" .counters.http_responses)" 500
expect_eq "under loss: connections the server closed" "$(json "$TMP/k3loss.json" .counters.server_closed)" 150
wait_until 10 "nginx logs 500 requests" logged 500
expect_eq "under loss: nginx's log" "$(( $(nginx_requests) - base ))" 500
nginx_stop

# The case from the issue: nginx's default keepalive_requests (1000) and
# 1500 requests per connection.
nginx_start --keepalive-requests 1000
base=$(nginx_requests)
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --requests-per-connection 1500 \
  -n 20 -c 20 --quiet --json "$TMP/k1000.json" >"$TMP/k1000.out" 2>&1 ||
  fail "client exited with $?: $(cat "$TMP/k1000.out")"
expect_eq "keepalive_requests 1000: completed" "$(json "$TMP/k1000.json" .counters.completed)" 20
expect_eq "keepalive_requests 1000: failed" "$(json "$TMP/k1000.json" .counters.failed)" 0
expect_eq "keepalive_requests 1000: responses" "$(json "$TMP/k1000.json" .counters.http_responses)" 30000
expect_eq "keepalive_requests 1000: server closes" "$(json "$TMP/k1000.json" .counters.server_closed)" 20
wait_until 10 "nginx logs 30000 requests" logged 30000
expect_eq "nginx access log: requests" "$(( $(nginx_requests) - base ))" 30000
nginx_stop

# Python's http.server speaks HTTP/1.0: each response ends its connection.
mkdir -p "$TMP/py10"
printf 'hello from python\n' >"$TMP/py10/index.html"
bg timeout 120 "$TESTBED" --prefix "$PREFIX" exec peer python3 -m http.server 8080 --bind 198.18.0.2 \
  --directory "$TMP/py10" >"$TMP/py10.log" 2>&1
up() { peer curl -s -o /dev/null --max-time 1 http://198.18.0.2:8080/index.html; }
wait_until 10 "python's HTTP/1.0 server answers" up
base=$(grep -c '" 200 ' "$TMP/py10.log" || true)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --http /index.html --requests-per-connection 4 \
  -n 25 -c 5 --quiet --json "$TMP/py.json" >"$TMP/py.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/py.out")"
expect_eq "HTTP/1.0: completed" "$(json "$TMP/py.json" .counters.completed)" 25
expect_eq "HTTP/1.0: failed" "$(json "$TMP/py.json" .counters.failed)" 0
expect_eq "HTTP/1.0: responses" "$(json "$TMP/py.json" .counters.http_responses)" 100
expect_eq "HTTP/1.0: server closes" "$(json "$TMP/py.json" .counters.server_closed)" 75
py_logged() { (( $(grep -c '" 200 ' "$TMP/py10.log") - base >= 100 )); }
wait_until 5 "python logs 100 requests" py_logged
expect_eq "python's log: requests" "$(( $(grep -c '" 200 ' "$TMP/py10.log") - base ))" 100

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
