// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Profiles: templates read into the command line's program terms, and each
// kind of mistake named with its file, line and column.

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

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

TEST_CASE("a profile's steps, server side, port, TCP settings, fields and defaults", "[profile]")
{
    const std::string dir = "/tmp/xdpgen-profile-test";
    std::system(("mkdir -p " + dir).c_str());
    {
        FILE* f = std::fopen((dir + "/req.bin").c_str(), "wb");
        REQUIRE(f);
        std::fputs("REQ\n", f);
        std::fclose(f);
    }
    auto p = parse_profile(R"(
[defaults]
concurrency = 7
cps = 250.5
order = "random"

[[template]]
name = "raw"
port = 7000
client = [ { send_file = "req.bin" }, { recv = 3 }, { delay_ms = 2 }, { repeat = 2, steps = [ { send = "x" }, { recv = 1 } ] } ]
server = [ { expect_file = "req.bin" }, { send = "OK\n" }, { recv_until_close = true } ]
tcp = { mss = 1200, wscale = false, sack = false, time_wait_ms = 500 }

[[template]]
name = "web"
port = 8080
http = "/item/${id}"
fields = { id = "counter 100" }
server = { http = true, body_size = 512, status = 201 }
)",
                           dir + "/p.toml");
    INFO((p ? "" : p.error().message()));
    REQUIRE(p);
    CHECK(p->defaults.concurrency == 7u);
    CHECK(p->defaults.cps == 250.5);
    CHECK(p->defaults.order == "random");
    CHECK_FALSE(p->defaults.duration);
    const auto& raw = p->templates[0];
    CHECK(raw.port == 7000);
    REQUIRE(raw.client);
    using program::OpKind;
    std::vector<OpKind> kinds;
    for (const auto& op : raw.client->ops)
        kinds.push_back(op.kind);
    CHECK(kinds == std::vector<OpKind>{OpKind::Send, OpKind::Recv, OpKind::Delay, OpKind::Loop, OpKind::Send,
                                       OpKind::Recv, OpKind::EndLoop});
    CHECK(raw.client->ops[0].send.bytes == "REQ\n");  // the file beside the profile
    CHECK(raw.client->ops[0].send.literal);            // a file's bytes: never fields
    CHECK(raw.client->ops[3].count == 2);
    REQUIRE(raw.server);
    CHECK(raw.server->ops[0].kind == OpKind::Recv);
    CHECK(raw.server->ops[0].send.bytes == "REQ\n");  // expect: these bytes
    CHECK(raw.server->ops[0].count == 4);
    CHECK(raw.tcp.mss == uint16_t(1200));
    CHECK(raw.tcp.wscale == int8_t(-1));
    CHECK(raw.tcp.sack == false);
    tcp::TcpConfig base;
    const auto applied = raw.tcp.apply(base, 1100);
    CHECK(applied.mss == 1100);  // at most the run's
    CHECK(applied.wscale == -1);
    CHECK_FALSE(applied.sack);
    CHECK(applied.time_wait == 500 * tcp::kMs);
    CHECK(applied.timestamps == base.timestamps);  // not given: the run's
    const auto& web = p->templates[1];
    REQUIRE(web.server_quick);
    CHECK(web.server_quick->recv_http);
    CHECK(web.server_quick->http_body_size == 512);
    CHECK(web.server_quick->http_status == 201);
    REQUIRE(web.fields.find("id"));
    CHECK(web.fields.find("id")->lo == 100);
    std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("bad steps, server tables, TCP settings and fields name their place", "[profile]")
{
    auto err = [](const std::string& text) {
        auto p = parse_profile(text, "bad.toml");
        REQUIRE_FALSE(p);
        return p.error().message();
    };
    const std::string t = "[[template]]\nname = \"a\"\n";
    CHECK_THAT(err(t + "client = [ { send = \"a\", recv = 1 } ]\n"), StartsWith("bad.toml:3:12: a step must have exactly one key"));
    CHECK_THAT(err(t + "client = [ { sned = \"a\" } ]\n"), StartsWith("bad.toml:3:14: unknown key 'sned' in a step"));
    CHECK_THAT(err(t + "client = []\n"), Contains("'client' must be an array of steps"));
    CHECK_THAT(err(t + "client = [ { close = false } ]\n"), Contains("'close' can only be true"));
    CHECK_THAT(err(t + "client = [ { repeat = 2 } ]\n"), Contains("a repeat step holds exactly 'repeat' and 'steps'"));
    CHECK_THAT(err(t + "client = [ { send_file = \"/nonexistent/x\" } ]\n"), Contains("cannot open /nonexistent/x"));
    CHECK_THAT(err(t + "http = \"/\"\nclient = [ { send = \"a\" } ]\n"), Contains("as steps or by the quick keys"));
    CHECK_THAT(err(t + "server = { stauts = 200 }\n"), StartsWith("bad.toml:3:12: unknown key 'stauts' in a template's server"));
    CHECK_THAT(err(t + "server = 1\n"), Contains("'server' must be a table of server options or an array of steps"));
    CHECK_THAT(err(t + "tcp = { mss = 20 }\n"), StartsWith("bad.toml:3:15: 'mss' must be an integer from 88 to 65535"));
    CHECK(parse_profile(t + "tcp = { mss = 65495, wscale = 14 }\n", "lo.toml"));  // what a capture on lo shows
    CHECK_THAT(err(t + "tcp = { ecn = true }\n"), Contains("unknown key 'ecn' in a template's tcp"));
    CHECK_THAT(err(t + "port = 70000\n"), Contains("'port' must be an integer from 1 to 65535"));
    CHECK_THAT(err(t + "fields = { id = \"countr\" }\n"), StartsWith("bad.toml:3:17: field 'id':"));
    CHECK_THAT(err("[defaults]\nconcurency = 3\n" + t), StartsWith("bad.toml:2:1: unknown key 'concurency' in [defaults]"));
    CHECK_THAT(err("[defaults]\norder = \"fast\"\n" + t), Contains("'order' must be \"round-robin\" or \"random\""));
    CHECK_THAT(err(t + "cps = 10\nweight = 2\n"), StartsWith("bad.toml:4:10: a template has a weight"));
    CHECK_THAT(err(t + "concurrency = 3\nweight = 2\n"), Contains("or a load of its own (cps, concurrency)"));
    CHECK_THAT(err(t + "concurrency = 0\n"), Contains("'concurrency' must be an integer from 1"));
    CHECK_THAT(err(t + "cps = 0\n"), Contains("'cps' must be from"));
}

TEST_CASE("a template's own impairment, and a bad one named with its place", "[profile]")
{
    const std::string t = "[[template]]\nname = \"a\"\nhttp = \"/\"\n";
    auto p = parse_profile(t + "impair = \"delay=30ms,loss=1%,seed=9\"\n[[template]]\nname = \"b\"\nhttp = \"/\"\n", "i.toml");
    REQUIRE(p);
    REQUIRE(p->templates.size() == 2);
    CHECK(p->templates[0].impair.delay_ns == 30'000'000);
    CHECK(p->templates[0].impair.loss_ppm == 10'000);
    CHECK(p->templates[0].impair.seed == 9);
    CHECK_FALSE(p->templates[1].impair.any());

    auto bad = parse_profile(t + "impair = \"loss=5\"\n", "bad.toml");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message(), StartsWith("bad.toml:4:10: impair: 'loss=5' needs a percent sign"));
    auto not_text = parse_profile(t + "impair = 5\n", "bad.toml");
    REQUIRE_FALSE(not_text);
    CHECK_THAT(not_text.error().message(), Contains("'impair' must be"));
}
