// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Connection::resume_send: the send side taken back after another data path
// (`xdpgen tcp`'s live-frames sender) sent part of the stream.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

TEST_CASE("resume after a stream sent and acknowledged elsewhere: the FIN follows it", "[tcp][resume]")
{
    ClientFixture f;
    f.open();
    // 5 GB went out elsewhere: the offsets pass 2^32, sequence numbers wrap.
    const uint64_t n = 5'000'000'000ull;
    f.app.tx_total = n;
    f.c.resume_send(ms(200), n, n, 30000, 0);
    EXPECT_NONE(f.out);
    CHECK(f.deadline() == kNever);
    f.c.close(ms(200), f.app, f.out);
    const uint32_t fin_seq = ClientFixture::kIss + 1 + static_cast<uint32_t>(n);
    EXPECT_SEGS(f.out, Exp{kFin | kAck, fin_seq, 5001, 64000});
    CHECK(f.c.state() == TcpState::FinWait1);
    // The peer's ACK of the FIN (and its own FIN) close the connection.
    f.rx(ms(250), mk(5001, fin_seq + 1, kFin | kAck, 60000));
    EXPECT_SEGS(f.out, Exp{kAck, fin_seq + 1, 5002, 64000});
    CHECK(f.c.state() == TcpState::TimeWait);
    CHECK(f.app.count(TcpEvent::DataAcked) == 0);  // acknowledged while elsewhere, counted there
}

TEST_CASE("resume with bytes in flight: the connection resends them from una, then the rest", "[tcp][resume]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 10000;
    // Acknowledged up to 4000, sent up to 6000; the peer's window 8000.
    f.c.resume_send(ms(200), 4000, 6000, 8000, 0);
    EXPECT_NONE(f.out);
    CHECK(f.deadline() == ms(200) + f.c.rto());
    // An ACK for 5000 arrives: new data may go as far as the window allows.
    f.rx(ms(210), mk(5001, 1001 + 5000, kAck, 8000));
    auto segs = f.out.take();
    REQUIRE(!segs.empty());
    CHECK(segs.front().seg.seq.raw() == 1001 + 6000);
    CHECK(segs.front().payload_offset == 6000);
    CHECK(f.app.last(TcpEvent::DataAcked) == 1000u);
    // The retransmission timer resends from una (5000) with the same bytes' offsets.
    f.poll(ms(210) + f.c.rto() + ms(1));
    segs = f.out.take();
    REQUIRE(!segs.empty());
    CHECK(segs.front().seg.seq.raw() == 1001 + 5000);
    CHECK(segs.front().payload_offset == 5000);
    CHECK(segs.front().retransmit);
}

TEST_CASE("resume is ignored outside ESTABLISHED/CLOSE-WAIT or after close", "[tcp][resume]")
{
    ClientFixture f;
    f.open();
    f.c.close(ms(200), f.app, f.out);
    f.out.take();
    f.c.resume_send(ms(210), 100, 100, 1000, 0);
    // The FIN already queued at offset 0 stays where it was.
    f.poll(ms(200) + f.c.rto() + ms(1));
    EXPECT_SEGS(f.out, Exp{kFin | kAck, 1001, 5001, 64000});
}
