// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// `xdpgen tcp`'s data path: the flows the engine established, sent by
// xg_tcp_tx (bpf/tcp_blast.bpf.c) through live frames from one pinned thread
// per CPU, acknowledged through the steering program's ACK processing
// (bpf/tcp_flow.bpf.h), whose maps it shares. It is the engine's
// BulkHandover: it takes established connections, runs their retransmission
// timer from userspace and gives them back when their stream is
// acknowledged.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "blast/stream_payload.hpp"
#include "blast/sender_threads.hpp"
#include "blast/tcp_data_path.hpp"
#include "util/result.hpp"
#include "xdpgen/abi.h"
#include "xsk/steering.hpp"

namespace xdpgen {

struct TcpBlastConfig {
    int ifindex = 0;
    std::string ifname;
    uint32_t flows = 1;        // slots; flow ids 0 .. flows-1
    unsigned threads = 1;      // sending threads, one per CPU
    std::vector<int> cpus;     // thread i on cpus[i]; empty = the allowed CPUs in order
    uint64_t bytes = 0;        // per flow; 0 = until stop_streams() (with payload_file: the file's size)
    std::string payload_file;  // the streams carry this file's bytes (once); empty = the pattern
    TcpCc cc = TcpCc::Reno;
    uint32_t initial_cwnd_segments = 10;
    uint32_t frame_size = 1514;  // the largest frame: Ethernet header + MTU
};

// Totals over the run, from the programs' counters and the flows.
struct TcpBlastCounters {
    xg_tcp_tx_counters tx{};
    xg_tcp_ack_counters ack{};
    uint64_t acked_bytes = 0;  // stream bytes acknowledged, all flows (what the data path sent)
    uint64_t rtos = 0;         // retransmission timeouts run from userspace
    uint64_t probes = 0;       // tail loss probes (in-flight data sent again after 10 ms without an ACK)
    uint32_t adopted = 0;      // flows handed over so far
};

class TcpBlaster final : public TcpDataPath {
public:
    static Result<std::unique_ptr<TcpBlaster>> create(const TcpBlastConfig& cfg);
    ~TcpBlaster() override;
    TcpBlaster(const TcpBlaster&) = delete;
    TcpBlaster& operator=(const TcpBlaster&) = delete;

    // The maps the steering program must share.
    TcpBulkMaps maps() const;

    void start();
    void request_stop() { threads_.request_stop(); }
    // A sending thread failed (a live-frames run refused): the run ends
    // with wait()'s error, its flows will not progress.
    bool failed() const { return threads_.failed(); }
    Status wait();  // joins the sending threads; the first error

    TcpBlastCounters counters() const;
    // Set when the sender could not be kept in the XDP dispatcher (slower runs).
    const std::string& warning() const { return pin_warning_; }
    // Frames the driver of the interface accepted and refused (all senders
    // on it), when the kernel has the xdp tracepoints.
    struct DriverVerdict {
        uint64_t sent = 0, dropped = 0;
    };
    std::optional<DriverVerdict> driver_verdict() const;
    // TcpDataPath
    void stop_streams() override;
    std::vector<uint64_t> flow_acked() const override;
    std::vector<double> flow_goodput(uint64_t now_ns) const override;

    // engine::BulkHandover
    uint32_t adopt(uint64_t now, const TcpFrameEnds& ends, const tcp::Tcb& tcb, uint64_t rto_ns) override;
    Check check(uint32_t slot, uint64_t now) override;
    Progress release(uint32_t slot, uint64_t now) override;
    uint64_t stream_bytes() const override { return end_bytes_.load(std::memory_order_relaxed); }
    void fill(uint64_t off, std::span<uint8_t> dst) const override;

private:
    struct Impl;
    // Userspace's own state of a slot: the retransmission timer.
    struct SlotTimer {
        uint64_t una_seen = 0;
        uint64_t last_progress_ns = 0;
        uint64_t rto_ns = 0;
        uint64_t adopted_ns = 0;
        uint64_t done_ns = 0;  // last byte acknowledged (0 = not yet)
        uint8_t backoff = 0;
        bool probed = false;  // a loss probe went out since the last progress
    };

    explicit TcpBlaster(const TcpBlastConfig& cfg);
    xg_tcp_flow& flow(uint32_t slot) const;
    void pin_in_dispatcher();
    void thread_main(unsigned idx, int cpu);
    void wait_for_runs_in_flight() const;

    TcpBlastConfig cfg_;
    std::atomic<uint64_t> end_bytes_{0};
    std::unique_ptr<Impl> impl_;
    std::vector<SlotTimer> timers_;
    StreamPayload payload_;  // pattern or --payload FILE
    std::atomic<uint32_t> next_slot_{0};
    std::atomic<uint64_t> rtos_{0};
    std::atomic<uint64_t> probes_{0};
    // Per sending thread: odd while a live-frames run is in the kernel. A
    // released flow's offsets are read once every run that may have seen
    // it active is over (its program advances nxt_off).
    std::vector<std::atomic<uint64_t>> run_epochs_;
    std::string pin_warning_;
    SenderThreads threads_;  // last: stopped and joined before the rest goes
};

}  // namespace xdpgen
