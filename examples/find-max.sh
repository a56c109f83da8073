#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# find-max.sh: the highest request rate an HTTP server sustains within a
# latency and error objective (SLO). xdpgen runs short steps of keep-alive
# requests at a fixed rate (open loop, as wrk2 -R), doubling the rate until a
# step breaks the SLO, then bisecting to within 5%; this prints the result.
# Exits 0 when some rate met the SLO, 1 when none did (the search also goes
# down from START when the first step breaks it).
#
#   usage: find-max.sh IFACE URL [SLO] [PNG]
#   e.g.   find-max.sh eth1 http://10.0.0.2/ 'p99<10ms,errors=0' max.png
#
#   IFACE  interface that reaches the server
#   URL    http://HOST[:PORT]/PATH
#   SLO    what each step must meet (default 'p99<10ms,errors=0'): terms such as
#          p99<10ms, p99.9<1s, max<2s, connect.p99<5ms, errors=N, rate>=0.95
#          (errors=0 is added when SLO does not name errors)
#   PNG    also draw p50 and p99 against the rate into this file (gnuplot)
#
# Environment: XDPGEN (default `xdpgen` from PATH); START (the first step's
# rate, default xdpgen's 1000/s: start near what you expect to save steps);
# STEP_DURATION (seconds per step, default xdpgen's 3: longer steps catch
# slower trouble); CONCURRENCY (keep-alive connections, default 100);
# MODE=cps to search new connections per second instead of requests;
# REPORT=FILE keeps the JSON report. Needs root and jq.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 IFACE URL [SLO] [PNG]" >&2
  exit 2
fi
IFACE=$1 URL=$2 SLO=${3:-p99<10ms,errors=0} PNG=${4:-}
# xdpgen adds errors=0 and rate>=0.95 to an SLO that names neither: a
# server answering 503 to most requests meets no objective.
XDPGEN=${XDPGEN:-xdpgen}
command -v "$XDPGEN" >/dev/null || { echo "no xdpgen at '$XDPGEN': set XDPGEN or PATH" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=${REPORT:-$tmp/find-max.json}
rm -f "$json"  # no stale report from an earlier run

args=(client -i "$IFACE" "$URL" --find-max "${MODE:-rps}" --slo "$SLO" -c "${CONCURRENCY:-100}" --json "$json")
[[ -n ${START:-} ]] && args+=(--find-max-start "$START")
[[ -n ${STEP_DURATION:-} ]] && args+=(--step-duration "$STEP_DURATION")
[[ -n $PNG ]] && args+=(--plot "$PNG")

# xdpgen prints a line per step, the table of steps, a `max:` line and,
# with PNG, a `plot:` line.
rc=0
"$XDPGEN" "${args[@]}" || rc=$?
[[ -s $json ]] || { echo "xdpgen could not run (exit $rc)"; exit "$(( rc ? rc : 2 ))"; }

# The same result from the JSON, as a script would take it further.
jq -r '.find_max |
  (if .max_ok then "found max: \(.max_ok) \(.unit) met \(.slo)" else "found max: none, no rate met \(.slo)" end),
  (if .first_bad then "first bad: \(.first_bad) \(.unit): \(.first_bad_why)"
   else "first bad: none (no step broke the SLO)" end),
  "steps: \(.steps | length)"' "$json"
exit "$rc"
