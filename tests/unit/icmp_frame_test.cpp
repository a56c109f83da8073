// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// ICMP errors about our TCP segments: what the engine reads from a router's
// "fragmentation needed" and "packet too big", and the frames it refuses.

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "net/checksum.hpp"
#include "net/icmp_frame.hpp"
#include "net/tcp_frame.hpp"

using namespace xdpgen;

namespace {

// The first 28 (IPv4) or 48 (IPv6) bytes of a segment we sent,
// 198.18.0.1:40000 -> 198.18.1.2:80 (or fd00:18::1 -> fd00:19::2), seq 0x01020304.
std::vector<uint8_t> our_segment(bool v6)
{
    TcpFrameEnds e;
    e.src = *parse_ip(v6 ? "fd00:18::1" : "198.18.0.1");
    e.dst = *parse_ip(v6 ? "fd00:19::2" : "198.18.1.2");
    e.src_port = 40000;
    e.dst_port = 80;
    tcp::Segment s;
    s.seq = tcp::SeqNum(0x01020304);
    s.flags = tcp::kAck;
    s.payload_len = 1400;
    std::vector<uint8_t> f(2000);
    TcpFrameLayout l;
    REQUIRE(write_tcp_frame_headers(f, e, s, 7, l));
    return {f.begin() + 14, f.begin() + static_cast<long>(l.l4_off) + 8};
}

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }

// A router's error: Ethernet, IP from 198.18.0.254 (fd00:18::fe) to us,
// ICMP type/code with `mtu`, then `quoted`.
std::vector<uint8_t> icmp_error(bool v6, uint8_t type, uint8_t code, uint32_t mtu, const std::vector<uint8_t>& quoted)
{
    const size_t l3 = v6 ? 40 : 20, icmp_len = 8 + quoted.size();
    std::vector<uint8_t> f(14 + l3 + icmp_len, 0);
    put16(&f[12], v6 ? 0x86dd : 0x0800);
    uint8_t* ip = &f[14];
    IpAddr src = *parse_ip(v6 ? "fd00:18::fe" : "198.18.0.254"), dst = *parse_ip(v6 ? "fd00:18::1" : "198.18.0.1");
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, static_cast<uint16_t>(icmp_len));
        ip[6] = 58;
        ip[7] = 64;
        std::memcpy(ip + 8, src.b.data(), 16);
        std::memcpy(ip + 24, dst.b.data(), 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(l3 + icmp_len));
        ip[8] = 64;
        ip[9] = 1;
        std::memcpy(ip + 12, src.b.data(), 4);
        std::memcpy(ip + 16, dst.b.data(), 4);
    }
    uint8_t* icmp = ip + l3;
    icmp[0] = type;
    icmp[1] = code;
    if (v6) {
        put16(icmp + 4, uint16_t(mtu >> 16));
        put16(icmp + 6, uint16_t(mtu));
    } else {
        put16(icmp + 6, uint16_t(mtu));
    }
    std::memcpy(icmp + 8, quoted.data(), quoted.size());
    uint64_t sum = csum_partial(icmp, icmp_len);
    if (v6)
        sum += csum_pseudo_header(src, dst, 58, static_cast<uint32_t>(icmp_len));
    const uint16_t c = csum_finish(sum);
    std::memcpy(icmp + 2, &c, 2);
    return f;
}

}  // namespace

TEST_CASE("fragmentation needed and packet too big name our segment and the MTU", "[icmp]")
{
    const bool v6 = GENERATE(false, true);
    const auto f = icmp_error(v6, v6 ? 2 : 3, v6 ? 0 : 4, 1280, our_segment(v6));
    const auto e = parse_icmp_tcp_error(f);
    REQUIRE(e);
    CHECK(e->too_big);
    CHECK(e->mtu == 1280);
    CHECK(e->local == *parse_ip(v6 ? "fd00:18::1" : "198.18.0.1"));
    CHECK(e->remote == *parse_ip(v6 ? "fd00:19::2" : "198.18.1.2"));
    CHECK(e->local_port == 40000);
    CHECK(e->remote_port == 80);
    CHECK(e->seq == 0x01020304);
    CHECK(e->csum_ok);

    auto bad = f;
    bad[bad.size() - 1] ^= 1;  // the quoted sequence number
    CHECK_FALSE(parse_icmp_tcp_error(bad)->csum_ok);
}

TEST_CASE("other unreachables are errors but not too big", "[icmp]")
{
    const bool v6 = GENERATE(false, true);
    const auto e = parse_icmp_tcp_error(icmp_error(v6, v6 ? 1 : 3, v6 ? 4 : 3, 0, our_segment(v6)));
    REQUIRE(e);
    CHECK_FALSE(e->too_big);
    CHECK(e->local_port == 40000);
}

TEST_CASE("ICMP that is not an error about TCP, or is cut short, is refused", "[icmp]")
{
    const bool v6 = GENERATE(false, true);
    const auto seg = our_segment(v6);
    CHECK_FALSE(parse_icmp_tcp_error(icmp_error(v6, v6 ? 128 : 8, 0, 0, seg)));  // echo request
    CHECK_FALSE(parse_icmp_tcp_error(icmp_error(v6, v6 ? 3 : 11, 0, 0, seg)));   // time exceeded

    auto udp = seg;
    udp[v6 ? 6 : 9] = 17;  // the quoted protocol
    CHECK_FALSE(parse_icmp_tcp_error(icmp_error(v6, v6 ? 2 : 3, v6 ? 0 : 4, 1280, udp)));

    // The quoted segment shorter than its 8 bytes of ports and sequence.
    for (size_t cut = 1; cut <= 8; cut++) {
        const std::vector<uint8_t> shorter(seg.begin(), seg.end() - static_cast<long>(cut));
        CHECK_FALSE(parse_icmp_tcp_error(icmp_error(v6, v6 ? 2 : 3, v6 ? 0 : 4, 1280, shorter)));
    }
    // A frame cut anywhere (its IP length then runs past the end).
    const auto f = icmp_error(v6, v6 ? 2 : 3, v6 ? 0 : 4, 1280, seg);
    for (size_t n = 0; n < f.size(); n++)
        CHECK_FALSE(parse_icmp_tcp_error(std::span<const uint8_t>(f.data(), n)));
}

TEST_CASE("the MSS for a path MTU keeps Linux's floors", "[icmp]")
{
    CHECK(mss_for_path_mtu(1500, false) == 1460);
    CHECK(mss_for_path_mtu(1280, false) == 1240);
    CHECK(mss_for_path_mtu(1280, true) == 1220);
    CHECK(mss_for_path_mtu(100, false) == 512);   // 552 - 40
    CHECK(mss_for_path_mtu(1000, true) == 1220);  // below 1280: not believed
    CHECK(mss_for_path_mtu(0xffffffff, true) == 65535 - 60);
}
