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
drops() { jq -r '"\(.worker) \(.conn) \(.impair_dropped)"' "$1" | sort | md5sum; }
client s1 -n 2000 -c 50 --impair loss=5%,seed=42 --records "$TMP/s1.jsonl"
client s2 -n 2000 -c 50 --impair loss=5%,seed=42 --records "$TMP/s2.jsonl"
client s3 -n 2000 -c 50 --impair loss=5%,seed=43 --records "$TMP/s3.jsonl"
(( $(json "$TMP/s1.json" .impairment.tx.dropped) > 0 )) || fail "seed 42 dropped nothing"
expect_eq "seed 42 twice: the same segments of each connection dropped" "$(drops "$TMP/s2.jsonl")" "$(drops "$TMP/s1.jsonl")"
[[ $(drops "$TMP/s3.jsonl") != "$(drops "$TMP/s1.jsonl")" ]] || fail "seeds 42 and 43 dropped the same segments"
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
nginx_stop

# 5. Reordering seen by the kernel peer: its out-of-order queue counter moves,
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

# 6. Commands that cannot impair say so; a bad spec is one clear error.
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
