#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A kernel client reusing a 4-tuple that xdpgen server holds in TIME-WAIT
# (the server closes first) is accepted at once (RFC 6191, as Linux does),
# with and without TCP timestamps: no SYN is retransmitted (the kernel's own
# counter) and no connect waits for one.
source "$(dirname "$0")/lib.sh"
CLIENT=$ROOT/tests/integration/py/reuse_client.py
N=20

testbed_up
settle

syn_retrans() { gen nstat -asz TcpExtTCPSynRetrans | awk '/TcpExtTCPSynRetrans/ { print $2 }'; }

xdpgen_server "$TMP/srv.json" 198.18.0.2:8090 --send-size 100 --close --time-wait 60
for ts in 1 0; do
  gen sysctl -qw net.ipv4.tcp_timestamps=$ts
  before=$(syn_retrans)
  out=$(gen timeout 60 python3 "$CLIENT" 198.18.0.1 $((20000 + ts)) 198.18.0.2 8090 $N) ||
    fail "timestamps=$ts: the client failed: $out"
  echo "timestamps=$ts: $out"
  expect_match "timestamps=$ts: every answer whole" "$out" "connections=$N bytes=$((N * 100)) "
  expect_eq "timestamps=$ts: SYNs the kernel client retransmitted" "$(( $(syn_retrans) - before ))" 0
  worst=$(sed -E 's/.*worst_connect_ms=([0-9]+).*/\1/' <<<"$out")
  (( worst < 500 )) || fail "timestamps=$ts: a connect took $worst ms (a SYN retransmission)"
done
stop_xdpgen_server "$TMP/srv.json"
expect_eq "server: every connection completed" "$(json "$TMP/srv.json" .counters.completed)" $((2 * N))
expect_eq "server: TIME-WAIT reopened by the new SYNs" "$(json "$TMP/srv.json" .counters.time_wait_reopened)" \
  $((2 * (N - 1)))
expect_eq "server: nothing failed" "$(json "$TMP/srv.json" .counters.failed)" 0
