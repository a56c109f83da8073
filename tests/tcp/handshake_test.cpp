// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Opening: active open with and without options, passive open, simultaneous
// open, SYN-SENT's checks (RFC 9293 §3.10.7.3) and LISTEN's (§3.10.7.2).

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

TEST_CASE("active open negotiates MSS, window scale, SACK and timestamps", "[tcp][open]")
{
    TcpConfig cfg;  // defaults: offers everything, 256 KiB window, wscale 7
    cfg.ts_offset = 1000;  // TSval = 1 ms clock + offset
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, ms(5), SeqNum(1000), out);
    TcpOptions syn_opt;
    syn_opt.mss = 1460;
    syn_opt.wscale = 7;
    syn_opt.sack_permitted = true;
    syn_opt.has_ts = true;
    syn_opt.ts_val = 5 + 1000;  // 1 ms clock plus the configured offset
    syn_opt.ts_ecr = 0;
    EXPECT_SEGS(out, Exp{kSyn, 1000, 0, 65535, 0, 0, false, syn_opt});
    CHECK(c.state() == TcpState::SynSent);
    CHECK(c.next_deadline(ms(5)) == ms(5) + sec(1));  // RFC 6298 §2.1: 1 s

    Segment sa = mk(5000, 1001, kSyn | kAck, 29200);
    sa.opt.mss = 1400;
    sa.opt.wscale = 9;
    sa.opt.sack_permitted = true;
    sa.opt.has_ts = true;
    sa.opt.ts_val = 777;
    sa.opt.ts_ecr = 1005;
    c.on_segment(ms(25), sa, {}, app, out);

    TcpOptions ack_opt;
    ack_opt.has_ts = true;
    ack_opt.ts_val = 25 + 1000;
    ack_opt.ts_ecr = 777;
    // 256 KiB >> 7 = 2048.
    EXPECT_SEGS(out, Exp{kAck, 1001, 5001, 2048, 0, 0, false, ack_opt});
    CHECK(c.state() == TcpState::Established);
    REQUIRE(app.last(TcpEvent::Established));
    CHECK(*app.last(TcpEvent::Established) == ms(20));
    const Tcb& t = c.tcb();
    CHECK(t.snd.mss == 1400);
    CHECK(t.snd.wscale == 9);
    CHECK(t.rcv.wscale == 7);
    CHECK(t.rcv_wnd() == 256 * 1024);
    CHECK(t.snd.wnd == 29200);  // a SYN's window is not scaled (RFC 7323 §2.2)
    CHECK(t.ts_ok);
    CHECK(t.sack_ok);
    CHECK(t.rcv.ts_recent == 777);
    // RTT 20 ms from the echoed timestamp: SRTT 20 ms, RTTVAR 10 ms, RTO
    // 20 + 4*10 = 60 ms, raised to the 200 ms floor.
    CHECK(t.srtt_us == 20000);
    CHECK(t.rttvar_us == 10000);
    CHECK(c.rto() == ms(200));
    CHECK(c.next_deadline(ms(20)) == kNever);

    // Data segments carry timestamps, which come out of the MSS (RFC 6691).
    app.tx_total = 3000;
    c.poll(ms(30), app, out);
    ack_opt.ts_val = 30 + 1000;
    EXPECT_SEGS(out, Exp{kAck, 1001, 5001, 2048, 1388, 0, false, ack_opt},
                Exp{kAck, 2389, 5001, 2048, 1388, 1388, false, ack_opt},
                Exp{kAck | kPsh, 3777, 5001, 2048, 224, 2776, false, ack_opt});
}

TEST_CASE("active open with a peer that offers no options", "[tcp][open]")
{
    TcpConfig cfg;  // we offer everything
    cfg.ts_offset = 1000;
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, 0, SeqNum(1000), out);
    out.take();
    c.on_segment(ms(50), mk(5000, 1001, kSyn | kAck, 8192), {}, app, out);
    // No scaling, no timestamps: the window is what fits in 16 bits.
    EXPECT_SEGS(out, Exp{kAck, 1001, 5001, 65535, 0, 0, false, TcpOptions{}});
    const Tcb& t = c.tcb();
    CHECK_FALSE(t.ws_ok);
    CHECK_FALSE(t.ts_ok);
    CHECK_FALSE(t.sack_ok);
    CHECK(t.snd.mss == 536);  // RFC 9293 §3.7.1 default
    CHECK(t.rcv_wnd() == 65535);
    // Karn timing of the SYN: 50 ms.
    CHECK(t.srtt_us == 50000);
    app.tx_total = 1000;
    c.poll(ms(60), app, out);
    EXPECT_SEGS(out, Exp{kAck, 1001, 5001, 65535, 536, 0}, Exp{kAck | kPsh, 1537, 5001, 65535, 464, 536});
}

TEST_CASE("passive open answers a SYN with only the options offered", "[tcp][open]")
{
    TcpConfig cfg;
    cfg.ts_offset = 3000;
    Connection c;
    Sink out;
    App app;

    // LISTEN takes only a plain SYN; an ACK there is answered by a RST.
    CHECK_FALSE(c.accept(cfg, mk(7000, 1, kAck, 100), 0, SeqNum(3000), out));
    CHECK_FALSE(c.accept(cfg, mk(7000, 1, kSyn | kRst, 100), 0, SeqNum(3000), out));
    Segment rst;
    REQUIRE(tcp_reset_for(mk(7000, 1234, kAck, 100), rst));
    CHECK(rst.flags == kRst);
    CHECK(rst.seq == SeqNum(1234));
    CHECK(rst.src_port == 40000);
    REQUIRE(tcp_reset_for(mk(7000, 0, kSyn, 100, 10), rst));
    CHECK(rst.flags == (kRst | kAck));
    CHECK(rst.seq == SeqNum(0));
    CHECK(rst.ack == SeqNum(7011));  // SEG.SEQ + SEG.LEN, the SYN counted
    CHECK_FALSE(tcp_reset_for(mk(7000, 0, kRst, 0), rst));
    EXPECT_NONE(out);

    Segment syn = mk(7000, 0, kSyn, 65535);
    syn.opt.mss = 1200;
    syn.opt.wscale = 2;
    syn.opt.has_ts = true;
    syn.opt.ts_val = 50;
    REQUIRE(c.accept(cfg, syn, 0, SeqNum(3000), out));
    TcpOptions sa;
    sa.mss = 1460;
    sa.wscale = 7;
    sa.sack_permitted = false;  // the peer did not offer it
    sa.has_ts = true;
    sa.ts_val = 3000;
    sa.ts_ecr = 50;
    EXPECT_SEGS(out, Exp{kSyn | kAck, 3000, 7001, 65535, 0, 0, false, sa});
    CHECK(c.state() == TcpState::SynReceived);
    CHECK(c.tcb().snd.mss == 1200);

    // The peer's SYN again (our SYN-ACK lost): the SYN-ACK again, echoing
    // the new SYN's timestamp (RFC 7323 §4.3: its SEQ is at Last.ACK.sent),
    // so the peer's RTT sample is this exchange, not the SYN's timeout.
    syn.opt.ts_val = 1050;
    c.on_segment(ms(3), syn, {}, app, out);
    sa.ts_val = 3003;
    sa.ts_ecr = 1050;
    EXPECT_SEGS(out, Exp{kSyn | kAck, 3000, 7001, 65535, 0, 0, true, sa});
    // An older copy of the first SYN arriving late does not take it back.
    syn.opt.ts_val = 50;
    c.on_segment(ms(4), syn, {}, app, out);
    sa.ts_val = 3004;
    EXPECT_SEGS(out, Exp{kSyn | kAck, 3000, 7001, 65535, 0, 0, true, sa});

    Segment ack = mk(7001, 3001, kAck, 1000);
    ack.opt.has_ts = true;
    ack.opt.ts_val = 1060;
    ack.opt.ts_ecr = 3000;
    c.on_segment(ms(10), ack, {}, app, out);
    EXPECT_NONE(out);
    CHECK(c.state() == TcpState::Established);
    CHECK(*app.last(TcpEvent::Established) == ms(10));
    CHECK(c.tcb().snd.wnd == 4000);  // 1000 << 2
    CHECK(c.next_deadline(ms(10)) == kNever);
}

TEST_CASE("SYN-RECEIVED answers an ACK of something never sent with a RST", "[tcp][open]")
{
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    REQUIRE(c.accept(cfg, mk(7000, 0, kSyn, 65535), 0, SeqNum(3000), out));
    out.take();
    c.on_segment(ms(1), mk(7001, 4000, kAck, 1000), {}, app, out);
    EXPECT_SEGS(out, Exp{kRst, 4000});
    CHECK(c.state() == TcpState::SynReceived);
    // A RST at rcv.nxt ends a passively opened connection.
    c.on_segment(ms(2), mk(7001, 0, kRst, 0), {}, app, out);
    EXPECT_NONE(out);
    CHECK(c.state() == TcpState::Closed);
    CHECK(app.count(TcpEvent::Reset) == 1);
}

TEST_CASE("simultaneous open goes through SYN-RECEIVED", "[tcp][open]")
{
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, 0, SeqNum(1000), out);
    out.take();
    Segment syn = mk(5000, 0, kSyn, 30000);
    syn.opt.mss = 1000;
    c.on_segment(ms(10), syn, {}, app, out);
    CHECK(c.state() == TcpState::SynReceived);
    TcpOptions o;
    o.mss = 1460;
    EXPECT_SEGS(out, Exp{kSyn | kAck, 1000, 5001, 64000, 0, 0, true, o});
    // The peer's SYN-ACK acknowledges our SYN.
    c.on_segment(ms(20), mk(5000, 1001, kSyn | kAck, 30000), {}, app, out);
    // A SYN-ACK with seq = IRS is outside the window now: plain ACK, then the ACK completes.
    EXPECT_SEGS(out, Exp{kAck, 1001, 5001, 64000});
    c.on_segment(ms(21), mk(5001, 1001, kAck, 30000), {}, app, out);
    CHECK(c.state() == TcpState::Established);
    CHECK(app.count(TcpEvent::Established) == 1);
    EXPECT_NONE(out);
}

TEST_CASE("SYN-SENT: bad ACK gets a RST, RST with our ACK is refused", "[tcp][open][rst]")
{
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    c.connect(cfg, 0, SeqNum(1000), out);
    out.take();
    // ACK outside (ISS, SND.NXT]: <SEQ=SEG.ACK><CTL=RST>.
    c.on_segment(ms(1), mk(5000, 999, kSyn | kAck, 100), {}, app, out);
    EXPECT_SEGS(out, Exp{kRst, 999});
    // A RST without ACK is dropped, one with a bad ACK too.
    c.on_segment(ms(2), mk(0, 0, kRst, 0), {}, app, out);
    c.on_segment(ms(2), mk(0, 5, kRst | kAck, 0), {}, app, out);
    EXPECT_NONE(out);
    CHECK(c.state() == TcpState::SynSent);
    // A closed port: RST,ACK acknowledging the SYN.
    c.on_segment(ms(3), mk(0, 1001, kRst | kAck, 0), {}, app, out);
    EXPECT_NONE(out);
    CHECK(c.state() == TcpState::Closed);
    CHECK(app.count(TcpEvent::Refused) == 1);
    CHECK(c.next_deadline(ms(3)) == kNever);
}
