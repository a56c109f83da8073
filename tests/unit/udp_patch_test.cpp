// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The per-packet patching of the AF_XDP path (net/udp_patch.hpp): a UMEM
// frame holds the template (or an earlier packet) and only the varied fields
// and the checksums are written. Every frame is checked against checksums
// recomputed from scratch over the whole frame, here from RFC 768 / 791 /
// 8200 word by word, and by parse_udp_frame, and byte by byte against the
// template outside the patched fields.

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <map>
#include <vector>

#include "net/udp_frame.hpp"
#include "net/udp_patch.hpp"

using namespace xdpgen;

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

UdpFrameSpec spec(bool v6, size_t frame_size)
{
    UdpFrameSpec s;
    s.src_mac = *parse_mac("02:00:00:00:00:01");
    s.dst_mac = *parse_mac("02:00:00:00:00:02");
    s.src = *parse_ip(v6 ? "fd00:18::1" : "198.18.0.1");
    s.dst = *parse_ip(v6 ? "fd00:18::2" : "198.18.0.2");
    s.src_port = 9;
    s.dst_port = 1000;
    s.frame_size = frame_size;
    return s;
}

// One's complement sum of big-endian 16-bit words, folded (RFC 1071).
uint32_t ref_add(uint32_t s, const uint8_t* p, size_t n)
{
    for (size_t i = 0; i < n; i += 2)
        s += static_cast<uint32_t>(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
    return s;
}
uint16_t ref_fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

// The IPv4 header checksum the frame should carry (its check field as zero).
uint16_t ref_ip_check(const std::vector<uint8_t>& f)
{
    std::vector<uint8_t> h(f.begin() + 14, f.begin() + 34);
    h[10] = h[11] = 0;
    return static_cast<uint16_t>(~ref_fold(ref_add(0, h.data(), h.size())));
}

// The UDP checksum the frame should carry: pseudo header + datagram with a
// zero check field, complemented, 0 sent as 0xffff.
uint16_t ref_udp_check(const std::vector<uint8_t>& f, bool v6)
{
    const uint8_t* ip = f.data() + 14;
    const size_t udp_off = 14 + (v6 ? 40 : 20);
    std::vector<uint8_t> udp(f.begin() + static_cast<long>(udp_off), f.end());
    const uint16_t len = be16(&udp[4]);
    REQUIRE(len == udp.size());
    udp[6] = udp[7] = 0;
    uint32_t s = v6 ? ref_add(0, ip + 8, 32) : ref_add(0, ip + 12, 8);
    s += len + 17;  // length and protocol (IPv6: 32-bit length, zeros, next header: the same sum)
    s = ref_add(s, udp.data(), udp.size());
    const uint16_t c = static_cast<uint16_t>(~ref_fold(s));
    return c ? c : 0xffff;
}

struct Checked {
    uint16_t port;
    xg_stamp stamp;
};

// Everything a receiver sees, recomputed from scratch; returns what was read.
Checked check_frame(const std::vector<uint8_t>& f, const UdpTemplate& t, bool v6)
{
    const size_t udp_off = 14 + (v6 ? 40 : 20);
    if (!v6)
        CHECK(be16(&f[24]) == ref_ip_check(f));
    CHECK(be16(&f[udp_off + 6]) == ref_udp_check(f, v6));
    auto p = parse_udp_frame(f);
    REQUIRE(p);
    CHECK(p->ip_csum_ok);
    CHECK(p->udp_csum_ok);
    REQUIRE(p->stamp);
    // Outside the patched fields the frame is the template, byte for byte.
    for (size_t i = 0; i < f.size(); i++) {
        const bool patched = (!v6 && (i == 18 || i == 19 || i == 24 || i == 25)) ||
                             (i >= udp_off + 2 && i < udp_off + 4) || (i >= udp_off + 6 && i < udp_off + 8 + 16);
        if (!patched && f[i] != t.frame[i]) {
            FAIL_CHECK("byte " << i << " differs from the template");
            break;
        }
    }
    if (!v6)
        CHECK(p->ip_id == static_cast<uint16_t>(p->stamp->seq));
    return {p->dst_port, *p->stamp};
}

}  // namespace

TEST_CASE("udp patch: ports cycle, sequence counts, stamps and checksums verify from scratch", "[udp_patch]")
{
    for (bool v6 : {false, true}) {
        for (size_t size : {size_t(78), size_t(128), size_t(1514), size_t(1513)}) {
            INFO((v6 ? "IPv6" : "IPv4") << ", " << size << " B frames");
            auto t = build_udp_template(spec(v6, size));
            REQUIRE(t);
            const uint16_t base = 1000, count = 37;
            UdpStamper st(*t, v6, base, count, 3, 0xbeef, 4);
            uint64_t clock = 1'000'000'000'000ull;
            int clock_reads = 0;
            auto now = [&] {
                clock_reads++;
                return clock += 0x1'0000'0001ull;  // carries into the high word each time
            };
            std::vector<uint8_t> f = t->frame;  // one frame reused, as UMEM frames are
            std::map<uint16_t, int> per_port;
            uint64_t last_ts = 0;
            for (uint32_t i = 0; i < 5 * count; i++) {
                st.stamp(f.data(), now);
                const Checked c = check_frame(f, *t, v6);
                CHECK(c.port == base + i % count);
                per_port[c.port]++;
                CHECK(c.stamp.magic == XG_STAMP_MAGIC);
                CHECK(c.stamp.stream == 3);
                CHECK(c.stamp.run == 0xbeef);
                CHECK(c.stamp.seq == i);
                CHECK(c.stamp.tx_ns == clock);  // the latest reading
                if (i % 4 == 0)
                    CHECK(c.stamp.tx_ns != last_ts);  // read anew once per ts_every packets
                else
                    CHECK(c.stamp.tx_ns == last_ts);
                last_ts = c.stamp.tx_ns;
            }
            CHECK(clock_reads == 5 * count / 4 + 1);
            CHECK(per_port.size() == count);
            for (const auto& [port, n] : per_port)
                CHECK(n == 5);
            CHECK(st.next_seq() == 5 * count);
        }
    }
}

TEST_CASE("udp patch: any earlier packet in the frame is overwritten in full", "[udp_patch]")
{
    for (bool v6 : {false, true}) {
        auto t = build_udp_template(spec(v6, 64 + (v6 ? 20 : 0)));
        REQUIRE(t);
        UdpStamper st(*t, v6, 9, 1, 0, 1, 1);
        std::vector<uint8_t> f = t->frame;
        // Extremes one after another in the same frame: the sums never read it.
        const std::vector<std::tuple<uint16_t, uint32_t, uint64_t>> cases = {
            {65535, 0xffffffffu, ~0ull}, {1, 0, 0}, {0x8000, 0x80008000u, 0x8000800080008000ull},
            {65535, 0xffffffffu, 0x00000000ffffffffull}, {9, 12345, 1'700'000'000'000'000'000ull}};
        for (const auto& [port, seq, ts] : cases) {
            st.write(f.data(), port, seq, ts);
            const Checked c = check_frame(f, *t, v6);
            CHECK(c.port == port);
            CHECK(c.stamp.seq == seq);
            CHECK(c.stamp.tx_ns == ts);
        }
    }
}

TEST_CASE("udp patch: a checksum of zero goes out as 0xffff (RFC 768)", "[udp_patch]")
{
    auto t = build_udp_template(spec(false, 64));
    REQUIRE(t);
    UdpStamper st(*t, false, 9, 1, 0, 1, 1);
    std::vector<uint8_t> f = t->frame;
    // Some sequence number makes the computed checksum 0: find it, by the
    // reference sum (not the patcher's).
    bool found = false;
    for (uint32_t seq = 0; seq < 0x20000 && !found; seq++) {
        st.write(f.data(), 9, seq, 42);
        std::vector<uint8_t> z = f;
        z[34 + 6] = z[34 + 7] = 0;
        const uint8_t* ip = z.data() + 14;
        uint32_t s = ref_add(0, ip + 12, 8) + be16(&z[34 + 4]) + 17;
        s = ref_add(s, z.data() + 34, z.size() - 34);
        if (static_cast<uint16_t>(~ref_fold(s)) == 0) {
            found = true;
            CHECK(be16(&f[34 + 6]) == 0xffff);
            auto p = parse_udp_frame(f);
            REQUIRE(p);
            CHECK(p->udp_csum_ok);
        }
    }
    CHECK(found);
}

TEST_CASE("udp patch: the --raw frame is complete and carries no stamp", "[udp_patch]")
{
    for (bool v6 : {false, true}) {
        const UdpFrameSpec s = spec(v6, 100);
        auto t = build_udp_template(s);
        REQUIRE(t);
        std::vector<uint8_t> f = t->frame;
        udp_finish_static_frame(f, *t, s);
        auto p = parse_udp_frame(f);
        REQUIRE(p);
        CHECK(p->ip_csum_ok);
        CHECK(p->udp_csum_ok);
        CHECK(p->dst_port == s.dst_port);
        CHECK_FALSE(p->stamp);
        if (!v6)
            CHECK(be16(&f[24]) == ref_ip_check(f));
        CHECK(be16(&f[14 + (v6 ? 40 : 20) + 6]) == ref_udp_check(f, v6));
    }
}
