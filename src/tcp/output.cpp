// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// What to send now (the FreeBSD tcp_output / lwIP tcp_output split): the
// flags come from a state table, data is cut to the MSS and to the smaller
// of the peer's window and cwnd, payload bytes are described by their
// stream offset (lazy TX: the engine fills them in place).

#include <algorithm>

#include "tcp/connection.hpp"

namespace xdpgen::tcp {

namespace {

// Flags a segment sent in each state carries (FreeBSD tcp_fsm.h
// tcp_outflags). SYN is kept only on the segment at ISS and FIN only on the
// one that ends at snd.fin.
constexpr uint8_t kOutFlags[] = {
    /* Closed      */ kRst | kAck,
    /* Listen      */ 0,
    /* SynSent     */ kSyn,
    /* SynReceived */ kSyn | kAck,
    /* Established */ kAck,
    /* CloseWait   */ kAck,
    /* FinWait1    */ kFin | kAck,
    /* Closing     */ kFin | kAck,
    /* LastAck     */ kFin | kAck,
    /* FinWait2    */ kAck,
    /* TimeWait    */ kAck,
};
static_assert(sizeof(kOutFlags) == size_t(TcpState::TimeWait) + 1);

uint8_t out_flags(TcpState s) { return kOutFlags[static_cast<size_t>(s)]; }

// States in which the app may still add data to the stream.
bool app_may_send(TcpState s) { return s == TcpState::Established || s == TcpState::CloseWait; }

constexpr uint32_t kMaxAvail = 1u << 30;  // keep sequence arithmetic far from 2^31

}  // namespace

uint64_t Connection::snd_off(SeqNum s) const
{
    // Data starts after the SYN: at ISS+1 while no data byte has been
    // acknowledged (whether or not the SYN has), at snd.una after that.
    SeqNum start = t_.snd_una_off == 0 ? t_.data_start() : t_.snd.una;
    return t_.snd_una_off + seq_len(start, s);
}

uint64_t Connection::app_available(TcpApp& app, SeqNum from) const
{
    // What the app offers from `from`, within the longest stream (Offset48).
    const uint64_t off = snd_off(from);
    return off >= Offset48::kMax ? 0 : std::min(app.tx_available(off), Offset48::kMax - off);
}

void Connection::fix_fin(TcpApp& app, SeqNum from)
{
    // After close() the app's bytes end the stream; once that end is within
    // kMaxAvail of `from` its sequence number is unambiguous.
    uint64_t avail = app_available(app, from);
    if (avail <= kMaxAvail) {
        t_.snd.fin = from + static_cast<uint32_t>(avail);
        t_.fin_known = true;
    }
}

uint32_t Connection::data_available(TcpApp& app, SeqNum from)
{
    // Bytes that may be sent from `from`: up to the FIN once its place is
    // known, otherwise what the app offers (after close() too: the stream
    // is longer than sequence numbers can span, and its end is the app's).
    if (t_.fin_queued && !t_.fin_known)
        fix_fin(app, from);
    if (t_.fin_known)
        return from < t_.snd.fin ? seq_len(from, t_.snd.fin) : 0;
    if (!t_.fin_queued && !app_may_send(t_.state))
        return 0;
    return static_cast<uint32_t>(std::min<uint64_t>(app_available(app, from), kMaxAvail));
}

uint32_t Connection::payload_limit() const
{
    // RFC 6691 / RFC 9293 §3.7.1: the MSS counts data only, so options
    // beyond the fixed header come out of it.
    uint32_t opt = 0;
    if (t_.ts_ok)
        opt += 12;
    if (t_.sack_ok && ooo_count())
        opt += 4 + 8 * std::min<uint32_t>(ooo_count(), t_.ts_ok ? 3 : 4);
    return t_.snd.mss > opt ? t_.snd.mss - opt : 1;
}

bool Connection::path_mss_reduced(uint64_t now, uint16_t mss, SeqNum quoted_seq, TcpApp& app, TcpSink& out)
{
    if (!is_synchronized(t_.state) || t_.state == TcpState::TimeWait || mss >= t_.snd.mss || mss == 0)
        return false;
    if (!(t_.snd.una <= quoted_seq && quoted_seq < t_.snd.max))
        return false;
    t_.snd.mss = mss;
    // Go back to una as after an RTO (timers.cpp), without its backoff or
    // cwnd cut: every segment sent at the old size may have been dropped.
    t_.snd.nxt = t_.snd.una;
    t_.rtt_timing = false;  // Karn: what is resent gives no sample
    output(now, app, out);
    return true;
}

bool Connection::send(uint64_t now, TcpSink& out, uint8_t flags, SeqNum seq, uint32_t len, bool retransmit)
{
    const TcpConfig& c = t_.config();
    OutSegment o;
    Segment& s = o.seg;
    s.seq = seq;
    s.flags = flags;
    s.payload_len = len;
    if (flags & kAck)
        s.ack = t_.rcv.nxt;
    if (flags & kSyn) {
        // RFC 7323 §2.2: the window in a SYN is not scaled.
        s.window = static_cast<uint16_t>(std::min<uint32_t>(t_.rcv_wnd(), 65535));
        s.opt.mss = c.mss;
        if (t_.state == TcpState::SynSent) {
            // Offer what the configuration allows; TSecr is 0 (RFC 7323 §3.2).
            s.opt.wscale = c.wscale;
            s.opt.sack_permitted = c.sack && c.deliver_out_of_order;
            s.opt.has_ts = c.timestamps;
        } else {
            // SYN-ACK: only options the peer offered (RFC 7323 §2.2, §3.2; RFC 2018 §2).
            s.opt.wscale = t_.ws_ok ? static_cast<int8_t>(t_.rcv.wscale) : -1;
            s.opt.sack_permitted = t_.sack_ok;
            s.opt.has_ts = t_.ts_ok;
            s.opt.ts_ecr = t_.rcv.ts_recent;
        }
        if (s.opt.has_ts)
            s.opt.ts_val = ts_clock(now);
    } else if (!(flags & kRst)) {
        s.window = static_cast<uint16_t>(std::min<uint32_t>(t_.rcv_wnd() >> t_.rcv.wscale, 65535));
        if (t_.ts_ok) {
            s.opt.has_ts = true;
            s.opt.ts_val = ts_clock(now);
            s.opt.ts_ecr = t_.rcv.ts_recent;
        }
        if (t_.sack_ok && ooo_count() && (flags & kAck)) {
            // RFC 2018 §4: the first block is the most recent; 3 fit next to timestamps.
            const OooRanges& ooo = ooo_store().get(t_.ooo_ref);
            uint8_t n = std::min<uint8_t>(ooo.count, t_.ts_ok ? 3 : 4);
            s.opt.sack_count = n;
            for (uint8_t i = 0; i < n; ++i)
                s.opt.sack[i] = ooo.r[i];
        }
    }
    o.payload_offset = len ? snd_off(seq) : 0;
    o.retransmit = retransmit;
    if (!out.emit(o)) {
        // No frame free: come back right away (the delayed-ACK deadline
        // doubles as "output pending"); state is as if nothing was tried.
        if (!t_.delack_at.armed() || t_.delack_at.ns(now) > now + 1)
            t_.delack_at = util::UsDeadline::at(now + 1);
        return false;
    }
    if (flags & kAck) {
        // Any segment carrying our ACK satisfies the delayed-ACK rules.
        t_.ack_now = false;
        t_.delack_at.clear();
        t_.rcv.segs_unacked = 0;
    }
    return true;
}

void Connection::retransmit_first(uint64_t now, TcpSink& out)
{
    // Fast retransmit / NewReno partial ACK (RFC 5681 §3.2, RFC 6582 §3.2):
    // the segment at snd.una again, whatever cwnd says; snd.nxt stays.
    SeqNum una = t_.snd.una;
    uint32_t outstanding = seq_len(una, t_.snd.max);
    if (outstanding == 0)
        return;
    bool fin_sent = t_.fin_known && t_.snd.fin < t_.snd.max;
    uint32_t data_left = fin_sent ? seq_len(una, t_.snd.fin) : outstanding;
    uint32_t len = std::min(data_left, payload_limit());
    uint8_t flags = kAck;
    if (fin_sent && una + len == t_.snd.fin)
        flags |= kFin;
    t_.rtt_timing = false;  // Karn (RFC 6298 §3)
    send(now, out, flags, una, len, true);
}

bool Connection::send_probe(uint64_t now, TcpApp& app, TcpSink& out)
{
    // RFC 9293 §3.8.6.1: with a zero window, regularly send one octet of
    // new data. snd.nxt does not move (the peer is expected to refuse it);
    // snd.max does, so an ACK that takes the byte is acceptable.
    SeqNum at = t_.snd.una;
    if (data_available(app, at) == 0)
        return false;
    bool rexmt = at < t_.snd.max;
    if (!send(now, out, kAck, at, 1, rexmt))
        return false;
    t_.snd.max = seq_max(t_.snd.max, at + 1);
    return true;
}

void Connection::output(uint64_t now, TcpApp& app, TcpSink& out)
{
    TcpState st = t_.state;
    if (st == TcpState::Closed || st == TcpState::Listen)
        return;

    if (st == TcpState::SynSent || st == TcpState::SynReceived) {
        const SeqNum iss = t_.snd.una;  // nothing is acknowledged before ESTABLISHED
        if (t_.snd.nxt == iss) {
            bool first = t_.snd.max == iss;
            if (!send(now, out, out_flags(st), iss, 0, !first))
                return;
            if (first) {
                // Times the handshake (Established event) and, unless the
                // SYN is retransmitted, gives the first RTT sample.
                t_.rtt_start_us = static_cast<uint32_t>(now / 1000);
                t_.rtt_seq = iss;
                t_.rtt_timing = true;
            }
            t_.snd.nxt = iss + 1;
            t_.snd.max = seq_max(t_.snd.max, t_.snd.nxt);
            if (t_.timer != TimerKind::Retransmit)
                arm_retransmit(now);
        } else if (t_.ack_now && st == TcpState::SynReceived) {
            send(now, out, kAck, t_.snd.nxt, 0, false);
        }
        return;
    }

    // Synchronized: send data (new or regenerated) while windows allow.
    uint32_t avail = 0;
    for (;;) {
        SeqNum nxt = t_.snd.nxt;
        avail = data_available(app, nxt);
        uint32_t flight = seq_len(t_.snd.una, nxt);
        uint32_t cwnd = t_.cc.cwnd;
        // Limited transmit (RFC 3042): the first and second duplicate ACKs
        // each let one new segment out beyond cwnd, so that a small window
        // still produces the three duplicates fast retransmit needs.
        if (!t_.cc.in_recovery && t_.cc.dupacks > 0 && t_.cc.dupacks < 3 && nxt == t_.snd.max)
            cwnd += uint32_t(t_.cc.dupacks) * t_.snd.mss;
        uint32_t wnd = std::min(t_.snd.wnd, cwnd);
        uint32_t usable = wnd > flight ? wnd - flight : 0;
        uint32_t mss = payload_limit();
        uint32_t len = std::min({avail, usable, mss});
        // No Nagle (RFC 9293 §3.7.4 lets an application turn it off): a
        // generator sends what its app has at once. Sender-side silly
        // window avoidance (RFC 9293 §3.8.6.2.1) still holds: a short
        // segment that is short only because of the window waits for ACKs
        // to open it, unless nothing is in flight to bring those ACKs.
        if (len < mss && len < avail && flight > 0)
            len = 0;
        uint8_t flags = out_flags(t_.state);
        // FIN only on the segment that ends the stream, and not beyond the
        // ones already sent (RFC 9293 §3.10.4: after all queued data).
        bool fin = (flags & kFin) && t_.fin_known && nxt + len == t_.snd.fin;
        if (!fin)
            flags &= static_cast<uint8_t>(~kFin);
        if (len == 0 && !fin)
            break;
        if (len && len == avail)
            flags |= kPsh;  // the last byte the app has now
        bool rexmt = nxt < t_.snd.max;
        if (!send(now, out, flags, nxt, len, rexmt))
            return;
        if (!rexmt && !t_.rtt_timing && !t_.ts_ok) {
            // Karn timing: one segment of new data at a time.
            t_.rtt_seq = nxt;
            t_.rtt_start_us = static_cast<uint32_t>(now / 1000);
            t_.rtt_timing = true;
        }
        t_.snd.nxt = nxt + len + (fin ? 1 : 0);
        t_.snd.max = seq_max(t_.snd.max, t_.snd.nxt);
        // RFC 6298 §5.1: start the timer if it is not running.
        if (t_.timer != TimerKind::Retransmit)
            arm_retransmit(now);
    }

    // Zero window with data waiting and nothing in flight: only the
    // persist timer can find out when the window opens (RFC 9293 §3.8.6.1).
    if (t_.snd.wnd == 0 && avail > 0 && t_.snd.nxt == t_.snd.una && t_.timer == TimerKind::None)
        arm_persist(now);

    // A bare ACK carries snd.max, not a rewound snd.nxt (FreeBSD
    // tcp_output): the peer may already hold bytes up to snd.max, and a
    // zero-length segment behind its rcv.nxt fails the acceptability test
    // (RFC 9293 §3.10.7.4), so two rewound peers would only trade ACKs.
    if (t_.ack_now)
        send(now, out, kAck, t_.snd.max, 0, false);
}

}  // namespace xdpgen::tcp
