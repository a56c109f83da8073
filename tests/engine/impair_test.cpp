// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Built-in impairment's pieces: the --impair text and back, the per-segment
// decisions' statistics and determinism, the due queue against a reference
// model, the frame store's cap and reuse.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "engine/impair.hpp"
#include "test_rng.hpp"

using namespace xdpgen::engine;
using xdpgen::engine::test::Rng;
using Catch::Contains;

namespace {

ImpairSpec parsed(std::string_view text)
{
    auto r = parse_impair(text, "--impair");
    INFO("'" << text << "'");
    if (!r)
        FAIL(r.error().what);
    return r.value();
}

// Everything but seed_given, which describe() always sets by naming the seed.
void check_same(const ImpairSpec& a, const ImpairSpec& b)
{
    CHECK(a.delay_ns == b.delay_ns);
    CHECK(a.jitter_ns == b.jitter_ns);
    CHECK(a.loss_ppm == b.loss_ppm);
    CHECK(a.reorder_ppm == b.reorder_ppm);
    CHECK(a.seed == b.seed);
}

}  // namespace

TEST_CASE("parse_impair: durations in ns, us, ms and s, fractions to the ns", "[impair]")
{
    CHECK(parsed("delay=7ns").delay_ns == 7);
    CHECK(parsed("delay=250us").delay_ns == 250'000);
    CHECK(parsed("delay=20ms").delay_ns == 20'000'000);
    CHECK(parsed("delay=2s").delay_ns == 2'000'000'000);
    CHECK(parsed("delay=1.5ms").delay_ns == 1'500'000);
    CHECK(parsed("delay=0.000000001s").delay_ns == 1);
    CHECK(parsed("delay=1.250us").delay_ns == 1'250);
    CHECK(parsed("delay=60s").delay_ns == 60'000'000'000);
    CHECK(parsed("delay=60.000s").delay_ns == 60'000'000'000);
    CHECK(parsed("delay=0ms").delay_ns == 0);
    CHECK(parsed("delay=007ms").delay_ns == 7'000'000);
    CHECK(parsed("jitter=5ms").jitter_ns == 5'000'000);
    CHECK(parsed("jitter=0.5s").jitter_ns == 500'000'000);
}

TEST_CASE("parse_impair: rates in %, to 1 ppm", "[impair]")
{
    CHECK(parsed("loss=1%").loss_ppm == 10'000);
    CHECK(parsed("loss=0.5%").loss_ppm == 5'000);
    CHECK(parsed("loss=0.0001%").loss_ppm == 1);
    CHECK(parsed("loss=100%").loss_ppm == 1'000'000);
    CHECK(parsed("loss=100.00%").loss_ppm == 1'000'000);
    CHECK(parsed("loss=0%").loss_ppm == 0);
    CHECK(parsed("loss=12.3456%").loss_ppm == 123'456);
    CHECK(parsed("reorder=0.5%").reorder_ppm == 5'000);
    CHECK(parsed("reorder=100%").reorder_ppm == 1'000'000);
}

TEST_CASE("parse_impair: seed, keys in any order, blanks around items", "[impair]")
{
    const ImpairSpec d = parsed("loss=5%");
    CHECK(d.seed == 1);
    CHECK_FALSE(d.seed_given);
    const ImpairSpec s = parsed("seed=42");
    CHECK(s.seed == 42);
    CHECK(s.seed_given);
    CHECK_FALSE(s.any());
    CHECK(parsed("seed=0").seed == 0);
    CHECK(parsed("seed=18446744073709551615").seed == UINT64_MAX);

    const ImpairSpec a = parsed("delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42");
    const ImpairSpec b = parsed("seed=42,reorder=0.5%,loss=1%,jitter=5ms,delay=20ms");
    const ImpairSpec c = parsed("  delay=20ms , jitter=5ms,\tloss=1% ,reorder=0.5%,  seed=42 ");
    CHECK(a.delay_ns == 20'000'000);
    CHECK(a.jitter_ns == 5'000'000);
    CHECK(a.loss_ppm == 10'000);
    CHECK(a.reorder_ppm == 5'000);
    CHECK(a.seed == 42);
    CHECK(a.any());
    check_same(a, b);
    check_same(a, c);
}

TEST_CASE("ImpairSpec::any: delay, jitter, loss or reorder", "[impair]")
{
    CHECK_FALSE(ImpairSpec{}.any());
    for (const char* t : {"delay=1ns", "jitter=1ns", "loss=0.0001%", "reorder=0.0001%"}) {
        INFO(t);
        CHECK(parsed(t).any());
    }
    CHECK_FALSE(parsed("delay=0s,loss=0%,seed=3").any());
}

TEST_CASE("ImpairSpec::describe: canonical, only what is set, parses back", "[impair]")
{
    CHECK(parsed("delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42").describe() ==
          "delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42");
    CHECK(parsed("seed=9,loss=1.50%,delay=1500us").describe() == "delay=1.5ms,loss=1.5%,seed=9");
    CHECK(parsed("loss=5%").describe() == "loss=5%,seed=1");
    CHECK(parsed("jitter=1000000ns").describe() == "jitter=1ms,seed=1");
    CHECK(parsed("delay=0.000001s").describe() == "delay=1us,seed=1");
    CHECK(parsed("delay=999ns").describe() == "delay=999ns,seed=1");
    CHECK(parsed("delay=60s,loss=100%").describe() == "delay=60s,loss=100%,seed=1");
    CHECK(ImpairSpec{}.describe() == "seed=1");

    for (const char* t : {"delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42", "delay=1.000001ms",
                          "jitter=59.999999999s", "loss=0.0001%,reorder=99.9999%", "delay=1ns,jitter=1001ns",
                          "seed=18446744073709551615", "delay=0ms,loss=0%", "reorder=33.3333%,delay=12.345678ms"}) {
        INFO(t);
        const ImpairSpec a = parsed(t);
        const ImpairSpec b = parsed(a.describe());
        check_same(a, b);
        CHECK(b.seed_given);
        CHECK(b.describe() == a.describe());
    }
}

TEST_CASE("parse_impair refuses malformed text, naming the option and the item", "[impair]")
{
    struct Case {
        const char* text;
        const char* says;  // a substring of the message
    };
    const Case cases[] = {
        {"", "empty"},
        {"  ", "empty"},
        {"delay=1ms,,loss=1%", "empty item"},
        {"delay=1ms,", "empty item"},
        {"drop=5%", "'drop=5%' has an unknown key 'drop'"},
        {"Delay=5ms", "unknown key 'Delay'"},
        {"delay=1ms,delay=2ms", "'delay=2ms' repeats delay"},
        {"seed=1,loss=1%,seed=2", "'seed=2' repeats seed"},
        {"loss=5", "'loss=5' needs a percent sign, e.g. loss=5%"},
        {"reorder=0.5", "'reorder=0.5' needs a percent sign, e.g. reorder=0.5%"},
        {"loss=5 %", "'loss=5 %' needs a percent sign right after the number"},
        {"delay=20", "'delay=20' needs a unit (ns, us, ms or s), e.g. delay=20ms"},
        {"jitter=1.5", "'jitter=1.5' needs a unit"},
        {"delay=-5ms", "'delay=-5ms' is negative"},
        {"loss=-1%", "'loss=-1%' is negative"},
        {"seed=-1", "'seed=-1' is negative"},
        {"loss=100.0001%", "'loss=100.0001%' is more than 100%"},
        {"reorder=101%", "'reorder=101%' is more than 100%"},
        {"loss=99999999999999999999999%", "is more than 100%"},
        {"delay=61s", "'delay=61s' is more than 60s"},
        {"jitter=60.000000001s", "'jitter=60.000000001s' is more than 60s"},
        {"delay=60001ms", "is more than 60s"},
        {"delay=5msx", "'delay=5msx' has an unknown unit 'msx'"},
        {"delay=5m", "unknown unit 'm'"},
        {"delay=5%", "unknown unit '%'"},
        {"loss=5%x", "'loss=5%x' has 'x' after the percent sign"},
        {"loss=5x%", "'loss=5x%' needs a percent sign right after the number"},
        {"seed=42x", "'seed=42x' is not a whole number"},
        {"seed=1.5", "'seed=1.5' is not a whole number"},
        {"seed=18446744073709551616", "more than a 64-bit seed"},
        {"delay=", "'delay=' needs a value, e.g. delay=20ms"},
        {"loss=", "'loss=' needs a value"},
        {"seed=", "'seed=' needs a value"},
        {"delay", "'delay' needs a value"},
        {"delay=ms", "'delay=ms' is not a number"},
        {"delay=.5ms", "'delay=.5ms' is not a number"},
        {"delay=1.ms", "'delay=1.ms' is not a number"},
        {"delay=1.2.3ms", "'delay=1.2.3ms' is not a number"},
        {"loss=+5%", "'loss=+5%' is not a number"},
        {"delay=1.2.3", "'delay=1.2.3' is not a number"},
        {"loss=1..5%", "'loss=1..5%' is not a number"},
        {"seed=x", "'seed=x' is not a number"},
        {"delay=1.5ns", "'delay=1.5ns' is finer than 1ns"},
        {"loss=0.00001%", "'loss=0.00001%' is finer than 0.0001%"},
        {"delay = 5ms", "unknown key 'delay '"},
        {"delay=5ms;loss=1%", "unknown unit 'ms;loss=1%'"},
    };
    for (const Case& c : cases) {
        INFO("'" << c.text << "'");
        auto r = parse_impair(c.text, "--impair-rx");
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().what, Contains(c.says));
        CHECK_THAT(r.error().what, Contains("--impair-rx: "));
        CHECK_THAT(r.error().hint, Contains("delay=<duration>") && Contains("loss=<rate>") && Contains("seed="));
    }
}

namespace {

constexpr uint64_t kDraws = 1'000'000;

ImpairSpec spec_of(uint32_t loss_ppm, uint32_t reorder_ppm, uint64_t delay_ns = 0, uint64_t jitter_ns = 0,
                   uint64_t seed = 1)
{
    ImpairSpec s;
    s.loss_ppm = loss_ppm;
    s.reorder_ppm = reorder_ppm;
    s.delay_ns = delay_ns;
    s.jitter_ns = jitter_ns;
    s.seed = seed;
    return s;
}

// Identities the way the engine makes them: (flow, sequence) mixed.
uint64_t segment_identity(uint64_t flow, uint64_t seq)
{
    return impair_mix(impair_mix(0, flow), seq);
}

}  // namespace

TEST_CASE("ImpairDecider: loss=5% drops 5% +- 0.1% of a million identities", "[impair]")
{
    const ImpairDecider d(spec_of(50'000, 0));
    uint64_t seq_drops = 0, mixed_drops = 0;
    for (uint64_t i = 0; i < kDraws; ++i) {
        seq_drops += d.decide(i).drop;  // consecutive numbers: the hardest input
        mixed_drops += d.decide(segment_identity(i / 1000, i % 1000)).drop;
    }
    CHECK(double(seq_drops) / kDraws == Approx(0.05).margin(0.001));
    CHECK(double(mixed_drops) / kDraws == Approx(0.05).margin(0.001));
}

TEST_CASE("ImpairDecider: reorder=5% reorders 5% +- 0.1%, and nothing else is drawn", "[impair]")
{
    const ImpairDecider d(spec_of(0, 50'000));
    uint64_t reordered = 0;
    for (uint64_t i = 0; i < kDraws; ++i) {
        const ImpairDecision r = d.decide(i);
        reordered += r.reorder;
        REQUIRE_FALSE(r.drop);
        REQUIRE(r.delay_ns == 0);
    }
    CHECK(double(reordered) / kDraws == Approx(0.05).margin(0.001));
}

TEST_CASE("ImpairDecider: 0% never, 100% always, 1 ppm about once in a million", "[impair]")
{
    const ImpairDecider none(spec_of(0, 0, 3'000'000));
    const ImpairDecider all(spec_of(1'000'000, 1'000'000));
    const ImpairDecider one(spec_of(1, 0));
    uint64_t ones = 0;
    for (uint64_t i = 0; i < kDraws; ++i) {
        const ImpairDecision n = none.decide(i), a = all.decide(i);
        REQUIRE_FALSE(n.drop);
        REQUIRE_FALSE(n.reorder);
        REQUIRE(n.delay_ns == 3'000'000);  // no jitter: exactly the delay
        REQUIRE(a.drop);
        REQUIRE(a.reorder);
        ones += one.decide(i).drop;
    }
    CHECK(ones >= 1);
    CHECK(ones <= 8);  // Poisson(1): P(> 8) ~ 1e-6
}

TEST_CASE("ImpairDecider: jitter draws uniformly in [delay - jitter, delay + jitter]", "[impair]")
{
    struct Case {
        uint64_t delay, jitter, lo, hi;
    };
    // The part below 0 is cut off: the range starts at 0.
    for (const Case c : {Case{10'000'000, 5'000'000, 5'000'000, 15'000'000}, Case{0, 5'000'000, 0, 5'000'000},
                         Case{2'000'000, 5'000'000, 0, 7'000'000}, Case{1'000, 1'000, 0, 2'000}}) {
        INFO("delay " << c.delay << " jitter " << c.jitter);
        const ImpairDecider d(spec_of(0, 0, c.delay, c.jitter));
        uint64_t bins[10] = {}, lo = UINT64_MAX, hi = 0;
        double sum = 0;
        for (uint64_t i = 0; i < kDraws; ++i) {
            const uint64_t ns = d.decide(i).delay_ns;
            REQUIRE(ns >= c.lo);
            REQUIRE(ns <= c.hi);
            lo = std::min(lo, ns);
            hi = std::max(hi, ns);
            sum += double(ns);
            ++bins[std::min<uint64_t>(9, (ns - c.lo) * 10 / (c.hi - c.lo))];
        }
        const double mid = double(c.lo + c.hi) / 2;
        CHECK(sum / kDraws == Approx(mid).epsilon(0.01));
        // The ends are reached (within 0.01% of the width).
        CHECK(lo - c.lo <= (c.hi - c.lo) / 10'000);
        CHECK(c.hi - hi <= (c.hi - c.lo) / 10'000);
        for (uint64_t b : bins)
            CHECK(double(b) / kDraws == Approx(0.1).epsilon(0.1));
    }
}

TEST_CASE("ImpairDecider: the same seed and identity, the same decision, in any order", "[impair]")
{
    const ImpairSpec s = spec_of(100'000, 200'000, 20'000'000, 5'000'000, 42);
    const ImpairDecider a(s), b(s);
    std::vector<ImpairDecision> forward(100'000);
    for (uint64_t i = 0; i < forward.size(); ++i)
        forward[i] = a.decide(segment_identity(7, i));
    for (uint64_t i = forward.size(); i-- > 0;) {
        const ImpairDecision r = b.decide(segment_identity(7, i));
        REQUIRE(r.drop == forward[i].drop);
        REQUIRE(r.reorder == forward[i].reorder);
        REQUIRE(r.delay_ns == forward[i].delay_ns);
    }
    CHECK(b.spec().seed == 42);
}

TEST_CASE("ImpairDecider: another seed drops another set (overlap ~ 5% of 5%)", "[impair]")
{
    const ImpairDecider a(spec_of(50'000, 0, 0, 0, 1)), b(spec_of(50'000, 0, 0, 0, 2));
    uint64_t in_a = 0, in_b = 0, both = 0;
    for (uint64_t i = 0; i < kDraws; ++i) {
        const bool da = a.decide(i).drop, db = b.decide(i).drop;
        in_a += da;
        in_b += db;
        both += da && db;
    }
    CHECK(double(in_b) / kDraws == Approx(0.05).margin(0.001));
    // Independent sets: 0.25% of the identities in both (2500, sd 50).
    CHECK(double(both) / kDraws == Approx(0.0025).epsilon(0.1));
}

TEST_CASE("ImpairDecider: drop, reorder and jitter are independent draws", "[impair]")
{
    const uint64_t delay = 10'000'000, jitter = 5'000'000;
    const ImpairDecider d(spec_of(50'000, 500'000, delay, jitter, 7));
    uint64_t reordered = 0, dropped_reordered = 0, kept = 0, dropped_kept = 0;
    uint64_t dropped = 0, low = 0, dropped_low = 0;
    double dropped_delay = 0;
    for (uint64_t i = 0; i < kDraws; ++i) {
        const ImpairDecision r = d.decide(segment_identity(i % 64, i / 64));
        (r.reorder ? reordered : kept) += 1;
        (r.reorder ? dropped_reordered : dropped_kept) += r.drop;
        dropped += r.drop;
        low += r.delay_ns < delay;
        dropped_low += r.drop && r.delay_ns < delay;
        if (r.drop)
            dropped_delay += double(r.delay_ns);
    }
    // Dropped as often among the reordered as among the rest, and among the
    // short delays (sd ~0.03% with 500 000 in each group).
    CHECK(double(dropped_reordered) / reordered == Approx(0.05).margin(0.0015));
    CHECK(double(dropped_kept) / kept == Approx(0.05).margin(0.0015));
    CHECK(double(dropped_low) / low == Approx(0.05).margin(0.0015));
    // Reordered half the time among the dropped (sd ~0.22% over 50 000).
    CHECK(double(dropped_reordered) / dropped == Approx(0.5).margin(0.01));
    // The dropped ones' delays average the delay (sd ~13 us).
    CHECK(dropped_delay / dropped == Approx(double(delay)).epsilon(0.01));
}

TEST_CASE("impair_mix: order matters, no collisions over flows x sequences", "[impair]")
{
    CHECK(impair_mix(impair_mix(0, 1), 2) != impair_mix(impair_mix(0, 2), 1));
    CHECK(impair_mix(0, 0) != 0);
    CHECK(impair_mix(5, 9) == impair_mix(5, 9));
    std::vector<uint64_t> ids;
    ids.reserve(kDraws);
    for (uint64_t flow = 0; flow < 1000; ++flow)
        for (uint64_t seq = 0; seq < 1000; ++seq)
            ids.push_back(segment_identity(flow, seq));
    std::sort(ids.begin(), ids.end());
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
}

// --- DueQueue ---

// Counts the binary's allocations so that a test can say "none here". Not
// under AddressSanitizer, which keeps its own operator new.
#if defined(__SANITIZE_ADDRESS__)
#define IMPAIR_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IMPAIR_COUNT_ALLOCS 0
#endif
#endif
#ifndef IMPAIR_COUNT_ALLOCS
#define IMPAIR_COUNT_ALLOCS 1
#endif

namespace {
std::atomic<uint64_t> g_allocs{0}, g_alloc_bytes{0};
}  // namespace

#if IMPAIR_COUNT_ALLOCS
void* operator new(std::size_t n)
{
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    g_alloc_bytes.fetch_add(n, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
// GCC sees free() meet a `new` once these are inlined: the pairing is ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace {

// A descriptor as the engine would keep one: small, trivially copyable.
struct Seg {
    uint64_t id;
    uint32_t flow;
};

using Queue = DueQueue<Seg>;

// Every id pop_due visits, in order.
std::vector<uint64_t> pop_ids(Queue& q, uint64_t now, size_t max = SIZE_MAX)
{
    std::vector<uint64_t> ids;
    const size_t n = q.pop_due(now, [&](const Seg& s) { ids.push_back(s.id); }, max);
    CHECK(n == ids.size());
    return ids;
}

}  // namespace

TEST_CASE("DueQueue against a model keyed by (due, push sequence), popped at random times", "[impair]")
{
    Rng rng(20240611);
    Queue q;
    std::map<std::pair<uint64_t, uint64_t>, uint64_t> model;  // (due, seq) -> id
    uint64_t seq = 0, now = 1'000'000'000, visited = 0;
    size_t model_peak = 0;
    const auto push = [&](uint64_t due) {
        q.push(due, Seg{seq, uint32_t(seq % 7)});
        model.emplace(std::pair{due, seq}, seq);
        ++seq;
        model_peak = std::max(model_peak, model.size());
    };
    // Dues: ties (a few distinct values), near, already past, minutes ahead.
    const auto random_due = [&] {
        switch (rng.below(5)) {
        case 0: return now + rng.below(4) * 1'000;
        case 1: return now + rng.below(5'000'000);
        case 2: return now - rng.below(1'000'000);
        case 3: return now + 60'000'000'000 * (1 + rng.below(10));
        default: return now;
        }
    };
    for (int step = 0; step < 100'000; ++step) {
        if (rng.below(3)) {
            for (uint64_t n = 1 + rng.below(4); n--;)
                push(random_due());
            continue;
        }
        now += rng.below(4) == 0 ? rng.below(200'000'000'000) : rng.below(3'000'000);
        const size_t max = rng.below(4) == 0 ? 1 + rng.below(5) : SIZE_MAX;
        const uint64_t fence = seq;
        size_t seen = 0;
        const size_t n = q.pop_due(
            now,
            [&](const Seg& s) {
                REQUIRE_FALSE(model.empty());
                const auto it = model.begin();
                REQUIRE(it->first.first <= now);
                REQUIRE(it->first.second < fence);  // not one pushed during this call
                REQUIRE(s.id == it->second);
                REQUIRE(s.flow == s.id % 7);
                model.erase(it);
                ++seen;
                if (rng.below(6) == 0)
                    push(random_due());
            },
            max);
        REQUIRE(n == seen);
        REQUIRE(n <= max);
        visited += n;
        // It stopped for a reason: max, nothing due, or a due item pushed in the call.
        if (n < max && !model.empty())
            REQUIRE((model.begin()->first.first > now || model.begin()->first.second >= fence));
        REQUIRE(q.size() == model.size());
        REQUIRE(q.next_due() == (model.empty() ? UINT64_MAX : model.begin()->first.first));
    }
    CHECK(q.peak() == model_peak);
    // Nothing lost: everything left comes out at the end of time, in order.
    while (q.size())
        visited += q.pop_due(UINT64_MAX, [&](const Seg& s) {
            REQUIRE(s.id == model.begin()->second);
            model.erase(model.begin());
        });
    CHECK(model.empty());
    CHECK(visited == seq);
    CHECK(q.next_due() == UINT64_MAX);
}

TEST_CASE("DueQueue: equal dues come out in push order", "[impair]")
{
    Queue q;
    // 1000 items due at 5 with others due at 4 and 6 pushed between them.
    for (uint64_t i = 0; i < 1000; ++i) {
        q.push(5, Seg{i, 0});
        q.push(i % 2 ? 4 : 6, Seg{100'000 + i, 0});
    }
    CHECK(pop_ids(q, 3).empty());
    CHECK(pop_ids(q, 4).size() == 500);
    const std::vector<uint64_t> fives = pop_ids(q, 5);
    REQUIRE(fives.size() == 1000);
    for (uint64_t i = 0; i < 1000; ++i)
        REQUIRE(fives[i] == i);
    CHECK(pop_ids(q, 6).size() == 500);
}

TEST_CASE("DueQueue: a constant delay keeps each flow's push order", "[impair]")
{
    Rng rng(77);
    Queue q;
    // Two flows, each with its own constant delay, pushed at random times
    // (often the same ns), popped at random times in between.
    const uint64_t delay[2] = {20'000'000, 3'000'000};
    uint64_t t = 0, next_id[2] = {0, 0}, last[2] = {0, 0}, count[2] = {0, 0};
    bool any[2] = {false, false};
    const auto check = [&](const Seg& s) {
        REQUIRE((!any[s.flow] || s.id > last[s.flow]));
        any[s.flow] = true;
        last[s.flow] = s.id;
        ++count[s.flow];
    };
    for (int i = 0; i < 200'000; ++i) {
        t += rng.below(3) == 0 ? 0 : rng.below(100'000);
        const uint32_t f = uint32_t(rng.below(2));
        q.push(t + delay[f], Seg{next_id[f]++, f});
        if (rng.below(10) == 0)
            q.pop_due(t, check, rng.below(2) ? SIZE_MAX : 3);
    }
    q.pop_due(UINT64_MAX, check);
    CHECK(count[0] == next_id[0]);
    CHECK(count[1] == next_id[1]);
}

TEST_CASE("DueQueue: at most max per call, the rest for the next", "[impair]")
{
    Queue q;
    for (uint64_t i = 0; i < 10; ++i)
        q.push(100 + i, Seg{i, 0});
    CHECK(pop_ids(q, 1000, 3) == std::vector<uint64_t>{0, 1, 2});
    CHECK(q.size() == 7);
    CHECK(q.next_due() == 103);
    CHECK(pop_ids(q, 1000, 0).empty());
    CHECK(pop_ids(q, 1000, 4) == std::vector<uint64_t>{3, 4, 5, 6});
    CHECK(pop_ids(q, 108) == std::vector<uint64_t>{7, 8});
    CHECK(pop_ids(q, 1000, 5) == std::vector<uint64_t>{9});
    CHECK(q.size() == 0);
}

TEST_CASE("DueQueue: size, peak (kept across clear), next_due, clear", "[impair]")
{
    Queue q;
    CHECK(q.size() == 0);
    CHECK(q.peak() == 0);
    CHECK(q.next_due() == UINT64_MAX);
    for (uint64_t i = 0; i < 5; ++i)
        q.push(50 - i, Seg{i, 0});
    CHECK(q.next_due() == 46);
    CHECK(pop_ids(q, 47) == std::vector<uint64_t>{4, 3});
    q.push(1, Seg{9, 0});
    q.push(2, Seg{10, 0});
    CHECK(q.size() == 5);
    CHECK(q.peak() == 5);
    q.push(3, Seg{11, 0});
    CHECK(q.peak() == 6);
    q.clear();
    CHECK(q.size() == 0);
    CHECK(q.next_due() == UINT64_MAX);
    CHECK(q.peak() == 6);
    CHECK(pop_ids(q, UINT64_MAX).empty());
}

TEST_CASE("DueQueue: items minutes ahead stay until due", "[impair]")
{
    const uint64_t minute = 60'000'000'000;
    Queue q;
    q.push(5 * minute, Seg{1, 0});
    q.push(10 * minute + 1, Seg{2, 0});
    q.push(1'000, Seg{0, 0});
    CHECK(pop_ids(q, 2'000) == std::vector<uint64_t>{0});
    // Many pops in between, each far apart: nothing leaves early.
    for (uint64_t t = 2'000; t < 5 * minute; t += 7'000'000'001)
        REQUIRE(pop_ids(q, t).empty());
    CHECK(pop_ids(q, 5 * minute - 1).empty());
    CHECK(pop_ids(q, 5 * minute) == std::vector<uint64_t>{1});
    CHECK(pop_ids(q, 10 * minute).empty());
    CHECK(q.next_due() == 10 * minute + 1);
    CHECK(pop_ids(q, 10 * minute + 1) == std::vector<uint64_t>{2});
}

TEST_CASE("DueQueue: what fn pushes waits for the next call", "[impair]")
{
    Queue q;
    q.push(1, Seg{1, 0});
    q.push(2, Seg{2, 0});
    q.push(3, Seg{3, 0});
    SECTION("an item due later than now: the call goes on, the item stays")
    {
        std::vector<uint64_t> ids;
        q.pop_due(10, [&](const Seg& s) {
            ids.push_back(s.id);
            q.push(20 + s.id, Seg{10 + s.id, 0});
        });
        CHECK(ids == std::vector<uint64_t>{1, 2, 3});
        CHECK(q.size() == 3);
        CHECK(q.next_due() == 21);
    }
    SECTION("an item already due: not in this call (no loop), first in the next")
    {
        std::vector<uint64_t> ids;
        const size_t n = q.pop_due(10, [&](const Seg& s) {
            ids.push_back(s.id);
            q.push(0, Seg{100 + s.id, 0});  // re-queued at once, forever
        });
        // The pushed item (due 0) is now first, so the call ends there.
        CHECK(n == 1);
        CHECK(ids == std::vector<uint64_t>{1});
        CHECK(q.next_due() == 0);
        CHECK(pop_ids(q, 10) == std::vector<uint64_t>{101, 2, 3});
    }
}

#if IMPAIR_COUNT_ALLOCS
TEST_CASE("DueQueue: no allocation once warmed up", "[impair]")
{
    Rng rng(5);
    Queue q;
    uint64_t now = 0, sink = 0;
    const auto round = [&] {
        for (int i = 0; i < 4096; ++i)
            q.push(now + rng.below(1'000'000), Seg{uint64_t(i), 0});
        now += 1'000'000;
        q.pop_due(now, [&](const Seg& s) { sink += s.id; });
    };
    round();  // warm-up: the vector grows to its peak
    const uint64_t before = g_allocs.load();
    for (int r = 0; r < 50; ++r)
        round();
    const uint64_t allocs = g_allocs.load() - before;
    CHECK(allocs == 0);
    CHECK(sink > 0);
}
#endif

// --- FrameStore ---

namespace {

std::vector<uint8_t> frame_of(Rng& rng, size_t len)
{
    std::vector<uint8_t> f(len);
    for (uint8_t& b : f)
        b = uint8_t(rng.next());
    return f;
}

bool same(std::span<const uint8_t> a, const std::vector<uint8_t>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

TEST_CASE("FrameStore: at most cap frames, then UINT32_MAX until one is released", "[impair]")
{
    Rng rng(3);
    FrameStore fs(100, 256);
    CHECK(fs.cap() == 100);
    std::vector<uint32_t> slots;
    for (int i = 0; i < 100; ++i) {
        const uint32_t s = fs.put(frame_of(rng, 60));
        REQUIRE(s != UINT32_MAX);
        REQUIRE(s < 100);
        slots.push_back(s);
    }
    std::sort(slots.begin(), slots.end());
    CHECK(std::adjacent_find(slots.begin(), slots.end()) == slots.end());
    CHECK(fs.held() == 100);
    CHECK(fs.put(frame_of(rng, 60)) == UINT32_MAX);
    CHECK(fs.put({}) == UINT32_MAX);
    CHECK(fs.held() == 100);
    fs.release(slots[42]);
    CHECK(fs.held() == 99);
    CHECK(fs.put(frame_of(rng, 60)) == slots[42]);  // the released slot again
    CHECK(fs.put(frame_of(rng, 60)) == UINT32_MAX);

    FrameStore none(0, 256);
    CHECK(none.put(frame_of(rng, 10)) == UINT32_MAX);
    CHECK(none.held() == 0);
}

TEST_CASE("FrameStore: a frame longer than frame_size is refused, up to it kept", "[impair]")
{
    Rng rng(4);
    FrameStore fs(8, 128);
    CHECK(fs.put(frame_of(rng, 129)) == UINT32_MAX);
    CHECK(fs.put(frame_of(rng, 4096)) == UINT32_MAX);
    CHECK(fs.held() == 0);
    const std::vector<uint8_t> full = frame_of(rng, 128);
    const uint32_t a = fs.put(full);
    REQUIRE(a != UINT32_MAX);
    CHECK(same(fs.get(a), full));
    const uint32_t b = fs.put({});
    REQUIRE(b != UINT32_MAX);
    CHECK(fs.get(b).empty());
    CHECK(fs.held() == 2);
}

TEST_CASE("FrameStore: contents intact over random puts and releases, slots reused", "[impair]")
{
    Rng rng(11);
    // 300 = 4 whole chunks and part of a fifth: slots on both sides of the
    // chunk edges.
    const size_t cap = 300, frame_size = 1514;
    FrameStore fs(cap, frame_size);
    std::map<uint32_t, std::vector<uint8_t>> model;
    uint64_t refused = 0;
    for (int step = 0; step < 50'000; ++step) {
        // Fill towards the cap and drain again, in waves.
        const bool filling = (step / 2'000) % 2 == 0;
        if (model.empty() || rng.below(10) < (filling ? 7u : 3u)) {
            std::vector<uint8_t> f = frame_of(rng, rng.below(frame_size + 1));
            const uint32_t s = fs.put(f);
            if (model.size() == cap) {
                REQUIRE(s == UINT32_MAX);
                ++refused;
                continue;
            }
            REQUIRE(s < cap);  // a released slot is reused before a new one
            REQUIRE(model.count(s) == 0);
            model.emplace(s, std::move(f));
        } else {
            auto it = model.begin();
            std::advance(it, rng.below(model.size()));
            REQUIRE(same(fs.get(it->first), it->second));
            fs.release(it->first);
            model.erase(it);
        }
        REQUIRE(fs.held() == model.size());
        if (step % 1'000 == 0)
            for (const auto& [s, f] : model)
                REQUIRE(same(fs.get(s), f));
    }
    CHECK(refused > 0);  // the cap was reached
    for (const auto& [s, f] : model)
        REQUIRE(same(fs.get(s), f));
}

#if IMPAIR_COUNT_ALLOCS
TEST_CASE("FrameStore: memory as frames arrive, at most cap * frame_size, none once warmed up", "[impair]")
{
    Rng rng(6);
    const size_t cap = 10'000, frame_size = 2048;
    const std::vector<uint8_t> f = frame_of(rng, 1500);
    const uint64_t start = g_alloc_bytes.load();
    FrameStore fs(cap, frame_size);
    REQUIRE(fs.put(f) != UINT32_MAX);
    // One frame: one chunk, not the whole store.
    CHECK(g_alloc_bytes.load() - start <= FrameStore::kChunkFrames * frame_size + 1024);
    std::vector<uint32_t> slots;
    while (slots.size() < cap - 1)
        slots.push_back(fs.put(f));
    CHECK(fs.put(f) == UINT32_MAX);
    // The frames, plus the bookkeeping vectors' growth (a few bytes a slot).
    CHECK(g_alloc_bytes.load() - start <= cap * frame_size + cap * 32);
    for (uint32_t s : slots)
        fs.release(s);
    const uint64_t before = g_allocs.load();
    for (int round = 0; round < 3; ++round) {
        for (uint32_t& s : slots)
            s = fs.put(f);
        for (uint32_t s : slots)
            fs.release(s);
    }
    CHECK(g_allocs.load() == before);
}
#endif
