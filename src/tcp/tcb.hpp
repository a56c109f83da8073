// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The TCP control block (RFC 9293 §3.3.1): everything one connection keeps.
//
// Sized for millions of flows: no buffers (lazy TX regenerates bytes from the
// stream offset, RX delivers or counts on arrival), no timer objects (each
// timer is a deadline in the TCB that the engine's wheel polls through
// Connection::next_deadline), the configuration shared by a 16-bit id, and no
// ports: the engine's flow table already holds the 4-tuple and writes it into
// each frame. Times are nanoseconds on the caller's clock unless a name says
// otherwise.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "tcp/config_table.hpp"
#include "tcp/ooo_store.hpp"
#include "tcp/segment.hpp"
#include "tcp/seq.hpp"
#include "util/uint48.hpp"
#include "util/us_deadline.hpp"

namespace xdpgen::tcp {

class CongestionControl;

inline constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
inline constexpr uint64_t kMs = 1'000'000;   // ns
inline constexpr uint64_t kSec = 1'000'000'000;
// Out-of-window ACKs: at most one per kOowTicks ticks of kOowTick (~0.5 s, Linux's tcp_invalid_ratelimit).
inline constexpr uint64_t kOowTick = 128 * kMs;
inline constexpr uint8_t kOowTicks = 4;

// RFC 9293 §3.3.2 states, ordered as FreeBSD's tcp_fsm.h so that ranges mean
// something: >= Established is synchronized (RFC 9293 §3.5.2), >= FinWait1
// means we have sent (or queued) our FIN, see helpers below.
enum class TcpState : uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    CloseWait,
    FinWait1,
    Closing,
    LastAck,
    FinWait2,
    TimeWait,
};

const char* state_name(TcpState s);

inline bool is_synchronized(TcpState s) { return s >= TcpState::Established; }
inline bool have_closed_send(TcpState s) { return s >= TcpState::FinWait1; }
// The peer's FIN has been received (and acknowledged by rcv.nxt).
inline bool have_rcvd_fin(TcpState s)
{
    return s == TcpState::CloseWait || s == TcpState::Closing || s == TcpState::LastAck ||
           s == TcpState::TimeWait;
}

// Shared by every connection of a template; the TCB points at it.
struct TcpConfig {
    uint16_t mss = 1460;              // our MSS: advertised (RFC 9293 §3.7.1) and cap on what we send
    uint16_t default_peer_mss = 536;  // when the peer sends no MSS: 536 (IPv4), 1220 for IPv6 (RFC 9293 §3.7.1)
    uint32_t rcv_wnd = 256 * 1024;    // the receive window we advertise, in bytes; constant because
                                      // data is consumed on arrival
    int8_t wscale = 7;                // the shift we offer (RFC 7323 §2.2); -1 = don't offer
    bool sack = true;                 // offer SACK-permitted (RFC 2018)
    bool timestamps = true;           // offer timestamps (RFC 7323)
    // Deliver out-of-order data to the app at its stream offset (the app
    // counts or verifies by offset) and SACK it. When false, out-of-order
    // segments are dropped (dup-ACKed) and SACK is not offered: apps that
    // parse a byte stream need it in order.
    bool deliver_out_of_order = true;
    uint32_t ts_offset = 0;           // added to the 1 ms timestamp clock (TSval), see Connection::ts_clock
    uint32_t initial_cwnd_segments = 10;  // RFC 6928 IW10 (RFC 5681 §3.1 allows 2-4)

    uint64_t rto_initial = 1 * kSec;      // RFC 6298 §2.1
    uint64_t rto_min = 200 * kMs;         // RFC 6298 §2.4 says 1 s; 200 ms like Linux
    uint64_t rto_max = 60 * kSec;         // RFC 6298 §2.5
    uint64_t rto_after_syn_loss = 3 * kSec;  // RFC 6298 §5.7
    uint64_t clock_granularity = 1 * kMs; // G of RFC 6298 §2
    uint8_t syn_retries = 6;              // SYN (or SYN-ACK) retransmissions before Timeout
    uint8_t data_retries = 15;            // RTO retransmissions before Timeout (RFC 1122 4.2.3.5 R2)
    uint64_t delack = 40 * kMs;           // RFC 9293 §3.8.6.3: < 0.5 s
    uint64_t time_wait = 60 * kSec;       // 2*MSL (RFC 9293 §3.3.2); configurable for load tests
    uint64_t fin_wait2_timeout = 60 * kSec;  // not in the RFC: Linux's tcp_fin_timeout, so no flow leaks
    uint64_t persist_min = 200 * kMs;     // zero-window probe interval bounds (RFC 9293 §3.8.6.1)
    uint64_t persist_max = 60 * kSec;
    const CongestionControl* cc = nullptr;  // nullptr = NewReno
};

// Congestion state (RFC 5681 §3.1, RFC 6582 §3.2), owned by the TCB and
// changed only by a CongestionControl.
struct CcState {
    uint32_t cwnd = 0;        // congestion window, bytes
    uint32_t ssthresh = 0;    // slow start threshold, bytes
    SeqNum recover;           // RFC 6582 "recover": snd.max when recovery began
    uint8_t dupacks = 0;      // consecutive duplicate ACKs (RFC 5681 §2)
    bool in_recovery = false; // in NewReno fast recovery
};

enum class TimerKind : uint8_t {
    None,
    Retransmit,  // RTO for data/FIN, or SYN / SYN-ACK retransmission
    Persist,     // zero-window probe (RFC 9293 §3.8.6.1)
    TimeWait,    // 2*MSL (RFC 9293 §3.3.2)
    FinWait2,    // peer never sends its FIN
};

// A stream offset in 6 bytes: a stream carries at most Offset48::kMax bytes
// (256 TiB) each way. The connection never sends past it
// (Connection::data_available) and closes its receive window there
// (Tcb::rcv_wnd).
using Offset48 = util::Uint48;

struct Tcb {
    // RFC 9293 §3.3.1 send sequence variables.
    struct Send {
        SeqNum una;    // SND.UNA: oldest unacknowledged sequence number
        SeqNum nxt;    // SND.NXT: next sequence number to send (rewound to una on RTO)
        SeqNum max;    // highest sequence number sent + 1 (FreeBSD snd_max): ACKs up to here are valid
        // SND.WL1: SEG.SEQ of the segment that last updated snd.wnd. No
        // SND.WL2: it is SND.UNA whenever the window is updated, and
        // SND.UNA =< SEG.ACK is checked first, so WL2 =< SEG.ACK always holds.
        SeqNum wl1;
        // No ISS: Tcb::iss() derives it from SND.UNA and the offsets.
        SeqNum fin;    // sequence number our FIN takes (valid when fin_known)
        uint32_t wnd = 0;     // SND.WND: the peer's receive window, bytes, scaled
        uint16_t mss = 0;     // effective send MSS: min(peer's MSS option, our cfg.mss) (RFC 6691)
        uint8_t wscale = 0;   // Snd.Wind.Shift (RFC 7323 §2.3): shift applied to the peer's SEG.WND
    } snd;

    // RFC 9293 §3.3.1 receive sequence variables.
    struct Recv {
        SeqNum nxt;           // RCV.NXT: next sequence number expected
        // No IRS: only SYN-RECEIVED asks for it, where it is RCV.NXT - 1.
        // RCV.WND is Tcb::rcv_wnd(): the configured window, constant because
        // data is consumed on arrival.
        uint32_t ts_recent = 0;  // TS.Recent (RFC 7323 §4.3): TSval to echo in TSecr
        uint8_t wscale = 0;   // Rcv.Wind.Shift (RFC 7323 §2.3): shift applied to what we advertise
        uint8_t segs_unacked = 0;  // in-order data segments since our last ACK (ack every 2nd, RFC 9293 §3.8.6.3)
        uint16_t cfg_id = 0;  // the TcpConfig (config_table.hpp); here, where the struct had padding
    } rcv;

    // Stream offsets (the app's view; sequence numbers wrap, offsets don't).
    Offset48 snd_una_off;  // stream offset of the byte at snd.una (once the SYN is acked)
    Offset48 rcv_nxt_off;  // stream offset of the byte at rcv.nxt

    // RTT estimation (RFC 6298 §2), microseconds.
    uint32_t srtt_us = 0;      // SRTT; 0 = no sample yet
    uint32_t rttvar_us = 0;    // RTTVAR
    uint32_t rtt_start_us = 0; // when the timed segment (or the first SYN) left, low 32 bits of µs
    SeqNum rtt_seq;            // Karn timing: sample when an ACK covers this

    CcState cc;

    // Timers as 4-byte deadlines (exact to the µs, at most 30 min ahead):
    // one retransmission-class timer (armed when its kind is not None) and
    // the delayed ACK, which can run together. delack_at also means "output
    // pending" after a refused emit.
    util::UsDeadline timer_at;
    util::UsDeadline delack_at;

    // Out-of-order ranges held by the receiver (delivered, not stored), in
    // this thread's OooStore; 0 = none. For SACK (RFC 2018) and so the
    // cumulative ACK can jump over them when a hole fills.
    uint32_t ooo_ref = 0;

    TcpState state : 4 = TcpState::Closed;
    TimerKind timer : 3 = TimerKind::None;
    // snd.fin holds the FIN's sequence number. A stream may be any length up
    // to 2^64, so the FIN's place is fixed only once the stream's end comes
    // within reach of what was sent (sequence numbers cover 2^31).
    bool fin_known : 1 = false;
    // The last ACK answering an unacceptable pure ACK or SYN (rate limit,
    // RFC 5961 §7): bit 7 set once one was sent, bits 0-6 the time in
    // kOowTick units, modulo 128.
    uint8_t oow_ack = 0;
    uint8_t backoff = 0;       // RTO / persist doublings since the last RTT sample (RFC 6298 §5.5);
                               // also the count of SYN or data retransmissions towards the limits

    // Negotiated options (RFC 7323, RFC 2018): only when both sides offered.
    bool ws_ok : 1 = false;
    bool ts_ok : 1 = false;
    bool sack_ok : 1 = false;
    bool passive : 1 = false;    // created by Connection::accept (server role)
    bool fin_queued : 1 = false; // close() called: the stream ends where the app's bytes end, then the FIN
    bool ack_now : 1 = false;    // an ACK must go out at the next output
    bool rtt_timing : 1 = false; // rtt_seq/rtt_start_us are a valid Karn sample in flight
    bool syn_retransmitted : 1 = false;  // RFC 6298 §5.7 applies at establishment

    const TcpConfig& config() const { return config_by_id(rcv.cfg_id); }
    // ISS: SND.UNA until our SYN is acknowledged; after that, SND.UNA less
    // the data bytes acknowledged (snd_una_off), the FIN once acknowledged,
    // and the SYN. (Connection::become_established is told it instead: the
    // state changes there before SND.UNA moves past the SYN.)
    SeqNum iss() const
    {
        if (state <= TcpState::SynReceived)
            return snd.una;
        const uint32_t fin_acked = fin_known && snd.fin < snd.una ? 1 : 0;
        return snd.una - static_cast<uint32_t>(snd_una_off) - fin_acked - 1;
    }
    // Where the stream's first byte goes: ISS + 1.
    SeqNum data_start() const { return iss() + 1; }
    // RCV.WND: the configured window cut to what 16 bits carry after the
    // shift, a multiple of the scale unit so the advertised value is exact
    // (unscaled, at most 65535, until scaling is agreed), and closed where
    // the stream reaches Offset48::kMax.
    uint32_t rcv_wnd() const
    {
        const uint64_t max_wnd = std::min(uint64_t(65535) << rcv.wscale, Offset48::kMax - rcv_nxt_off);
        const auto w = static_cast<uint32_t>(std::min<uint64_t>(config().rcv_wnd, max_wnd));
        return (w >> rcv.wscale) << rcv.wscale;
    }
};

static_assert(sizeof(Tcb) <= 100, "the TCB must stay compact: see the README's memory per flow");

}  // namespace xdpgen::tcp
