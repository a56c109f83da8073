// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/engine.hpp"

#include <sys/random.h>
#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "engine/fault.hpp"
#include "engine/port_pool.hpp"
#include "sys/host_ports.hpp"
#include "sys/netdev.hpp"

namespace xdpgen::engine {

Result<std::unique_ptr<Engine>> Engine::create(const EngineConfig& cfg)
{
    const WorkerConfig& base = cfg.worker;
    const uint32_t n = cfg.queues;
    const uint32_t ports = base.port_hi - base.port_lo + 1u;
    if (n == 0 || n > cfg.dev_queues)
        return make_error(fmt::format("{} has {} queue{}; {} asked for", cfg.ifname, cfg.dev_queues,
                                      cfg.dev_queues == 1 ? "" : "s", n),
                          0, "use --queues between 1 and the interface's queue count");
    if (n < cfg.dev_queues)
        return make_error(fmt::format("{} has {} queues and --queues is {}: the answers the peer sends on {} "
                                      "would reach the kernel, which resets them",
                                      cfg.ifname, cfg.dev_queues, n,
                                      n + 1 == cfg.dev_queues ? fmt::format("queue {}", n)
                                                              : fmt::format("queues {}-{}", n, cfg.dev_queues - 1)),
                          0, fmt::format("leave --queues out (one worker per queue), or give {} fewer queues "
                                         "(ethtool -L {} combined {})", cfg.ifname, cfg.ifname, n));
    const bool server = base.role == Role::Server;
    if (!server && ports < n)
        return make_error(fmt::format("{} local ports cannot be shared by {} workers", ports, n), 0,
                          "widen --src-port-range");

    auto fault = fault_from_env();
    if (!fault)
        return fault.error();
    if (fault.value() && fault.value()->worker >= n)
        return make_error(fmt::format("{} names worker {}; this run has {} worker{}", kFaultEnv, fault.value()->worker, n,
                                      n == 1 ? "" : "s"),
                          0, fmt::format("{} is for tests only; unset it", kFaultEnv));

    std::unique_ptr<Engine> e(new Engine());
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = static_cast<uint64_t>(time(nullptr)) * 0x9e3779b97f4a7c15ull;

    if (n > 1) {
        // Worker i owns the local ports p with p % n == i: a rule the
        // server role applies to the remote port too, so that between two
        // xdpgen instances a flow's owners sit on the same queue number.
        std::vector<uint16_t> owner(65536, 0);
        for (uint32_t p = 0; p < 65536; p++)
            owner[p] = static_cast<uint16_t>(p % n);
        e->handoff_ = std::make_unique<Handoff>(n, std::move(owner));
        if (!e->handoff_->ok())
            return sys_error("cannot create the workers' wake-up eventfds", errno);
    }
    for (uint32_t i = 0; i < n; i++) {
        WorkerConfig w = base;
        w.handoff = e->handoff_.get();
        w.index = i;
        w.queue = i;
        w.cpu = cfg.cpus.empty() ? -1 : cfg.cpus[i % cfg.cpus.size()];
        w.workers = n;
        w.bounded = !server && base.connections > 0;
        w.connections = base.connections / n + (i < base.connections % n);
        w.cps = base.cps / n;
        for (double& c : w.program_cps)
            c /= n;
        for (uint32_t& c : w.program_concurrency)
            c = c ? std::max<uint32_t>(1, c / n + (i < c % n)) : 0;
        w.rps = base.rps / n;
        w.concurrency = std::max<uint32_t>(1, base.concurrency / n + (i < base.concurrency % n));
        w.seed = seed + 0x9e3779b97f4a7c15ull * (i + 1);
        w.records = cfg.records ? &cfg.records->ring(i) : nullptr;
        if (fault.value() && fault.value()->worker == i)
            w.fail_after_ns = fault.value()->after_ns;
        // A worker with no connections of its own still serves its queue:
        // the others' answers may arrive there.
        auto wk = Worker::create(w);
        if (!wk)
            return wk.error();
        e->workers_.push_back(std::move(wk.value()));
    }

    SteeringConfig sc;
    sc.ifname = cfg.ifname;
    sc.rx_csum = base.rx_csum;
    sc.ifindex = cfg.ifindex;
    sc.mode = cfg.mode;
    if (server) {
        // One address per family (the listening ones), all listening ports.
        for (const Endpoint& ep : base.listen) {
            auto& slot = ep.addr.v6 ? sc.local_v6 : sc.local_v4;
            if (slot && !(*slot == ep.addr))
                return make_error(fmt::format("xdpgen server listens on one IPv4 and one IPv6 address at most; "
                                              "{} and {} given", slot->str(), ep.addr.str()));
            slot = ep.addr;
            // Only the listening ports: a kernel server between two of them keeps its traffic.
            sc.listen_ports.push_back(ep.port);
        }
        sc.port_lo = base.port_lo;
        sc.port_hi = base.port_hi;
    } else {
        // The addresses are consecutive (an AddrRange): the first and a count.
        const IpAddr& first = base.local_addrs.front();
        (first.v6 ? sc.local_v6 : sc.local_v4) = first;
        (first.v6 ? sc.local_v6_count : sc.local_v4_count) = static_cast<uint32_t>(base.local_addrs.size());
        sc.port_lo = base.port_lo;
        sc.port_hi = base.port_hi;
    }
    // No kernel answers ARP / neighbour solicitation for an address the
    // interface lacks: the steering program does, for the local addresses.
    auto dev = netdev_lookup(cfg.ifname);
    if (!dev)
        return dev.error();
    sc.answer_neighbours = std::any_of(base.local_addrs.begin(), base.local_addrs.end(), [&](const IpAddr& a) {
        return std::find(dev->addrs.begin(), dev->addrs.end(), a) == dev->addrs.end();
    });
    sc.mac = base.src_mac.is_zero() ? dev->mac : base.src_mac;
    sc.tcp = true;
    sc.queues = cfg.dev_queues;
    sc.bulk = cfg.bulk_maps;
    auto st = Steering::load(sc);
    if (!st)
        return st.error();
    e->steering_ = std::make_unique<Steering>(std::move(st.value()));
    // The kernel's connections from before the run; the steering program
    // marks those it sees later. The pools skip their ports.
    auto kports = kernel_tcp_ports();
    if (!kports)
        return kports.error().context("cannot tell which local ports the host's own TCP uses");
    for (uint16_t p : *kports)
        e->steering_->mark_kernel_port(p);
    PortPool::set_kernel_ports(e->steering_->kernel_ports());
    for (const auto& w : e->workers_)
        if (auto r = e->steering_->add_socket(w->queue(), w->xsk_fd()); !r)
            return r.error();
    if (auto r = e->steering_->attach(); !r)
        return r.error();
    return e;
}

Engine::~Engine()
{
    for (auto& w : workers_)
        w->request_stop(true);
    for (auto& w : workers_)
        (void)w->wait();
    if (steering_)
        PortPool::unset_kernel_ports(steering_->kernel_ports());
}

void Engine::start()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t now = uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
    for (auto& w : workers_)
        w->start(now);
}

void Engine::request_stop(bool abort_now)
{
    abort_now = abort_now || failed();
    for (auto& w : workers_)
        w->request_stop(abort_now);
}

bool Engine::done() const
{
    if (failed())
        return true;
    for (const auto& w : workers_)
        if (!w->done())
            return false;
    return true;
}

bool Engine::failed() const
{
    return std::any_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->failed(); });
}

void Engine::pause(bool on)
{
    for (auto& w : workers_)
        w->pause(on);
}

Status Engine::wait()
{
    Status first;
    for (auto& w : workers_)
        if (auto r = w->wait(); !r && first)
            first = r;
    return first;
}

std::vector<WorkerSnapshot> Engine::per_worker() const
{
    std::vector<WorkerSnapshot> v;
    v.reserve(workers_.size());
    for (uint32_t i = 0; i < workers_.size(); i++)
        v.push_back({i, workers_[i]->queue(), workers_[i]->stats()});
    return v;
}

WorkerStats sum(const std::vector<WorkerSnapshot>& per_worker)
{
    WorkerStats s;
    for (const auto& w : per_worker)
        s.add(w.stats);
    return s;
}

}  // namespace xdpgen::engine
