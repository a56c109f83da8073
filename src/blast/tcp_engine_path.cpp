// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/tcp_engine_path.hpp"

#include <algorithm>

namespace xdpgen {
namespace {

constexpr uint32_t kCwndCap = 1u << 30;  // beyond any window the peer can offer (RFC 7323: 2^30)

class WindowLimited final : public tcp::CongestionControl {
public:
    const char* name() const override { return "none"; }

    void init(tcp::CcState& s, uint32_t, uint32_t, tcp::SeqNum iss) const override
    {
        s.cwnd = kCwndCap;
        s.ssthresh = kCwndCap;
        s.recover = iss;
        s.dupacks = 0;
        s.in_recovery = false;
    }

    tcp::CcAction on_ack(tcp::CcState& s, const tcp::AckSample& a) const override
    {
        s.dupacks = 0;
        if (!s.in_recovery)
            return tcp::CcAction::None;
        if (a.ack >= s.recover) {
            s.in_recovery = false;  // RFC 6582 full acknowledgment: recovery over
            return tcp::CcAction::None;
        }
        return tcp::CcAction::RetransmitFirst;  // partial acknowledgment: the next hole
    }

    tcp::CcAction on_dupack(tcp::CcState& s, const tcp::AckSample& a) const override
    {
        if (s.in_recovery)
            return tcp::CcAction::None;
        if (s.dupacks < 255)
            ++s.dupacks;
        // RFC 6582 §3.2 step 2: one recovery per window of data.
        if (s.dupacks != 3 || !(a.ack > s.recover))
            return tcp::CcAction::None;
        s.recover = a.snd_max;
        s.in_recovery = true;
        return tcp::CcAction::RetransmitFirst;
    }

    void on_timeout(tcp::CcState& s, const tcp::AckSample& a) const override
    {
        s.recover = a.snd_max;
        s.dupacks = 0;
        s.in_recovery = false;
    }
};

const WindowLimited kWindowLimited;

}  // namespace

const tcp::CongestionControl& window_limited_cc() { return kWindowLimited; }

TcpEnginePath::TcpEnginePath(StreamPayload payload, uint32_t flows)
    : payload_(std::move(payload)),
      // A --duration run's streams are "endless": more than a run ever sends.
      end_bytes_(payload_.stream_bytes() ? payload_.stream_bytes() : uint64_t{1} << 62),
      slots_(new Slot[flows]),
      flows_(flows)
{
}

uint32_t TcpEnginePath::adopt(uint64_t now, const TcpFrameEnds&, const tcp::Tcb&, uint64_t)
{
    const uint32_t slot = next_slot_.fetch_add(1, std::memory_order_relaxed);
    if (slot >= flows_)
        return kNoSlot;
    slots_[slot].adopted_ns.store(now, std::memory_order_relaxed);
    return slot;
}

void TcpEnginePath::acked(uint32_t slot, uint64_t bytes, uint64_t now)
{
    if (slot >= flows_ || bytes == 0)
        return;
    // One writer per slot (the worker that adopted it); readers want a recent value.
    Slot& s = slots_[slot];
    s.acked.store(s.acked.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    s.last_ack_ns.store(now, std::memory_order_relaxed);
}

uint32_t TcpEnginePath::adopted() const { return std::min(next_slot_.load(std::memory_order_relaxed), flows_); }

std::vector<uint64_t> TcpEnginePath::flow_acked() const
{
    std::vector<uint64_t> v(adopted());
    for (size_t i = 0; i < v.size(); i++)
        v[i] = slots_[i].acked.load(std::memory_order_relaxed);
    return v;
}

std::vector<double> TcpEnginePath::flow_goodput(uint64_t now_ns) const
{
    std::vector<double> v(adopted());
    for (size_t i = 0; i < v.size(); i++) {
        const Slot& s = slots_[i];
        const uint64_t acked = s.acked.load(std::memory_order_relaxed);
        const uint64_t from = s.adopted_ns.load(std::memory_order_relaxed);
        // A flow whose stream is over (the run's end) counts until its last ACK.
        const uint64_t last = s.last_ack_ns.load(std::memory_order_relaxed);
        const uint64_t to = last ? last : now_ns;
        const double secs = to > from ? static_cast<double>(to - from) / 1e9 : 0;
        v[i] = secs > 0 ? static_cast<double>(acked) * 8 / secs : 0;
    }
    return v;
}

}  // namespace xdpgen
