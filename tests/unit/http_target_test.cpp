// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A client target given as a URL (src/cli/http_target).

#include <catch2/catch.hpp>

#include "cli/http_target.hpp"

using namespace xdpgen;
using Catch::Matchers::Contains;

namespace {
HttpUrl url(const char* s)
{
    auto u = parse_http_url(s);
    INFO(s << ": " << (u ? "" : u.error().message()));
    REQUIRE(u.ok());
    return u.value();
}
std::string url_error(const char* s)
{
    auto u = parse_http_url(s);
    REQUIRE_FALSE(u.ok());
    return u.error().message();
}
}  // namespace

TEST_CASE("URL targets: host, port, path and the Host header", "[cli][url]")
{
    CHECK(looks_like_url("http://x/"));
    CHECK_FALSE(looks_like_url("198.18.0.2:80"));

    HttpUrl u = url("http://198.18.0.2");
    CHECK(u.host == "198.18.0.2");
    CHECK(u.port == 80);
    CHECK(u.path == "/");
    CHECK(u.host_header() == "198.18.0.2");

    u = url("http://198.18.0.2:8080/a/b.html?q=1&r=2#frag");
    CHECK(u.port == 8080);
    CHECK(u.path == "/a/b.html?q=1&r=2");  // the fragment is never sent
    CHECK(u.host_header() == "198.18.0.2:8080");

    u = url("http://[fd00:18::2]:81/x");
    CHECK(u.host == "fd00:18::2");
    CHECK(u.port == 81);
    CHECK(u.host_header() == "[fd00:18::2]:81");

    u = url("http://localhost?x");
    CHECK(u.host == "localhost");
    CHECK(u.path == "/?x");
}

TEST_CASE("URL targets: what is refused, and why", "[cli][url]")
{
    CHECK_THAT(url_error("https://198.18.0.2/"), Contains("https is not supported yet"));
    CHECK_THAT(url_error("ftp://198.18.0.2/"), Contains("only http:// URLs"));
    CHECK_THAT(url_error("http:///x"), Contains("names no host"));
    CHECK_THAT(url_error("http://198.18.0.2:0/"), Contains("is not 1-65535"));
    CHECK_THAT(url_error("http://198.18.0.2:70000/"), Contains("is not 1-65535"));
    CHECK_THAT(url_error("http://198.18.0.2:/"), Contains("is not 1-65535"));
    CHECK_THAT(url_error("http://198.18.0.2:8a/"), Contains("is not 1-65535"));
    CHECK_THAT(url_error("http://[fd00::1/"), Contains("closing ']'"));
    CHECK_THAT(url_error("http://fd00::1/"), Contains("goes in brackets"));
    CHECK_THAT(url_error("http://u:p@198.18.0.2/"), Contains("user information"));
    CHECK_THAT(url_error("http://198.18.0.2/a b"), Contains("space or control character"));
}

TEST_CASE("URL hosts: addresses as they are, names through the resolver", "[cli][url]")
{
    auto a = resolve_host("198.18.0.2");
    REQUIRE(a.ok());
    CHECK(a->str() == "198.18.0.2");
    auto l = resolve_host("localhost");  // /etc/hosts: 127.0.0.1 or ::1
    REQUIRE(l.ok());
    CHECK((l->str() == "127.0.0.1" || l->str() == "::1"));
}
