// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/udp_blaster.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "bpf/live_frames.hpp"
#include "bpf/skel.hpp"
#include "bpf/xmit_stats.hpp"
#include "net/udp_patch.hpp"
#include "sys/cpus.hpp"
#include "udp_blast.skel.h"

namespace xdpgen {
namespace {

constexpr uint32_t kChunk = 4096;   // repetitions per syscall: ~1 ms at full speed
constexpr uint32_t kKernelBatch = 64;
// A driver that accepts nothing for this long will not start to.
constexpr std::chrono::milliseconds kGiveUpAfter{500};

}  // namespace

struct UdpBlaster::Impl {
    SkelPtr<xg_udp_blast> blast;
    SkelPtr<xg_xmit_stats> xmit;  // null when this kernel lacks the tracepoints
    int prog_fd = -1;
};

UdpBlaster::UdpBlaster(const UdpBlastConfig& cfg) : cfg_(cfg), impl_(std::make_unique<Impl>()) {}

UdpBlaster::~UdpBlaster() = default;  // threads_ stops and joins first: declared last

Result<std::unique_ptr<UdpBlaster>> UdpBlaster::create(const UdpBlastConfig& cfg)
{
    const auto cpus = allowed_cpus();
    if (cfg.threads == 0 || cfg.threads > cpus.size())
        return make_error(fmt::format("--threads {}: xdpgen runs one sending thread per CPU, and {} CPU{} can be used",
                                      cfg.threads, cpus.size(), cpus.size() == 1 ? "" : "s"));
    if (cfg.port_count == 0 || uint32_t{cfg.frame.dst_port} + cfg.port_count - 1 > 65535)
        return make_error(fmt::format("destination ports {}+{} run past 65535", cfg.frame.dst_port, cfg.port_count));
    auto tmpl = build_udp_template(cfg.frame);
    if (!tmpl)
        return tmpl.error();

    std::unique_ptr<UdpBlaster> b(new UdpBlaster(cfg));
    b->tmpl_ = std::move(tmpl.value());
    if (cfg.raw)
        udp_finish_static_frame(b->tmpl_.frame, b->tmpl_, cfg.frame);
    b->run_id_ = new_run_id();

    auto skel = skel_open<xg_udp_blast>("cannot open the UDP blaster program");
    if (!skel)
        return skel.error();
    auto& s = skel.value();
    s->rodata->out_ifindex = static_cast<uint32_t>(cfg.ifindex);
    s->rodata->is_ipv6 = cfg.frame.dst.v6;
    s->rodata->port_base = cfg.frame.dst_port;
    s->rodata->port_count = cfg.port_count;
    s->rodata->run_id = b->run_id_;
    s->rodata->udp_csum_base = b->tmpl_.udp_csum_base;
    s->rodata->ip_csum_base = b->tmpl_.ip_csum_base;
    s->rodata->ts_every = std::max<uint32_t>(cfg.ts_every, 1);
    if (auto st = skel_load(s, "cannot load the UDP blaster program"); !st)
        return st.error();
    // A real live-frames run (of a program that drops the frame): kernels that
    // refuse live frames are told apart here, before anything is sent.
    if (auto st = live_frames_run(bpf_program__fd(s->progs.xg_live_check), b->tmpl_.frame, cfg.ifindex, 1); !st)
        return make_error("the kernel refused a live-frames run, BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES",
                          st.error().err,
                          "live frames need Linux 5.18 or later and a kernel that allows them ('xdpgen probe' tells); "
                          "--tx-path xsk sends through an AF_XDP socket instead");
    b->impl_->prog_fd = bpf_program__fd(cfg.raw ? s->progs.xg_raw_redirect : s->progs.xg_udp_blast);
    b->impl_->blast = std::move(s);

    b->impl_->xmit = open_xmit_stats(cfg.ifindex);
    b->per_thread_ = std::make_unique<PerThread[]>(cfg.threads);
    return b;
}

void UdpBlaster::start()
{
    budget_.reset(cfg_.total_packets);
    const auto cpus = allowed_cpus();
    threads_.start(cfg_.threads, [this, cpus](unsigned i) { thread_main(i, cpus[i]); });
}

UdpBlaster::Verdict UdpBlaster::cpu_verdict(int cpu) const
{
    const auto& c = impl_->xmit->bss->xmit_counters[cpu & (XG_MAX_CPUS - 1)];
    const auto* v = const_cast<const volatile xg_xmit_counters*>(&c);
    return {v->sent, v->drops + v->redirect_err};
}

void UdpBlaster::thread_main(unsigned idx, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    // Pinned, the thread's runs flush on its own CPU, whose verdict slot it then reads.
    const bool pinned = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
    const bool verdicts = impl_->xmit && pinned;

    using clock = std::chrono::steady_clock;
    const double rate = cfg_.rate_pps / cfg_.threads;
    const auto t0 = clock::now();
    auto& me = per_thread_[idx];
    uint64_t reps = 0, sent = 0, dropped = 0;
    clock::time_point all_dropped_since{};  // epoch = the driver accepted the last run's frames

    while (!threads_.stopping()) {
        uint64_t want = kChunk;
        if (rate > 0) {
            const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
            const double allowed = rate * elapsed - static_cast<double>(sent);
            if (allowed < 1.0) {
                const double wait_s = std::min((1.0 - allowed) / rate, 0.001);
                std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
                continue;
            }
            want = std::min<uint64_t>(want, static_cast<uint64_t>(allowed));
        }
        uint64_t got = 0;
        if (!budget_.claim(want, got))
            break;
        const Verdict before = verdicts ? cpu_verdict(cpu) : Verdict{};
        auto st = live_frames_run(impl_->prog_fd, tmpl_.frame, cfg_.ifindex, static_cast<uint32_t>(got), kKernelBatch);
        if (!st) {
            threads_.fail(st.error().context(fmt::format("sending on {}", cfg_.ifname)));
            break;
        }
        reps += got;
        uint64_t ok = got, lost = 0;
        if (verdicts) {
            const Verdict after = cpu_verdict(cpu);
            ok = std::min(after.sent - before.sent, got);
            lost = got - ok;
        }
        sent += ok;
        dropped += lost;
        me.reps.store(reps, std::memory_order_relaxed);
        me.sent.store(sent, std::memory_order_relaxed);
        me.dropped.store(dropped, std::memory_order_relaxed);
        if (lost == 0) {
            all_dropped_since = {};
            continue;
        }
        // The driver refused frames: an exact budget is honoured by sending them again.
        budget_.give_back(lost);
        if (ok == 0) {
            if (all_dropped_since == clock::time_point{})
                all_dropped_since = clock::now();
            else if (clock::now() - all_dropped_since > kGiveUpAfter) {
                threads_.fail(make_error(fmt::format("the driver of {} dropped every frame for {} ms", cfg_.ifname,
                                            std::chrono::duration_cast<std::chrono::milliseconds>(kGiveUpAfter).count())));
                break;
            }
        } else {
            all_dropped_since = {};
        }
        // A full ring: let the receiving side drain before the next run.
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

Status UdpBlaster::wait() { return threads_.join(); }

BlastCounters UdpBlaster::counters() const
{
    BlastCounters c;
    c.xmit_known = impl_->xmit != nullptr;
    for (unsigned i = 0; i < cfg_.threads; i++) {
        c.repetitions += per_thread_[i].reps.load(std::memory_order_relaxed);
        c.sent += per_thread_[i].sent.load(std::memory_order_relaxed);
        c.dropped += per_thread_[i].dropped.load(std::memory_order_relaxed);
    }
    return c;
}

}  // namespace xdpgen
