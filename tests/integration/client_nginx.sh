#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client against nginx from Debian on the peer side: every GET is
# answered completely, nginx's own access log counts exactly the requests
# made, keep-alive works, IPv6 works, and the kernel keeps answering ping on
# the generator's interface during a run.
source "$(dirname "$0")/lib.sh"

testbed_up
settle
nginx_start
base=$(nginx_requests)  # nginx_start's own probe requests

# 10,000 connections, one GET each.
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html -n 10000 -c 200 --quiet \
  --json "$TMP/c1.json" >"$TMP/c1.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/c1.out")"
cat "$TMP/c1.out"
expect_eq "GET: completed" "$(json "$TMP/c1.json" .counters.completed)" 10000
expect_eq "GET: failed" "$(json "$TMP/c1.json" .counters.failed)" 0
expect_eq "GET: result" "$(json "$TMP/c1.json" .result)" ok
expect_eq "GET: bytes received = 10000 responses" \
  "$(( $(json "$TMP/c1.json" .counters.rx_bytes) % 10000 ))" 0
# nginx writes its log line after the response.
logged() { (( $(nginx_requests) - base >= $1 )); }
wait_until 5 "nginx logs 10000 requests" logged 10000
expect_eq "nginx access log: requests" "$(( $(nginx_requests) - base ))" 10000
expect_eq "nginx: all answered 200" "$(tail -n 10000 "$TMP/nginx/access.log" | grep -c '" 200 ')" 10000
base=$(nginx_requests)

# Keep-alive: 1,000 connections x 10 requests; ping the generator meanwhile.
bg peer ping -c 20 -i 0.05 -W 1 198.18.0.1 >"$TMP/ping.out" 2>&1
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --requests-per-connection 10 \
  -n 1000 -c 100 --quiet --json "$TMP/c2.json" >"$TMP/c2.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/c2.out")"
expect_eq "keep-alive: completed" "$(json "$TMP/c2.json" .counters.completed)" 1000
expect_eq "keep-alive: failed" "$(json "$TMP/c2.json" .counters.failed)" 0
wait_until 5 "nginx logs 10000 keep-alive requests" logged 10000
expect_eq "nginx access log: keep-alive requests" "$(( $(nginx_requests) - base ))" 10000
wait "${BG_PIDS[-1]}" || true
expect_match "ping to the generator during the run" "$(cat "$TMP/ping.out")" ' 0% packet loss'
base=$(nginx_requests)

# IPv6.
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" '[fd00:18::2]:80' --http /index.html -n 2000 -c 100 --quiet \
  --json "$TMP/c3.json" >"$TMP/c3.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/c3.out")"
expect_eq "IPv6: completed" "$(json "$TMP/c3.json" .counters.completed)" 2000
expect_eq "IPv6: failed" "$(json "$TMP/c3.json" .counters.failed)" 0
wait_until 5 "nginx logs 2000 IPv6 requests" logged 2000
expect_eq "nginx access log: IPv6 requests" "$(( $(nginx_requests) - base ))" 2000
expect_match "IPv6: client address in the log" "$(tail -n1 "$TMP/nginx/access.log")" '^fd00:18::1 '

# A wrong status is a failure with its cause, and the run stops at once.
base=$(nginx_requests)
set +e
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /missing -n 1000 -c 10 --quiet \
  --json "$TMP/c4.json" >"$TMP/c4.out" 2>&1
rc=$?
set -e
expect_eq "404: exit status" "$rc" 1
expect_match "404: failure cause" "$(json "$TMP/c4.json" .counters.failed_by_cause.http_status)" '^[1-9]'
expect_match "404: reason on the last line" "$(tail -n1 "$TMP/c4.out")" 'FAILED: .*HTTP status'

# A URL as the target (its path, query and Host), -H headers that replace
# ours (User-Agent) or add to them (Referer): nginx logs both with the path.
base=$(nginx_requests)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" "http://198.18.0.2/index.html?x=1" -n 100 -c 10 --quiet \
  -H "User-Agent: xg-agent/1" -H "Referer: xg-ref" --json "$TMP/u1.json" >"$TMP/u1.out" 2>&1 ||
  fail "URL client exited with $?: $(cat "$TMP/u1.out")"
expect_eq "URL: completed" "$(json "$TMP/u1.json" .counters.completed)" 100
wait_until 5 "nginx logs 100 URL requests" logged 100
expect_eq "URL: nginx lines with the path and both header values" \
  "$(tail -n 100 "$TMP/nginx/access.log" | grep -c '"GET /index.html?x=1 HTTP/1.1" 200 .* "xg-ref" "xg-agent/1"')" 100

# A body makes a POST (with Content-Length): nginx answers a static file's
# POST with 405, which --expect-status accepts.
base=$(nginx_requests)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" "http://198.18.0.2/index.html" -n 50 -c 10 --quiet --body 'a=1&b=2' \
  --expect-status 405 --json "$TMP/u2.json" >"$TMP/u2.out" 2>&1 || fail "POST client exited with $?: $(cat "$TMP/u2.out")"
expect_eq "POST: completed" "$(json "$TMP/u2.json" .counters.completed)" 50
wait_until 5 "nginx logs 50 POSTs" logged 50
expect_eq "POST: nginx lines" "$(tail -n 50 "$TMP/nginx/access.log" | grep -c '"POST /index.html HTTP/1.1" 405 ')" 50
# nginx logs the head it read ($request_length: it answers 405 without
# reading the body) and the Content-Length: together, the bytes xdpgen sent.
sent=$(json "$TMP/u2.json" .config.program | grep -oE '^send [0-9]+' | grep -oE '[0-9]+')
expect_eq "POST: Content-Length in nginx's log" "$(tail -n 50 "$TMP/nginx/access.log" | awk '{print $NF}' | sort -u)" 7
expect_eq "POST: head + body in nginx's log = the bytes sent" \
  "$(tail -n 50 "$TMP/nginx/access.log" | awk '{print $(NF-1) + $NF}' | sort -u)" "$sent"

# --urls: each connection requests one line of the file, in turn or at
# random with a seed (the same seed, the same choices).
printf '/index.html?u=1\n# a comment\n\nhttp://198.18.0.2/index.html?u=2\n/index.html?u=3\n' >"$TMP/urls"
per_url() { tail -n "$1" "$TMP/nginx/access.log" | grep -o 'GET /index.html?u=[0-9]' | sort | uniq -c | awk '{print $1}' | paste -sd' '; }
base=$(nginx_requests)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --urls "$TMP/urls" -n 300 -c 10 --quiet \
  --json "$TMP/l1.json" >"$TMP/l1.out" 2>&1 || fail "--urls client exited with $?: $(cat "$TMP/l1.out")"
expect_eq "--urls: completed" "$(json "$TMP/l1.json" .counters.completed)" 300
wait_until 5 "nginx logs 300 --urls requests" logged 300
expect_eq "--urls round-robin: requests per URL" "$(per_url 300)" "100 100 100"
for run in 1 2; do
  base=$(nginx_requests)
  gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --urls "$TMP/urls" --urls-order random --seed 42 -n 300 \
    -c 10 --quiet --json "$TMP/r$run.json" >"$TMP/r$run.out" 2>&1 || fail "random --urls exited with $?: $(cat "$TMP/r$run.out")"
  wait_until 5 "nginx logs 300 random --urls requests" logged 300
  counts[run]=$(per_url 300)
done
expect_eq "--urls random: the same seed, the same choices" "${counts[2]}" "${counts[1]}"
for c in ${counts[1]}; do (( c > 50 )) || fail "--urls random: ${counts[1]} is no spread over three URLs"; done
printf 'http://198.18.0.9/x\n' >"$TMP/bad-urls"
set +e
gen "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --urls "$TMP/bad-urls" -n 1 >"$TMP/bad.out" 2>&1
rc=$?
set -e
expect_eq "--urls with another server: exit status" "$rc" 2
expect_match "--urls with another server: the error" "$(cat "$TMP/bad.out")" 'line 1: http://198.18.0.9/x is not the target'

# Nothing of ours left on the interface.
expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
