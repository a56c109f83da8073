#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# slow-network.sh: does an HTTP server hold up for clients far away on a
# lossy network? 1,000 connections (100 at once) whose segments xdpgen
# itself delays and drops (--impair: no netem, nothing to set up), each
# connection recorded (--records); then what a user wants to know: did every
# request complete, how many segments were lost and sent again, and which
# connections were slowest, with their steps' times. Exits 1 if any
# connection failed.
#
#   usage: slow-network.sh IFACE URL [IMPAIR]
#   e.g.   slow-network.sh eth1 http://10.0.0.2/ 'delay=40ms,jitter=10ms,loss=2%'
#
#   IFACE   interface that reaches the server (xdpgen attaches XDP to it)
#   URL     http://HOST[:PORT]/PATH
#   IMPAIR  what happens to the client's segments (default delay=40ms,jitter=10ms,loss=2%,seed=1);
#           keys: delay, jitter, loss, reorder, seed (README, "Impairment")
#
# Environment: XDPGEN (the binary, default `xdpgen` from PATH);
# CONNECTIONS, CONCURRENCY (default 1000, 100); RECORDS=FILE keeps the
# records (CSV). Needs root and python3.
#
# What to change: --impair-rx to impair the server's answers as well, a
# --profile to impair some templates only (impair = "..." in a template),
# and the report below: every column of the records can be sorted on.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 IFACE URL [IMPAIR]" >&2
  exit 2
fi
IFACE=$1 URL=$2 IMPAIR=${3:-delay=40ms,jitter=10ms,loss=2%,seed=1}
XDPGEN=${XDPGEN:-xdpgen}
CONNECTIONS=${CONNECTIONS:-1000} CONCURRENCY=${CONCURRENCY:-100}
command -v "$XDPGEN" >/dev/null || { echo "no xdpgen at '$XDPGEN': set XDPGEN or PATH" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
records=${RECORDS:-$tmp/records.csv}

rc=0
# A failed connection must not stop the run: all of them are judged below.
"$XDPGEN" client -i "$IFACE" "$URL" -n "$CONNECTIONS" -c "$CONCURRENCY" --quiet --max-failures "$CONNECTIONS" \
  --impair "$IMPAIR" --records "$records" || rc=$?
if [[ $rc -eq 2 || ! -s $records ]]; then
  echo "FAIL xdpgen could not run (exit $rc)"
  exit 2
fi

python3 - "$records" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
ms = lambda r, a, b: (int(r[b]) - int(r[a])) / 1e6 if r[a] and r[b] else float("nan")
done = [r for r in rows if r["outcome"] == "completed"]
bad = [r for r in rows if r["outcome"] != "completed"]
dropped = sum(int(r["impair_dropped"]) for r in rows)
resent = sum(int(r["retransmits"]) for r in rows)
print(f"{len(done)} of {len(rows)} connections completed; {dropped} of their segments lost on the way, {resent} sent again")
for r in bad[:5]:
    print(f"  failed: local port {r['local_port']}: {r['outcome']} ({r['cause']})")
print("slowest connections (ms from due: established, first byte back, closed; segments lost, resent):")
for r in sorted(done, key=lambda r: int(r["closed_ns"]) - int(r["sched_ns"]), reverse=True)[:5]:
    print(f"  port {r['local_port']:>5}: {ms(r, 'sched_ns', 'established_ns'):8.1f} {ms(r, 'sched_ns', 'first_rx_ns'):8.1f} "
          f"{ms(r, 'sched_ns', 'closed_ns'):8.1f}   {r['impair_dropped']} lost, {r['retransmits']} resent")
print("PASS every connection completed" if not bad else f"FAIL {len(bad)} connections did not complete")
sys.exit(1 if bad else 0)
PY
