// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The AF_XDP path of `xdpgen udp`, for kernels that refuse live frames:
// thread i sends through an AF_XDP socket bound to TX queue i, pinned to one
// CPU. Every UMEM frame holds the template from set-up on; per packet only
// the varied fields and the checksums are patched (net/udp_patch.hpp), the
// descriptors go into the TX ring in batches, and one sendto kicks each batch.
// What counts as sent is what came back on the completion ring, less the
// frames the driver dropped (copy mode reports each with EBUSY).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "blast/sender_threads.hpp"
#include "blast/udp_sender.hpp"
#include "xsk/umem.hpp"
#include "xsk/xsk_socket.hpp"

namespace xdpgen {

class UdpXskSender final : public UdpSender {
public:
    // Binds cfg.threads sockets, to queues 0..threads-1 (the caller keeps
    // threads <= TX queues and CPUs).
    static Result<std::unique_ptr<UdpXskSender>> create(const UdpBlastConfig& cfg);
    ~UdpXskSender() override;
    UdpXskSender(const UdpXskSender&) = delete;
    UdpXskSender& operator=(const UdpXskSender&) = delete;

    void start() override;
    void request_stop() override { threads_.request_stop(); }
    bool done() const override { return threads_.done(); }
    Status wait() override;
    BlastCounters counters() const override;
    uint16_t run_id() const override { return run_id_; }
    TxPath path() const override { return TxPath::Xsk; }
    // Frames one kick may send (the kernel's default is 32; raised where the
    // kernel allows, XDP_MAX_TX_SKB_BUDGET, Linux 6.17+).
    uint32_t kick_budget() const { return kick_budget_; }

private:
    struct Lane {
        std::unique_ptr<Umem> umem;
        std::unique_ptr<XskSocket> sock;  // declared after umem: destroyed first
        int cpu = 0;
    };
    struct alignas(64) PerThread {
        std::atomic<uint64_t> built{0}, sent{0}, dropped{0};
    };

    explicit UdpXskSender(const UdpBlastConfig& cfg) : cfg_(cfg) {}
    void thread_main(unsigned idx);

    UdpBlastConfig cfg_;
    UdpTemplate tmpl_;
    uint16_t run_id_ = 0;
    uint32_t kick_budget_ = 32;
    std::vector<Lane> lanes_;
    std::unique_ptr<PerThread[]> per_thread_;
    PacketBudget budget_;
    SenderThreads threads_;  // last: stopped and joined before the rest goes
};

}  // namespace xdpgen
