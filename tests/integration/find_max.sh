#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpgen client --find-max against an nginx whose limit is known: limit_req
# answers 503 past 2000 requests per second. The search (errors=0) must
# land within 10% of that limit, report the step that broke it and why,
# write its table to JSON and its plot to a PNG.
source "$(dirname "$0")/lib.sh"

testbed_up
settle
nginx_start --limit-rps 2000

set +e
gen timeout 170 "$XDPGEN" client -i "$IF_GEN" 198.18.0.2:80 --http /index.html --find-max rps --slo 'errors=0' \
  --find-max-start 500 --step-duration 2 -c 20 --json "$TMP/fm.json" --plot "$TMP/fm.png" >"$TMP/fm.out" 2>&1
rc=$?
set -e
cat "$TMP/fm.out"
expect_eq "find-max: exit status" "$rc" 0
max=$(json "$TMP/fm.json" .find_max.max_ok)
bad=$(json "$TMP/fm.json" .find_max.first_bad)
awk -v m="$max" 'BEGIN { exit !(m >= 1800 && m <= 2200) }' || fail "find-max: $max req/s is not within 10% of nginx's 2000"
awk -v m="$max" -v b="$bad" 'BEGIN { exit !(b > m && b - m <= 0.05 * b + 1) }' ||
  fail "find-max: the rates that met ($max) and broke ($bad) the SLO are not within 5%"
expect_match "find-max: why the first bad rate broke it" "$(json "$TMP/fm.json" .find_max.first_bad_why)" \
  'failed \(errors=0\)'
expect_match "find-max: the result line" "$(cat "$TMP/fm.out")" 'max: [0-9.]+ k? ?req/s met errors=0,rate>=0.95'
steps=$(jq '.find_max.steps | length' "$TMP/fm.json")
(( steps >= 4 && steps <= 24 )) || fail "find-max: $steps steps"
expect_eq "find-max: the table has every step" "$(grep -cE '^ +[0-9]+  ' "$TMP/fm.out")" "$steps"
expect_eq "find-max: the plot is a PNG" "$(head -c 8 "$TMP/fm.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
# nginx's 503s are the failures: the log has them.
(( $(grep -c '" 503 ' "$TMP/nginx/access.log") > 0 )) || fail "find-max: nginx answered no 503: its limit was never reached"

expect_eq "no XDP left on the generator" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
