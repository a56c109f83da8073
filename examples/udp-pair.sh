#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# udp-pair.sh: send exactly PACKETS UDP packets with `xdpgen udp` and count
# them at the other end with `xdpgen sink`: exits 0 only when the sink
# received every one. Prints the sink's loss, reordering and one-way latency
# (meaningful when sender and sink share a clock, i.e. the same host).
#
#   usage: udp-pair.sh GEN_IFACE SINK_IFACE DST_ADDR [PACKETS]
#   e.g.   udp-pair.sh veth0 veth1 192.0.2.2 1000000
#
#   GEN_IFACE   interface the packets leave from
#   SINK_IFACE  interface they arrive on (the sink attaches XDP there and
#               drops what it counts)
#   DST_ADDR    destination IPv4 or IPv6 address (the sink's side)
#   PACKETS     how many to send (default 1000000)
#
# Environment: XDPGEN (default `xdpgen` from PATH); PORT (UDP destination
# port, default 9: the sink counts only this port and address); SIZE (frame
# size in bytes, default xdpgen's 64, 78 for IPv6); RATE (packets per
# second, default as fast as possible); GEN_NS_CMD and SINK_NS_CMD: command
# prefixes that run each side where its interface is, empty by default (run
# directly), e.g. on xdpgen's test bed
#   GEN_NS_CMD="tools/testbed exec gen" SINK_NS_CMD="tools/testbed exec peer"
# or "ip netns exec NS". A prefix must exec the command (as those do) so the
# sink is this script's child and gets its SIGINT; both sides must see this
# host's files (the sink's report comes back on its stdout). Needs root, jq.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
  echo "usage: $0 GEN_IFACE SINK_IFACE DST_ADDR [PACKETS]" >&2
  exit 2
fi
GEN_IFACE=$1 SINK_IFACE=$2 DST=$3 PACKETS=${4:-1000000}
[[ $PACKETS =~ ^[1-9][0-9]*$ ]] || { echo "PACKETS is a count of at least 1, not '$PACKETS'" >&2; exit 2; }
PORT=${PORT:-9}
XDPGEN=${XDPGEN:-xdpgen}
# Word-split on purpose: a prefix is a command with its arguments.
read -r -a gen_ns <<<"${GEN_NS_CMD:-}"
read -r -a sink_ns <<<"${SINK_NS_CMD:-}"
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }

tmp=$(mktemp -d)
sink_pid='' udp_pid=''
# Whatever happens (a failed check, Ctrl-C, an error), sender and sink go:
# SIGINT first (each ends cleanly, the sink detaches its XDP program),
# SIGKILL if one has not gone within 5 s. Their XDP programs are bpf_links
# of the processes: they never outlive them.
stop() { # stop PID
  kill -INT "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
  [[ -z $udp_pid ]] || stop "$udp_pid"
  [[ -z $sink_pid ]] || stop "$sink_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The sink, in the background: counts UDP to DST:PORT and drops it. -n
# makes it stop by itself once every packet arrived; --duration bounds it
# in case nothing is sent. `--json -` puts the report on stdout, the human
# lines on stderr.
"${sink_ns[@]}" "$XDPGEN" sink -a "$DST" -p "$PORT" -n "$PACKETS" --duration 120 --quiet --json - "$SINK_IFACE" \
  >"$tmp/sink.json" 2>"$tmp/sink.log" &
sink_pid=$!
# Wait (at most 10 s) until its XDP program is attached: it says `sink on ...`.
for _ in $(seq 100); do
  grep -q '^sink on' "$tmp/sink.log" && break
  kill -0 "$sink_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q '^sink on' "$tmp/sink.log" || { echo "the sink did not start:"; cat "$tmp/sink.log"; exit 1; }
head -n1 "$tmp/sink.log"

# 2. Exactly PACKETS packets: a driver that refuses frames gets them again.
udp_args=(udp -a "$DST" -p "$PORT" -n "$PACKETS" --quiet --json "$tmp/udp.json")
[[ -n ${SIZE:-} ]] && udp_args+=(-s "$SIZE")
[[ -n ${RATE:-} ]] && udp_args+=(--rate "$RATE")
# (In the background and waited for, so a signal to this script stops it too.)
"${gen_ns[@]}" "$XDPGEN" "${udp_args[@]}" "$GEN_IFACE" &
udp_pid=$!
udp_rc=0
wait "$udp_pid" || udp_rc=$?
udp_pid=

# 3. Stop the sink: it ends by itself once PACKETS arrived; give the last
# packets 2 s to land, then SIGINT it, and wait (at most 10 s) for its report.
for _ in $(seq 20); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sink_pid" 2>/dev/null; then kill -INT "$sink_pid"; fi
for _ in $(seq 100); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
sink_rc=0
wait "$sink_pid" || sink_rc=$?
sink_pid=
sed -n '2,$p' "$tmp/sink.log"
[[ -s $tmp/sink.json ]] || { echo "FAIL the sink wrote no report (exit $sink_rc)"; exit 1; }
[[ -s $tmp/udp.json ]] || { echo "FAIL xdpgen udp could not run (exit $udp_rc)"; exit 1; }

# 4. The checks.
sent=$(jq -r .tx.packets "$tmp/udp.json")
got=$(jq -r .rx.packets "$tmp/sink.json")
echo "sent $sent packets ($(jq -r .tx_path "$tmp/udp.json") path), sink received $got;" \
  "$(jq -r '.rx | "lost \(.lost), reordered \(.reordered)"' "$tmp/sink.json")," \
  "$(jq -r 'if .latency then "latency p50 \(.latency.p50_ns / 100 | round / 10) us, p99 \(.latency.p99_ns / 100 | round / 10) us" else "no stamps" end' "$tmp/sink.json")"
if [[ $udp_rc -eq 0 && $sent == "$PACKETS" && $got == "$PACKETS" ]]; then
  echo "PASS the sink received all $PACKETS packets"
else
  echo "FAIL sent $sent, received $got of $PACKETS (udp exit $udp_rc, sink exit $sink_rc)"
  exit 1
fi
