// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The worker's side of `xdpgen tcp`: each connection is opened here, handed
// to the BulkHandover once established, watched on the flow's timer, and
// taken back to be closed (or to finish what the data path could not).
#include "engine/worker.hpp"
#include "engine/worker_flow.hpp"

#include <algorithm>

namespace xdpgen::engine {

using tcp::TcpEvent;
using tcp::TcpState;

namespace {
// A handed-over flow is looked at this soon after the handover.
constexpr uint64_t kFirstCheckNs = 1'000'000;

// Stream offset up to which the connection has sent (snd.max; offsets
// count from ISS + 1, and from snd.una once data was acknowledged).
uint64_t sent_end(const tcp::Tcb& t)
{
    const tcp::SeqNum start = t.snd_una_off == 0 ? t.data_start() : t.snd.una;
    return t.snd_una_off + tcp::seq_len(start, t.snd.max);
}
}  // namespace

void Worker::bulk_poll(uint64_t now)
{
    // The streams were stopped (the end of a --duration run): those the
    // worker sends itself end where they stand, their FIN after the last
    // byte sent. Once per run.
    if (bulk_stopped_ || cfg_.bulk->stream_bytes() != 0)
        return;
    bulk_stopped_ = true;
    for (uint32_t id = 0; id < table_.capacity(); id++) {
        const FlowRecord& rec = recs_[id];
        const TcpState s = conns_[id].state();
        if (rec.done || rec.bulk || !rec.established || (s != TcpState::Established && s != TcpState::CloseWait))
            continue;
        bulk_end_[id] = std::min(bulk_end_[id], sent_end(conns_[id].tcb()));
        BulkApp app(*cfg_.bulk, bulk_end_[id]);
        bulk_after_call(id, now, app);
    }
}

void Worker::bulk_take_back(uint32_t id, uint64_t now)
{
    FlowRecord& rec = recs_[id];
    if (!rec.bulk)
        return;
    const BulkHandover::Progress pr = cfg_.bulk->release(bulk_slot_[id], now);
    rec.bulk = false;
    bulk_slot_[id] = BulkHandover::kNoSlot;
    bulk_end_[id] = pr.end_off;
    log_.taken_back(id, now, pr.nxt_off > 0);
    conns_[id].resume_send(now, pr.una_off, pr.nxt_off, pr.wnd, pr.ts_recent);
}

void Worker::bulk_segment(uint32_t id, uint64_t now, const tcp::ParsedTcp& p)
{
    // The steering program consumes the pure ACKs of a handed-over flow;
    // what reaches the worker (the peer's FIN, a RST, data) ends the
    // handover: the connection answers it with the stream's state as it is.
    bulk_take_back(id, now);
    BulkApp app(*cfg_.bulk, bulk_end_[id]);
    FlowSink sink(*this, id, app);
    conns_[id].on_segment(now, p.seg, p.payload, app, sink);
    bulk_after_call(id, now, app);
}

void Worker::bulk_fire(uint32_t id, uint64_t now)
{
    FlowRecord& rec = recs_[id];
    tcp::Connection& c = conns_[id];
    if (rec.bulk) {
        const BulkHandover::Check ck = cfg_.bulk->check(bulk_slot_[id], now);
        st_.c.tx_bytes += ck.newly_acked;
        log_.progress(id, now, true, 0, ck.newly_acked, false);
        if (!ck.complete && !ck.gave_up) {
            wheel_.arm(id, ck.next_ns);
            return;
        }
        bulk_take_back(id, now);
        BulkApp app(*cfg_.bulk, bulk_end_[id]);
        FlowSink sink(*this, id, app);
        if (ck.gave_up) {
            c.abort(now, sink);
            finish(id, now, false, program::Failure::None, TcpEvent::Timeout);
            free_flow(id, now, false);
            return;
        }
        // Everything acknowledged: the FIN goes out now.
        c.close(now, app, sink);
        bulk_after_call(id, now, app);
        return;
    }
    BulkApp app(*cfg_.bulk, bulk_end_[id]);
    FlowSink sink(*this, id, app);
    if (!rec.done) {
        const uint64_t started = rec.started_ns(now);
        const bool handshaking = c.state() == TcpState::SynSent;
        if ((handshaking && now >= started + cfg_.connect_timeout_ns) || now >= started + cfg_.timeout_ns) {
            c.abort(now, sink);
            finish(id, now, false, program::Failure::None, TcpEvent::Timeout);
            free_flow(id, now, false);
            return;
        }
    }
    c.poll(now, app, sink);
    bulk_after_call(id, now, app);
}

void Worker::bulk_after_call(uint32_t id, uint64_t now, BulkApp& app)
{
    tcp::Connection& c = conns_[id];
    FlowRecord& rec = recs_[id];

    // One more call into the flow with its stream as it stands now; its
    // events count as the first call's.
    const auto own_call = [&](bool close) {
        BulkApp own(*cfg_.bulk, bulk_end_[id]);
        FlowSink sink(*this, id, own);
        if (close)
            c.close(now, own, sink);
        else
            c.poll(now, own, sink);
        app.acked += own.acked;
        app.rx_bytes += own.rx_bytes;
        if (own.terminal) {
            app.terminal = true;
            app.last = own.last;
        }
    };

    if (app.established && !rec.established) {
        rec.established = true;
        st_.c.established++;
        st_.connect.add(now - rec.sched_ns(now));
        uint32_t slot = BulkHandover::kNoSlot;
        if (c.state() == TcpState::Established)
            slot = cfg_.bulk->adopt(now, ends_of(id), c.tcb(), c.rto());
        if (slot != BulkHandover::kNoSlot && cfg_.bulk->sends_streams()) {
            rec.bulk = true;
            bulk_slot_[id] = slot;
            log_.progress(id, now, true, app.rx_bytes, app.acked, app.peer_fin);
            log_.handed_over(id, now);
            wheel_.arm(id, now + kFirstCheckNs);
            return;
        }
        // The worker sends the stream itself: the data path sends none
        // (the slot only numbers the flow), or has no room for it.
        bulk_slot_[id] = slot;
        bulk_end_[id] = cfg_.bulk->stream_bytes();
        own_call(false);
    }
    // A stream the worker sends: the FIN follows its last byte once that
    // is sent (not before: a --duration run may still end it earlier).
    if (rec.established && !rec.bulk) {
        const TcpState s = c.state();
        if ((s == TcpState::Established || s == TcpState::CloseWait) && sent_end(c.tcb()) >= bulk_end_[id])
            own_call(true);
        if (app.acked && bulk_slot_[id] != BulkHandover::kNoSlot)
            cfg_.bulk->acked(bulk_slot_[id], app.acked, now);
    }
    log_.progress(id, now, app.established, app.rx_bytes, app.acked, app.peer_fin);
    st_.c.rx_bytes += app.rx_bytes;
    st_.c.tx_bytes += app.acked;
    app.rx_bytes = app.acked = 0;
    app.peer_fin = false;

    const TcpState s = c.state();
    if (s == TcpState::CloseWait || s == TcpState::LastAck)
        rec.peer_closed_first = true;
    if (!rec.done) {
        // Complete: the stream was acknowledged and the connection closed
        // (or our FIN was acknowledged and we wait in TIME-WAIT).
        if (app.terminal)
            finish(id, now, app.last == TcpEvent::Closed && !rec.peer_closed_first, program::Failure::None, app.last);
        else if (s == TcpState::TimeWait)
            finish(id, now, !rec.peer_closed_first, program::Failure::None, TcpEvent::Closed);
    }
    if (s == TcpState::Closed) {
        const bool quarantine = rec.peer_closed_first && app.terminal && app.last == TcpEvent::Closed;
        free_flow(id, now, quarantine);
        return;
    }
    uint64_t deadline = c.next_deadline(now);
    if (!rec.done)
        deadline = std::min(deadline, rec.started_ns(now) + (s == TcpState::SynSent ? cfg_.connect_timeout_ns : cfg_.timeout_ns));
    wheel_.arm(id, deadline);
}

}  // namespace xdpgen::engine
