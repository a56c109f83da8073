// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/netdev.hpp"

#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "util/fd.hpp"

namespace xdpgen {
namespace {

void read_ethtool_info(NetDev& d)
{
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid())
        return;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, d.name.c_str(), IFNAMSIZ - 1);

    ethtool_drvinfo info{};
    info.cmd = ETHTOOL_GDRVINFO;
    ifr.ifr_data = reinterpret_cast<char*>(&info);
    if (::ioctl(s.get(), SIOCETHTOOL, &ifr) == 0)
        d.driver = info.driver;

    if (::ioctl(s.get(), SIOCGIFMTU, &ifr) == 0)
        d.mtu = static_cast<unsigned>(ifr.ifr_mtu);
}

unsigned count_queues(const std::string& name, const char* prefix)
{
    std::error_code ec;
    unsigned n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + name + "/queues", ec))
        if (e.path().filename().string().rfind(prefix, 0) == 0)
            n++;
    return n ? n : 1;
}

}  // namespace

std::optional<IpAddr> NetDev::first_addr(bool v6) const
{
    std::optional<IpAddr> fallback;
    for (const auto& a : addrs) {
        if (a.v6 != v6)
            continue;
        if (!a.is_link_local())
            return a;
        if (!fallback)
            fallback = a;
    }
    return fallback;
}

Result<NetDev> netdev_lookup(const std::string& name)
{
    NetDev d;
    d.name = name;
    if (name.empty() || name.size() >= IFNAMSIZ)
        return make_error(fmt::format("'{}' is not a valid interface name", name));
    d.ifindex = static_cast<int>(if_nametoindex(name.c_str()));
    if (d.ifindex == 0)
        return make_error(fmt::format("interface {} does not exist", name), 0,
                          "list the interfaces with 'ip link' (inside the right network namespace)");

    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return sys_error("cannot list interface addresses");
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || name != a->ifa_name)
            continue;
        d.up = a->ifa_flags & IFF_UP;
        d.running = a->ifa_flags & IFF_RUNNING;
        switch (a->ifa_addr->sa_family) {
        case AF_PACKET: {
            auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
            if (ll->sll_halen == 6)
                std::memcpy(d.mac.b.data(), ll->sll_addr, 6);
            break;
        }
        case AF_INET: {
            auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            d.addrs.push_back(IpAddr::from_v4(in->sin_addr.s_addr));
            break;
        }
        case AF_INET6: {
            auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            IpAddr ip;
            ip.v6 = true;
            std::memcpy(ip.b.data(), &in6->sin6_addr, 16);
            d.addrs.push_back(ip);
            break;
        }
        default:
            break;
        }
    }
    freeifaddrs(list);
    read_ethtool_info(d);
    d.rx_queues = count_queues(name, "rx-");
    d.tx_queues = count_queues(name, "tx-");
    return d;
}

LinkState netdev_link_state(int ifindex)
{
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s.valid())
        return LinkState::Up;
    ifreq ifr{};
    ifr.ifr_ifindex = ifindex;
    // By index, then the flags by the name it has now.
    if (::ioctl(s.get(), SIOCGIFNAME, &ifr) != 0)
        return errno == ENODEV ? LinkState::Gone : LinkState::Up;
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0)
        return errno == ENODEV ? LinkState::Gone : LinkState::Up;
    if (!(ifr.ifr_flags & IFF_UP))
        return LinkState::AdminDown;
    return (ifr.ifr_flags & IFF_RUNNING) ? LinkState::Up : LinkState::NoCarrier;
}

Result<NetDevCounters> netdev_counters(const std::string& name)
{
    NetDevCounters c;
    const std::string dir = "/sys/class/net/" + name + "/statistics/";
    auto rd = [&](const char* f, uint64_t& v) {
        std::ifstream in(dir + f);
        return static_cast<bool>(in >> v);
    };
    if (!rd("rx_packets", c.rx_packets) || !rd("rx_bytes", c.rx_bytes) || !rd("rx_dropped", c.rx_dropped) ||
        !rd("tx_packets", c.tx_packets) || !rd("tx_bytes", c.tx_bytes) || !rd("tx_dropped", c.tx_dropped))
        return make_error(fmt::format("cannot read the counters of {} from {}", name, dir));
    return c;
}

}  // namespace xdpgen
