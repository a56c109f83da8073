// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// TimerWheel against a brute-force model: a deadline per flow, and at each
// advance(now) exactly the timers with deadline <= now must fire, once.
// Small wheels (few slots, short ticks) so that runs cross many revolutions.

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include <algorithm>
#include <vector>

#include "engine/timer_wheel.hpp"
#include "test_rng.hpp"

using xdpgen::engine::TimerWheel;
using xdpgen::engine::test::Rng;

namespace {

constexpr uint64_t kNever = TimerWheel::kNever;

// The wheel keeps deadlines to the microsecond, rounded up.
uint64_t up_us(uint64_t ns) { return (ns + 999) / 1000 * 1000; }

// The reference: what should fire is every armed deadline <= now.
struct Model {
    std::vector<uint64_t> deadline;
    explicit Model(uint32_t n) : deadline(n, kNever) {}
    std::vector<uint32_t> advance(uint64_t now)
    {
        std::vector<uint32_t> due;
        for (uint32_t i = 0; i < deadline.size(); ++i)
            if (deadline[i] != kNever && deadline[i] <= now) {
                due.push_back(i);
                deadline[i] = kNever;
            }
        return due;
    }
    size_t armed() const { return size_t(std::count_if(deadline.begin(), deadline.end(), [](uint64_t d) { return d != kNever; })); }
};

std::vector<uint32_t> fire_all(TimerWheel& w, uint64_t now)
{
    std::vector<uint32_t> fired;
    const size_t n = w.advance(now, [&](uint32_t id) { fired.push_back(id); });
    REQUIRE(n == fired.size());
    std::sort(fired.begin(), fired.end());
    return fired;
}

// One randomised run: arm (near, same tick, past, across revolutions, far),
// cancel, re-arm, advance by sub-tick to beyond-a-revolution steps.
void random_run(uint32_t flows, uint64_t tick, uint32_t slots, uint64_t seed, int ops)
{
    TimerWheel w(flows, 0, tick, slots);
    Model m(flows);
    Rng rng(seed);
    const uint64_t rev = tick * w.slots();
    uint64_t now = 0;
    size_t total_fired = 0;

    for (int op = 0; op < ops; ++op) {
        const uint32_t id = uint32_t(rng.below(flows));
        const uint64_t r = rng.below(100);
        if (r < 45) {
            uint64_t d;
            switch (rng.below(6)) {
            case 0: d = now + rng.below(tick); break;             // this tick or the next
            case 1: d = now + rng.below(4 * tick); break;         // a few ticks
            case 2: d = now + rng.below(rev); break;              // within a revolution
            case 3: d = now + rng.below(8 * rev); break;           // several revolutions
            case 4: d = now >= tick ? now - rng.below(tick) : now; break;  // already due
            default: d = now + rev * (1 + rng.below(3)); break;   // exactly whole revolutions
            }
            w.arm(id, d);
            m.deadline[id] = up_us(d);
        } else if (r < 55) {
            w.cancel(id);
            m.deadline[id] = kNever;
        } else if (r < 58) {
            w.arm(id, kNever);  // kNever cancels, as Connection::next_deadline says
            m.deadline[id] = kNever;
        } else if (r < 95) {
            uint64_t step;
            switch (rng.below(5)) {
            case 0: step = 0; break;
            case 1: step = rng.below(tick); break;
            case 2: step = rng.below(3 * tick); break;
            case 3: step = rng.below(rev / 2); break;
            default: step = rng.below(3 * rev); break;
            }
            now += step;
            const auto fired = fire_all(w, now);
            const auto want = m.advance(now);
            REQUIRE(fired == want);
            total_fired += fired.size();
        } else {
            REQUIRE(w.is_armed(id) == (m.deadline[id] != kNever));
            REQUIRE(w.deadline(id) == m.deadline[id]);
        }
        REQUIRE(w.size() == m.armed());
    }
    // Drain: everything left fires once its time comes, not before.
    now += 9 * rev;
    REQUIRE(fire_all(w, now) == m.advance(now));
    REQUIRE(w.size() == 0);
    REQUIRE(total_fired > size_t(ops) / 20);  // the run did exercise firing
}

}  // namespace

TEST_CASE("timer wheel: random ops match a brute-force model", "[timer]")
{
    SECTION("tiny wheel, many revolutions") { random_run(200, 1000, 16, 1, 100'000); }
    SECTION("tick of 1 ms, 64 slots") { random_run(500, 1'000'000, 64, 2, 100'000); }
    SECTION("non-power-of-two slot count is rounded up") { random_run(300, 7, 50, 3, 50'000); }
}

TEST_CASE("timer wheel: fires at the first advance at or after the deadline, never before", "[timer]")
{
    TimerWheel w(4, 0, 10'000, 8);
    REQUIRE(w.slots() == 8);
    w.arm(0, 25'000);  // mid-tick
    CHECK(fire_all(w, 20'000).empty());
    CHECK(fire_all(w, 24'999).empty());  // same tick, not yet due
    CHECK(fire_all(w, 25'000) == std::vector<uint32_t>{0});
    CHECK(fire_all(w, 25'000).empty());  // once only
    CHECK_FALSE(w.is_armed(0));

    w.arm(1, 30'000);
    CHECK(fire_all(w, 30'001) == std::vector<uint32_t>{1});

    // A deadline already passed fires at the next advance, whatever its time.
    w.arm(2, 100);
    CHECK(fire_all(w, 30'001) == std::vector<uint32_t>{2});

    // Within a microsecond the deadline is rounded up, never down.
    w.arm(3, 40'001);
    CHECK(w.deadline(3) == 41'000);
    CHECK(fire_all(w, 40'999).empty());
    CHECK(fire_all(w, 41'000) == std::vector<uint32_t>{3});
}

TEST_CASE("timer wheel: cancel and re-arm", "[timer]")
{
    TimerWheel w(8, 0, 1000, 16);
    w.arm(3, 5000);
    w.arm(3, 9000);  // re-arm later: the first deadline is gone
    CHECK(w.size() == 1);
    CHECK(fire_all(w, 6000).empty());
    CHECK(fire_all(w, 9000) == std::vector<uint32_t>{3});

    w.arm(4, 20'000);
    w.arm(4, 12'000);  // re-arm earlier
    CHECK(fire_all(w, 12'000) == std::vector<uint32_t>{4});

    w.arm(5, 15'000);
    w.cancel(5);
    w.cancel(5);  // cancelling a disarmed timer is a no-op
    CHECK(w.size() == 0);
    CHECK(w.deadline(5) == kNever);
    CHECK(fire_all(w, 100'000).empty());
}

TEST_CASE("timer wheel: deadlines many revolutions ahead wait for their own revolution", "[timer]")
{
    // 8 slots of 10 us: a revolution is 80 us.
    TimerWheel w(4, 0, 10'000, 8);
    const uint64_t rev = 80'000;
    const uint64_t d = 10 * rev + 35'000;  // slot 3, ten revolutions ahead
    w.arm(0, d);
    w.arm(1, 35'000);  // same slot, this revolution
    uint64_t now = 0;
    std::vector<uint32_t> seen;
    // Walk tick by tick and in odd steps; only timer 1 may fire early on.
    while (now < d - 1) {
        now = std::min(d - 1, now + 7'000);
        for (uint32_t id : fire_all(w, now)) {
            CHECK(id == 1);
            CHECK(now >= 35'000);
            seen.push_back(id);
        }
    }
    CHECK(seen == std::vector<uint32_t>{1});
    CHECK(w.is_armed(0));
    CHECK(fire_all(w, d) == std::vector<uint32_t>{0});

    // A jump over many revolutions in one advance fires what is due, only.
    w.arm(2, d + 50 * rev);
    w.arm(3, d + 80 * rev);
    CHECK(fire_all(w, d + 60 * rev) == std::vector<uint32_t>{2});
    CHECK(fire_all(w, d + 80 * rev - 1).empty());
    CHECK(fire_all(w, d + 80 * rev) == std::vector<uint32_t>{3});
}

TEST_CASE("timer wheel: 30 minutes ahead at most, then it fires early", "[timer]")
{
    const uint64_t min = 60 * uint64_t(1'000'000'000);
    // An hour in: the deadlines' 32 bits of microseconds have wrapped.
    const uint64_t t0 = 75 * min + 123'000'000;  // on a tick: the bound counts from the tick's start
    TimerWheel w(2, t0, 1'000'000, 4096);
    w.arm(0, t0 + 29 * min);           // within reach: exact
    w.arm(1, t0 + 5 * 24 * 60 * min);  // five days: cut to 30 minutes
    CHECK(w.deadline(0) == t0 + 29 * min);
    CHECK(w.deadline(1) == t0 + 30 * min);
    uint64_t now = t0;
    std::vector<std::pair<uint32_t, uint64_t>> fired;
    // In 15-second steps, as a running engine advances (more often).
    while (now < t0 + 31 * min) {
        now += min / 4;
        for (uint32_t id : fire_all(w, now))
            fired.emplace_back(id, now);
    }
    const std::vector<std::pair<uint32_t, uint64_t>> want{{0, t0 + 29 * min}, {1, t0 + 30 * min}};
    CHECK(fired == want);
}

TEST_CASE("timer wheel: many timers in one slot", "[timer]")
{
    constexpr uint32_t n = 20'000;
    TimerWheel w(n, 0, 1000, 16);
    // All in slot 5, spread over 1000 revolutions and within the tick.
    for (uint32_t i = 0; i < n; ++i)
        w.arm(i, 5000 + uint64_t(i % 1000) * 16'000 + (i % 7) * 100);
    CHECK(w.size() == n);
    size_t fired = 0;
    uint64_t now = 0;
    while (w.size() > 0) {
        now += 3100;
        w.advance(now, [&](uint32_t id) {
            const uint64_t d = up_us(5000 + uint64_t(id % 1000) * 16'000 + (id % 7) * 100);
            REQUIRE(d <= now);          // never early
            REQUIRE(d > now - 3100);    // and at the first advance at or after it
            ++fired;
        });
    }
    CHECK(fired == n);
}

TEST_CASE("timer wheel: callbacks may re-arm and cancel", "[timer]")
{
    SECTION("periodic re-arm from the callback")
    {
        TimerWheel w(3, 0, 1000, 8);
        std::vector<int> count(3, 0);
        for (uint32_t i = 0; i < 3; ++i)
            w.arm(i, 1000 * (i + 1));
        for (uint64_t now = 0; now <= 100'000; now += 250)
            w.advance(now, [&](uint32_t id) {
                ++count[id];
                w.arm(id, now + 1000 * (id + 1));  // period 1, 2, 3 us
            });
        // A period of p us fired at ceil-to-250 ns steps, so about 100/p times.
        CHECK(count[0] == 100);
        CHECK(count[1] == 50);
        CHECK(count[2] == 33);
    }
    SECTION("a callback cancels timers still waiting in the same slot")
    {
        TimerWheel w(100, 0, 1000, 8);
        for (uint32_t i = 0; i < 100; ++i)
            w.arm(i, 2000);
        int fired = 0;
        w.advance(5000, [&](uint32_t) {
            ++fired;
            for (uint32_t j = 0; j < 100; ++j)
                w.cancel(j);
        });
        CHECK(fired == 1);
        CHECK(w.size() == 0);
    }
    SECTION("a past deadline armed in a callback does not loop")
    {
        TimerWheel w(1, 0, 1000, 8);
        w.arm(0, 1000);
        int fired = 0;
        w.advance(1500, [&](uint32_t id) {
            ++fired;
            w.arm(id, 0);
        });
        CHECK(fired == 1);
        CHECK(w.is_armed(0));
        CHECK(fire_all(w, 1500) == std::vector<uint32_t>{0});
    }
}

namespace {

// Resident bytes of this process (VmRSS), read from the kernel.
uint64_t resident_bytes()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    return 0;
}

}  // namespace

TEST_CASE("timer wheel: memory per flow, measured", "[timer]")
{
    // A million armed timers: what the process really grows by, per flow.
    constexpr uint32_t kFlows = 1'000'000;
    const uint64_t before = resident_bytes();
    REQUIRE(before > 0);
    TimerWheel w(kFlows);
    for (uint32_t id = 0; id < kFlows; ++id)
        w.arm(id, 1'000'000 + uint64_t(id) * 1000);
    const double per_flow = static_cast<double>(resident_bytes() - before) / kFlows;
    INFO("resident bytes per armed timer: " << per_flow);
    CHECK(per_flow <= TimerWheel::kBytesPerFlow + 2.0);
    CHECK(per_flow >= TimerWheel::kBytesPerFlow - 2.0);  // the measure sees the nodes at all
}
