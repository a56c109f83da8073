// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/local_net.hpp"
#include "sys/rtnl.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace xdpgen::local {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint32_t kMaxQueues = 256;
constexpr uint32_t kMaxGenAddrs = 253;  // .1 - .253, and ::1 - ::fd for symmetry
constexpr const char* kCapHint = "run as root or with CAP_NET_ADMIN and CAP_SYS_ADMIN";

int family(const IpAddr& a) { return a.v6 ? AF_INET6 : AF_INET; }
size_t addr_len(const IpAddr& a) { return a.v6 ? 16 : 4; }

// ---------------------------------------------------------------- links

struct LinkInfo {
    int index = 0;
    unsigned flags = 0;  // IFF_*, IFF_RUNNING once the carrier is up
    MacAddr mac;
};

// One link by index (when > 0) or by name, in the socket's netns.
Result<LinkInfo> link_get(Rtnl& nl, int index, const std::string& name)
{
    RtnlRequest r(RTM_GETLINK, 0);
    auto* ifi = r.extra<ifinfomsg>();
    ifi->ifi_index = index;
    if (index <= 0)
        mnl_attr_put_strz(r.nlh, IFLA_IFNAME, name.c_str());
    LinkInfo info;
    auto a = nl.talk(r.nlh, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWLINK)
            return;
        const auto* got = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(m));
        info.index = got->ifi_index;
        info.flags = got->ifi_flags;
        for_each_attr(m, sizeof(ifinfomsg), [&](const nlattr* at) {
            if (mnl_attr_get_type(at) == IFLA_ADDRESS && mnl_attr_get_payload_len(at) == 6)
                std::memcpy(info.mac.b.data(), mnl_attr_get_payload(at), 6);
        });
    });
    if (!a)
        return nl_error(fmt::format("cannot read the state of {}", name), a);
    return info;
}

Rtnl::Answer link_set_up(Rtnl& nl, const std::string& name, bool up)
{
    RtnlRequest r(RTM_NEWLINK, 0);
    auto* ifi = r.extra<ifinfomsg>();
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = up ? IFF_UP : 0;
    mnl_attr_put_strz(r.nlh, IFLA_IFNAME, name.c_str());
    return nl.talk(r.nlh);
}

Rtnl::Answer link_delete(Rtnl& nl, const std::string& name)
{
    RtnlRequest r(RTM_DELLINK, 0);
    r.extra<ifinfomsg>();
    mnl_attr_put_strz(r.nlh, IFLA_IFNAME, name.c_str());
    return nl.talk(r.nlh);
}

void put_queues(nlmsghdr* nlh, uint32_t queues)
{
    mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, queues);
    mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, queues);
}

// The pair, created from the host's netns with its peer born in the
// private one (VETH_INFO_PEER's IFLA_NET_NS_FD): neither end ever exists
// anywhere else.
Status create_veth(Rtnl& host, const std::string& host_name, const std::string& gen_name, int gen_ns, uint32_t queues)
{
    RtnlRequest r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    r.extra<ifinfomsg>();
    mnl_attr_put_strz(r.nlh, IFLA_IFNAME, host_name.c_str());
    put_queues(r.nlh, queues);
    nlattr* linkinfo = mnl_attr_nest_start(r.nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(r.nlh, IFLA_INFO_KIND, "veth");
    nlattr* data = mnl_attr_nest_start(r.nlh, IFLA_INFO_DATA);
    nlattr* peer = mnl_attr_nest_start(r.nlh, VETH_INFO_PEER);
    r.extra<ifinfomsg>();  // the peer's own header, inside the nest
    mnl_attr_put_strz(r.nlh, IFLA_IFNAME, gen_name.c_str());
    mnl_attr_put_u32(r.nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(gen_ns));
    put_queues(r.nlh, queues);
    mnl_attr_nest_end(r.nlh, peer);
    mnl_attr_nest_end(r.nlh, data);
    mnl_attr_nest_end(r.nlh, linkinfo);

    auto a = host.talk(r.nlh);
    if (a)
        return {};
    const std::string what = fmt::format("cannot create the veth pair {}/{} for local mode", host_name, gen_name);
    switch (-a.err) {
    case EOPNOTSUPP:
        return nl_error(what + ": this kernel has no veth support (CONFIG_VETH)", a,
                        "load the veth module ('modprobe veth') or use a kernel built with CONFIG_VETH");
    case EPERM:
    case EACCES: return nl_error(what, a, kCapHint);
    case EEXIST:
        return nl_error(what + ": the name is taken", a, "delete the stale interface: ip link del " + host_name);
    default: return nl_error(what, a);
    }
}

// An address, with IFA_F_NODAD for IPv6 so it is usable at once.
Rtnl::Answer addr_add(Rtnl& nl, int ifindex, const IpAddr& ip, unsigned prefix_len)
{
    RtnlRequest r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto* ifa = r.extra<ifaddrmsg>();
    ifa->ifa_family = static_cast<uint8_t>(family(ip));
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<uint32_t>(ifindex);
    mnl_attr_put(r.nlh, IFA_LOCAL, addr_len(ip), ip.b.data());
    mnl_attr_put(r.nlh, IFA_ADDRESS, addr_len(ip), ip.b.data());
    if (ip.v6) {
        ifa->ifa_flags = IFA_F_NODAD;
        mnl_attr_put_u32(r.nlh, IFA_FLAGS, IFA_F_NODAD);
    } else {
        const uint32_t bcast = ip.v4_be() | htonl(prefix_len >= 32 ? 0 : 0xffffffffu >> prefix_len);
        mnl_attr_put_u32(r.nlh, IFA_BROADCAST, bcast);
    }
    return nl.talk(r.nlh);
}

Rtnl::Answer addr_del(Rtnl& nl, int ifindex, const IpAddr& ip, unsigned prefix_len)
{
    RtnlRequest r(RTM_DELADDR, 0);
    auto* ifa = r.extra<ifaddrmsg>();
    ifa->ifa_family = static_cast<uint8_t>(family(ip));
    ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
    ifa->ifa_index = static_cast<uint32_t>(ifindex);
    mnl_attr_put(r.nlh, IFA_LOCAL, addr_len(ip), ip.b.data());
    return nl.talk(r.nlh);
}

// A default route of the socket's netns through gw on ifindex.
Rtnl::Answer default_route_add(Rtnl& nl, int ifindex, const IpAddr& gw)
{
    RtnlRequest r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    auto* rt = r.extra<rtmsg>();
    rt->rtm_family = static_cast<uint8_t>(family(gw));
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    mnl_attr_put(r.nlh, RTA_GATEWAY, addr_len(gw), gw.b.data());
    mnl_attr_put_u32(r.nlh, RTA_OIF, static_cast<uint32_t>(ifindex));
    return nl.talk(r.nlh);
}

// ---------------------------------------------------------------- sysctl, ethtool

// /proc/sys/net shows the netns of the thread that opens the file.
Status write_sysctl(const std::string& path, const std::string& value)
{
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.valid() && ::write(fd.get(), value.data(), value.size()) == static_cast<ssize_t>(value.size()))
        return {};
    const int err = errno;
    std::string hint = err == EACCES || err == EPERM ? kCapHint : "";
    if (err == EROFS)
        hint = "/proc/sys is read-only here (a container?): local mode needs it writable";
    return sys_error(fmt::format("cannot write {} to {}", value, path), err, std::move(hint));
}

std::optional<int> read_sysctl(const std::string& path)
{
    std::ifstream in(path);
    int v = 0;
    if (in >> v)
        return v;
    return std::nullopt;
}

// GRO on the host end: XDP frames redirected into a veth (live frames out of
// the generator end) are dropped unless its peer has GRO or an XDP program.
Status enable_gro(const std::string& ifname)
{
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    ethtool_value v{ETHTOOL_SGRO, 1};
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (!s.valid() || ::ioctl(s.get(), SIOCETHTOOL, &ifr) != 0)
        return sys_error(fmt::format("cannot turn GRO on for {}", ifname));
    return {};
}

// ---------------------------------------------------------------- address ranges

struct Cidr {
    IpAddr net;
    unsigned len = 0;
    std::string str() const { return fmt::format("{}/{}", net.str(), len); }
};

bool prefix_equal(const IpAddr& a, const IpAddr& b, unsigned bits)
{
    for (unsigned i = 0; i < bits / 8; i++)
        if (a.b[i] != b.b[i])
            return false;
    if (bits % 8 == 0)
        return true;
    const uint8_t mask = static_cast<uint8_t>(0xff00 >> (bits % 8));
    return (a.b[bits / 8] & mask) == (b.b[bits / 8] & mask);
}

bool overlaps(const Cidr& a, const Cidr& b)
{
    return a.net.v6 == b.net.v6 && prefix_equal(a.net, b.net, std::min(a.len, b.len));
}

bool contains(const Cidr& outer, const Cidr& inner)
{
    return outer.len <= inner.len && overlaps(outer, inner);
}

// base + n, n small: within the last 32 bits.
IpAddr offset(IpAddr base, uint32_t n)
{
    const size_t at = base.v6 ? 12 : 0;
    uint32_t v;
    std::memcpy(&v, base.b.data() + at, 4);
    v = htonl(ntohl(v) + n);
    std::memcpy(base.b.data() + at, &v, 4);
    return base;
}

std::optional<Cidr> parse_cidr(const std::string& s)
{
    const auto slash = s.find('/');
    if (slash == std::string::npos)
        return std::nullopt;
    auto ip = parse_ip(s.substr(0, slash));
    const std::string len = s.substr(slash + 1);
    auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
    if (!ip || len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), digit))
        return std::nullopt;
    Cidr c{*ip, static_cast<unsigned>(std::stoul(len))};
    if (c.len > (ip->v6 ? 128u : 32u))
        return std::nullopt;
    return c;
}

bool host_bits_zero(const Cidr& c)
{
    const unsigned total = c.net.v6 ? 128 : 32;
    for (unsigned bit = c.len; bit < total; bit++)
        if (c.net.b[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    return true;
}

// What the host already uses: every route (all tables) and every address.
// Routes shorter than /8 are left out, as default routes are: they are the
// halves of a default route VPNs install (0.0.0.0/1, 128.0.0.0/1, fc00::/7),
// which a /24 or /64 of ours does not get in the way of.
struct HostPrefix {
    Cidr cidr;
    int ifindex = 0;   // its interface, 0 if none
    std::string what;  // "the route 10.0.0.0/8", "the address 10.1.2.3/24"
};
constexpr unsigned kShortestRoute = 8;

void dump_routes(Rtnl& nl, int fam, std::vector<HostPrefix>& out)
{
    RtnlRequest r(RTM_GETROUTE, NLM_F_DUMP);
    r.extra<rtmsg>()->rtm_family = static_cast<uint8_t>(fam);
    // A failed dump (no IPv6 in this kernel) means no such routes.
    (void)nl.talk(r.nlh, [&](const nlmsghdr* m) {
        const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
        if (m->nlmsg_type != RTM_NEWROUTE || rt->rtm_dst_len < kShortestRoute)
            return;
        HostPrefix h;
        for_each_attr(m, sizeof(rtmsg), [&](const nlattr* a) {
            if (mnl_attr_get_type(a) == RTA_DST)
                h.cidr = Cidr{addr_from_attr(a, fam == AF_INET6), rt->rtm_dst_len};
            else if (mnl_attr_get_type(a) == RTA_OIF)
                h.ifindex = static_cast<int>(mnl_attr_get_u32(a));
        });
        h.what = "the route " + h.cidr.str();
        out.push_back(std::move(h));
    });
}

void dump_addrs(Rtnl& nl, std::vector<HostPrefix>& out)
{
    RtnlRequest r(RTM_GETADDR, NLM_F_DUMP);
    r.extra<ifaddrmsg>()->ifa_family = AF_UNSPEC;
    (void)nl.talk(r.nlh, [&](const nlmsghdr* m) {
        const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(m));
        if (m->nlmsg_type != RTM_NEWADDR)
            return;
        for_each_attr(m, sizeof(ifaddrmsg), [&](const nlattr* a) {
            const auto t = mnl_attr_get_type(a);
            if (t == IFA_LOCAL || t == IFA_ADDRESS) {
                Cidr c{addr_from_attr(a, ifa->ifa_family == AF_INET6), ifa->ifa_prefixlen};
                out.push_back({c, static_cast<int>(ifa->ifa_index), "the address " + c.str()});
            }
        });
    });
}

std::vector<HostPrefix> host_prefixes(Rtnl& nl)
{
    std::vector<HostPrefix> out;
    dump_routes(nl, AF_INET, out);
    dump_routes(nl, AF_INET6, out);
    dump_addrs(nl, out);
    return out;
}

// The first of the host's prefixes that overlaps c, those of interface `own` aside.
const HostPrefix* first_overlap(const Cidr& c, const std::vector<HostPrefix>& host, int own = -1)
{
    for (const auto& h : host)
        if (h.ifindex != own && overlaps(c, h.cidr))
            return &h;
    return nullptr;
}

Cidr cidr_of(const char* s)
{
    return *parse_cidr(s);
}

// A user's range: private, network-aligned, and free on this host.
Result<Cidr> check_range(const std::string& s, bool v6, const std::vector<HostPrefix>& host)
{
    const char* fam = v6 ? "IPv6" : "IPv4";
    auto c = parse_cidr(s);
    if (!c || c->net.v6 != v6)
        return make_error(fmt::format("'{}' is not an {} range (address/length)", s, fam), 0,
                          v6 ? "give a /64 such as fd00:19:7::/64" : "give a range such as 198.19.7.0/24");
    if (!host_bits_zero(*c))
        return make_error(fmt::format("the local-mode range {} has host bits set", s), 0,
                          "give the network address of the range, with the host part zero");
    if (v6) {
        if (c->len != 64 || !contains(cidr_of("fd00::/8"), *c))
            return make_error(fmt::format("the local-mode IPv6 range {} is not a /64 inside fd00::/8", s), 0,
                              "give a unique local /64 such as fd00:19:7::/64");
    } else {
        static constexpr const char* kPrivate[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15"};
        const bool priv = std::any_of(std::begin(kPrivate), std::end(kPrivate),
                                      [&](const char* p) { return contains(cidr_of(p), *c); });
        if (c->len < 8 || c->len > 30 || !priv)
            return make_error(
                fmt::format("the local-mode IPv4 range {} is not a /8 to /30 inside a private range", s), 0,
                "give a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 198.18.0.0/15");
    }
    if (const auto* h = first_overlap(*c, host))
        return make_error(fmt::format("the local-mode range {} overlaps {} of this host", s, h->what), 0,
                          "choose a range that no address or route of the host covers ('ip route show table all')");
    return *c;
}

struct Ranges {
    Cidr v4, v6;
};

// 198.19.N.0/24 and fd00:19:N::/64, N's decimal digits read as hex so the two look alike.
Cidr default_v4(unsigned n) { return cidr_of(fmt::format("198.19.{}.0/24", n).c_str()); }
Cidr default_v6(unsigned n) { return cidr_of(fmt::format("fd00:19:{}::/64", n).c_str()); }

// Overrides are checked; defaults are the first free N from a start that
// differs between processes, so that two local-mode runs rarely race for one.
Result<Ranges> pick_ranges(const LocalNetConfig& cfg, const std::vector<HostPrefix>& host, unsigned start)
{
    std::optional<Cidr> v4, v6;
    if (cfg.v4_range) {
        auto c = check_range(*cfg.v4_range, false, host);
        if (!c)
            return c.error();
        v4 = *c;
    }
    if (cfg.v6_range) {
        auto c = check_range(*cfg.v6_range, true, host);
        if (!c)
            return c.error();
        v6 = *c;
    }
    for (unsigned i = 0; i < 256; i++) {
        const unsigned n = (start + i) % 256;
        Cidr c4 = v4 ? *v4 : default_v4(n), c6 = v6 ? *v6 : default_v6(n);
        if ((v4 || !first_overlap(c4, host)) && (v6 || !first_overlap(c6, host)))
            return Ranges{c4, c6};
    }
    return make_error("no free range for local mode: the host uses all of 198.19.0.0/16 or of fd00:19::/32", 0,
                      "give free private ranges for local mode explicitly");
}

// The ranges taken meanwhile by another interface (another local-mode run
// that picked the same free range at the same time)?
Status check_still_free(Rtnl& nl, int own, const Ranges& r, bool v6)
{
    const auto host = host_prefixes(nl);
    const HostPrefix* h = first_overlap(r.v4, host, own);
    if (!h && v6)
        h = first_overlap(r.v6, host, own);
    if (!h)
        return {};
    return make_error(fmt::format("the local-mode range {} was taken by {} of another interface meanwhile",
                                  (h->cidr.net.v6 ? r.v6 : r.v4).str(), h->what),
                      0, "run again: another local-mode run started at the same time");
}

// ---------------------------------------------------------------- namespaces

Result<Fd> open_own_ns(const char* type)
{
    // thread-self: namespaces are per thread, and /proc/self is the main thread's.
    const std::string path = fmt::format("/proc/thread-self/ns/{}", type);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return sys_error(fmt::format("cannot open {}", path));
    return fd;
}

Error ns_error(const std::string& what, int err)
{
    if (err == EPERM)
        return sys_error(what, err, kCapHint);
    if (err == EINVAL)
        return sys_error(what, err, "this kernel lacks namespaces (CONFIG_NET_NS); local mode needs them");
    if (err == ENOSPC)
        return sys_error(what, err, "the limit of namespaces is reached (/proc/sys/user/max_net_namespaces)");
    return sys_error(what, err);
}

// Takes the calling thread back to its namespaces unless released: a failed
// create() leaves it where it was.
struct NsRestore {
    int host_net = -1;
    Fd old_mnt;
    bool net_moved = false, mnt_moved = false;

    ~NsRestore()
    {
        if (mnt_moved)
            (void)::setns(old_mnt.get(), CLONE_NEWNS);
        if (net_moved)
            (void)::setns(host_net, CLONE_NEWNET);
    }
};

// A mount namespace of the thread's own whose /sys shows the private netns,
// as `ip netns exec` builds it: mounts stop propagating back to the host
// (rslave), then a fresh sysfs, which belongs to the netns it is mounted in.
Status enter_private_mounts(NsRestore& restore)
{
    struct statvfs st{};
    const bool sys_ro = ::statvfs("/sys", &st) == 0 && (st.f_flag & ST_RDONLY);
    if (::unshare(CLONE_NEWNS) != 0)
        return ns_error("cannot create a mount namespace for local mode", errno);
    restore.mnt_moved = true;
    if (::mount("", "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
        return sys_error("cannot make / a slave mount in local mode's mount namespace", errno, kCapHint);
    if (::umount2("/sys", MNT_DETACH) != 0 && errno != EINVAL)  // EINVAL: /sys was no mount
        return sys_error("cannot unmount the host's /sys in local mode's mount namespace", errno, kCapHint);
    if (::mount("sysfs", "/sys", "sysfs", sys_ro ? MS_RDONLY : 0, nullptr) != 0)
        return sys_error("cannot mount a sysfs of local mode's network namespace on /sys", errno, kCapHint);
    return {};
}

// Both ends up with carrier (IFF_RUNNING, which the kernel sets a little
// after the second end comes up), polled for at most `timeout`.
Status wait_running(Rtnl& host, int host_index, const std::string& host_name, Rtnl& gen, const std::string& gen_name,
                    milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto h = link_get(host, host_index, host_name);
        if (!h)
            return h.error();
        auto g = link_get(gen, 0, gen_name);
        if (!g)
            return g.error();
        if ((h->flags & IFF_RUNNING) && (g->flags & IFF_RUNNING))
            return {};
        if (Clock::now() >= deadline)
            return make_error(fmt::format("the veth pair {}/{} has no carrier {} ms after it was set up", host_name,
                                          gen_name, timeout.count()),
                              0, "check that nothing on the host sets it down (a network manager?)");
        std::this_thread::sleep_for(milliseconds(5));
    }
}

}  // namespace

// ---------------------------------------------------------------- LocalNet

namespace {

// The host end: route_localnet (127.x in and out through it), ARP from its
// own address, IPv6 without DAD, GRO, its addresses, up. Runs in the host's
// netns (the sysctl files are those of the thread's netns).
Status configure_host_end(Rtnl& nl, const std::string& name, int index, const IpAddr& v4, unsigned v4_len,
                          const IpAddr* v6)
{
    const std::string v4conf = "/proc/sys/net/ipv4/conf/" + name + "/";
    if (auto s = write_sysctl(v4conf + "route_localnet", "1"); !s)
        return s;
    // ARP requests from its own address: by default the kernel takes the
    // waiting packet's source, 127.0.0.1 for a server on loopback, which a
    // kernel on the other end would ignore as a martian.
    if (auto s = write_sysctl(v4conf + "arp_announce", "2"); !s)
        return s;
    if (v6) {
        // Its link-local address usable at once too: the kernel's NDP probes come from it.
        if (auto s = write_sysctl("/proc/sys/net/ipv6/conf/" + name + "/accept_dad", "0"); !s)
            return s;
    }
    if (auto s = enable_gro(name); !s)
        return s;
    if (auto a = addr_add(nl, index, v4, v4_len); !a)
        return nl_error(fmt::format("cannot add {}/{} to {}", v4.str(), v4_len, name), a);
    if (v6) {
        if (auto a = addr_add(nl, index, *v6, 64); !a)
            return nl_error(fmt::format("cannot add {}/64 to {}", v6->str(), name), a);
    }
    if (auto a = link_set_up(nl, name, true); !a)
        return nl_error(fmt::format("cannot set {} up", name), a);
    return {};
}

// The generator end: no kernel address at all (xdpgen answers ARP and NDP
// itself), so no IPv6 link-local either, and no DAD or router solicitations
// from the kernel on the link. Runs in the private netns.
Status configure_gen_end(Rtnl& nl, const std::string& name)
{
    const std::string mode = "/proc/sys/net/ipv6/conf/" + name + "/addr_gen_mode";
    if (::access(mode.c_str(), F_OK) == 0) {
        if (auto s = write_sysctl(mode, "1"); !s)
            return s;
    }
    if (auto a = link_set_up(nl, "lo", true); !a)
        return nl_error("cannot set lo up in local mode's network namespace", a);
    if (auto a = link_set_up(nl, name, true); !a)
        return nl_error(fmt::format("cannot set {} up", name), a);
    return {};
}

// The private netns, made by the calling thread, which is then back in
// host_ns: its fd, and an rtnetlink socket of it.
struct PrivateNet {
    Fd ns;
    Rtnl nl;
};

Result<PrivateNet> make_private_netns(int host_ns)
{
    if (::unshare(CLONE_NEWNET) != 0)
        return ns_error("cannot create a network namespace for local mode", errno);
    auto ns = open_own_ns("net");
    auto nl = Rtnl::open();
    if (::setns(host_ns, CLONE_NEWNET) != 0)
        return ns_error("cannot return to the host's network namespace", errno);
    if (!ns || !nl)
        return !ns ? ns.error() : nl.error();
    return PrivateNet{std::move(*ns), std::move(*nl)};
}

// The calling thread into the private namespaces (net, then its own mounts),
// the generator end and lo up there. The answer: a socket of that netns.
Result<Rtnl> enter_private_side(int gen_ns, const std::string& gen_name, NsRestore& restore)
{
    if (::setns(gen_ns, CLONE_NEWNET) != 0)
        return ns_error("cannot enter local mode's network namespace", errno);
    restore.net_moved = true;
    if (auto s = enter_private_mounts(restore); !s)
        return s.error();
    auto nl = Rtnl::open();
    if (!nl)
        return nl.error();
    if (auto s = configure_gen_end(*nl, gen_name); !s)
        return s.error().context("cannot set up local mode's generator end");
    return nl;
}

// IPv6 is on for the host end unless the host disabled it (for new
// interfaces, or entirely).
bool v6_enabled(const std::string& ifname)
{
    auto v = read_sysctl("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6");
    return v && *v == 0;
}

}  // namespace

Result<std::unique_ptr<LocalNet>> LocalNet::create(const LocalNetConfig& cfg)
{
    if (cfg.queues < 1 || cfg.queues > kMaxQueues)
        return make_error(fmt::format("local mode takes 1 to {} queues, not {}", kMaxQueues, cfg.queues));
    std::unique_ptr<LocalNet> net(new LocalNet());
    const auto tid = static_cast<unsigned>(::gettid());  // the pid, on the main thread
    net->host_ifname_ = fmt::format("xgl{}", tid);
    net->gen_ifname_ = net->host_ifname_ + "g";
    net->queues_ = cfg.queues;

    auto host_ns = open_own_ns("net");
    auto old_mnt = open_own_ns("mnt");
    auto host_nl = Rtnl::open();
    if (!host_ns || !old_mnt || !host_nl)
        return !host_ns ? host_ns.error() : !old_mnt ? old_mnt.error() : host_nl.error();
    net->host_ns_ = std::move(*host_ns);
    auto ranges = pick_ranges(cfg, host_prefixes(*host_nl), tid);
    if (!ranges)
        return ranges.error();
    net->set_ranges(ranges->v4.net, ranges->v4.len, ranges->v6.net);
    auto priv = make_private_netns(net->host_ns_.get());
    if (!priv)
        return priv.error();
    net->gen_ns_ = std::move(priv->ns);

    // The pair, from the host; from here on a failure deletes it (~LocalNet).
    if (auto s = create_veth(*host_nl, net->host_ifname_, net->gen_ifname_, net->gen_ns_.get(), cfg.queues); !s)
        return s.error();
    net->gen_rtnl_ = priv->nl.release();
    auto host_link = link_get(*host_nl, 0, net->host_ifname_);
    if (!host_link)
        return host_link.error();
    net->has_v6_ = v6_enabled(net->host_ifname_);
    if (!net->has_v6_ && cfg.v6_range)
        return make_error("IPv6 is disabled on this host, so local mode cannot use " + *cfg.v6_range, 0,
                          "leave the IPv6 range out, or enable IPv6 (net.ipv6.conf.default.disable_ipv6=0)");
    if (auto s = configure_host_end(*host_nl, net->host_ifname_, host_link->index, net->host_v4_, net->v4_len_,
                                    net->has_v6_ ? &net->host_v6_ : nullptr);
        !s)
        return s.error().context("cannot set up local mode's host end");
    if (auto s = check_still_free(*host_nl, host_link->index, *ranges, net->has_v6_); !s)
        return s.error();

    // Into the private namespaces, for good unless something fails there.
    NsRestore restore{net->host_ns_.get(), std::move(*old_mnt)};
    auto gen_nl = enter_private_side(net->gen_ns_.get(), net->gen_ifname_, restore);
    if (!gen_nl)
        return gen_nl.error();
    if (auto s = wait_running(*host_nl, host_link->index, net->host_ifname_, *gen_nl, net->gen_ifname_,
                              milliseconds(2000));
        !s)
        return s.error();
    auto h = link_get(*host_nl, host_link->index, net->host_ifname_);
    auto g = link_get(*gen_nl, 0, net->gen_ifname_);
    if (!h || !g)
        return !h ? h.error() : g.error();
    net->host_mac_ = h->mac;
    net->gen_mac_ = g->mac;
    restore.net_moved = restore.mnt_moved = false;
    return net;
}

void LocalNet::set_ranges(const IpAddr& v4_net, unsigned v4_len, const IpAddr& v6_net)
{
    v4_net_ = v4_net;
    v4_len_ = v4_len;
    v6_net_ = v6_net;
    const uint32_t size = 1u << (32 - v4_len);  // /30 at most: 4 addresses
    host_v4_ = offset(v4_net, size - 2);       // the last usable
    gen_v4_first_ = offset(v4_net, 1);
    gen_v4_count_ = std::min(kMaxGenAddrs, size - 3);
    host_v6_ = offset(v6_net, 0xfffe);
    gen_v6_first_ = offset(v6_net, 1);
    gen_v6_count_ = kMaxGenAddrs;
}

LocalNet::~LocalNet()
{
    // By name in the private netns, where no one else puts interfaces:
    // deleting one end of a veth deletes both, before the ACK.
    if (gen_rtnl_.valid() && !gen_ifname_.empty()) {
        Rtnl nl(std::move(gen_rtnl_));
        (void)link_delete(nl, gen_ifname_);
    }
}

std::string LocalNet::describe() const
{
    if (!has_v6_)
        return fmt::format("local mode: {} ({}/{}) in a private namespace", host_ifname_, v4_net_.str(), v4_len_);
    return fmt::format("local mode: {} ({}/{}, {}/64) in a private namespace", host_ifname_, v4_net_.str(), v4_len_,
                       v6_net_.str());
}

// ---------------------------------------------------------------- host addresses

namespace {

bool is_loopback(const IpAddr& a)
{
    if (!a.v6)
        return a.b[0] == 127;
    IpAddr one;
    one.v6 = true;
    one.b[15] = 1;
    return a == one;
}

}  // namespace

bool is_host_address(const IpAddr& addr)
{
    if (is_loopback(addr))
        return true;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return false;
    bool found = false;
    for (ifaddrs* a = list; a && !found; a = a->ifa_next) {
        if (!a->ifa_addr)
            continue;
        if (a->ifa_addr->sa_family == AF_INET && !addr.v6) {
            found = reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr == addr.v4_be();
        } else if (a->ifa_addr->sa_family == AF_INET6 && addr.v6) {
            found = std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, addr.b.data(), 16) == 0;
        }
    }
    freeifaddrs(list);
    return found;
}

IpAddr wire_target(const LocalNet& net, const IpAddr& user_target)
{
    if (user_target.v6 && is_loopback(user_target) && net.has_v6())
        return net.host_v6();
    return user_target;
}

std::string loopback_v6_hint()
{
    return "in local mode ::1 is reached as the local-mode interface's own address, so a server bound to ::1 "
           "only cannot be reached (Linux drops ::1 arriving on any interface but lo): bind the server to [::] "
           "or use 127.0.0.1";
}

// ---------------------------------------------------------------- the self-check

namespace {

struct Listener {
    Fd fd;
    uint16_t port = 0;
};

// A listening socket of the calling thread's netns on addr, on an ephemeral port.
Result<Listener> listen_on(const IpAddr& addr)
{
    Listener l;
    l.fd = Fd(::socket(family(addr), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!l.fd.valid())
        return sys_error("cannot open a TCP socket for the local-mode check");
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (addr.v6) {
        int one = 1;
        ::setsockopt(l.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        std::memcpy(&s6->sin6_addr, addr.b.data(), 16);
        len = sizeof(*s6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = addr.v4_be();
        len = sizeof(*s4);
    }
    if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(l.fd.get(), 8) != 0 ||
        ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return sys_error(fmt::format("cannot listen on {} for the local-mode check", addr.str()));
    l.port = ntohs(addr.v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return l;
}

// A kernel TCP connect from the calling thread's netns, bounded by deadline.
// 0 or the errno (ETIMEDOUT when no answer came).
int connect_bounded(const IpAddr& dst, uint16_t port, Clock::time_point deadline)
{
    Fd s(::socket(family(dst), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid())
        return errno;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (dst.v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        std::memcpy(&s6->sin6_addr, dst.b.data(), 16);
        len = sizeof(*s6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        s4->sin_addr.s_addr = dst.v4_be();
        len = sizeof(*s4);
    }
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return errno;
    pollfd p{s.get(), POLLOUT, 0};
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        int r = ::poll(&p, 1, static_cast<int>(std::max<long>(left, 0)));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? ETIMEDOUT : errno;
        int err = 0;
        socklen_t el = sizeof(err);
        ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &el);
        return err;
    }
}

Error connect_error(const LocalNet& net, const std::string& dst, int err, std::optional<int> host_rp_filter)
{
    std::string why = err == ETIMEDOUT ? "got no answer" : err == ECONNREFUSED ? "was refused" : "failed";
    std::string what = fmt::format("a TCP connection from local mode's namespace through {} to {} {}: a firewall "
                                   "or reverse-path filter on this host {} it",
                                   net.host_ifname(), dst, why, err == ETIMEDOUT ? "drops" : "rejects");
    std::string hint = "accept traffic on interfaces named xgl* in the host's firewall (e.g. nft insert rule inet "
                       "filter input iifname \"xgl*\" accept)";
    if (host_rp_filter == 1)
        hint += ", and set net.ipv4.conf.all.rp_filter to 0 or 2 (it is 1, strict)";
    return sys_error(std::move(what), err, std::move(hint));
}

// The private netns's kernel stands in for xdpgen: an address of the
// generator's range, and 127/8 through the pair. lo loses 127.0.0.1/8, which
// takes its local routes with it (setting lo down would not: they stay once
// it has been up); route_localnet, so the answers from 127.0.0.1 are no martians.
Status give_gen_end_kernel_addresses(const LocalNet& net)
{
    auto nl = Rtnl::open();
    if (!nl)
        return nl.error();
    auto link = link_get(*nl, 0, net.gen_ifname());
    auto lo = link_get(*nl, 0, "lo");
    if (!link || !lo)
        return !link ? link.error() : lo.error();
    if (auto a = addr_del(*nl, lo->index, *parse_ip("127.0.0.1"), 8); !a)
        return nl_error("cannot remove 127.0.0.1/8 from lo in local mode's namespace", a);
    if (auto s = write_sysctl("/proc/sys/net/ipv4/conf/" + net.gen_ifname() + "/route_localnet", "1"); !s)
        return s;
    const IpAddr v4 = offset(net.gen_v4_first(), net.gen_v4_count() - 1);
    if (auto a = addr_add(*nl, link->index, v4, net.v4_prefix_len()); !a)
        return nl_error(fmt::format("cannot add {} to {}", v4.str(), net.gen_ifname()), a);
    if (auto a = default_route_add(*nl, link->index, net.host_v4()); !a)
        return nl_error(fmt::format("cannot add a route through {}", net.host_v4().str()), a);
    if (net.has_v6()) {
        const IpAddr v6 = offset(net.gen_v6_first(), net.gen_v6_count() - 1);
        if (auto a = addr_add(*nl, link->index, v6, 64); !a)
            return nl_error(fmt::format("cannot add {} to {}", v6.str(), net.gen_ifname()), a);
    }
    return {};
}

// Runs on a thread of its own, which create() moves into the private namespaces.
Status check_from_private_ns(uint16_t port4, std::optional<uint16_t> port6, std::optional<int> rp_filter,
                             Clock::time_point deadline)
{
    auto net = LocalNet::create({});
    if (!net)
        return net.error();
    if (auto s = give_gen_end_kernel_addresses(**net); !s)
        return s.error().context("local-mode check");
    if (int err = connect_bounded(*parse_ip("127.0.0.1"), port4, deadline))
        return connect_error(**net, fmt::format("127.0.0.1:{}", port4), err, rp_filter);
    if (port6 && (*net)->has_v6()) {
        if (int err = connect_bounded((*net)->host_v6(), *port6, deadline))
            return connect_error(**net, fmt::format("[{}]:{}", (*net)->host_v6().str(), *port6), err, rp_filter);
    }
    return {};
}

}  // namespace

Status local_mode_check()
{
    const auto deadline = Clock::now() + milliseconds(3000);
    auto l4 = listen_on(*parse_ip("127.0.0.1"));
    if (!l4)
        return l4.error();
    auto l6 = listen_on(*parse_ip("::"));  // fails only without IPv6: then the check is IPv4's
    std::optional<uint16_t> port6;
    if (l6)
        port6 = l6->port;
    const auto rp_filter = read_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter");  // the host's
    Status result;
    std::thread t([&] { result = check_from_private_ns(l4->port, port6, rp_filter, deadline); });
    t.join();
    return result;
}

}  // namespace xdpgen::local
