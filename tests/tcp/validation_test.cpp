// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Values a hostile or broken peer controls: an echoed timestamp we never
// sent, an acknowledgment far behind snd.una (RFC 5961 §5).

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

namespace {

// Established with timestamps at t=100 ms (RTT 100 ms from the SYN's
// echoed TSval, so RTO 300 ms), TSval clock = ms + 1000.
void open_ts(ClientFixture& f)
{
    f.cfg.timestamps = true;
    f.c.connect(f.cfg, 0, SeqNum(ClientFixture::kIss), f.out);
    Segment sa = mk(ClientFixture::kIrs, ClientFixture::kIss + 1, kSyn | kAck, 60000);
    sa.opt.mss = 1000;
    sa.opt.has_ts = true;
    sa.opt.ts_val = 50;
    sa.opt.ts_ecr = 1000;  // our SYN's TSval
    f.rx(ms(100), sa);
    f.out.take();
    REQUIRE(f.c.state() == TcpState::Established);
    REQUIRE(f.c.rto() == ms(300));
}

Segment ack_ts(uint32_t ack, uint32_t ts_val, uint32_t ts_ecr)
{
    Segment s = mk(ClientFixture::kIrs + 1, ack, kAck, 60000);
    s.opt.has_ts = true;
    s.opt.ts_val = ts_val;
    s.opt.ts_ecr = ts_ecr;
    return s;
}

}  // namespace

TEST_CASE("an echoed timestamp from the future gives no RTT sample", "[tcp][hostile]")
{
    ClientFixture f;
    open_ts(f);
    f.app.tx_total = 1000;
    f.poll(ms(200));
    f.out.take();
    // TSecr 1,000,000 ms ahead of our clock: (now - TSecr) is negative.
    f.rx(ms(210), ack_ts(ClientFixture::kIss + 1 + 1000, 60, 1000 + 210 + 1'000'000));
    CHECK(f.app.last(TcpEvent::DataAcked) == 1000u);
    CHECK(f.c.tcb().srtt_us == 100'000);
    CHECK(f.c.rto() == ms(300));
}

TEST_CASE("an echoed timestamp older than the longest RTO gives no RTT sample", "[tcp][hostile]")
{
    ClientFixture f;
    f.cfg.rto_max = sec(60);
    open_ts(f);
    f.app.tx_total = 1000;
    f.poll(sec(100));
    f.out.take();
    // TSecr 1000 = our SYN's: 100 s ago, beyond the 60 s bound.
    f.rx(sec(100) + ms(10), ack_ts(ClientFixture::kIss + 1 + 1000, 60, 1000));
    CHECK(f.c.tcb().srtt_us == 100'000);
    // A true echo is still taken: 10 ms.
    f.app.tx_total = 2000;
    f.poll(sec(100) + ms(20));
    f.out.take();
    f.rx(sec(100) + ms(30), ack_ts(ClientFixture::kIss + 1 + 2000, 61, 1000 + 100'020));
    CHECK(f.c.tcb().srtt_us < 100'000);
}

TEST_CASE("an ACK far behind snd.una is answered with an ACK and its segment dropped", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();  // no window scaling: the bound is 65535 behind snd.una
    f.app.tx_total = 100'000;
    // Move snd.una 100,000 bytes on.
    for (uint64_t t = ms(200), sent = 0, i = 0; sent < 100'000 && i < 1000; t += ms(10), ++i) {
        f.poll(t);
        for (const OutSegment& o : f.out.take())
            sent = std::max<uint64_t>(sent, o.payload_offset + o.seg.payload_len);
        f.rx(t + ms(1), mk(5001, ClientFixture::kIss + 1 + static_cast<uint32_t>(sent), kAck, 60000));
    }
    f.out.take();
    REQUIRE(f.c.tcb().snd_una_off == 100'000);
    // Data whose ACK field is 70,000 behind: not taken (RFC 5961 §5.2).
    f.rx_data(sec(5), 0, 100, ClientFixture::kIss + 1 + 30'000);
    CHECK(f.app.rx_bytes == 0);
    EXPECT_SEGS(f.out, Exp{kAck, ClientFixture::kIss + 1 + 100'000, 5001, 64000});
    // 60,000 behind is within the bound: an old duplicate, the data is taken.
    f.rx_data(sec(6), 0, 100, ClientFixture::kIss + 1 + 40'000);
    CHECK(f.app.rx_bytes == 100);
}

TEST_CASE("a second FIN after the peer's FIN is not taken", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();
    f.rx(ms(200), mk(5001, 1001, kFin | kAck, 60000));
    REQUIRE(f.c.state() == TcpState::CloseWait);
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5002, 64000});
    // SEQ = rcv.nxt, one past the FIN already taken: no such FIN can exist.
    f.rx(ms(210), mk(5002, 1001, kFin | kAck, 60000));
    CHECK(f.app.count(TcpEvent::PeerFin) == 1);
    CHECK(f.c.tcb().rcv.nxt == SeqNum(5002));
    CHECK(f.c.state() == TcpState::CloseWait);
    // In TIME-WAIT it would restart the 2 MSL wait without end.
    f.c.close(ms(220), f.app, f.out);
    f.rx(ms(230), mk(5002, 1002, kAck, 60000));
    REQUIRE(f.c.state() == TcpState::Closed);
}

TEST_CASE("TIME-WAIT: a FIN at rcv.nxt does not restart the wait", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(250), mk(5001, 1002, kFin | kAck, 60000));
    REQUIRE(f.c.state() == TcpState::TimeWait);
    const uint64_t deadline = f.deadline();
    f.out.take();
    f.rx(ms(900), mk(5002, 1002, kFin | kAck, 60000));
    CHECK(f.deadline() == deadline);
    CHECK(f.app.count(TcpEvent::PeerFin) == 1);
}

TEST_CASE("an ACK exactly 2^31 ahead of snd.max is too new: ACKed and dropped", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 0;
    f.rx(ms(200), mk(5001, ClientFixture::kIss + 1 + 0x80000000u, kAck, 60000));
    CHECK(f.c.tcb().snd.una == SeqNum(ClientFixture::kIss + 1));
    CHECK(f.c.tcb().snd_una_off == 0);
    CHECK(f.app.count(TcpEvent::DataAcked) == 0);
    EXPECT_SEGS(f.out, Exp{kAck, ClientFixture::kIss + 1, 5001, 64000});
}

TEST_CASE("ACKs answering unacceptable pure ACKs and SYNs: one per ~0.5 s (no ACK war)", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(250), mk(5001, 1002, kFin | kAck, 60000));
    REQUIRE(f.c.state() == TcpState::TimeWait);
    f.out.take();
    // A SYN-ACK of another incarnation, again and again (as a peer in
    // SYN-RECEIVED answering each of our ACKs): one ACK, then silence.
    size_t acks = 0;
    for (uint64_t t = ms(300); t < ms(700); t += ms(1)) {
        f.rx(t, mk(90000, 777, kSyn | kAck, 60000));
        acks += f.out.take().size();
    }
    CHECK(acks == 1);
    // Past the limit, one more.
    f.rx(ms(900), mk(90000, 777, kSyn | kAck, 60000));
    CHECK(f.out.take().size() == 1);
    // A retransmitted FIN is always answered: its ACK may have been lost.
    f.rx(ms(901), mk(5001, 1002, kFin | kAck, 60000));
    CHECK(f.out.take().size() == 1);
    f.rx(ms(902), mk(5001, 1002, kFin | kAck, 60000));
    CHECK(f.out.take().size() == 1);
}

TEST_CASE("duplicate data is always answered, whatever the rate", "[tcp][hostile]")
{
    ClientFixture f;
    f.open();
    f.rx_data(ms(200), 0, 100, 1001);
    f.poll(ms(300));
    f.out.take();
    for (int i = 0; i < 5; i++) {
        f.rx_data(ms(301 + i), 0, 100, 1001);  // already received: unacceptable, answered
        CHECK(f.out.take().size() == 1);
    }
}
