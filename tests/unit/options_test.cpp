// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Option values the CLI parses itself. A wrong value must be refused with a
// message that names the option, since that message is all the user sees.

#include <catch2/catch.hpp>

#include "cli/options.hpp"

using namespace xdpgen;
using Catch::Contains;

TEST_CASE("option_port_range: a port or an inclusive range", "[options]")
{
    auto one = option_port_range("9", "--dst-port");
    REQUIRE(one);
    CHECK(one.value().lo == 9);
    CHECK(one.value().hi == 9);

    auto range = option_port_range("9-16", "--dst-port");
    REQUIRE(range);
    CHECK(range.value().lo == 9);
    CHECK(range.value().hi == 16);

    auto full = option_port_range("1-65535", "--dst-port");
    REQUIRE(full);
    CHECK(full.value().lo == 1);
    CHECK(full.value().hi == 65535);

    auto same = option_port_range("80-80", "--dst-port");
    REQUIRE(same);
    CHECK(same.value().lo == 80);
    CHECK(same.value().hi == 80);
}

TEST_CASE("option_port_range refuses bad ports and ranges, naming the option", "[options]")
{
    for (const char* v : {"16-9", "0", "0-9", "70000", "65536", "9-65536", "a-b", "a", "", "-", "9-", "-9", "9-16-20",
                          "9 - 16", " 9", "9 ", "+9", "0x10", "9,16"}) {
        INFO("'" << v << "'");
        auto r = option_port_range(v, "--dst-port");
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message(), Contains("--dst-port") && Contains(std::string("'") + v + "'"));
    }
}

TEST_CASE("option_ip_opt and option_mac_opt: empty means not given", "[options]")
{
    auto ip = option_ip_opt("", "--src-addr");
    REQUIRE(ip);
    CHECK_FALSE(ip.value().has_value());

    auto mac = option_mac_opt("", "--dst-mac");
    REQUIRE(mac);
    CHECK_FALSE(mac.value().has_value());
}

TEST_CASE("option_ip_opt and option_mac_opt: valid values", "[options]")
{
    auto ip = option_ip_opt("fd00::1", "--src-addr");
    REQUIRE(ip);
    REQUIRE(ip.value());
    CHECK(*ip.value() == *parse_ip("fd00::1"));

    auto mac = option_mac_opt("02:00:00:00:00:01", "--dst-mac");
    REQUIRE(mac);
    REQUIRE(mac.value());
    CHECK(mac.value()->str() == "02:00:00:00:00:01");
}

TEST_CASE("option_ip/option_ip_opt/option_mac_opt: bad values name the option", "[options]")
{
    auto ip = option_ip_opt("198.18.0.300", "--src-addr");
    REQUIRE_FALSE(ip);
    CHECK_THAT(ip.error().message(), Contains("--src-addr") && Contains("'198.18.0.300'"));

    auto req = option_ip("not-an-ip", "--dst-addr");
    REQUIRE_FALSE(req);
    CHECK_THAT(req.error().message(), Contains("--dst-addr") && Contains("'not-an-ip'"));

    // Required: empty is an error, not "not given".
    CHECK_FALSE(option_ip("", "--dst-addr"));

    auto mac = option_mac_opt("zz:zz", "--dst-mac");
    REQUIRE_FALSE(mac);
    CHECK_THAT(mac.error().message(), Contains("--dst-mac") && Contains("'zz:zz'"));

    auto mac2 = option_mac_opt("02:00:00:00:00", "--src-mac");
    REQUIRE_FALSE(mac2);
    CHECK_THAT(mac2.error().message(), Contains("--src-mac"));
}

TEST_CASE("options: address ranges for --src-addr", "[options]")
{
    using xdpgen::option_addr_range;
    auto one = option_addr_range("198.18.0.1", "--src-addr");
    REQUIRE(one);
    CHECK(one->count == 1);
    CHECK(one->first.str() == "198.18.0.1");

    auto r = option_addr_range("198.18.0.250-198.18.1.3", "--src-addr");
    REQUIRE(r);
    CHECK(r->count == 10);
    CHECK(r->at(0).str() == "198.18.0.250");
    CHECK(r->at(6).str() == "198.18.1.0");
    CHECK(r->at(9).str() == "198.18.1.3");

    auto net = option_addr_range("198.18.4.77/24", "--src-addr");
    REQUIRE(net);
    CHECK(net->first.str() == "198.18.4.1");  // no network address
    CHECK(net->count == 254);                 // nor broadcast
    auto p31 = option_addr_range("198.18.4.6/31", "--src-addr");
    REQUIRE(p31);
    CHECK(p31->first.str() == "198.18.4.6");
    CHECK(p31->count == 2);
    CHECK(option_addr_range("198.18.0.0/16", "--src-addr")->count == 65534);

    auto v6 = option_addr_range("fd00:18::10-fd00:18::1f", "--src-addr");
    REQUIRE(v6);
    CHECK(v6->count == 16);
    CHECK(v6->at(15).str() == "fd00:18::1f");
    auto v6net = option_addr_range("fd00:18::/120", "--src-addr");
    REQUIRE(v6net);
    CHECK(v6net->count == 256);
    CHECK(v6net->first.str() == "fd00:18::");

    for (const char* badv : {"198.18.0.5-198.18.0.1", "198.18.0.1-fd00::1", "fd00:18::1-fd00:19::1", "198.18.0.0/15",
                             "fd00::/100", "198.18.0.1/33", "198.18.0.1/x", "nope", "198.18.0.1-", "10.0.0.0-10.1.0.0"}) {
        INFO(badv);
        auto e = option_addr_range(badv, "--src-addr");
        REQUIRE_FALSE(e);
        CHECK_THAT(e.error().message(), Catch::Contains("--src-addr") && Catch::Contains(badv));
    }
}

TEST_CASE("option_on_link_down: fail, wait (10 s) or wait:SECONDS", "[options]")
{
    auto fail = option_on_link_down("fail");
    REQUIRE(fail);
    CHECK_FALSE(fail.value().wait);
    CHECK(fail.value().str() == "fail");

    auto wait = option_on_link_down("wait");
    REQUIRE(wait);
    CHECK(wait.value().wait);
    CHECK(wait.value().max_wait_s == kDefaultLinkWaitS);
    CHECK(wait.value().str() == "wait:10");

    auto wait30 = option_on_link_down("wait:2.5");
    REQUIRE(wait30);
    CHECK(wait30.value().wait);
    CHECK(wait30.value().max_wait_s == 2.5);
}

TEST_CASE("option_on_link_down refuses other values, naming the option", "[options]")
{
    for (const char* v : {"", "Fail", "wait:", "wait:0", "wait:-1", "wait:x", "wait:10s", "wait 10", "wait:1e9", "retry"}) {
        INFO("'" << v << "'");
        auto r = option_on_link_down(v);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().what, Contains("--on-link-down"));
    }
}
