// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Programs that expect given bytes (a profile's expect), and sends with
// fields filled per connection and request.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "program/program.hpp"
#include "program/quick.hpp"

using namespace xdpgen;
using namespace xdpgen::program;

namespace {

Op send(std::string s) { return Op{OpKind::Send, {SendSource::Kind::Bytes, std::move(s), 0}}; }
Op expect(std::string s)
{
    const uint64_t n = s.size();
    return Op{OpKind::Recv, {SendSource::Kind::Bytes, std::move(s), 0}, n};
}
Op op(OpKind k, uint64_t count = 0) { return Op{k, {}, count}; }

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string filled(const Program& p, uint64_t off, size_t n, const FieldContext* ctx,
                   uint64_t iterations = Program::kLoopRunning)
{
    std::string out(n, '\0');
    p.fill(off, {reinterpret_cast<uint8_t*>(out.data()), n}, iterations, ctx);
    return out;
}

}  // namespace

TEST_CASE("expected bytes: any slice that matches passes, one wrong byte fails", "[expect]")
{
    auto p = Program::compile({{expect("HELLO\n"), op(OpKind::Recv, 4), expect("BYE\n"), send("ok")}});
    REQUIRE(p);
    CHECK(p->expects());
    CHECK(p->rx_matches(0, bytes("HELLO\nxxxxBYE\n")));
    CHECK(p->rx_matches(3, bytes("LO\n")));
    CHECK(p->rx_matches(6, bytes("????")));  // the plain recv takes any bytes
    CHECK(p->rx_matches(8, bytes("??BY")));
    CHECK_FALSE(p->rx_matches(0, bytes("HELLO!")));
    CHECK_FALSE(p->rx_matches(11, bytes("e\n")));
    CHECK(p->rx_matches(14, bytes("after the program")));  // past every step: not checked

    auto bad = Program::compile({{Op{OpKind::Recv, {SendSource::Kind::Bytes, "abc", 0}, 4}}});
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message(), Catch::Matchers::Contains("expects 3 bytes but receives 4"));
}

TEST_CASE("expected bytes in a loop until the peer closes repeat by its period", "[expect]")
{
    auto p = Program::compile({{expect("HI"), op(OpKind::Loop), expect("REQ\n"), send("A\n"), op(OpKind::EndLoop)}});
    REQUIRE(p);
    CHECK(p->rx_matches(0, bytes("HIREQ\nREQ\nREQ\n")));
    CHECK(p->rx_matches(2 + 4 * 1000, bytes("REQ\n")));
    CHECK_FALSE(p->rx_matches(2 + 4 * 7 + 1, bytes("EQ!")));
}

TEST_CASE("a runner fails its flow on bytes other than those expected", "[expect]")
{
    auto p = Program::compile({{expect("PING\n"), send("PONG\n")}});
    REQUIRE(p);
    for (const bool right : {true, false}) {
        FlowState s{};
        Runner r(*p, s, nullptr);
        r.on_event(tcp::TcpEvent::Established, 0);
        const std::string got = right ? "PING\n" : "PINK\n";
        r.rx_data(0, bytes(got));
        const Next n = r.advance(0, got.size(), false);
        CHECK(r.failure() == (right ? Failure::None : Failure::ExpectMismatch));
        CHECK((n.action == Action::Reset) == !right);  // right: it answers and closes
        CHECK(std::string(failure_name(Failure::ExpectMismatch)) == "expect_mismatch");
    }
}

TEST_CASE("fields: each connection and request its own bytes, the same bytes every time", "[fields]")
{
    FieldDefs defs;
    REQUIRE(defs.add("ua", parse_field_def("list aa|b").value()));
    ProgramSpec spec{{op(OpKind::Loop, 3), send("GET /${conn}/${request} ${ua}\n"), op(OpKind::Recv, 1),
                      op(OpKind::EndLoop)}};
    REQUIRE(apply_fields(spec, defs, 3, false));
    CHECK(spec.ops[1].send.kind == SendSource::Kind::Fields);
    auto p = Program::compile(spec);
    REQUIRE(p);
    CHECK(p->has_fields());
    const size_t len = std::string("GET /0000000000/0 aa\n").size();
    CHECK(p->tx_total() == 3 * len);
    FieldContext c7;
    c7.conn = 7;
    CHECK(filled(*p, 0, 3 * len, &c7) == "GET /0000000007/0 b \nGET /0000000007/1 aa\nGET /0000000007/2 b \n");
    FieldContext c8;
    c8.conn = 8;
    CHECK(filled(*p, len, len, &c8) == "GET /0000000008/1 b \n");
    // A retransmission: any slice, again, the same bytes.
    const std::string all = filled(*p, 0, 3 * len, &c7);
    for (size_t off = 0; off < all.size(); off += 5)
        CHECK(filled(*p, off, std::min<size_t>(9, all.size() - off), &c7) == all.substr(off, 9));
}

TEST_CASE("fields in a loop until the peer closes count its iterations as requests", "[fields]")
{
    ProgramSpec spec{{op(OpKind::Loop), op(OpKind::Recv, 1), send("#${request}\n"), op(OpKind::EndLoop)}};
    REQUIRE(apply_fields(spec, FieldDefs{}, 0, false));
    auto p = Program::compile(spec);
    REQUIRE(p);
    FieldContext c;
    CHECK(filled(*p, 0, 36, &c) == "#0000000000\n#0000000001\n#0000000002\n");
    CHECK(filled(*p, 12 * 41, 12, &c) == "#0000000041\n");
}

TEST_CASE("apply_fields leaves plain text alone and names a bad field", "[fields]")
{
    ProgramSpec spec{{send("cost: $5\n"), send("x ${nope}\n")}};
    auto st = apply_fields(spec, FieldDefs{}, 1, false);
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message(), Catch::Matchers::Contains("op 2 (send)"));
    CHECK(spec.ops[0].send.kind == SendSource::Kind::Bytes);
    CHECK(spec.ops[0].send.bytes == "cost: $5\n");
}

TEST_CASE("bytes from files and request bodies go as they are, '$' and all", "[fields]")
{
    CHECK(escape_fields("a$b$$c") == "a$$b$$$$c");
    // A file's bytes (a capture's): never read for fields.
    ProgramSpec spec{{send("x ${conn}\n")}};
    spec.ops[0].send.literal = true;
    REQUIRE(apply_fields(spec, FieldDefs{}, 1, false));
    CHECK(spec.ops[0].send.kind == SendSource::Kind::Bytes);

    // A profile's HTTP request: fields in the path, none in the body, whose
    // Content-Length counts its bytes as they go out.
    QuickProgram q;
    q.fields = true;
    q.http_get_path = "/u/${conn}";
    q.http_host = "h";
    q.http_body = "cost=$5&x=${y}";
    auto s = build_quick_program(q);
    REQUIRE(s);
    REQUIRE(apply_fields(s.value(), FieldDefs{}, 1, false));
    auto p = Program::compile(s.value());
    REQUIRE(p);
    FieldContext c;
    c.conn = 42;
    const std::string req = filled(*p, 0, p->tx_total(), &c);
    CHECK(req.starts_with("POST /u/0000000042 HTTP/1.1\r\n"));
    CHECK(req.ends_with("Content-Length: 14\r\n\r\ncost=$5&x=${y}"));
}
