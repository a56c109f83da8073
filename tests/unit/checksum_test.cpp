// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The Internet checksum (RFC 1071) against published vectors and against a
// reference written here.
//
// csum_partial adds 16-bit words in memory order, so its result is
// byte-order neutral only once stored back to memory: every comparison below
// is made on the two stored bytes (what goes on the wire), never on the
// integer, so the tests hold on little- and big-endian hosts alike.

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "net/checksum.hpp"

using namespace xdpgen;

namespace {

// The two bytes a 16-bit checksum value occupies in memory.
std::array<uint8_t, 2> stored(uint16_t v)
{
    std::array<uint8_t, 2> b;
    std::memcpy(b.data(), &v, 2);
    return b;
}

std::array<uint8_t, 2> be(uint16_t v) { return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }

// RFC 1071 §4.1 done by the book: big-endian words, odd byte padded with a
// zero low-order byte, end-around carry. Returns the folded sum, not complemented.
uint16_t ref_sum(const std::vector<uint8_t>& d)
{
    uint32_t s = 0;
    for (size_t i = 0; i < d.size(); i += 2) {
        uint16_t w = static_cast<uint16_t>(d[i] << 8);
        if (i + 1 < d.size())
            w |= d[i + 1];
        s += w;
        s = (s & 0xffff) + (s >> 16);
    }
    return static_cast<uint16_t>(s);
}

// Deterministic bytes (a small LCG) so failures reproduce.
std::vector<uint8_t> pseudo_random_bytes(size_t n, uint32_t seed)
{
    std::vector<uint8_t> v(n);
    for (auto& b : v) {
        seed = seed * 1103515245u + 12345u;
        b = static_cast<uint8_t>(seed >> 16);
    }
    return v;
}

}  // namespace

TEST_CASE("RFC 1071 example sums to ddf2", "[checksum]")
{
    // RFC 1071 §3: 0001 + f203 + f4f5 + f6f7 = 2ddf0, folded ddf2.
    const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    const uint32_t sum = csum_partial(bytes, sizeof(bytes));
    CHECK(stored(csum_fold(sum)) == be(0xddf2));
    // The checksum field is the complement: ~ddf2 = 220d.
    CHECK(stored(csum_finish(sum)) == be(0x220d));
}

TEST_CASE("a real IPv4 header checksums to b861 and verifies to ffff", "[checksum]")
{
    // The worked example of the IPv4 header checksum (Wikipedia, "Internet
    // checksum"): 192.168.0.1 -> 192.168.0.199, UDP, TTL 64, DF.
    uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                       0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    const uint16_t check = csum_finish(csum_partial(hdr, sizeof(hdr)));
    CHECK(stored(check) == be(0xb861));

    std::memcpy(hdr + 10, &check, 2);
    CHECK(hdr[10] == 0xb8);
    CHECK(hdr[11] == 0x61);
    // A receiver sums the header with its checksum: all ones when intact.
    CHECK(csum_fold(csum_partial(hdr, sizeof(hdr))) == 0xffff);

    hdr[8] = 0x3f;  // TTL decremented without updating the checksum
    CHECK(csum_fold(csum_partial(hdr, sizeof(hdr))) != 0xffff);
}

TEST_CASE("odd lengths pad the last byte as a high-order byte", "[checksum]")
{
    // RFC 1071 §4.1: a trailing byte counts as the high byte of a word
    // padded with zero. 0102 + 0300 = 0402.
    const uint8_t three[] = {0x01, 0x02, 0x03};
    CHECK(stored(csum_fold(csum_partial(three, 3))) == be(0x0402));

    const uint8_t one[] = {0xab};
    CHECK(stored(csum_fold(csum_partial(one, 1))) == be(0xab00));

    CHECK(csum_partial(one, 0) == 0);
    CHECK(csum_partial(one, 0, 0x1234) == 0x1234);
}

TEST_CASE("csum_fold carries end-around", "[checksum]")
{
    CHECK(csum_fold(0) == 0);
    CHECK(csum_fold(0xffff) == 0xffff);
    CHECK(csum_fold(0x10000) == 0x0001);
    CHECK(csum_fold(0x1fffe) == 0xffff);             // ffff + ffff
    CHECK(csum_fold(0x12345678) == 0x68ac);          // 5678 + 1234
    CHECK(csum_fold(0xffffffff) == 0xffff);          // ffff + ffff = 1fffe -> ffff
    CHECK(csum_fold(0x0001000000000000ull) == 0x0001);  // 2^48 = 1 mod 65535
    CHECK(csum_fold(0xffffffffffffffffull) == 0xffff);
    CHECK(csum_finish(0xffff) == 0x0000);
    CHECK(csum_finish(0) == 0xffff);
}

TEST_CASE("csum_partial agrees with a by-the-book reference", "[checksum]")
{
    // Lengths around word and carry boundaries; all-ones bytes force carries.
    for (size_t n : {0u, 1u, 2u, 3u, 7u, 8u, 19u, 20u, 63u, 64u, 1499u, 1500u, 9001u}) {
        for (uint32_t seed : {1u, 2u, 3u}) {
            const auto d = pseudo_random_bytes(n, seed);
            INFO("length " << n << " seed " << seed);
            CHECK(stored(csum_fold(csum_partial(d.data(), d.size()))) == be(ref_sum(d)));
        }
        const std::vector<uint8_t> ones(n, 0xff);
        INFO("length " << n << " all ones");
        CHECK(stored(csum_fold(csum_partial(ones.data(), ones.size()))) == be(ref_sum(ones)));
    }
}

TEST_CASE("chunked sums equal one pass", "[checksum]")
{
    const auto d = pseudo_random_bytes(1501, 42);  // odd: the last chunk carries the odd byte
    const uint16_t whole = csum_fold(csum_partial(d.data(), d.size()));

    for (size_t chunk : {2u, 4u, 6u, 14u, 20u, 64u, 1000u}) {
        INFO("chunk " << chunk);
        // Chained: each chunk's sum is the next one's start.
        uint32_t chained = 0;
        // Independent: partial sums added, folded once (how the blaster
        // combines the template's sum with the fields it writes).
        uint64_t added = 0;
        for (size_t off = 0; off < d.size(); off += chunk) {
            const size_t len = std::min(chunk, d.size() - off);
            chained = csum_partial(d.data() + off, len, chained);
            added += csum_partial(d.data() + off, len);
        }
        CHECK(csum_fold(chained) == whole);
        CHECK(csum_fold(added) == whole);
    }
}
