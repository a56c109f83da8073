#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Runs one libFuzzer target for a bounded time: the seed corpus in the tree
# is read, new inputs go to a work corpus in the build directory (kept, so
# the next run starts deeper), a crash fails the test and its input stays
# in <work>/crashes/.
# Usage: run_fuzzer.sh BINARY SEED_DIR WORK_DIR SECONDS   (XDPGEN_FUZZ_SECONDS overrides SECONDS)
set -euo pipefail
bin=$1 seeds=$2 work=$3
seconds=${XDPGEN_FUZZ_SECONDS:-$4}
name=$(basename "$bin")
mkdir -p "$work/corpus" "$work/crashes"
log=$work/last-run.log

set +e
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/crashes/" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [[ $rc -eq 0 ]]; then
  echo "$name: ${execs:-?} runs in ${seconds} s, no crash (corpus: $work/corpus)"
  exit 0
fi
echo "$name: FAILED (exit $rc) after ${execs:-?} runs; the last lines of $log:"
tail -n 60 "$log"
# libFuzzer names the file it kept ("Test unit written to PATH").
kept=$(sed -n 's/.*Test unit written to //p' "$log")
echo "$name: crash input kept in: ${kept:-$work/crashes/ (nothing written: see the log)}"
echo "$name: reproduce with: $bin ${kept:-INPUT}"
exit 1
