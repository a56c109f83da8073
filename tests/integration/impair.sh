#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# --impair and --impair-rx against real peers: a delay moves connect p50 by
# itself and nginx still answers every request; loss lands at its rate and
# drives retransmissions with nothing lost; the same seed drops the same
# segments; reordering is seen by the kernel peer's own counters; incoming
# frames impaired; commands that cannot impair say so.
# Usage: impair.sh PATTERN_SERVER
source "$(dirname "$0")/lib.sh"
SERVER=$1

testbed_up
settle
nginx_start
base=$(nginx_requests)
logged() { (( $(nginx_requests) - base >= $1 )); }
client() { # client NAME ARGS...: against nginx, its JSON in $TMP/NAME.json
  local name=$1; shift
  gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --quiet \
    --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 || fail "client $name: $(cat "$TMP/$name.out")"
}
p50() { json "$TMP/$1.json" ".latency.connect.p50_ns"; }

# 1. delay=50ms: connect p50 rises by 50 ms +-10%, every request answered.
client d0 -n 2000 -c 50
client d1 -n 2000 -c 50 --impair delay=50ms
cat "$TMP/d1.out"
rise=$(( $(p50 d1) - $(p50 d0) ))
echo "connect p50: $(p50 d0) ns without, $(p50 d1) ns with delay=50ms: +$rise ns"
(( rise >= 45000000 && rise <= 55000000 )) || fail "delay=50ms raised connect p50 by $rise ns"
expect_eq "delay: completed" "$(json "$TMP/d1.json" .counters.completed)" 2000
expect_eq "delay: failed" "$(json "$TMP/d1.json" .counters.failed)" 0
expect_eq "delay: the report says what was applied" "$(json "$TMP/d1.json" .impairment.tx.spec)" "delay=50ms,seed=1"
expect_eq "delay: every segment delayed" "$(json "$TMP/d1.json" .impairment.tx.delayed)" \
  "$(json "$TMP/d1.json" .impairment.tx.segments)"
wait_until 5 "nginx logs 4000 requests" logged 4000
expect_eq "delay: nginx's log" "$(( $(nginx_requests) - base ))" 4000
base=$(nginx_requests)

# 2. loss=5% over more than 100,000 segments: 5% +-0.5% dropped, resent, none lost.
client l1 -n 25000 -c 200 --impair loss=5%,seed=7
cat "$TMP/l1.out"
segs=$(json "$TMP/l1.json" .impairment.tx.segments)
dropped=$(json "$TMP/l1.json" .impairment.tx.dropped)
echo "loss=5%: $dropped of $segs segments dropped"
(( segs >= 100000 )) || fail "only $segs segments"
(( dropped * 1000 >= segs * 45 && dropped * 1000 <= segs * 55 )) || fail "dropped $dropped of $segs: not 5% +-0.5%"
(( $(json "$TMP/l1.json" .counters.retransmitted_segments) > 0 )) || fail "no retransmissions under 5% loss"
expect_eq "loss: completed" "$(json "$TMP/l1.json" .counters.completed)" 25000
expect_eq "loss: failed" "$(json "$TMP/l1.json" .counters.failed)" 0
wait_until 10 "nginx logs 25000 requests" logged 25000
expect_eq "loss: nginx's log" "$(( $(nginx_requests) - base ))" 25000
base=$(nginx_requests)

# 3. The same seed drops the same segments: per connection, in two runs.
#    Only a segment that exists in one run alone may differ: an ACK that
#    answers a retransmission of nginx's, when its timer and ours race
#    (about 1 connection in 2000 here). Another seed differs in about a
#    third of the connections.
drops() { jq -r '"\(.worker) \(.conn) \(.impair_dropped)"' "$1" | sort; }
differ() { diff <(drops "$1") <(drops "$2") | grep -c '^<' || true; }
client s1 -n 2000 -c 50 --impair loss=5%,seed=42 --records "$TMP/s1.jsonl"
client s2 -n 2000 -c 50 --impair loss=5%,seed=42 --records "$TMP/s2.jsonl"
client s3 -n 2000 -c 50 --impair loss=5%,seed=43 --records "$TMP/s3.jsonl"
(( $(json "$TMP/s1.json" .impairment.tx.dropped) > 0 )) || fail "seed 42 dropped nothing"
same=$(differ "$TMP/s1.jsonl" "$TMP/s2.jsonl")
other=$(differ "$TMP/s1.jsonl" "$TMP/s3.jsonl")
echo "connections whose drops differ: $same of 2000 with the same seed, $other with another"
(( same <= 10 )) || fail "seed 42 twice: $same connections had other segments dropped"
(( other >= 300 )) || fail "seeds 42 and 43: only $other connections had other segments dropped"
for r in s1 s2 s3; do expect_eq "seed runs: $r failed" "$(json "$TMP/$r.json" .counters.failed)" 0; done

# 4. --impair-rx: nginx's segments delayed and dropped on the way in.
client x1 -n 3000 -c 50 --impair-rx delay=5ms,loss=5%
cat "$TMP/x1.out"
frames=$(json "$TMP/x1.json" .impairment.rx.frames)
rdropped=$(json "$TMP/x1.json" .impairment.rx.dropped)
(( rdropped * 100 >= frames * 3 && rdropped * 100 <= frames * 7 )) || fail "rx dropped $rdropped of $frames"
expect_eq "rx: completed" "$(json "$TMP/x1.json" .counters.completed)" 3000
expect_eq "rx: failed" "$(json "$TMP/x1.json" .counters.failed)" 0
(( $(p50 x1) >= 5000000 )) || fail "rx delay=5ms: connect p50 $(p50 x1) ns"

# 5. A template's own impairment: only its connections are delayed.
cat >"$TMP/two.toml" <<'TOML'
[[template]]
name = "near"
http = "/index.html"

[[template]]
name = "far"
http = "/index.html"
impair = "delay=30ms"
TOML
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/two.toml" -n 1000 -c 50 --quiet \
  --json "$TMP/t1.json" >"$TMP/t1.out" 2>&1 || fail "client t1: $(cat "$TMP/t1.out")"
tp50() { json "$TMP/t1.json" ".templates[] | select(.name == \"$1\") | .latency.total.p50_ns"; }
echo "template total p50: near $(tp50 near) ns, far $(tp50 far) ns"
(( $(tp50 far) >= 90000000 )) || fail "the far template's connections were not delayed: p50 $(tp50 far) ns"
(( $(tp50 near) < 20000000 )) || fail "the near template's connections were delayed: p50 $(tp50 near) ns"
expect_eq "template impair: in the report" "$(json "$TMP/t1.json" '.templates[1].impair')" "delay=30ms,seed=1"
expect_eq "template impair: failed" "$(json "$TMP/t1.json" .counters.failed)" 0
nginx_stop

# 6. The server impairs what it sends: SYN-ACKs 20 ms late, 2% of its segments lost.
xdpgen_server "$TMP/sv.json" 198.18.0.2:8080 --recv-http --http-body-size 100 --impair delay=20ms,loss=2%
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --http / -n 1000 -c 50 --quiet \
  --json "$TMP/sc.json" >"$TMP/sc.out" 2>&1 || fail "client: $(cat "$TMP/sc.out")"
stop_xdpgen_server "$TMP/sv.json"
expect_eq "server impair: completed" "$(json "$TMP/sc.json" .counters.completed)" 1000
expect_eq "server impair: server failed" "$(json "$TMP/sv.json" .counters.failed)" 0
(( $(p50 sc) >= 20000000 )) || fail "the server's delay did not reach the client: connect p50 $(p50 sc) ns"
(( $(json "$TMP/sv.json" .impairment.tx.dropped) > 0 )) || fail "the server dropped nothing at loss=2%"

# 7. Reordering seen by the kernel peer: its out-of-order queue counter moves,
#    and every byte still arrives right.
ofo() { peer awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["TCPOFOQueue"] }' /proc/net/netstat; }
serve 7010 --read 200000 --bytes 10
o0=$(ofo)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7010 --send-size 200000 --recv 10 -n 50 -c 10 --quiet \
  --json "$TMP/o0.json" >"$TMP/o0.out" 2>&1 || fail "client: $(cat "$TMP/o0.out")"
o1=$(ofo)
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:7010 --send-size 200000 --recv 10 -n 50 -c 10 --quiet \
  --impair reorder=2% --json "$TMP/o1.json" >"$TMP/o1.out" 2>&1 || fail "client: $(cat "$TMP/o1.out")"
o2=$(ofo)
echo "peer TCPOFOQueue: +$((o1 - o0)) without reordering, +$((o2 - o1)) with reorder=2% ($(json "$TMP/o1.json" .impairment.tx.reordered) held back)"
(( o2 - o1 > 0 )) || fail "the peer saw no reordering"
(( o2 - o1 > o1 - o0 )) || fail "no more reordering with reorder=2% than without"
res=$(server_result 7010)
expect_match "reordered: every byte right" "$res" 'accepted=100 completed=100 verify_errors=0'

# 8. Commands that cannot impair say so; a bad spec is one clear error.
for cmd in "udp -i lo -a 127.0.0.1" "tcp -i lo 127.0.0.1"; do
  set +e
  # shellcheck disable=SC2086
  "$XDPGEN" $cmd --impair delay=1ms >"$TMP/refuse.out" 2>&1
  rc=$?
  set -e
  expect_eq "${cmd%% *} --impair: exit status" "$rc" 2
  expect_match "${cmd%% *} --impair: says why" "$(cat "$TMP/refuse.out")" "cannot impair"
done
set +e
gen "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 -n 1 --impair loss=5 >"$TMP/bad.out" 2>&1
rc=$?
set -e
expect_eq "bad spec: exit status" "$rc" 2
expect_match "bad spec: names the item" "$(cat "$TMP/bad.out")" "--impair: 'loss=5'"
echo "impair: ok"
