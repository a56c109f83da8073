// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The UDP template and the frames the blaster makes of it.
//
// The BPF blaster never sums the frame: it adds the words it writes to the
// sums userspace made over the template. A mistake in either half yields
// frames every receiver drops, and no BPF test would see it without a
// checker. So the blaster's arithmetic is replayed here in C++, word for
// word as in bpf/udp_blast.bpf.c, and the result is checked three ways:
// by parse_udp_frame, by a reference checksum written here from RFC 768 /
// RFC 791 / RFC 8200, and byte by byte against the header layouts.

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "net/checksum.hpp"
#include "net/udp_frame.hpp"

using namespace xdpgen;

namespace {

// The blaster adds the stamp as 8 16-bit words.
static_assert(sizeof(xg_stamp) == 16);

constexpr size_t kIp = 14;            // IP header offset
constexpr size_t kUdp4 = 14 + 20;     // UDP header offset, IPv4
constexpr size_t kUdp6 = 14 + 40;     // UDP header offset, IPv6

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

UdpFrameSpec spec(bool v6, size_t frame_size)
{
    UdpFrameSpec s;
    s.src_mac = *parse_mac("02:00:00:00:00:01");
    s.dst_mac = *parse_mac("02:00:00:00:00:02");
    s.src = *parse_ip(v6 ? "fd00::1" : "198.18.0.1");
    s.dst = *parse_ip(v6 ? "fd00::2" : "198.18.0.2");
    s.src_port = 4321;
    s.frame_size = frame_size;
    s.ttl = 61;
    return s;
}

// csum_fold32 of bpf/csum.bpf.h: two rounds are enough for the sums the
// blaster makes (a folded base plus nine words).
uint16_t bpf_fold32(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

struct Blast {
    uint16_t port;
    uint64_t seq;
    uint8_t stream;
    uint16_t run;
    uint64_t tx_ns;
};

// xg_udp_blast, in C++. Fields are written in memory order exactly as the BPF
// program writes them (bpf_htons for port and id, the stamp in host order).
void blast(std::vector<uint8_t>& frame, const UdpTemplate& t, bool v6, const Blast& b)
{
    uint8_t* f = frame.data();
    uint8_t* udp;
    if (!v6) {
        uint8_t* ip = f + kIp;
        const uint16_t id = htons(static_cast<uint16_t>(b.seq));
        std::memcpy(ip + 4, &id, 2);
        const uint16_t check = static_cast<uint16_t>(~bpf_fold32(t.ip_csum_base + id));
        std::memcpy(ip + 10, &check, 2);
        udp = ip + 20;
    } else {
        udp = f + kUdp6;
    }
    const xg_stamp st{XG_STAMP_MAGIC, b.stream, b.run, static_cast<uint32_t>(b.seq), b.tx_ns};
    const uint16_t dest = htons(b.port);
    std::memcpy(udp + 2, &dest, 2);
    std::memcpy(udp + 8, &st, sizeof(st));

    uint32_t sum = t.udp_csum_base + dest;
    uint16_t words[8];
    std::memcpy(words, &st, sizeof(st));
    for (uint16_t w : words)
        sum += w;
    uint16_t check = static_cast<uint16_t>(~bpf_fold32(sum));
    if (check == 0)
        check = 0xffff;  // RFC 768: zero on the wire means "no checksum"
    std::memcpy(udp + 6, &check, 2);
}

// --- reference checksums, from the RFCs, independent of net/checksum ---

// One's complement sum of big-endian words, folded, not complemented.
uint16_t ref_sum(const std::vector<uint8_t>& d)
{
    uint64_t s = 0;
    for (size_t i = 0; i < d.size(); i += 2)
        s += static_cast<uint16_t>(d[i] << 8 | (i + 1 < d.size() ? d[i + 1] : 0));
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// RFC 791: the header checksum of the IPv4 header at ip, its check field
// taken as zero.
uint16_t ref_ipv4_header_check(const uint8_t* ip)
{
    std::vector<uint8_t> h(ip, ip + 20);
    h[10] = h[11] = 0;
    return static_cast<uint16_t>(~ref_sum(h));
}

// RFC 768 (IPv4) / RFC 8200 §8.1 (IPv6): the one's complement sum of the
// pseudo header and the UDP datagram, its check field taken as zero.
uint16_t ref_udp_sum(const uint8_t* frame, bool v6)
{
    const uint8_t* ip = frame + kIp;
    const uint8_t* udp = frame + (v6 ? kUdp6 : kUdp4);
    const uint16_t udp_len = be16(udp + 4);
    std::vector<uint8_t> d;
    if (v6) {
        d.insert(d.end(), ip + 8, ip + 40);  // source, destination
        d.insert(d.end(), {0, 0, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)});
        d.insert(d.end(), {0, 0, 0, 17});  // zero, next header
    } else {
        d.insert(d.end(), ip + 12, ip + 20);  // source, destination
        d.insert(d.end(), {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)});
    }
    d.insert(d.end(), udp, udp + udp_len);
    d[d.size() - udp_len + 6] = d[d.size() - udp_len + 7] = 0;
    return ref_sum(d);
}

uint16_t ref_udp_check(const uint8_t* frame, bool v6)
{
    const uint16_t c = static_cast<uint16_t>(~ref_udp_sum(frame, v6));
    return c ? c : 0xffff;
}

// The two bytes a folded sum in memory order stands for, read as the
// big-endian number the references compute.
uint16_t as_be(uint32_t memory_order_sum)
{
    const uint16_t v = csum_fold(memory_order_sum);
    uint8_t b[2];
    std::memcpy(b, &v, 2);
    return be16(b);
}

UdpTemplate build(bool v6, size_t size)
{
    auto t = build_udp_template(spec(v6, size));
    REQUIRE(t);
    return t.value();
}

}  // namespace

TEST_CASE("IPv4 template: headers laid out per RFC 791/768, varied fields zero", "[udp_frame]")
{
    const UdpTemplate t = build(false, 64);
    const auto& f = t.frame;
    REQUIRE(f.size() == 64);

    const uint8_t dmac[] = {0x02, 0, 0, 0, 0, 0x02}, smac[] = {0x02, 0, 0, 0, 0, 0x01};
    CHECK(std::memcmp(f.data(), dmac, 6) == 0);
    CHECK(std::memcmp(f.data() + 6, smac, 6) == 0);
    CHECK(be16(&f[12]) == 0x0800);

    const uint8_t* ip = &f[kIp];
    CHECK(ip[0] == 0x45);            // version 4, 5 words
    CHECK(ip[1] == 0);               // DSCP/ECN
    CHECK(be16(ip + 2) == 64 - 14);  // total length
    CHECK(be16(ip + 4) == 0);        // id: the blaster's
    CHECK(be16(ip + 6) == 0);        // flags/fragment offset
    CHECK(ip[8] == 61);
    CHECK(ip[9] == 17);
    CHECK(be16(ip + 10) == 0);       // check: the blaster's
    const uint8_t src[] = {198, 18, 0, 1}, dst[] = {198, 18, 0, 2};
    CHECK(std::memcmp(ip + 12, src, 4) == 0);
    CHECK(std::memcmp(ip + 16, dst, 4) == 0);

    const uint8_t* udp = &f[kUdp4];
    CHECK(be16(udp) == 4321);
    CHECK(be16(udp + 2) == 0);             // destination port: the blaster's
    CHECK(be16(udp + 4) == 64 - 14 - 20);  // UDP length
    CHECK(be16(udp + 6) == 0);
    for (size_t i = 0; i < sizeof(xg_stamp); i++)
        CHECK(udp[8 + i] == 0);  // the stamp is written per frame

    // The bases are the sums of exactly this frame.
    CHECK(static_cast<uint16_t>(~as_be(t.ip_csum_base)) == ref_ipv4_header_check(ip));
    CHECK(as_be(t.udp_csum_base) == ref_udp_sum(f.data(), false));
}

TEST_CASE("IPv6 template: headers laid out per RFC 8200/768", "[udp_frame]")
{
    const UdpTemplate t = build(true, 90);
    const auto& f = t.frame;
    REQUIRE(f.size() == 90);
    CHECK(be16(&f[12]) == 0x86dd);

    const uint8_t* ip = &f[kIp];
    CHECK(ip[0] == 0x60);  // version 6, traffic class 0
    CHECK(ip[1] == 0);
    CHECK(be16(ip + 2) == 0);                 // flow label
    CHECK(be16(ip + 4) == 90 - 14 - 40);      // payload length
    CHECK(ip[6] == 17);
    CHECK(ip[7] == 61);                       // hop limit
    CHECK(ip[8] == 0xfd);
    CHECK(ip[23] == 1);
    CHECK(ip[24] == 0xfd);
    CHECK(ip[39] == 2);

    const uint8_t* udp = &f[kUdp6];
    CHECK(be16(udp) == 4321);
    CHECK(be16(udp + 2) == 0);
    CHECK(be16(udp + 4) == 90 - 14 - 40);
    CHECK(be16(udp + 6) == 0);
    CHECK(as_be(t.udp_csum_base) == ref_udp_sum(f.data(), true));
}

TEST_CASE("payload after the stamp is the udp_payload_byte pattern", "[udp_frame]")
{
    for (bool v6 : {false, true}) {
        const UdpTemplate t = build(v6, 1514);
        const size_t start = (v6 ? kUdp6 : kUdp4) + 8 + sizeof(xg_stamp);
        INFO((v6 ? "IPv6" : "IPv4"));
        REQUIRE(t.frame.size() == 1514);
        for (size_t i = 0; start + i < t.frame.size(); i++) {
            if (t.frame[start + i] != udp_payload_byte(i))
                FAIL("payload byte " << i << " differs");
        }
        CHECK(t.frame.back() == udp_payload_byte(1514 - start - 1));
    }
    // Documented as printable, so a capture reads as text.
    for (size_t i = 0; i < 256; i++)
        CHECK(std::isprint(udp_payload_byte(i)));
}

TEST_CASE("frames stamped as the blaster does verify, IPv4", "[udp_frame]")
{
    const UdpTemplate t = build(false, 64);
    const Blast cases[] = {
        {9, 0, 0, 0, 0},
        {9, 1, 3, 0xbeef, 123456789},
        {16, 0xffff, 255, 0xffff, 0xffffffffffffffffull},
        {65535, 0x12345, 7, 1, 0x0123456789abcdefull},   // id wraps to 0x2345
        {1, 0x1'0000'0002ull, 1, 2, 42},                  // stamp seq wraps to 2
    };
    for (const auto& b : cases) {
        INFO("port " << b.port << " seq " << b.seq);
        auto frame = t.frame;
        blast(frame, t, false, b);

        // The checksums on the wire are what RFC 791 and RFC 768 give.
        CHECK(be16(&frame[kIp + 10]) == ref_ipv4_header_check(&frame[kIp]));
        CHECK(be16(&frame[kUdp4 + 6]) == ref_udp_check(frame.data(), false));

        auto p = parse_udp_frame(frame);
        REQUIRE(p);
        CHECK(p->ip_csum_ok);
        CHECK(p->udp_csum_ok);
        CHECK(p->src_mac == *parse_mac("02:00:00:00:00:01"));
        CHECK(p->dst_mac == *parse_mac("02:00:00:00:00:02"));
        CHECK(p->src == *parse_ip("198.18.0.1"));
        CHECK(p->dst == *parse_ip("198.18.0.2"));
        CHECK(p->src_port == 4321);
        CHECK(p->dst_port == b.port);
        CHECK(p->ip_id == static_cast<uint16_t>(b.seq));
        CHECK(p->payload_len == 64 - 14 - 20 - 8);
        REQUIRE(p->stamp);
        CHECK(p->stamp->magic == XG_STAMP_MAGIC);
        CHECK(p->stamp->stream == b.stream);
        CHECK(p->stamp->run == b.run);
        CHECK(p->stamp->seq == static_cast<uint32_t>(b.seq));
        CHECK(p->stamp->tx_ns == b.tx_ns);
    }
}

TEST_CASE("frames stamped as the blaster does verify, IPv6", "[udp_frame]")
{
    const UdpTemplate t = build(true, 78);
    const Blast cases[] = {
        {9, 0, 0, 0, 0},
        {443, 77, 12, 0x8001, 987654321},
        {65535, 0xffffffffull, 255, 0xffff, 0xffffffffffffffffull},
    };
    for (const auto& b : cases) {
        INFO("port " << b.port << " seq " << b.seq);
        auto frame = t.frame;
        blast(frame, t, true, b);
        CHECK(be16(&frame[kUdp6 + 6]) == ref_udp_check(frame.data(), true));

        auto p = parse_udp_frame(frame);
        REQUIRE(p);
        CHECK(p->ip_csum_ok);  // IPv6 has no header checksum
        CHECK(p->udp_csum_ok);
        CHECK(p->src == *parse_ip("fd00::1"));
        CHECK(p->dst == *parse_ip("fd00::2"));
        CHECK(p->src_port == 4321);
        CHECK(p->dst_port == b.port);
        CHECK(p->payload_len == 78 - 14 - 40 - 8);
        REQUIRE(p->stamp);
        CHECK(p->stamp->stream == b.stream);
        CHECK(p->stamp->run == b.run);
        CHECK(p->stamp->seq == static_cast<uint32_t>(b.seq));
        CHECK(p->stamp->tx_ns == b.tx_ns);
    }
}

TEST_CASE("a sweep of ports and sequence numbers all verify", "[udp_frame]")
{
    // Many word values through the carry paths of the incremental sums,
    // including frames whose payload pattern wraps.
    for (bool v6 : {false, true}) {
        for (size_t size : {size_t{78}, size_t{333}, size_t{1514}}) {
            const UdpTemplate t = build(v6, size);
            auto frame = t.frame;
            size_t bad = 0;
            for (uint32_t i = 0; i < 4000; i++) {
                const Blast b{static_cast<uint16_t>(1 + i * 16411u % 65535u), i * 2654435761u,
                              static_cast<uint8_t>(i), static_cast<uint16_t>(i * 40503u),
                              uint64_t{i} * 0x9e3779b97f4a7c15ull};
                blast(frame, t, v6, b);  // the same buffer again: pages are recycled unreset
                auto p = parse_udp_frame(frame);
                if (!p || !p->ip_csum_ok || !p->udp_csum_ok || p->dst_port != b.port ||
                    be16(&frame[(v6 ? kUdp6 : kUdp4) + 6]) != ref_udp_check(frame.data(), v6))
                    bad++;
            }
            INFO((v6 ? "IPv6 " : "IPv4 ") << size << " B");
            CHECK(bad == 0);
        }
    }
}

TEST_CASE("a UDP checksum that computes to zero goes out as ffff and verifies", "[udp_frame]")
{
    // Choose the low word of tx_ns so the one's complement sum is ffff, whose
    // complement 0 must be sent as ffff (RFC 768).
    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        const UdpTemplate t = build(v6, v6 ? 78 : 64);
        const uint16_t dest = htons(9);
        xg_stamp st{XG_STAMP_MAGIC, 1, 2, 3, 0};
        uint16_t words[8];
        std::memcpy(words, &st, sizeof(st));
        uint32_t sum = t.udp_csum_base + dest;
        for (uint16_t w : words)
            sum += w;
        // tx_ns starts at word 4; it is 0 now, so adding w there adds w to the sum.
        const uint16_t w = static_cast<uint16_t>(0xffff - csum_fold(sum));
        uint64_t tx_ns = 0;
        std::memcpy(&tx_ns, &w, 2);

        auto frame = t.frame;
        blast(frame, t, v6, Blast{9, 3, 1, 2, tx_ns});
        const size_t udp = v6 ? kUdp6 : kUdp4;
        CHECK(frame[udp + 6] == 0xff);
        CHECK(frame[udp + 7] == 0xff);
        auto p = parse_udp_frame(frame);
        REQUIRE(p);
        CHECK(p->udp_csum_ok);
        REQUIRE(p->stamp);
        CHECK(p->stamp->tx_ns == tx_ns);
    }
}

TEST_CASE("corruption is detected", "[udp_frame]")
{
    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        const UdpTemplate t = build(v6, 128);
        auto good = t.frame;
        blast(good, t, v6, Blast{9, 5, 1, 2, 1000});
        REQUIRE(parse_udp_frame(good)->udp_csum_ok);
        const size_t udp = v6 ? kUdp6 : kUdp4;

        auto payload = good;
        payload[udp + 8 + sizeof(xg_stamp) + 3] ^= 0x01;
        auto p = parse_udp_frame(payload);
        REQUIRE(p);
        CHECK_FALSE(p->udp_csum_ok);
        CHECK(p->ip_csum_ok);

        auto stamp = good;
        stamp[udp + 8 + 4] ^= 0x80;  // a bit of the sequence number
        CHECK_FALSE(parse_udp_frame(stamp)->udp_csum_ok);

        auto address = good;
        address[kIp + (v6 ? 39 : 19)] ^= 0x01;  // destination: in the pseudo header only
        p = parse_udp_frame(address);
        REQUIRE(p);
        CHECK_FALSE(p->udp_csum_ok);
        if (!v6)
            CHECK_FALSE(p->ip_csum_ok);
    }

    // IPv4 header only: the UDP checksum does not cover the TTL.
    const UdpTemplate t = build(false, 64);
    auto f = t.frame;
    blast(f, t, false, Blast{9, 5, 1, 2, 1000});
    f[kIp + 8]--;
    auto p = parse_udp_frame(f);
    REQUIRE(p);
    CHECK_FALSE(p->ip_csum_ok);
    CHECK(p->udp_csum_ok);
}

TEST_CASE("a zero UDP checksum means none over IPv4, and is invalid over IPv6", "[udp_frame]")
{
    // RFC 768: zero = the sender computed no checksum. RFC 8200 §8.1: over
    // IPv6 the checksum is mandatory and a zero one is discarded.
    auto t4 = build(false, 64);
    auto f4 = t4.frame;
    blast(f4, t4, false, Blast{9, 5, 1, 2, 1000});
    f4[kUdp4 + 6] = f4[kUdp4 + 7] = 0;
    f4[kUdp4 + 20] ^= 0xff;  // even with a damaged payload: nothing to check
    CHECK(parse_udp_frame(f4)->udp_csum_ok);

    auto t6 = build(true, 78);
    auto f6 = t6.frame;
    blast(f6, t6, true, Blast{9, 5, 1, 2, 1000});
    REQUIRE(be16(&f6[kUdp6 + 6]) != 0xffff);  // else zeroing it would not change the sum
    f6[kUdp6 + 6] = f6[kUdp6 + 7] = 0;
    CHECK_FALSE(parse_udp_frame(f6)->udp_csum_ok);
}

TEST_CASE("frame size limits", "[udp_frame]")
{
    // Ethernet 14 + IPv4 20 / IPv6 40 + UDP 8 + stamp 16.
    CHECK(udp_frame_min_size(false) == 58);
    CHECK(udp_frame_min_size(true) == 78);

    for (bool v6 : {false, true}) {
        INFO((v6 ? "IPv6" : "IPv4"));
        const size_t min = udp_frame_min_size(v6);
        auto small = build_udp_template(spec(v6, min - 1));
        REQUIRE_FALSE(small);
        CHECK_THAT(small.error().message(), Catch::Contains(std::to_string(min - 1)) &&
                                                Catch::Contains(std::to_string(min)));

        auto exact = build_udp_template(spec(v6, min));
        REQUIRE(exact);
        auto frame = exact.value().frame;
        blast(frame, exact.value(), v6, Blast{9, 1, 0, 0, 5});
        auto p = parse_udp_frame(frame);
        REQUIRE(p);
        CHECK(p->payload_len == sizeof(xg_stamp));
        CHECK(p->udp_csum_ok);
        CHECK(p->stamp);

        CHECK_FALSE(build_udp_template(spec(v6, 0)));
    }

    // IPv4 total length is 16 bits: 65535 + Ethernet header is the largest frame.
    auto largest = build_udp_template(spec(false, 65535 + 14));
    REQUIRE(largest);
    auto frame = largest.value().frame;
    blast(frame, largest.value(), false, Blast{9, 1, 0, 0, 5});
    auto p = parse_udp_frame(frame);
    REQUIRE(p);
    CHECK(p->ip_csum_ok);
    CHECK(p->udp_csum_ok);
    CHECK(p->payload_len == 65535 - 20 - 8);
    CHECK_FALSE(build_udp_template(spec(false, 65535 + 14 + 1)));
}

TEST_CASE("mixed address families are an error", "[udp_frame]")
{
    auto s = spec(false, 64);
    s.dst = *parse_ip("fd00::2");
    auto r = build_udp_template(s);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("famil"));

    s = spec(true, 128);
    s.src = *parse_ip("198.18.0.1");
    CHECK_FALSE(build_udp_template(s));
}

TEST_CASE("parse_udp_frame refuses what is not Ethernet/IP/UDP with consistent lengths", "[udp_frame]")
{
    const UdpTemplate t = build(false, 64);
    auto good = t.frame;
    blast(good, t, false, Blast{9, 1, 0, 0, 5});
    REQUIRE(parse_udp_frame(good));

    CHECK_FALSE(parse_udp_frame({}));
    CHECK_FALSE(parse_udp_frame(std::span<const uint8_t>(good.data(), 13)));
    CHECK_FALSE(parse_udp_frame(std::span<const uint8_t>(good.data(), 40)));  // cut in the UDP header
    CHECK_FALSE(parse_udp_frame(std::span<const uint8_t>(good.data(), 63)));  // shorter than total length

    auto arp = good;
    arp[12] = 0x08, arp[13] = 0x06;
    CHECK_FALSE(parse_udp_frame(arp));

    auto tcp = good;
    tcp[kIp + 9] = 6;
    CHECK_FALSE(parse_udp_frame(tcp));

    auto options = good;
    options[kIp] = 0x46;  // a header with options: not what the blaster sends
    CHECK_FALSE(parse_udp_frame(options));

    auto udp_len = good;
    udp_len[kUdp4 + 5]--;  // UDP length disagrees with the IP total length
    CHECK_FALSE(parse_udp_frame(udp_len));

    // Ethernet padding after the IP packet is not part of the datagram.
    auto padded = good;
    padded.insert(padded.end(), 6, 0);
    auto p = parse_udp_frame(padded);
    REQUIRE(p);
    CHECK(p->payload_len == 64 - 14 - 20 - 8);
    CHECK(p->udp_csum_ok);

    // A payload without the magic carries no stamp.
    auto unstamped = good;
    unstamped[kUdp4 + 8] = 0;
    p = parse_udp_frame(unstamped);
    REQUIRE(p);
    CHECK_FALSE(p->stamp);
}
