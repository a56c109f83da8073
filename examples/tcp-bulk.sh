#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tcp-bulk.sh: bulk TCP streams from `xdpgen tcp` into a kernel receiver,
# goodput in Gbit/s; exits 1 unless every stream was sent, acknowledged and
# closed cleanly (and, with MIN_GBPS, the goodput reached it).
#
#   on the receiver:  tcp-bulk.sh --receive [PORT]
#   on the sender:    tcp-bulk.sh IFACE HOST [SECONDS]
#   e.g.              tcp-bulk.sh eth1 10.0.0.2 10
#
#   IFACE    interface that reaches HOST
#   HOST     the receiver's IPv4 or IPv6 address
#   SECONDS  how long each stream sends (default 10); then it closes (FIN)
#
# The receiver must accept many connections and read each to its end. The
# --receive mode is one (python3: a thread per connection reading 1 MiB at a
# time, a line per stream with its bytes); `socat -u TCP-LISTEN:5201,fork
# OPEN:/dev/null` or any server that reads until EOF does as well.
# `iperf3 -s` does NOT: it speaks iperf3's control protocol, takes the first
# connection as its control channel, turns away the others (they are reset)
# and reads the first one only as far as a length field its bytes happen to
# spell (about 594 MiB), then resets it too.
#
# Environment: XDPGEN (default `xdpgen` from PATH); PORT (default 5201);
# FLOWS (streams, default 4); MIN_GBPS (fail below this goodput); REPORT=FILE
# keeps the JSON report. Needs root and jq (sender), python3 (receiver).
# On a veth (a test bed, containers), turn GRO on at the receiving end
# (`ethtool -K <peer> gro on`): where the kernel runs live frames, xdpgen
# sends through them, and a veth drops redirected frames without GRO or an
# XDP program on its peer (xdpgen then fails the run and says so).
# What to change: --bytes N instead of --duration for streams of a fixed
# size, --cc none for window-limited sending, -t for more sending threads.
set -euo pipefail

if [[ ${1:-} == --receive ]]; then
  port=${2:-${PORT:-5201}}
  exec python3 -u -c '
import socket, sys, threading
port = int(sys.argv[1])
if socket.has_dualstack_ipv6():
    srv = socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=1024)
else:
    srv = socket.create_server(("", port), backlog=1024)
print(f"listening on port {port}", flush=True)
lock = threading.Lock()
def drain(conn, peer):
    n, end = 0, ""
    with conn:
        try:
            while data := conn.recv(1 << 20):
                n += len(data)
        except OSError as e:
            end = f", then {e.strerror or e}"
    host = peer[0].removeprefix("::ffff:")  # an IPv4 client of the dual-stack socket
    with lock:  # one line at a time: print() of two threads may interleave
        print(f"stream from {host} port {peer[1]}: {n} bytes{end}", flush=True)
try:
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=drain, args=(conn, peer), daemon=True).start()
except KeyboardInterrupt:
    pass
' "$port"
fi

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 IFACE HOST [SECONDS]    (sender)" >&2
  echo "       $0 --receive [PORT]        (receiver)" >&2
  exit 2
fi
IFACE=$1 HOST=$2 SECS=${3:-10}
PORT=${PORT:-5201} FLOWS=${FLOWS:-4}
XDPGEN=${XDPGEN:-xdpgen}
command -v "$XDPGEN" >/dev/null || { echo "no xdpgen at '$XDPGEN': set XDPGEN or PATH" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=${REPORT:-$tmp/tcp.json}
rm -f "$json"  # no stale report from an earlier run

args=(tcp -i "$IFACE" "$HOST" -p "$PORT" --flows "$FLOWS" --duration "$SECS" --json "$json")
# xdpgen's own threshold: exit 1 below this goodput (bit/s).
[[ -n ${MIN_GBPS:-} ]] && args+=(--min-goodput "$(jq -n --arg g "$MIN_GBPS" '$g | tonumber * 1e9')")
rc=0
"$XDPGEN" "${args[@]}" || rc=$?
[[ -s $json ]] || { echo "FAIL xdpgen could not run (exit $rc)"; exit 2; }

jq -r '"goodput: \(.goodput_bits_per_second / 1e7 | round / 100) Gbit/s over \(.flows.attempted) flows" +
  " (\(.acked_bytes) B acknowledged, per flow \(.flow_goodput_min / 1e7 | round / 100)" +
  "..\(.flow_goodput_max / 1e7 | round / 100) Gbit/s), data path \(.data_path)"' "$json"
completed=$(jq -r .flows.completed "$json")
if [[ $rc -eq 0 && $(jq -r .result "$json") == ok && $completed == "$FLOWS" ]]; then
  echo "PASS all $FLOWS streams completed"
else
  echo "FAIL $(jq -r .reason "$json") ($completed of $FLOWS streams completed, xdpgen exit $rc)"
  exit 1
fi
