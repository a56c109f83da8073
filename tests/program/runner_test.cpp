// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The Runner driven by hand as the engine drives it: events and data in,
// advance() after each call, exact bytes and actions out.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "program/program.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;
using tcp::TcpEvent;

static_assert(std::is_trivially_copyable_v<FlowState>);
static_assert(sizeof(FlowState) == 12);
static_assert(std::is_trivially_copyable_v<HttpState>);
static_assert(sizeof(HttpState) == 16);

namespace {

constexpr uint64_t kMs = 1'000'000;

Op send(std::string s) { return Op{OpKind::Send, {SendSource::Kind::Bytes, std::move(s), 0}}; }
Op send_pattern(uint64_t n) { return Op{OpKind::Send, {SendSource::Kind::Pattern, {}, n}}; }
Op recv(uint64_t n) { return Op{OpKind::Recv, {}, n}; }
Op op(OpKind k, uint64_t count = 0) { return Op{k, {}, count}; }

// One flow: the compiled program, its state, and the calls the engine makes.
struct Flow {
    Program p;
    FlowState s{};
    HttpState h{};

    explicit Flow(std::vector<Op> ops, bool verify = false, uint16_t expect = 0)
        : p([&] {
              ProgramSpec sp;
              sp.ops = std::move(ops);
              sp.verify = verify;
              sp.expect_status = expect;
              auto r = Program::compile(sp);
              REQUIRE(r.ok());
              return std::move(r).value();
          }())
    {
    }
    Runner r() { return Runner(p, s, &h); }
    void event(TcpEvent e, uint64_t v = 0) { r().on_event(e, v); }
    Next adv(uint64_t now, uint64_t rx = 0, bool fin = false) { return r().advance(now, rx, fin); }
    uint64_t avail(uint64_t off) { return r().tx_available(off); }
    std::string fill(uint64_t off, size_t len)
    {
        std::vector<uint8_t> b(len);
        r().tx_fill(off, b);
        return std::string(b.begin(), b.end());
    }
    void rx(uint64_t off, const std::string& d)
    {
        r().rx_data(off, std::span(reinterpret_cast<const uint8_t*>(d.data()), d.size()));
    }
    void rx(uint64_t off, const std::vector<uint8_t>& d) { r().rx_data(off, d); }
    bool finished() { return r().finished(); }
    Failure failure() { return r().failure(); }
};

bool nothing(const Next& n) { return !n.tx_grew && n.action == Action::None && n.wake_at == tcp::kNever; }

std::string pattern(uint64_t off, size_t n)
{
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += char(xg_pattern_byte(off + i));
    return s;
}

}  // namespace

TEST_CASE("nothing runs before the connection is established", "[program][runner]")
{
    Flow f({send("hello"), recv(3)});
    CHECK_FALSE(f.r().started());
    CHECK(nothing(f.adv(0)));
    CHECK(f.avail(0) == 0);
    CHECK(f.s.pc == 0);
    f.event(TcpEvent::Established, 123);
    CHECK(f.r().started());
    CHECK_FALSE(f.finished());
}

TEST_CASE("send/recv exchanges release bytes step by step", "[program][runner]")
{
    Flow f({send("hello"), recv(3), send_pattern(10), recv(4), send("!")});
    f.event(TcpEvent::Established);

    Next n = f.adv(10);
    CHECK(n.tx_grew);
    CHECK(n.action == Action::None);
    CHECK(n.wake_at == tcp::kNever);
    CHECK(f.avail(0) == 5);
    CHECK(f.avail(2) == 3);
    CHECK(f.avail(5) == 0);
    CHECK(f.avail(9) == 0);
    CHECK(f.fill(0, 5) == "hello");

    // Two of three bytes: still waiting; then the third.
    f.rx(0, "ab");
    CHECK(nothing(f.adv(11, 2)));
    CHECK(f.avail(0) == 5);
    f.rx(2, "c");
    n = f.adv(12, 3);
    CHECK(n.tx_grew);
    CHECK(n.action == Action::None);
    CHECK(f.avail(0) == 15);
    CHECK(f.avail(5) == 10);
    // Across the boundary between the two sends, and again (a retransmission).
    CHECK(f.fill(3, 12) == "lo" + pattern(5, 10));
    CHECK(f.fill(3, 12) == "lo" + pattern(5, 10));
    CHECK(f.fill(7, 3) == pattern(7, 3));

    // The second recv waits for the cumulative target 3 + 4 = 7, not for 4.
    CHECK(nothing(f.adv(13, 4)));
    CHECK(nothing(f.adv(13, 6)));
    n = f.adv(14, 7);
    CHECK(n.tx_grew);
    CHECK(n.action == Action::Close);  // implicit close after the last send
    CHECK(f.avail(0) == 16);
    CHECK(f.fill(14, 2) == pattern(14, 1) + "!");
    CHECK(f.finished());
    CHECK(f.failure() == Failure::None);

    // Reported once; nothing happens any more.
    CHECK(nothing(f.adv(15, 7)));
    CHECK(nothing(f.adv(16, 100, true)));
}

TEST_CASE("more bytes than a recv wants complete it and count toward the next", "[program][runner]")
{
    Flow f({recv(3), recv(4), op(OpKind::Close)});
    f.event(TcpEvent::Established);
    Next n = f.adv(0, 9);
    CHECK(n.action == Action::Close);
    CHECK_FALSE(n.tx_grew);
    CHECK(f.finished());
}

TEST_CASE("recv until close waits for the peer's FIN", "[program][runner]")
{
    Flow f({send("q"), op(OpKind::RecvUntilClose)});
    f.event(TcpEvent::Established);
    CHECK(f.adv(0).tx_grew);
    CHECK(nothing(f.adv(1, 1'000'000)));
    // The FIN as an event is remembered even when advance() is not told.
    f.event(TcpEvent::PeerFin, 1'000'000);
    Next n = f.adv(2, 1'000'000, false);
    CHECK(n.action == Action::Close);
    CHECK(f.finished());

    Flow g({op(OpKind::RecvUntilClose)});
    g.event(TcpEvent::Established);
    CHECK(nothing(g.adv(0)));
    CHECK(g.adv(1, 0, true).action == Action::Close);
}

TEST_CASE("leading sends are released at establishment; recv-until-close closes at the peer's FIN", "[program][runner]")
{
    Flow f({send("hello"), op(OpKind::RecvUntilClose)});
    CHECK(f.avail(0) == 0);
    f.event(TcpEvent::Established);
    CHECK(f.avail(0) == 5);  // before any advance(): it goes out with the handshake's ACK
    CHECK(f.adv(0).tx_grew);  // still reported once
    CHECK(nothing(f.adv(1)));
    f.event(TcpEvent::PeerFin, 0);
    CHECK(f.r().close_on_peer_fin());
    CHECK(f.finished());
    // The close was taken at the FIN: advance() hands no second one.
    CHECK(nothing(f.adv(2, 0, true)));

    // Only when nothing but the close is left.
    Flow g({op(OpKind::Recv, 5)});
    g.event(TcpEvent::Established);
    g.event(TcpEvent::PeerFin, 0);
    CHECK_FALSE(g.r().close_on_peer_fin());
    Flow h({send("x"), op(OpKind::RecvUntilClose), send("y")});
    h.event(TcpEvent::Established);
    h.event(TcpEvent::PeerFin, 0);
    CHECK_FALSE(h.r().close_on_peer_fin());
    Flow k({op(OpKind::RecvUntilClose)});
    k.event(TcpEvent::PeerFin, 0);
    CHECK_FALSE(k.r().close_on_peer_fin());  // not started
}

TEST_CASE("delay ends at now + ms on the 1 ms clock, rounded up, armed when first reached", "[program][runner]")
{
    Flow f({send("a"), op(OpKind::Delay, 5), send("b"), op(OpKind::Delay, 0), send("c")});
    f.event(TcpEvent::Established);
    const uint64_t t0 = 1000;  // 1 µs past a ms edge: the end rounds up to 6 ms, never down
    const uint64_t end = 6 * kMs;
    Next n = f.adv(t0);
    CHECK(n.tx_grew);
    CHECK(n.wake_at == end);
    CHECK(f.avail(0) == 1);

    // Calls before the deadline neither move it nor release anything.
    n = f.adv(t0 + 3 * kMs);
    CHECK(!n.tx_grew);
    CHECK(n.wake_at == end);
    n = f.adv(t0 + 5 * kMs);  // 5 ms have passed, but the clock has not reached the end
    CHECK(n.wake_at == end);
    n = f.adv(end - 1);
    CHECK(n.wake_at == end);
    CHECK(f.avail(0) == 1);

    // At the deadline: the rest runs (a 0 ms delay does not wait).
    n = f.adv(end);
    CHECK(n.tx_grew);
    CHECK(n.wake_at == tcp::kNever);
    CHECK(n.action == Action::Close);
    CHECK(f.fill(0, 3) == "abc");
    CHECK(f.finished());
}

TEST_CASE("a delay on a ms edge ends exactly ms later; the ms clock may wrap", "[program][runner]")
{
    // 2^32 ms after the clock's zero the stored end wraps; the signed
    // difference keeps the order.
    const uint64_t t0 = (uint64_t(1) << 32) * kMs - 2 * kMs;
    Flow f({op(OpKind::Delay, 5)});
    f.event(TcpEvent::Established);
    Next n = f.adv(t0);
    CHECK(n.wake_at == t0 + 5 * kMs);
    n = f.adv(t0 + 5 * kMs - 1);
    CHECK(n.wake_at == t0 + 5 * kMs);
    n = f.adv(t0 + 5 * kMs);
    CHECK(n.wake_at == tcp::kNever);
    CHECK(n.action == Action::Close);
}

TEST_CASE("a delay reached late starts counting when reached", "[program][runner]")
{
    Flow f({recv(1), op(OpKind::Delay, 2)});
    f.event(TcpEvent::Established);
    CHECK(nothing(f.adv(0)));
    Next n = f.adv(50 * kMs, 1);
    CHECK(n.wake_at == 52 * kMs);
    CHECK(f.adv(52 * kMs, 1).action == Action::Close);
}

TEST_CASE("close and reset are each reported exactly once", "[program][runner]")
{
    SECTION("explicit close then more receiving (half-close)")
    {
        Flow f({send("req"), op(OpKind::Close), recv(10)});
        f.event(TcpEvent::Established);
        Next n = f.adv(0);
        CHECK(n.tx_grew);
        CHECK(n.action == Action::Close);
        CHECK_FALSE(f.finished());
        // The whole stream was released before the close: the FIN follows it.
        CHECK(f.avail(0) == 3);
        CHECK(nothing(f.adv(1, 5)));
        n = f.adv(2, 10);
        CHECK(n.action == Action::None);
        CHECK(f.finished());
        CHECK(f.failure() == Failure::None);
    }
    SECTION("reset ends the program")
    {
        Flow f({send("x"), recv(2), op(OpKind::Reset)});
        f.event(TcpEvent::Established);
        CHECK(f.adv(0).tx_grew);
        Next n = f.adv(1, 2);
        CHECK(n.action == Action::Reset);
        CHECK(f.finished());
        CHECK(f.failure() == Failure::None);
        CHECK(nothing(f.adv(2, 2)));
    }
    SECTION("close then reset in one call: the reset waits for the engine to come back")
    {
        Flow f({op(OpKind::Close), op(OpKind::Reset)});
        f.event(TcpEvent::Established);
        Next n = f.adv(7);
        CHECK(n.action == Action::Close);
        CHECK(n.wake_at == 7);
        n = f.adv(7);
        CHECK(n.action == Action::Reset);
        CHECK(f.finished());
        CHECK(nothing(f.adv(8)));
    }
    SECTION("a close repeated by a loop is handed once")
    {
        Flow f({op(OpKind::Loop, 3), recv(1), op(OpKind::Close), op(OpKind::EndLoop)});
        f.event(TcpEvent::Established);
        CHECK(f.adv(0, 1).action == Action::Close);
        CHECK(nothing(f.adv(1, 2)));
        CHECK_FALSE(f.finished());
        CHECK(nothing(f.adv(1, 3)));
        CHECK(f.finished());
    }
    SECTION("the empty program connects and closes")
    {
        Flow f({});
        f.event(TcpEvent::Established);
        Next n = f.adv(0);
        CHECK(n.action == Action::Close);
        CHECK_FALSE(n.tx_grew);
        CHECK(f.finished());
        CHECK(f.avail(0) == 0);
    }
}

TEST_CASE("the peer closing before a recv step completes fails the flow", "[program][runner]")
{
    SECTION("recv of bytes")
    {
        Flow f({send("q"), recv(10)});
        f.event(TcpEvent::Established);
        f.adv(0);
        Next n = f.adv(1, 9, true);
        CHECK(n.action == Action::Reset);
        CHECK(f.failure() == Failure::PeerClosedEarly);
        CHECK_FALSE(f.finished());
        CHECK(nothing(f.adv(2, 9, true)));
        CHECK(std::string(failure_name(f.failure())) == "peer_closed_early");
    }
    SECTION("enough bytes before the FIN is success")
    {
        Flow f({recv(10)});
        f.event(TcpEvent::Established);
        CHECK(f.adv(1, 10, true).action == Action::Close);
        CHECK(f.failure() == Failure::None);
    }
    SECTION("after our own close: close first, then the reset")
    {
        Flow f({op(OpKind::Close), recv(10)});
        f.event(TcpEvent::Established);
        Next n = f.adv(3, 4, true);
        CHECK(n.action == Action::Close);
        CHECK(n.wake_at == 3);
        n = f.adv(3, 4, true);
        CHECK(n.action == Action::Reset);
        CHECK(f.failure() == Failure::PeerClosedEarly);
    }
    SECTION("a FIN in the middle of an HTTP response")
    {
        Flow f({send("GET"), op(OpKind::RecvHttp)});
        f.event(TcpEvent::Established);
        f.adv(0);
        f.rx(0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        CHECK(nothing(f.adv(1, 43)));
        Next n = f.adv(2, 43, true);
        CHECK(n.action == Action::Reset);
        CHECK(f.failure() == Failure::PeerClosedEarly);
    }
}

TEST_CASE("verify fails at one wrong byte, wherever it lands", "[program][runner]")
{
    const uint64_t total = 200'000;
    std::vector<uint8_t> stream(total);
    for (uint64_t i = 0; i < total; ++i)
        stream[i] = xg_pattern_byte(i);
    auto deliver = [&](Flow& f, const std::vector<uint8_t>& data) {
        // Out of order in 1448-byte segments (as the TCP core may deliver
        // them): odd ones first, then even ones.
        const size_t seg = 1448;
        for (int parity = 1; parity >= 0; --parity)
            for (size_t off = size_t(parity) * seg; off < total; off += 2 * seg) {
                size_t n = std::min<size_t>(seg, total - off);
                f.rx(off, std::vector<uint8_t>(data.begin() + long(off), data.begin() + long(off + n)));
            }
    };

    Flow ok({recv(total)}, true);
    ok.event(TcpEvent::Established);
    deliver(ok, stream);
    CHECK(ok.adv(0, total).action == Action::Close);
    CHECK(ok.failure() == Failure::None);

    for (uint64_t bad_at : {uint64_t(0), uint64_t(537), uint64_t(65536), total - 1}) {
        INFO("wrong byte at " << bad_at);
        std::vector<uint8_t> data = stream;
        data[bad_at] ^= 0x01;
        Flow f({recv(total)}, true);
        f.event(TcpEvent::Established);
        deliver(f, data);
        Next n = f.adv(0, total);
        CHECK(n.action == Action::Reset);
        CHECK(f.failure() == Failure::VerifyMismatch);
        CHECK(nothing(f.adv(1, total)));
    }
}

TEST_CASE("the runner feeds HTTP responses to the parser and checks them", "[program][runner]")
{
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    SECTION("two requests, answers arriving together")
    {
        Flow f({op(OpKind::Loop, 2), send("GET / HTTP/1.1\r\n\r\n"), op(OpKind::RecvHttp), op(OpKind::EndLoop)});
        REQUIRE(f.p.in_order());
        f.event(TcpEvent::Established);
        CHECK(f.adv(0).tx_grew);
        CHECK(f.avail(0) == 18);
        f.rx(0, ok.substr(0, 20));
        CHECK(nothing(f.adv(1, 20)));
        f.rx(20, ok.substr(20) + ok);
        Next n = f.adv(2, 2 * ok.size());
        CHECK(n.tx_grew);
        CHECK(n.action == Action::Close);
        CHECK(f.avail(0) == 36);
        CHECK(f.r().http_responses() == 2);
        CHECK(f.finished());
    }
    SECTION("close-delimited body ends at the FIN")
    {
        Flow f({send("GET"), op(OpKind::RecvHttp)});
        f.event(TcpEvent::Established);
        f.adv(0);
        f.rx(0, "HTTP/1.0 200 OK\r\n\r\nbody");
        CHECK(nothing(f.adv(1, 23)));
        CHECK(f.adv(2, 23, true).action == Action::Close);
        CHECK(f.failure() == Failure::None);
    }
    SECTION("status mismatch")
    {
        Flow f({send("GET"), op(OpKind::RecvHttp)}, false, 200);
        f.event(TcpEvent::Established);
        f.adv(0);
        f.rx(0, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        CHECK(f.adv(1, 40).action == Action::Reset);
        CHECK(f.failure() == Failure::HttpStatus);
    }
    SECTION("malformed")
    {
        Flow f({send("GET"), op(OpKind::RecvHttp)});
        f.event(TcpEvent::Established);
        f.adv(0);
        f.rx(0, "SSH-2.0-OpenSSH_9.2\r\n");
        CHECK(f.adv(1, 21).action == Action::Reset);
        CHECK(f.failure() == Failure::HttpMalformed);
        CHECK(std::string(failure_name(Failure::HttpMalformed)) == "http_malformed");
    }
    SECTION("bytes after the program completed are not judged")
    {
        Flow f({send("GET"), op(OpKind::RecvHttp)});
        f.event(TcpEvent::Established);
        f.adv(0);
        f.rx(0, ok);
        CHECK(f.adv(1, ok.size()).action == Action::Close);
        f.rx(ok.size(), "garbage");
        CHECK(f.failure() == Failure::None);
        CHECK(nothing(f.adv(2, ok.size() + 7, true)));
    }
}

TEST_CASE("failure names are the JSON keys", "[program][runner]")
{
    CHECK(std::string(failure_name(Failure::None)) == "none");
    CHECK(std::string(failure_name(Failure::HttpStatus)) == "http_status");
    CHECK(std::string(failure_name(Failure::HttpMalformed)) == "http_malformed");
    CHECK(std::string(failure_name(Failure::VerifyMismatch)) == "verify_mismatch");
    CHECK(std::string(failure_name(Failure::PeerClosedEarly)) == "peer_closed_early");
}

TEST_CASE("a response that closes the connection hands the rest of the program to a new one", "[program][runner]")
{
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    const std::string closing = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
    // Three requests, each different, so the bytes show where a stream begins.
    auto program = [] {
        return std::vector<Op>{send("GET /1 HTTP/1.1\r\n\r\n"), op(OpKind::RecvHttp), send("GET /2 HTTP/1.1\r\n\r\n"),
                               op(OpKind::RecvHttp), send("GET /3 HTTP/1.1\r\n\r\n"), op(OpKind::RecvHttp)};
    };
    Flow f(program());
    f.event(TcpEvent::Established);
    f.adv(0);
    f.rx(0, ok);
    CHECK(f.adv(1, ok.size()).tx_grew);
    CHECK(f.avail(0) == 38);
    f.rx(ok.size(), closing + ok);  // bytes after the closing response are not a response
    Next n = f.adv(2, ok.size() + closing.size());
    CHECK(n.action == Action::Close);
    CHECK_FALSE(n.tx_grew);
    CHECK(f.avail(0) == 38);  // the third request does not go out on this connection
    CHECK(f.failure() == Failure::None);
    CHECK_FALSE(f.finished());
    CHECK(f.r().server_closed());
    CHECK(f.r().http_messages_here() == 2);
    // The peer's FIN after it is expected: no failure, no second close.
    CHECK(nothing(f.adv(3, ok.size() + closing.size(), true)));
    CHECK(f.failure() == Failure::None);

    const uint32_t at = f.r().resume_at();
    REQUIRE(f.p.can_resume_at(at));
    Flow g(program());
    Runner::prepare_resume(g.p, at, g.s, g.h);
    CHECK(g.avail(0) == 0);  // nothing before the connection is up
    g.event(TcpEvent::Established);
    CHECK(g.adv(4).tx_grew);
    REQUIRE(g.avail(0) == 19);
    CHECK(g.fill(0, 19) == "GET /3 HTTP/1.1\r\n\r\n");
    g.rx(0, ok);
    CHECK(g.adv(5, ok.size()).action == Action::Close);
    CHECK(g.finished());
    CHECK_FALSE(g.r().server_closed());
    CHECK(g.r().http_messages_here() == 1);
    CHECK(g.r().http_responses() == 3);
}

TEST_CASE("a closing response to the program's last request ends it as usual", "[program][runner]")
{
    const std::string closing = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    Flow f({op(OpKind::Loop, 2), send("GET / HTTP/1.1\r\n\r\n"), op(OpKind::RecvHttp), op(OpKind::EndLoop)});
    f.event(TcpEvent::Established);
    f.adv(0);
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    f.rx(0, ok);
    f.adv(1, ok.size());
    f.rx(ok.size(), closing);
    CHECK(f.adv(2, ok.size() + closing.size()).action == Action::Close);
    CHECK(f.finished());
    CHECK_FALSE(f.r().server_closed());
    CHECK_FALSE(f.p.can_resume_at(f.p.step_count()));
}
