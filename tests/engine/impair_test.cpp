// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Built-in impairment's pieces: the --impair text and back, the per-segment
// decisions' statistics and determinism, the due queue against a reference
// model, the frame store's cap and reuse.

#include <catch2/catch.hpp>

#include <string>

#include "engine/impair.hpp"

using namespace xdpgen::engine;
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
