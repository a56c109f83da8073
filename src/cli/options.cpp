// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/options.hpp"

#include <algorithm>
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

namespace {

uint32_t low32(const IpAddr& a)
{
    const size_t o = a.v6 ? 12 : 0;
    return uint32_t(a.b[o]) << 24 | uint32_t(a.b[o + 1]) << 16 | uint32_t(a.b[o + 2]) << 8 | a.b[o + 3];
}

IpAddr with_low32(IpAddr a, uint32_t v)
{
    const size_t o = a.v6 ? 12 : 0;
    a.b[o] = uint8_t(v >> 24);
    a.b[o + 1] = uint8_t(v >> 16);
    a.b[o + 2] = uint8_t(v >> 8);
    a.b[o + 3] = uint8_t(v);
    return a;
}

}  // namespace

IpAddr AddrRange::at(uint32_t i) const { return with_low32(first, low32(first) + i); }

Result<AddrRange> option_addr_range(const std::string& value, const char* option)
{
    auto bad = [&](const std::string& why) {
        return make_error(fmt::format("{}: '{}' {}", option, value, why), 0,
                          "give an address, a range A-B or a subnet A/LEN, e.g. 198.18.0.10-198.18.0.20");
    };
    AddrRange r;
    const size_t dash = value.find('-');
    const size_t slash = value.find('/');
    if (dash == std::string::npos && slash == std::string::npos) {
        auto a = parse_ip(value);
        if (!a)
            return bad("is not an IPv4 or IPv6 address");
        r.first = *a;
        return r;
    }
    if (dash != std::string::npos) {
        auto a = parse_ip(value.substr(0, dash));
        auto b = parse_ip(value.substr(dash + 1));
        if (!a || !b)
            return bad("is not a range of two addresses");
        if (a->v6 != b->v6)
            return bad("mixes IPv4 and IPv6");
        const size_t prefix = a->v6 ? 12 : 0;
        if (!std::equal(a->b.begin(), a->b.begin() + prefix, b->b.begin()) || low32(*b) < low32(*a))
            return bad("is not an ascending range (IPv6 ranges may differ in the last 32 bits only)");
        const uint64_t n = uint64_t(low32(*b)) - low32(*a) + 1;
        if (n > kMaxAddrRange)
            return bad(fmt::format("holds {} addresses, at most {}", n, kMaxAddrRange));
        r.first = *a;
        r.count = static_cast<uint32_t>(n);
        return r;
    }
    auto a = parse_ip(value.substr(0, slash));
    unsigned len = 0;
    const std::string ls = value.substr(slash + 1);
    if (!a || ls.empty() || ls.size() > 3 || ls.find_first_not_of("0123456789") != std::string::npos)
        return bad("is not a subnet A/LEN");
    len = static_cast<unsigned>(std::stoul(ls));
    const unsigned bits = a->v6 ? 128 : 32;
    if (len > bits)
        return bad("has a prefix longer than the address");
    const unsigned host_bits = bits - len;
    if (host_bits > 16)
        return bad(fmt::format("has more than {} addresses", kMaxAddrRange));
    const uint32_t mask = host_bits >= 32 ? 0 : ~((uint32_t(1) << host_bits) - 1);
    uint32_t lo = low32(*a) & mask;
    uint64_t n = uint64_t(1) << host_bits;
    if (!a->v6 && host_bits >= 2) {  // no network or broadcast address
        lo += 1;
        n -= 2;
    }
    if (n > kMaxAddrRange)
        return bad(fmt::format("has {} addresses, at most {}", n, kMaxAddrRange));
    r.first = with_low32(*a, lo);
    r.count = static_cast<uint32_t>(n);
    return r;
}

std::string LinkDownPolicy::str() const
{
    return wait ? fmt::format("wait:{}", max_wait_s) : "fail";
}

Result<LinkDownPolicy> option_on_link_down(const std::string& value)
{
    LinkDownPolicy p;
    if (value == "fail")
        return p;
    p.wait = true;
    p.max_wait_s = kDefaultLinkWaitS;
    if (value == "wait")
        return p;
    const std::string_view v = value;
    double s = 0;
    if (v.substr(0, 5) == "wait:") {
        const auto [end, ec] = std::from_chars(v.data() + 5, v.data() + v.size(), s);
        if (ec == std::errc() && end == v.data() + v.size() && v.size() > 5 && s > 0 && s <= 86400) {
            p.max_wait_s = s;
            return p;
        }
    }
    return make_error(fmt::format("--on-link-down: '{}' is not fail, wait or wait:SECONDS", value), 0,
                      "e.g. --on-link-down wait:30 rides out the interface being down for up to 30 s");
}

}  // namespace xdpgen
