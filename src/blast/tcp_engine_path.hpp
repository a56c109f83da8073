// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// `xdpgen tcp --data-path engine`: the AF_XDP engine sends each stream
// itself through its TCP (lazy TX from the stream's offsets, NewReno or
// window-limited), the way it falls back per flow when the live-frames
// sender has no room. This data path sends nothing: it defines the streams
// (pattern or file, length, the stop of a --duration run) and numbers the
// flows for per-flow figures. No BPF program of its own, no live frames.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "blast/stream_payload.hpp"
#include "blast/tcp_data_path.hpp"
#include "tcp/congestion.hpp"

namespace xdpgen {

// --cc none on the engine path: the peer's window alone limits the flight
// (cwnd stays at its cap, also after a loss or a timeout); losses are still
// repaired as NewReno does (fast retransmit on the third duplicate ACK, the
// next hole on each partial ACK, go-back from snd.una on a timeout).
const tcp::CongestionControl& window_limited_cc();

class TcpEnginePath final : public TcpDataPath {
public:
    TcpEnginePath(StreamPayload payload, uint32_t flows);

    // TcpDataPath
    void stop_streams() override { end_bytes_.store(0, std::memory_order_relaxed); }
    std::vector<uint64_t> flow_acked() const override;
    std::vector<double> flow_goodput(uint64_t now_ns) const override;

    // engine::BulkHandover
    uint32_t adopt(uint64_t now, const TcpFrameEnds& ends, const tcp::Tcb& tcb, uint64_t rto_ns) override;
    Check check(uint32_t, uint64_t) override { return {}; }
    Progress release(uint32_t, uint64_t) override { return {}; }
    uint64_t stream_bytes() const override { return end_bytes_.load(std::memory_order_relaxed); }
    void fill(uint64_t off, std::span<uint8_t> dst) const override { payload_.fill(off, dst); }
    bool sends_streams() const override { return false; }
    void acked(uint32_t slot, uint64_t bytes, uint64_t now) override;

private:
    struct Slot {
        std::atomic<uint64_t> acked{0};
        std::atomic<uint64_t> adopted_ns{0};
        std::atomic<uint64_t> last_ack_ns{0};
    };
    uint32_t adopted() const;

    StreamPayload payload_;
    std::atomic<uint64_t> end_bytes_;
    std::unique_ptr<Slot[]> slots_;
    uint32_t flows_;
    std::atomic<uint32_t> next_slot_{0};
};

}  // namespace xdpgen
