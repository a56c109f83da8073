#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `xdpgen probe` reports what the kernel and a veth support (verified facts of
# our platform: native and generic XDP, AF_XDP copy mode, no zero-copy; live
# frames as an independent check finds them: some kernels refuse them) and
# leaves nothing attached.
# Usage: probe.sh LIVE_FRAMES_CHECK
source "$(dirname "$0")/lib.sh"
CHECK=$1

testbed_up --queues 3
gen "$XDPGEN" probe --json "$TMP/p.json" "$IF_GEN"
expect_eq "driver" "$(json "$TMP/p.json" .driver)" veth
expect_eq "rx queues" "$(json "$TMP/p.json" .rx_queues)" 3
expect_eq "native XDP" "$(json "$TMP/p.json" .checks.xdp_native.supported)" true
expect_eq "generic XDP" "$(json "$TMP/p.json" .checks.xdp_generic.supported)" true
independent=$(gen "$CHECK")
echo "live frames, asked with libbpf alone: $independent"
case "$independent" in
  yes) expect_eq "live frames" "$(json "$TMP/p.json" .checks.live_frames.supported)" true ;;
  no*) expect_eq "live frames" "$(json "$TMP/p.json" .checks.live_frames.supported)" false
       expect_match "live frames: the kernel's reason" "$(json "$TMP/p.json" .checks.live_frames.detail)" "${independent#no }" ;;
  *) fail "the independent check answered '$independent'" ;;
esac
expect_eq "AF_XDP copy" "$(json "$TMP/p.json" .checks.af_xdp_copy.supported)" true
expect_eq "AF_XDP zero-copy" "$(json "$TMP/p.json" .checks.af_xdp_zero_copy.supported)" false
expect_eq "XDP left attached" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
