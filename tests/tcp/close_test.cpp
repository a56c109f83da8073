// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Every close path (RFC 9293 §3.6) and the RST/SYN acceptance rules of
// RFC 5961 in synchronized states.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

TEST_CASE("active close: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    CHECK(f.c.state() == TcpState::FinWait1);
    EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5001, 64000});
    CHECK(f.deadline() == ms(500));

    f.rx(ms(250), mk(5001, 1002, kAck, 60000));
    EXPECT_NONE(f.out);
    CHECK(f.c.state() == TcpState::FinWait2);
    CHECK(f.deadline() == ms(250) + f.cfg.fin_wait2_timeout);

    f.rx(ms(300), mk(5001, 1002, kFin | kAck, 60000));
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5002, 64000});
    CHECK(f.c.state() == TcpState::TimeWait);
    CHECK(f.app.count(TcpEvent::PeerFin) == 1);
    CHECK(f.deadline() == ms(300) + sec(2));

    // The peer's FIN again (our ACK lost): ACK it, restart the 2 MSL wait.
    f.rx(ms(1000), mk(5001, 1002, kFin | kAck, 60000));
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5002, 64000});
    CHECK(f.deadline() == ms(1000) + sec(2));

    f.poll(ms(2999));
    CHECK(f.c.state() == TcpState::TimeWait);
    f.poll(ms(3000));
    EXPECT_NONE(f.out);
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.app.count(TcpEvent::Closed) == 1);
    CHECK(f.deadline() == kNever);
}

TEST_CASE("close after queued data: FIN rides on the last segment", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 2500;
    f.c.close(ms(200), f.app, f.out);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1000, 0}, Exp{kAck, 2001, 5001, 64000, 1000, 1000},
                Exp{kFin | kPsh | kAck, 3001, 5001, 64000, 500, 2000});
    // Bytes the app offers after close() are not part of the stream.
    f.app.tx_total = 9000;
    // The peer acknowledges the data and the FIN in one go, and closes too.
    f.rx(ms(300), mk(5001, 3502, kFin | kAck, 60000));
    CHECK(f.app.last(TcpEvent::DataAcked) == 2500u);  // the FIN is not data
    EXPECT_SEGS(f.out, Exp{kAck, 3502, 5002, 64000});
    CHECK(f.c.state() == TcpState::TimeWait);
}

TEST_CASE("FIN-WAIT-2 gives up when the peer never closes", "[tcp][close]")
{
    ClientFixture f;
    f.cfg.fin_wait2_timeout = sec(5);
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(250), mk(5001, 1002, kAck, 60000));
    f.out.take();
    // Data from the peer is still taken in FIN-WAIT-2.
    f.rx_data(ms(260), 0, 100, 1002);
    CHECK(f.app.rx_bytes == 100);
    f.poll(ms(250) + sec(5));
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.app.count(TcpEvent::Timeout) == 1);
}

TEST_CASE("passive close: CLOSE-WAIT -> LAST-ACK -> CLOSED", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.rx_data(ms(200), 0, 300, 1001, 60000, kFin);
    // FIN is acknowledged at once, with the data.
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5302, 64000});
    CHECK(f.c.state() == TcpState::CloseWait);
    CHECK(f.app.last(TcpEvent::PeerFin) == 300u);

    // The app may still send in CLOSE-WAIT.
    f.app.tx_total = 100;
    f.poll(ms(210));
    EXPECT_SEGS(f.out, Exp{kAck | kPsh, 1001, 5302, 64000, 100, 0});
    f.c.close(ms(220), f.app, f.out);
    EXPECT_SEGS(f.out, Exp{kFin | kAck, 1101, 5302, 64000});
    CHECK(f.c.state() == TcpState::LastAck);
    f.rx(ms(300), mk(5302, 1101, kAck, 60000));  // acks the data only
    CHECK(f.c.state() == TcpState::LastAck);
    f.rx(ms(301), mk(5302, 1102, kAck, 60000));
    EXPECT_NONE(f.out);
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.app.count(TcpEvent::Closed) == 1);
}

TEST_CASE("an app that closes at the peer's FIN sends its FIN with the ACK", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    SECTION("closing: one FIN|ACK, LAST-ACK")
    {
        f.app.close_at_peer_fin = true;
        f.rx_data(ms(200), 0, 300, 1001, 60000, kFin);
        EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5302, 64000});
        CHECK(f.c.state() == TcpState::LastAck);
        CHECK(f.app.close_asks == 1);
        f.rx(ms(210), mk(5302, 1002, kAck, 60000));
        CHECK(f.c.state() == TcpState::Closed);
        CHECK(f.app.count(TcpEvent::Closed) == 1);
    }
    SECTION("not closing: the ACK alone, CLOSE-WAIT")
    {
        f.rx_data(ms(200), 0, 300, 1001, 60000, kFin);
        EXPECT_SEGS(f.out, Exp{kAck, 1001, 5302, 64000});
        CHECK(f.c.state() == TcpState::CloseWait);
        CHECK(f.app.close_asks == 1);
    }
    SECTION("not asked after our own close (FIN-WAIT)")
    {
        f.app.close_at_peer_fin = true;
        f.c.close(ms(190), f.app, f.out);
        f.out.take();
        f.rx(ms(200), mk(5001, 1002, kFin | kAck, 60000));
        CHECK(f.app.close_asks == 0);
        CHECK(f.c.state() == TcpState::TimeWait);
    }
}

TEST_CASE("LAST-ACK retransmits its FIN on timeout", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.rx(ms(200), mk(5001, 1001, kFin | kAck, 60000));
    f.c.close(ms(201), f.app, f.out);
    f.out.take();
    CHECK(f.deadline() == ms(501));
    f.poll(ms(501));
    EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5002, 64000, 0, 0, true});
    CHECK(f.deadline() == ms(501) + ms(600));
}

TEST_CASE("RST in LAST-ACK: a close when only our FIN was outstanding, else a reset", "[tcp][close][rst]")
{
    ClientFixture f;
    f.open();
    f.rx(ms(200), mk(5001, 1001, kFin | kAck, 60000));
    SECTION("only the FIN unacknowledged: the peer had everything (its TIME-WAIT ended before our retransmission)")
    {
        f.c.close(ms(201), f.app, f.out);
        f.out.take();
        f.poll(ms(501));
        EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5002, 64000, 0, 0, true});
        f.rx(ms(502), mk(5002, 0, kRst, 0));
        EXPECT_NONE(f.out);
        CHECK(f.c.state() == TcpState::Closed);
        CHECK(f.app.count(TcpEvent::Closed) == 1);
        CHECK(f.app.count(TcpEvent::Reset) == 0);
    }
    SECTION("data unacknowledged too: a reset")
    {
        f.app.tx_total = 100;
        f.c.close(ms(201), f.app, f.out);
        f.out.take();
        REQUIRE(f.c.state() == TcpState::LastAck);
        f.rx(ms(210), mk(5002, 0, kRst, 0));
        CHECK(f.c.state() == TcpState::Closed);
        CHECK(f.app.count(TcpEvent::Reset) == 1);
        CHECK(f.app.count(TcpEvent::Closed) == 0);
    }
}

TEST_CASE("RST in CLOSING with only our FIN outstanding closes", "[tcp][close][rst]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(210), mk(5001, 1001, kFin | kAck, 60000));
    f.out.take();
    REQUIRE(f.c.state() == TcpState::Closing);
    f.rx(ms(220), mk(5002, 0, kRst, 0));
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.app.count(TcpEvent::Closed) == 1);
    CHECK(f.app.count(TcpEvent::Reset) == 0);
}

TEST_CASE("simultaneous close goes through CLOSING", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5001, 64000});
    // The peer's FIN crosses ours: it does not acknowledge our FIN.
    f.rx(ms(210), mk(5001, 1001, kFin | kAck, 60000));
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5002, 64000});
    CHECK(f.c.state() == TcpState::Closing);
    f.rx(ms(220), mk(5002, 1002, kAck, 60000));
    EXPECT_NONE(f.out);
    CHECK(f.c.state() == TcpState::TimeWait);
    CHECK(f.deadline() == ms(220) + sec(2));
    f.poll(ms(2220));
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.app.count(TcpEvent::Closed) == 1);
}

TEST_CASE("RST acceptance in a synchronized state (RFC 5961 §3.2)", "[tcp][rst]")
{
    ClientFixture f;
    f.open();

    SECTION("RST exactly at rcv.nxt resets")
    {
        f.rx(ms(200), mk(5001, 0, kRst, 0));
        EXPECT_NONE(f.out);
        CHECK(f.c.state() == TcpState::Closed);
        CHECK(f.app.count(TcpEvent::Reset) == 1);
    }
    SECTION("RST outside the window is ignored")
    {
        f.rx(ms(200), mk(5001 + 64000, 0, kRst, 0));
        f.rx(ms(200), mk(5000, 0, kRst, 0));
        EXPECT_NONE(f.out);
        CHECK(f.c.state() == TcpState::Established);
    }
    SECTION("RST in the window but not at rcv.nxt gets a challenge ACK")
    {
        f.rx(ms(200), mk(5001 + 100, 0, kRst, 0));
        EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000});
        CHECK(f.c.state() == TcpState::Established);
        CHECK(f.app.events.empty());
    }
    SECTION("SYN in a synchronized state gets a challenge ACK (RFC 5961 §4)")
    {
        f.rx(ms(200), mk(9999, 0, kSyn, 1000));
        // A second one within ~0.5 s is not answered (RFC 5961 §7 rate limit).
        f.rx(ms(201), mk(5001, 0, kSyn, 1000));
        EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000});
        f.rx(ms(800), mk(5001, 0, kSyn, 1000));
        EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000});
        CHECK(f.c.state() == TcpState::Established);
    }
    SECTION("an ACK for data never sent is answered and dropped")
    {
        f.rx_data(ms(200), 0, 100, 5000);
        EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000});
        CHECK(f.app.rx_bytes == 0);
    }
    SECTION("RST in FIN-WAIT-2 and in TIME-WAIT")
    {
        f.c.close(ms(200), f.app, f.out);
        f.rx(ms(210), mk(5001, 1002, kAck, 60000));
        REQUIRE(f.c.state() == TcpState::FinWait2);
        f.out.take();
        SECTION("FIN-WAIT-2: reset")
        {
            f.rx(ms(220), mk(5001, 0, kRst, 0));
            CHECK(f.c.state() == TcpState::Closed);
            CHECK(f.app.count(TcpEvent::Reset) == 1);
        }
        SECTION("TIME-WAIT: closed early, counted as a normal close")
        {
            f.rx(ms(220), mk(5001, 1002, kFin | kAck, 60000));
            f.rx(ms(230), mk(5002, 0, kRst, 0));
            CHECK(f.c.state() == TcpState::Closed);
            CHECK(f.app.count(TcpEvent::Closed) == 1);
            CHECK(f.app.count(TcpEvent::Reset) == 0);
        }
    }
}

TEST_CASE("abort sends a RST at snd.nxt and forgets the connection", "[tcp][rst]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 500;
    f.poll(ms(200));
    f.out.take();
    f.c.abort(ms(210), f.out);
    EXPECT_SEGS(f.out, Exp{kRst, 1501});
    CHECK(f.c.state() == TcpState::Closed);
    CHECK(f.deadline() == kNever);
    f.poll(ms(10000));
    EXPECT_NONE(f.out);
}

TEST_CASE("a full sink defers output without losing it", "[tcp][data]")
{
    ClientFixture f;
    f.open();
    f.rx_data(ms(200), 0, 100, 1001);
    f.rx_data(ms(201), 100, 100, 1001);  // wants an ACK now
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5201, 64000});
    f.out.full = true;
    f.rx_data(ms(202), 200, 100, 1001);
    f.rx_data(ms(203), 300, 100, 1001);
    f.app.tx_total = 100;
    f.poll(ms(204));
    CHECK(f.out.v.empty());
    CHECK(f.c.tcb().ack_now);
    CHECK(f.deadline() == ms(204) + us(1));  // asks to be polled again at once: the next µs
    f.out.full = false;
    f.poll(ms(205));
    EXPECT_SEGS(f.out, Exp{kAck | kPsh, 1001, 5401, 64000, 100, 0});
    CHECK(f.deadline() == ms(205) + ms(300));
}

TEST_CASE("a refused SYN is tried again at the next poll", "[tcp][open]")
{
    TcpConfig cfg = plain_cfg();
    Connection c;
    Sink out;
    App app;
    out.full = true;
    c.connect(cfg, 0, SeqNum(1000), out);
    // Deadlines are kept in whole microseconds: "now + 1 ns" is the next one.
    CHECK(c.next_deadline(0) == us(1));
    out.full = false;
    c.poll(us(1), app, out);
    EXPECT_SEGS(out, Exp{kSyn, 1000, 0, 64000, 0, 0, false});
    CHECK(c.next_deadline(us(1)) == us(1) + sec(1));
}

TEST_CASE("TIME-WAIT answers an old segment with an ACK", "[tcp][close]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(210), mk(5001, 1002, kFin | kAck, 60000));
    f.out.take();
    REQUIRE(f.c.state() == TcpState::TimeWait);
    f.rx_data(ms(220), 0, 1, 1002);  // wholly before rcv.nxt: not acceptable
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5002, 64000});
    CHECK(f.deadline() == ms(210) + sec(2));  // only a FIN restarts the wait
    CHECK(f.app.rx_bytes == 0);
}
