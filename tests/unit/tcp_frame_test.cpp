// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Frames the engine sends: written in place, then read back by the parser
// and by an independent check of both checksums; and frames it must refuse.

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "net/checksum.hpp"
#include "net/tcp_frame.hpp"
#include "net/udp_frame.hpp"

using namespace xdpgen;

namespace {

TcpFrameEnds ends(bool v6)
{
    TcpFrameEnds e;
    e.src_mac = *parse_mac("02:00:c6:12:00:01");
    e.dst_mac = *parse_mac("02:00:c6:12:00:02");
    e.src = *parse_ip(v6 ? "fd00:18::1" : "198.18.0.1");
    e.dst = *parse_ip(v6 ? "fd00:18::2" : "198.18.0.2");
    e.src_port = 40000;
    e.dst_port = 80;
    return e;
}

tcp::Segment data_segment(uint32_t len)
{
    tcp::Segment s;
    s.seq = tcp::SeqNum(1000);
    s.ack = tcp::SeqNum(2000);
    s.flags = tcp::kAck | tcp::kPsh;
    s.window = 512;
    s.payload_len = len;
    s.opt.has_ts = true;
    s.opt.ts_val = 7;
    s.opt.ts_ecr = 9;
    return s;
}

// Builds a frame the way the worker does: headers, payload in place, checksum.
std::vector<uint8_t> build(bool v6, uint32_t len, uint16_t ip_id = 5)
{
    std::vector<uint8_t> f(2048, 0xee);
    TcpFrameLayout lay;
    REQUIRE(write_tcp_frame_headers(f, ends(v6), data_segment(len), ip_id, lay));
    for (uint32_t i = 0; i < len; i++)
        f[lay.payload_off + i] = static_cast<uint8_t>('a' + i % 26);
    tcp_frame_finish(f, ends(v6), lay);
    f.resize(lay.size);
    return f;
}

}  // namespace

TEST_CASE("TCP frames round-trip with valid checksums, IPv4 and IPv6")
{
    for (bool v6 : {false, true}) {
        for (uint32_t len : {0u, 1u, 100u, 1448u}) {
            INFO("v6 " << v6 << " payload " << len);
            auto f = build(v6, len);
            CHECK(f.size() == kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr) + 32 + len);  // 20 + NOP NOP TS
            auto v = parse_tcp_frame(f);
            REQUIRE(v);
            CHECK(v->src == ends(v6).src);
            CHECK(v->dst == ends(v6).dst);
            CHECK(v->src_mac == ends(v6).src_mac);
            // The checksum verified by the TCP parser against the pseudo header.
            auto p = tcp::parse_tcp(v->l4, true, tcp::tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size())));
            REQUIRE(p.status == tcp::ParseStatus::Ok);
            CHECK(p.seg.src_port == 40000);
            CHECK(p.seg.dst_port == 80);
            CHECK(p.seg.seq == tcp::SeqNum(1000));
            CHECK(p.seg.payload_len == len);
            CHECK(p.seg.opt.ts_val == 7);
            if (len)
                CHECK(p.payload[len - 1] == 'a' + (len - 1) % 26);
            if (!v6) {
                const uint8_t* ip = f.data() + kEthHdr;
                CHECK(csum_fold(csum_partial(ip, kIpv4Hdr)) == 0xffff);  // header checksum valid
                CHECK(ip[6] == 0x40);  // DF
                CHECK((ip[4] << 8 | ip[5]) == 5);
            }
        }
    }
}

TEST_CASE("a corrupted payload byte fails the TCP checksum")
{
    auto f = build(false, 64);
    f[f.size() - 10] ^= 1;
    auto v = parse_tcp_frame(f);
    REQUIRE(v);
    auto p = tcp::parse_tcp(v->l4, true, tcp::tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size())));
    CHECK(p.status == tcp::ParseStatus::BadChecksum);
}

TEST_CASE("a frame too small for the segment is not written")
{
    std::vector<uint8_t> f(100);
    TcpFrameLayout lay;
    CHECK_FALSE(write_tcp_frame_headers(f, ends(false), data_segment(200), 0, lay));
}

TEST_CASE("the parser refuses what is not one whole TCP segment")
{
    auto f = build(false, 10);
    SECTION("truncated below the IP length")
    {
        f.resize(f.size() - 1);
        CHECK_FALSE(parse_tcp_frame(f));
    }
    SECTION("a fragment")
    {
        f[kEthHdr + 6] |= 0x20;  // MF
        CHECK_FALSE(parse_tcp_frame(f));
    }
    SECTION("UDP")
    {
        f[kEthHdr + 9] = 17;
        CHECK_FALSE(parse_tcp_frame(f));
    }
    SECTION("ARP")
    {
        f[12] = 0x08;
        f[13] = 0x06;
        CHECK_FALSE(parse_tcp_frame(f));
    }
    SECTION("Ethernet padding after the IP packet is ignored")
    {
        const size_t ip_len = f.size() - kEthHdr;
        f.resize(f.size() + 6, 0);
        auto v = parse_tcp_frame(f);
        REQUIRE(v);
        CHECK(v->l4.size() == ip_len - kIpv4Hdr);
    }
    SECTION("IPv4 options are skipped")
    {
        // Insert 4 bytes of options (NOPs) and fix lengths and the header checksum.
        std::vector<uint8_t> g(f.begin(), f.begin() + kEthHdr + kIpv4Hdr);
        g.insert(g.end(), {1, 1, 1, 0});
        g.insert(g.end(), f.begin() + kEthHdr + kIpv4Hdr, f.end());
        g[kEthHdr] = 0x46;
        const uint16_t tot = static_cast<uint16_t>(g.size() - kEthHdr);
        g[kEthHdr + 2] = static_cast<uint8_t>(tot >> 8);
        g[kEthHdr + 3] = static_cast<uint8_t>(tot);
        auto v = parse_tcp_frame(g);
        REQUIRE(v);
        CHECK(v->l4.size() == 32 + 10);
    }
}

namespace {

// The IPv6 frame of build() with an extension header of `type` (8 bytes:
// next header, length 0, 0, `third` (a routing header's segments left),
// four zeros) before TCP.
std::vector<uint8_t> with_ext_header(uint8_t type, uint8_t third = 1)
{
    auto f = build(true, 100);
    uint8_t* ip = f.data() + kEthHdr;
    const uint8_t ext[8] = {ip[6], 0, 0, third, 0, 0, 0, 0};
    ip[6] = type;
    const uint16_t plen = static_cast<uint16_t>((ip[4] << 8 | ip[5]) + 8);
    ip[4] = static_cast<uint8_t>(plen >> 8);
    ip[5] = static_cast<uint8_t>(plen);
    f.insert(f.begin() + kEthHdr + kIpv6Hdr, ext, ext + 8);
    return f;
}

}  // namespace

TEST_CASE("IPv6 options and spent routing headers before TCP are skipped; fragments are not segments")
{
    const auto plain = build(true, 100);
    const std::span<const uint8_t> tcp_part(plain.data() + kEthHdr + kIpv6Hdr, plain.size() - kEthHdr - kIpv6Hdr);
    // Hop-by-hop (PadN), destination options, a routing header with 0 segments left.
    for (const auto& f : {with_ext_header(0), with_ext_header(60), with_ext_header(43, 0)}) {
        auto v = parse_tcp_frame(f);
        REQUIRE(v);
        REQUIRE(v->l4.size() == tcp_part.size());
        CHECK(std::equal(v->l4.begin(), v->l4.end(), tcp_part.begin()));
        // The pseudo header counts the TCP segment only (RFC 8200 §8.1).
        CHECK(tcp::tcp_csum_verdict(v->l4, tcp::tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size()))) ==
              tcp::CsumVerdict::Valid);
    }
    CHECK_FALSE(parse_tcp_frame(with_ext_header(43, 1)));  // segments left: not ours to read
    CHECK_FALSE(parse_tcp_frame(with_ext_header(44)));     // a fragment
    auto cut = with_ext_header(60);
    cut[kEthHdr + kIpv6Hdr + 1] = 200;  // its length runs past the packet
    CHECK_FALSE(parse_tcp_frame(cut));
}
