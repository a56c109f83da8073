#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The host's own TCP keeps working on the generator's interface while the
# steered port ranges overlap the ports it uses:
#  1. during a full-rate `xdpgen client` run (default ports 10000-59999,
#     against nginx on the peer's port 80), 200 kernel curls from the
#     generator's address to a kernel server on the peer's port 8000, each
#     from a local port inside the client's range and the kernel's
#     ephemeral range (curl --local-port);
#  2. during an `xdpgen server` run on the peer listening on ports 8080 and
#     59999 (loaded by xdpgen client), 200 kernel curls from the peer's address to a
#     kernel server on the generator's side, from local ports between the
#     two listening ports, and 20 requests on one connection whose local
#     port is the listening port 59999 itself.
# Every curl must be answered, and the xdpgen runs must have no failure.
source "$(dirname "$0")/lib.sh"

testbed_up
settle
nginx_start

# A kernel HTTP/1.1 server (keep-alive) on ADDR:PORT; prints "ready".
cat >"$TMP/kserver.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"hello from the kernel\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H)
print("ready", flush=True)
s.serve_forever()
PY

# curls.sh FIRST DST: 200 GETs to http://DST/, 4 at a time, the i-th from
# local port FIRST + i; after a failure no new one starts. One line each:
# the status, or why not.
cat >"$TMP/curls.sh" <<'SH'
first=$1 dst=$2
one() {
  curl -s --connect-timeout 2 --max-time 10 --local-port $((first + $1)) -o /dev/null -w '%{http_code}\n' \
    "http://$dst/" || { echo "curl from port $((first + $1)) failed: exit $?"; exit 255; }
}
export -f one
export first dst
seq 0 199 | xargs -P 4 -n 1 bash -c 'one "$0"'
SH
curls() { # curls NS DST FIRST: output in $TMP/curl-NS.out, the failures shown
  "$1" bash "$TMP/curls.sh" "$3" "$2" >"$TMP/curl-$1.out" 2>&1 || true
  grep -v '^200$' "$TMP/curl-$1.out" | head -5 || true
}

# --- 1. xdpgen client, kernel curls from the generator's side ---
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec peer /usr/bin/python3 "$TMP/kserver.py" 198.18.0.2 8000 \
  >"$TMP/kserver-peer.out" 2>&1
wait_for_line "$TMP/kserver-peer.out" '^ready' 10
echo "kernel ephemeral ports in the generator's namespace: $(gen cat /proc/sys/net/ipv4/ip_local_port_range)"

bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html \
  -c 100 -d 280 --json "$TMP/client.json" >"$TMP/client.out" 2>&1
client=${BG_PIDS[-1]}
wait_for_line "$TMP/client.out" '^\[ +[0-9.]+s\] done' 20  # running, at full rate
curls gen 198.18.0.2:8000 40000
kill -0 "$client" 2>/dev/null || fail "the client ended before the curls did: $(tail -5 "$TMP/client.out")"
kill -INT "$client"
wait "$client" || fail "client exited with $?: $(tail -5 "$TMP/client.out")"
grep -E '^(note|summary|host):' "$TMP/client.out"
expect_eq "client run: kernel curls answered (of 200)" "$(grep -c '^200$' "$TMP/curl-gen.out")" 200
expect_eq "client run: failed" "$(json "$TMP/client.json" .counters.failed)" 0
expect_match "client run: completed" "$(json "$TMP/client.json" .counters.completed)" '^[1-9][0-9]{3,}'
expect_match "client run: the kernel's segments counted" "$(json "$TMP/client.json" .steering.kernel_owned)" '^[1-9]'
expect_match "client run: the kernel's ports left to it, counted" \
  "$(json "$TMP/client.json" .steering.kernel_ports_skipped)" '^[0-9]+'
expect_match "client run: the overlap is told" "$(cat "$TMP/client.out")" \
  "note: local ports 10000-59999 overlap the kernel's ephemeral ports"

# --- 2. xdpgen server, kernel curls from the peer's side ---
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec gen /usr/bin/python3 "$TMP/kserver.py" 198.18.0.1 8000 \
  >"$TMP/kserver-gen.out" 2>&1
wait_for_line "$TMP/kserver-gen.out" '^ready' 10
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec peer "$XDPGEN" server -i "$IF_PEER" 198.18.0.2:8080 198.18.0.2:59999 \
  --recv-http --http-body-size 100 --json "$TMP/server.json" >"$TMP/server.out" 2>&1
server=${BG_PIDS[-1]}
wait_for_line "$TMP/server.out" '^server on' 10
# The load: xdpgen client from the generator's side (a clean end, unlike
# wrk's resets at SIGINT), its own ports steered there meanwhile.
bg timeout 300 "$TESTBED" --prefix "$PREFIX" exec gen "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --http / -c 20 \
  -d 280 --json "$TMP/load.json" >"$TMP/load.out" 2>&1
load=${BG_PIDS[-1]}
wait_for_line "$TMP/load.out" '^\[ +[0-9.]+s\] done' 20
curls peer 198.18.0.1:8000 40000
# Keep-alive from the listening port itself: every segment is looked up.
urls=()
for ((i = 0; i < 20; i++)); do urls+=(-o /dev/null "http://198.18.0.1:8000/$i"); done
peer curl -s --connect-timeout 2 --max-time 20 --local-port 59999 -w '%{http_code} %{num_connects}\n' "${urls[@]}" \
  >"$TMP/ka.out" 2>&1 || fail "keep-alive curl from the listening port: exit $?: $(cat "$TMP/ka.out")"
kill -0 "$server" 2>/dev/null || fail "the server ended before the curls did: $(tail -5 "$TMP/server.out")"
kill -0 "$load" 2>/dev/null || fail "the load ended before the curls did: $(tail -5 "$TMP/load.out")"
kill -INT "$load"
wait "$load" || fail "the load's client exited with $?: $(tail -5 "$TMP/load.out")"
kill -INT "$server"
wait "$server" || fail "server exited with $?: $(tail -5 "$TMP/server.out")"
grep -E '^(note|summary|host):' "$TMP/server.out" "$TMP/load.out"
expect_eq "server run: kernel curls answered (of 200)" "$(grep -c '^200$' "$TMP/curl-peer.out")" 200
expect_eq "server run: keep-alive answers from the listening port" "$(grep -c '^200 ' "$TMP/ka.out")" 20
expect_eq "server run: failed" "$(json "$TMP/server.json" .counters.failed)" 0
expect_match "server run: the load was served" "$(json "$TMP/server.json" .counters.completed)" '^[1-9][0-9]{3,}'
expect_eq "server run: the load's failures" "$(json "$TMP/load.json" .counters.failed)" 0
expect_match "server run: the kernel's segments counted" "$(json "$TMP/server.json" .steering.kernel_owned)" '^[1-9]'
expect_match "server run: the overlap is told" "$(cat "$TMP/server.out")" \
  "note: listening port 59999 is one of the kernel's ephemeral ports"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
expect_eq "no XDP left on the peer" "$(xdp_attached "${PREFIX}peer" "$IF_PEER")" ""
