// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Everything needed to put a frame on the wire towards a destination:
// interface, addresses, and both MACs, with the user's overrides.

#include <chrono>
#include <optional>
#include <string>

#include "net/addr.hpp"
#include "sys/netdev.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct PathRequest {
    std::string ifname;
    IpAddr dst;
    std::optional<IpAddr> src;
    std::optional<MacAddr> src_mac, dst_mac;
    std::chrono::milliseconds resolve_timeout{3000};
};

struct Path {
    NetDev dev;
    IpAddr src, dst;
    MacAddr src_mac, dst_mac;
    bool dst_mac_resolved = false;  // from the neighbour table, not the user
};

// The interface must exist and be up. Defaults: source address from the
// kernel's route (or the interface's first address of the family), source MAC
// from the interface, destination MAC from the neighbour table.
Result<Path> resolve_path(const PathRequest& req);

// The interface exists and is up, or a sentence saying what to do.
Result<NetDev> netdev_require_up(const std::string& ifname);

}  // namespace xdpgen
