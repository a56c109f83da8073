// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The driver's verdict on redirected frames (bpf/xmit_stats.bpf.c), for the
// live-frames senders.

#include "bpf/skel.hpp"
#include "xdpgen/abi.h"  // the skeleton's counters type
#include "xmit_stats.skel.h"

namespace xdpgen {

// The tracepoints loaded and attached, watching ifindex in the calling
// thread's network namespace; null when this kernel cannot have them (the
// verdict is a bonus: without it a refusal shows as loss only).
SkelPtr<xg_xmit_stats> open_xmit_stats(int ifindex);

}  // namespace xdpgen
