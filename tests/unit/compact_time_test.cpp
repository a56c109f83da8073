// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The compact forms kept per flow: 4-byte deadlines, 6-byte times and
// stream offsets. Each against the 64-bit value it stands for, across the
// wrap of its low bits.

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>

#include "tcp/tcb.hpp"
#include "util/ns_time48.hpp"
#include "util/us_deadline.hpp"

using xdpgen::tcp::Offset48;
using xdpgen::util::NsTime48;
using xdpgen::util::UsDeadline;

namespace {
constexpr uint64_t kUs = 1000, kMin = 60'000'000'000ull;
}

TEST_CASE("UsDeadline: exact to the microsecond, never early, across the 32-bit wrap", "[compact]")
{
    // Around a wrap of the low 32 bits of µs (every 71.6 minutes), and far from it.
    for (uint64_t base : std::initializer_list<uint64_t>{0, (uint64_t(1) << 32) * kUs - 5 * kMin, 1000 * kMin + 7, uint64_t(1) << 60}) {
        INFO("base " << base);
        for (uint64_t ahead : std::initializer_list<uint64_t>{0, 1, 999, 1000, 40 * 1'000'000, 10 * kMin, 30 * kMin}) {
            const uint64_t at = base + ahead;
            const UsDeadline d = UsDeadline::at(at);
            REQUIRE(d.armed());
            const uint64_t up = (at + 999) / kUs * kUs;  // rounded up to the µs
            const uint64_t got = d.ns(base);
            // The one microsecond in 2^32 that would read as "not armed" is taken a µs later.
            CHECK((got == up || (up / kUs % (uint64_t(1) << 32) == 0 && got == up + kUs)));
            CHECK_FALSE(d.due(got - 1));
            CHECK(d.due(got));
            CHECK(d.due(got + 20 * kMin));  // long past: still due
            CHECK(d.ns(got + 20 * kMin) == got);
        }
    }
    UsDeadline none;
    CHECK_FALSE(none.armed());
    CHECK_FALSE(none.due(12345));
    CHECK(none.ns(12345) == UsDeadline::kNone);
    CHECK_FALSE(UsDeadline::at(UsDeadline::kNone).armed());
    UsDeadline d = UsDeadline::at(5 * kUs);
    d.clear();
    CHECK_FALSE(d.armed());
}

TEST_CASE("NsTime48: exact to the ns within 39 hours of now, across the 48-bit wrap", "[compact]")
{
    const uint64_t hour = 60 * kMin;
    for (uint64_t t : std::initializer_list<uint64_t>{5, (uint64_t(1) << 48) - 3, (uint64_t(1) << 48) + 11, 12345678901234567}) {
        INFO("t " << t);
        const NsTime48 s(t);
        for (uint64_t later : std::initializer_list<uint64_t>{0, 1, 1000 * kUs, 36 * hour, NsTime48::kHorizonNs - 1})
            CHECK(s.ns(t + later) == t);
        // A time slightly ahead of now (a due time not yet reached).
        if (t >= hour)
            CHECK(s.ns(t - hour) == t);
    }
}

TEST_CASE("Offset48: a 64-bit offset below 2^48 in 6 bytes", "[compact]")
{
    Offset48 o;
    CHECK(uint64_t(o) == 0);
    o += (uint64_t(1) << 32) + 5;  // past 4 GiB
    CHECK(uint64_t(o) == (uint64_t(1) << 32) + 5);
    o += (uint64_t(1) << 47);
    CHECK(uint64_t(o) == (uint64_t(1) << 47) + (uint64_t(1) << 32) + 5);
    Offset48 m = Offset48::kMax;
    CHECK(uint64_t(m) == (uint64_t(1) << 48) - 1);
    static_assert(sizeof(Offset48) == 6);
}
