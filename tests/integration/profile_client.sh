#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client --profile against nginx: each connection runs one template,
# chosen by weight; nginx's access log counts each template's requests,
# which must equal the template's own counters and match the weights (in
# turn: exactly, every cycle of the weights; at random: within 2% over
# 20,000). The shipped example profile runs too, and a bad profile is one
# error with its line and column, exit 2.
source "$(dirname "$0")/lib.sh"

testbed_up
settle
nginx_start
logged() { (( $(nginx_requests) - base >= $1 )); }
count() { tail -n "$1" "$TMP/nginx/access.log" | grep -c "$2" || true; }
tmpl() { jq -r --arg n "$2" '.templates[] | select(.name == $n) | .'"$3" "$1"; }

cat >"$TMP/mix.toml" <<'TOML'
[[template]]
name = "three"
weight = 3
http = "/index.html?t=three"

[[template]]
name = "one"
http = "/index.html?t=one"
TOML

for order in round-robin random; do
  base=$(nginx_requests)
  gen timeout 120 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/mix.toml" --urls-order "$order" \
    -n 20000 -c 100 --quiet --json "$TMP/$order.json" >"$TMP/$order.out" 2>&1 ||
    fail "$order: client exited with $?: $(cat "$TMP/$order.out")"
  expect_eq "$order: completed" "$(json "$TMP/$order.json" .counters.completed)" 20000
  expect_eq "$order: failed" "$(json "$TMP/$order.json" .counters.failed)" 0
  wait_until 10 "nginx logs 20000 requests" logged 20000
  three=$(count 20000 't=three HTTP'); one=$(count 20000 't=one HTTP')
  expect_eq "$order: nginx's log, template three = its counter" "$three" "$(tmpl "$TMP/$order.json" three completed)"
  expect_eq "$order: nginx's log, template one = its counter" "$one" "$(tmpl "$TMP/$order.json" one completed)"
  expect_eq "$order: responses of template three" "$(tmpl "$TMP/$order.json" three http_responses)" "$three"
  if [[ $order == round-robin ]]; then
    expect_eq "in turn: exactly 3:1" "$three $one" "15000 5000"
  else
    (( three >= 14700 && three <= 15300 )) || fail "at random: $three of 20000 for weight 3 of 4, not within 2%"
  fi
  expect_match "$order: the summary's template lines" "$(cat "$TMP/$order.out")" \
    "template three \(weight 3\): [0-9,]+ attempted, [0-9,]+ completed, 0 failed"
done

# The example profile users copy: three templates, keep-alive and a POST.
# --cps makes the run last a second: unpaced it ends before the first live line.
base=$(nginx_requests)
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" http://198.18.0.2/ --profile "$ROOT/examples/profiles/http-mix.toml" \
  -n 1000 -c 50 --cps 1000 --per-template -I 0.2 --json "$TMP/ex.json" >"$TMP/ex.out" 2>&1 ||
  fail "the example profile: client exited with $?: $(cat "$TMP/ex.out")"
expect_eq "example: completed" "$(json "$TMP/ex.json" .counters.completed)" 1000
expect_eq "example: home" "$(tmpl "$TMP/ex.json" home completed)" 600
expect_eq "example: browse's responses (5 each)" "$(tmpl "$TMP/ex.json" browse http_responses)" 1500
expect_eq "example: search" "$(tmpl "$TMP/ex.json" search completed)" 100
wait_until 10 "nginx logs the example's 2200 requests" logged 2200
expect_eq "example: nginx's log, browse" "$(count 2200 'page=browse HTTP')" 1500
expect_eq "example: nginx's log, search (405)" "$(count 2200 '"POST /index.html?q=search HTTP/1.1" 405')" 100
expect_match "example: a live line per template" "$(cat "$TMP/ex.out")" ' browse +done '

# Slow clients: held connections count toward -c, and each template's
# total latency shows its hold (lingering: 2 s idle after its page).
base=$(nginx_requests)
gen timeout 120 "$XDPGEN" client -i "$IF_GEN" http://198.18.0.2/ --profile "$ROOT/examples/profiles/slow-clients.toml" \
  -n 100 -c 50 --quiet --json "$TMP/slow.json" >"$TMP/slow.out" 2>&1 ||
  fail "slow clients: client exited with $?: $(cat "$TMP/slow.out")"
expect_eq "slow clients: completed" "$(json "$TMP/slow.json" .counters.completed)" 100
expect_eq "slow clients: dawdling's responses (3 each)" "$(tmpl "$TMP/slow.json" dawdling http_responses)" 30
linger=$(tmpl "$TMP/slow.json" lingering latency.total.p50_ns)
(( linger >= 2000000000 && linger < 2500000000 )) || fail "lingering's p50 $linger ns, not its 2 s hold"
quick=$(tmpl "$TMP/slow.json" quick latency.total.p99_ns)
(( quick < 1000000000 )) || fail "quick's p99 $quick ns: the held connections slowed it"

# A bad profile: one error with file, line and column; exit 2.
printf '[[template]]\nname = "a"\nweight = "heavy"\n' >"$TMP/bad.toml"
set +e
gen "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --profile "$TMP/bad.toml" -n 1 >"$TMP/bad.out" 2>&1
rc=$?
set -e
expect_eq "bad profile: exit status" "$rc" 2
expect_match "bad profile: the error" "$(cat "$TMP/bad.out")" "bad.toml:3:10: 'weight' must be an integer"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
