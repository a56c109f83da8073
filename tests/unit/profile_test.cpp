// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Profiles: templates read into the command line's program terms, and each
// kind of mistake named with its file, line and column.

#include <catch2/catch.hpp>

#include "cli/profile.hpp"

using namespace xdpgen;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("a profile's templates", "[profile]")
{
    auto p = parse_profile(R"(
# two pages and a raw exchange
[[template]]
name = "page"
weight = 3
http = "/index.html"
headers = ["Accept: */*", "X-Id: 7"]
requests_per_connection = 10

[[template]]
name = "post"
http = "/form"
method = "PUT"
body = "a=1"
expect_status = 405

[[template]]
name = "raw"
send = "PING\r\n"
recv = 6
delay_ms = 5
)",
                           "p.toml");
    INFO((p ? "" : p.error().message()));
    REQUIRE(p);
    REQUIRE(p->templates.size() == 3);
    const auto& a = p->templates[0];
    CHECK(a.name == "page");
    CHECK(a.weight == 3);
    CHECK(a.prog.http_get_path == "/index.html");
    CHECK(a.prog.http_headers == std::vector<std::string>{"Accept: */*", "X-Id: 7"});
    CHECK(a.prog.requests == 10);
    const auto& b = p->templates[1];
    CHECK(b.weight == 1);  // the default
    CHECK(b.prog.http_method == "PUT");
    CHECK(b.prog.http_body == "a=1");
    CHECK(b.prog.expect_status == 405);
    const auto& c = p->templates[2];
    CHECK(c.prog.send_text == "PING\r\n");  // TOML's escapes make the bytes; nothing decodes them again
    CHECK(c.prog.send_literal);
    CHECK(c.prog.recv_bytes == 6);
    CHECK(c.prog.delay_ms == 5);
}

TEST_CASE("a bad profile names file, line, column and what was expected", "[profile]")
{
    auto err = [](const std::string& text) {
        auto p = parse_profile(text, "bad.toml");
        REQUIRE_FALSE(p);
        return p.error().message();
    };
    CHECK_THAT(err("[[template]]\nname = \"a\"\nweight = \"3\"\n"),
               StartsWith("bad.toml:3:10: 'weight' must be an integer from 1 to 1000000"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\nwieght = 3\n"),
               StartsWith("bad.toml:3:1: unknown key 'wieght' in a template"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\nweight = 0\n"), Contains("from 1 to"));
    CHECK_THAT(err("[[template]]\nhttp = \"/\"\n"), Contains("a template without a name"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\n[[template]]\nname = \"a\"\n"),
               StartsWith("bad.toml:3:1: a second template named 'a'"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\nheaders = \"Accept: x\"\n"), Contains("'headers' must be an array"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\nheaders = [1]\n"), Contains("'headers' must hold strings"));
    CHECK_THAT(err("[[template]]\nname = \"a\"\nrecv_http = 1\n"), Contains("must be true or false"));
    CHECK_THAT(err("[[template]]\nname = 'a'\nhttp = \n"), StartsWith("bad.toml:3:"));  // TOML syntax
    CHECK_THAT(err("name = \"a\"\n"), StartsWith("bad.toml:1:1: unknown table or key 'name'"));
    CHECK_THAT(err(""), Contains("no [[template]]"));
    std::string many;
    for (int i = 0; i <= 64; i++)
        many += "[[template]]\nname = \"t" + std::to_string(i) + "\"\n";
    CHECK_THAT(err(many), Contains("more than 64 templates"));
}

TEST_CASE("a profile file that cannot be read", "[profile]")
{
    auto p = load_profile("/nonexistent/x.toml");
    REQUIRE_FALSE(p);
    CHECK_THAT(p.error().message(), Contains("cannot open /nonexistent/x.toml"));
}
