// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Parsing of option values that CLI11 takes as strings, with the sentence
// shown to the user when a value is wrong.

#include <optional>
#include <string>

#include "net/addr.hpp"
#include "util/result.hpp"

namespace xdpgen {

Result<IpAddr> option_ip(const std::string& value, const char* option);
// Empty value = not given.
Result<std::optional<IpAddr>> option_ip_opt(const std::string& value, const char* option);
Result<std::optional<MacAddr>> option_mac_opt(const std::string& value, const char* option);

// "P" or "P-Q" (inclusive), 1..65535.
struct PortRange {
    uint16_t lo = 0, hi = 0;
};
Result<PortRange> option_port_range(const std::string& value, const char* option);

// "A", "A-B" or "A/LEN" (the hosts of the subnet: for IPv4 shorter than /31
// without network and broadcast address): consecutive addresses counted in
// the last 32 bits, at most kMaxAddrRange.
struct AddrRange {
    IpAddr first;
    uint32_t count = 1;
    IpAddr at(uint32_t i) const;
};
inline constexpr uint32_t kMaxAddrRange = 65536;
Result<AddrRange> option_addr_range(const std::string& value, const char* option);

// --on-link-down: "fail" ends the run when its interface goes down; "wait"
// rides out a down period of up to kDefaultLinkWaitS seconds, "wait:S" of
// up to S seconds, then fails.
struct LinkDownPolicy {
    bool wait = false;
    double max_wait_s = 0;
    std::string str() const;  // "fail" or "wait:S"
};
inline constexpr double kDefaultLinkWaitS = 10;
Result<LinkDownPolicy> option_on_link_down(const std::string& value);

}  // namespace xdpgen
