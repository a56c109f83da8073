// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/addr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace xdpgen {

bool MacAddr::is_zero() const
{
    for (auto x : b)
        if (x)
            return false;
    return true;
}

std::string MacAddr::str() const
{
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

IpAddr IpAddr::from_v4(uint32_t be_addr)
{
    IpAddr a;
    std::memcpy(a.b.data(), &be_addr, 4);
    return a;
}

uint32_t IpAddr::v4_be() const
{
    uint32_t v;
    std::memcpy(&v, b.data(), 4);
    return v;
}

bool IpAddr::is_unspecified() const
{
    size_t n = v6 ? 16 : 4;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

bool IpAddr::is_link_local() const
{
    if (v6)
        return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
    return b[0] == 169 && b[1] == 254;
}

std::string IpAddr::str() const
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof(buf));
    return buf;
}

std::optional<MacAddr> parse_mac(std::string_view s)
{
    MacAddr m;
    if (s.size() != 17 || (s[2] != ':' && s[2] != '-'))
        return std::nullopt;
    const char sep = s[2];
    for (int i = 0; i < 6; i++) {
        const char* p = s.data() + i * 3;
        if (i < 5 && p[2] != sep)
            return std::nullopt;
        auto [end, ec] = std::from_chars(p, p + 2, m.b[i], 16);
        if (ec != std::errc() || end != p + 2)
            return std::nullopt;
    }
    return m;
}

std::optional<IpAddr> parse_ip(std::string_view s)
{
    if (s.find('\0') != std::string_view::npos)  // inet_pton would stop there
        return std::nullopt;
    std::string str(s);
    IpAddr a;
    if (inet_pton(AF_INET, str.c_str(), a.b.data()) == 1)
        return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, str.c_str(), a.b.data()) == 1)
        return a;
    return std::nullopt;
}

std::string Endpoint::str() const
{
    return addr.v6 ? fmt::format("[{}]:{}", addr.str(), port) : fmt::format("{}:{}", addr.str(), port);
}

std::optional<Endpoint> parse_endpoint(std::string_view s)
{
    std::string_view host, port;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
            return std::nullopt;
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
    } else {
        auto colon = s.rfind(':');
        if (colon == std::string_view::npos || s.find(':') != colon)
            return std::nullopt;
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
    }
    auto ip = parse_ip(host);
    if (!ip || (s.front() == '[') != ip->v6)
        return std::nullopt;
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
        return std::nullopt;
    return Endpoint{*ip, static_cast<uint16_t>(p)};
}

}  // namespace xdpgen
