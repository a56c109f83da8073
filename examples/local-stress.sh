#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# local-stress.sh: stress a server on this machine, as `wrk URL` would, with
# no interface and no set-up: without -i, xdpgen reaches this host's servers
# through a private veth pair it makes (and removes at exit, even when
# killed). First closed loop (as fast as 50 connections allow, one GET
# each), then, with RPS, an open loop of RPS requests per second over 20
# keep-alive connections, each latency counted from when the request was due.
#
#   usage: local-stress.sh URL [SECONDS] [RPS]
#   e.g.   local-stress.sh http://127.0.0.1:8080/ 10 5000
#
#   URL      http://127.0.0.1:PORT/PATH, http://localhost..., http://[::1]...
#            or an address of this host (the server may listen on it, on
#            0.0.0.0 or on ::; a server on ::1 alone is out of reach)
#   SECONDS  each run's length (default 10)
#   RPS      requests per second of the open-loop run (default: skip it)
#
# Environment: XDPGEN (the binary, default `xdpgen` from PATH). Needs root
# and jq. What to change: -c (connections), --requests-per-connection,
# --latency for the full percentile spectrum; `xdpgen probe` says whether
# local mode works on this machine, and why not.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 URL [SECONDS] [RPS]" >&2
  exit 2
fi
URL=$1 SECONDS_=${2:-10} RPS=${3:-}
XDPGEN=${XDPGEN:-xdpgen}
command -v "$XDPGEN" >/dev/null || { echo "no xdpgen at '$XDPGEN': set XDPGEN or PATH" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# Closed loop: a new connection per request, 50 at once.
rc=0
"$XDPGEN" client "$URL" -c 50 -d "$SECONDS_" --quiet --json "$tmp/closed.json" || rc=$?
[[ -s $tmp/closed.json ]] || { echo "xdpgen could not run (exit $rc)"; exit "$(( rc ? rc : 2 ))"; }
jq -r '"closed loop: \(.connections_per_s | floor) conn/s, total p99 \((.latency.total.p99_ns // 0) / 1e6) ms, \(.counters.failed) failed"' \
  "$tmp/closed.json"
(( $(jq '.counters.failed' "$tmp/closed.json") == 0 )) || failed=1

# Open loop: RPS requests per second, on schedule, over keep-alive connections.
if [[ -n $RPS ]]; then
  rc=0
  "$XDPGEN" client "$URL" --rps "$RPS" -c 20 -d "$SECONDS_" --quiet --json "$tmp/open.json" || rc=$?
  [[ -s $tmp/open.json ]] || { echo "xdpgen could not run (exit $rc)"; exit "$(( rc ? rc : 2 ))"; }
  jq -r '"open loop: \(.counters.requests_sent) of \(.counters.requests_due) requests sent, request p50 \((.latency.request.p50_ns // 0) / 1e6) ms, p99 \((.latency.request.p99_ns // 0) / 1e6) ms, \(.counters.failed) failed"' \
    "$tmp/open.json"
  (( $(jq '.counters.failed' "$tmp/open.json") == 0 )) || failed=1
fi
exit "$failed"
