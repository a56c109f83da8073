// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// One TCP connection: a pure, I/O-free state machine over a compact TCB.
//
// How the engine drives it
// ------------------------
//   Connection c;                         // 100 bytes, by flow id in the engine
//   c.connect(cfg, now, iss, sink);       // client: emits the SYN
//   c.accept(cfg, syn, now, iss, sink);   // server: from a SYN seen in LISTEN
//   c.on_segment(now, seg, payload, app, sink);  // for every segment of the flow
//   c.poll(now, app, sink);               // when next_deadline() has passed, or
//                                         // when the app has new bytes to send
//   c.close(now, app, sink);              // FIN after the bytes the app has now
//   c.abort(now, sink);                   // RST, connection gone
//   c.next_deadline(now);                 // ns, kNever when nothing is armed
//
// Rules:
// - Time is an argument (ns on any monotonic clock); nothing reads a clock,
//   allocates, or keeps bytes. Each call may emit any number of segments.
// - Output goes through TcpSink::emit: a Segment (header fields and options;
//   ports left 0, the engine writes its flow's 4-tuple) plus the stream
//   offset and length of its payload. The engine takes a UMEM frame, writes
//   the headers (write_tcp_header), asks the app to fill the payload in place
//   (TcpApp::tx_fill at that offset), then checksums: no copy. emit returns
//   false when no frame is free; the connection then stops sending and tries
//   again at the next call (nothing is lost: ACKs stay pending, data stays
//   unsent).
// - Lazy TX: the connection never holds data. tx_available(off) tells how
//   many bytes the app can supply from stream offset off; bytes once offered
//   must stay fillable until acknowledged, because retransmissions regenerate
//   them from their offset.
// - RX: rx_data(off, bytes) delivers each received byte exactly once at its
//   stream offset. With TcpConfig::deliver_out_of_order (default) data that
//   arrives ahead of a hole is delivered at once and remembered only as a
//   range (for SACK and so the cumulative ACK can jump it later): an app that
//   counts or verifies by offset needs nothing else. Apps that parse a byte
//   stream set it false and see data strictly in order.
// - Events (TcpApp::on_event) are what the engine counts. Callbacks must not
//   call back into the connection; act after the call returns.
// - Once state() is Closed (after a Closed/Reset/Refused/Timeout event, or
//   abort) the flow can be freed.

#include <cstdint>
#include <span>

#include "tcp/segment.hpp"
#include "tcp/seq.hpp"
#include "tcp/tcb.hpp"

namespace xdpgen::tcp {

enum class TcpEvent : uint8_t {
    Established,  // value: handshake RTT in ns, first SYN (or SYN-ACK) to its ACK
    DataAcked,    // value: data bytes newly acknowledged by the peer
    PeerFin,      // value: stream bytes received before the FIN
    Closed,       // the connection ended normally (LAST-ACK done, TIME-WAIT over)
    Reset,        // the peer reset a synchronized connection
    Refused,      // RST in answer to our SYN (RFC 9293 §3.10.7.3)
    Timeout,      // SYN or data retransmissions exhausted, or FIN-WAIT-2 too long
};
const char* event_name(TcpEvent e);

class TcpApp {
public:
    virtual ~TcpApp() = default;
    // Bytes the app can supply from stream offset `offset` on (0 = none now).
    virtual uint64_t tx_available(uint64_t offset) = 0;
    // The bytes at [offset, offset + dst.size()), into the frame. Called by
    // the engine (or a test wire), never by Connection.
    virtual void tx_fill(uint64_t offset, std::span<uint8_t> dst) = 0;
    // Received bytes at their stream offset, each exactly once.
    virtual void rx_data(uint64_t offset, std::span<const uint8_t> data) = 0;
    virtual void on_event(TcpEvent ev, uint64_t value) = 0;
    // Asked once, right after the peer's FIN arrived in ESTABLISHED: true
    // when the app closes now. Our FIN then leaves with the ACK of theirs,
    // one segment instead of two.
    virtual bool close_on_peer_fin() { return false; }
};

struct OutSegment {
    Segment seg;                  // payload length in seg.payload_len
    uint64_t payload_offset = 0;  // stream offset of the first payload byte
    bool retransmit = false;      // carries sequence space sent before (the engine counts these)
};

class TcpSink {
public:
    virtual ~TcpSink() = default;
    virtual bool emit(const OutSegment& s) = 0;
};

// A RST answering a segment that has no connection (RFC 9293 §3.10.7.1), or
// nothing for a RST. Ports are swapped from `in`.
bool tcp_reset_for(const Segment& in, Segment& out);

class Connection {
public:
    // Active open (RFC 9293 §3.10.1): SYN-SENT, the SYN emitted now.
    void connect(const TcpConfig& cfg, uint64_t now, SeqNum iss, TcpSink& out);
    // Passive open from a SYN received in LISTEN (RFC 9293 §3.10.7.2, fourth
    // step): SYN-RECEIVED, the SYN-ACK emitted now. False (and nothing done)
    // unless `syn` is a SYN without ACK or RST; the caller answers an ACK
    // with tcp_reset_for and ignores the rest.
    bool accept(const TcpConfig& cfg, const Segment& syn, uint64_t now, SeqNum iss, TcpSink& out);

    // SEGMENT ARRIVES (RFC 9293 §3.10.7), then sends what became due.
    void on_segment(uint64_t now, const Segment& seg, std::span<const uint8_t> payload, TcpApp& app,
                    TcpSink& out);
    // Runs expired timers, then sends what is due (data, ACKs, retransmissions, probes).
    void poll(uint64_t now, TcpApp& app, TcpSink& out);
    // CLOSE (RFC 9293 §3.10.4): the bytes the app offers now are the rest of
    // the stream; our FIN follows them.
    void close(uint64_t now, TcpApp& app, TcpSink& out);
    // ABORT (RFC 9293 §3.10.5): RST when synchronized, then Closed. No event.
    void abort(uint64_t now, TcpSink& out);
    // Takes the send side back from a data path that sent this connection's
    // stream elsewhere (`xdpgen tcp`'s live-frames sender): bytes before
    // una_off are acknowledged, those up to nxt_off were sent, the peer's
    // window is `wnd` (scaled) and its latest TSval `ts_recent`. Only in
    // ESTABLISHED or CLOSE-WAIT before close(); a later call sends the rest.
    void resume_send(uint64_t now, uint64_t una_off, uint64_t nxt_off, uint32_t wnd, uint32_t ts_recent);
    // An ICMP "too big" (RFC 1191 §6.4, RFC 8201 §5) for the segment that
    // started at quoted_seq: when that is in flight (RFC 5927 §4.1: else
    // it may be forged) and mss is below the send MSS, segments are cut to
    // mss from now on and what is outstanding goes out again at that size.
    // No congestion response: the path dropped for size. True if applied.
    bool path_mss_reduced(uint64_t now, uint16_t mss, SeqNum quoted_seq, TcpApp& app, TcpSink& out);
    // Gives back the out-of-order entry, if any. Closing does it; the owner
    // calls it before dropping or overwriting a connection that may not be
    // Closed. Idempotent.
    void release_ooo();
    // Out-of-order ranges held (0 .. kOooRanges).
    uint8_t ooo_count() const { return t_.ooo_ref ? ooo_store().get(t_.ooo_ref).count : 0; }

    // RFC 6191 (RFC 9293 §3.10.7.4 note), as Linux decides it: a SYN for
    // the 4-tuple of this connection in TIME-WAIT opens a new one when it
    // cannot belong to the old: a newer timestamp, or without timestamps a
    // sequence number beyond the old stream. The caller then frees this
    // connection and accepts the SYN (with an ISS past snd.max).
    bool time_wait_reopens(const Segment& syn) const;

    // The earliest armed timer, ns (kNever when none); `now` gives the
    // deadlines' upper bits, so pass the time of the last call or later.
    uint64_t next_deadline(uint64_t now) const;
    TcpState state() const { return t_.state; }
    const Tcb& tcb() const { return t_; }
    // Current retransmission timeout with backoff, ns (RFC 6298 §2, §5.5).
    uint64_t rto() const;

private:
    // input.cpp
    void input_syn_sent(uint64_t now, const Segment& seg, TcpApp& app, TcpSink& out);
    void input_synchronized(uint64_t now, const Segment& seg, std::span<const uint8_t> payload, TcpApp& app,
                            TcpSink& out);
    void negotiate(const TcpOptions& peer);
    void ack_unacceptable(uint64_t now, const Segment& seg);
    void become_established(uint64_t now, TcpApp& app, SeqNum iss);
    void process_new_ack(uint64_t now, const Segment& seg, bool acks_syn, TcpApp& app, TcpSink& out);
    void receive_text(uint64_t now, const Segment& seg, std::span<const uint8_t> payload, TcpApp& app);
    void deliver_uncovered(SeqNum from, std::span<const uint8_t> data, TcpApp& app);
    bool record_ooo(SeqNum left, SeqNum right, bool dry_run);
    void enter_closed(TcpApp& app, TcpEvent ev);
    // close() without the output: false if nothing was queued.
    bool queue_close(TcpApp& app);

    // output.cpp
    void output(uint64_t now, TcpApp& app, TcpSink& out);
    bool send(uint64_t now, TcpSink& out, uint8_t flags, SeqNum seq, uint32_t len, bool retransmit);
    void retransmit_first(uint64_t now, TcpSink& out);
    bool send_probe(uint64_t now, TcpApp& app, TcpSink& out);
    uint32_t payload_limit() const;
    uint64_t app_available(TcpApp& app, SeqNum from) const;
    uint64_t snd_off(SeqNum s) const;
    uint32_t data_available(TcpApp& app, SeqNum from);
    void fix_fin(TcpApp& app, SeqNum from);

    // timers.cpp
    void on_timer(uint64_t now, TcpApp& app, TcpSink& out);
    void sample_rtt(uint64_t now, const Segment& seg);
    void rtt_sample(uint32_t r_us);
    uint64_t rto_base() const;
    // The retransmission-class timer: kind k, due `after` ns from now.
    void arm(TimerKind k, uint64_t now, uint64_t after);
    void disarm();
    void arm_retransmit(uint64_t now);
    void arm_persist(uint64_t now);
    void enter_time_wait(uint64_t now);
    uint32_t ts_clock(uint64_t now) const;

    Tcb t_;
};

static_assert(sizeof(Connection) == sizeof(Tcb));

}  // namespace xdpgen::tcp
