// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <catch2/catch.hpp>

#include "cli/port_limit.hpp"

using namespace xdpgen;

TEST_CASE("port limit: our TIME-WAIT holds the ports", "[port-limit]")
{
    PortUse u{2, 50'000, 1.0, 60.0, 90'000, 10, 100};
    const PortLimit l = port_limit(u);
    CHECK(l.pairs == 100'000);
    CHECK(l.hold_s == 1.0);
    CHECK(l.cap_cps == 100'000.0);
    const std::string n = port_limit_note(l, 1234);
    CHECK_THAT(n, Catch::Contains("1,234 starts waited"));
    CHECK_THAT(n, Catch::Contains("--time-wait 1 s"));
    CHECK_THAT(n, Catch::Contains("at most about 100,000 conn/s"));
    CHECK_THAT(n, Catch::Contains("shorten --time-wait"));
}

TEST_CASE("port limit: the server closes first, ports rest --peer-time-wait", "[port-limit]")
{
    PortUse u{1, 100, 1.0, 2.0, 3, 90, 7};
    const PortLimit l = port_limit(u);
    CHECK(l.hold_s == 2.0);
    CHECK(l.cap_cps == 50.0);
    CHECK_THAT(port_limit_note(l, 5), Catch::Contains("lower --peer-time-wait"));
    CHECK(port_limit_json(l, 5)["cap_cps"] == 50.0);
}

TEST_CASE("port limit: open connections take every port", "[port-limit]")
{
    PortUse u{1, 100, 0.0, 0.0, 0, 0, 100};
    const PortLimit l = port_limit(u);
    CHECK(l.cap_cps == 0);
    const std::string n = port_limit_note(l, 1);
    CHECK_THAT(n, Catch::Contains("taken by an open connection"));
    CHECK_THAT(n, !Catch::Contains("at most"));
}
