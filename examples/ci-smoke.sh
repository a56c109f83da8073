#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# ci-smoke.sh: a CI gate for an HTTP server. 2,000 connections (50 at once),
# one GET each, then four checks on xdpgen's JSON report, one PASS/FAIL line
# each; exits 1 if any check failed, so a CI job fails with it.
#
#   usage: ci-smoke.sh IFACE URL [MIN_CPS] [MAX_P99_MS]
#   e.g.   ci-smoke.sh eth1 http://10.0.0.2/health 1000 50
#
#   IFACE       interface that reaches the server (xdpgen attaches XDP to it)
#   URL         http://HOST[:PORT]/PATH (an address, [v6addr] or a name)
#   MIN_CPS     least completed connections per second (default 1000)
#   MAX_P99_MS  most p99 of the total connection time, in ms (default 50)
#
# Environment: XDPGEN (the binary, default `xdpgen` from PATH);
# CONNECTIONS, CONCURRENCY (default 2000, 50); REPORT=FILE keeps the JSON
# report (e.g. as a CI artifact). Needs root and jq.
#
# What to change: the load (-n/-c below, or --duration instead of -n), the
# thresholds, and the checks themselves: every field of the report can be
# gated the same way (README, "JSON reports"), e.g. .counters.retransmitted_segments.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 IFACE URL [MIN_CPS] [MAX_P99_MS]" >&2
  exit 2
fi
IFACE=$1 URL=$2 MIN_CPS=${3:-1000} MAX_P99_MS=${4:-50}
XDPGEN=${XDPGEN:-xdpgen}
CONNECTIONS=${CONNECTIONS:-2000} CONCURRENCY=${CONCURRENCY:-50}
num='^[0-9]+([.][0-9]*)?([eE][0-9]+)?$'
[[ $MIN_CPS =~ $num && $MAX_P99_MS =~ $num ]] || { echo "MIN_CPS and MAX_P99_MS are numbers, e.g. 1000 50" >&2; exit 2; }
command -v "$XDPGEN" >/dev/null || { echo "no xdpgen at '$XDPGEN': set XDPGEN or PATH" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=${REPORT:-$tmp/report.json}
rm -f "$json"  # no stale report from an earlier run

# xdpgen can gate part of this itself: --max-failures 0 (the default of an -n
# run) stops the run at the first failed connection, --min-cps fails a run
# that completed fewer connections per second; either makes it exit 1 with
# the reason on its last line. A CI job could stop there. The JSON checks
# below cover what its options do not (here the p99) and name each check.
rc=0
"$XDPGEN" client -i "$IFACE" "$URL" -n "$CONNECTIONS" -c "$CONCURRENCY" --quiet \
  --max-failures 0 --min-cps "$MIN_CPS" --json "$json" || rc=$?
# Exit 2 is a usage or set-up error (bad option, interface down, no route):
# there is no run to judge, and xdpgen has said why.
if [[ $rc -eq 2 || ! -s $json ]]; then
  echo "FAIL xdpgen could not run (exit $rc)"
  exit 2
fi
echo "xdpgen exit status: $rc (its own --max-failures/--min-cps gate)"

failed=0
check() { # check NAME JQ-EXPRESSION-THAT-IS-TRUE-WHEN-OK JQ-EXPRESSION-TO-SHOW
  local ok shown
  ok=$(jq --arg min_cps "$MIN_CPS" --arg max_p99_ms "$MAX_P99_MS" "$2" "$json")
  shown=$(jq -r "$3" "$json")
  if [[ $ok == true ]]; then
    echo "PASS $1 ($shown)"
  else
    echo "FAIL $1 ($shown)"
    failed=1
  fi
}
check 'result == "ok"' '.result == "ok"' '.reason'
check 'failed == 0' '.counters.failed == 0' '"\(.counters.failed) failed of \(.counters.attempted)"'
# shellcheck disable=SC2016 # $min_cps and $max_p99_ms are jq's variables
check "connections_per_s >= $MIN_CPS" '.connections_per_s >= ($min_cps | tonumber)' \
  '"\(.connections_per_s | floor) conn/s"'
# A run where no connection completed has no latency: null, a FAIL.
# shellcheck disable=SC2016
check "total p99 <= $MAX_P99_MS ms" \
  '.latency.total.p99_ns != null and .latency.total.p99_ns <= ($max_p99_ms | tonumber) * 1e6' \
  'if .latency.total.p99_ns then "\(.latency.total.p99_ns / 1e6) ms" else "no connection completed" end'

exit "$failed"
