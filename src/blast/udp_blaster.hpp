// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The UDP blaster: N threads, each running the blast program through live
// frames, sharing an exact packet budget and a total rate.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/udp_frame.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct UdpBlastConfig {
    int ifindex = 0;
    std::string ifname;
    UdpFrameSpec frame;
    uint16_t port_count = 1;   // destination ports frame.dst_port .. +port_count-1
    unsigned threads = 1;
    uint64_t total_packets = 0;  // 0 = until stopped
    double rate_pps = 0;         // 0 = as fast as possible; total over all threads
    bool raw = false;            // benchmark baseline: unmodified frame, bare redirect
    uint32_t ts_every = 8;       // read the clock for the send stamp once per this many frames per CPU
};

struct BlastCounters {
    uint64_t repetitions = 0;  // frames the program ran on
    bool xmit_known = false;   // the driver's verdict is known (else sent = repetitions)
    uint64_t sent = 0;         // frames the driver accepted: what really left
    uint64_t dropped = 0;      // frames the driver refused or that failed to redirect
};

class UdpBlaster {
public:
    static Result<std::unique_ptr<UdpBlaster>> create(const UdpBlastConfig& cfg);
    ~UdpBlaster();
    UdpBlaster(const UdpBlaster&) = delete;
    UdpBlaster& operator=(const UdpBlaster&) = delete;

    void start();
    void request_stop() { stop_.store(true, std::memory_order_relaxed); }
    // True once every thread has finished (budget used, stopped, or failed).
    bool done() const { return running_.load(std::memory_order_acquire) == 0; }
    // Joins the threads; the first error any of them met.
    Status wait();
    BlastCounters counters() const;
    uint16_t run_id() const { return run_id_; }
    const UdpTemplate& frame_template() const { return tmpl_; }

private:
    struct Impl;
    explicit UdpBlaster(const UdpBlastConfig& cfg);
    void thread_main(unsigned idx, int cpu);
    bool claim(uint64_t want, uint64_t& got);

    UdpBlastConfig cfg_;
    UdpTemplate tmpl_;
    uint16_t run_id_ = 0;
    std::unique_ptr<Impl> impl_;
    std::vector<std::thread> threads_;
    struct alignas(64) PerThread {
        std::atomic<uint64_t> reps{0}, sent{0}, dropped{0};
    };
    struct Verdict {
        uint64_t sent, dropped;
    };
    Verdict cpu_verdict(int cpu) const;
    void fail(Error e);
    std::unique_ptr<PerThread[]> per_thread_;
    std::atomic<bool> stop_{false};
    std::atomic<unsigned> running_{0};
    std::atomic<uint64_t> remaining_{0};
    std::mutex err_mu_;
    std::optional<Error> first_error_;
};

}  // namespace xdpgen
