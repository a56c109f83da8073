// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The UDP sink: an XDP program that counts (and drops) the matching UDP
// packets, reading the blaster's stamps for loss, reordering and latency.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bpf/xdp_link.hpp"
#include "net/addr.hpp"
#include "stats/latency.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct UdpSinkConfig {
    int ifindex = 0;
    std::string ifname;
    XdpMode mode = XdpMode::Native;
    int family = 0;                // 4, 6, or 0 for both
    std::optional<IpAddr> dst;     // destination filter, none = any
    uint16_t port_lo = 0, port_hi = 0;  // destination ports, 0-0 = any
    bool pass = false;             // XDP_PASS the matched packets instead of dropping them
};

struct SinkSnapshot {
    uint64_t packets = 0, bytes = 0, stamped = 0, reordered = 0;
    uint64_t lost = 0;     // sequence gaps not filled later, over all streams
    uint32_t streams = 0;  // sending CPUs seen
    // Arrival of the first and last stamped packet (CLOCK_MONOTONIC ns), 0 if none.
    uint64_t first_ns = 0, last_ns = 0;
    // Stamped packets per second between first and last arrival; 0 if unknown.
    double active_pps() const;
    LatencyHistogram latency;
};

class UdpSink {
public:
    static Result<std::unique_ptr<UdpSink>> create(const UdpSinkConfig& cfg);
    ~UdpSink();

    SinkSnapshot snapshot() const;
    // Matched packets so far: cheap enough to poll often.
    uint64_t packets() const;
    // Distinct destination ports seen so far.
    uint32_t ports_seen() const;
    XdpMode mode() const;
    void detach();

private:
    struct Impl;
    UdpSink();
    std::unique_ptr<Impl> impl_;
};

}  // namespace xdpgen
