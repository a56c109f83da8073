// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// MAC and IP addresses as values, with parsing and printing.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xdpgen {

struct MacAddr {
    std::array<uint8_t, 6> b{};

    bool is_zero() const;
    std::string str() const;
    bool operator==(const MacAddr&) const = default;
};

// An IPv4 or IPv6 address, bytes in network order (IPv4 in the first 4).
struct IpAddr {
    bool v6 = false;
    std::array<uint8_t, 16> b{};

    static IpAddr from_v4(uint32_t be_addr);
    uint32_t v4_be() const;
    bool is_unspecified() const;
    bool is_link_local() const;
    std::string str() const;
    bool operator==(const IpAddr&) const = default;
};

std::optional<MacAddr> parse_mac(std::string_view s);
std::optional<IpAddr> parse_ip(std::string_view s);

// "host:port", "[v6]:port"; port in 1..65535.
struct Endpoint {
    IpAddr addr;
    uint16_t port = 0;
    std::string str() const;
};
std::optional<Endpoint> parse_endpoint(std::string_view s);

}  // namespace xdpgen
