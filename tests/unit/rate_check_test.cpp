// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// `udp --rate`: when a run counts as short of its rate, and what it blames.

#include <catch2/catch.hpp>

#include "cli/rate_check.hpp"

using namespace xdpgen;
using Catch::Matchers::Contains;

TEST_CASE("within 1% of the asked rate, or no rate asked, is no shortfall", "[rate]")
{
    CHECK_FALSE(rate_shortfall(0, 5e6, 1, true, 0));
    CHECK_FALSE(rate_shortfall(1e6, 1e6, 1, true, 0));
    CHECK_FALSE(rate_shortfall(1e6, 0.9901e6, 1, true, 0));
    CHECK_FALSE(rate_shortfall(1e6, 1.2e6, 1, true, 0));
    CHECK(rate_shortfall(1e6, 0.9899e6, 1, true, 0));
}

TEST_CASE("a shortfall names its limit and the fix", "[rate]")
{
    auto s = rate_shortfall(10e6, 6.2e6, 1, true, 0);
    REQUIRE(s);
    CHECK_THAT(s->limit, Contains("1 thread at full speed") && Contains("-t 2"));
    CHECK(rate_summary(*s) == "rate: asked 10.00 Mpps, reached 6.20 Mpps (62%): limited by " + s->limit);
    s = rate_shortfall(10e6, 6.2e6, 2, false, 0);
    REQUIRE(s);
    CHECK_THAT(s->limit, Contains("2 threads at full speed, one per CPU and TX queue available"));
    s = rate_shortfall(10e6, 6.2e6, 1, true, 5);
    REQUIRE(s);
    CHECK_THAT(s->limit, Contains("the driver refused frames"));
    const auto j = rate_json(10e6, 6.2e6, s);
    CHECK(j["reached"] == false);
    CHECK(j["limit"] == s->limit);
    CHECK(rate_json(1e5, 1e5, std::nullopt)["limit"].is_null());
}
