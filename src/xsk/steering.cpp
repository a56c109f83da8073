// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "xsk/steering.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "sys/netdev.hpp"

namespace xdpgen {

Result<Steering> Steering::load(const SteeringConfig& cfg)
{
    if (!cfg.local_v4 && !cfg.local_v6)
        return make_error(fmt::format("steering on {}: no local address", cfg.ifname), 0,
                          "give the generator's IPv4 and/or IPv6 address");
    if (!cfg.tcp && !cfg.udp)
        return make_error(fmt::format("steering on {}: neither TCP nor UDP selected", cfg.ifname));
    if (cfg.port_lo > cfg.port_hi)
        return make_error(fmt::format("steering on {}: port range {}-{} is empty", cfg.ifname, cfg.port_lo, cfg.port_hi));
    if (cfg.answer_neighbours && cfg.mac.is_zero())
        return make_error(fmt::format("steering on {}: answering ARP/neighbour solicitation needs the interface's MAC",
                                      cfg.ifname));
    if (cfg.queues == 0 || cfg.queues > XG_MAX_QUEUES)
        return make_error(fmt::format("steering on {}: {} queues, at most {} supported", cfg.ifname, cfg.queues,
                                      XG_MAX_QUEUES));

    const std::string what = fmt::format("cannot load the steering program for {}", cfg.ifname);
    auto skel = skel_open<xg_steer>(what.c_str());
    if (!skel)
        return skel.error();
    Steering s;
    s.cfg_ = cfg;
    s.skel_ = std::move(skel.value());
    auto* ro = s.skel_->rodata;
    if (cfg.local_v4) {
        if (cfg.local_v4->v6)
            return make_error(fmt::format("steering on {}: {} is not an IPv4 address", cfg.ifname, cfg.local_v4->str()));
        ro->local_v4 = cfg.local_v4->v4_be();
    }
    if (cfg.local_v6) {
        if (!cfg.local_v6->v6)
            return make_error(fmt::format("steering on {}: {} is not an IPv6 address", cfg.ifname, cfg.local_v6->str()));
        std::memcpy(const_cast<uint8_t*>(ro->local_v6), cfg.local_v6->b.data(), 16);
        ro->local_v6_set = 1;
    }
    ro->local_v4_count = std::max(cfg.local_v4_count, 1u);
    ro->local_v6_count = std::max(cfg.local_v6_count, 1u);
    ro->port_lo = cfg.port_lo;
    ro->port_hi = cfg.port_hi;
    if (!cfg.listen_ports.empty()) {
        ro->exact_ports = 1;
        for (uint16_t p : cfg.listen_ports) {
            if (p < cfg.port_lo || p > cfg.port_hi)
                return make_error(fmt::format("steering on {}: port {} is outside the range {}-{}", cfg.ifname, p,
                                              cfg.port_lo, cfg.port_hi));
            const_cast<__u64*>(ro->listen_ports)[p / 64] |= __u64{1} << (p % 64);
        }
    }
    // The ports of both ranges; none when they do not meet.
    ro->lookup_lo = std::max(cfg.port_lo, cfg.kernel_check_lo);
    ro->lookup_hi = std::min(cfg.port_hi, cfg.kernel_check_hi);
    if (ro->lookup_lo > ro->lookup_hi || cfg.kernel_check_lo > cfg.kernel_check_hi) {
        ro->lookup_lo = 1;
        ro->lookup_hi = 0;
    }
    ro->steer_tcp = cfg.tcp;
    ro->steer_udp = cfg.udp;
    ro->answer_neigh = cfg.answer_neighbours;
    if (cfg.answer_neighbours) {
        bool redirect = false;
        if (cfg.answer_by_redirect) {
            redirect = *cfg.answer_by_redirect;
        } else {
            auto dev = netdev_lookup(cfg.ifname);
            if (!dev)
                return dev.error().context("cannot choose how to answer ARP/neighbour solicitation");
            redirect = dev->driver == "veth";
        }
        ro->answer_redirect = redirect;
    }
    std::memcpy(const_cast<uint8_t*>(ro->local_mac), cfg.mac.b.data(), cfg.mac.b.size());
    int r = bpf_map__set_max_entries(s.skel_->maps.xsks, cfg.queues);
    if (r)
        return sys_error(what + ": cannot size the socket map", r);
    if (cfg.bulk) {
        ro->tcp_bulk = 1;
        ro->rx_csum = cfg.rx_csum == tcp::CsumCheck::On ? 1 : cfg.rx_csum == tcp::CsumCheck::Off ? 2 : 0;
        const uint32_t n = std::max(cfg.bulk->max_flows, 1u);
        if ((r = bpf_map__set_max_entries(s.skel_->maps.tcp_flows, n)) ||
            (r = bpf_map__set_max_entries(s.skel_->maps.tcp_flow_ids, n)) ||
            (r = bpf_map__reuse_fd(s.skel_->maps.tcp_flows, cfg.bulk->flows_fd)) ||
            (r = bpf_map__reuse_fd(s.skel_->maps.tcp_flow_ids, cfg.bulk->ids_fd)) ||
            (r = bpf_map__reuse_fd(s.skel_->maps.tcp_ack_counters, cfg.bulk->ack_counters_fd)))
            return sys_error(what + ": cannot share the TCP sender's flow maps", r);
    } else {
        // Unused without `xdpgen tcp`: the smallest maps.
        if ((r = bpf_map__set_max_entries(s.skel_->maps.tcp_flows, 1)) ||
            (r = bpf_map__set_max_entries(s.skel_->maps.tcp_flow_ids, 1)))
            return sys_error(what + ": cannot size the TCP flow maps", r);
    }
    if (auto st = skel_load(s.skel_, what.c_str()); !st)
        return st.error();
    return s;
}

Status Steering::add_socket(uint32_t queue, int xsk_fd)
{
    if (queue >= cfg_.queues)
        return make_error(fmt::format("{} queue {}: steering was set up for {} queue(s)", cfg_.ifname, queue, cfg_.queues));
    uint32_t value = static_cast<uint32_t>(xsk_fd);
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xsks), &queue, &value, BPF_ANY))
        return sys_error(fmt::format("{} queue {}: cannot put the AF_XDP socket into the steering map", cfg_.ifname, queue),
                         errno, "the socket must be bound to this interface and queue");
    return {};
}

Status Steering::attach()
{
    auto link = xdp_attach(bpf_program__fd(skel_->progs.xg_steer), cfg_.ifindex, cfg_.ifname, cfg_.mode);
    if (!link)
        return link.error().context("cannot steer the generator's packets to AF_XDP");
    link_ = std::move(link.value());
    return {};
}

const uint64_t* Steering::kernel_ports() const
{
    return reinterpret_cast<const uint64_t*>(skel_->bss->kernel_ports);
}

void Steering::mark_kernel_port(uint16_t port)
{
    __atomic_fetch_or(&skel_->bss->kernel_ports[port / 64], __u64{1} << (port % 64), __ATOMIC_RELAXED);
}

int Steering::prog_fd() const { return bpf_program__fd(skel_->progs.xg_steer); }

xg_steer_counters Steering::counters() const
{
    xg_steer_counters sum{};
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return sum;
    std::vector<xg_steer_counters> v(static_cast<size_t>(ncpu));
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.steer_counters), &zero, v.data()))
        return sum;
    for (const auto& c : v) {
        sum.steered += c.steered;
        sum.no_socket += c.no_socket;
        sum.passed += c.passed;
        sum.arp_replies += c.arp_replies;
        sum.na_replies += c.na_replies;
        sum.bulk_acks += c.bulk_acks;
        sum.kernel_owned += c.kernel_owned;
        sum.icmp_errors += c.icmp_errors;
        sum.fragments += c.fragments;
        sum.malformed += c.malformed;
    }
    return sum;
}

}  // namespace xdpgen
