// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/options.hpp"

#include <charconv>

#include <fmt/format.h>

namespace xdpgen {

Result<IpAddr> option_ip(const std::string& value, const char* option)
{
    auto ip = parse_ip(value);
    if (!ip)
        return make_error(fmt::format("{}: '{}' is not an IPv4 or IPv6 address", option, value));
    return *ip;
}

Result<std::optional<IpAddr>> option_ip_opt(const std::string& value, const char* option)
{
    if (value.empty())
        return std::optional<IpAddr>{};
    auto ip = option_ip(value, option);
    if (!ip)
        return ip.error();
    return std::optional<IpAddr>{ip.value()};
}

Result<std::optional<MacAddr>> option_mac_opt(const std::string& value, const char* option)
{
    if (value.empty())
        return std::optional<MacAddr>{};
    auto mac = parse_mac(value);
    if (!mac)
        return make_error(fmt::format("{}: '{}' is not a MAC address (like 02:00:00:00:00:01)", option, value));
    return std::optional<MacAddr>{*mac};
}

Result<PortRange> option_port_range(const std::string& value, const char* option)
{
    auto parse = [](std::string_view s, uint16_t& out) {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535)
            return false;
        out = static_cast<uint16_t>(v);
        return true;
    };
    PortRange r;
    const std::string_view v = value;
    const auto dash = v.find('-');
    bool ok = dash == std::string_view::npos ? parse(v, r.lo) && parse(v, r.hi)
                                             : parse(v.substr(0, dash), r.lo) && parse(v.substr(dash + 1), r.hi);
    if (!ok || r.lo > r.hi)
        return make_error(fmt::format("{}: '{}' is not a port (1-65535) or a port range like 9-16", option, value));
    return r;
}

}  // namespace xdpgen
