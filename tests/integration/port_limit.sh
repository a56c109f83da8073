#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A client run capped by its own local ports says so, live and in the
# summary and JSON, with the cap it implies and the fix: 100 local ports
# against the kernel's pattern server, once with the server closing first
# (ports rest --peer-time-wait 2 s: at most 50 conn/s) and once with the
# client closing first (TIME-WAIT --time-wait 1 s: at most 100 conn/s).
# Usage: port_limit.sh PATTERN_SERVER
source "$(dirname "$0")/lib.sh"
SERVER=$1 SERVE_SECONDS=60

testbed_up
settle

run() { # run NAME PORT ARGS...
  local name=$1 port=$2; shift 2
  gen timeout 30 "$XDPGEN" client -i "$IF_GEN" "198.18.0.2:$port" -c 20 \
    --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 || fail "$name: $(cat "$TMP/$name.out")"
  cat "$TMP/$name.out"
}

serve 7201 --bytes 100
run peer_first 7201 --recv-until-close --src-port-range 20000-20099 -d 3 --peer-time-wait 2
expect_match "server first: the note, live" "$(cat "$TMP/peer_first.out")" \
  'note: local ports exhausted .* 100 local ports, the server closes first, so each port rests --peer-time-wait 2 s: at most about 50 conn/s'
expect_match "server first: live lines marked" "$(cat "$TMP/peer_first.out")" 'port-limited'
expect_match "server first: the summary" "$(cat "$TMP/peer_first.out")" 'ports: local ports exhausted.*lower --peer-time-wait'
expect_eq "server first: JSON cap" "$(json "$TMP/peer_first.json" .port_limit.cap_cps)" 50
expect_eq "server first: nothing failed" "$(json "$TMP/peer_first.json" .counters.failed)" 0

serve 7202 --bytes 100 --wait-close
run us_first 7202 --recv 100 --src-port-range 20000-20099 -d 3 --time-wait 1
expect_match "client first: the summary" "$(cat "$TMP/us_first.out")" \
  'ports: local ports exhausted .* we close first and hold each port in TIME-WAIT --time-wait 1 s: at most about 100 conn/s'
expect_eq "client first: JSON cap" "$(json "$TMP/us_first.json" .port_limit.cap_cps)" 100

# Plenty of ports: not a word about them.
run roomy 7202 --recv 100 -n 50 --src-port-range 20000-29999
expect_eq "enough ports: no port_limit in the JSON" "$(json "$TMP/roomy.json" .port_limit)" null
if grep -q 'ports exhausted' "$TMP/roomy.out"; then fail "enough ports: a port note was printed"; fi
echo "ok: enough ports, no note"
