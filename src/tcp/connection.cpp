// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// User calls (RFC 9293 §3.10.1-5): open, close, abort; and the stateless
// answer to segments without a connection.

#include "tcp/connection.hpp"

#include <algorithm>

namespace xdpgen::tcp {

const char* state_name(TcpState s)
{
    switch (s) {
    case TcpState::Closed: return "CLOSED";
    case TcpState::Listen: return "LISTEN";
    case TcpState::SynSent: return "SYN-SENT";
    case TcpState::SynReceived: return "SYN-RECEIVED";
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::CloseWait: return "CLOSE-WAIT";
    case TcpState::FinWait1: return "FIN-WAIT-1";
    case TcpState::Closing: return "CLOSING";
    case TcpState::LastAck: return "LAST-ACK";
    case TcpState::FinWait2: return "FIN-WAIT-2";
    case TcpState::TimeWait: return "TIME-WAIT";
    }
    return "?";
}

const char* event_name(TcpEvent e)
{
    switch (e) {
    case TcpEvent::Established: return "established";
    case TcpEvent::DataAcked: return "data-acked";
    case TcpEvent::PeerFin: return "peer-fin";
    case TcpEvent::Closed: return "closed";
    case TcpEvent::Reset: return "reset";
    case TcpEvent::Refused: return "refused";
    case TcpEvent::Timeout: return "timeout";
    }
    return "?";
}

bool tcp_reset_for(const Segment& in, Segment& out)
{
    // RFC 9293 §3.10.7.1: "An incoming segment containing a RST is
    // discarded"; otherwise <SEQ=SEG.ACK><CTL=RST> if it had an ACK, else
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    if (in.has(kRst))
        return false;
    out = Segment{};
    out.src_port = in.dst_port;
    out.dst_port = in.src_port;
    if (in.has(kAck)) {
        out.seq = in.ack;
        out.flags = kRst;
    } else {
        out.seq = SeqNum(0);
        out.ack = in.seq + in.seg_len();
        out.flags = kRst | kAck;
    }
    return true;
}

namespace {

// Fresh TCB for an open: sequence variables from the ISS, congestion state
// and RTO at their initial values (RFC 6298 §2.1), window unscaled until
// negotiated (RFC 7323 §2.2: a SYN's window is never scaled).
Tcb fresh_tcb(const TcpConfig& cfg, SeqNum iss)
{
    Tcb t;
    t.rcv.cfg_id = config_id(cfg);
    t.snd.una = t.snd.nxt = t.snd.max = iss;
    t.snd.fin = iss;
    t.snd.mss = std::min(cfg.mss, cfg.default_peer_mss);
    return t;
}

// Before ESTABLISHED no data moves and no event is raised, so opens need no app.
struct NoApp final : TcpApp {
    uint64_t tx_available(uint64_t) override { return 0; }
    void tx_fill(uint64_t, std::span<uint8_t>) override {}
    void rx_data(uint64_t, std::span<const uint8_t>) override {}
    void on_event(TcpEvent, uint64_t) override {}
};

}  // namespace

void Connection::connect(const TcpConfig& cfg, uint64_t now, SeqNum iss, TcpSink& out)
{
    t_ = fresh_tcb(cfg, iss);
    t_.state = TcpState::SynSent;
    // RFC 9293 §3.10.1: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is
    // sent"; the app is not needed before data can flow.
    NoApp none;
    output(now, none, out);
}

bool Connection::accept(const TcpConfig& cfg, const Segment& syn, uint64_t now, SeqNum iss, TcpSink& out)
{
    // RFC 9293 §3.10.7.2: in LISTEN, RST is ignored, an ACK is answered by a
    // RST (the caller's job), a SYN creates the connection.
    if (!syn.has(kSyn) || syn.has(kAck) || syn.has(kRst))
        return false;
    t_ = fresh_tcb(cfg, iss);
    t_.passive = true;
    t_.rcv.nxt = syn.seq + 1;
    negotiate(syn.opt);
    if (t_.ts_ok)
        t_.rcv.ts_recent = syn.opt.ts_val;
    t_.snd.wnd = syn.window;  // unscaled: it is a SYN
    t_.snd.wl1 = syn.seq;
    t_.state = TcpState::SynReceived;
    // Data or FIN on the SYN is not taken (the peer sends it again once
    // established), so the SYN-ACK acknowledges the SYN only.
    NoApp none;
    output(now, none, out);
    return true;
}

void Connection::close(uint64_t now, TcpApp& app, TcpSink& out)
{
    switch (t_.state) {
    case TcpState::Closed:
    case TcpState::Listen:
    case TcpState::SynSent:
        // RFC 9293 §3.10.4: SYN-SENT "delete the TCB".
        t_.state = TcpState::Closed;
        t_.timer = TimerKind::None;
        t_.delack_at.clear();
        return;
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::CloseWait:
        if (queue_close(app))
            output(now, app, out);
        return;
    default:
        return;  // already closing: "error: connection closing"
    }
}

void Connection::abort(uint64_t now, TcpSink& out)
{
    // RFC 9293 §3.10.5: a RST <SEQ=SND.NXT> from SYN-RECEIVED, ESTABLISHED,
    // FIN-WAIT-1/2 and CLOSE-WAIT; from the other states just delete.
    switch (t_.state) {
    case TcpState::SynReceived:
    case TcpState::Established:
    case TcpState::FinWait1:
    case TcpState::FinWait2:
    case TcpState::CloseWait:
        send(now, out, kRst, t_.snd.nxt, 0, false);
        break;
    default:
        break;
    }
    t_.state = TcpState::Closed;
    t_.timer = TimerKind::None;
    t_.delack_at.clear();
    release_ooo();
}

bool Connection::queue_close(TcpApp& app)
{
    if (t_.fin_queued)
        return false;
    // The stream ends after what the app offers now; the FIN takes the next
    // number, known now unless the end is still too far to name.
    t_.fin_queued = true;
    fix_fin(app, t_.snd.max);
    // RFC 9293 §3.10.4: ESTABLISHED -> FIN-WAIT-1 and CLOSE-WAIT ->
    // LAST-ACK at once, even while data is still queued before the FIN;
    // SYN-RECEIVED waits for ESTABLISHED (become_established).
    if (t_.state == TcpState::Established)
        t_.state = TcpState::FinWait1;
    else if (t_.state == TcpState::CloseWait)
        t_.state = TcpState::LastAck;
    return true;
}

bool Connection::time_wait_reopens(const Segment& syn) const
{
    if (t_.state != TcpState::TimeWait || !syn.has(kSyn) || syn.has(kAck) || syn.has(kRst))
        return false;
    const bool both_ts = t_.ts_ok && syn.opt.has_ts;
    const bool newer_ts = both_ts && static_cast<int32_t>(syn.opt.ts_val - t_.rcv.ts_recent) > 0;
    // PAWS (RFC 7323 §5.3): an older timestamp is an old duplicate, whatever its sequence number.
    if (both_ts && !newer_ts && syn.opt.ts_val != t_.rcv.ts_recent)
        return false;
    return newer_ts || syn.seq > t_.rcv.nxt;
}

void Connection::resume_send(uint64_t now, uint64_t una_off, uint64_t nxt_off, uint32_t wnd, uint32_t ts_recent)
{
    if ((t_.state != TcpState::Established && t_.state != TcpState::CloseWait) || t_.fin_queued || nxt_off < una_off)
        return;
    // Offsets count from ISS + 1 (the SYN takes ISS); sequence numbers wrap.
    const SeqNum start = t_.data_start();
    t_.snd.una = start + static_cast<uint32_t>(una_off);
    t_.snd.nxt = t_.snd.max = start + static_cast<uint32_t>(nxt_off);
    t_.snd_una_off = una_off;
    t_.snd.wnd = wnd;
    // The next segment of the peer may update the window (RFC 9293 §3.10.7.4).
    t_.snd.wl1 = t_.rcv.nxt;
    if (t_.ts_ok)
        t_.rcv.ts_recent = ts_recent;
    t_.rtt_timing = false;
    t_.backoff = 0;
    t_.cc.dupacks = 0;
    t_.cc.in_recovery = false;
    t_.cc.recover = t_.snd.una;
    if (t_.snd.una != t_.snd.max)
        arm_retransmit(now);
    else if (t_.timer == TimerKind::Retransmit)
        disarm();
}

void Connection::release_ooo()
{
    if (t_.ooo_ref) {
        ooo_store().free(t_.ooo_ref);
        t_.ooo_ref = 0;
    }
}

OooStore& ooo_store()
{
    thread_local OooStore store;
    return store;
}

}  // namespace xdpgen::tcp
