// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// SEGMENT ARRIVES, written as the numbered steps of RFC 9293 §3.10.7, with
// the RFC 5961 acceptance rules for RST, SYN and ACK, option negotiation
// (RFC 7323, RFC 2018) and PAWS-lite (RFC 7323 §5). LISTEN is the caller's
// (Connection::accept), CLOSED is tcp_reset_for.

#include <algorithm>

#include "tcp/congestion.hpp"
#include "tcp/connection.hpp"

namespace xdpgen::tcp {

namespace {

const CongestionControl& cc_of(const TcpConfig& c) { return c.cc ? *c.cc : new_reno(); }

// SEG.WND in bytes: scaled except on SYNs (RFC 7323 §2.2).
uint32_t seg_window(const Segment& s, uint8_t shift)
{
    return s.has(kSyn) ? s.window : uint32_t(s.window) << shift;
}

}  // namespace

void Connection::enter_closed(TcpApp& app, TcpEvent ev)
{
    t_.state = TcpState::Closed;
    t_.timer = TimerKind::None;
    t_.timer_at.clear();
    t_.delack_at.clear();
    t_.ack_now = false;
    release_ooo();
    app.on_event(ev, 0);
}

void Connection::ack_unacceptable(uint64_t now, const Segment& seg)
{
    // RFC 5961 §7, as Linux's tcp_oow_rate_limited: an ACK answering a pure
    // ACK or a SYN that is not acceptable goes out at most once per ~0.5 s,
    // or two ends that disagree about the window trade ACKs as fast as they
    // can (seen: 33,000/s each way from one spoofed SYN). Data and FINs are
    // always answered.
    if (seg.payload_len == 0 && (!seg.has(kFin) || seg.has(kSyn))) {
        const uint8_t tick = static_cast<uint8_t>((now / kOowTick) & 0x7f);
        if ((t_.oow_ack & 0x80) && static_cast<uint8_t>((tick - t_.oow_ack) & 0x7f) < kOowTicks)
            return;
        t_.oow_ack = static_cast<uint8_t>(0x80 | tick);
    }
    t_.ack_now = true;
}

void Connection::negotiate(const TcpOptions& peer)
{
    const TcpConfig& c = t_.config();
    // RFC 9293 §3.7.1: without an MSS option assume the default (536 for
    // IPv4); never send more than our own MSS allows either.
    uint16_t peer_mss = peer.mss ? peer.mss : c.default_peer_mss;
    t_.snd.mss = std::max<uint16_t>(std::min(peer_mss, c.mss), 64);
    // RFC 7323 §2.2: scaling only if both SYNs carried the option.
    t_.ws_ok = c.wscale >= 0 && peer.wscale >= 0;
    t_.snd.wscale = t_.ws_ok ? static_cast<uint8_t>(peer.wscale) : 0;
    t_.rcv.wscale = t_.ws_ok ? static_cast<uint8_t>(std::min<int8_t>(c.wscale, 14)) : 0;
    // RFC 7323 §3.2 / RFC 2018 §2: likewise for timestamps and SACK.
    t_.ts_ok = c.timestamps && peer.has_ts;
    t_.sack_ok = c.sack && c.deliver_out_of_order && peer.sack_permitted;
}

void Connection::become_established(uint64_t now, TcpApp& app, SeqNum iss)
{
    const TcpConfig& c = t_.config();
    t_.state = TcpState::Established;
    cc_of(c).init(t_.cc, t_.snd.mss, c.initial_cwnd_segments, iss);
    uint64_t rtt = uint64_t(static_cast<uint32_t>(now / 1000) - t_.rtt_start_us) * 1000;
    // The SYN backoff ends here; RFC 6298 §5.7 sets the RTO data starts with.
    t_.backoff = 0;
    // RFC 9293 §3.10.4: a CLOSE in SYN-RECEIVED waits for ESTABLISHED.
    if (t_.fin_queued)
        t_.state = TcpState::FinWait1;
    app.on_event(TcpEvent::Established, rtt);
}

void Connection::on_segment(uint64_t now, const Segment& seg, std::span<const uint8_t> payload, TcpApp& app,
                            TcpSink& out)
{
    switch (t_.state) {
    case TcpState::Closed:
    case TcpState::Listen:
        return;  // RFC 9293 §3.10.7.1-2 belong to the caller
    case TcpState::SynSent:
        input_syn_sent(now, seg, app, out);
        break;
    default:
        input_synchronized(now, seg, payload.first(std::min<size_t>(payload.size(), seg.payload_len)), app, out);
        break;
    }
    if (t_.state != TcpState::Closed)
        output(now, app, out);
}

// RFC 9293 §3.10.7.3: SYN-SENT.
void Connection::input_syn_sent(uint64_t now, const Segment& seg, TcpApp& app, TcpSink& out)
{
    Tcb& t = t_;
    const SeqNum iss = t.snd.una;  // nothing is acknowledged in SYN-SENT
    // First, check the ACK bit: an ACK outside (ISS, SND.NXT] gets a RST
    // <SEQ=SEG.ACK> unless it is one itself.
    if (seg.has(kAck) && (seg.ack <= iss || seg.ack > t.snd.max)) {
        if (!seg.has(kRst))
            send(now, out, kRst, seg.ack, 0, false);
        return;
    }
    // Second, check the RST bit: with an acceptable ACK the peer refused
    // the connection; without an ACK it is dropped (RFC 5961 §3.2 keeps the
    // SYN-SENT rule: the ACK must acknowledge our SYN).
    if (seg.has(kRst)) {
        if (seg.has(kAck))
            enter_closed(app, TcpEvent::Refused);
        return;
    }
    // Third (security) does not apply. Fourth, check the SYN bit.
    if (!seg.has(kSyn))
        return;  // Fifth: neither SYN nor RST, drop
    t.rcv.nxt = seg.seq + 1;
    negotiate(seg.opt);
    if (t.ts_ok)
        t.rcv.ts_recent = seg.opt.ts_val;
    t.snd.wnd = seg_window(seg, 0);
    t.snd.wl1 = seg.seq;
    if (seg.has(kAck)) {
        t.snd.una = seg.ack;
        if (t.snd.nxt < t.snd.una)
            t.snd.nxt = t.snd.una;
    }
    t.ack_now = true;  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (or the SYN-ACK below)
    if (t.snd.una > iss) {
        // Our SYN is acknowledged: ESTABLISHED. RTT from timestamps or,
        // Karn permitting, from the SYN (RFC 6298 §3, RFC 7323 §4).
        sample_rtt(now, seg);
        t.rtt_timing = false;
        disarm();
        // Data or FIN on the SYN-ACK is not taken: rcv.nxt covers only the
        // SYN, so the peer sends them again.
        become_established(now, app, iss);
        return;
    }
    // Simultaneous open (RFC 9293 §3.5 figure 8): SYN-RECEIVED and send
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; the SYN timer keeps running.
    t.state = TcpState::SynReceived;
    t.snd.nxt = iss;
}

// RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states.
void Connection::input_synchronized(uint64_t now, const Segment& seg, std::span<const uint8_t> payload,
                                    TcpApp& app, TcpSink& out)
{
    Tcb& t = t_;
    const TcpConfig& c = t.config();

    // Our SYN-ACK was lost and the peer's SYN comes again: answer it with
    // the SYN-ACK at once (Linux tcp_check_req) rather than the bare ACK
    // the first step would send, which SYN-SENT would drop.
    if (t.state == TcpState::SynReceived && seg.has(kSyn) && !seg.has(kAck) && !seg.has(kRst) &&
        seg.seq == t.rcv.nxt - 1) {  // the IRS: RCV.NXT covers only the SYN here
        t.snd.nxt = t.snd.una;        // ISS: nothing is acknowledged yet
        // TS.Recent from it (RFC 7323 §4.3): echoing the first SYN's TSval
        // would give the peer an RTT sample of its SYN timeout, and an RTO
        // of seconds for the rest of the connection.
        if (t.ts_ok && seg.opt.has_ts && static_cast<int32_t>(seg.opt.ts_val - t.rcv.ts_recent) > 0)
            t.rcv.ts_recent = seg.opt.ts_val;
        return;
    }

    const uint32_t seg_len = seg.seg_len();
    // PAWS-lite (RFC 7323 §5.3): a timestamp older than TS.Recent marks a
    // segment from an earlier wrap of the sequence space: ACK and drop.
    // (The 24-day idle rule of §5.5 is not needed at load-test lifetimes.)
    if (t.ts_ok && seg.opt.has_ts && !seg.has(kRst) && static_cast<int32_t>(seg.opt.ts_val - t.rcv.ts_recent) < 0) {
        ack_unacceptable(now, seg);
        return;
    }

    // First, check the sequence number (the four-case acceptability test).
    const SeqNum wnd_end = t.rcv.nxt + t.rcv_wnd();
    bool acceptable;
    if (seg_len == 0)
        acceptable = t.rcv_wnd() == 0 ? seg.seq == t.rcv.nxt : seq_in(seg.seq, t.rcv.nxt, wnd_end);
    else
        acceptable = t.rcv_wnd() != 0 &&
                     (seq_in(seg.seq, t.rcv.nxt, wnd_end) || seq_in(seg.seq + seg_len - 1, t.rcv.nxt, wnd_end));
    if (!acceptable) {
        // "If an incoming segment is not acceptable, an acknowledgment
        // should be sent in reply (unless the RST bit is set)". In
        // TIME-WAIT this is how a retransmitted FIN arrives (its sequence
        // number is behind rcv.nxt): ACK it and restart the 2 MSL wait.
        if (!seg.has(kRst)) {
            ack_unacceptable(now, seg);
            if (t.state == TcpState::TimeWait && seg.has(kFin))
                enter_time_wait(now);
        }
        return;
    }
    // TS.Recent (RFC 7323 §4.3): from a segment that covers the left edge
    // of the window (rcv.nxt stands in for Last.ACK.sent).
    if (t.ts_ok && seg.opt.has_ts && seg.seq <= t.rcv.nxt)
        t.rcv.ts_recent = seg.opt.ts_val;

    // Second, check the RST bit (RFC 5961 §3.2): only a RST at exactly
    // rcv.nxt resets; any other in-window RST gets a challenge ACK.
    if (seg.has(kRst)) {
        if (seg.seq != t.rcv.nxt) {
            ack_unacceptable(now, seg);
            return;
        }
        switch (t.state) {
        case TcpState::SynReceived:
            // Passive: back to LISTEN, i.e. this flow is gone. Active
            // (simultaneous open): "connection refused".
            enter_closed(app, t.passive ? TcpEvent::Reset : TcpEvent::Refused);
            break;
        case TcpState::TimeWait:
            enter_closed(app, TcpEvent::Closed);  // everything was exchanged already
            break;
        case TcpState::Closing:
        case TcpState::LastAck:
            // RFC 9293 §3.10.7.4 signals no reset here: both FINs were
            // sent. With only our FIN unacknowledged, the peer has every
            // byte and has closed; it may have left TIME-WAIT before our
            // FIN's retransmission arrived (its ACK lost). Data of ours
            // still unacknowledged is lost, though: that is a reset.
            enter_closed(app, t.fin_known && t.snd.una == t.snd.fin ? TcpEvent::Closed : TcpEvent::Reset);
            break;
        default:
            // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: "connection reset".
            enter_closed(app, TcpEvent::Reset);
            break;
        }
        return;
    }

    // Third (security) does not apply. Fourth, check the SYN bit: RFC 5961
    // §4.2 answers any SYN in a synchronized state with a challenge ACK.
    if (seg.has(kSyn)) {
        ack_unacceptable(now, seg);
        return;
    }

    // Fifth, check the ACK field.
    if (!seg.has(kAck))
        return;
    // Only this ACK, the one that ends SYN-RECEIVED, covers our SYN: the
    // state says so, not a sequence number (una sits on iss again every 2^32).
    const bool acks_syn = t.state == TcpState::SynReceived;
    if (acks_syn) {
        if (!(t.snd.una < seg.ack && seg.ack <= t.snd.max)) {
            send(now, out, kRst, seg.ack, 0, false);  // <SEQ=SEG.ACK><CTL=RST>
            return;
        }
        // ESTABLISHED, with SND.WND and WL1 from this segment.
        t.snd.wnd = seg_window(seg, t.snd.wscale);
        t.snd.wl1 = seg.seq;
        become_established(now, app, t.snd.una);  // SND.UNA is still the ISS
    }
    // RFC 5961 §5.2: acceptable only within [SND.UNA - MAX.SND.WND, SND.MAX];
    // the largest window the peer can offer stands in for MAX.SND.WND.
    if (seg.ack > t.snd.max || seg.ack < t.snd.una - (uint32_t{65535} << t.snd.wscale)) {
        // Acknowledges something not yet sent, or far too old: ACK and drop.
        ack_unacceptable(now, seg);
        return;
    }
    const uint32_t new_wnd = seg_window(seg, t.snd.wscale);
    if (t.snd.una < seg.ack) {
        process_new_ack(now, seg, acks_syn, app, out);
        if (t.state == TcpState::Closed)
            return;
    } else if (seg.ack == t.snd.una && seg.payload_len == 0 && !seg.has(kFin) && new_wnd == t.snd.wnd &&
               t.snd.max != t.snd.una && t.timer != TimerKind::Persist) {
        // A duplicate ACK by RFC 5681 §2's definition (a)-(e).
        AckSample a;
        a.ack = seg.ack;
        a.snd_max = t.snd.max;
        a.flight = seq_len(t.snd.una, t.snd.max);
        a.mss = t.snd.mss;
        if (cc_of(c).on_dupack(t.cc, a) == CcAction::RetransmitFirst)
            retransmit_first(now, out);
    }
    // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated"
    // when the segment is newer than the last update: WL1 < SEG.SEQ, or
    // WL1 = SEG.SEQ and WL2 =< SEG.ACK, which SND.UNA =< SEG.ACK implies
    // (WL2 is the SND.UNA of the last update, and SND.UNA never goes back).
    if (t.snd.una <= seg.ack && (t.snd.wl1 < seg.seq || t.snd.wl1 == seg.seq)) {
        bool opened = t.snd.wnd == 0 && new_wnd > 0;
        t.snd.wnd = new_wnd;
        t.snd.wl1 = seg.seq;
        if (opened && t.timer == TimerKind::Persist) {
            // The window opened: leave persist (BSD resets the backoff).
            disarm();
            t.backoff = 0;
        }
    }
    const bool fin_acked = t.fin_known && t.snd.fin < t.snd.max && t.snd.una > t.snd.fin;
    switch (t.state) {
    case TcpState::FinWait1:
        // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2"
        if (fin_acked) {
            t.state = TcpState::FinWait2;
            arm(TimerKind::FinWait2, now, c.fin_wait2_timeout);
        }
        break;
    case TcpState::Closing:
        if (fin_acked)
            enter_time_wait(now);
        break;
    case TcpState::LastAck:
        if (fin_acked) {
            enter_closed(app, TcpEvent::Closed);
            return;
        }
        break;
    default:
        break;
    }

    // Sixth, the URG bit: not used by the engine, ignored.
    // Seventh, process the segment text (ESTABLISHED, FIN-WAIT-1/2 only).
    if (seg.payload_len &&
        (t.state == TcpState::Established || t.state == TcpState::FinWait1 || t.state == TcpState::FinWait2))
        receive_text(now, seg, payload, app);

    // Eighth, check the FIN bit, taken only in order (a FIN beyond a hole
    // is dropped and comes again) and once: after the peer's FIN, rcv.nxt
    // is past its stream, and a "FIN" there is not one it can have sent.
    if (seg.has(kFin) && seg.seq + seg.payload_len == t.rcv.nxt && !have_rcvd_fin(t.state)) {
        t.rcv.nxt += 1;
        t.ack_now = true;
        app.on_event(TcpEvent::PeerFin, t.rcv_nxt_off);
        switch (t.state) {
        case TcpState::SynReceived:
            t.state = TcpState::CloseWait;
            break;
        case TcpState::Established:
            t.state = TcpState::CloseWait;
            if (app.close_on_peer_fin())
                queue_close(app);  // LAST-ACK; the output below sends FIN with the ACK
            break;
        case TcpState::FinWait1:
            // Our FIN acknowledged (by this very segment, perhaps): TIME-WAIT;
            // otherwise a simultaneous close: CLOSING.
            if (t.fin_known && t.snd.una > t.snd.fin)
                enter_time_wait(now);
            else
                t.state = TcpState::Closing;
            break;
        case TcpState::FinWait2:
            enter_time_wait(now);
            break;
        case TcpState::TimeWait:
            enter_time_wait(now);  // restart the 2 MSL wait
            break;
        default:
            break;  // CLOSE-WAIT, CLOSING, LAST-ACK: remain
        }
    }
}

void Connection::process_new_ack(uint64_t now, const Segment& seg, bool acks_syn, TcpApp& app, TcpSink& out)
{
    Tcb& t = t_;
    const TcpConfig& c = t.config();
    // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK."
    uint32_t acked = seq_len(t.snd.una, seg.ack);
    uint32_t flight = seq_len(t.snd.una, t.snd.max);
    uint32_t data = acked;
    if (acks_syn)
        --data;  // the SYN's sequence number is not data
    if (t.fin_known && t.snd.una <= t.snd.fin && seg.ack > t.snd.fin)
        --data;  // nor is the FIN's
    t.snd.una = seg.ack;
    t.snd_una_off += data;
    if (t.snd.nxt < t.snd.una)
        t.snd.nxt = t.snd.una;  // after a go-back-N rewind or a taken probe

    sample_rtt(now, seg);

    CcAction act = CcAction::None;
    if (data) {
        AckSample a;
        a.ack = seg.ack;
        a.snd_max = t.snd.max;
        a.acked = data;
        a.flight = flight;
        a.mss = t.snd.mss;
        act = cc_of(c).on_ack(t.cc, a);
    }
    // RFC 6298 §5.2-5.3: stop the timer when everything is acknowledged,
    // restart it otherwise (so NewReno here is RFC 6582's "Slow-but-Steady").
    if (t.timer == TimerKind::Retransmit) {
        if (t.snd.una == t.snd.max)
            disarm();
        else
            arm_retransmit(now);
    }
    if (data)
        app.on_event(TcpEvent::DataAcked, data);
    if (act == CcAction::RetransmitFirst)
        retransmit_first(now, out);
}

void Connection::deliver_uncovered(SeqNum from, std::span<const uint8_t> data, TcpApp& app)
{
    // Hands [from, from + size) to the app, minus what out-of-order ranges
    // say was delivered already: every byte reaches the app once.
    const SeqNum end = from + static_cast<uint32_t>(data.size());
    static const OooRanges kNone{};
    const OooRanges& ooo = t_.ooo_ref ? ooo_store().get(t_.ooo_ref) : kNone;
    SeqNum cur = from;
    while (cur < end) {
        SeqNum stop = end;
        bool covered = false;
        for (uint8_t i = 0; i < ooo.count; ++i) {
            const SackBlock& r = ooo.r[i];
            if (seq_in(cur, r.left, r.right)) {
                cur = seq_min(r.right, end);
                covered = true;
                break;
            }
            if (cur < r.left && r.left < stop)
                stop = r.left;
        }
        if (covered)
            continue;
        uint64_t off = t_.rcv_nxt_off + seq_len(t_.rcv.nxt, cur);
        app.rx_data(off, data.subspan(seq_len(from, cur), seq_len(cur, stop)));
        cur = stop;
    }
}

bool Connection::record_ooo(SeqNum left, SeqNum right, bool dry_run)
{
    // Merges [left, right) with the ranges it touches and puts the result
    // first (RFC 2018 §4: the most recent block first). Fails when it
    // touches none and all slots are taken.
    if (!t_.ooo_ref) {
        if (!dry_run)
            t_.ooo_ref = ooo_store().alloc();
        if (dry_run)
            return true;
    }
    OooRanges& ooo = ooo_store().get(t_.ooo_ref);
    bool touches = false;
    for (uint8_t i = 0; i < ooo.count; ++i)
        if (ooo.r[i].left <= right && left <= ooo.r[i].right)
            touches = true;
    if (!touches && ooo.count == kOooRanges)
        return false;
    if (dry_run)
        return true;
    SackBlock m{left, right};
    uint8_t n = 0;
    std::array<SackBlock, kOooRanges> keep{};
    for (uint8_t i = 0; i < ooo.count; ++i) {
        const SackBlock& r = ooo.r[i];
        if (r.left <= m.right && m.left <= r.right) {
            m.left = seq_min(m.left, r.left);
            m.right = seq_max(m.right, r.right);
        } else {
            keep[n++] = r;
        }
    }
    ooo.r[0] = m;
    for (uint8_t i = 0; i < n; ++i)
        ooo.r[i + 1] = keep[i];
    ooo.count = static_cast<uint8_t>(n + 1);
    return true;
}

void Connection::receive_text(uint64_t now, const Segment& seg, std::span<const uint8_t> payload, TcpApp& app)
{
    Tcb& t = t_;
    const TcpConfig& c = t.config();
    SeqNum seq = seg.seq;
    std::span<const uint8_t> data = payload;
    // Trim what is before rcv.nxt (already received) and beyond the window
    // (RFC 9293 §3.10.7.4 first step: "trimmed ... to the window").
    if (seq < t.rcv.nxt) {
        uint32_t skip = seq_len(seq, t.rcv.nxt);
        if (skip >= data.size()) {
            t.ack_now = true;
            return;
        }
        data = data.subspan(skip);
        seq = t.rcv.nxt;
    }
    const SeqNum wnd_end = t.rcv.nxt + t.rcv_wnd();
    if (seq >= wnd_end)
        return;
    data = data.first(std::min<size_t>(data.size(), seq_len(seq, wnd_end)));
    if (data.empty())
        return;
    const SeqNum end = seq + static_cast<uint32_t>(data.size());

    if (seq != t.rcv.nxt) {
        // Out of order: RFC 5681 §4.2 wants an immediate (duplicate) ACK;
        // it carries the SACK block for this data (RFC 2018 §4).
        t.ack_now = true;
        if (!c.deliver_out_of_order || !record_ooo(seq, end, true))
            return;  // dropped: the peer sends it again
        deliver_uncovered(seq, data, app);
        record_ooo(seq, end, false);
        return;
    }

    // In order: deliver, advance, then let rcv.nxt jump over the ranges the
    // new data reaches.
    deliver_uncovered(seq, data, app);
    uint32_t adv = seq_len(t.rcv.nxt, end);
    bool filled = false;
    if (t.ooo_ref) {
        OooRanges& ooo = ooo_store().get(t.ooo_ref);
        for (bool again = true; again;) {
            again = false;
            for (uint8_t i = 0; i < ooo.count; ++i) {
                SackBlock r = ooo.r[i];
                if (r.left <= t.rcv.nxt + adv) {
                    if (t.rcv.nxt + adv < r.right)
                        adv = seq_len(t.rcv.nxt, r.right);
                    for (uint8_t j = i; j + 1 < ooo.count; ++j)
                        ooo.r[j] = ooo.r[j + 1];
                    --ooo.count;
                    filled = again = true;
                    break;
                }
            }
        }
        if (ooo.count == 0)
            release_ooo();  // every hole filled
    }
    t.rcv.nxt += adv;
    t.rcv_nxt_off += adv;
    if (filled) {
        // RFC 5681 §4.2: a segment that fills a gap is ACKed at once.
        t.ack_now = true;
        return;
    }
    // Delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 4.2.3.2): ACK at least every
    // second segment, otherwise within cfg.delack.
    if (++t.rcv.segs_unacked >= 2)
        t.ack_now = true;
    else if (!t.delack_at.armed())
        t.delack_at = util::UsDeadline::at(now + std::min(c.delack, util::UsDeadline::kMaxAheadNs));
}

}  // namespace xdpgen::tcp
