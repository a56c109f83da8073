// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/local_target.hpp"

#include <charconv>

#include <fmt/format.h>

namespace xdpgen {

namespace {

bool in_range(const AddrRange& r, const IpAddr& a)
{
    for (uint32_t i = 0; i < r.count; i++)
        if (r.at(i) == a)
            return true;
    return false;
}

AddrRange gen_range(const local::LocalNet& net, bool v6)
{
    return v6 ? AddrRange{net.gen_v6_first(), net.gen_v6_count()} : AddrRange{net.gen_v4_first(), net.gen_v4_count()};
}

}  // namespace

Result<std::unique_ptr<local::LocalNet>> open_local_net(const LocalOptions& o)
{
    local::LocalNetConfig cfg;
    cfg.queues = o.queues ? o.queues : 1;
    for (const auto& r : o.ranges) {
        auto& slot = r.find(':') != std::string::npos ? cfg.v6_range : cfg.v4_range;
        if (slot)
            return make_error(fmt::format("--local-range {}: one range per family (already {})", r, *slot));
        slot = r;
    }
    auto net = local::LocalNet::create(cfg);
    if (!net)
        return net.error().context("local mode");
    return net;
}

Result<LocalClientPath> local_client_path(const local::LocalNet& net, const IpAddr& target, const std::string& src_addr)
{
    if (target.v6 && !net.has_v6())
        return make_error(fmt::format("local mode: {} is IPv6, but IPv6 is off for new interfaces on this host",
                                      target.str()),
                          0, "target an IPv4 address, or enable IPv6 (sysctl net.ipv6.conf.default.disable_ipv6=0)");
    LocalClientPath p;
    p.ifname = net.gen_ifname();
    p.dst = local::wire_target(net, target);
    p.src = gen_range(net, target.v6);
    p.src_mac = net.gen_mac();
    p.dst_mac = net.host_mac();
    if (!src_addr.empty()) {
        auto r = option_addr_range(src_addr, "--src-addr");
        if (!r)
            return r.error();
        if (!in_range(p.src, r->first) || !in_range(p.src, r->at(r->count - 1)))
            return make_error(fmt::format("--src-addr {} is outside local mode's addresses {}-{}", src_addr,
                                          p.src.first.str(), p.src.at(p.src.count - 1).str()),
                              0, "choose the range with --local-range, or leave --src-addr out");
        p.src = *r;
    }
    return p;
}

Result<std::vector<Endpoint>> local_listen(const local::LocalNet& net, const std::string& spec)
{
    // ":PORT" (both families) or an endpoint.
    if (!spec.empty() && spec[0] == ':') {
        unsigned port = 0;
        const auto [end, ec] = std::from_chars(spec.data() + 1, spec.data() + spec.size(), port);
        if (ec != std::errc() || end != spec.data() + spec.size() || port == 0 || port > 65535)
            return make_error(fmt::format("--local '{}': the port is not 1-65535", spec), 0, "e.g. --local :8080");
        std::vector<Endpoint> eps = {{net.gen_v4_first(), uint16_t(port)}};
        if (net.has_v6())
            eps.push_back({net.gen_v6_first(), uint16_t(port)});
        return eps;
    }
    auto ep = parse_endpoint(spec);
    if (!ep)
        return make_error(fmt::format("--local '{}' is not [ADDR]:PORT", spec), 0, "e.g. --local :8080");
    const AddrRange r = gen_range(net, ep->addr.v6);
    if ((ep->addr.v6 && !net.has_v6()) || !in_range(r, ep->addr))
        return make_error(fmt::format("--local {}: {} is not one of local mode's addresses ({}-{})", spec,
                                      ep->addr.str(), r.first.str(), r.at(r.count - 1).str()),
                          0, "give :PORT for the first of each family, or choose the range with --local-range");
    return std::vector<Endpoint>{*ep};
}

}  // namespace xdpgen
