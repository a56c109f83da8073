#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# `xdpgen probe` reports what the kernel and a veth support (verified facts of
# our platform: native and generic XDP, live frames, AF_XDP copy mode, no zero-copy)
# and leaves nothing attached.
source "$(dirname "$0")/lib.sh"

testbed_up --queues 3
gen "$XDPGEN" probe --json "$TMP/p.json" "$IF_GEN"
expect_eq "driver" "$(json "$TMP/p.json" .driver)" veth
expect_eq "rx queues" "$(json "$TMP/p.json" .rx_queues)" 3
expect_eq "native XDP" "$(json "$TMP/p.json" .checks.xdp_native.supported)" true
expect_eq "generic XDP" "$(json "$TMP/p.json" .checks.xdp_generic.supported)" true
expect_eq "live frames" "$(json "$TMP/p.json" .checks.live_frames.supported)" true
expect_eq "AF_XDP copy" "$(json "$TMP/p.json" .checks.af_xdp_copy.supported)" true
expect_eq "AF_XDP zero-copy" "$(json "$TMP/p.json" .checks.af_xdp_zero_copy.supported)" false
expect_eq "XDP left attached" "$(xdp_attached "${PREFIX}gen" "$IF_GEN")" ""
