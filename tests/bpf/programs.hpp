// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The skeletons under test, loaded with the rodata the engine sets, so the
// tests run the programs exactly as xdpgen does.

#include <cstdint>

#include "bpf/skel.hpp"
#include "net/udp_frame.hpp"
#include "sink/udp_sink.hpp"
#include "probe.skel.h"
#include "udp_blast.skel.h"
#include "udp_sink.skel.h"
#include "xdpgen/abi.h"

namespace xdpgen::test {

// A redirect target that exists everywhere, network namespaces included.
int loopback_ifindex();

struct LoadedBlast {
    SkelPtr<xg_udp_blast> skel;
    UdpTemplate tmpl;
};

// The template and the rodata as UdpBlaster::create sets them.
LoadedBlast load_blast(const UdpFrameSpec& spec, uint16_t port_count, uint16_t run_id, int out_ifindex,
                       uint32_t ts_every);

// The rodata as UdpSink::create sets them (ifindex, ifname and mode unused:
// nothing is attached).
SkelPtr<xg_udp_sink> load_sink(const UdpSinkConfig& cfg);

SkelPtr<xg_probe> load_probe();

// The sink's per-CPU counters, combined as UdpSink::snapshot does: sums, and
// for first_ns/last_ns the earliest set and the latest.
xg_sink_counters sink_counters(const xg_udp_sink& s);
// The latency histogram, summed over CPUs, one count per bucket.
std::vector<uint64_t> sink_latency(const xg_udp_sink& s);
// Frames lost on a stream, computed as UdpSink::snapshot does.
uint64_t stream_lost(const xg_sink_stream& st);

}  // namespace xdpgen::test
