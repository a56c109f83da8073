// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Timers as deadlines in the TCB (no timer objects): retransmission (RFC
// 6298), SYN retries, persist (RFC 9293 §3.8.6.1), TIME-WAIT, FIN-WAIT-2 and
// the delayed ACK (RFC 9293 §3.8.6.3). The engine's wheel calls poll() at
// next_deadline().

#include <algorithm>

#include "tcp/congestion.hpp"
#include "tcp/connection.hpp"

namespace xdpgen::tcp {

namespace {
const CongestionControl& cc_of(const TcpConfig& c) { return c.cc ? *c.cc : new_reno(); }
}  // namespace

uint32_t Connection::ts_clock(uint64_t now) const
{
    // RFC 7323 §5.4: a 1 ms clock. One offset for every connection (not
    // one per connection, as RFC 7323 §5.4 suggests to hide uptime), like
    // Linux's per address pair: a load generator reuses 4-tuples within
    // seconds, and a peer still holding one in TIME-WAIT accepts the new
    // SYN only if its TSval is newer than the old connection's (RFC 6191).
    return static_cast<uint32_t>(now / kMs) + t_.config().ts_offset;
}

uint64_t Connection::rto_base() const
{
    const TcpConfig& c = t_.config();
    if (t_.srtt_us == 0) {
        // RFC 6298 §5.7: a SYN that had to be retransmitted and gave no
        // RTT sample leaves the RTO at 3 s once data transmission begins.
        if (is_synchronized(t_.state) && t_.syn_retransmitted)
            return std::max(c.rto_after_syn_loss, c.rto_initial);
        return c.rto_initial;  // RFC 6298 §2.1
    }
    // RFC 6298 §2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4; §2.4 lower
    // bound (configurable, Linux-like 200 ms by default); §2.5 upper bound.
    uint64_t srtt = uint64_t(t_.srtt_us) * 1000, var4 = uint64_t(t_.rttvar_us) * 4000;
    uint64_t r = srtt + std::max(c.clock_granularity, var4);
    return std::clamp(r, c.rto_min, c.rto_max);
}

uint64_t Connection::rto() const
{
    // RFC 6298 §5.5: back off by doubling, bounded by the maximum.
    uint64_t r = rto_base();
    for (uint8_t i = 0; i < t_.backoff && r < t_.config().rto_max; ++i)
        r *= 2;
    return std::min(r, t_.config().rto_max);
}

void Connection::sample_rtt(uint64_t now, const Segment& seg)
{
    // RFC 6298 §2-3, RFC 7323 §4.1: timestamps when both use them, otherwise
    // the timed segment if it was not retransmitted (Karn). An echoed TSval
    // we never sent (from the future, or older than the longest RTO) would
    // pin the RTO at a bound: it gives no sample.
    const int32_t ts_rtt_ms = static_cast<int32_t>(ts_clock(now) - seg.opt.ts_ecr);
    if (t_.ts_ok && seg.opt.has_ts && seg.opt.ts_ecr && ts_rtt_ms >= 0 &&
        uint64_t(ts_rtt_ms) * kMs <= t_.config().rto_max) {
        rtt_sample(static_cast<uint32_t>(ts_rtt_ms) * 1000);
    } else if (t_.rtt_timing && seg.ack > t_.rtt_seq) {
        rtt_sample(static_cast<uint32_t>(now / 1000) - t_.rtt_start_us);
        t_.rtt_timing = false;
    }
}

void Connection::rtt_sample(uint32_t r_us)
{
    r_us = std::max<uint32_t>(r_us, 1);  // 0 means "no sample yet" in srtt_us
    if (t_.srtt_us == 0) {
        // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
        t_.srtt_us = r_us;
        t_.rttvar_us = r_us / 2;
    } else {
        // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4, RTTVAR first.
        uint32_t delta = t_.srtt_us > r_us ? t_.srtt_us - r_us : r_us - t_.srtt_us;
        t_.rttvar_us = static_cast<uint32_t>((3ull * t_.rttvar_us + delta) / 4);
        t_.srtt_us = static_cast<uint32_t>((7ull * t_.srtt_us + r_us) / 8);
    }
    // A fresh sample ends the backoff (FreeBSD tcp_xmit_timer; Karn's rule
    // keeps the backed-off RTO until then, RFC 6298 §5.7 note).
    t_.backoff = 0;
}

void Connection::arm(TimerKind k, uint64_t now, uint64_t after)
{
    t_.timer = k;
    // The deadline holds 30 min ahead; a longer configured wait is cut there.
    t_.timer_at = k == TimerKind::None ? util::UsDeadline{}
                                       : util::UsDeadline::at(now + std::min(after, util::UsDeadline::kMaxAheadNs));
}

void Connection::disarm() { arm(TimerKind::None, 0, 0); }

void Connection::arm_retransmit(uint64_t now) { arm(TimerKind::Retransmit, now, rto()); }

void Connection::arm_persist(uint64_t now)
{
    // RFC 9293 §3.8.6.1 leaves the interval open; like BSD it follows the
    // RTO, doubling per unanswered probe, kept within [persist_min, persist_max].
    uint64_t r = rto_base();
    for (uint8_t i = 0; i < t_.backoff && r < t_.config().persist_max; ++i)
        r *= 2;
    arm(TimerKind::Persist, now, std::clamp(r, t_.config().persist_min, t_.config().persist_max));
}

void Connection::enter_time_wait(uint64_t now)
{
    // RFC 9293 §3.3.2: wait 2*MSL (configurable) before forgetting the
    // connection; nothing is outstanding, so the retransmission slot is free.
    t_.state = TcpState::TimeWait;
    arm(TimerKind::TimeWait, now, t_.config().time_wait);
}

uint64_t Connection::next_deadline(uint64_t now) const
{
    uint64_t d = t_.delack_at.ns(now);
    if (t_.timer != TimerKind::None)
        d = std::min(d, t_.timer_at.ns(now));
    return d;
}

void Connection::poll(uint64_t now, TcpApp& app, TcpSink& out)
{
    if (t_.state == TcpState::Closed)
        return;
    if (t_.delack_at.due(now)) {
        t_.delack_at.clear();
        t_.ack_now = true;  // RFC 9293 §3.8.6.3: the delayed ACK is due
    }
    if (t_.timer != TimerKind::None && t_.timer_at.due(now))
        on_timer(now, app, out);
    if (t_.state != TcpState::Closed)
        output(now, app, out);
}

void Connection::on_timer(uint64_t now, TcpApp& app, TcpSink& out)
{
    const TcpConfig& c = t_.config();
    TimerKind k = t_.timer;
    disarm();
    switch (k) {
    case TimerKind::None:
        return;
    case TimerKind::TimeWait:
        enter_closed(app, TcpEvent::Closed);
        return;
    case TimerKind::FinWait2:
        enter_closed(app, TcpEvent::Timeout);
        return;
    case TimerKind::Persist:
        // Probe, then wait twice as long for the window to open.
        if (t_.snd.wnd == 0 && send_probe(now, app, out)) {
            if (t_.backoff < 30)
                ++t_.backoff;
        }
        if (t_.snd.wnd == 0)
            arm_persist(now);
        return;
    case TimerKind::Retransmit:
        break;
    }

    if (t_.state == TcpState::SynSent || t_.state == TcpState::SynReceived) {
        // SYN (or SYN-ACK) lost: resend with the RTO doubled (RFC 6298
        // §5.5), give up after syn_retries (RFC 1122 4.2.3.5 R2 for SYNs).
        if (t_.backoff >= c.syn_retries) {
            enter_closed(app, TcpEvent::Timeout);
            return;
        }
        ++t_.backoff;
        t_.syn_retransmitted = true;
        t_.rtt_timing = false;  // Karn: no sample from a retransmitted SYN
        t_.snd.nxt = t_.snd.una;  // the ISS: nothing is acknowledged yet
        arm_retransmit(now);
        return;  // poll's output() sends the SYN again
    }

    if (t_.snd.una == t_.snd.max)
        return;  // nothing outstanding any more
    if (t_.snd.wnd == 0) {
        // The peer's window is closed: probing it is the persist timer's
        // job, and an unanswered probe is not a failed retransmission.
        t_.snd.nxt = t_.snd.una;
        t_.rtt_timing = false;
        if (send_probe(now, app, out) && t_.backoff < 30)
            ++t_.backoff;
        arm_persist(now);
        return;
    }
    if (t_.backoff >= c.data_retries) {
        enter_closed(app, TcpEvent::Timeout);
        return;
    }
    // RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment,
    // back off, restart the timer. RFC 5681 §3.1: ssthresh from the flight,
    // cwnd to one segment; going back to snd.una (go-back-N as BSD) then
    // resends the rest as the window opens again.
    AckSample a;
    a.ack = t_.snd.una;
    a.snd_max = t_.snd.max;
    a.flight = seq_len(t_.snd.una, t_.snd.max);
    a.mss = t_.snd.mss;
    cc_of(c).on_timeout(t_.cc, a);
    ++t_.backoff;
    t_.rtt_timing = false;  // Karn's rule (RFC 6298 §3)
    t_.snd.nxt = t_.snd.una;
    arm_retransmit(now);
}

}  // namespace xdpgen::tcp
