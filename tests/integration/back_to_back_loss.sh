#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client against xdpgen server through a bridge that drops 5% of the
# TCP frames each way at random (xg_loss on both bridge ports): 100,000
# 7-packet exchanges and 1,000 keep-alive connections of 10 HTTP-like
# exchanges, every one complete, every byte counted, retransmissions seen.
# Usage: back_to_back_loss.sh LOSS_INJECTOR [QUEUES]
source "$(dirname "$0")/lib.sh"
LOSS=$1 QUEUES=${2:-1}

testbed_up --bridge --queues "$QUEUES"
settle

for port in "${IF_GEN}m" "${IF_PEER}m"; do
  bg "$TESTBED" --prefix "$PREFIX" exec mid "$LOSS" "$port" 50 --ingress --tcp-only >"$TMP/loss-$port.out" 2>&1
  wait_for_line "$TMP/loss-$port.out" '^ready' 10
done

# The counters of every report so far, to tell which connection went where.
on_fail() {
  local f port i
  # A client that failed leaves the server running: its report and records come at its end.
  if pkill -INT -f "^$XDPGEN server -i $IF_PEER "; then
    for ((i = 0; i < 100; i++)); do pgrep -f "^$XDPGEN server -i $IF_PEER " >/dev/null || break; sleep 0.1; done
  fi
  for f in "$TMP"/[cs][12].json; do [[ -s $f ]] && echo "$(basename "$f"): $(jq -c .counters "$f")"; done
  # The records of the connections the client did not complete, and the server's of the same ports.
  for f in "$TMP"/c[12].csv; do
    [[ -s $f ]] || continue
    echo "$(basename "$f"), not completed: $(head -n1 "$f")"
    awk -F, 'NR > 1 && $9 != "completed"' "$f" | head -n 5
    for port in $(awk -F, 'NR > 1 && $9 != "completed" { print $6 }' "$f" | head -n 5); do
      awk -F, -v p="$port" 'NR > 1 && $8 == p' "$TMP/s${f##*/c}" 2>/dev/null | tail -n 2 | sed 's/^/  server: /'
    done
  done
}

# A handshake fails 1 time in 10 with 5% loss each way; four failures in a
# row (15 s of SYN or SYN-ACK backoff) happen about once in 10,000
# connections, so both sides wait 60 s for the handshake (the client's
# default is 10 s; a server giving up on SYN-RECEIVED resets a client that is
# already established). A SYN-ACK the server resent on its own timer echoes
# the first SYN's timestamp: the client's first RTT sample is then 1 s and
# its RTO over 3 s for the rest of the connection (the kernel's too), and
# five more losses in a row in one exchange take it past 2 minutes (a CI run
# saw one of 100,000): whole connections get 300 s, the test's run 600.
# When the client is done, the server may still be retransmitting a FIN
# whose ACK was lost (the client's kernel answers it with a RST once the
# client has gone, and that may be lost too): its drain at the end is 30 s
# (it ends as soon as every connection is closed), not the default 2 s.
SERVER_OPTS=(--connect-timeout 60 --timeout 300 --drain 30)
SERVER_LIFETIME=500
client() { # client JSON ARGS...
  local json=$1; shift
  gen timeout 400 "$XDPGEN" client -i "$IF_GEN" --quiet --json "$json" --peer-time-wait 1.5 --connect-timeout 60 --timeout 300 "$@" \
    >"$json.out" 2>&1 || fail "client exited with $?: $(cat "$json.out")"
}

# 1. Handshake, 5-byte request, the server closes: 100,000 times.
xdpgen_server "$TMP/s1.json" "${SERVER_OPTS[@]}" --records "$TMP/s1.csv" 198.18.0.2:7000 --recv 5 --close
client "$TMP/c1.json" 198.18.0.2:7000 --records "$TMP/c1.csv" --send hello --recv-until-close -n 100000 -c 2000
stop_xdpgen_server "$TMP/s1.json" 40
tail -3 "$TMP/c1.json.out"
expect_eq "lossy 7-packet exchange: completed" "$(json "$TMP/c1.json" .counters.completed)" 100000
expect_eq "lossy 7-packet exchange: failed" "$(json "$TMP/c1.json" .counters.failed)" 0
expect_eq "lossy 7-packet exchange: bytes the server got" "$(json "$TMP/s1.json" .counters.rx_bytes)" 500000
expect_eq "lossy 7-packet exchange: server completed" "$(json "$TMP/s1.json" .counters.completed)" 100000
expect_eq "lossy 7-packet exchange: server failed" "$(json "$TMP/s1.json" .counters.failed)" 0
expect_eq "lossy 7-packet exchange: the client retransmitted" "$(json "$TMP/c1.json" '.counters.retransmitted_segments > 1000')" true
expect_eq "lossy 7-packet exchange: the server retransmitted" "$(json "$TMP/s1.json" '.counters.retransmitted_segments > 1000')" true

# 2. Keep-alive: 1,000 connections x 10 requests, 10,000-byte bodies.
xdpgen_server "$TMP/s2.json" "${SERVER_OPTS[@]}" --records "$TMP/s2.csv" 198.18.0.2:8080 --recv-http --http-body-size 10000
client "$TMP/c2.json" 198.18.0.2:8080 --records "$TMP/c2.csv" --http / --requests-per-connection 10 -n 1000 -c 200 --expect-status 200
stop_xdpgen_server "$TMP/s2.json" 40
expect_eq "lossy keep-alive: completed" "$(json "$TMP/c2.json" .counters.completed)" 1000
expect_eq "lossy keep-alive: failed" "$(json "$TMP/c2.json" .counters.failed)" 0
expect_eq "lossy keep-alive: the server sent what the client received" \
  "$(json "$TMP/s2.json" .counters.tx_bytes)" "$(json "$TMP/c2.json" .counters.rx_bytes)"
expect_eq "lossy keep-alive: at least the bodies arrived" "$(json "$TMP/c2.json" '.counters.rx_bytes >= 100000000')" true
expect_eq "lossy keep-alive: the server saw every connection complete" "$(json "$TMP/s2.json" .counters.completed)" 1000

# The loss was real, both ways.
pkill -TERM -f "^$LOSS " || true
for port in "${IF_GEN}m" "${IF_PEER}m"; do
  wait_for_line "$TMP/loss-$port.out" '^seen_in=' 10
  dropped=$(sed -n 's/.*dropped_in=\([0-9]*\).*/\1/p' "$TMP/loss-$port.out")
  seen=$(sed -n 's/.*seen_in=\([0-9]*\).*/\1/p' "$TMP/loss-$port.out")
  echo "$port: $dropped of $seen TCP frames dropped"
  expect_eq "$port: about 5% dropped" "$(awk -v d="$dropped" -v s="$seen" 'BEGIN{print (s > 100000 && d > 0.04 * s && d < 0.06 * s) ? "yes" : "no"}')" yes
done

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
