// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/path.hpp"

#include <fmt/format.h>

#include "sys/neigh.hpp"

namespace xdpgen {

Result<NetDev> netdev_require_up(const std::string& ifname)
{
    auto dev = netdev_lookup(ifname);
    if (!dev)
        return dev.error();
    if (!dev->up)
        return make_error(fmt::format("interface {} is down", ifname), 0,
                          fmt::format("bring it up with 'ip link set dev {} up'", ifname));
    return dev;
}

Result<Path> resolve_path(const PathRequest& req)
{
    auto dev = netdev_require_up(req.ifname);
    if (!dev)
        return dev.error();
    Path p;
    p.dev = std::move(dev.value());
    p.dst = req.dst;
    p.src_mac = req.src_mac.value_or(p.dev.mac);
    const char* fam = req.dst.v6 ? "IPv6" : "IPv4";

    if (req.src && req.src->v6 != req.dst.v6)
        return make_error(fmt::format("source {} and destination {} are not of the same family", req.src->str(), req.dst.str()));

    // Without a MAC override the kernel's route decides the next hop; with
    // both overrides, no route is needed (e.g. addresses the interface lacks).
    std::optional<Route> route;
    if (!req.dst_mac || !req.src) {
        auto r = route_lookup(req.dst, p.dev.ifindex);
        if (r)
            route = r.value();
        else if (!req.dst_mac)
            return r.error();
    }

    if (req.src) {
        p.src = *req.src;
    } else if (route && route->src) {
        p.src = *route->src;
    } else if (auto a = p.dev.first_addr(req.dst.v6)) {
        p.src = *a;
    } else {
        return make_error(fmt::format("interface {} has no {} address", p.dev.name, fam), 0,
                          "add one with 'ip addr add' or give the source with --src-addr");
    }

    if (req.dst_mac) {
        p.dst_mac = *req.dst_mac;
    } else {
        auto mac = resolve_neighbour(p.dev.ifindex, route->next_hop, req.resolve_timeout);
        if (!mac)
            return mac.error();
        p.dst_mac = mac.value();
        p.dst_mac_resolved = true;
    }
    return p;
}

}  // namespace xdpgen
