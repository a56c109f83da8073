// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A SYN for a 4-tuple held in TIME-WAIT (RFC 6191, decided as Linux's
// tcp_timewait_state_process does): a new connection when it cannot belong
// to the old one, a challenge ACK otherwise.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

namespace {

// Our side closed first and holds TIME-WAIT; the peer's stream ended at
// 5001 (rcv.nxt 5002). With timestamps, the peer's last TSval was 700.
void to_time_wait(ClientFixture& f, bool timestamps)
{
    f.cfg.timestamps = timestamps;
    f.c.connect(f.cfg, 0, SeqNum(ClientFixture::kIss), f.out);
    Segment sa = mk(ClientFixture::kIrs, ClientFixture::kIss + 1, kSyn | kAck, 60000);
    sa.opt.mss = 1000;
    sa.opt.has_ts = timestamps;
    sa.opt.ts_val = 500;
    f.rx(ms(100), sa);
    f.c.close(ms(200), f.app, f.out);
    Segment fin = mk(5001, 1002, kFin | kAck, 60000);
    fin.opt.has_ts = timestamps;
    fin.opt.ts_val = 700;
    f.rx(ms(300), fin);
    f.out.take();
    REQUIRE(f.c.state() == TcpState::TimeWait);
}

Segment syn(uint32_t seq, bool ts, uint32_t ts_val = 0)
{
    Segment s = mk(seq, 0, kSyn, 65535);
    s.opt.mss = 1460;
    s.opt.has_ts = ts;
    s.opt.ts_val = ts_val;
    return s;
}

}  // namespace

TEST_CASE("TIME-WAIT without timestamps: a SYN beyond the old stream reopens", "[tcp][time-wait]")
{
    ClientFixture f;
    to_time_wait(f, false);
    CHECK(f.c.time_wait_reopens(syn(5002 + 1, false)));
    CHECK(f.c.time_wait_reopens(syn(5002 + 0x7fff0000u, false)));
    CHECK_FALSE(f.c.time_wait_reopens(syn(5002, false)));
    CHECK_FALSE(f.c.time_wait_reopens(syn(4000, false)));
    Segment sa = syn(9000, false);
    sa.flags = kSyn | kAck;
    CHECK_FALSE(f.c.time_wait_reopens(sa));
    Segment sr = syn(9000, false);
    sr.flags = kSyn | kRst;
    CHECK_FALSE(f.c.time_wait_reopens(sr));
    // The same SYN handed to the old connection is what the RFC 5961 rule answers: a challenge ACK.
    f.rx(ms(400), syn(4000, false));
    EXPECT_SEGS(f.out, Exp{kAck, 1002, 5002, 64000});
    CHECK(f.c.state() == TcpState::TimeWait);
}

TEST_CASE("TIME-WAIT with timestamps: the timestamp decides, not the sequence number", "[tcp][time-wait]")
{
    ClientFixture f;
    to_time_wait(f, true);
    CHECK(f.c.tcb().rcv.ts_recent == 700u);
    CHECK(f.c.time_wait_reopens(syn(100, true, 701)));          // newer TSval, ISN lower: new
    CHECK_FALSE(f.c.time_wait_reopens(syn(9000, true, 699)));   // older TSval (PAWS), ISN higher: old
    CHECK(f.c.time_wait_reopens(syn(9000, true, 700)));         // same TSval: the ISN decides
    CHECK_FALSE(f.c.time_wait_reopens(syn(100, true, 700)));
    CHECK(f.c.time_wait_reopens(syn(9000, false)));             // no TSval on the SYN: the ISN decides
    CHECK(f.c.time_wait_reopens(syn(100, true, 700 + 0x7fffffffu)));   // newer across the wrap
}

TEST_CASE("only TIME-WAIT reopens", "[tcp][time-wait]")
{
    ClientFixture f;
    f.open();
    CHECK_FALSE(f.c.time_wait_reopens(syn(9000, false)));
    f.c.close(ms(200), f.app, f.out);
    f.rx(ms(250), mk(5001, 1002, kAck, 60000));
    REQUIRE(f.c.state() == TcpState::FinWait2);
    CHECK_FALSE(f.c.time_wait_reopens(syn(9000, false)));
}
