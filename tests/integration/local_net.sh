#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Local mode's network set-up (src/sys/local_net), in a namespace of the
# test's that plays the host (never the real one): the self-check; the pair
# built (host end's addresses, route_localnet, arp_announce, GRO, queues; the
# generator end alone in a private netns, seen by the process's own /sys);
# xdpgen client, then a kernel client, from the private namespaces reaching
# servers on 127.0.0.1 and [::] of the "host"; the pair gone at once after
# SIGTERM and, after SIGKILL, with the private netns (kernel teardown);
# ranges: overrides, refusals, host routes avoided; IPv4 alone where IPv6 is
# disabled; a failed set-up leaves the thread in its own namespaces.
# Usage: local_net.sh LOCAL_NET_CHECK
source "$(dirname "$0")/lib.sh"
CHECK=$1
HOSTNS=${PREFIX}host
HOLD_PIDS=()

# The "host" namespace and everything in it go too, whatever happens. The
# hold processes live in their private netns: killed by pid, not by ns pids.
cleanup_host() {
  local rc=$?
  set +e  # everything below runs, whatever fails
  for p in "${HOLD_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [[ -e /run/netns/$HOSTNS ]]; then
    ip netns pids "$HOSTNS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$HOSTNS"
  fi
  (exit $rc)  # lib.sh's cleanup reports and exits with $?
  cleanup
}
trap cleanup_host EXIT

ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
host() { ip netns exec "$HOSTNS" "$@"; }
xgl_links() { ip -n "$HOSTNS" -o link show | awk -F': ' '{print $2}' | grep '^xgl' || true; }

# hold NAME ARGS...: a local_net_check hold in the host namespace, its
# output in $TMP/NAME.out; sets HOLD_PID and the fields of its ready line.
hold() {
  local name=$1; shift
  ip netns exec "$HOSTNS" "$CHECK" hold "$@" >"$TMP/$name.out" 2>&1 &
  HOLD_PID=$!
  HOLD_PIDS+=("$HOLD_PID")
  wait_for_line "$TMP/$name.out" '^(ready|error)' 10
  grep -q '^ready' "$TMP/$name.out" || fail "hold $*: $(cat "$TMP/$name.out")"
  read -r _ GEN_IF HOST_IF HOST_V4 HOST_V6 GEN_V4 < <(grep '^ready' "$TMP/$name.out")
  echo "hold $name: $(grep '^local mode' "$TMP/$name.out")"
}
in_private() { nsenter --net="/proc/$HOLD_PID/ns/net" "$@"; }
# In the process's private netns and mount namespace: its /sys.
as_process() { nsenter --net="/proc/$HOLD_PID/ns/net" --mount="/proc/$HOLD_PID/ns/mnt" "$@"; }
link_gone() { ! ip -n "$HOSTNS" link show "$1" >/dev/null 2>&1; }
# Whether any process (a thread's namespace or an open fd) still holds the netns inode.
ns_referenced() {
  [[ -n $(find /proc/[0-9]*/task/[0-9]*/ns/net /proc/[0-9]*/fd -maxdepth 1 -lname "net:\\[$1\\]" -print -quit 2>/dev/null) ]]
}
ns_count() { lsns -t net -n -o NS | sort -u | wc -l; }

# (a) The self-check, and nothing left behind by it.
expect_eq "local_mode_check" "$(host "$CHECK" check)" ok
expect_eq "links left by the check" "$(xgl_links)" ""

# (b) The pair, 2 queues.
hold first 2
expect_eq "host end name" "$HOST_IF" "xgl$HOLD_PID"
expect_eq "generator end name" "$GEN_IF" "xgl${HOLD_PID}g"
expect_match "host end's IPv4" "$(ip -n "$HOSTNS" -br addr show dev "$HOST_IF")" " $HOST_V4/24 "
expect_match "host end's IPv6" "$(ip -n "$HOSTNS" -br addr show dev "$HOST_IF")" " $HOST_V6/64 "
expect_match "ranges" "$HOST_V4 $HOST_V6 $GEN_V4" '^198\.19\.([0-9]+)\.254 fd00:19:\1::fffe 198\.19\.\1\.1 $'
expect_eq "route_localnet on the host end" "$(host cat "/proc/sys/net/ipv4/conf/$HOST_IF/route_localnet")" 1
expect_eq "arp_announce on the host end" "$(host cat "/proc/sys/net/ipv4/conf/$HOST_IF/arp_announce")" 2
expect_match "GRO on the host end" "$(host ethtool -k "$HOST_IF")" 'generic-receive-offload: on'
expect_match "host end's queues" "$(ip -n "$HOSTNS" -d link show "$HOST_IF")" 'numtxqueues 2 numrxqueues 2'
expect_match "host end up with carrier" "$(ip -n "$HOSTNS" link show "$HOST_IF")" 'UP,LOWER_UP.*state UP'
expect_eq "generator end in the host namespace" "$(ip -n "$HOSTNS" link show "$GEN_IF" 2>/dev/null || true)" ""
expect_match "generator end's queues" "$(in_private ip -d link show "$GEN_IF")" 'numtxqueues 2 numrxqueues 2'
expect_match "generator end up with carrier" "$(in_private ip link show "$GEN_IF")" 'UP,LOWER_UP.*state UP'
expect_eq "generator end's kernel addresses" "$(in_private ip -o addr show dev "$GEN_IF")" ""
expect_eq "the process's /sys/class/net" "$(as_process ls /sys/class/net | tr '\n' ' ')" "lo $GEN_IF "
expect_eq "/sys/class/net of the host namespace untouched" "$(host ls /sys/class/net | tr '\n' ' ')" "lo $HOST_IF "
expect_match "describe()" "$(cat "$TMP/first.out")" \
  "local mode: $HOST_IF \(${HOST_V4%.254}\.0/24, ${HOST_V6%fffe}/64\) in a private namespace"
expect_match "wire_target" "$(cat "$TMP/first.out")" "wire ::1=$HOST_V6 127\.0\.0\.1=127\.0\.0\.1 "
expect_match "is_host_address" "$(cat "$TMP/first.out")" \
  'host_address 127\.0\.0\.5=yes ::1=yes 198\.51\.100\.7=no 192\.0\.2\.1=no '
expect_eq "named namespaces besides the test's" "$(ip netns list | grep -c "xgl" || true)" 0

# HTTP servers of the "host" on 127.0.0.1 and [::].
bg host timeout 120 python3 -m http.server --bind 127.0.0.1 18080 --directory "$TMP" >"$TMP/http4.out" 2>&1
bg host timeout 120 python3 -m http.server --bind :: 18081 --directory "$TMP" >"$TMP/http6.out" 2>&1
echo "hello from the host" >"$TMP/hello.txt"
serving() { host curl -s -o /dev/null --max-time 1 http://127.0.0.1:18080/ && host curl -s -o /dev/null --max-time 1 "http://[::1]:18081/"; }
wait_until 10 "the host's HTTP servers listen" serving
# xdpgen client itself from the private namespaces (/sys included), as
# local mode will run it: no kernel address on the generator end, the
# steering program answers ARP and NDP for its addresses.
HOST_MAC=$(ip -n "$HOSTNS" -br link show "$HOST_IF" | awk '{print $3}')
GEN_MAC=$(as_process cat "/sys/class/net/$GEN_IF/address")
xdpgen_client() { # xdpgen_client SRC URL
  as_process timeout 60 "$XDPGEN" client -i "$GEN_IF" --src-addr "$1" -m "$HOST_MAC" -n 20 -c 5 --quiet "$2" 2>&1
}
expect_match "xdpgen client -> http://127.0.0.1:18080/" "$(xdpgen_client "$GEN_V4" http://127.0.0.1:18080/hello.txt)" \
  'http: 20 responses'
expect_match "xdpgen client -> http://[$HOST_V6]:18081/" \
  "$(xdpgen_client "${HOST_V6%fffe}1" "http://[$HOST_V6]:18081/hello.txt")" 'http: 20 responses'
expect_match "the host's neighbour entries for the generator" "$(ip -n "$HOSTNS" neigh show dev "$HOST_IF")" \
  "$GEN_V4 lladdr $GEN_MAC .*${HOST_V6%fffe}1 lladdr $GEN_MAC|${HOST_V6%fffe}1 lladdr $GEN_MAC .*$GEN_V4 lladdr $GEN_MAC"
expect_eq "XDP left on the generator end" "$(in_private ip link show "$GEN_IF" | grep -o 'xdp[a-z]*' || true)" ""

# A kernel client from the private netns, as xdpgen's frames go: from an
# address of the generator's range to 127.0.0.1 through the pair (lo's
# 127.0.0.1/8 removed so it is not local there; route_localnet for the
# answers), and to the host end's IPv6 address.
gen_v4_kernel=${GEN_V4%.*}.253
gen_v6_kernel=${HOST_V6%fffe}fd
in_private ip addr del 127.0.0.1/8 dev lo
in_private sysctl -qw "net.ipv4.conf.$GEN_IF.route_localnet=1"
in_private ip addr add "$gen_v4_kernel/24" dev "$GEN_IF"
in_private ip route add default via "$HOST_V4"
in_private ip addr add "$gen_v6_kernel/64" dev "$GEN_IF" nodad
expect_eq "GET http://127.0.0.1:18080/ from the private netns" \
  "$(in_private curl -s --max-time 5 http://127.0.0.1:18080/hello.txt)" "hello from the host"
expect_eq "GET http://[$HOST_V6]:18081/ from the private netns" \
  "$(in_private curl -s --max-time 5 "http://[$HOST_V6]:18081/hello.txt")" "hello from the host"
wait_for_line "$TMP/http4.out" "^${gen_v4_kernel//./\\.} .*GET /hello.txt" 5
echo "ok: the server on 127.0.0.1 saw the request from $gen_v4_kernel"

# (c) SIGTERM: the pair is deleted before the process exits.
kill -TERM "$HOLD_PID"
set +e; wait "$HOLD_PID"; rc=$?; set -e
expect_eq "exit status after SIGTERM" "$rc" 0
expect_eq "host end after SIGTERM" "$(ip -n "$HOSTNS" link show "$HOST_IF" 2>/dev/null || true)" ""
expect_match "hold's last line" "$(tail -1 "$TMP/first.out")" '^deleted after signal 15 $'

# (d) SIGKILL: the kernel tears the private netns down, and the pair with it.
ns_before=$(ns_count)
hold second
ino=$(stat -L -c %i "/proc/$HOLD_PID/ns/net")
ns_referenced "$ino" || fail "the private netns $ino is not found from its process"
kill -KILL "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null || true
wait_until 10 "the host end $HOST_IF disappears after SIGKILL" link_gone "$HOST_IF"
echo "ok: host end gone after SIGKILL"
not_referenced() { ! ns_referenced "$ino"; }
wait_until 10 "no process holds the private netns $ino" not_referenced
echo "ok: private netns $ino held by no process"
# The system-wide count, for the log only: tests running beside this one
# create and remove namespaces too. The checks above are the exact ones.
echo "network namespaces in use (lsns): $ns_before before, $(ns_count) after"

# Ranges: overrides, refusals, and a host route avoided.
hold ranges 1 10.250.3.0/24 fd00:77:1::/64
expect_eq "overridden ranges" "$HOST_V4 $HOST_V6 $GEN_V4" "10.250.3.254 fd00:77:1::fffe 10.250.3.1"
kill -TERM "$HOLD_PID"; wait "$HOLD_PID"
refused() { # refused WHAT REGEX ARGS...
  local what=$1 re=$2; shift 2
  local out; out=$(host "$CHECK" hold "$@" || true)
  expect_match "$what" "$out" "$re"
  expect_match "$what: thread back in its namespaces" "$out" 'restored yes'
}
ip -n "$HOSTNS" addr add 198.19.0.1/17 dev lo
ip -n "$HOSTNS" addr add 198.51.100.7/32 dev lo
refused "a range overlapping a host address" '^host_address .*198\.51\.100\.7=yes .*error: the local-mode range 198\.19\.5\.0/24 overlaps the (route|address) 198\.19\.0\..*hint: choose a range' 1 198.19.5.0/24
refused "a public range" 'not a /8 to /30 inside a private range' 1 8.8.8.0/24
refused "an IPv6 range that is no /64" 'not a /64 inside fd00::/8' 1 "" fd00:1::/48
ip -n "$HOSTNS" addr del 198.19.0.1/17 dev lo
ip -n "$HOSTNS" addr del 198.51.100.7/32 dev lo
# Host routes over all of 198.19.0.0/16 but one /24, then of fd00:19::/32 but one /64,
cover_except() { # cover_except NET KEEP: routes over NET except KEEP; prints their count
  local nets n
  nets=$(python3 -c 'import ipaddress, sys; print("\n".join(str(n) for n in ipaddress.ip_network(sys.argv[1]).address_exclude(ipaddress.ip_network(sys.argv[2]))))' "$1" "$2")
  for n in $nets; do ip -n "$HOSTNS" route add blackhole "$n"; done
  wc -w <<<"$nets"
}
uncover() { ip -n "$HOSTNS" route flush proto boot type blackhole 2>/dev/null || true; ip -n "$HOSTNS" -6 route flush type blackhole 2>/dev/null || true; }
echo "$(cover_except 198.19.0.0/16 198.19.201.0/24) routes over 198.19.0.0/16 but 198.19.201.0/24"
# and the halves of a default route a VPN installs, which are not in the way.
ip -n "$HOSTNS" route add blackhole 0.0.0.0/1
ip -n "$HOSTNS" route add blackhole 128.0.0.0/1
ip -n "$HOSTNS" -6 route add blackhole fc00::/7
hold avoided_v4
expect_eq "the one free IPv4 range" "$HOST_V4 $HOST_V6" "198.19.201.254 fd00:19:201::fffe"
kill -TERM "$HOLD_PID"; wait "$HOLD_PID"
uncover
expect_eq "blackhole routes left" "$(ip -n "$HOSTNS" route show type blackhole; ip -n "$HOSTNS" -6 route show type blackhole)" ""
echo "$(cover_except fd00:19::/32 fd00:19:57::/64) routes over fd00:19::/32 but fd00:19:57::/64"
hold avoided_v6
expect_eq "the one free IPv6 range" "$HOST_V4 $HOST_V6" "198.19.57.254 fd00:19:57::fffe"
kill -TERM "$HOLD_PID"; wait "$HOLD_PID"
uncover
# A host whose new interfaces have IPv6 disabled: IPv4 alone.
host sysctl -qw net.ipv6.conf.default.disable_ipv6=1
hold v4_only
expect_eq "IPv4 only: host end's IPv6" "$HOST_V6" "-"
expect_match "IPv4 only: describe()" "$(cat "$TMP/v4_only.out")" "local mode: $HOST_IF \(${HOST_V4%.254}\.0/24\) in"
kill -TERM "$HOLD_PID"; wait "$HOLD_PID"
refused "an IPv6 range without IPv6" 'IPv6 is disabled on this host' 1 "" fd00:5::/64
host sysctl -qw net.ipv6.conf.default.disable_ipv6=0
# A failure after the private netns exists (no CAP_NET_ADMIN for the veth).
out=$(host setpriv --bounding-set=-net_admin -- "$CHECK" hold || true)
expect_match "no CAP_NET_ADMIN" "$out" 'error: cannot create the veth pair .*CAP_NET_ADMIN.*restored yes'
expect_eq "links left behind" "$(xgl_links)" ""
