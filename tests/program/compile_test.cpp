// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Program::compile: every refusal with the sentence the user reads, the
// unrolled steps and their prefix sums, describe(), and fill() against a
// send stream built the slow way.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "program/program.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;

namespace {

Op send(std::string s) { return Op{OpKind::Send, {SendSource::Kind::Bytes, std::move(s), 0}}; }
Op send_pattern(uint64_t n) { return Op{OpKind::Send, {SendSource::Kind::Pattern, {}, n}}; }
Op recv(uint64_t n) { return Op{OpKind::Recv, {}, n}; }
Op op(OpKind k, uint64_t count = 0) { return Op{k, {}, count}; }
Op loop(uint64_t n) { return op(OpKind::Loop, n); }
Op end() { return op(OpKind::EndLoop); }

ProgramSpec spec(std::vector<Op> ops, bool verify = false)
{
    ProgramSpec s;
    s.ops = std::move(ops);
    s.verify = verify;
    return s;
}

Program compile_ok(const ProgramSpec& s)
{
    auto r = Program::compile(s);
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    return std::move(r).value();
}

std::string compile_error(const ProgramSpec& s)
{
    auto r = Program::compile(s);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
}

std::vector<OpKind> kinds(const Program& p)
{
    std::vector<OpKind> v;
    for (size_t i = 0; i < p.step_count(); ++i)
        v.push_back(p.step(i).kind);
    return v;
}

}  // namespace

TEST_CASE("compile refuses malformed programs with a sentence naming the op", "[program][compile]")
{
    using Catch::Matchers::Contains;
    using Catch::Matchers::Equals;
    CHECK_THAT(compile_error(spec({loop(2), send("a")})), Equals("op 1 (loop): loop without end-loop"));
    CHECK_THAT(compile_error(spec({send("a"), end()})), Equals("op 2 (end-loop): end-loop without a loop"));
    // A count of 0 is a loop until the peer closes (forever_test.cpp), no longer an error.
    CHECK_THAT(compile_error(spec({loop(2), end()})), Equals("op 1 (loop): the loop is empty"));
    CHECK_THAT(compile_error(spec({send("a"), recv(0)})),
               Equals("op 2 (recv): receiving 0 bytes waits for nothing"));
    CHECK_THAT(compile_error(spec({send("")})), Equals("op 1 (send): nothing to send (0 bytes)"));
    CHECK_THAT(compile_error(spec({send_pattern(0)})), Equals("op 1 (send): nothing to send (0 bytes)"));
    CHECK_THAT(compile_error(spec({send("a"), op(OpKind::Close), send("b")})),
               Equals("op 3 (send) comes after a close: nothing can be sent after our FIN"));
    // Only the second pass of the loop breaks the rule.
    CHECK_THAT(compile_error(spec({loop(2), send("a"), op(OpKind::Close), end()})),
               Equals("op 2 (send) comes after a close: nothing can be sent after our FIN"));
    CHECK_THAT(compile_error(spec({op(OpKind::Reset), op(OpKind::Delay, 1)})),
               Equals("op 2 (delay) comes after a reset: the connection is gone by then"));
    CHECK_THAT(compile_error(spec({op(OpKind::Reset), op(OpKind::Close)})),
               Equals("op 2 (close) comes after a reset: the connection is gone by then"));
    CHECK_THAT(compile_error(spec({loop(2), recv(1), op(OpKind::Reset), end()})),
               Equals("op 2 (recv) comes after a reset: the connection is gone by then"));
    CHECK_THAT(compile_error(spec({op(OpKind::RecvUntilClose), recv(5)})),
               Equals("op 2 (recv) comes after recv-until-close: nothing arrives after the peer's FIN"));
    CHECK_THAT(compile_error(spec({op(OpKind::RecvUntilClose), op(OpKind::RecvUntilClose)})),
               Equals("op 2 (recv-until-close) comes after recv-until-close: nothing arrives after the peer's FIN"));
    CHECK_THAT(compile_error(spec({op(OpKind::RecvHttp), recv(5)})),
               Equals("recv-http cannot be mixed with recv or recv-until-close in one program: "
                      "the HTTP parser reads the whole receive stream as responses"));
    CHECK_THAT(compile_error(spec({op(OpKind::RecvUntilClose), op(OpKind::RecvHttp)})),
               Contains("recv-http cannot be mixed"));
    CHECK_THAT(compile_error(spec({send("GET"), op(OpKind::RecvHttp)}, true)),
               Equals("verify checks received bytes against the pattern and cannot be used with recv-http"));
    CHECK_THAT(compile_error(spec({op(OpKind::Delay, UINT64_MAX / 1000)})), Contains("is too long"));
}

TEST_CASE("compile caps the unrolled program at one million steps", "[program][compile]")
{
    // 999,999 delays plus the implicit close: exactly the cap.
    Program p = compile_ok(spec({loop(999'999), op(OpKind::Delay, 0), end()}));
    CHECK(p.step_count() == 1'000'000);
    CHECK(p.step(999'999).kind == OpKind::Close);

    CHECK_THAT(compile_error(spec({loop(1'000'000), op(OpKind::Delay, 0), end()})),
               Catch::Matchers::Equals("program too long: 1000001 steps after expanding loops (at most 1000000)"));
    CHECK_THAT(compile_error(spec({loop(1000), loop(1000), send("a"), recv(1), end(), end(), op(OpKind::Close)})),
               Catch::Matchers::Equals("program too long: 2000001 steps after expanding loops (at most 1000000)"));
    // Counts whose product overflows 64 bits saturate instead of wrapping to something small.
    CHECK_THAT(compile_error(spec({loop(1ull << 40), loop(1ull << 40), send("a"), end(), end()})),
               Catch::Matchers::StartsWith("program too long: 18446744073709551615 steps"));
}

TEST_CASE("compile unrolls nested loops with prefix sums per step", "[program][compile]")
{
    // send 3; loop 2 { send 4; loop 3 { recv 5 }; recv-? } ; delay; close
    Program p = compile_ok(spec({send("abc"), loop(2), send("defg"), loop(3), recv(5), end(), end(),
                                 op(OpKind::Delay, 7), op(OpKind::Close)}));
    using K = OpKind;
    CHECK(kinds(p) == std::vector<K>{K::Send, K::Send, K::Recv, K::Recv, K::Recv, K::Send, K::Recv, K::Recv,
                                     K::Recv, K::Delay, K::Close});
    CHECK(p.tx_total() == 3 + 2 * 4);
    CHECK_FALSE(p.in_order());
    // tx_before: send bytes released before each step.
    std::vector<uint64_t> tx, arg;
    for (size_t i = 0; i < p.step_count(); ++i) {
        tx.push_back(p.step(i).tx_before);
        arg.push_back(p.step(i).arg);
    }
    CHECK(tx == std::vector<uint64_t>{0, 3, 7, 7, 7, 7, 11, 11, 11, 11, 11});
    // Recv targets are cumulative over the receive stream; Delay in ns; Send its size.
    CHECK(arg == std::vector<uint64_t>{3, 4, 5, 10, 15, 4, 20, 25, 30, 7'000'000, 0});
    CHECK(p.tx_before(p.step_count()) == 11);
    CHECK(p.describe() == "send 3 B, [send 4 B, [recv 5 B] x3] x2, delay 7 ms, close");
}

TEST_CASE("compile numbers HTTP responses, adds the implicit close, describes", "[program][compile]")
{
    ProgramSpec s = spec({loop(10), send(std::string(78, 'x')), op(OpKind::RecvHttp), end()});
    Program p = compile_ok(s);
    CHECK(p.step_count() == 21);
    CHECK(p.in_order());
    CHECK(p.tx_total() == 780);
    for (size_t k = 0; k < 10; ++k) {
        CHECK(p.step(2 * k + 1).kind == OpKind::RecvHttp);
        CHECK(p.step(2 * k + 1).arg == k + 1);
    }
    CHECK(p.step(20).kind == OpKind::Close);
    CHECK(p.describe() == "send 78 B, recv http, x10, close");

    s.expect_status = 404;
    CHECK(compile_ok(s).describe() == "send 78 B, recv http, x10, close, expect status 404");

    // The empty program connects and closes.
    Program e = compile_ok(spec({}));
    CHECK(kinds(e) == std::vector<OpKind>{OpKind::Close});
    CHECK(e.tx_total() == 0);
    CHECK(e.describe() == "close");

    // A close in the middle is the close: none is added at the end (half-close, then receive).
    Program h = compile_ok(spec({send("q"), op(OpKind::Close), recv(4)}));
    CHECK(kinds(h) == std::vector<OpKind>{OpKind::Send, OpKind::Close, OpKind::Recv});
    // Neither after a reset.
    Program r = compile_ok(spec({send("q"), op(OpKind::Reset)}));
    CHECK(kinds(r) == std::vector<OpKind>{OpKind::Send, OpKind::Reset});
    CHECK(r.describe() == "send 1 B, reset");

    Program v = compile_ok(spec({send_pattern(1'000'000), op(OpKind::RecvUntilClose)}, true));
    CHECK(v.describe() == "send 1,000,000 B pattern, recv until close, close, verify");
    CHECK(v.verify());
}

TEST_CASE("fill regenerates the send stream at any offset", "[program][fill]")
{
    // Sources shorter and longer than a segment, a pattern that crosses a
    // 64 KiB block boundary, repeated by a loop, other steps in between.
    const std::string a = "GET / HTTP/1.1\r\n\r\n", b = "z";
    Program p = compile_ok(spec({loop(3), send(a), recv(1), send_pattern(70'000), send(b), op(OpKind::Delay, 1),
                                 end()}));
    std::vector<uint8_t> ref;
    for (int k = 0; k < 3; ++k) {
        ref.insert(ref.end(), a.begin(), a.end());
        for (uint64_t i = 0; i < 70'000; ++i)
            ref.push_back(xg_pattern_byte(ref.size()));  // by stream offset, not by source offset
        ref.push_back('z');
    }
    REQUIRE(p.tx_total() == ref.size());

    auto check_at = [&](uint64_t off, size_t len) {
        std::vector<uint8_t> got(len, 0xee);
        p.fill(off, got);
        INFO("off " << off << " len " << len);
        CHECK(std::equal(got.begin(), got.end(), ref.begin() + long(off)));
    };
    check_at(0, ref.size());
    uint64_t seed = 42;
    for (int i = 0; i < 2000; ++i) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t off = (seed >> 20) % ref.size();
        size_t len = size_t((seed >> 8) % 1500) + 1;
        len = std::min<size_t>(len, ref.size() - off);
        check_at(off, len);
    }
    // Every boundary between sources, one byte either side.
    for (uint64_t k = 0; k < 3; ++k) {
        uint64_t base = k * (a.size() + 70'001);
        for (uint64_t edge : {base + a.size(), base + a.size() + 70'000, base + a.size() + 70'001}) {
            if (edge < ref.size())
                check_at(edge - 1, std::min<size_t>(2, ref.size() - edge + 1));
        }
    }
    // Past the end (a caller's bug) is zero, not garbage.
    std::vector<uint8_t> tail(4, 0xee);
    p.fill(ref.size() - 2, tail);
    CHECK(tail == std::vector<uint8_t>{ref[ref.size() - 2], ref.back(), 0, 0});
}

TEST_CASE("pattern fill equals xg_pattern_byte across 64 KiB blocks", "[program][fill]")
{
    Program p = compile_ok(spec({send_pattern(300'000)}));
    std::vector<uint8_t> got(300'000);
    p.fill(0, got);
    size_t bad = 0;
    for (size_t i = 0; i < got.size(); ++i)
        bad += got[i] != xg_pattern_byte(i);
    CHECK(bad == 0);
    std::vector<uint8_t> mid(1000);
    p.fill(65536 - 500, mid);
    for (size_t i = 0; i < mid.size(); ++i)
        REQUIRE(mid[i] == xg_pattern_byte(65536 - 500 + i));
}
