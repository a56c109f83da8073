#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Checks a records CSV (xdpgen --records) against the run's JSON report.

check_records.py CSV JSON EXPECTED_COUNT [--side client|server] [--tx BYTES] [--rx BYTES]

Exactly one record per connection (each worker's numbers 0..n-1 once), every
outcome completed, the times of each record in the order TCP makes them, the
bytes each way as given, and the medians of connect (established - due) and
total (closed - due) within 2% of the report's p50s. Prints one line per
failed check and exits 1, or prints a summary and exits 0.
"""
import csv
import json
import statistics
import sys
from collections import defaultdict


def main():
    path, report, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    side = opts.get("--side", "client")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(report) as f:
        doc = json.load(f)
    bad = []
    if len(rows) != expected:
        bad.append(f"{len(rows)} records, expected {expected}")
    per_worker = defaultdict(set)
    for r in rows:
        per_worker[r["worker"]].add(int(r["conn"]))
    for w, conns in per_worker.items():
        if conns != set(range(len(conns))):
            bad.append(f"worker {w}: connection numbers are not 0..{len(conns) - 1} once each")
    t = lambda r, k: int(r[k]) if r[k] else None
    connect, total = [], []
    for r in rows:
        where = f"worker {r['worker']} conn {r['conn']}"
        if r["outcome"] != "completed" or r["side"] != side:
            bad.append(f"{where}: {r['side']} {r['outcome']} {r['cause']}")
            continue
        order = [t(r, k) for k in ("sched_ns", "syn_ns", "established_ns", "closed_ns")]
        if None in order or order != sorted(order):
            bad.append(f"{where}: due/syn/established/closed out of order: {order}")
        for k in ("first_tx_ns", "first_rx_ns", "last_byte_ns", "fin_tx_ns", "fin_rx_ns"):
            v = t(r, k)
            if v is None or not order[2] <= v <= order[3]:
                bad.append(f"{where}: {k}={v} outside established..closed")
        if t(r, "first_tx_ns") and t(r, "first_rx_ns") and side == "client" and t(r, "first_rx_ns") < t(r, "first_tx_ns"):
            bad.append(f"{where}: first byte received before the first sent")
        for k, o in (("tx_bytes", "--tx"), ("rx_bytes", "--rx")):
            if o in opts and r[k] != opts[o]:
                bad.append(f"{where}: {k}={r[k]}, expected {opts[o]}")
        connect.append(order[2] - order[0])
        total.append(order[3] - order[0])
    lat = doc["latency"]
    for name, values in (("connect", connect), ("total", total)):
        if not values:
            continue
        mine, theirs = statistics.median(values), lat[name]["p50_ns"]
        if abs(mine - theirs) > 0.02 * theirs + 1000:
            bad.append(f"{name} p50: records {mine:.0f} ns, report {theirs} ns")
    for b in bad[:20]:
        print("BAD:", b)
    if bad:
        print(f"{len(bad)} problems")
        return 1
    print(f"ok: {len(rows)} records; connect p50 {statistics.median(connect):.0f} ns vs {lat['connect']['p50_ns']}; "
          f"total p50 {statistics.median(total):.0f} ns vs {lat['total']['p50_ns']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
