#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# --records: one record per connection, its times in TCP's order and in
# agreement with the run's own latency percentiles, against nginx and
# between two xdpgen; every format and `xdpgen records`; the server's side;
# `xdpgen tcp`'s streams into the kernel; and memory that stays bounded
# however many connections a run records.
# Usage: records.sh TCP_SINK
source "$(dirname "$0")/lib.sh"
CHECK="$ROOT/tests/integration/py/check_records.py"
SINK=$1

testbed_up
settle
nginx_start
base=$(nginx_requests)

# 1. 10,000 connections to nginx: exactly one record each (CSV).
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html -n 10000 -c 200 --quiet \
  --records "$TMP/r1.csv" --json "$TMP/r1.json" >"$TMP/r1.out" 2>&1 || fail "client: $(cat "$TMP/r1.out")"
cat "$TMP/r1.out"
expect_eq "10k: completed" "$(json "$TMP/r1.json" .counters.completed)" 10000
expect_eq "10k: records written" "$(json "$TMP/r1.json" .records.written)" 10000
expect_eq "10k: records dropped" "$(json "$TMP/r1.json" .records.dropped)" 0
expect_match "10k: summary line" "$(cat "$TMP/r1.out")" 'records: 10000 written to .*r1.csv \(csv\)'
# Every connection the same request and response: the totals over 10000.
req_len=$(( $(json "$TMP/r1.json" .counters.tx_bytes) / 10000 ))
rx_each=$(( $(json "$TMP/r1.json" .counters.rx_bytes) / 10000 ))
expect_eq "10k: the same bytes each" "$(( req_len * 10000 )),$(( rx_each * 10000 ))" \
  "$(json "$TMP/r1.json" .counters.tx_bytes),$(json "$TMP/r1.json" .counters.rx_bytes)"
/usr/bin/python3 "$CHECK" "$TMP/r1.csv" "$TMP/r1.json" 10000 --tx "$req_len" --rx "$rx_each" >"$TMP/r1.check" ||
  fail "10k records: $(cat "$TMP/r1.check")"
cat "$TMP/r1.check"
logged() { (( $(nginx_requests) - base >= $1 )); }
wait_until 5 "nginx logs 10000 requests" logged 10000
expect_eq "10k: nginx's log" "$(( $(nginx_requests) - base ))" 10000

# 2. The binary form, printed by `xdpgen records` as CSV and JSON lines;
#    --records FILE.jsonl writes JSON lines itself.
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html -n 2000 -c 50 --quiet \
  --records "$TMP/r2.bin" --json "$TMP/r2.json" >"$TMP/r2.out" 2>&1 || fail "client: $(cat "$TMP/r2.out")"
expect_eq "binary: format in the report" "$(json "$TMP/r2.json" .records.format)" binary
"$XDPGEN" records "$TMP/r2.bin" >"$TMP/r2.csv" || fail "xdpgen records could not read its own file"
/usr/bin/python3 "$CHECK" "$TMP/r2.csv" "$TMP/r2.json" 2000 --tx "$req_len" >"$TMP/r2.check" ||
  fail "binary records: $(cat "$TMP/r2.check")"
"$XDPGEN" records --format jsonl -o "$TMP/r2.jsonl" "$TMP/r2.bin" || fail "xdpgen records --format jsonl"
expect_eq "binary -> jsonl: lines" "$(jq -s length "$TMP/r2.jsonl")" 2000
expect_eq "binary -> jsonl: completed" "$(jq -s '[.[] | select(.outcome == "completed")] | length' "$TMP/r2.jsonl")" 2000
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html -n 500 -c 50 --quiet \
  --records "$TMP/r3.jsonl" >"$TMP/r3.out" 2>&1 || fail "client: $(cat "$TMP/r3.out")"
expect_eq "jsonl: records" "$(jq -s length "$TMP/r3.jsonl")" 500
expect_eq "jsonl: each with its remote" "$(jq -s '[.[] | select(.remote_addr == "198.18.0.2" and .remote_port == 80)] | length' "$TMP/r3.jsonl")" 500
set +e
"$XDPGEN" records "$TMP/r1.csv" >"$TMP/bad.out" 2>&1
rc=$?
set -e
expect_eq "records of a CSV file: exit status" "$rc" 2
expect_match "records of a CSV file: says why" "$(cat "$TMP/bad.out")" 'not .*records'
nginx_stop

# 3. Failures carry their cause: a closed port refuses every connection.
set +e
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:81 --http / -n 20 -c 5 --max-failures 100 --quiet \
  --records "$TMP/r4.csv" >"$TMP/r4.out" 2>&1
set -e
expect_eq "refused: records" "$(tail -n +2 "$TMP/r4.csv" | wc -l)" 20
expect_eq "refused: each failed as refused" "$(grep -c ',failed,refused,' "$TMP/r4.csv")" 20

# 4. Both sides recording: xdpgen client -> xdpgen server.
xdpgen_server "$TMP/s5.json" 198.18.0.2:8080 --recv-http --http-body-size 100 --records "$TMP/s5.csv"
gen timeout 60 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --http / -n 5000 -c 100 --quiet \
  --records "$TMP/c5.csv" --json "$TMP/c5.json" >"$TMP/c5.out" 2>&1 || fail "client: $(cat "$TMP/c5.out")"
stop_xdpgen_server "$TMP/s5.json"
/usr/bin/python3 "$CHECK" "$TMP/c5.csv" "$TMP/c5.json" 5000 >"$TMP/c5.check" || fail "client records: $(cat "$TMP/c5.check")"
/usr/bin/python3 "$CHECK" "$TMP/s5.csv" "$TMP/s5.json" 5000 --side server >"$TMP/s5.check" ||
  fail "server records: $(cat "$TMP/s5.check")"
cat "$TMP/s5.check"
# The same connections seen from both ends: the client's ports are the server's remote ports.
expect_eq "both ends: the same 5000 port uses" \
  "$(cut -d, -f6 "$TMP/c5.csv" | tail -n +2 | sort | md5sum)" "$(cut -d, -f8 "$TMP/s5.csv" | tail -n +2 | sort | md5sum)"

# 5. xdpgen tcp: four 1 MiB streams into the kernel's receiver, one record
#    each, every byte acknowledged, each step in order. Both data paths:
#    the engine's own TCP, and auto (live frames where this kernel runs
#    them: the stream is handed over, its first and last byte then come
#    from the handover). GRO on the peer lets redirected live frames in.
peer ethtool -K "$IF_PEER" gro on >/dev/null
port=5201
for path in engine auto; do
  bg timeout 60 "$TESTBED" --prefix "$PREFIX" exec peer "$SINK" --listen "198.18.0.2:$port" --conns 4 >"$TMP/sink-$path.out" 2>&1
  wait_for_line "$TMP/sink-$path.out" '^ready' 10
  gen timeout 60 "$XDPGEN" tcp -i "$IF_GEN" 198.18.0.2 -p "$port" --flows 4 --bytes 1M --data-path "$path" --quiet \
    --records "$TMP/t-$path.csv" --json "$TMP/t-$path.json" >"$TMP/t-$path.out" 2>&1 ||
    fail "xdpgen tcp --data-path $path: $(cat "$TMP/t-$path.out")"
  echo "tcp --data-path $path: $(head -n1 "$TMP/t-$path.out")"
  expect_eq "tcp $path: records written" "$(json "$TMP/t-$path.json" .records.written)" 4
  expect_eq "tcp $path: each completed with 1 MiB acknowledged" \
    "$(awk -F, -v p="$port" 'NR > 1 && $9 == "completed" && $20 == 1048576 && $7 == "198.18.0.2" && $8 == p' "$TMP/t-$path.csv" | wc -l)" 4
  # syn <= established <= first byte sent <= last byte <= FIN sent <= closed
  expect_eq "tcp $path: established, first and last byte, FIN sent and closed in order" \
    "$(awk -F, 'NR > 1 && $12 <= $13 && $13 <= $14 && $14 <= $16 && $16 <= $17 && $17 <= $19 && $14 != ""' "$TMP/t-$path.csv" | wc -l)" 4
  port=$((port + 1))
done

# 6. Memory stays bounded: the client's peak RSS recording 1,000,000
#    connections is within 16 MiB of recording 100,000.
peak_rss() { # peak_rss OUT ARGS... -> the client's VmHWM in KiB, polled until it exits
  local out=$1; shift
  gen timeout 200 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:8080 --http / --quiet "$@" >"$out" 2>&1 &
  local runner=$! pid="" hwm=0 v i
  for ((i = 0; i < 2000; i++)); do
    pid=$(pgrep -f "^$XDPGEN client -i $IF_GEN 198.18.0.2:8080" || true)
    [[ -n $pid ]] && break
    sleep 0.01
  done
  [[ -n $pid ]] || fail "the client did not start: $(cat "$out")"
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [[ -n $v ]] && hwm=$v
    sleep 0.2
  done
  wait "$runner" || fail "client: $(cat "$out")"
  echo "$hwm"
}
xdpgen_server "$TMP/s6.json" 198.18.0.2:8080 --recv-http --http-body-size 100
small=$(peak_rss "$TMP/m1.out" -n 100000 -c 200 --records "$TMP/m1.bin" --json "$TMP/m1.json")
large=$(peak_rss "$TMP/m2.out" -n 1000000 -c 200 --records "$TMP/m2.bin" --json "$TMP/m2.json")
stop_xdpgen_server "$TMP/s6.json"
echo "peak RSS: 100k connections ${small} KiB, 1M connections ${large} KiB"
expect_eq "1M: completed" "$(json "$TMP/m2.json" .counters.completed)" 1000000
expect_eq "1M: records written" "$(json "$TMP/m2.json" .records.written)" 1000000
expect_eq "1M: records dropped" "$(json "$TMP/m2.json" .records.dropped)" 0
expect_eq "1M: file holds them all" "$("$XDPGEN" records "$TMP/m2.bin" | tail -n +2 | wc -l)" 1000000
(( small > 0 && large - small < 16384 )) || fail "peak RSS grew by $(( (large - small) / 1024 )) MiB from 100k to 1M records"
echo "records: ok"
