// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Streams longer than sequence numbers can span: every length up to 2^64
// goes out whole, in both roles, with the FIN after the last byte, and the
// acknowledged count is exact when snd.una lands on the ISS again.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint16_t kBigMss = 65000;  // ~100k segments for 6 GiB: fast enough for the unit tier

// Large MSS and window scaling so long streams take few segments.
TcpConfig big_cfg()
{
    TcpConfig c = plain_cfg();
    c.mss = kBigMss;
    c.wscale = 7;
    c.rcv_wnd = 4 << 20;
    return c;
}

struct StreamResult {
    uint64_t data_bytes = 0;   // payload bytes sent once (retransmissions not counted)
    uint64_t acked_events = 0; // sum of DataAcked values
    bool offsets_contiguous = true;
    bool seqs_match_offsets = true;
    bool fin_seen = false;
    uint32_t fin_seq = 0;
    uint64_t segments = 0;
};

// Plays a peer that acknowledges everything sent at once (window 8 MiB),
// from `now` in 1 ms steps, until our FIN is acknowledged or `max_rounds`.
StreamResult drain_stream(Connection& c, Sink& out, App& app, uint32_t peer_seq, uint64_t now,
                          uint64_t max_rounds = 2'000'000)
{
    StreamResult r;
    const SeqNum data_start = c.tcb().data_start();
    uint64_t next_off = 0;
    for (uint64_t round = 0; round < max_rounds; ++round) {
        auto segs = out.take();
        if (segs.empty()) {
            c.poll(now, app, out);
            segs = out.take();
            if (segs.empty())
                break;
        }
        SeqNum highest = c.tcb().snd.una;
        for (const OutSegment& o : segs) {
            ++r.segments;
            const Segment& s = o.seg;
            if (s.payload_len && !o.retransmit) {
                r.offsets_contiguous &= o.payload_offset == next_off;
                r.seqs_match_offsets &= s.seq == data_start + static_cast<uint32_t>(o.payload_offset);
                next_off = o.payload_offset + s.payload_len;
                r.data_bytes += s.payload_len;
            }
            if (s.has(kFin)) {
                r.fin_seen = true;
                r.fin_seq = (s.seq + s.payload_len).raw();
            }
            highest = seq_max(highest, s.seq + s.seg_len());
        }
        now += kMs;
        c.on_segment(now, mk(peer_seq, highest.raw(), kAck, 65535), {}, app, out);
        if (r.fin_seen && c.tcb().snd.una == highest)
            break;
    }
    for (auto& [ev, v] : app.events)
        if (ev == TcpEvent::DataAcked)
            r.acked_events += v;
    return r;
}

// A client connection established with big_cfg against a peer offering the same.
void open_client(Connection& c, const TcpConfig& cfg, Sink& out, App& app, uint32_t iss)
{
    c.connect(cfg, 0, SeqNum(iss), out);
    out.take();
    Segment sa = mk(5000, iss + 1, kSyn | kAck, 65535);
    sa.opt.mss = kBigMss;
    sa.opt.wscale = 7;
    c.on_segment(ms(1), sa, {}, app, out);
    out.take();
    REQUIRE(c.state() == TcpState::Established);
    app.events.clear();
}

// A passive open from a peer's SYN (IRS 7000) offering big_cfg's options; the SYN-ACK is taken away.
void accept_big(Connection& c, const TcpConfig& cfg, Sink& out, uint32_t iss)
{
    Segment syn = mk(7000, 0, kSyn, 65535);
    syn.opt.mss = kBigMss;
    syn.opt.wscale = 7;
    REQUIRE(c.accept(cfg, syn, 0, SeqNum(iss), out));
    out.take();
}

void check_whole(const StreamResult& r, uint64_t len, uint32_t iss)
{
    CHECK(r.data_bytes == len);
    CHECK(r.acked_events == len);
    CHECK(r.offsets_contiguous);
    CHECK(r.seqs_match_offsets);
    CHECK(r.fin_seen);
    CHECK(r.fin_seq == iss + 1 + static_cast<uint32_t>(len));
}

}  // namespace

TEST_CASE("client: a stream of any length closed at once goes out whole, then the FIN", "[tcp][long]")
{
    // 2^32 - 1 puts the FIN on the ISS and snd.una on it after the data;
    // 2^33 - 1 does it a second time round.
    const uint64_t len = GENERATE(kGiB + 1, 3 * kGiB / 2, 2 * kGiB + 7, 4 * kGiB - 1, 4 * kGiB, 6 * kGiB,
                                  8 * kGiB - 1);
    const uint32_t iss = GENERATE(1000u, 0xfffff000u);
    INFO("length " << len << " iss " << iss);
    TcpConfig cfg = big_cfg();
    Connection c;
    Sink out;
    App app;
    open_client(c, cfg, out, app, iss);
    app.tx_total = len;
    c.close(ms(2), app, out);
    CHECK(c.state() == TcpState::FinWait1);
    StreamResult r = drain_stream(c, out, app, 5001, ms(2));
    check_whole(r, len, iss);
    CHECK(c.state() == TcpState::FinWait2);
}

TEST_CASE("server: a response of 6 GiB and close goes out whole", "[tcp][long]")
{
    TcpConfig cfg = big_cfg();
    Connection c;
    Sink out;
    App app;
    const uint32_t iss = 0xffffff00u;
    accept_big(c, cfg, out, iss);
    c.on_segment(ms(1), mk(7001, iss + 1, kAck, 65535), {}, app, out);
    REQUIRE(c.state() == TcpState::Established);
    CHECK(app.count(TcpEvent::DataAcked) == 0);  // the SYN is not data
    app.events.clear();
    const uint64_t len = 6 * kGiB + 3;
    app.tx_total = len;
    c.close(ms(2), app, out);
    StreamResult r = drain_stream(c, out, app, 7001, ms(2));
    check_whole(r, len, iss);
}

TEST_CASE("server: the peer's FIN then our 4 GiB - 1 answer: LAST-ACK ends Closed, not Reset", "[tcp][long]")
{
    TcpConfig cfg = big_cfg();
    Connection c;
    Sink out;
    App app;
    const uint32_t iss = 1000;
    accept_big(c, cfg, out, iss);
    c.on_segment(ms(1), mk(7001, iss + 1, kAck | kFin, 65535), {}, app, out);
    REQUIRE(c.state() == TcpState::CloseWait);
    out.take();
    const uint64_t len = 4 * kGiB - 1;
    app.tx_total = len;
    c.close(ms(2), app, out);
    CHECK(c.state() == TcpState::LastAck);
    StreamResult r = drain_stream(c, out, app, 7002, ms(2));
    check_whole(r, len, iss);
    CHECK(c.state() == TcpState::Closed);
    CHECK(app.count(TcpEvent::Closed) == 1);
    CHECK(app.count(TcpEvent::Reset) == 0);
}

TEST_CASE("resume at 2^32 - 1 acknowledged (snd.una on the ISS): the FIN's ACK is no data", "[tcp][long][resume]")
{
    ClientFixture f;
    f.open();
    const uint64_t n = 4 * kGiB - 1;
    f.app.tx_total = n;
    f.c.resume_send(ms(200), n, n, 30000, 0);
    CHECK(f.c.tcb().snd.una == SeqNum(ClientFixture::kIss));
    f.c.close(ms(200), f.app, f.out);
    EXPECT_SEGS(f.out, Exp{kFin | kAck, ClientFixture::kIss, 5001, 64000});
    f.rx(ms(250), mk(5001, ClientFixture::kIss + 1, kAck, 60000));
    CHECK(f.c.state() == TcpState::FinWait2);
    CHECK(f.app.count(TcpEvent::DataAcked) == 0);
}

TEST_CASE("data acknowledged across snd.una == ISS counts every byte once", "[tcp][long][resume]")
{
    ClientFixture f;
    f.open();
    // Sent elsewhere up to 2^32 - 1001; the rest goes from here, through the ISS.
    const uint64_t n = 4 * kGiB + 5000;
    f.app.tx_total = n;
    const uint64_t at = 4 * kGiB - 1 - 1000;
    f.c.resume_send(ms(200), at, at, 60000, 0);
    f.poll(ms(200));
    f.out.take();
    // ACK exactly up to the ISS: 1000 bytes.
    f.rx(ms(210), mk(5001, ClientFixture::kIss, kAck, 60000));
    CHECK(f.app.last(TcpEvent::DataAcked) == 1000u);
    CHECK(f.c.tcb().snd.una == SeqNum(ClientFixture::kIss));
    // ...and past it: 500 more.
    f.rx(ms(220), mk(5001, ClientFixture::kIss + 500, kAck, 60000));
    CHECK(f.app.last(TcpEvent::DataAcked) == 500u);
    CHECK(f.c.tcb().snd_una_off == at + 1500);
}

TEST_CASE("the longest stream, 2^48 - 1 bytes: nothing is sent past it, the window closes there", "[tcp][long]")
{
    ClientFixture f;
    f.open();
    // Sent and acknowledged elsewhere up to 1000 bytes before the end; the app offers more.
    const uint64_t end = Offset48::kMax;
    f.app.tx_total = end + 5000;
    f.c.resume_send(ms(200), end - 1000, end - 1000, 60000, 0);
    f.poll(ms(200));
    uint64_t sent_to = 0;
    for (const auto& s : f.out.take())
        sent_to = std::max<uint64_t>(sent_to, s.payload_offset + s.seg.payload_len);
    CHECK(sent_to == end);  // the last 1000 bytes, none beyond

    // The receive window: what is left of the stream once that is below the configured window.
    Tcb t = f.c.tcb();
    t.rcv_nxt_off = end - 300;
    CHECK(t.rcv_wnd() == 300u >> t.rcv.wscale << t.rcv.wscale);
    t.rcv_nxt_off = end;
    CHECK(t.rcv_wnd() == 0u);
}
