#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Local mode from the command line, in a namespace of the test's that plays
# the host (never the real one), with nginx listening on 127.0.0.1,
# 0.0.0.0, [::] and [::1]: `xdpgen client URL` with no -i reaches it by
# 127.0.0.1, localhost, another address of the host and [::1] (as the host
# end's IPv6, which a server on [::] takes); a server on [::1] alone is out
# of reach and the run says why; `xdpgen server --local` is reached by curl
# and wrk on the host; `xdpgen probe` says whether local mode works, and
# why not without CAP_NET_ADMIN; SIGKILL mid-run leaves no link, namespace
# or XDP program behind.
source "$(dirname "$0")/lib.sh"
HOSTNS=${PREFIX}host

cleanup_host() {
  local rc=$?
  set +e
  if [[ -e /run/netns/$HOSTNS ]]; then
    ip netns pids "$HOSTNS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$HOSTNS"
  fi
  (exit $rc)
  cleanup
}
trap cleanup_host EXIT

ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
# Another address of the host, on an interface of its own.
ip -n "$HOSTNS" link add xgdum0 type veth peer name xgdum1  # no dummy driver on every kernel
ip -n "$HOSTNS" addr add 192.0.2.1/24 dev xgdum0
ip -n "$HOSTNS" link set xgdum0 up
ip -n "$HOSTNS" link set xgdum1 up
host() { ip netns exec "$HOSTNS" "$@"; }
xgl_links() { ip -n "$HOSTNS" -o link show | awk -F': ' '{print $2}' | grep '^xgl' || true; }

bg "$ROOT/tools/nginx-peer" --netns "$HOSTNS" --listen 127.0.0.1:8080 --listen 0.0.0.0:8081 --listen '[::]:8082' \
  --listen '[::1]:8083' "$TMP/nginx"
up() { host curl -s -o /dev/null --max-time 1 http://127.0.0.1:8080/; }
wait_until 10 "nginx answers on the host" up
logged() { (( $(nginx_requests) - base >= $1 )); }

# run NAME URL ARGS...: a client with no -i, its JSON in $TMP/NAME.json.
run() {
  local name=$1 url=$2; shift 2
  host timeout 60 "$XDPGEN" client "$url" --quiet --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 ||
    fail "$name: client exited with $?: $(cat "$TMP/$name.out")"
}
for target in "127.0.0.1:8080" "localhost:8081" "192.0.2.1:8081" "[::1]:8082"; do
  base=$(nginx_requests)
  run "t${target//[^0-9]/}" "http://$target/index.html" -n 2000 -c 50
  j=$TMP/t${target//[^0-9]/}.json
  expect_eq "$target: completed" "$(json "$j" .counters.completed)" 2000
  expect_eq "$target: failed" "$(json "$j" .counters.failed)" 0
  wait_until 5 "nginx logs the requests to $target" logged 2000
  expect_eq "$target: nginx's log" "$(( $(nginx_requests) - base ))" 2000
done
# The server sees many clients: the private range's addresses.
clients=$(tail -n 4000 "$TMP/nginx/access.log" | awk '{print $1}' | sort -u | wc -l)
(( clients >= 100 )) || fail "nginx saw only $clients client addresses"
echo "ok: nginx saw $clients client addresses"
expect_match "a client address" "$(tail -n 1 "$TMP/nginx/access.log")" '^fd00:19:'
expect_eq "no xgl link left after the runs" "$(xgl_links)" ""

# keep-alive and --rps go through it too.
base=$(nginx_requests)
run ka "http://127.0.0.1:8080/index.html" --requests-per-connection 10 -n 200 -c 20
expect_eq "keep-alive: failed" "$(json "$TMP/ka.json" .counters.failed)" 0
expect_eq "keep-alive: responses" "$(json "$TMP/ka.json" .counters.http_responses)" 2000

# examples/local-stress.sh, as a user copies it.
host env XDPGEN="$XDPGEN" "$ROOT/examples/local-stress.sh" http://127.0.0.1:8080/index.html 2 500 >"$TMP/ex.out" 2>&1 ||
  fail "examples/local-stress.sh exited with $?: $(cat "$TMP/ex.out")"
expect_match "local-stress.sh: closed loop" "$(cat "$TMP/ex.out")" 'closed loop: [0-9]+ conn/s, .* 0 failed'
expect_match "local-stress.sh: open loop" "$(cat "$TMP/ex.out")" 'open loop: (9[89][0-9]|10[01][0-9]) of [0-9]+ requests sent, .* 0 failed'

# A server on [::1] alone cannot be reached from outside the host's loopback.
set +e
host timeout 30 "$XDPGEN" client "http://[::1]:8083/" -n 10 -c 1 --connect-timeout 2 --quiet >"$TMP/v6lo.out" 2>&1
rc=$?
set -e
expect_eq "[::1] only: exit status" "$rc" 1
expect_match "[::1] only: why" "$(cat "$TMP/v6lo.out")" 'bound to ::1 only'

# A server elsewhere needs -i: one sentence, exit 2.
set +e
host "$XDPGEN" client "http://198.51.100.7/" -n 1 >"$TMP/remote.out" 2>&1
rc=$?
set -e
expect_eq "not this host: exit status" "$rc" 2
expect_match "not this host: the error" "$(cat "$TMP/remote.out")" 'not an address of this host: give the interface'

# xdpgen server --local: curl and wrk on the host reach it.
host timeout 60 "$XDPGEN" server --local :8090 --recv-http --http-body-size 100 --quiet --json "$TMP/srv.json" \
  >"$TMP/srv.out" 2>&1 &
srv=$!
BG_PIDS+=("$srv")
wait_for_line "$TMP/srv.out" 'reachable from this host at' 10
addr=$(grep -o 'http://[^ ]*' "$TMP/srv.out" | head -n1)
expect_eq "server --local: curl gets the body" "$(host curl -s --max-time 5 "$addr" | wc -c)" 100
host wrk -t1 -c10 -d2 "$addr" >"$TMP/wrk.out" 2>&1 || fail "wrk against server --local: $(cat "$TMP/wrk.out")"
expect_match "server --local: wrk's requests" "$(cat "$TMP/wrk.out")" '[0-9]+ requests in'
if grep -q 'Socket errors' "$TMP/wrk.out"; then fail "wrk saw socket errors: $(cat "$TMP/wrk.out")"; fi
pkill -INT -f "^$XDPGEN server --local :8090" || true  # the server itself: wrappers pass no SIGINT
wait "$srv" || fail "server --local exited with $?: $(cat "$TMP/srv.out")"
# wrk ends its run by closing connections with responses unread: the
# kernel resets those, so resets are the only failures allowed.
expect_eq "server --local: failures other than wrk's resets" \
  "$(jq '.counters.failed - .counters.failed_by_cause.reset' "$TMP/srv.json")" 0
(( $(json "$TMP/srv.json" .counters.accepted) >= 11 )) || fail "server --local: fewer than curl's and wrk's 11 connections"
expect_eq "no xgl link left after the server" "$(xgl_links)" ""

# xdpgen server --local with a profile: each template on its port, curl on the host reaches both.
cat >"$TMP/two.toml" <<'TOML'
[[template]]
name = "small"
port = 8091
server = { http = true, body_size = 10 }
[[template]]
name = "large"
port = 8092
server = { http = true, body_size = 2000 }
TOML
host timeout 60 "$XDPGEN" server --local : --profile "$TMP/two.toml" --json "$TMP/srvp.json" >"$TMP/srvp.out" 2>&1 &
srv=$!
BG_PIDS+=("$srv")
wait_for_line "$TMP/srvp.out" 'reachable from this host at' 10
a1=$(grep -o 'http://[^ ]*:8091/' "$TMP/srvp.out" | head -n1) a2=$(grep -o 'http://[^ ]*:8092/' "$TMP/srvp.out" | head -n1)
expect_eq "server --local --profile: curl, each template's body" \
  "$(host curl -s --max-time 5 "$a1" | wc -c) $(host curl -s --max-time 5 "$a2" | wc -c)" "10 2000"
pkill -INT -f "^$XDPGEN server --local : --profile" || true
wait "$srv" || fail "server --local --profile exited with $?: $(cat "$TMP/srvp.out")"
expect_eq "server --local --profile: per template" \
  "$(jq -r '[.templates[] | "\(.name)=\(.completed)"] | join(" ")' "$TMP/srvp.json")" "small=1 large=1"

# probe: local mode works here, and not without CAP_NET_ADMIN.
host "$XDPGEN" probe --json "$TMP/probe.json" >"$TMP/probe.out" 2>&1 || fail "probe: $(cat "$TMP/probe.out")"
expect_eq "probe: local mode" "$(json "$TMP/probe.json" .local_mode.supported)" true
set +e
host setpriv --bounding-set=-net_admin --inh-caps=-net_admin -- "$XDPGEN" probe >"$TMP/probe2.out" 2>&1
rc=$?
set -e
expect_eq "probe without CAP_NET_ADMIN: exit status" "$rc" 1
expect_match "probe without CAP_NET_ADMIN: why" "$(cat "$TMP/probe2.out")" 'no +local mode: .*CAP_NET_ADMIN'

# SIGKILL mid-run: the pair and the private namespace go with the process.
host timeout 60 "$XDPGEN" client http://127.0.0.1:8080/index.html -d 30 -c 20 --quiet >"$TMP/kill.out" 2>&1 &
victim=$!
BG_PIDS+=("$victim")
base=$(nginx_requests)
wait_until 10 "the client's requests reach nginx" logged 100
client_pid=$(pgrep -f "^$XDPGEN client http://127.0.0.1:8080/index.html -d 30" | head -n1)
[[ -n $client_pid ]] || fail "no client process to kill"
ns=$(readlink "/proc/$client_pid/ns/net")
[[ $ns != "$(readlink /proc/self/ns/net)" ]] || fail "the client is not in a namespace of its own"
expect_match "a link of the client's on the host" "$(xgl_links)" '^xgl'
kill -9 "$client_pid"
wait "$victim" 2>/dev/null || true
no_links() { [[ -z $(xgl_links) ]]; }
wait_until 10 "the pair is gone after SIGKILL" no_links
inode=${ns//[^0-9]/}
ns_free() { [[ -z $(find /proc/[0-9]*/task/[0-9]*/ns/net /proc/[0-9]*/fd -maxdepth 1 -lname "net:\\[$inode\\]" -print -quit 2>/dev/null) ]]; }
wait_until 10 "the private namespace is held by nothing" ns_free
echo "ok: after SIGKILL: no link, namespace $ns held by no process"
