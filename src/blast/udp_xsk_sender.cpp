// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/udp_xsk_sender.hpp"

#include <linux/if_xdp.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "net/udp_patch.hpp"
#include "sys/cpus.hpp"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9  // Linux 6.17: frames one copy-mode kick may send
#endif

namespace xdpgen {
namespace {

constexpr uint32_t kTxRing = 512;    // TX descriptors and UMEM frames for sending, per socket
constexpr uint32_t kFillRing = 64;   // nothing is received: the smallest useful fill ring
// Frames written per kick, and what one kick may send where the kernel lets
// us raise its default of 32. The stamps of a batch are written before the
// kick that sends it: the later frames of a batch leave up to ~64 frame
// times (~100 us here) after their stamp. Larger batches measured no faster.
constexpr uint32_t kBatch = 64;
constexpr unsigned kKickBudget = 64;
// A driver that accepts nothing for this long will not start to.
constexpr std::chrono::milliseconds kGiveUpAfter{500};
// Frames in flight that neither complete nor drop for this long are stuck.
constexpr std::chrono::milliseconds kStallAfter{2000};
// After a stop, how long the frames already in the ring get to leave.
constexpr std::chrono::milliseconds kDrainFor{1000};

uint64_t monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);  // bpf_ktime_get_ns()'s clock, as the sink reads it
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

}  // namespace

UdpXskSender::~UdpXskSender() = default;  // threads_ stops and joins first: declared last

Result<std::unique_ptr<UdpXskSender>> UdpXskSender::create(const UdpBlastConfig& cfg)
{
    const auto cpus = allowed_cpus();
    if (cfg.threads == 0 || cfg.threads > cpus.size() || cfg.threads > cfg.tx_queues)
        return make_error(fmt::format("the AF_XDP path cannot run {} threads: {} has {} TX queue{} and {} CPU{} can be used",
                                      cfg.threads, cfg.ifname, cfg.tx_queues, cfg.tx_queues == 1 ? "" : "s",
                                      cpus.size(), cpus.size() == 1 ? "" : "s"),
                          0, "use fewer --threads");
    if (cfg.port_count == 0 || uint32_t{cfg.frame.dst_port} + cfg.port_count - 1 > 65535)
        return make_error(fmt::format("destination ports {}+{} run past 65535", cfg.frame.dst_port, cfg.port_count));
    auto tmpl = build_udp_template(cfg.frame);
    if (!tmpl)
        return tmpl.error();
    if (tmpl->frame.size() > 4096)
        return make_error(fmt::format("packet size {} is too large for the AF_XDP path (one UMEM frame, at most 4096 bytes)",
                                      tmpl->frame.size()),
                          0, "use a smaller --pkt-size, or --tx-path live where the kernel allows live frames");

    std::unique_ptr<UdpXskSender> s(new UdpXskSender(cfg));
    s->tmpl_ = std::move(tmpl.value());
    s->run_id_ = new_run_id();

    // What every frame starts as, written once into every UMEM frame: the
    // template (raw: complete with port and checksums, no stamp).
    std::vector<uint8_t> base = s->tmpl_.frame;
    if (cfg.raw)
        udp_finish_static_frame(base, s->tmpl_, cfg.frame);

    UmemConfig ucfg;
    ucfg.frame_size = base.size() <= 2048 ? 2048 : 4096;
    ucfg.frame_count = kTxRing + kFillRing;
    ucfg.fill_size = kFillRing;
    ucfg.comp_size = kTxRing;
    s->lanes_.resize(cfg.threads);
    for (unsigned q = 0; q < cfg.threads; q++) {
        Lane& lane = s->lanes_[q];
        lane.cpu = cpus[q];
        auto umem = Umem::create(ucfg, fmt::format("{} queue {}", cfg.ifname, q));
        if (!umem)
            return umem.error();
        lane.umem = std::move(umem.value());
        for (uint32_t f = 0; f < ucfg.frame_count; f++)
            std::memcpy(lane.umem->data(uint64_t(f) * ucfg.frame_size), base.data(), base.size());
        XskConfig xc;
        xc.ifname = cfg.ifname;
        xc.queue = q;
        xc.rx_size = kFillRing;
        xc.tx_size = kTxRing;
        auto sock = XskSocket::create(*lane.umem, xc);
        if (!sock)
            return sock.error();
        lane.sock = std::move(sock.value());
        // Copy mode sends 32 frames per kick unless the kernel lets us raise
        // it (6.17+); older kernels answer ENOPROTOOPT and keep 32.
        const unsigned budget = kKickBudget;
        if (!lane.sock->zero_copy() &&
            setsockopt(lane.sock->fd(), SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)) == 0)
            s->kick_budget_ = budget;
        else
            s->kick_budget_ = 32;
    }
    s->per_thread_ = std::make_unique<PerThread[]>(cfg.threads);
    return s;
}

void UdpXskSender::start()
{
    budget_.reset(cfg_.total_packets);
    threads_.start(cfg_.threads, [this](unsigned i) { thread_main(i); });
}

void UdpXskSender::thread_main(unsigned idx)
{
    Lane& lane = lanes_[idx];
    // The stamp's stream is the sending CPU, as on the live path; unpinned,
    // the thread still sends one stream on one queue.
    pin_this_thread(lane.cpu);
    XskSocket& sock = *lane.sock;
    Umem& umem = sock.umem();
    UdpStamper stamper(tmpl_, cfg_.frame.dst.v6, cfg_.frame.dst_port, cfg_.port_count, static_cast<uint8_t>(lane.cpu),
                       run_id_, cfg_.ts_every);
    const uint32_t len = static_cast<uint32_t>(tmpl_.frame.size());
    std::array<XskDesc, kBatch> descs;

    using clock = std::chrono::steady_clock;
    const double rate = cfg_.rate_pps / cfg_.threads;
    const auto t0 = clock::now();
    auto& me = per_thread_[idx];
    uint64_t built = 0, completed = 0, dropped = 0;
    bool budget_left = true;
    clock::time_point drain_until{};
    clock::time_point last_change = t0;         // completions or drops moved, or nothing was in flight
    clock::time_point all_dropped_since{};      // epoch = a frame left since the last drop
    uint64_t last_sent = 0;
    const std::string where = fmt::format("{} queue {}", cfg_.ifname, sock.queue());

    for (;;) {
        const auto now = clock::now();
        const uint32_t done_now = sock.tx_complete();
        completed += done_now;
        const bool stopping = threads_.stopping();
        if (stopping && drain_until == clock::time_point{})
            drain_until = now + kDrainFor;

        if (!stopping && budget_left) {
            uint64_t want = kBatch;
            if (rate > 0) {
                const double elapsed = std::chrono::duration<double>(now - t0).count();
                const double allowed = rate * elapsed - static_cast<double>(built - dropped);
                want = allowed < 1.0 ? 0 : std::min<uint64_t>(want, static_cast<uint64_t>(allowed));
                if (want == 0 && built == completed) {
                    std::this_thread::sleep_for(std::chrono::duration<double>(std::min((1.0 - allowed) / rate, 0.001)));
                    last_change = clock::now();
                    continue;
                }
            }
            if (want) {
                const size_t n = sock.tx_reserve(std::span<XskDesc>(descs.data(), want));
                if (n) {
                    uint64_t got = 0;
                    budget_left = budget_.claim(n, got);
                    for (size_t i = 0; i < got; i++) {
                        if (!cfg_.raw)
                            stamper.stamp(umem.data(descs[i].addr), monotonic_ns);
                        descs[i].len = len;
                    }
                    // Slots not claimed stay at len 0: cancelled, frames back to the stack.
                    sock.tx_publish(std::span<const XskDesc>(descs.data(), n));
                    built += got;
                    me.built.store(built, std::memory_order_relaxed);
                }
            }
        }

        if (built == completed) {
            if (stopping || !budget_left)
                break;
            last_change = now;
            continue;
        }
        if (stopping && now > drain_until)
            break;  // frames the kernel never took are not counted as sent

        auto kick = sock.tx_kick_counted();
        if (!kick) {
            threads_.fail(kick.error());
            break;
        }
        if (kick.value() == XskSocket::TxKick::Dropped) {
            dropped++;
            me.dropped.store(dropped, std::memory_order_relaxed);
            last_change = now;
            // An exact budget is honoured by sending another frame instead.
            if (cfg_.total_packets) {
                budget_.give_back(1);
                budget_left = true;
            }
            if (all_dropped_since == clock::time_point{}) {
                all_dropped_since = now;
            } else if (now - all_dropped_since > kGiveUpAfter) {
                threads_.fail(make_error(fmt::format("the driver of {} dropped every frame for {} ms", cfg_.ifname,
                                            std::chrono::duration_cast<std::chrono::milliseconds>(kGiveUpAfter).count())));
                break;
            }
        }
        // A dropped frame completes too: sent = completions - drops (its
        // completion may be reaped an iteration after the drop is counted).
        const uint64_t sent = completed > dropped ? completed - dropped : 0;
        if (sent > last_sent) {
            last_sent = sent;
            all_dropped_since = {};
            me.sent.store(sent, std::memory_order_relaxed);
        }
        if (done_now) {
            last_change = now;
        } else if (now - last_change > kStallAfter) {
            threads_.fail(make_error(fmt::format("AF_XDP transmit on {} made no progress for {} ms: {} frames neither sent nor "
                                        "dropped",
                                        where, std::chrono::duration_cast<std::chrono::milliseconds>(kStallAfter).count(),
                                        built - completed),
                            0, fmt::format("is {} up, with its peer up (carrier)?", cfg_.ifname)));
            break;
        }
    }
    // Completions that came during the last kick.
    completed += sock.tx_complete();
    me.sent.store(completed > dropped ? completed - dropped : 0, std::memory_order_relaxed);
}

Status UdpXskSender::wait() { return threads_.join(); }

BlastCounters UdpXskSender::counters() const
{
    BlastCounters c;
    c.xmit_known = true;  // completions less the drops each kick reported
    for (unsigned i = 0; i < cfg_.threads; i++) {
        c.repetitions += per_thread_[i].built.load(std::memory_order_relaxed);
        c.sent += per_thread_[i].sent.load(std::memory_order_relaxed);
        c.dropped += per_thread_[i].dropped.load(std::memory_order_relaxed);
    }
    return c;
}

}  // namespace xdpgen
