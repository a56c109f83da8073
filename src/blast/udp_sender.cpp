// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/udp_sender.hpp"

#include <sys/random.h>

#include <chrono>

#include <fmt/format.h>

#include "blast/udp_blaster.hpp"
#include "blast/udp_xsk_sender.hpp"
#include "sys/cpus.hpp"

namespace xdpgen {

std::optional<TxPath> parse_tx_path(std::string_view s)
{
    if (s == "auto")
        return TxPath::Auto;
    if (s == "live")
        return TxPath::Live;
    if (s == "xsk")
        return TxPath::Xsk;
    return std::nullopt;
}

const char* tx_path_name(TxPath p)
{
    switch (p) {
    case TxPath::Auto: return "auto";
    case TxPath::Live: return "live";
    case TxPath::Xsk: return "xsk";
    }
    return "?";
}

uint16_t new_run_id()
{
    uint16_t id = 0;
    if (getrandom(&id, sizeof(id), 0) != sizeof(id))
        id = static_cast<uint16_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return id;
}

Result<UdpSenderChoice> make_udp_sender(const UdpBlastConfig& cfg, TxPath want)
{
    const auto cpus = allowed_cpus();
    if (cfg.threads == 0 || cfg.threads > cpus.size())
        return make_error(fmt::format("--threads {}: xdpgen runs one sending thread per CPU, and {} CPU{} can be used",
                                      cfg.threads, cpus.size(), cpus.size() == 1 ? "" : "s"));
    UdpSenderChoice c;
    if (want != TxPath::Xsk) {
        auto live = UdpBlaster::create(cfg);
        if (live) {
            c.sender = std::move(live.value());
            c.threads = cfg.threads;
            return c;
        }
        if (want == TxPath::Live)
            return live.error();
        c.notes.push_back(fmt::format("note: live frames are not available here ({}); sending through AF_XDP sockets "
                                      "instead (as --tx-path xsk: in copy mode, as on veth, about 1 Mpps per thread)",
                                      live.error().message()));
    }
    UdpBlastConfig xc = cfg;
    xc.tx_queues = std::max(cfg.tx_queues, 1u);
    if (xc.threads > xc.tx_queues) {
        c.notes.push_back(fmt::format("note: the AF_XDP path sends through one socket per TX queue and {} has {}: "
                                      "{} thread{} instead of {} (more queues: numtxqueues for a veth, ethtool -L for a NIC)",
                                      cfg.ifname, xc.tx_queues, xc.tx_queues, xc.tx_queues == 1 ? "" : "s", cfg.threads));
        xc.threads = xc.tx_queues;
    }
    auto xsk = UdpXskSender::create(xc);
    if (!xsk)
        return xsk.error();
    c.sender = std::move(xsk.value());
    c.threads = xc.threads;
    return c;
}

}  // namespace xdpgen
