// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Numbers as people read them in the stats lines. Expected strings are
// written from the documented formats in src/stats/units.hpp: SI prefixes
// with two decimals, ns/us/ms/s with 0/1/2/2 decimals, thousands separated by
// commas.

#include <catch2/catch.hpp>

#include <cstdint>

#include "stats/units.hpp"

using namespace xdpgen;

TEST_CASE("fmt_pps scales by 1000 with two decimals", "[units]")
{
    CHECK(fmt_pps(3510000) == "3.51 Mpps");
    CHECK(fmt_pps(0) == "0.00 pps");
    CHECK(fmt_pps(999) == "999.00 pps");
    CHECK(fmt_pps(1000) == "1.00 kpps");
    CHECK(fmt_pps(14880952) == "14.88 Mpps");  // 10G line rate of 64 B frames
    CHECK(fmt_pps(2.5e9) == "2.50 Gpps");
    // A value that would round to "1000.00 k" moves up a prefix instead.
    CHECK(fmt_pps(999999) == "1.00 Mpps");
    CHECK(fmt_pps(999994) == "999.99 kpps");
}

TEST_CASE("fmt_bps", "[units]")
{
    CHECK(fmt_bps(1.8e9) == "1.80 Gbit/s");
    CHECK(fmt_bps(10e9) == "10.00 Gbit/s");
    CHECK(fmt_bps(512) == "512.00 bit/s");
    CHECK(fmt_bps(64 * 8 * 1e6) == "512.00 Mbit/s");
    CHECK(fmt_bps(400e12) == "400.00 Tbit/s");
    CHECK(fmt_bps(2e15) == "2000.00 Tbit/s");  // no prefix past T: the number grows
}

TEST_CASE("fmt_ns picks the unit at each power of 1000", "[units]")
{
    CHECK(fmt_ns(0) == "0 ns");
    CHECK(fmt_ns(850) == "850 ns");
    CHECK(fmt_ns(999) == "999 ns");
    CHECK(fmt_ns(1000) == "1.0 us");
    CHECK(fmt_ns(1023) == "1.0 us");
    CHECK(fmt_ns(12300) == "12.3 us");
    CHECK(fmt_ns(999900) == "999.9 us");
    CHECK(fmt_ns(1e6) == "1.00 ms");
    CHECK(fmt_ns(4.1e6) == "4.10 ms");
    CHECK(fmt_ns(999.99e6) == "999.99 ms");
    CHECK(fmt_ns(1e9) == "1.00 s");
    CHECK(fmt_ns(1.2e9) == "1.20 s");
    CHECK(fmt_ns(3600e9) == "3600.00 s");
}

// A value just under a unit boundary must not print as 1000 of the smaller
// unit (e.g. 999,999 ns as "1000.0 us").
TEST_CASE("fmt_ns does not print 1000 of a unit", "[units]")
{
    CHECK(fmt_ns(999999) == "1.00 ms");
    CHECK(fmt_ns(999999999) == "1.00 s");
    CHECK(fmt_ns(999.7) == "1.0 us");
}

TEST_CASE("fmt_count groups thousands", "[units]")
{
    CHECK(fmt_count(0) == "0");
    CHECK(fmt_count(7) == "7");
    CHECK(fmt_count(999) == "999");
    CHECK(fmt_count(1000) == "1,000");
    CHECK(fmt_count(12345) == "12,345");
    CHECK(fmt_count(999999) == "999,999");
    CHECK(fmt_count(1000000) == "1,000,000");
    CHECK(fmt_count(UINT64_MAX) == "18,446,744,073,709,551,615");
}
