// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// PortPool: every pair handed out once, oldest released first, and a pair
// the peer may hold in TIME-WAIT not before its quarantine ends.

#include <catch2/catch.hpp>

#include <set>

#include "engine/port_pool.hpp"
#include "engine/schedule.hpp"

using xdpgen::engine::ConnectSchedule;
using xdpgen::engine::PortPool;

TEST_CASE("port pool hands out every pair exactly once, addresses alternating")
{
    PortPool p(3, 1000, 1009, 0);
    REQUIRE(p.total() == 30);
    std::set<uint32_t> seen;
    uint32_t pair;
    for (int i = 0; i < 30; i++) {
        REQUIRE(p.acquire(0, pair));
        if (i < 3)
            CHECK(PortPool::addr_of(pair) == uint32_t(i));  // the first three use each address once
        CHECK(PortPool::port_of(pair) >= 1000);
        CHECK(PortPool::port_of(pair) <= 1009);
        CHECK(PortPool::addr_of(pair) < 3);
        seen.insert(pair);
    }
    CHECK(seen.size() == 30);
    CHECK_FALSE(p.acquire(0, pair));
}

TEST_CASE("port pool with a stride takes only its worker's ports")
{
    PortPool p(2, 1000, 1011, 0, 0, 3, 1);  // ports 1000..1011 with port % 3 == 1: 1000, 1003, 1006, 1009
    REQUIRE(p.total() == 8);
    std::set<uint16_t> ports;
    uint32_t pair;
    while (p.acquire(0, pair))
        ports.insert(PortPool::port_of(pair));
    CHECK(ports == std::set<uint16_t>{1000, 1003, 1006, 1009});
}

TEST_CASE("port pool reuses the pair released longest ago")
{
    PortPool p(1, 1, 4, 0);
    uint32_t a, b, c, d, e;
    REQUIRE((p.acquire(0, a) && p.acquire(0, b) && p.acquire(0, c) && p.acquire(0, d)));
    p.release(c, 0, false);
    p.release(a, 0, false);
    REQUIRE(p.acquire(0, e));
    CHECK(e == c);
    REQUIRE(p.acquire(0, e));
    CHECK(e == a);
}

TEST_CASE("a quarantined pair comes back only when its time is over")
{
    const uint64_t q = 60'000'000'000;
    PortPool p(1, 5000, 5001, q);
    uint32_t a, b, x;
    REQUIRE((p.acquire(0, a) && p.acquire(0, b)));
    p.release(a, 100, true);   // the peer closed first: quarantined until 100 + q
    p.release(b, 200, false);  // we closed first: free at once
    REQUIRE(p.acquire(300, x));
    CHECK(x == b);
    CHECK_FALSE(p.acquire(100 + q - 1, x));
    CHECK(p.quarantined() == 1);
    CHECK(p.available(100 + q) == 1);
    REQUIRE(p.acquire(100 + q, x));
    CHECK(x == a);
    CHECK(p.quarantined() == 0);
}

TEST_CASE("quarantine 0 frees at once; many cycles keep the count")
{
    // Quarantine times have 1 ms resolution: 1 ms, a release every 0.1 ms.
    PortPool p(2, 10, 19, 1'000'000);
    uint32_t pair;
    uint64_t now = 0;
    for (int round = 0; round < 1000; round++) {
        REQUIRE(p.acquire(now, pair));
        p.release(pair, now, round % 2 == 0);
        now += 100'000;
    }
    CHECK(p.available(now + 1'000'000) == 20);
}

TEST_CASE("a quarantine is rounded up to whole ms, never down")
{
    PortPool p(1, 10, 10, 1'500'000);
    uint32_t pair = 0;
    REQUIRE(p.acquire(7, pair));
    p.release(pair, 7, true);
    CHECK(p.available(7 + 1'500'000) == 0);
    CHECK(p.available(7 + 1'999'999) == 0);
    CHECK(p.available(7 + 2'000'000) == 1);
}

TEST_CASE("port pool leaves the ports the kernel uses to it")
{
    uint64_t kernel[65536 / 64] = {};
    const uint64_t skipped = PortPool::kernel_ports_skipped();
    PortPool p(2, 1000, 1009, 0);
    PortPool::set_kernel_ports(kernel);
    kernel[1003 / 64] |= uint64_t{1} << (1003 % 64);
    std::set<uint16_t> ports;
    uint32_t pair;
    for (int i = 0; i < 5; i++) {  // ports 1000-1002, each on both addresses, 1003 never
        REQUIRE(p.acquire(0, pair));
        ports.insert(PortPool::port_of(pair));
        p.release(pair, 0, false);  // back to the end of the ring
    }
    kernel[1007 / 64] |= uint64_t{1} << (1007 % 64);  // the kernel starts using another one
    while (ports.size() < 8 && p.acquire(0, pair))
        ports.insert(PortPool::port_of(pair));
    CHECK(ports == std::set<uint16_t>{1000, 1001, 1002, 1004, 1005, 1006, 1008, 1009});
    CHECK(PortPool::kernel_ports_skipped() - skipped == 4);  // 1003 and 1007, on both addresses
    PortPool::unset_kernel_ports(kernel);
    PortPool q(1, 1003, 1003, 0);
    CHECK(q.acquire(0, pair));  // no table: every port
}

TEST_CASE("schedule: a steady rate spaces starts evenly")
{
    ConnectSchedule s(1000, 0, 5'000'000'000);
    CHECK(s.due(0) == 5'000'000'000);
    CHECK(s.due(1) == 5'001'000'000);
    CHECK(s.due(1000) == 6'000'000'000);
    CHECK_FALSE(s.unlimited());
}

TEST_CASE("schedule: the ramp-up grows the rate linearly, then holds it")
{
    // rate 1000/s reached after 2 s: 1000 connections during the ramp.
    ConnectSchedule s(1000, 2.0, 0);
    CHECK(s.due(0) == 0);
    // n(t) = 250 t^2 during the ramp: the 250th start is due at 1 s.
    CHECK(s.due(250) == Approx(1e9).epsilon(1e-6));
    CHECK(s.due(1000) == Approx(2e9).epsilon(1e-6));
    CHECK(s.due(2000) == Approx(3e9).epsilon(1e-6));
    // Gaps shrink during the ramp.
    CHECK(s.due(11) - s.due(10) > s.due(501) - s.due(500));
}

TEST_CASE("schedule: no rate means everything is due at once")
{
    ConnectSchedule s(0, 0, 42);
    CHECK(s.unlimited());
    CHECK(s.due(0) == 42);
    CHECK(s.due(1'000'000) == 42);
}
