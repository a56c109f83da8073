// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// MAC, IP and endpoint parsing: what the CLI accepts and, as much, what it
// refuses, since a wrong address sends traffic somewhere else.

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>
#include <string>

#include "net/addr.hpp"

using namespace xdpgen;

namespace {

MacAddr mac(std::array<uint8_t, 6> b)
{
    MacAddr m;
    m.b = b;
    return m;
}

}  // namespace

TEST_CASE("parse_mac accepts colon and dash forms", "[addr]")
{
    auto m = parse_mac("02:00:00:00:00:01");
    REQUIRE(m);
    CHECK(*m == mac({0x02, 0, 0, 0, 0, 0x01}));
    CHECK(m->str() == "02:00:00:00:00:01");
    CHECK_FALSE(m->is_zero());

    auto upper = parse_mac("AA:BB:CC:DD:EE:FF");
    REQUIRE(upper);
    CHECK(*upper == mac({0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}));
    CHECK(upper->str() == "aa:bb:cc:dd:ee:ff");  // printed lower case

    auto dashed = parse_mac("0a-1b-2c-3d-4e-5f");
    REQUIRE(dashed);
    CHECK(*dashed == mac({0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}));

    auto zero = parse_mac("00:00:00:00:00:00");
    REQUIRE(zero);
    CHECK(zero->is_zero());
}

TEST_CASE("parse_mac rejects wrong length, bad hex and bad separators", "[addr]")
{
    for (const char* s : {"", "02:00:00:00:00", "02:00:00:00:00:0", "02:00:00:00:00:001", "02:00:00:00:00:01:",
                          "2:00:00:00:00:01", "zz:00:00:00:00:01", "02:00:00:00:00:0g", "0x:00:00:00:00:01",
                          "+2:00:00:00:00:01", " 2:00:00:00:00:01", "02.00.00.00.00.01", "02 00 00 00 00 01",
                          "0200.0000.0001", "020000000001"}) {
        INFO("'" << s << "'");
        CHECK_FALSE(parse_mac(s));
    }
}

TEST_CASE("parse_ip reads IPv4 and IPv6 in network order", "[addr]")
{
    auto v4 = parse_ip("198.18.0.2");
    REQUIRE(v4);
    CHECK_FALSE(v4->v6);
    CHECK(v4->b[0] == 198);
    CHECK(v4->b[1] == 18);
    CHECK(v4->b[2] == 0);
    CHECK(v4->b[3] == 2);
    CHECK(v4->v4_be() == htonl(0xc6120002));
    CHECK(*v4 == IpAddr::from_v4(htonl(0xc6120002)));

    auto v6 = parse_ip("fd00::1");
    REQUIRE(v6);
    CHECK(v6->v6);
    CHECK(v6->b[0] == 0xfd);
    for (int i = 1; i < 15; i++)
        CHECK(v6->b[i] == 0);
    CHECK(v6->b[15] == 1);

    // An IPv4-mapped address is IPv6: it goes out in an IPv6 header.
    auto mapped = parse_ip("::ffff:198.18.0.2");
    REQUIRE(mapped);
    CHECK(mapped->v6);
    CHECK(mapped->b[10] == 0xff);
    CHECK(mapped->b[12] == 198);

    CHECK(parse_ip("0.0.0.0")->is_unspecified());
    CHECK(parse_ip("::")->is_unspecified());
    CHECK_FALSE(v4->is_unspecified());
    CHECK_FALSE(v6->is_unspecified());
}

TEST_CASE("parse_ip rejects garbage", "[addr]")
{
    for (const char* s : {"", "not-an-ip", "198.18.0", "198.18.0.256", "198.18.0.2.1", "198.18.0.2 ", " 198.18.0.2",
                          "198.18.0.2/24", "fd00::1::2", "fd00::g", "[fd00::1]", "fd00::1%lo", "lo"}) {
        INFO("'" << s << "'");
        CHECK_FALSE(parse_ip(s));
    }
}

TEST_CASE("IpAddr::str prints canonical forms that parse back", "[addr]")
{
    // RFC 5952 canonical text: lower case, longest zero run compressed.
    CHECK(parse_ip("FD00:0:0:0:0:0:0:1")->str() == "fd00::1");
    CHECK(parse_ip("2001:db8:0:0:1:0:0:1")->str() == "2001:db8::1:0:0:1");
    CHECK(parse_ip("198.18.0.2")->str() == "198.18.0.2");
    CHECK(IpAddr{}.str() == "0.0.0.0");

    for (const char* s : {"198.18.0.2", "255.255.255.255", "10.0.0.1", "fd00::1", "fe80::1", "::", "::1",
                          "2001:db8::1:0:0:1", "::ffff:198.18.0.2"}) {
        INFO(s);
        auto a = parse_ip(s);
        REQUIRE(a);
        CHECK(a->str() == s);
        auto back = parse_ip(a->str());
        REQUIRE(back);
        CHECK(*back == *a);
    }
}

TEST_CASE("is_link_local covers 169.254/16 and fe80::/10 only", "[addr]")
{
    CHECK(parse_ip("169.254.0.1")->is_link_local());
    CHECK(parse_ip("169.254.255.254")->is_link_local());
    CHECK_FALSE(parse_ip("169.253.0.1")->is_link_local());
    CHECK_FALSE(parse_ip("169.255.0.1")->is_link_local());
    CHECK_FALSE(parse_ip("10.0.0.1")->is_link_local());
    CHECK_FALSE(parse_ip("254.169.0.1")->is_link_local());

    CHECK(parse_ip("fe80::1")->is_link_local());
    CHECK(parse_ip("febf:ffff::1")->is_link_local());  // last /10 prefix
    CHECK_FALSE(parse_ip("fec0::1")->is_link_local());  // site-local, not link-local
    CHECK_FALSE(parse_ip("fe7f::1")->is_link_local());
    CHECK_FALSE(parse_ip("fd00::1")->is_link_local());
    CHECK_FALSE(parse_ip("::1")->is_link_local());
}

TEST_CASE("parse_endpoint accepts host:port and [v6]:port", "[addr]")
{
    auto e4 = parse_endpoint("198.18.0.2:80");
    REQUIRE(e4);
    CHECK(e4->addr == *parse_ip("198.18.0.2"));
    CHECK(e4->port == 80);
    CHECK(e4->str() == "198.18.0.2:80");

    auto e6 = parse_endpoint("[fd00::1]:443");
    REQUIRE(e6);
    CHECK(e6->addr == *parse_ip("fd00::1"));
    CHECK(e6->port == 443);
    CHECK(e6->str() == "[fd00::1]:443");

    // The bounds of the port range.
    REQUIRE(parse_endpoint("198.18.0.2:1"));
    CHECK(parse_endpoint("198.18.0.2:1")->port == 1);
    REQUIRE(parse_endpoint("[::1]:65535"));
    CHECK(parse_endpoint("[::1]:65535")->port == 65535);
}

TEST_CASE("parse_endpoint rejects malformed endpoints", "[addr]")
{
    for (const char* s : {"",
                          "198.18.0.2",          // missing port
                          "198.18.0.2:",         // empty port
                          "198.18.0.2:0",        // port 0
                          "198.18.0.2:65536",    // past 16 bits
                          "198.18.0.2:99999999999",
                          "198.18.0.2:-1",
                          "198.18.0.2:+80",
                          "198.18.0.2:80x",      // trailing junk
                          "198.18.0.2:80 ",
                          "198.18.0.2::80",
                          ":80",                 // no host
                          "fd00::1:443",         // IPv6 without brackets
                          "fd00::1",
                          "[fd00::1]",           // bracketed, no port
                          "[fd00::1]:",
                          "[fd00::1]443",
                          "[fd00::1]:443x",      // trailing junk
                          "[fd00::1]:0",
                          "[fd00::1]:65536",
                          "[fd00::1:443",        // unclosed bracket
                          "[]:80",
                          "[198.18.0.2]:80",     // brackets around IPv4
                          "not-an-ip:80"}) {
        INFO("'" << s << "'");
        CHECK_FALSE(parse_endpoint(s));
    }
}
