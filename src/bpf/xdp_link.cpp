// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "bpf/xdp_link.hpp"

#include <bpf/bpf.h>
#include <linux/if_link.h>

#include <fmt/format.h>

namespace xdpgen {

std::optional<XdpMode> parse_xdp_mode(std::string_view s)
{
    if (s == "native" || s == "drv")
        return XdpMode::Native;
    if (s == "skb" || s == "generic")
        return XdpMode::Skb;
    return std::nullopt;
}

const char* xdp_mode_name(XdpMode m) { return m == XdpMode::Native ? "native" : "skb"; }

Result<XdpLink> xdp_attach(int prog_fd, int ifindex, const std::string& ifname, XdpMode mode)
{
    bpf_link_create_opts opts{};
    opts.sz = sizeof(opts);
    opts.flags = mode == XdpMode::Native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
    if (fd >= 0)
        return XdpLink(Fd(fd), ifname, mode);

    int err = errno;
    std::string what = fmt::format("cannot attach XDP in {} mode to {}", xdp_mode_name(mode), ifname);
    switch (err) {
    case EOPNOTSUPP:
    case EINVAL:
        if (mode == XdpMode::Native)
            return sys_error(fmt::format("{} has no XDP support in native mode", ifname), err, "try --xdp-mode skb");
        return sys_error(what, err);
    case EBUSY:
    case EEXIST:
        return sys_error(what + ": another XDP program is attached", err,
                         fmt::format("see 'ip link show {0}'; remove it with 'ip link set dev {0} xdp off' if it is stale", ifname));
    case EPERM:
        return sys_error(what, err, "run xdpgen as root");
    case ERANGE:
        // veth and most drivers take native XDP only while a frame fits one
        // page (veth: an MTU of about 3,500) unless the program handles fragments.
        return sys_error(what + ": its MTU is too large for native XDP on this driver", err,
                         fmt::format("lower the MTU (e.g. ip link set dev {} mtu 3000) or use --xdp-mode skb", ifname));
    default:
        return sys_error(what, err);
    }
}

}  // namespace xdpgen
