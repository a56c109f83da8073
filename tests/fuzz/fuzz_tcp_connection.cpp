// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Raw bytes -> the project's parsers (parse_tcp_frame, parse_tcp) ->
// Connection::on_segment, in every state a connection can be put in, with
// time passing, the app closing or offering more, and the sink refusing
// frames; the invariants below are checked after every call.
//
// Input: two setup bytes, then records (see run_records). Segments may be
// "relative": their SEQ, ACK and SACK fields are added to rcv.nxt and
// snd.una, so a small number means "near the window" whatever the ISNs.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "net/tcp_frame.hpp"
#include "tcp/connection.hpp"

using namespace xdpgen;
using namespace xdpgen::tcp;

namespace {

constexpr uint32_t kIss = 1000, kIrs = 5000;

// The states the fuzzer starts from, each reached through the real API.
enum class Start : uint8_t {
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    LastAck,
    Closing,
    TimeWait,
    kCount,
};

struct Reader {
    std::span<const uint8_t> d;
    bool empty() const { return d.empty(); }
    uint8_t u8()
    {
        if (d.empty())
            return 0;
        uint8_t v = d[0];
        d = d.subspan(1);
        return v;
    }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
    std::span<const uint8_t> bytes(size_t n)
    {
        n = std::min(n, d.size());
        auto r = d.first(n);
        d = d.subspan(n);
        return r;
    }
};

// Records what the connection emits and checks each segment on its own.
struct Sink final : TcpSink {
    bool full = false;
    const Connection* c = nullptr;
    const TcpConfig* cfg = nullptr;
    uint64_t offered = 0;   // the app's tx_total: no payload may lie beyond it
    uint64_t sent_end = 0;  // highest payload end emitted (stream offset)

    bool emit(const OutSegment& o) override
    {
        const Segment& s = o.seg;
        const Tcb& t = c->tcb();
        FUZZ_CHECK(!(s.has(kRst) && s.payload_len));
        FUZZ_CHECK(!(s.has(kSyn) && s.payload_len));
        if (s.has(kSyn))
            FUZZ_CHECK(s.seq == t.iss());
        if (s.payload_len) {
            FUZZ_CHECK(s.payload_len <= cfg->mss);
            FUZZ_CHECK(o.payload_offset + s.payload_len <= offered);
            // Lazy TX regenerates bytes from their offset: the offset must be
            // the one the sequence number stands for.
            FUZZ_CHECK(uint32_t(o.payload_offset) == s.seq.raw() - (kIss + 1));
            sent_end = std::max(sent_end, o.payload_offset + s.payload_len);
        }
        if (full)
            return false;
        return true;
    }
};

// Checks every byte reaches it once, never beyond the peer's FIN, and (in
// order mode) strictly in order; events once each, nothing after the end.
struct App final : TcpApp {
    bool in_order = false;
    bool close_at_fin = false;
    uint64_t tx_total = 0;
    std::map<uint64_t, uint64_t> got;  // delivered [first, end), merged
    uint64_t in_order_end = 0;
    bool established = false, fin = false, ended = false;
    uint64_t fin_off = 0;

    uint64_t tx_available(uint64_t off) override { return off < tx_total ? tx_total - off : 0; }
    void tx_fill(uint64_t, std::span<uint8_t>) override { FUZZ_CHECK(false); }  // the engine's call, never Connection's
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        FUZZ_CHECK(!ended);
        FUZZ_CHECK(!d.empty());
        const uint64_t end = off + d.size();
        FUZZ_CHECK(!fin || end <= fin_off);
        if (in_order) {
            FUZZ_CHECK(off == in_order_end);
            in_order_end = end;
        }
        // No byte twice: [off, end) overlaps nothing delivered before.
        auto it = got.upper_bound(off);
        if (it != got.end())
            FUZZ_CHECK(end <= it->first);
        if (it != got.begin()) {
            auto prev = std::prev(it);
            FUZZ_CHECK(prev->second <= off);
            if (prev->second == off) {
                prev->second = end;
                if (it != got.end() && it->first == end) {
                    prev->second = it->second;
                    got.erase(it);
                }
                return;
            }
        }
        if (it != got.end() && it->first == end) {
            const uint64_t e = it->second;
            got.erase(it);
            got[off] = e;
        } else {
            got[off] = end;
        }
    }
    void on_event(TcpEvent ev, uint64_t value) override
    {
        FUZZ_CHECK(!ended);
        switch (ev) {
        case TcpEvent::Established:
            FUZZ_CHECK(!established);
            established = true;
            break;
        case TcpEvent::PeerFin:
            FUZZ_CHECK(!fin);
            fin = true;
            fin_off = value;
            FUZZ_CHECK(delivered_prefix() == value);
            break;
        case TcpEvent::DataAcked:
            FUZZ_CHECK(value > 0);
            break;
        default:
            ended = true;
            break;
        }
    }
    bool close_on_peer_fin() override { return close_at_fin; }

    // Bytes delivered contiguously from offset 0.
    uint64_t delivered_prefix() const
    {
        if (got.empty() || got.begin()->first != 0)
            return 0;
        return got.begin()->second;
    }
};

struct Harness {
    TcpConfig cfg;
    Connection c;
    Sink out;
    App app;
    uint64_t now = 0;
    bool peer_opts = false;
    uint32_t peer_ts = 1;
    // Before each call, to check what must only grow.
    uint64_t una_off = 0, rcv_off = 0;

    Harness()
    {
        out.c = &c;
        out.cfg = &cfg;
    }

    void check()
    {
        const Tcb& t = c.tcb();
        FUZZ_CHECK(t.snd_una_off >= una_off);
        FUZZ_CHECK(t.rcv_nxt_off >= rcv_off);
        una_off = t.snd_una_off;
        rcv_off = t.rcv_nxt_off;
        // Acknowledged data was sent; rcv.nxt passes only delivered bytes.
        FUZZ_CHECK(t.snd_una_off <= out.sent_end);
        FUZZ_CHECK(app.delivered_prefix() >= t.rcv_nxt_off);
        if (app.in_order)
            FUZZ_CHECK(app.in_order_end == t.rcv_nxt_off);
        FUZZ_CHECK(app.ended == (c.state() == TcpState::Closed));
        if (c.state() == TcpState::Closed) {
            FUZZ_CHECK(c.ooo_count() == 0);
            FUZZ_CHECK(c.next_deadline(now) == kNever);
            return;
        }
        FUZZ_CHECK(t.snd.una <= t.snd.nxt);
        FUZZ_CHECK(t.snd.nxt <= t.snd.max);
        FUZZ_CHECK(c.ooo_count() <= kOooRanges);
        FUZZ_CHECK(!app.in_order || c.ooo_count() == 0);
        // Something in flight, or a state that only a timer ends: a timer is
        // armed, else the flow would live forever.
        const TcpState s = c.state();
        if (t.snd.una != t.snd.max || s == TcpState::SynSent || s == TcpState::SynReceived ||
            s == TcpState::FinWait2 || s == TcpState::TimeWait)
            FUZZ_CHECK(c.next_deadline(now) != kNever);
    }

    Segment peer(uint8_t flags, SeqNum seq, SeqNum ack)
    {
        Segment s;
        s.src_port = 80;
        s.dst_port = 40000;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = 60000;
        if (peer_opts) {
            s.opt.has_ts = true;
            s.opt.ts_val = peer_ts++;
            s.opt.ts_ecr = 0;  // no RTT sample from it: the setup's times are made up
            if (flags & kSyn) {
                s.opt.wscale = 7;
                s.opt.sack_permitted = true;
                s.opt.mss = 1200;
            }
        }
        return s;
    }

    void segment(const Segment& s, std::span<const uint8_t> payload = {})
    {
        c.on_segment(now, s, payload, app, out);
        check();
    }

    // From the peer, at rcv.nxt, acknowledging `ack`.
    void rx(uint8_t flags, SeqNum ack) { segment(peer(flags, c.tcb().rcv.nxt, ack)); }

    // Puts the connection in `st` through the API, as a client or (passive)
    // a server would get there.
    void start(Start st, bool passive)
    {
        now = kMs;
        if (st == Start::SynReceived || (passive && st != Start::SynSent)) {
            Segment syn = peer(kSyn, SeqNum(kIrs), SeqNum(0));
            FUZZ_CHECK(c.accept(cfg, syn, now, SeqNum(kIss), out));
            check();
            if (st == Start::SynReceived)
                return;
            now += 10 * kMs;
            rx(kAck, SeqNum(kIss + 1));
        } else {
            c.connect(cfg, now, SeqNum(kIss), out);
            check();
            if (st == Start::SynSent)
                return;
            now += 10 * kMs;
            segment(peer(kSyn | kAck, SeqNum(kIrs), SeqNum(kIss + 1)));
        }
        FUZZ_CHECK(c.state() == TcpState::Established);
        now += kMs;
        c.poll(now, app, out);  // the app's first bytes, if any
        check();
        switch (st) {
        case Start::FinWait1:
        case Start::FinWait2:
        case Start::Closing:
        case Start::TimeWait:
            c.close(now, app, out);
            check();
            FUZZ_CHECK(c.state() == TcpState::FinWait1);
            if (st == Start::Closing) {
                rx(kFin | kAck, c.tcb().snd.una);
                FUZZ_CHECK(c.state() == TcpState::Closing);
            } else if (st != Start::FinWait1) {
                // Acknowledge everything sent until the FIN is out and acknowledged.
                for (int i = 0; i < 64 && c.state() == TcpState::FinWait1; ++i) {
                    now += kMs;
                    rx(kAck, c.tcb().snd.max);
                }
                FUZZ_CHECK(c.state() == TcpState::FinWait2);
                if (st == Start::TimeWait) {
                    rx(kFin | kAck, c.tcb().snd.max);
                    FUZZ_CHECK(c.state() == TcpState::TimeWait);
                }
            }
            break;
        case Start::CloseWait:
        case Start::LastAck:
            rx(kFin | kAck, c.tcb().snd.una);
            FUZZ_CHECK(c.state() == TcpState::CloseWait);
            if (st == Start::LastAck) {
                c.close(now, app, out);
                check();
                FUZZ_CHECK(c.state() == TcpState::LastAck);
            }
            break;
        default:
            break;
        }
    }

    // SEQ, ACK and SACK blocks taken as offsets from rcv.nxt and snd.una.
    void make_relative(Segment& s) const
    {
        const Tcb& t = c.tcb();
        s.seq = t.rcv.nxt + s.seq.raw();
        s.ack = t.snd.una + s.ack.raw();
        for (uint8_t i = 0; i < s.opt.sack_count; ++i)
            s.opt.sack[i] = {t.snd.una + s.opt.sack[i].left.raw(), t.snd.una + s.opt.sack[i].right.raw()};
    }

    void feed(std::span<const uint8_t> l4, bool relative)
    {
        ParsedTcp p = parse_tcp(l4);
        if (p.status != ParseStatus::Ok)
            return;
        FUZZ_CHECK(p.payload.size() == p.seg.payload_len);
        if (relative)
            make_relative(p.seg);
        segment(p.seg, p.payload);
    }

    // Records until the input ends or the connection is closed:
    //   op & 7: 0-2 raw TCP header+payload (u16 length), 3 Ethernet frame
    //   (u16 length), 4 time passes (u16 in units of 1 ms or 50 ms), 5 to the
    //   next deadline, 6 app: close / offer more / sink full or not / abort,
    //   7 poll now. op & 8: the segment is relative.
    void run_records(Reader& r)
    {
        while (!r.empty() && c.state() != TcpState::Closed) {
            const uint8_t op = r.u8();
            const bool relative = op & 8;
            switch (op & 7) {
            case 0:
            case 1:
            case 2:
                feed(r.bytes(r.u16()), relative);
                break;
            case 3:
                if (auto v = parse_tcp_frame(r.bytes(r.u16())))
                    feed(v->l4, relative);
                break;
            case 4:
                now += uint64_t(r.u16()) * (op & 0x10 ? 50 * kMs : kMs);
                c.poll(now, app, out);
                check();
                break;
            case 5:
                if (c.next_deadline(now) != kNever)
                    now = std::max(now, c.next_deadline(now));
                c.poll(now, app, out);
                check();
                break;
            case 6: {
                const uint8_t what = r.u8();
                switch (what & 3) {
                case 0: {
                    // CLOSE in SYN-SENT deletes the TCB without an event, as abort does.
                    const bool deletes = c.state() == TcpState::SynSent;
                    c.close(now, app, out);
                    if (deletes) {
                        FUZZ_CHECK(c.state() == TcpState::Closed && !app.ended);
                        app.ended = true;
                    }
                    break;
                }
                case 1:
                    app.tx_total += r.u16();
                    out.offered = app.tx_total;
                    c.poll(now, app, out);
                    break;
                case 2:
                    out.full = what & 4;
                    break;
                case 3:
                    if (what == 0xff) {  // rare: abort ends the flow without an event
                        c.abort(now, out);
                        return;
                    }
                    break;
                }
                check();
                break;
            }
            case 7:
                c.poll(now, app, out);
                check();
                break;
            }
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader r{{data, size}};
    const uint8_t a = r.u8(), b = r.u8();
    Harness h;
    // a: start state (low 4 bits), options on both sides, in-order
    // delivery, app data before the handshake ends, a passive open.
    const Start st = Start(a % uint8_t(Start::kCount));
    const bool opts = a & 0x10;
    h.cfg.mss = 1460;
    h.cfg.rcv_wnd = 64000;
    h.cfg.wscale = opts ? 7 : -1;
    h.cfg.sack = opts;
    h.cfg.timestamps = opts;
    h.cfg.deliver_out_of_order = !(a & 0x20);
    h.cfg.time_wait = 2 * kSec;
    h.peer_opts = opts;
    h.app.in_order = !h.cfg.deliver_out_of_order;
    // b: bytes the app offers from the start (in units of 500), closing at
    // the peer's FIN.
    h.app.tx_total = uint64_t(b & 0x7f) * 500;
    h.out.offered = h.app.tx_total;
    h.start(st, a & 0x40);
    h.app.close_at_fin = b & 0x80;  // after the start, which may take a FIN
    h.run_records(r);
    // Out-of-order ranges live in a per-thread store: none may leak.
    h.c.release_ooo();
    FUZZ_CHECK(ooo_store().in_use() == 0);
    return 0;
}
