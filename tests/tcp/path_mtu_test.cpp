// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Connection::path_mss_reduced: an ICMP "too big" for a segment in flight
// (RFC 1191, RFC 8201) cuts segments to the new MSS and resends what is
// outstanding; one that quotes no segment in flight changes nothing.

#include "tcp_test_util.hpp"

using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

TEST_CASE("too big for a segment in flight: what is outstanding goes out again, cut to the new MSS",
          "[tcp][pmtu]")
{
    ClientFixture f;
    f.open();  // the peer's MSS 1000
    f.app.tx_total = 3000;
    f.poll(ms(200));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 1000, 0, false}, Exp{kAck, 2001, 5001, 64000, 1000, 1000, false},
                Exp{kAck | kPsh, 3001, 5001, 64000, 1000, 2000, false});
    const uint32_t cwnd = f.c.tcb().cc.cwnd;

    // Quoting the second segment: everything from una again, 600 at a time.
    CHECK(f.c.path_mss_reduced(ms(210), 600, SeqNum(2001), f.app, f.out));
    EXPECT_SEGS(f.out, Exp{kAck, 1001, 5001, 64000, 600, 0, true}, Exp{kAck, 1601, 5001, 64000, 600, 600, true},
                Exp{kAck, 2201, 5001, 64000, 600, 1200, true}, Exp{kAck, 2801, 5001, 64000, 600, 1800, true},
                Exp{kAck | kPsh, 3401, 5001, 64000, 600, 2400, true});
    CHECK(f.c.tcb().snd.mss == 600);
    CHECK(f.c.tcb().cc.cwnd == cwnd);  // not a congestion signal
    CHECK(f.c.tcb().backoff == 0);

    // All acknowledged; new data goes out at 600 too.
    f.rx(ms(300), mk(5001, 4001, kAck, 60000));
    f.app.tx_total = 4000;
    f.poll(ms(301));
    EXPECT_SEGS(f.out, Exp{kAck, 4001, 5001, 64000, 600, 3000, false}, Exp{kAck | kPsh, 4601, 5001, 64000, 400, 3600, false});
}

TEST_CASE("too big that quotes nothing in flight, or no smaller MSS, changes nothing", "[tcp][pmtu]")
{
    ClientFixture f;
    f.open();
    f.app.tx_total = 2000;
    f.poll(ms(200));
    f.out.take();
    // Before una (already acknowledged or forged), at snd.max and beyond.
    CHECK_FALSE(f.c.path_mss_reduced(ms(210), 600, SeqNum(1000), f.app, f.out));
    CHECK_FALSE(f.c.path_mss_reduced(ms(210), 600, SeqNum(3001), f.app, f.out));
    CHECK_FALSE(f.c.path_mss_reduced(ms(210), 600, SeqNum(900001), f.app, f.out));
    // Not smaller than the MSS in use.
    CHECK_FALSE(f.c.path_mss_reduced(ms(210), 1000, SeqNum(1001), f.app, f.out));
    CHECK_FALSE(f.c.path_mss_reduced(ms(210), 1400, SeqNum(1001), f.app, f.out));
    EXPECT_NONE(f.out);
    CHECK(f.c.tcb().snd.mss == 1000);

    // Nothing in flight at all.
    f.rx(ms(300), mk(5001, 3001, kAck, 60000));
    f.out.take();
    CHECK_FALSE(f.c.path_mss_reduced(ms(310), 600, SeqNum(3001), f.app, f.out));
    CHECK(f.c.tcb().snd.mss == 1000);
}
