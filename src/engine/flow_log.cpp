// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/flow_log.hpp"

#include <algorithm>
#include <cstring>

#include "records/ring.hpp"

namespace xdpgen::engine {

void FlowLog::init(records::RecordRing* ring, uint32_t capacity, uint16_t worker, records::Side side)
{
    ring_ = ring;
    worker_ = worker;
    side_ = side;
    if (ring)
        flows_.assign(capacity, Times{});
}

void FlowLog::begin(uint32_t id, uint64_t now, uint64_t sched)
{
    if (!on())
        return;
    Times& t = flows_[id];
    t = Times{};
    t.sched = sched;
    t.syn = now;
    t.conn = next_conn_++;
    t.open = true;
}

void FlowLog::sent(uint32_t id, uint64_t now, const tcp::OutSegment& s)
{
    if (!on())
        return;
    Times& t = flows_[id];
    t.retransmits += s.retransmit;
    if (s.seg.payload_len && !s.retransmit) {
        if (!t.first_tx)
            t.first_tx = now;
        t.last_byte = now;
    }
    if (s.seg.has(tcp::kFin) && !t.fin_tx)
        t.fin_tx = now;
}

void FlowLog::handed_over(uint32_t id, uint64_t now)
{
    if (on() && !flows_[id].first_tx)
        flows_[id].first_tx = now;
}

void FlowLog::taken_back(uint32_t id, uint64_t now, bool data_sent)
{
    if (on() && data_sent)
        flows_[id].last_byte = std::max(flows_[id].last_byte, now);
}

void FlowLog::progress(uint32_t id, uint64_t now, bool established, uint64_t rx_bytes, uint64_t acked, bool peer_fin)
{
    if (!on())
        return;
    Times& t = flows_[id];
    if (established && !t.established)
        t.established = now;
    if (rx_bytes) {
        if (!t.first_rx)
            t.first_rx = now;
        t.last_byte = std::max(t.last_byte, now);
    }
    if (peer_fin && !t.fin_rx)
        t.fin_rx = now;
    t.rx_bytes += rx_bytes;
    t.tx_bytes += acked;
}

void FlowLog::end(uint32_t id, uint64_t now, const Ends& e, records::Outcome outcome, records::Cause cause)
{
    if (!on() || !flows_[id].open)
        return;
    Times& t = flows_[id];
    t.open = false;
    records::Record r{};
    std::memcpy(r.local_addr, e.local->b.data(), e.local->v6 ? 16 : 4);
    std::memcpy(r.remote_addr, e.remote.b.data(), e.remote.v6 ? 16 : 4);
    r.local_port = e.local_port;
    r.remote_port = e.remote_port;
    r.v6 = e.remote.v6;
    r.side = side_;
    r.outcome = outcome;
    r.cause = cause;
    r.template_id = e.template_id;
    r.worker = worker_;
    r.retransmits = t.retransmits;
    r.impair_dropped = t.impair_dropped;
    r.conn = t.conn;
    r.tx_bytes = t.tx_bytes;
    r.rx_bytes = t.rx_bytes;
    r.sched_ns = wall(t.sched);
    r.syn_ns = wall(t.syn);
    r.established_ns = wall(t.established);
    r.first_tx_ns = wall(t.first_tx);
    r.first_rx_ns = wall(t.first_rx);
    r.last_byte_ns = wall(t.last_byte);
    r.fin_tx_ns = wall(t.fin_tx);
    r.fin_rx_ns = wall(t.fin_rx);
    r.closed_ns = wall(now);
    if (ring_->try_push(r))
        pushed_++;
    else
        dropped_++;
}

records::Cause FlowLog::cause_of(program::Failure pf, tcp::TcpEvent ev)
{
    using records::Cause;
    switch (pf) {
    case program::Failure::HttpStatus: return Cause::HttpStatus;
    case program::Failure::HttpMalformed: return Cause::HttpMalformed;
    case program::Failure::VerifyMismatch: return Cause::Verify;
    case program::Failure::PeerClosedEarly: return Cause::PeerClosed;
    case program::Failure::ExpectMismatch: return Cause::ExpectMismatch;
    case program::Failure::None: break;
    }
    switch (ev) {
    case tcp::TcpEvent::Timeout: return Cause::Timeout;
    case tcp::TcpEvent::Refused: return Cause::Refused;
    case tcp::TcpEvent::Reset: return Cause::Reset;
    default: return Cause::PeerClosed;
    }
}

}  // namespace xdpgen::engine
