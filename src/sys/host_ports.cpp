// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/host_ports.hpp"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace xdpgen {

namespace {

constexpr const char* kRangePath = "/proc/sys/net/ipv4/ip_local_port_range";
constexpr const char* kReservedPath = "/proc/sys/net/ipv4/ip_local_reserved_ports";

Result<std::string> slurp(const char* path)
{
    std::ifstream f(path);
    if (!f)
        return sys_error(fmt::format("cannot read {}", path), errno, "is /proc mounted?");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

bool to_port(std::string_view s, uint16_t& out)
{
    s = trim(s);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > 65535)
        return false;
    out = static_cast<uint16_t>(v);
    return true;
}

std::string range_text(uint16_t lo, uint16_t hi)
{
    return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

// The ports of [lo, hi] that are ephemeral and not reserved, as ranges.
std::vector<HostPorts::Range> ephemeral_in(const HostPorts& h, uint16_t lo, uint16_t hi)
{
    std::vector<HostPorts::Range> v;
    for (uint32_t p = std::max(lo, h.ephemeral_lo); p <= std::min(hi, h.ephemeral_hi); p++) {
        if (h.is_reserved(static_cast<uint16_t>(p)))
            continue;
        if (!v.empty() && v.back().hi + 1u == p)
            v.back().hi = static_cast<uint16_t>(p);
        else
            v.push_back({static_cast<uint16_t>(p), static_cast<uint16_t>(p)});
    }
    return v;
}

std::string ranges_text(const std::vector<HostPorts::Range>& v)
{
    std::string s;
    for (const auto& r : v)
        s += (s.empty() ? "" : ",") + range_text(r.lo, r.hi);
    return s;
}

std::vector<HostPorts::Range> reserved_in(const HostPorts& h, uint16_t lo, uint16_t hi)
{
    std::vector<HostPorts::Range> v;
    for (const auto& r : h.reserved)
        if (r.lo <= hi && r.hi >= lo)
            v.push_back({std::max(r.lo, lo), std::min(r.hi, hi)});
    return v;
}

std::optional<std::string> note(const HostPorts& h, const std::vector<HostPorts::Range>& eph,
                                const std::vector<HostPorts::Range>& res, std::string_view what)
{
    if (eph.empty() && res.empty())
        return std::nullopt;
    std::string s = fmt::format("note: {}", what);
    if (!eph.empty())
        s += fmt::format(" {} the kernel's ephemeral ports {} (net.ipv4.ip_local_port_range)",
                         eph.size() == 1 && eph[0].lo == eph[0].hi ? "is one of" : "overlap",
                         range_text(h.ephemeral_lo, h.ephemeral_hi));
    if (!res.empty())
        s += fmt::format(" {} ports the kernel reserves for the host's services ({}, net.ipv4.ip_local_reserved_ports)",
                         eph.empty() ? "include" : "and include", ranges_text(res));
    s += ": the host's own TCP connections on them stay the kernel's (the steering program asks the kernel "
         "about each segment)";
    if (!eph.empty())
        s += fmt::format("; to keep the two apart, add {} to net.ipv4.ip_local_reserved_ports", ranges_text(eph));
    return s;
}

}  // namespace

bool HostPorts::is_reserved(uint16_t port) const
{
    for (const auto& r : reserved)
        if (port >= r.lo && port <= r.hi)
            return true;
    return false;
}

Result<HostPorts> parse_host_ports(std::string_view port_range, std::string_view reserved)
{
    HostPorts h;
    const std::string_view pr = trim(port_range);
    const size_t sep = pr.find_first_of(" \t");
    if (sep == std::string_view::npos || !to_port(pr.substr(0, sep), h.ephemeral_lo) ||
        !to_port(pr.substr(sep + 1), h.ephemeral_hi) || h.ephemeral_lo > h.ephemeral_hi)
        return make_error(fmt::format("{} reads '{}', not two ports", kRangePath, pr));
    std::string_view rest = trim(reserved);
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        HostPorts::Range r{};
        const size_t dash = item.find('-');
        const bool ok = dash == std::string_view::npos
                            ? to_port(item, r.lo) && (r.hi = r.lo, true)
                            : to_port(item.substr(0, dash), r.lo) && to_port(item.substr(dash + 1), r.hi);
        if (!ok || r.lo > r.hi)
            return make_error(fmt::format("{} reads '{}', not a list of ports and port ranges", kReservedPath,
                                          trim(reserved)));
        h.reserved.push_back(r);
    }
    return h;
}

Result<HostPorts> read_host_ports()
{
    auto range = slurp(kRangePath);
    if (!range)
        return range.error();
    auto reserved = slurp(kReservedPath);
    if (!reserved)
        return reserved.error();
    return parse_host_ports(*range, *reserved);
}

std::optional<std::string> host_port_note(const HostPorts& h, uint16_t lo, uint16_t hi, std::string_view what)
{
    if (lo > hi)
        return std::nullopt;
    return note(h, ephemeral_in(h, lo, hi), reserved_in(h, lo, hi), what);
}

std::optional<std::string> host_port_note(const HostPorts& h, const std::vector<uint16_t>& ports)
{
    std::vector<HostPorts::Range> eph, res;
    std::vector<uint16_t> hit;
    for (uint16_t p : ports) {
        const bool e = p >= h.ephemeral_lo && p <= h.ephemeral_hi && !h.is_reserved(p);
        const bool r = h.is_reserved(p);
        if (e)
            eph.push_back({p, p});
        if (r)
            res.push_back({p, p});
        if (e || r)
            hit.push_back(p);
    }
    if (hit.empty())
        return std::nullopt;
    std::string what = hit.size() == 1 ? "listening port " : "listening ports ";
    for (size_t i = 0; i < hit.size(); i++)
        what += (i ? "," : "") + std::to_string(hit[i]);
    return note(h, eph, res, what);
}

Result<std::vector<uint16_t>> kernel_tcp_ports()
{
    std::vector<uint16_t> ports;
    for (const char* path : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream f(path);
        if (!f) {
            // No IPv6 in this kernel: no IPv6 sockets either.
            if (errno == ENOENT && std::string_view(path) == "/proc/net/tcp6")
                continue;
            return sys_error(fmt::format("cannot read {} (the kernel's TCP sockets)", path), errno,
                             "is /proc mounted?");
        }
        std::string line;
        std::getline(f, line);  // the header
        while (std::getline(f, line)) {
            // "  sl  local_address rem_address   st ...": ADDR:PORT in hex, state in hex.
            std::istringstream ls(line);
            std::string sl, local, remote, state;
            if (!(ls >> sl >> local >> remote >> state))
                continue;
            const size_t colon = local.rfind(':');
            if (colon == std::string::npos || state == "0A")  // TCP_LISTEN
                continue;
            unsigned port = 0;
            const char* b = local.data() + colon + 1;
            auto [p, ec] = std::from_chars(b, local.data() + local.size(), port, 16);
            if (ec == std::errc{} && port <= 65535)
                ports.push_back(static_cast<uint16_t>(port));
        }
    }
    return ports;
}

std::optional<std::string> host_port_notice(uint16_t lo, uint16_t hi, std::string_view what,
                                            const std::vector<uint16_t>& ports)
{
    auto h = read_host_ports();
    if (!h)
        return fmt::format("note: whether {} meet the kernel's own ports is unknown: {}", what, h.error().message());
    return ports.empty() ? host_port_note(*h, lo, hi, what) : host_port_note(*h, ports);
}

}  // namespace xdpgen
