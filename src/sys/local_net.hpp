// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// "Local mode": a private veth pair so xdpgen can reach servers on its own
// host. The generator end lives in an anonymous network namespace owned by
// the process (never named, never bind-mounted: it dies with the process,
// SIGKILL included, and the kernel's namespace teardown deletes the pair);
// the host end stays in the caller's namespace, with addresses, and
// route_localnet so that 127.x destinations work through it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "net/addr.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace xdpgen::local {

struct LocalNetConfig {
    uint32_t queues = 1;  // rx/tx queues of each veth end, 1..256
    // CIDR overrides. IPv4: a /8../30 inside 10/8, 172.16/12, 192.168/16 or
    // 198.18/15; IPv6: a /64 inside fd00::/8. Either must overlap no address
    // and no route of the host. Default: a free 198.19.N.0/24 and
    // fd00:19:N::/64 (N's decimal digits in both), N in 0..255.
    std::optional<std::string> v4_range, v6_range;
};

class LocalNet {
public:
    // Must be called while the process is single-threaded: it leaves the
    // CALLING THREAD (so every thread it starts afterwards) in the private
    // network namespace, and in a private mount namespace whose /sys is a
    // sysfs of that network namespace (as `ip netns exec` does), so that
    // /sys/class/net, ioctls, if_nametoindex and bpf_link_create see the
    // generator end. The mount namespace's /sys is a new sysfs: what was
    // mounted below the host's /sys (bpffs, cgroup, tracefs) is not there.
    // Routes shorter than /8 (a VPN's 0.0.0.0/1 halves, fc00::/7) do not
    // count as overlapping. On failure the thread is back where it was.
    static Result<std::unique_ptr<LocalNet>> create(const LocalNetConfig& cfg);
    // Deletes the pair (the generator end, which takes its peer with it)
    // synchronously; the thread stays in the private namespaces.
    ~LocalNet();
    LocalNet(const LocalNet&) = delete;
    LocalNet& operator=(const LocalNet&) = delete;

    const std::string& gen_ifname() const { return gen_ifname_; }    // in the private netns
    const std::string& host_ifname() const { return host_ifname_; }  // in the caller's netns
    MacAddr gen_mac() const { return gen_mac_; }
    MacAddr host_mac() const { return host_mac_; }
    uint32_t queues() const { return queues_; }

    // The host end's addresses (198.19.N.254, fd00:19:N::fffe by default).
    IpAddr host_v4() const { return host_v4_; }
    IpAddr host_v6() const { return host_v6_; }
    // False when IPv6 is disabled on the host for new interfaces: then no
    // IPv6 address is set and the v6 getters are not to be used.
    bool has_v6() const { return has_v6_; }
    unsigned v4_prefix_len() const { return v4_len_; }  // 24 by default; IPv6 is always /64

    // The generator's own addresses, on-link (no kernel address holds them:
    // xdpgen answers ARP/NDP for them itself): first and count.
    IpAddr gen_v4_first() const { return gen_v4_first_; }
    uint32_t gen_v4_count() const { return gen_v4_count_; }
    IpAddr gen_v6_first() const { return gen_v6_first_; }
    uint32_t gen_v6_count() const { return gen_v6_count_; }

    // "local mode: xgl1234 (198.19.12.0/24, fd00:19:12::/64) in a private namespace"
    std::string describe() const;

private:
    LocalNet() = default;
    // The addresses of both ends, from the two ranges.
    void set_ranges(const IpAddr& v4_net, unsigned v4_len, const IpAddr& v6_net);

    std::string gen_ifname_, host_ifname_;
    MacAddr gen_mac_, host_mac_;
    uint32_t queues_ = 1;
    IpAddr v4_net_, v6_net_;
    unsigned v4_len_ = 24;
    IpAddr host_v4_, host_v6_, gen_v4_first_, gen_v6_first_;
    uint32_t gen_v4_count_ = 0, gen_v6_count_ = 0;
    bool has_v6_ = false;
    Fd host_ns_, gen_ns_;
    Fd gen_rtnl_;  // an rtnetlink socket of the private netns, to delete the pair from anywhere
};

// Whether addr belongs to this host: loopback (127/8, ::1) or an address of
// any interface in the calling thread's netns. Call before create().
bool is_host_address(const IpAddr& addr);

// The address to send to for a user's target: IPv4 unchanged (127.x works
// through route_localnet); ::1 becomes host_v6(), since Linux drops ::1
// arriving on a non-loopback device (RFC 4291 2.5.3, ipv6_rcv): a server
// bound to ::1 only cannot be reached (loopback_v6_hint() says so).
IpAddr wire_target(const LocalNet& net, const IpAddr& user_target);
// The hint for a failed connection to ::1 in local mode.
std::string loopback_v6_hint();

// The self-check of `xdpgen probe`: builds a LocalNet on a thread of its own
// (the caller's thread stays where it is), gives the generator end a
// temporary kernel address, and makes kernel TCP connections from the
// private netns to listeners it opened on 127.0.0.1 and [::] in the caller's
// netns. {} when they connect; else one sentence saying what prevents local
// mode and a hint. Takes at most about 3 s.
Status local_mode_check();

}  // namespace xdpgen::local
