// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/neigh.hpp"
#include "sys/rtnl.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace xdpgen {
namespace {

std::string ifname(int ifindex)
{
    char buf[IF_NAMESIZE] = "?";
    if_indextoname(static_cast<unsigned>(ifindex), buf);
    return buf;
}

struct NeighState {
    bool found = false;
    uint16_t state = 0;
    std::optional<MacAddr> mac;
};

Result<NeighState> neigh_get(Rtnl& nl, int ifindex, const IpAddr& ip)
{
    RtnlRequest req(RTM_GETNEIGH, 0);
    auto* nd = req.extra<ndmsg>();
    nd->ndm_family = ip.v6 ? AF_INET6 : AF_INET;
    nd->ndm_ifindex = ifindex;
    mnl_attr_put(req.nlh, NDA_DST, ip.v6 ? 16 : 4, ip.b.data());

    NeighState st;
    const auto a = nl.talk(req.nlh, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWNEIGH)
            return;
        auto* n = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(m));
        st.found = true;
        st.state = n->ndm_state;
        for_each_attr(m, sizeof(ndmsg), [&](const nlattr* at) {
            if (mnl_attr_get_type(at) == NDA_LLADDR && mnl_attr_get_payload_len(at) == 6) {
                MacAddr mac;
                std::memcpy(mac.b.data(), mnl_attr_get_payload(at), 6);
                st.mac = mac;
            }
        });
    });
    if (a.err == -ENOENT)
        return NeighState{};
    if (!a)
        return nl_error("cannot read the neighbour table", a);
    return st;
}

// Asks the kernel to resolve the entry now (NTF_USE), as if a packet were waiting for it.
Rtnl::Answer neigh_kick(Rtnl& nl, int ifindex, const IpAddr& ip)
{
    RtnlRequest req(RTM_NEWNEIGH, NLM_F_CREATE);
    auto* nd = req.extra<ndmsg>();
    nd->ndm_family = ip.v6 ? AF_INET6 : AF_INET;
    nd->ndm_ifindex = ifindex;
    nd->ndm_flags = NTF_USE;
    mnl_attr_put(req.nlh, NDA_DST, ip.v6 ? 16 : 4, ip.b.data());
    return nl.talk(req.nlh);
}

}  // namespace

Result<Route> route_lookup(const IpAddr& dst, int oif)
{
    auto nl = Rtnl::open();
    if (!nl)
        return nl.error();
    RtnlRequest req(RTM_GETROUTE, 0);
    auto* rt = req.extra<rtmsg>();
    rt->rtm_family = dst.v6 ? AF_INET6 : AF_INET;
    rt->rtm_dst_len = dst.v6 ? 128 : 32;
    mnl_attr_put(req.nlh, RTA_DST, dst.v6 ? 16 : 4, dst.b.data());
    if (oif)
        mnl_attr_put_u32(req.nlh, RTA_OIF, static_cast<uint32_t>(oif));

    Route route;
    route.next_hop = dst;
    const auto a = nl->talk(req.nlh, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWROUTE)
            return;
        for_each_attr(m, sizeof(rtmsg), [&](const nlattr* at) {
            switch (mnl_attr_get_type(at)) {
            case RTA_GATEWAY: route.next_hop = addr_from_attr(at, dst.v6); break;
            case RTA_PREFSRC: route.src = addr_from_attr(at, dst.v6); break;
            case RTA_OIF: route.oif = static_cast<int>(mnl_attr_get_u32(at)); break;
            default: break;
            }
        });
    });
    if (!a)
        return nl_error(fmt::format("no route to {}{}", dst.str(), oif ? " via " + ifname(oif) : ""), a,
                        "add an address or a route for it on the interface ('ip addr' / 'ip route')");
    return route;
}

Result<MacAddr> resolve_neighbour(int ifindex, const IpAddr& ip, std::chrono::milliseconds timeout)
{
    auto nl = Rtnl::open();
    if (!nl)
        return nl.error();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool kicked = false;
    for (;;) {
        auto st = neigh_get(*nl, ifindex, ip);
        if (!st)
            return st.error();
        constexpr uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
        if (st->found && (st->state & usable) && st->mac)
            return *st->mac;
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        if (!kicked || (st->found && (st->state & NUD_FAILED))) {
            const auto r = neigh_kick(*nl, ifindex, ip);
            if (!r && !kicked)
                return nl_error(fmt::format("cannot ask the kernel to resolve {} on {}", ip.str(), ifname(ifindex)), r);
            kicked = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return make_error(fmt::format("no {} answer from {} on {} within {} ms", ip.v6 ? "neighbour (NDP)" : "ARP",
                                  ip.str(), ifname(ifindex), timeout.count()),
                      0, "check that the peer is up on that link, or give its MAC address with --dst-mac");
}

}  // namespace xdpgen
