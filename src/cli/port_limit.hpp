// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Why a client's starts waited for a local port, the rate that caps, and
// the fix: a limit of the generator that must not pass for the server's.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace xdpgen {

struct PortUse {
    uint64_t local_addrs = 1;
    uint64_t ports = 1;            // per address
    double time_wait_s = 0;        // --time-wait: we hold a pair after closing first
    double peer_time_wait_s = 0;   // --peer-time-wait: a pair rests after the server closed first
    uint64_t in_time_wait = 0;     // gauges when the starts waited
    uint64_t resting = 0;
    uint64_t open = 0;
};

struct PortLimit {
    uint64_t pairs = 0;
    double hold_s = 0;     // how long a pair stays unusable after its connection
    double cap_cps = 0;    // pairs / hold_s; 0 when the open connections use every pair
    std::string cause;
    std::string fix;
};

PortLimit port_limit(const PortUse& u);
// One sentence: what happened, the cap it implies, and what to do.
std::string port_limit_note(const PortLimit& l, uint64_t waits);
nlohmann::json port_limit_json(const PortLimit& l, uint64_t waits);

}  // namespace xdpgen
