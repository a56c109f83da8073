// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What xdpgen needs to know about a network interface.

#include <cstdint>
#include <string>
#include <vector>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct NetDev {
    std::string name;
    int ifindex = 0;
    MacAddr mac;
    bool up = false;       // administratively up
    bool running = false;  // carrier
    unsigned mtu = 0;
    std::string driver;    // ethtool driver name, e.g. "veth"; may be empty
    unsigned rx_queues = 1, tx_queues = 1;
    std::vector<IpAddr> addrs;

    // The first address of the family, global scope preferred.
    std::optional<IpAddr> first_addr(bool v6) const;
};

// Looks the interface up; fails with a sentence naming it when it is missing.
Result<NetDev> netdev_lookup(const std::string& name);

// An interface's state during a run, by index: a new interface with the
// same name is another interface.
enum class LinkState : uint8_t {
    Up,         // administratively up, with carrier
    AdminDown,  // set down ('ip link set ... down')
    NoCarrier,  // up, but its link is down (a veth whose other end is down, a cable out)
    Gone,       // deleted
};
// Unknown (a failed syscall other than "no such device") reads as Up: a
// run is never ended on a guess.
LinkState netdev_link_state(int ifindex);

// Counters from /sys/class/net/<name>/statistics.
struct NetDevCounters {
    uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0;
    uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0;
};
Result<NetDevCounters> netdev_counters(const std::string& name);

}  // namespace xdpgen
