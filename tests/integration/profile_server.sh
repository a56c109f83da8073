#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Profiles on both sides, and fields:
#  - xdpgen client --profile -> xdpgen server --profile: two templates on two
#    ports, each side counting each template; the counts agree, nothing fails;
#  - fields against nginx under 5% loss: every connection's ${id} reaches
#    nginx's log exactly once (a retransmission with other bytes would garble
#    or repeat one), the User-Agent list in turn; the same seed draws the same
#    random paths, another seed others;
#  - a pcap round trip: tcpdump captures curl fetching from nginx and a small
#    kernel request/response exchange; pcap2profile converts them; the replay
#    against nginx sends the captured request (its length in nginx's log) and
#    reads the captured response length; against xdpgen server --profile the
#    server expects the exact captured request bytes;
#  - the example profiles user-agents.toml ([defaults] under the command
#    line) and from-capture.toml, against nginx and xdpgen server.
# Usage: profile_server.sh LOSS_INJECTOR
source "$(dirname "$0")/lib.sh"
LOSS=$1

testbed_up
settle
tmpl() { jq -r --arg n "$2" '.templates[] | select(.name == $n) | .'"$3" "$1"; }

# --- client -> server, two templates on two ports ---
cat >"$TMP/pair.toml" <<'TOML'
[[template]]
name = "web"
weight = 3
port = 8080
http = "/item/${id}"
fields = { id = "counter" }
server = { http = true, body_size = 700 }

[[template]]
name = "raw"
port = 7000
client = [ { send = "HELLO ${conn}\n" }, { recv = 6 } ]
server = [ { recv = 17 }, { send = "WORLD\n" }, { recv_until_close = true } ]
tcp = { mss = 1200, sack = false }
TOML
xdpgen_server "$TMP/srv.json" 198.18.0.2 --profile "$TMP/pair.toml"
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --profile "$TMP/pair.toml" -n 8000 -c 50 \
  --quiet --json "$TMP/cli.json" >"$TMP/cli.out" 2>&1 || fail "client exited with $?: $(cat "$TMP/cli.out")"
stop_xdpgen_server "$TMP/srv.json"
expect_eq "pair: client completed" "$(json "$TMP/cli.json" .counters.completed)" 8000
expect_eq "pair: client web (3 of 4)" "$(tmpl "$TMP/cli.json" web completed)" 6000
expect_eq "pair: client raw" "$(tmpl "$TMP/cli.json" raw completed)" 2000
expect_eq "pair: server web = client web" "$(tmpl "$TMP/srv.json" web completed)" 6000
expect_eq "pair: server raw = client raw" "$(tmpl "$TMP/srv.json" raw completed)" 2000
expect_eq "pair: server web requests" "$(tmpl "$TMP/srv.json" web http_responses)" 6000
expect_eq "pair: server failed" "$(json "$TMP/srv.json" .counters.failed)" 0
expect_eq "pair: server ports" "$(jq -r '[.templates[].port] | join(",")' "$TMP/srv.json")" "8080,7000"
expect_match "pair: the server's template lines" "$(cat "$TMP/srv.json.out")" \
  "template raw \(weight 1, port 7000\): 2,000 attempted, 2,000 completed, 0 failed"

# The raw template's TCP settings on the wire, seen by tcpdump where a kernel
# peer stands (XDP takes xdpgen's own frames past the capture): the server's
# SYN-ACK to a kernel client, the client's SYN to a kernel server.
syns() { # syns NS_SIDE -> the SYN and SYN-ACK lines of port 7000 captured there while "$@" runs
  local side=$1; shift
  bg "$side" timeout 30 tcpdump -i "$([[ $side == gen ]] && echo "$IF_GEN" || echo "$IF_PEER")" -nn -l \
    'tcp port 7000 and tcp[tcpflags] & tcp-syn != 0' >"$TMP/syn.$side" 2>"$TMP/syn.$side.err"
  wait_for_line "$TMP/syn.$side.err" 'listening' 10
  "$@"
  wait_until 10 "tcpdump shows the handshake" grep -q 'S\.' "$TMP/syn.$side"
  pkill -INT -f "^tcpdump -i .* tcp port 7000" || true
}
xdpgen_server "$TMP/srv2.json" 198.18.0.2 --profile "$TMP/pair.toml"
syns gen gen python3 -c '
import socket
s = socket.create_connection(("198.18.0.2", 7000))
s.sendall(b"HELLO 0000000000\n"); s.recv(100); s.close()'
stop_xdpgen_server "$TMP/srv2.json"
expect_match "pair: the server's SYN-ACK has the template's MSS" "$(grep 'S\.' "$TMP/syn.gen")" 'mss 1200'
grep 'S\.' "$TMP/syn.gen" | grep -q sackOK && fail "pair: the server's SYN-ACK offers SACK against the template's tcp"
echo "ok: ... and offers no SACK"
cat >"$TMP/ks7000.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 7000)); s.listen(8)
print("ready", flush=True)
c, _ = s.accept()
c.recv(100); c.sendall(b"WORLD\n"); c.recv(100); c.close()
PY
bg peer timeout 30 python3 "$TMP/ks7000.py" >"$TMP/ks7000.out" 2>&1
wait_for_line "$TMP/ks7000.out" '^ready' 10
sed -n '/^name = "raw"/,$p' "$TMP/pair.toml" | sed '1i [[template]]' >"$TMP/raw.toml"  # the raw template alone
syns peer gen timeout 30 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7000 --profile "$TMP/raw.toml" -n 1 --quiet \
  >"$TMP/raw.out" 2>&1
expect_match "pair: the client's SYN has the template's MSS" "$(grep -v 'S\.' "$TMP/syn.peer")" 'mss 1200'
grep -v 'S\.' "$TMP/syn.peer" | grep -q sackOK && fail "pair: the client's SYN offers SACK against the template's tcp"
echo "ok: ... and offers no SACK"

# A template with a rate of its own next to one sharing the run's --cps by weight.
cat >"$TMP/rates.toml" <<'TOML'
[[template]]
name = "own"
cps = 100
http = "/own"
server = { http = true }
[[template]]
name = "shared"
http = "/shared"
server = { http = true }
[[template]]
name = "closed"
concurrency = 4
http = "/closed"
hold_ms = 200
server = { http = true }
TOML
xdpgen_server "$TMP/rsrv.json" 198.18.0.2:80 --recv-http
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/rates.toml" --cps 300 -d 5 -c 50 \
  --quiet --json "$TMP/rates.json" >"$TMP/rates.out" 2>&1 || fail "own rates: client exited with $?: $(cat "$TMP/rates.out")"
stop_xdpgen_server "$TMP/rsrv.json"
own=$(tmpl "$TMP/rates.json" own completed) shared=$(tmpl "$TMP/rates.json" shared completed)
(( own >= 485 && own <= 515 )) || fail "own rates: 'own' (100 conn/s for 5 s) completed $own, not 500 +-3%"
(( shared >= 1455 && shared <= 1545 )) || fail "own rates: 'shared' (--cps 300 for 5 s) completed $shared, not 1500 +-3%"
echo "ok: own rates: 'own' $own at its 100 conn/s, 'shared' $shared at the run's 300"
closed=$(tmpl "$TMP/rates.json" closed completed)
# 4 at a time, each held 200 ms: at most 25 rounds of 4 start within the 5 s.
(( closed >= 85 && closed <= 100 )) || fail "own concurrency: 'closed' (4 open, 200 ms each) completed $closed, not 85-100"
echo "ok: own concurrency: 'closed' $closed (4 open at a time, 200 ms each, 5 s)"
expect_eq "own rates: the server saw them all" "$(json "$TMP/rsrv.json" .counters.completed)" "$((own + shared + closed))"
expect_match "own rates: the template line" "$(cat "$TMP/rates.out")" "template own \(100 conn/s\):"

# --- fields against nginx, under 5% loss both ways ---
# A handshake lost 4 times in a row (SYNs at 0, 1, 3 and 7 s) outlasts the
# default 10 s connect timeout: rare, but among 3,000 connections under 5%
# loss each way it failed a CI run. 60 s allows 6 tries.
nginx_start
cat >"$TMP/fields.toml" <<'TOML'
[[template]]
name = "ids"
http = "/index.html?id=${id}"
headers = ["User-Agent: ${ua}"]
fields = { id = "counter", ua = "list agent-a/1|agent-bb/2|agent-ccc/3" }
TOML
bg "$TESTBED" --prefix "$PREFIX" exec peer "$LOSS" "$IF_PEER" 50 --tcp-only >"$TMP/loss.out" 2>&1
wait_for_line "$TMP/loss.out" '^ready' 10
base=$(nginx_requests)
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/fields.toml" -n 3000 -c 30 -q 1 \
  --connect-timeout 60 --quiet --json "$TMP/f.json" >"$TMP/f.out" 2>&1 || fail "fields client exited with $?: $(cat "$TMP/f.out")"
pkill -TERM -f "^$LOSS " || true
wait_for_line "$TMP/loss.out" '^seen_in=' 10
expect_match "loss: packets were dropped" "$(cat "$TMP/loss.out")" 'dropped_in=[1-9]'
expect_eq "fields: completed" "$(json "$TMP/f.json" .counters.completed)" 3000
logged() { (( $(nginx_requests) - base >= $1 )); }
wait_until 10 "nginx logs 3000 requests" logged 3000
tail -n 3000 "$TMP/nginx/access.log" >"$TMP/f.log"
grep -o 'id=[0-9]*' "$TMP/f.log" | sort -u >"$TMP/ids"
expect_eq "fields: distinct ids in nginx's log" "$(wc -l <"$TMP/ids")" 3000
expect_eq "fields: the ids are 0..2999, 10 digits" "$(head -1 "$TMP/ids") $(tail -1 "$TMP/ids")" \
  "id=0000000000 id=0000002999"
expect_eq "fields: statuses" "$(awk '{print $9}' "$TMP/f.log" | sort -u | tr '\n' ' ')" "200 "
expect_eq "fields: User-Agents in turn" "$(grep -c '"agent-a/1' "$TMP/f.log") $(grep -c '"agent-bb/2' "$TMP/f.log") \
$(grep -c '"agent-ccc/3' "$TMP/f.log")" "1000 1000 1000"

cat >"$TMP/rand.toml" <<'TOML'
[[template]]
name = "rand"
http = "/index.html?r=${random 1 1000000}"
TOML
draws() { # draws SEED -> the sorted random paths nginx saw
  local b
  b=$(nginx_requests)
  gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/rand.toml" -n 300 -c 10 -q 1 \
    --seed "$1" --quiet >"$TMP/rand.out" 2>&1 || fail "random client exited with $?: $(cat "$TMP/rand.out")"
  base=$b
  wait_until 10 "nginx logs 300 requests" logged 300
  tail -n 300 "$TMP/nginx/access.log" | grep -o 'r=[0-9]*' | sort
}
draws 7 >"$TMP/d7a"; draws 7 >"$TMP/d7b"; draws 8 >"$TMP/d8"
expect_eq "fields: 300 draws" "$(wc -l <"$TMP/d7a")" 300
cmp -s "$TMP/d7a" "$TMP/d7b" || fail "fields: the same seed drew other values"
echo "ok: the same seed, the same random paths"
cmp -s "$TMP/d7a" "$TMP/d8" && fail "fields: seeds 7 and 8 drew the same values"
echo "ok: another seed, other random paths"
(( $(sort -u "$TMP/d7a" | wc -l) > 290 )) || fail "fields: random draws repeat too often: $(sort -u "$TMP/d7a" | wc -l) of 300 distinct"

# --- the example profiles users copy ---
base=$(nginx_requests)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" http://198.18.0.2/ --profile "$ROOT/examples/profiles/user-agents.toml" \
  -q 1 --json "$TMP/ua.json" >"$TMP/ua.out" 2>&1 || fail "user-agents example exited with $?: $(cat "$TMP/ua.out")"
expect_match "user-agents: its [defaults] apply" "$(cat "$TMP/ua.out")" "load: 1,000 connections, concurrency 20"
expect_eq "user-agents: browse, search" "$(tmpl "$TMP/ua.json" browse completed) $(tmpl "$TMP/ua.json" search completed)" \
  "900 100"
wait_until 10 "nginx logs 1900 requests" logged 1900
tail -n 1900 "$TMP/nginx/access.log" >"$TMP/ua.log"
expect_eq "user-agents: distinct items in nginx's log" "$(grep -o 'item=[0-9]*' "$TMP/ua.log" | sort -u | wc -l)" 900
expect_eq "user-agents: statuses" "$(awk '{print $9}' "$TMP/ua.log" | sort -u | tr '\n' ' ')" "200 "
for ua in 'Mozilla/5.0 (X11; Linux x86_64)' 'curl/7.88.1' 'Wget/1.21.3'; do
  grep -qF "\"$ua" "$TMP/ua.log" || fail "user-agents: nginx never saw '$ua'"
done
echo "ok: user-agents: nginx saw each User-Agent of the list"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" http://198.18.0.2/ --profile "$ROOT/examples/profiles/user-agents.toml" \
  -n 30 -c 5 --json "$TMP/ua2.json" >"$TMP/ua2.out" 2>&1 || fail "user-agents with -n 30 exited with $?"
expect_match "user-agents: the command line wins over [defaults]" "$(cat "$TMP/ua2.out")" "load: 30 connections, concurrency 5"
expect_eq "user-agents: -n 30" "$(json "$TMP/ua2.json" .counters.completed)" 30

printf 'a small file for xdpgen pcap2profile\n' >"$TMP/nginx/www/small.txt"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$ROOT/examples/profiles/from-capture.toml" \
  -n 100 -c 10 --quiet --json "$TMP/fc.json" >"$TMP/fc.out" 2>&1 ||
  fail "from-capture example vs nginx exited with $?: $(cat "$TMP/fc.out")"
expect_eq "from-capture vs nginx: completed (the captured response length each)" \
  "$(json "$TMP/fc.json" .counters.completed)" 100
xdpgen_server "$TMP/fcs.json" 198.18.0.2 --profile "$ROOT/examples/profiles/from-capture.toml"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$ROOT/examples/profiles/from-capture.toml" \
  -n 100 -c 10 --quiet --json "$TMP/fc2.json" >"$TMP/fc2.out" 2>&1 ||
  fail "from-capture example vs xdpgen server exited with $?: $(cat "$TMP/fc2.out")"
stop_xdpgen_server "$TMP/fcs.json"
expect_eq "from-capture vs xdpgen server: both sides completed" \
  "$(json "$TMP/fc2.json" .counters.completed) $(json "$TMP/fcs.json" .counters.completed)" "100 100"

# --- pcap round trip ---
printf 'captured body\n' >"$TMP/nginx/www/cap.txt"
cat >"$TMP/kserver.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 7070)); s.listen(8)
print("ready", flush=True)
c, _ = s.accept()
got = b""
while not got.endswith(b"\n"):
    got += c.recv(100)
c.sendall(b"R" * 3000 + b"\n")
while c.recv(100):
    pass
c.close()
PY
bg peer timeout 60 python3 "$TMP/kserver.py" >"$TMP/kserver.out" 2>&1
wait_for_line "$TMP/kserver.out" '^ready' 10
bg gen timeout 60 tcpdump -i "$IF_GEN" -w "$TMP/cap.pcap" -s 0 -U --immediate-mode tcp 2>"$TMP/tcpdump.err"
wait_for_line "$TMP/tcpdump.err" 'listening' 10
gen curl -s -o /dev/null http://198.18.0.2/cap.txt || fail "curl for the capture: $?"
gen python3 -c '
import socket
s = socket.create_connection(("198.18.0.2", 7070))
s.sendall(b"GIVE 3001 BYTES\n")
n = 0
while n < 3001:
    n += len(s.recv(65536))
s.close()' || fail "the kernel exchange for the capture failed"
sleep 0.5  # tcpdump writes each packet at once (-U); the last FIN may still be in flight
pkill -INT -f "^tcpdump -i $IF_GEN " || true
wait_until 10 "tcpdump ends" bash -c "! pgrep -f '^tcpdump -i $IF_GEN ' >/dev/null"
mkdir -p "$TMP/cap" "$TMP/cap80"
"$XDPGEN" pcap2profile "$TMP/cap.pcap" -o "$TMP/cap/cap.toml" >"$TMP/p2p.out" 2>&1 ||
  fail "pcap2profile exited with $?: $(cat "$TMP/p2p.out")"
cat "$TMP/p2p.out" "$TMP/cap/cap.toml"
expect_match "pcap2profile: two templates" "$(cat "$TMP/p2p.out")" '\(2 templates, 0 skipped\)'
expect_match "pcap2profile: ports" "$(grep '^port' "$TMP/cap/cap.toml" | tr '\n' ' ')" 'port = 80 port = 7070'
req_len=$(tail -n 1 "$TMP/nginx/access.log" | awk '{print $(NF-1)}')

# The replay against nginx: the curl conversation alone (--filter).
"$XDPGEN" pcap2profile "$TMP/cap.pcap" --filter 'tcp port 80' -o "$TMP/cap80/web.toml" >/dev/null 2>&1 ||
  fail "pcap2profile --filter failed"
base=$(nginx_requests)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/cap80/web.toml" -n 200 -c 10 \
  --quiet --json "$TMP/r1.json" >"$TMP/r1.out" 2>&1 || fail "replay against nginx exited with $?: $(cat "$TMP/r1.out")"
expect_eq "replay vs nginx: completed (each read the captured response length)" \
  "$(json "$TMP/r1.json" .counters.completed)" 200
wait_until 10 "nginx logs the 200 replays" logged 200
expect_eq "replay vs nginx: every request the captured one" \
  "$(tail -n 200 "$TMP/nginx/access.log" | awk '{print $7, $(NF-1)}' | sort -u)" "/cap.txt $req_len"

# The replay against xdpgen server: both conversations, each on its port.
xdpgen_server "$TMP/rs.json" 198.18.0.2 --profile "$TMP/cap/cap.toml"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/cap/cap.toml" -n 400 -c 10 \
  --quiet --json "$TMP/r2.json" >"$TMP/r2.out" 2>&1 || fail "replay against xdpgen exited with $?: $(cat "$TMP/r2.out")"
stop_xdpgen_server "$TMP/rs.json"
expect_eq "replay vs xdpgen: client completed" "$(json "$TMP/r2.json" .counters.completed)" 400
expect_eq "replay vs xdpgen: server completed (the exact captured requests)" \
  "$(json "$TMP/rs.json" .counters.completed)" 400
expect_eq "replay vs xdpgen: expect mismatches" "$(json "$TMP/rs.json" .counters.failed_by_cause.expect_mismatch)" 0
expect_eq "replay vs xdpgen: the kernel exchange's template, both sides" \
  "$(tmpl "$TMP/r2.json" conv2 completed) $(tmpl "$TMP/rs.json" conv2 completed)" "200 200"

# A server that expects other bytes fails the flow, by name.
sed 's/expect = "GIVE 3001/expect = "GIVE 9999/' "$TMP/cap/cap.toml" >"$TMP/cap/wrong.toml"
grep -q 'GIVE 9999' "$TMP/cap/wrong.toml" || fail "the kernel exchange's request is not inline in the profile"
xdpgen_server "$TMP/rw.json" 198.18.0.2 --profile "$TMP/cap/wrong.toml"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7070 --profile "$TMP/cap/cap.toml" -n 20 -c 5 \
  --max-failures 20 --quiet >"$TMP/rw.out" 2>&1 || true
expect_match "wrong expectation: the client's summary" "$(cat "$TMP/rw.out")" "summary: 20 attempted, 20 established, 10 completed, 10 failed \\(10 reset by peer\\)"
stop_xdpgen_server "$TMP/rw.json"
expect_eq "wrong expectation: the server's conv2 failures" "$(json "$TMP/rw.json" .counters.failed_by_cause.expect_mismatch)" 10
