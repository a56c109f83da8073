// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Scripted-peer helpers: a sink that records what the connection emits, an
// app with a byte pattern to send and a checker for what it receives, and
// builders for the peer's segments.

#include <catch2/catch.hpp>

#include <optional>
#include <utility>
#include <vector>

#include "tcp/connection.hpp"

namespace xdpgen::tcp::test {

constexpr uint64_t ms(uint64_t x) { return x * kMs; }
constexpr uint64_t us(uint64_t x) { return x * 1000; }
constexpr uint64_t sec(uint64_t x) { return x * kSec; }

// Byte at stream offset off of a stream identified by salt; period is not
// a power of two so misplaced blocks show.
inline uint8_t pattern_byte(uint64_t off, uint8_t salt) { return static_cast<uint8_t>(off % 251 + salt * 13); }

inline std::vector<uint8_t> pattern(uint64_t off, size_t len, uint8_t salt)
{
    std::vector<uint8_t> v(len);
    for (size_t i = 0; i < len; ++i)
        v[i] = pattern_byte(off + i, salt);
    return v;
}

struct Sink final : TcpSink {
    std::vector<OutSegment> v;
    bool full = false;
    bool emit(const OutSegment& o) override
    {
        if (full)
            return false;
        v.push_back(o);
        return true;
    }
    std::vector<OutSegment> take() { return std::exchange(v, {}); }
};

struct App final : TcpApp {
    uint64_t tx_total = 0;  // the stream is tx_total bytes of pattern(tx_salt)
    uint8_t tx_salt = 1, rx_salt = 2;
    std::vector<std::pair<uint64_t, uint64_t>> rx;  // (offset, length) per rx_data
    uint64_t rx_bytes = 0;
    bool rx_ok = true;  // every byte matched pattern(rx_salt)
    std::vector<std::pair<TcpEvent, uint64_t>> events;

    uint64_t tx_available(uint64_t off) override { return off < tx_total ? tx_total - off : 0; }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override
    {
        for (size_t i = 0; i < dst.size(); ++i)
            dst[i] = pattern_byte(off + i, tx_salt);
    }
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        rx.emplace_back(off, d.size());
        rx_bytes += d.size();
        for (size_t i = 0; i < d.size(); ++i)
            if (d[i] != pattern_byte(off + i, rx_salt))
                rx_ok = false;
    }
    void on_event(TcpEvent e, uint64_t v) override { events.emplace_back(e, v); }
    bool close_at_peer_fin = false;  // answer close_on_peer_fin() with this
    int close_asks = 0;
    bool close_on_peer_fin() override
    {
        close_asks++;
        return close_at_peer_fin;
    }

    size_t count(TcpEvent e) const
    {
        size_t n = 0;
        for (auto& [ev, v] : events)
            n += ev == e;
        return n;
    }
    std::optional<uint64_t> last(TcpEvent e) const
    {
        for (auto it = events.rbegin(); it != events.rend(); ++it)
            if (it->first == e)
                return it->second;
        return std::nullopt;
    }
};

inline Segment mk(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd, uint32_t len = 0)
{
    Segment s;
    s.src_port = 80;
    s.dst_port = 40000;
    s.seq = SeqNum(seq);
    s.ack = SeqNum(ack);
    s.flags = flags;
    s.window = wnd;
    s.payload_len = len;
    return s;
}

// What a test expects of one emitted segment.
struct Exp {
    uint8_t flags = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint16_t win = 0;
    uint32_t len = 0;
    uint64_t off = 0;
    std::optional<bool> rexmt;
    std::optional<TcpOptions> opt;  // compared exactly when given
};

inline void check_seg(const OutSegment& o, const Exp& e)
{
    CHECK(int(o.seg.flags) == int(e.flags));
    CHECK(o.seg.seq.raw() == e.seq);
    if (e.flags & kAck)
        CHECK(o.seg.ack.raw() == e.ack);
    CHECK(o.seg.window == e.win);
    CHECK(o.seg.payload_len == e.len);
    if (e.len)
        CHECK(o.payload_offset == e.off);
    if (e.rexmt)
        CHECK(o.retransmit == *e.rexmt);
    if (e.opt)
        CHECK(o.seg.opt == *e.opt);
}

// The sink holds exactly these segments (and is emptied).
#define EXPECT_SEGS(sink, ...)                                        \
    do {                                                              \
        INFO("expected at line " << __LINE__);                        \
        std::vector<::xdpgen::tcp::test::Exp> exp_{__VA_ARGS__};      \
        auto got_ = (sink).take();                                    \
        REQUIRE(got_.size() == exp_.size());                          \
        for (size_t i_ = 0; i_ < exp_.size(); ++i_) {                 \
            INFO("segment " << i_);                                   \
            ::xdpgen::tcp::test::check_seg(got_[i_], exp_[i_]);       \
        }                                                             \
    } while (0)

#define EXPECT_NONE(sink)                           \
    do {                                            \
        INFO("expected nothing at line " << __LINE__); \
        CHECK((sink).take().empty());               \
    } while (0)

// No options anywhere, MSS 1460, a 64000-byte window, IW10: the plain
// setting most tests use so that numbers stay readable.
inline TcpConfig plain_cfg()
{
    TcpConfig c;
    c.ts_offset = 1000;  // the ISS most tests use, so TSvals read as 1 ms clock + 1000
    c.mss = 1460;
    c.rcv_wnd = 64000;
    c.wscale = -1;
    c.sack = false;
    c.timestamps = false;
    c.time_wait = sec(2);
    return c;
}

// A client connection driven by a scripted peer. ISS 1000, IRS 5000, the
// SYN at t=0 and the SYN-ACK (MSS 1000, window 60000) at t=100 ms, so SRTT
// is 100 ms and the RTO 300 ms.
struct ClientFixture {
    static constexpr uint32_t kIss = 1000, kIrs = 5000;
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    uint64_t now = 0;  // the time of the last rx() or poll(): the deadlines' anchor

    // The connection's next deadline, ns (kNever when none).
    uint64_t deadline() const { return c.next_deadline(now); }

    void open(uint16_t peer_wnd = 60000, uint16_t peer_mss = 1000)
    {
        c.connect(cfg, 0, SeqNum(kIss), out);
        out.take();
        Segment sa = mk(kIrs, kIss + 1, kSyn | kAck, peer_wnd);
        sa.opt.mss = peer_mss;
        c.on_segment(ms(100), sa, {}, app, out);
        out.take();
        app.events.clear();
        REQUIRE(c.state() == TcpState::Established);
    }
    void rx(uint64_t t, const Segment& s, std::span<const uint8_t> payload = {})
    {
        now = t;
        c.on_segment(t, s, payload, app, out);
    }
    // Peer data at stream offset off (pattern salt 2), ACKing ack.
    void rx_data(uint64_t t, uint64_t off, uint32_t len, uint32_t ack, uint16_t wnd = 60000, uint8_t extra = 0)
    {
        auto p = pattern(off, len, app.rx_salt);
        rx(t, mk(kIrs + 1 + static_cast<uint32_t>(off), ack, kAck | extra, wnd, len), p);
    }
    void poll(uint64_t t)
    {
        now = t;
        c.poll(t, app, out);
    }
};

}  // namespace xdpgen::tcp::test
