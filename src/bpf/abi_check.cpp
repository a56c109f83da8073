// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The layouts shared with the BPF programs, checked at compile time: clang
// -target bpf and g++ must agree on every size and offset in xdpgen/abi.h.

#include <cstddef>

#include "xdpgen/abi.h"

static_assert(sizeof(xg_stamp) == 16);
static_assert(offsetof(xg_stamp, magic) == 0);
static_assert(offsetof(xg_stamp, stream) == 1);
static_assert(offsetof(xg_stamp, run) == 2);
static_assert(offsetof(xg_stamp, seq) == 4);
static_assert(offsetof(xg_stamp, tx_ns) == 8);

static_assert(sizeof(xg_xmit_counters) == 64, "one cache line per CPU slot");
static_assert(offsetof(xg_xmit_counters, sent) == 0);
static_assert(offsetof(xg_xmit_counters, drops) == 8);
static_assert(offsetof(xg_xmit_counters, redirect_err) == 16);

static_assert(sizeof(xg_sink_counters) == 48);
static_assert(offsetof(xg_sink_counters, packets) == 0);
static_assert(offsetof(xg_sink_counters, bytes) == 8);
static_assert(offsetof(xg_sink_counters, stamped) == 16);
static_assert(offsetof(xg_sink_counters, reordered) == 24);
static_assert(offsetof(xg_sink_counters, first_ns) == 32);
static_assert(offsetof(xg_sink_counters, last_ns) == 40);

static_assert(sizeof(xg_sink_stream) == 32);
static_assert(offsetof(xg_sink_stream, first) == 0);
static_assert(offsetof(xg_sink_stream, next) == 8);
static_assert(offsetof(xg_sink_stream, received) == 16);
static_assert(offsetof(xg_sink_stream, run) == 24);

static_assert((XG_MAX_STREAMS & (XG_MAX_STREAMS - 1)) == 0, "indexed with a mask");
static_assert((XG_MAX_CPUS & (XG_MAX_CPUS - 1)) == 0, "indexed with a mask");
static_assert(XG_LAT_BUCKETS == 304);

static_assert(sizeof(xg_steer_counters) == 64, "one cache line per CPU slot");
static_assert(offsetof(xg_steer_counters, steered) == 0);
static_assert(offsetof(xg_steer_counters, no_socket) == 8);
static_assert(offsetof(xg_steer_counters, passed) == 16);
static_assert(offsetof(xg_steer_counters, arp_replies) == 24);
static_assert(offsetof(xg_steer_counters, na_replies) == 32);
