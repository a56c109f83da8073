// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Data both ways: segmentation, delayed ACK, the peer's window (scaled),
// zero-window probing, out-of-order data with SACK, sequence wrap.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

TEST_CASE("sending: MSS-sized segments described by stream offset, ACKs restart the RTO", "[tcp][data]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 2500;
    f.poll(ms(200));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1000, 0, false}, Exp{kAck, 2001, 5001, 64000, 1000, 1000, false},
                Exp{kAck | kPsh, 3001, 5001, 64000, 500, 2000, false});
    CHECK(f.deadline() == ms(200) + ms(300));

    // 50 ms for the first segment: SRTT = (7*100 + 50)/8 = 93.75 ms,
    // RTTVAR = (3*50 + |100-50|)/4 = 50 ms, RTO = 93.75 + 200 ms.
    f.rx(ms(250), mk(5001, 2001, kAck, 60000));
    EXPECT_NONE(f.out);
    CHECK(f.app.last(TcpEvent::DataAcked) == 1000u);
    CHECK(f.c.tcb().srtt_us == 93750);
    CHECK(f.c.tcb().rttvar_us == 50000);
    CHECK(f.deadline() == ms(250) + us(293750));

    f.rx(ms(260), mk(5001, 3501, kAck, 60000));
    CHECK(f.app.last(TcpEvent::DataAcked) == 1500u);
    CHECK(f.deadline() == kNever);
    CHECK(f.c.tcb().snd_una_off == 2500);
    // Slow start: IW10 plus min(acked, SMSS) per ACK (RFC 5681 §3.1).
    CHECK(f.c.tcb().cc.cwnd == 10000 + 1000 + 1000);
}

TEST_CASE("receiving: delayed ACK after 40 ms, immediate ACK every second segment", "[tcp][data]")
{
    ClientFixture f;
    f.open();
    f.rx_data(ms(200), 0, 500, 1001);
    EXPECT_NONE(f.out);
    CHECK(f.deadline() == ms(240));
    f.poll(ms(239));
    EXPECT_NONE(f.out);
    f.poll(ms(240));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5501, 64000});
    CHECK(f.deadline() == kNever);

    f.rx_data(ms(300), 500, 1000, 1001);
    EXPECT_NONE(f.out);
    f.rx_data(ms(301), 1500, 1000, 1001);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 7501, 64000});
    CHECK(f.deadline() == kNever);
    CHECK(f.app.rx_bytes == 2500);
    CHECK(f.app.rx_ok);
    CHECK(f.app.rx == std::vector<std::pair<uint64_t, uint64_t>>{{0, 500}, {500, 1000}, {1500, 1000}});

    // A duplicate (already received) is answered at once.
    f.rx_data(ms(400), 500, 1000, 1001);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 7501, 64000});
    CHECK(f.app.rx_bytes == 2500);

    // Data to send rides on the ACK that was due.
    f.rx_data(ms(500), 2500, 100, 1001);
    f.app.tx_total = 10;
    f.poll(ms(501));
    EXPECT_SEGS(f.out, Exp{kAck | kPsh, 1001, 7601, 64000, 10, 0});
    CHECK(!f.c.tcb().delack_at.armed());
}

TEST_CASE("the peer's window limits what is sent, scaled by its shift", "[tcp][data][window]")
{
    ClientFixture f;
    f.cfg.wscale = 0;  // offer scaling (with shift 0) so the peer may scale
    f.c.connect(f.cfg, 0, SeqNum(1000), f.out);
    f.out.take();
    Segment sa = mk(5000, 1001, kSyn | kAck, 65535);
    sa.opt.mss = 1000;
    sa.opt.wscale = 2;
    f.rx(ms(100), sa);
    f.out.take();
    CHECK(f.c.tcb().snd.wscale == 2);

    // Window 500 << 2 = 2000 bytes: two segments, then wait.
    f.rx(ms(150), mk(5001, 1001, kAck, 500));
    f.app.tx_total = 5000;
    f.poll(ms(200));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1000, 0}, Exp{kAck, 2001, 5001, 64000, 1000, 1000});
    // One acknowledged, window 375 << 2 = 1500 from 2001: room for 500
    // only, and with a segment in flight silly-window avoidance waits.
    f.rx(ms(250), mk(5001, 2001, kAck, 375));
    EXPECT_NONE(f.out);
    // Everything acknowledged, window 1500: one full segment; the 500 left
    // of the window waits again behind it.
    f.rx(ms(300), mk(5001, 3001, kAck, 375));
    EXPECT_SEGS(f.out, Exp{kAck, 3001, 5001, 64000, 1000, 2000});
    f.rx(ms(350), mk(5001, 4001, kAck, 1000));
    EXPECT_SEGS(f.out, Exp{kAck, 4001, 5001, 64000, 1000, 3000}, Exp{kAck | kPsh, 5001, 5001, 64000, 1000, 4000});
}

TEST_CASE("zero window: persist probes with backoff until the window opens", "[tcp][data][window]")
{
    ClientFixture f;
    f.open();  // RTO 300 ms
    f.rx(ms(150), mk(5001, 1001, kAck, 0));
    f.app.tx_total = 3000;
    f.poll(ms(200));
    EXPECT_NONE(f.out);
    CHECK(f.c.tcb().timer == TimerKind::Persist);
    CHECK(f.deadline() == ms(500));

    f.poll(ms(499));
    EXPECT_NONE(f.out);
    f.poll(ms(500));  // one octet of new data (RFC 9293 §3.8.6.1)
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1, 0, false});
    CHECK(f.deadline() == ms(500) + ms(600));
    // The peer refuses it: still zero; not a duplicate ACK.
    f.rx(ms(510), mk(5001, 1001, kAck, 0));
    EXPECT_NONE(f.out);
    CHECK(f.c.tcb().cc.dupacks == 0);
    f.poll(ms(1100));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1, 0, true});
    CHECK(f.deadline() == ms(1100) + ms(1200));
    f.rx(ms(1110), mk(5001, 1001, kAck, 0));
    f.poll(ms(2300));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1, 0, true});
    CHECK(f.deadline() == ms(2300) + ms(2400));

    // The window opens: data flows from the first unacknowledged byte, the
    // persist timer gives way to the retransmission timer.
    f.rx(ms(2400), mk(5001, 1001, kAck, 4000));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1000, 0}, Exp{kAck, 2001, 5001, 64000, 1000, 1000},
                Exp{kAck | kPsh, 3001, 5001, 64000, 1000, 2000});
    CHECK(f.c.tcb().timer == TimerKind::Retransmit);
    CHECK(f.deadline() == ms(2400) + ms(300));
}

TEST_CASE("zero window: a probe the peer takes is acknowledged", "[tcp][data][window]")
{
    ClientFixture f;
    f.open();
    f.rx(ms(150), mk(5001, 1001, kAck, 0));
    f.app.tx_total = 3000;
    f.poll(ms(200));
    f.poll(ms(500));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1, 0});
    // It took the byte and opened a little.
    f.rx(ms(510), mk(5001, 1002, kAck, 1500));
    CHECK(f.app.last(TcpEvent::DataAcked) == 1u);
    // 1500 from 1002: one full segment; the 500 left waits for its ACK
    // (silly-window avoidance, RFC 9293 §3.8.6.2.1).
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5001, 64000, 1000, 1});
    CHECK(f.c.tcb().timer == TimerKind::Retransmit);
}

TEST_CASE("out-of-order data: delivered by offset, SACKed, ACK jumps when the hole fills", "[tcp][data][sack]")
{
    ClientFixture f;
    f.cfg.sack = true;
    f.c.connect(f.cfg, 0, SeqNum(1000), f.out);
    TcpOptions so;
    so.mss = 1460;
    so.sack_permitted = true;
    EXPECT_SEGS(f.out, Exp{kSyn, 1000, 0, 64000, 0, 0, false, so});
    Segment sa = mk(5000, 1001, kSyn | kAck, 60000);
    sa.opt.mss = 1000;
    sa.opt.sack_permitted = true;
    f.rx(ms(100), sa);
    f.out.take();
    REQUIRE(f.c.tcb().sack_ok);

    // [1000, 2000) arrives before [0, 1000): immediate ACK with a SACK block.
    f.rx_data(ms(200), 1000, 1000, 1001);
    TcpOptions s1;
    s1.sack_count = 1;
    s1.sack[0] = {SeqNum(6001), SeqNum(7001)};
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 0, 0, false, s1});
    // Another island: the newest block first (RFC 2018 §4).
    f.rx_data(ms(201), 3000, 500, 1001);
    TcpOptions s2;
    s2.sack_count = 2;
    s2.sack[0] = {SeqNum(8001), SeqNum(8501)};
    s2.sack[1] = {SeqNum(6001), SeqNum(7001)};
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 0, 0, false, s2});
    // The first hole fills: cumulative ACK jumps to 7001, at once.
    f.rx_data(ms(202), 0, 1000, 1001);
    TcpOptions s3;
    s3.sack_count = 1;
    s3.sack[0] = {SeqNum(8001), SeqNum(8501)};
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 7001, 64000, 0, 0, false, s3});
    // A retransmission overlapping delivered data delivers only the new
    // part, and the second hole closes.
    f.rx_data(ms(203), 1500, 2000, 1001);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 8501, 64000, 0, 0, false, TcpOptions{}});
    CHECK(f.app.rx == std::vector<std::pair<uint64_t, uint64_t>>{{1000, 1000}, {3000, 500}, {0, 1000}, {2000, 1000}});
    CHECK(f.app.rx_bytes == 3500);
    CHECK(f.app.rx_ok);
    CHECK(f.c.tcb().rcv_nxt_off == 3500);
    CHECK(f.c.ooo_count() == 0);
    CHECK(f.c.tcb().ooo_ref == 0);  // the entry went back to the store
}

TEST_CASE("out-of-order ranges live outside the TCB, held only while holes are open", "[tcp][data][sack]")
{
    const size_t before = ooo_store().in_use();
    ClientFixture a, b;
    a.open();
    b.open();
    CHECK(a.c.tcb().ooo_ref == 0);
    a.rx_data(ms(200), 1000, 1000, 1001);
    b.rx_data(ms(200), 2000, 1000, 1001);
    CHECK(a.c.ooo_count() == 1);
    CHECK(b.c.ooo_count() == 1);
    CHECK(a.c.tcb().ooo_ref != b.c.tcb().ooo_ref);
    CHECK(ooo_store().in_use() == before + 2);
    // A connection that ends with holes open gives its entry back.
    a.c.abort(ms(210), a.out);
    CHECK(a.c.tcb().ooo_ref == 0);
    CHECK(ooo_store().in_use() == before + 1);
    b.rx(ms(220), mk(5001, 0, kRst, 0));
    CHECK(b.c.state() == TcpState::Closed);
    CHECK(ooo_store().in_use() == before);
}

TEST_CASE("out-of-order data is dropped when the app wants the stream in order", "[tcp][data][sack]")
{
    ClientFixture f;
    f.cfg.deliver_out_of_order = false;
    f.open();
    f.rx_data(ms(200), 1000, 1000, 1001);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 0, 0, false, TcpOptions{}});
    CHECK(f.app.rx_bytes == 0);
    f.rx_data(ms(201), 0, 1000, 1001);
    CHECK(f.app.rx_bytes == 1000);
    CHECK(f.c.tcb().rcv.nxt == SeqNum(6001));
}

TEST_CASE("sequence numbers wrap around 2^32 in both directions", "[tcp][data][wrap]")
{
    const uint32_t iss = 0xfffffc00u, irs = 0xfffffe00u;
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, 0, SeqNum(iss), out);
    out.take();
    Segment sa = mk(irs, iss + 1, kSyn | kAck, 60000);
    sa.opt.mss = 1000;
    c.on_segment(ms(100), sa, {}, app, out);
    out.take();

    app.tx_total = 3000;
    c.poll(ms(200), app, out);
    EXPECT_SEGS(out, Exp{kAck, iss + 1, irs + 1, 64000, 1000, 0}, Exp{kAck, iss + 1001, irs + 1, 64000, 1000, 1000},
                Exp{kAck | kPsh, iss + 2001, irs + 1, 64000, 1000, 2000});
    CHECK(iss + 2001 < 0x1000u);  // the last one is past the wrap

    // Peer data across its wrap: 0xfffffe01 + 1500 wraps.
    for (uint32_t i = 0; i < 3; ++i) {
        auto p = pattern(i * 500, 500, app.rx_salt);
        c.on_segment(ms(210 + i), mk(irs + 1 + i * 500, iss + 1 + (i + 1) * 1000, kAck, 60000, 500), p, app, out);
    }
    CHECK(app.rx_bytes == 1500);
    CHECK(app.rx_ok);
    CHECK(c.tcb().rcv.nxt == SeqNum(irs + 1501));
    CHECK(c.tcb().rcv.nxt.raw() < 0x1000u);
    CHECK(c.tcb().snd_una_off == 3000);
    CHECK(c.next_deadline(ms(212)) == ms(212) + ms(40));  // third segment waits for the delayed ACK
    EXPECT_SEGS(out, Exp{kAck, iss + 3001, irs + 1001, 64000});
    c.close(ms(300), app, out);
    EXPECT_SEGS(out, Exp{kFin | kAck, iss + 3001, irs + 1501, 64000});
    c.on_segment(ms(310), mk(irs + 1501, iss + 3002, kFin | kAck, 60000), {}, app, out);
    EXPECT_SEGS(out, Exp{kAck, iss + 3002, irs + 1502, 64000});
    CHECK(c.state() == TcpState::TimeWait);
}

TEST_CASE("PAWS: a segment with an older timestamp is ACKed and dropped (RFC 7323 §5)", "[tcp][data][ts]")
{
    TcpConfig cfg = plain_cfg();
    cfg.timestamps = true;
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, 0, SeqNum(1000), out);
    out.take();
    Segment sa = mk(5000, 1001, kSyn | kAck, 60000);
    sa.opt.mss = 1000;
    sa.opt.has_ts = true;
    sa.opt.ts_val = 100;
    sa.opt.ts_ecr = 1000;
    c.on_segment(ms(10), sa, {}, app, out);
    out.take();
    REQUIRE(c.tcb().ts_ok);

    auto data = [&](uint64_t t, uint32_t off, uint32_t tsval) {
        Segment s = mk(5001 + off, 1001, kAck, 60000, 100);
        s.opt.has_ts = true;
        s.opt.ts_val = tsval;
        s.opt.ts_ecr = 1000;
        auto p = pattern(off, 100, app.rx_salt);
        c.on_segment(t, s, p, app, out);
    };
    data(ms(20), 0, 120);
    CHECK(c.tcb().rcv.ts_recent == 120);
    CHECK(app.rx_bytes == 100);
    // An old duplicate from an earlier wrap would carry an older TSval.
    data(ms(21), 100, 110);
    TcpOptions o;
    o.has_ts = true;
    o.ts_val = 21 + 1000;
    o.ts_ecr = 120;
    EXPECT_SEGS(out, Exp{kAck, 1001, 5101, 64000, 0, 0, false, o});
    CHECK(app.rx_bytes == 100);
    data(ms(22), 100, 130);
    CHECK(app.rx_bytes == 200);
    CHECK(c.tcb().rcv.ts_recent == 130);
}
