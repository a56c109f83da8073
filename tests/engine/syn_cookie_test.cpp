// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// SYN cookies: a cookie made for a SYN is taken back from the matching ACK
// only, with the MSS it stands for, within its period and the next.

#include <catch2/catch.hpp>

#include "engine/syn_cookie.hpp"
#include "net/addr.hpp"

using xdpgen::parse_ip;
using xdpgen::engine::FlowKey;
using xdpgen::engine::SynCookies;

namespace {

FlowKey key(uint16_t client_port = 40000)
{
    return FlowKey::make(0, 80, *parse_ip("198.18.0.1"), client_port);
}

constexpr uint64_t kSec = 1'000'000'000;

}  // namespace

TEST_CASE("syn cookie: the matching ACK gives back the MSS")
{
    SynCookies c(0x1234);
    const uint64_t t0 = 1000 * kSec;
    for (uint16_t mss : {0, 536, 1000, 1220, 1300, 1460, 1500, 9000}) {
        INFO("mss " << mss);
        uint16_t got = 0;
        const uint32_t client_isn = 0xfffffff0u + mss;  // wraps for some
        const uint32_t iss = c.make(key(), client_isn, mss, t0, got);
        CHECK(got <= (mss ? mss : 536));
        CHECK(got >= 536);
        CHECK(c.check(key(), client_isn + 1, iss + 1, t0 + 5 * kSec) == got);
    }
}

TEST_CASE("syn cookie: anything else is refused")
{
    SynCookies c(0x1234);
    const uint64_t t0 = 1000 * kSec;
    uint16_t mss = 0;
    const uint32_t iss = c.make(key(), 777, 1460, t0, mss);
    CHECK(mss == 1460);
    CHECK(c.check(key(), 778, iss + 1, t0) == 1460);
    CHECK(c.check(key(40001), 778, iss + 1, t0) == 0);  // another tuple
    CHECK(c.check(key(), 779, iss + 1, t0) == 0);       // another client ISN
    CHECK(c.check(key(), 778, iss + 2, t0) == 0);       // another cookie
    CHECK(SynCookies(0x4321).check(key(), 778, iss + 1, t0) == 0);  // another secret
    // Valid in its 64 s period and the next, not after.
    CHECK(c.check(key(), 778, iss + 1, t0 + 64 * kSec) == 1460);
    CHECK(c.check(key(), 778, iss + 1, t0 + 3 * 64 * kSec) == 0);
    // A random guess of the 24-bit hash almost never passes.
    int passed = 0;
    for (uint32_t g = 0; g < 100000; g++)
        passed += c.check(key(), 778, (iss & 0xff000000u) + g * 167 + 1, t0) != 0;
    CHECK(passed <= 1);
}
