// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// --impair and --impair-rx: delay, jitter, loss and reordering applied by
// the worker to its own flows. Lazy, as TRex's ASTF planned it: a delayed
// segment is a descriptor (ends, header, stream offset) until due, and its
// payload is written from the flow's program only then; only incoming
// frames, which have no such source, are copied.
//
// Decisions for our segments are a function of the seed and what the
// segment is (its connection, stream offsets, flags, which transmission),
// so the same load with the same seed drops the same segments in any run.
// Incoming frames are drawn in arrival order from the seed.

#include "engine/worker.hpp"
#include "engine/worker_flow.hpp"

#include <algorithm>
#include <cstring>

namespace xdpgen::engine {

namespace {
// A reordered segment leaves this much after its delay: what the flow sends
// meanwhile overtakes it.
constexpr uint64_t kReorderGapNs = 1'000'000;
constexpr size_t kDueBatch = 256;
}  // namespace

void Worker::impair_init()
{
    if (cfg_.impair_tx.any())
        imp_tx_.emplace(cfg_.impair_tx);
    for (const ImpairSpec& s : cfg_.program_impair)
        imp_program_.push_back(s.any() ? std::optional<ImpairDecider>(s) : std::nullopt);
    const bool any_program = std::any_of(imp_program_.begin(), imp_program_.end(), [](const auto& d) { return d.has_value(); });
    if (imp_tx_ || any_program)
        imp_flows_.assign(table_.capacity(), ImpairFlow{});
    const ImpairSpec& t = cfg_.impair_tx;
    tx_fifo_ = imp_tx_ && !any_program && !t.jitter_ns && !t.reorder_ppm;
    if (cfg_.impair_rx.any()) {
        imp_rx_.emplace(cfg_.impair_rx);
        rx_store_ = std::make_unique<FrameStore>(cfg_.impair_rx_cap, cfg_.umem.frame_size);
        rx_draws_.seed(cfg_.impair_rx.seed * 0x9e3779b97f4a7c15ull + cfg_.index);
    }
}

const ImpairDecider* Worker::tx_decider(uint32_t id) const
{
    if (!imp_program_.empty() && !variant_.empty() && variant_[id] < imp_program_.size() && imp_program_[variant_[id]])
        return &*imp_program_[variant_[id]];
    return imp_tx_ ? &*imp_tx_ : nullptr;
}

void Worker::impair_begin(uint32_t id, const FlowKey& key)
{
    if (imp_flows_.empty())
        return;
    ImpairFlow& f = imp_flows_[id];
    if (cfg_.role == Role::Client) {
        // The client's connections in the order it starts them, over all workers.
        f.key = impair_mix(0x636c69656e74ull, imp_started_++ * cfg_.workers + cfg_.index);
    } else {
        // A server knows its connections by what the client chose.
        uint64_t h = impair_mix(0x736572766572ull, uint64_t(key.remote_port) << 16 | key.local_port);
        for (size_t i = 0; i < key.remote.size(); i += 8) {
            uint64_t w = 0;
            std::memcpy(&w, key.remote.data() + i, 8);
            h = impair_mix(h, w);
        }
        f.key = h;
    }
    f.last = f.repeats = 0;
}

void Worker::impair_end(uint32_t id)
{
    if (!imp_flows_.empty())
        imp_flows_[id].gen++;  // its delayed payload can no longer be built
}

uint64_t Worker::tx_identity(uint32_t id, const tcp::OutSegment& s)
{
    ImpairFlow& f = imp_flows_[id];
    const tcp::Tcb& t = conns_[id].tcb();
    // A pure ACK answers the peer, whose timing differs from run to run: its
    // identity leaves out our own retransmission state.
    const bool pure_ack = !s.seg.payload_len && !s.seg.has(tcp::kSyn | tcp::kFin);
    const uint64_t tries = pure_ack ? 0 : uint64_t(s.retransmit) << 40 | uint64_t(t.backoff) << 48;
    uint64_t h = impair_mix(f.key, s.payload_offset);
    h = impair_mix(h, uint64_t(s.seg.payload_len) | uint64_t(s.seg.flags) << 32 | tries);
    h = impair_mix(h, uint64_t(t.rcv_nxt_off));
    // The same segment again (an ACK answering a retransmitted FIN) is
    // another draw: else one loss would repeat for good.
    const auto tag = static_cast<uint32_t>(h);
    f.repeats = tag == f.last ? f.repeats + 1 : 0;
    f.last = tag;
    return impair_mix(h, f.repeats);
}

bool Worker::impair_tx(uint32_t id, const tcp::OutSegment& s)
{
    const ImpairDecider* decider = tx_decider(id);
    if (!decider)
        return false;
    st_.c.impair_tx_segments++;
    const ImpairDecision d = decider->decide(tx_identity(id, s));
    if (d.drop) {
        st_.c.impair_tx_dropped++;
        log_.impair_dropped(id);
        return true;
    }
    st_.c.impair_tx_reordered += d.reorder;
    const uint64_t delay = d.delay_ns + (d.reorder ? kReorderGapNs : 0);
    if (!delay)
        return false;
    st_.c.impair_tx_delayed++;
    const DelayedSegment seg{ends_of(id), s.seg, s.payload_offset, id, imp_flows_[id].gen};
    if (tx_fifo_)
        tx_fifo_q_.emplace_back(now_ + delay, seg);
    else
        tx_due_.push(now_ + delay, seg);
    return true;
}

bool Worker::send_delayed(const DelayedSegment& d)
{
    if (!d.seg.payload_len)
        return emit_frame(d.ends, d.seg, nullptr, 0);
    if (imp_flows_[d.id].gen != d.gen) {
        st_.c.impair_tx_flow_gone++;  // the flow ended: nobody waits for these bytes
        return true;
    }
    program::Runner r = runner(d.id);
    FlowApp app(r);
    return emit_frame(d.ends, d.seg, &app, d.payload_off);
}

bool Worker::impair_rx(uint64_t now, std::span<const uint8_t> frame)
{
    st_.c.impair_rx_frames++;
    const ImpairDecision d = imp_rx_->decide(rx_draws_());
    if (d.drop) {
        st_.c.impair_rx_dropped++;
        return true;
    }
    st_.c.impair_rx_reordered += d.reorder;
    const uint64_t delay = d.delay_ns + (d.reorder ? kReorderGapNs : 0);
    if (!delay)
        return false;
    const uint32_t slot = rx_store_->put(frame);
    if (slot == UINT32_MAX) {
        st_.c.impair_rx_cap_dropped++;  // as netem past its limit: dropped, and reported with the fix
        return true;
    }
    st_.c.impair_rx_delayed++;
    st_.c.impair_rx_held_peak = std::max<uint64_t>(st_.c.impair_rx_held_peak, rx_store_->held());
    rx_due_.push(now + delay, slot);
    return true;
}

size_t Worker::impair_due(uint64_t now)
{
    size_t n = 0;
    // FIFO: in order until the first not yet due, or a frame not free.
    while (!tx_fifo_q_.empty() && tx_fifo_q_.front().first <= now && n < kDueBatch) {
        if (!send_delayed(tx_fifo_q_.front().second))
            break;
        tx_fifo_q_.pop_front();
        n++;
    }
    if (tx_due_.size()) {
        tx_retry_.clear();
        n += tx_due_.pop_due(
            now,
            [&](const DelayedSegment& d) {
                if (!send_delayed(d))
                    tx_retry_.push_back(d);  // no TX frame free: next loop
            },
            kDueBatch);
        for (const DelayedSegment& d : tx_retry_)
            tx_due_.push(now, d);
    }
    if (imp_rx_ && rx_due_.size())
        n += rx_due_.pop_due(
            now,
            [&](uint32_t slot) {
                handle_frame(now, rx_store_->get(slot));
                rx_store_->release(slot);
            },
            kDueBatch);
    return n;
}

uint64_t Worker::impair_next_due() const
{
    const uint64_t fifo = tx_fifo_q_.empty() ? UINT64_MAX : tx_fifo_q_.front().first;
    return std::min({fifo, tx_due_.next_due(), rx_due_.next_due()});
}

}  // namespace xdpgen::engine
