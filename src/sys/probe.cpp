// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/probe.hpp"

#include <bpf/libbpf.h>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <xdp/xsk.h>

#include <cstring>

#include <fmt/format.h>

#include "bpf/live_frames.hpp"
#include "bpf/skel.hpp"
#include "bpf/xdp_link.hpp"
#include "probe.skel.h"

namespace xdpgen {
namespace {

ProbeCheck check_xdp(const NetDev& dev, int prog_fd, XdpMode mode)
{
    ProbeCheck c{mode == XdpMode::Native ? "xdp_native" : "xdp_generic",
                 mode == XdpMode::Native ? "native XDP (driver mode)" : "generic XDP (skb mode)"};
    auto link = xdp_attach(prog_fd, dev.ifindex, dev.name, mode);
    c.ok = link.ok();
    c.detail = c.ok ? "attach works" : link.error().message();
    return c;
}

ProbeCheck check_live_frames(const NetDev& dev, int drop_fd)
{
    ProbeCheck c{"live_frames", "live frames (BPF_PROG_RUN, BPF_F_TEST_XDP_LIVE_FRAMES)"};
    std::vector<uint8_t> frame(64, 0);  // the program drops it: nothing is sent
    auto st = live_frames_run(drop_fd, frame, dev.ifindex, 1);
    c.ok = st.ok();
    c.detail = c.ok ? "xdpgen udp can send through it" : st.error().message();
    return c;
}

ProbeCheck check_af_xdp(const NetDev& dev, bool zero_copy)
{
    ProbeCheck c{zero_copy ? "af_xdp_zero_copy" : "af_xdp_copy", zero_copy ? "AF_XDP zero-copy" : "AF_XDP copy mode"};
    constexpr size_t kFrames = 64, kFrameSize = 4096;
    void* area = mmap(nullptr, kFrames * kFrameSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        c.detail = fmt::format("cannot map memory: {}", std::strerror(errno));
        return c;
    }
    xsk_umem* umem = nullptr;
    xsk_ring_prod fill{};
    xsk_ring_cons comp{}, rx{};
    int r = xsk_umem__create(&umem, area, kFrames * kFrameSize, &fill, &comp, nullptr);
    if (r) {
        c.detail = fmt::format("cannot register UMEM: {}", std::strerror(-r));
    } else {
        xsk_socket_config cfg{};
        cfg.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
        cfg.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
        cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
        cfg.bind_flags = zero_copy ? XDP_ZEROCOPY : XDP_COPY;
        xsk_socket* xsk = nullptr;
        r = xsk_socket__create(&xsk, dev.name.c_str(), 0, umem, &rx, nullptr, &cfg);
        c.ok = r == 0;
        if (c.ok)
            c.detail = "a socket binds to queue 0";
        else if (zero_copy && (r == -EOPNOTSUPP || r == -EINVAL))
            c.detail = fmt::format("the {} driver has no zero-copy support; copy mode is used", dev.driver.empty() ? "interface's" : dev.driver);
        else
            c.detail = fmt::format("bind to queue 0 failed: {}", std::strerror(-r));
        if (xsk)
            xsk_socket__delete(xsk);
        xsk_umem__delete(umem);
    }
    munmap(area, kFrames * kFrameSize);
    return c;
}

}  // namespace

Status live_frames_usable(const NetDev& dev)
{
    SkelPtr<xg_probe> skel(xg_probe::open_and_load());
    if (!skel)
        return bpf_load_error("cannot load a BPF program", errno);
    std::vector<uint8_t> frame(64, 0);  // the program drops it: nothing is sent
    return live_frames_run(bpf_program__fd(skel->progs.xg_probe_drop), frame, dev.ifindex, 1);
}

std::vector<ProbeCheck> probe_interface(const NetDev& dev)
{
    std::vector<ProbeCheck> out;
    SkelPtr<xg_probe> skel(xg_probe::open_and_load());
    if (!skel) {
        Error e = bpf_load_error("cannot load a BPF program", errno);
        out.push_back({"bpf", "BPF programs", false, e.message() + (e.hint.empty() ? "" : "; " + e.hint)});
        return out;
    }
    out.push_back({"bpf", "BPF programs", true, "load works"});
    out.push_back(check_xdp(dev, bpf_program__fd(skel->progs.xg_probe_pass), XdpMode::Native));
    out.push_back(check_xdp(dev, bpf_program__fd(skel->progs.xg_probe_pass), XdpMode::Skb));
    out.push_back(check_live_frames(dev, bpf_program__fd(skel->progs.xg_probe_drop)));
    // Zero-copy first: a copy-mode socket just closed can hold the queue for a moment.
    ProbeCheck zc = check_af_xdp(dev, true);
    out.push_back(check_af_xdp(dev, false));
    out.push_back(zc);
    return out;
}

}  // namespace xdpgen
