// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// SeqNum arithmetic at the wrap, and write_tcp/parse_tcp round trips with
// the checksum over IPv4 and IPv6 pseudo headers.

#include <catch2/catch.hpp>

#include <vector>

#include "net/checksum.hpp"
#include "tcp/segment.hpp"
#include "tcp/seq.hpp"

using namespace xdpgen;
using namespace xdpgen::tcp;

TEST_CASE("SeqNum compares modulo 2^32 (RFC 9293 §3.4)", "[tcp][seq]")
{
    SeqNum a(0xfffffff0u);
    SeqNum b = a + 0x20;
    CHECK(b.raw() == 0x10);
    CHECK(a < b);
    CHECK(b > a);
    CHECK(b - a == 0x20);
    CHECK(a - b == -0x20);
    CHECK(seq_len(a, b) == 0x20u);
    CHECK(seq_in(SeqNum(0), a, b));
    CHECK(seq_in(a, a, b));
    CHECK_FALSE(seq_in(b, a, b));
    CHECK(seq_max(a, b) == b);
    CHECK(seq_min(a, b) == a);
    // Half the space away is the limit of "ahead".
    CHECK(SeqNum(0) < SeqNum(0x7fffffffu));
    CHECK(SeqNum(0) > SeqNum(0x80000001u));
    SeqNum c = b;
    c -= 0x20;
    CHECK(c == a);
}

namespace {

IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    IpAddr x;
    x.b[0] = a, x.b[1] = b, x.b[2] = c, x.b[3] = d;
    return x;
}

// RFC 1071 by the book over the pseudo header and the segment, big-endian
// words, independent of csum_partial.
uint16_t ref_checksum(const IpAddr& s, const IpAddr& d, const std::vector<uint8_t>& l4)
{
    std::vector<uint8_t> buf;
    size_t n = s.v6 ? 16 : 4;
    buf.insert(buf.end(), s.b.begin(), s.b.begin() + n);
    buf.insert(buf.end(), d.b.begin(), d.b.begin() + n);
    uint32_t len = static_cast<uint32_t>(l4.size());
    if (s.v6) {
        for (int i = 3; i >= 0; --i)
            buf.push_back(static_cast<uint8_t>(len >> (8 * i)));
        buf.insert(buf.end(), {0, 0, 0, 6});
    } else {
        buf.insert(buf.end(), {0, 6, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
    }
    buf.insert(buf.end(), l4.begin(), l4.end());
    buf[buf.size() - l4.size() + 16] = 0;
    buf[buf.size() - l4.size() + 17] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < buf.size(); i += 2) {
        uint16_t w = static_cast<uint16_t>(buf[i] << 8);
        if (i + 1 < buf.size())
            w |= buf[i + 1];
        sum += w;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

Segment full_segment()
{
    Segment s;
    s.src_port = 40000;
    s.dst_port = 80;
    s.seq = SeqNum(0xfffffff0u);
    s.ack = SeqNum(12345);
    s.flags = kAck | kPsh;
    s.window = 501;
    s.opt.has_ts = true;
    s.opt.ts_val = 0x01020304;
    s.opt.ts_ecr = 0xa0b0c0d0;
    s.opt.sack_count = 3;
    s.opt.sack[0] = {SeqNum(100), SeqNum(200)};
    s.opt.sack[1] = {SeqNum(300), SeqNum(400)};
    s.opt.sack[2] = {SeqNum(0xfffffff0u), SeqNum(5)};
    return s;
}

}  // namespace

TEST_CASE("write_tcp and parse_tcp round-trip with options and checksum", "[tcp][segment]")
{
    IpAddr src = v4(198, 18, 0, 1), dst = v4(198, 18, 0, 2);
    IpAddr src6, dst6;
    src6.v6 = dst6.v6 = true;
    src6.b = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    dst6.b = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    bool six = GENERATE(false, true);
    const IpAddr& s_ip = six ? src6 : src;
    const IpAddr& d_ip = six ? dst6 : dst;

    Segment seg = full_segment();
    std::vector<uint8_t> payload(333);
    for (size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<uint8_t>(i * 7);
    seg.payload_len = static_cast<uint32_t>(payload.size());

    size_t hlen = tcp_header_len(seg.opt);
    CHECK(hlen == 20 + 12 + 4 + 3 * 8);
    std::vector<uint8_t> buf(1500);
    size_t total = hlen + payload.size();
    size_t n = write_tcp(buf, seg, payload, tcp_pseudo_sum(s_ip, d_ip, static_cast<uint32_t>(total)));
    REQUIRE(n == total);
    buf.resize(n);

    uint16_t want = ref_checksum(s_ip, d_ip, buf);
    CHECK(buf[16] == (want >> 8));
    CHECK(buf[17] == (want & 0xff));

    ParsedTcp p = parse_tcp(buf, true, tcp_pseudo_sum(s_ip, d_ip, static_cast<uint32_t>(n)));
    REQUIRE(p.status == ParseStatus::Ok);
    CHECK(p.seg == seg);
    REQUIRE(p.payload.size() == payload.size());
    CHECK(std::equal(p.payload.begin(), p.payload.end(), payload.begin()));

    // One flipped bit anywhere fails the checksum.
    buf[40] ^= 0x10;
    CHECK(parse_tcp(buf, true, tcp_pseudo_sum(s_ip, d_ip, static_cast<uint32_t>(n))).status ==
          ParseStatus::BadChecksum);
    // The wrong pseudo header (another destination) too.
    buf[40] ^= 0x10;
    IpAddr other = d_ip;
    other.b[3] ^= 1;
    CHECK(parse_tcp(buf, true, tcp_pseudo_sum(s_ip, other, static_cast<uint32_t>(n))).status ==
          ParseStatus::BadChecksum);
}

TEST_CASE("tcp_csum_verdict: valid, left to an offload, or bad", "[tcp][segment]")
{
    IpAddr s_ip = v4(198, 18, 0, 2), d_ip = v4(198, 18, 0, 1);
    if (GENERATE(false, true)) {
        s_ip.v6 = d_ip.v6 = true;
        s_ip.b = {0xfd, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
        d_ip.b = {0xfd, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    }
    Segment seg = full_segment();
    std::vector<uint8_t> payload(1001, 0x5a);
    seg.payload_len = static_cast<uint32_t>(payload.size());
    std::vector<uint8_t> buf(1500);
    const size_t n = write_tcp(buf, seg, payload, tcp_pseudo_sum(s_ip, d_ip, seg.payload_len + tcp_header_len(seg.opt)));
    REQUIRE(n > 0);
    buf.resize(n);
    const uint32_t pseudo = tcp_pseudo_sum(s_ip, d_ip, static_cast<uint32_t>(n));
    CHECK(tcp_csum_verdict(buf, pseudo) == CsumVerdict::Valid);

    // An inverted payload byte, the checksum left as it was.
    buf[n - 500] = static_cast<uint8_t>(~buf[n - 500]);
    CHECK(tcp_csum_verdict(buf, pseudo) == CsumVerdict::Bad);

    // What Linux leaves for an offload (CHECKSUM_PARTIAL): the pseudo
    // header's folded sum, not complemented, i.e. the complement of the
    // checksum of n zero bytes. Whatever the bytes, it cannot be verified.
    const uint16_t partial = static_cast<uint16_t>(~ref_checksum(s_ip, d_ip, std::vector<uint8_t>(n, 0)));
    buf[16] = static_cast<uint8_t>(partial >> 8);
    buf[17] = static_cast<uint8_t>(partial);
    CHECK(tcp_csum_verdict(buf, pseudo) == CsumVerdict::Offloaded);
    // ... for the pseudo header of this segment only.
    CHECK(tcp_csum_verdict(buf, tcp_pseudo_sum(s_ip, d_ip, static_cast<uint32_t>(n + 2))) == CsumVerdict::Bad);
    CHECK(tcp_csum_verdict(std::span<const uint8_t>(buf.data(), 19), pseudo) == CsumVerdict::Bad);
}

TEST_CASE("SYN options lay out as Linux does and parse back", "[tcp][segment]")
{
    Segment s;
    s.flags = kSyn;
    s.seq = SeqNum(1);
    s.window = 65535;
    s.opt.mss = 1460;
    s.opt.sack_permitted = true;
    s.opt.has_ts = true;
    s.opt.ts_val = 7;
    s.opt.wscale = 7;
    std::vector<uint8_t> buf(60);
    size_t n = write_tcp_header(buf, s);
    REQUIRE(n == 40);
    std::vector<uint8_t> opts(buf.begin() + 20, buf.begin() + 40);
    CHECK(opts == std::vector<uint8_t>{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7});
    buf.resize(n);
    ParsedTcp p = parse_tcp(buf);
    REQUIRE(p.status == ParseStatus::Ok);
    CHECK(p.seg == s);

    // No timestamps: SACK-permitted gets its own NOP-padded word.
    s.opt.has_ts = false;
    s.opt.ts_val = 0;
    std::vector<uint8_t> b2(60);
    n = write_tcp_header(b2, s);
    REQUIRE(n == 32);
    b2.resize(n);
    CHECK(parse_tcp(b2).seg == s);
}

TEST_CASE("parse_tcp refuses malformed headers", "[tcp][segment]")
{
    std::vector<uint8_t> buf(24, 0);
    buf[12] = 6 << 4;  // 24-byte header
    buf[20] = 1;       // NOP
    buf[21] = 2;       // MSS
    buf[22] = 9;       // length runs past the header
    CHECK(parse_tcp(buf).status == ParseStatus::BadOption);
    buf[22] = 1;  // length below 2
    CHECK(parse_tcp(buf).status == ParseStatus::BadOption);
    buf[12] = 4 << 4;
    CHECK(parse_tcp(buf).status == ParseStatus::BadOffset);
    buf[12] = 7 << 4;  // 28 > 24
    CHECK(parse_tcp(buf).status == ParseStatus::Truncated);
    CHECK(parse_tcp(std::span<const uint8_t>(buf.data(), 19)).status == ParseStatus::Truncated);
    // Unknown options are skipped; window scale above 14 reads as 14.
    buf[12] = 6 << 4;
    buf[20] = 99, buf[21] = 2, buf[22] = 3, buf[23] = 3;  // unknown kind 99, then WS needs 3 bytes: truncated
    CHECK(parse_tcp(buf).status == ParseStatus::BadOption);
    std::vector<uint8_t> b3(28, 0);
    b3[12] = 7 << 4;
    b3[20] = 99, b3[21] = 2, b3[22] = 3, b3[23] = 3, b3[24] = 20, b3[25] = 0;
    ParsedTcp p = parse_tcp(b3);
    REQUIRE(p.status == ParseStatus::Ok);
    CHECK(p.seg.opt.wscale == 14);
}
