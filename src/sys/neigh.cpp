// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/neigh.hpp"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include <fmt/format.h>

namespace xdpgen {
namespace {

struct MnlDeleter {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<mnl_socket, MnlDeleter>;

Result<MnlSocket> open_rtnl()
{
    MnlSocket s(mnl_socket_open(NETLINK_ROUTE));
    if (!s)
        return sys_error("cannot open an rtnetlink socket");
    if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return sys_error("cannot bind the rtnetlink socket");
    return s;
}

// Sends nlh and calls on_msg for each answer; the kernel's error comes back as a negative errno.
int rtnl_talk(mnl_socket* s, nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& on_msg)
{
    const unsigned seq = nlh->nlmsg_seq = static_cast<unsigned>(time(nullptr));
    if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    const unsigned portid = mnl_socket_get_portid(s);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    auto cb = [](const nlmsghdr* m, void* data) -> int {
        (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(m);
        return MNL_CB_OK;
    };
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
        if (n < 0)
            return -errno;
        int r = mnl_cb_run(buf, static_cast<size_t>(n), seq, portid, cb, const_cast<void*>(static_cast<const void*>(&on_msg)));
        if (r <= MNL_CB_STOP)
            return r < 0 ? -errno : 0;
        if (!(nlh->nlmsg_flags & NLM_F_DUMP))
            return 0;
    }
}

// libmnl's mnl_attr_for_each relies on C's implicit void* conversion.
template <typename F>
void for_each_attr(const nlmsghdr* m, size_t hdr_len, F&& f)
{
    auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, hdr_len));
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
    for (; mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
        f(a);
}

IpAddr addr_from_attr(const nlattr* a, bool v6)
{
    IpAddr ip;
    ip.v6 = v6;
    std::memcpy(ip.b.data(), mnl_attr_get_payload(a), v6 ? 16 : 4);
    return ip;
}

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

Result<NeighState> neigh_get(mnl_socket* s, int ifindex, const IpAddr& ip)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    nd->ndm_family = ip.v6 ? AF_INET6 : AF_INET;
    nd->ndm_ifindex = ifindex;
    mnl_attr_put(nlh, NDA_DST, ip.v6 ? 16 : 4, ip.b.data());

    NeighState st;
    int r = rtnl_talk(s, nlh, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWNEIGH)
            return;
        auto* n = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(m));
        st.found = true;
        st.state = n->ndm_state;
        for_each_attr(m, sizeof(ndmsg), [&](const nlattr* a) {
            if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
                MacAddr mac;
                std::memcpy(mac.b.data(), mnl_attr_get_payload(a), 6);
                st.mac = mac;
            }
        });
    });
    if (r == -ENOENT)
        return NeighState{};
    if (r < 0)
        return sys_error("cannot read the neighbour table", r);
    return st;
}

// Asks the kernel to resolve the entry now (NTF_USE), as if a packet were waiting for it.
int neigh_kick(mnl_socket* s, int ifindex, const IpAddr& ip)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
    auto* nd = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    nd->ndm_family = ip.v6 ? AF_INET6 : AF_INET;
    nd->ndm_ifindex = ifindex;
    nd->ndm_flags = NTF_USE;
    mnl_attr_put(nlh, NDA_DST, ip.v6 ? 16 : 4, ip.b.data());
    return rtnl_talk(s, nlh, [](const nlmsghdr*) {});
}

}  // namespace

Result<Route> route_lookup(const IpAddr& dst, int oif)
{
    auto s = open_rtnl();
    if (!s)
        return s.error();
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rt->rtm_family = dst.v6 ? AF_INET6 : AF_INET;
    rt->rtm_dst_len = dst.v6 ? 128 : 32;
    mnl_attr_put(nlh, RTA_DST, dst.v6 ? 16 : 4, dst.b.data());
    if (oif)
        mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(oif));

    Route route;
    route.next_hop = dst;
    int r = rtnl_talk(s->get(), nlh, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWROUTE)
            return;
        for_each_attr(m, sizeof(rtmsg), [&](const nlattr* a) {
            switch (mnl_attr_get_type(a)) {
            case RTA_GATEWAY: route.next_hop = addr_from_attr(a, dst.v6); break;
            case RTA_PREFSRC: route.src = addr_from_attr(a, dst.v6); break;
            case RTA_OIF: route.oif = static_cast<int>(mnl_attr_get_u32(a)); break;
            default: break;
            }
        });
    });
    if (r < 0)
        return sys_error(fmt::format("no route to {}{}", dst.str(), oif ? " via " + ifname(oif) : ""), r,
                         "add an address or a route for it on the interface ('ip addr' / 'ip route')");
    return route;
}

Result<MacAddr> resolve_neighbour(int ifindex, const IpAddr& ip, std::chrono::milliseconds timeout)
{
    auto s = open_rtnl();
    if (!s)
        return s.error();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool kicked = false;
    for (;;) {
        auto st = neigh_get(s->get(), ifindex, ip);
        if (!st)
            return st.error();
        constexpr uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
        if (st->found && (st->state & usable) && st->mac)
            return *st->mac;
        if (std::chrono::steady_clock::now() >= deadline)
            break;
        if (!kicked || (st->found && (st->state & NUD_FAILED))) {
            int r = neigh_kick(s->get(), ifindex, ip);
            if (r < 0 && !kicked)
                return sys_error(fmt::format("cannot ask the kernel to resolve {} on {}", ip.str(), ifname(ifindex)), r);
            kicked = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return make_error(fmt::format("no {} answer from {} on {} within {} ms", ip.v6 ? "neighbour (NDP)" : "ARP",
                                  ip.str(), ifname(ifindex), timeout.count()),
                      0, "check that the peer is up on that link, or give its MAC address with --dst-mac");
}

}  // namespace xdpgen
