// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// XDPGEN_FAULT, the test-only fault injection: a value is either exactly
// one fault or refused with a sentence naming the variable.

#include <catch2/catch.hpp>

#include "engine/fault.hpp"

using namespace xdpgen::engine;
using Catch::Contains;

TEST_CASE("parse_fault: worker<N>-fail-after-ms=<MS>", "[fault]")
{
    auto f = parse_fault("worker1-fail-after-ms=200");
    REQUIRE(f);
    CHECK(f.value().worker == 1);
    CHECK(f.value().after_ns == 200'000'000u);
    auto g = parse_fault("worker0-fail-after-ms=1");
    REQUIRE(g);
    CHECK(g.value().worker == 0);
    CHECK(g.value().after_ns == 1'000'000u);
}

TEST_CASE("parse_fault refuses anything else", "[fault]")
{
    for (const char* v : {"worker1", "worker-fail-after-ms=200", "workerx-fail-after-ms=200", "worker1-fail-after-ms=",
                          "worker1-fail-after-ms=0", "worker1-fail-after-ms=-5", "worker1-fail-after-ms=2s",
                          "worker1-fail-after=200", " worker1-fail-after-ms=200", "worker-1-fail-after-ms=200"}) {
        INFO("'" << v << "'");
        auto r = parse_fault(v);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().what, Contains("XDPGEN_FAULT"));
    }
}
