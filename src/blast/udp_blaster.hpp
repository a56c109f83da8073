// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The UDP blaster: N threads, each running the blast program through live
// frames, sharing an exact packet budget and a total rate (the live path of
// `xdpgen udp`; blast/udp_xsk_sender.hpp is the AF_XDP one).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blast/sender_threads.hpp"
#include "blast/udp_sender.hpp"
#include "net/udp_frame.hpp"
#include "util/result.hpp"

namespace xdpgen {

class UdpBlaster final : public UdpSender {
public:
    // Loads the program and makes one live-frames run of a dropping program:
    // fails if the kernel refuses live frames.
    static Result<std::unique_ptr<UdpBlaster>> create(const UdpBlastConfig& cfg);
    ~UdpBlaster() override;
    UdpBlaster(const UdpBlaster&) = delete;
    UdpBlaster& operator=(const UdpBlaster&) = delete;

    void start() override;
    void request_stop() override { threads_.request_stop(); }
    // True once every thread has finished (budget used, stopped, or failed).
    bool done() const override { return threads_.done(); }
    // Joins the threads; the first error any of them met.
    Status wait() override;
    BlastCounters counters() const override;
    uint16_t run_id() const override { return run_id_; }
    TxPath path() const override { return TxPath::Live; }
    const UdpTemplate& frame_template() const { return tmpl_; }

private:
    struct Impl;
    explicit UdpBlaster(const UdpBlastConfig& cfg);
    void thread_main(unsigned idx, int cpu);

    UdpBlastConfig cfg_;
    UdpTemplate tmpl_;
    uint16_t run_id_ = 0;
    std::unique_ptr<Impl> impl_;
    struct alignas(64) PerThread {
        std::atomic<uint64_t> reps{0}, sent{0}, dropped{0};
    };
    struct Verdict {
        uint64_t sent, dropped;
    };
    Verdict cpu_verdict(int cpu) const;
    std::unique_ptr<PerThread[]> per_thread_;
    PacketBudget budget_;
    SenderThreads threads_;  // last: stopped and joined before the rest goes
};

}  // namespace xdpgen
