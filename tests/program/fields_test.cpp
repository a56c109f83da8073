// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Fields in payload text: each kind's value and fixed width, the same bytes
// for the same context, draws that cover their range, list orders, slices
// that agree with the whole rendering, and the errors a profile's author reads.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "program/fields.hpp"

using namespace xdpgen;
using namespace xdpgen::program;
using Catch::Matchers::Contains;

namespace {

FieldDef def(std::string_view spec)
{
    auto d = parse_field_def(spec);
    INFO((d ? std::string() : d.error().message()));
    REQUIRE(d.ok());
    return std::move(d).value();
}

FieldText text(std::string_view t, const FieldDefs& defs = {}, uint32_t max_requests = 1, bool v6 = false)
{
    auto r = FieldText::parse(t, defs, max_requests, v6);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return std::move(r).value();
}

std::string text_error(std::string_view t, const FieldDefs& defs = {})
{
    auto r = FieldText::parse(t, defs, 1);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
}

std::string spec_error(std::string_view spec)
{
    auto d = parse_field_def(spec);
    REQUIRE_FALSE(d.ok());
    return d.error().message();
}

// One named field, rendered alone.
std::string one(std::string_view spec, const FieldContext& ctx, uint32_t max_requests = 1)
{
    FieldDefs defs;
    REQUIRE(defs.add("f", def(spec)).ok());
    return text("${f}", defs, max_requests).render_all(ctx);
}

FieldContext ctx_conn(uint64_t conn, uint64_t request = 0, uint64_t seed = 1)
{
    FieldContext c;
    c.conn = conn;
    c.request = request;
    c.seed = seed;
    return c;
}

std::string temp_file(const std::string& content)
{
    char path[] = "/tmp/xdpgen_fields_XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

}  // namespace

TEST_CASE("text without fields renders as itself; $$ is a dollar", "[fields]")
{
    auto t = text("GET / HTTP/1.1\r\n\r\n");
    CHECK_FALSE(t.has_fields());
    CHECK(t.size() == 18);
    CHECK(t.render_all({}) == "GET / HTTP/1.1\r\n\r\n");
    CHECK(text("price: $$5, $ alone, end $").render_all({}) == "price: $5, $ alone, end $");
    CHECK(text("$${conn}").render_all({}) == "${conn}");
    CHECK(text("").size() == 0);
}

TEST_CASE("conn and counter: zero-padded, 10 digits, START added, last digits kept", "[fields]")
{
    auto t = text("/item/${conn}");
    CHECK(t.has_fields());
    CHECK(t.size() == 6 + 10);
    CHECK(t.render_all(ctx_conn(0)) == "/item/0000000000");
    CHECK(t.render_all(ctx_conn(42)) == "/item/0000000042");
    CHECK(t.render_all(ctx_conn(12345678901)) == "/item/2345678901");
    CHECK(one("counter", ctx_conn(7)) == "0000000007");
    CHECK(one("counter 1000", ctx_conn(7)) == "0000001007");
    CHECK(one("counter 123456789012", ctx_conn(1)) == "123456789013");
}

TEST_CASE("request: as wide as the last request number", "[fields]")
{
    CHECK(text("${request}", {}, 1).size() == 1);
    CHECK(text("${request}", {}, 10).size() == 1);
    CHECK(text("${request}", {}, 11).size() == 2);
    CHECK(text("${request}", {}, 1000).size() == 3);
    CHECK(text("${request}", {}, 0).size() == 10);  // no limit
    CHECK(text("r${request}", {}, 100).render_all(ctx_conn(5, 7)) == "r07");
    CHECK(one("request", ctx_conn(5, 3), 10) == "3");
}

TEST_CASE("random: within [LO, HI], as wide as HI, covers its range", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("n", def("random 1 1000")).ok());
    auto t = text("${n}", defs);
    CHECK(t.size() == 4);
    std::set<uint64_t> seen;
    for (uint64_t c = 0; c < 20000; ++c) {
        const std::string s = t.render_all(ctx_conn(c));
        REQUIRE(s.size() == 4);
        const uint64_t v = std::stoull(s);
        REQUIRE(v >= 1);
        REQUIRE(v <= 1000);
        seen.insert(v);
    }
    CHECK(seen.size() == 1000);  // 20 draws per value: missing one is ~1e-9 likely

    // A one-value range, and the widest.
    CHECK(one("random 5 5", ctx_conn(3)) == "5");
    for (uint64_t c = 0; c < 1000; ++c) {
        const std::string s = one("random 0 9223372036854775808", ctx_conn(c));
        REQUIRE(s.size() == 19);
        REQUIRE(std::stoull(s) <= (uint64_t(1) << 63));
    }
}

TEST_CASE("random: a pure function of seed, conn and request", "[fields]")
{
    auto t = text("${random 0 999999}");
    CHECK(t.render_all(ctx_conn(1, 2, 3)) == t.render_all(ctx_conn(1, 2, 3)));
    int differ_conn = 0, differ_req = 0, differ_seed = 0;
    for (uint64_t c = 0; c < 100; ++c) {
        differ_conn += t.render_all(ctx_conn(c)) != t.render_all(ctx_conn(c + 1));
        differ_req += t.render_all(ctx_conn(c, 0)) != t.render_all(ctx_conn(c, 1));
        differ_seed += t.render_all(ctx_conn(c, 0, 1)) != t.render_all(ctx_conn(c, 0, 2));
    }
    CHECK(differ_conn >= 99);
    CHECK(differ_req >= 99);
    CHECK(differ_seed >= 99);
}

TEST_CASE("a named field renders the same value everywhere; inline draws are each their own", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("id", def("random 0 999999999")).ok());
    auto named = text("${id}|${id}", defs);
    auto inline2 = text("${random 0 999999999}|${random 0 999999999}");
    int inline_same = 0;
    for (uint64_t c = 0; c < 200; ++c) {
        const std::string s = named.render_all(ctx_conn(c));
        REQUIRE(s.substr(0, 9) == s.substr(10));
        const std::string u = inline2.render_all(ctx_conn(c));
        inline_same += u.substr(0, 9) == u.substr(10);
    }
    CHECK(inline_same <= 1);
}

TEST_CASE("list: round-robin by conn + request, padded to the longest item", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("ua", def("list curl/8.0|Mozilla/5.0 (X11)| wget ")).ok());
    auto t = text("User-Agent: ${ua}\r\n", defs, 4);
    CHECK(t.size() == 12 + 17 + 2);
    CHECK(t.render_all(ctx_conn(0, 0)) == "User-Agent: curl/8.0         \r\n");
    CHECK(t.render_all(ctx_conn(0, 1)) == "User-Agent: Mozilla/5.0 (X11)\r\n");
    CHECK(t.render_all(ctx_conn(0, 2)) == "User-Agent: wget             \r\n");  // items are trimmed
    CHECK(t.render_all(ctx_conn(0, 3)) == "User-Agent: curl/8.0         \r\n");
    CHECK(t.render_all(ctx_conn(1, 0)) == "User-Agent: Mozilla/5.0 (X11)\r\n");
    CHECK(t.render_all(ctx_conn(2, 0)) == "User-Agent: wget             \r\n");

    FieldDefs padded;
    REQUIRE(padded.add("p", def("list a|bbb pad=_")).ok());
    CHECK(text("[${p}]", padded).render_all(ctx_conn(0)) == "[a__]");
    REQUIRE(padded.add("sp", def("list a|bbb pad= ")).ok());
    CHECK(text("[${sp}]", padded).render_all(ctx_conn(0)) == "[a  ]");
}

TEST_CASE("list-random: every item about equally often", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("x", def("list-random a|b|c|d")).ok());
    auto t = text("${x}", defs, 0);
    std::map<std::string, int> counts;
    const int n = 40000;
    for (uint64_t c = 0; c < n / 4; ++c)
        for (uint64_t r = 0; r < 4; ++r)
            ++counts[t.render_all(ctx_conn(c, r))];
    REQUIRE(counts.size() == 4);
    for (const auto& [item, k] : counts) {
        INFO(item << ": " << k);
        CHECK(std::abs(k - n / 4) < n / 4 / 20);  // within 5%: about 6 standard deviations
    }
}

TEST_CASE("file and file-random: one item per non-empty line", "[fields]")
{
    const std::string path = temp_file("alpha\r\n\n  beta  \ngamma-longest\n\n");
    FieldDefs defs;
    REQUIRE(defs.add("f", def("file " + path)).ok());
    REQUIRE(defs.add("g", def("file-random " + path + " pad=.")).ok());
    const FieldDef& f = *defs.find("f");
    REQUIRE(f.items->size() == 3);
    CHECK((*f.items)[1] == "beta");
    auto t = text("${f};${g}", defs);
    CHECK(t.size() == 13 + 1 + 13);
    CHECK(t.render_all(ctx_conn(0)).substr(0, 13) == "alpha        ");
    CHECK(t.render_all(ctx_conn(1)).substr(0, 13) == "beta         ");
    CHECK(t.render_all(ctx_conn(2)).substr(0, 13) == "gamma-longest");
    std::set<std::string> drawn;
    for (uint64_t c = 0; c < 100; ++c)
        drawn.insert(t.render_all(ctx_conn(c)).substr(14));
    CHECK(drawn == std::set<std::string>{"alpha........", "beta.........", "gamma-longest"});

    const std::string empty = temp_file("\n \n");
    CHECK_THAT(spec_error("file " + empty), Contains("no items"));
    const std::string big = temp_file("ok\n" + std::string(4097, 'x') + "\n");
    CHECK_THAT(spec_error("file " + big), Contains("longer than 4 KiB (line 2)"));
    const std::string cr = temp_file("a\rb\n");
    CHECK_THAT(spec_error("file " + cr), Contains("line break (line 1)"));
    CHECK_THAT(spec_error("file /nonexistent/xdpgen-items"), Contains("cannot open /nonexistent/xdpgen-items"));
    std::remove(path.c_str());
    std::remove(empty.c_str());
    std::remove(big.c_str());
    std::remove(cr.c_str());
}

TEST_CASE("addresses and ports: IPv4 padded to 15, IPv6 in full, ports 5 digits", "[fields]")
{
    FieldContext c;
    c.local_addr = *parse_ip("10.0.0.1");
    c.remote_addr = *parse_ip("192.168.100.200");
    c.local_port = 40001;
    c.remote_port = 80;
    auto v4 = text("${local_addr}:${local_port}>${remote_addr}:${remote_port}");
    CHECK(v4.render_all(c) == "10.0.0.1       :40001>192.168.100.200:00080");

    FieldDefs defs;
    REQUIRE(defs.add("host", def("remote_addr pad=_")).ok());
    CHECK(text("${host}", defs).render_all(c) == "192.168.100.200");
    c.remote_addr = *parse_ip("1.2.3.4");
    CHECK(text("${host}", defs).render_all(c) == "1.2.3.4________");

    FieldContext c6;
    c6.local_addr = *parse_ip("fd00::1");
    c6.remote_addr = *parse_ip("2001:db8:0:1::abcd");
    auto v6 = text("[${local_addr}] [${remote_addr}]", {}, 1, true);
    CHECK(v6.size() == 2 * 39 + 5);
    CHECK(v6.render_all(c6) ==
          "[fd00:0000:0000:0000:0000:0000:0000:0001] [2001:0db8:0000:0001:0000:0000:0000:abcd]");
    // The other family: an IPv4 address in an IPv6 text is padded, the reverse cut.
    CHECK(text("${remote_addr}", {}, 1, true).render_all(c) == "1.2.3.4" + std::string(32, ' '));
    CHECK(text("${remote_addr}", {}, 1, false).render_all(c6) == "2001:0db8:0000:");
}

TEST_CASE("time: the connection's start in microseconds, 16 digits", "[fields]")
{
    FieldContext c;
    c.start_unix_us = 1'700'000'000'123'456;
    CHECK(text("t=${time}").render_all(c) == "t=1700000000123456");
    c.start_unix_us = 5;
    CHECK(text("t=${time}").render_all(c) == "t=0000000000000005");
}

TEST_CASE("any slice of a rendering is the same bytes as the whole", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("id", def("counter 100")).ok());
    REQUIRE(defs.add("ua", def("list-random curl/8.0|Mozilla/5.0 (X11; Linux x86_64)|x pad=~")).ok());
    REQUIRE(defs.add("path", def("list /a|/bb/cc|/ddd")).ok());
    auto t = text("GET ${path}/${id}?r=${random 7 123456}&q=${request} HTTP/1.1\r\nHost: ${remote_addr}\r\n"
                  "User-Agent: ${ua}\r\nX-T: ${time}$$${local_port}\r\n\r\n",
                  defs, 16);
    std::mt19937_64 rng(42);
    for (uint64_t conn = 0; conn < 200; ++conn) {
        FieldContext c = ctx_conn(conn * 7919, conn % 16, conn / 3);
        c.remote_addr = IpAddr::from_v4(uint32_t(rng()));
        c.local_port = uint16_t(rng());
        c.start_unix_us = rng() % 10'000'000'000'000'000;
        const std::string all = t.render_all(c);
        REQUIRE(all.size() == t.size());
        std::string pieced;
        while (pieced.size() < all.size()) {
            const size_t len = std::min<size_t>(rng() % 24, all.size() - pieced.size());
            std::string part(len, '\0');
            t.render(c, pieced.size(), {reinterpret_cast<uint8_t*>(part.data()), len});
            pieced += part;
        }
        REQUIRE(pieced == all);
        for (int k = 0; k < 20; ++k) {
            const size_t off = rng() % all.size();
            const size_t len = rng() % (all.size() - off + 1);
            std::string part(len, '\0');
            t.render(c, off, {reinterpret_cast<uint8_t*>(part.data()), len});
            REQUIRE(part == all.substr(off, len));
        }
    }
}

TEST_CASE("the same context renders the same bytes", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("ua", def("list-random a|b|c|d|e|f|g")).ok());
    auto t = text("${conn} ${request} ${random 0 99999} ${ua}", defs, 100);
    for (uint64_t c = 0; c < 50; ++c) {
        auto ctx = ctx_conn(c, c % 100, 99);
        CHECK(t.render_all(ctx) == t.render_all(ctx));
        CHECK(t.render_all(ctx).size() == t.size());
    }
}

TEST_CASE("text errors name the field and its byte position", "[fields]")
{
    CHECK_THAT(text_error("GET /${nope} HTTP"), Contains("unknown field 'nope' at byte 5"));
    CHECK_THAT(text_error("abc ${conn"), Contains("unclosed '${' at byte 4"));
    CHECK_THAT(text_error("x${conn\r\n}"), Contains("unclosed '${' at byte 1"));
    CHECK_THAT(text_error("${}"), Contains("empty field name '${}' at byte 0"));
    CHECK_THAT(text_error("ab${random}"), Contains("'${random}' at byte 2 needs LO and HI"));
    CHECK_THAT(text_error("${random 9 1}"), Contains("inline field at byte 0"));
    CHECK_THAT(text_error("${random 9 1}"), Contains("LO is greater than HI"));
    CHECK_THAT(text_error("..${list a|b}"), Contains("at byte 2: only random LO HI can be inline"));
    CHECK_THAT(text_error("${ conn }"), Contains("unknown field ' conn '"));

    FieldDefs defs;
    REQUIRE(defs.add("big", def("list " + std::string(4096, 'x'))).ok());
    std::string huge;
    for (int i = 0; i < 257; ++i)
        huge += "${big}";
    CHECK_THAT(text_error(huge, defs), Contains("more than 1 MiB"));
}

TEST_CASE("spec errors", "[fields]")
{
    CHECK_THAT(spec_error("countr"), Contains("unknown kind 'countr'"));
    CHECK_THAT(spec_error(""), Contains("unknown kind ''"));
    CHECK_THAT(spec_error("counter x"), Contains("'x' is not a number"));
    CHECK_THAT(spec_error("counter 9223372036854775809"), Contains("not a number in 0..2^63"));
    CHECK_THAT(spec_error("random 5"), Contains("random needs LO and HI"));
    CHECK_THAT(spec_error("random 1 x"), Contains("'x' is not a number"));
    CHECK_THAT(spec_error("random -1 5"), Contains("'-1' is not a number"));
    CHECK_THAT(spec_error("random 10 1"), Contains("LO is greater than HI"));
    CHECK_THAT(spec_error("request 3"), Contains("request takes no arguments"));
    CHECK_THAT(spec_error("list"), Contains("a list needs items"));
    CHECK_THAT(spec_error("list a||b"), Contains("an empty item (item 2)"));
    CHECK_THAT(spec_error("list a|b\nc"), Contains("line break (item 2)"));
    CHECK_THAT(spec_error("list a\r|b"), Contains("line break (item 1)"));
    CHECK_THAT(spec_error("list " + std::string(4097, 'y')), Contains("longer than 4 KiB"));
    CHECK_THAT(spec_error("list a|b pad=ab"), Contains("pad= takes one printable character"));
    CHECK_THAT(spec_error("list a|b pad="), Contains("pad= takes one printable character"));
    CHECK_THAT(spec_error("list a|b pad=\t"), Contains("pad= takes one printable character"));
    CHECK_THAT(spec_error("counter pad=_"), Contains("pad= is for text fields"));
    CHECK_THAT(spec_error("local_port pad=_"), Contains("pad= is for text fields"));
    CHECK_THAT(spec_error("file"), Contains("file needs a path"));
    CHECK(spec_error("bogus").find("field 'bogus'") == 0);
}

TEST_CASE("definitions: names, built-ins, duplicates", "[fields]")
{
    FieldDefs defs;
    CHECK(defs.add("id", def("counter")).ok());
    CHECK(defs.add("_x9", def("counter")).ok());
    CHECK_THAT(defs.add("id", def("request")).error().message(), Contains("defined twice"));
    CHECK_THAT(defs.add("9x", def("counter")).error().message(), Contains("'9x' is not a name"));
    CHECK_THAT(defs.add("a-b", def("counter")).error().message(), Contains("is not a name"));
    CHECK_THAT(defs.add("", def("counter")).error().message(), Contains("is not a name"));
    for (const char* b : {"conn", "request", "local_addr", "local_port", "remote_addr", "remote_port", "time", "random"}) {
        INFO(b);
        CHECK(FieldDefs::is_builtin(b));
        CHECK_THAT(defs.add(b, def("counter")).error().message(), Contains("is built in"));
    }
    FieldDef no_items;
    no_items.kind = FieldKind::List;
    CHECK_THAT(defs.add("l", no_items).error().message(), Contains("a list without items"));
    FieldDef upside_down;
    upside_down.kind = FieldKind::Random;
    upside_down.lo = 2;
    upside_down.hi = 1;
    CHECK_THAT(defs.add("r", upside_down).error().message(), Contains("LO <= HI"));
    CHECK(defs.size() == 2);
    CHECK(defs.find("id") != nullptr);
    CHECK(defs.find("conn") == nullptr);
}
