// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Next hop and its MAC address, asked from the kernel over rtnetlink, so
// xdpgen sends where the kernel would.

#include <chrono>
#include <optional>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct Route {
    IpAddr next_hop;             // the gateway, or the destination itself when on-link
    std::optional<IpAddr> src;   // the kernel's preferred source, if any
    int oif = 0;
};

// The kernel's route to dst out of interface oif.
Result<Route> route_lookup(const IpAddr& dst, int oif);

// The MAC of next_hop on ifindex, from the neighbour table; when the entry is
// missing or stale the kernel is asked to resolve it (ARP / NDP) and the call
// waits up to timeout.
Result<MacAddr> resolve_neighbour(int ifindex, const IpAddr& next_hop, std::chrono::milliseconds timeout);

}  // namespace xdpgen
