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
