// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Loops until the peer closes (Loop count 0): what compile() refuses, the
// body unrolled once with its periods, fill() at any offset of any
// iteration (before and after the loop ended) against a stream built the
// slow way, and a server's request/response loop driven by hand through
// the Runner for a thousand iterations, ending at the client's FIN or at a
// request asking to close.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "program/program.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;
using tcp::TcpEvent;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

Op send(std::string s) { return Op{OpKind::Send, {SendSource::Kind::Bytes, std::move(s), 0}}; }
Op send_pattern(uint64_t n) { return Op{OpKind::Send, {SendSource::Kind::Pattern, {}, n}}; }
Op recv(uint64_t n) { return Op{OpKind::Recv, {}, n}; }
Op op(OpKind k, uint64_t count = 0) { return Op{k, {}, count}; }
Op loop(uint64_t n) { return op(OpKind::Loop, n); }
Op forever() { return op(OpKind::Loop, 0); }
Op end() { return op(OpKind::EndLoop); }
Op req() { return op(OpKind::RecvHttpRequest); }

ProgramSpec spec(std::vector<Op> ops)
{
    ProgramSpec s;
    s.ops = std::move(ops);
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

std::string pattern(uint64_t off, size_t n)
{
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += char(xg_pattern_byte(off + i));
    return s;
}

struct Rng {
    uint64_t s;
    uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

struct Flow {
    Program p;
    FlowState s{};
    HttpState h{};

    explicit Flow(std::vector<Op> ops) : p(compile_ok(spec(std::move(ops)))) {}
    Runner r() { return Runner(p, s, &h); }
    void event(TcpEvent e) { r().on_event(e, 0); }
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
};

const std::string kGet = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";

}  // namespace

TEST_CASE("compile refuses what a loop until the peer closes cannot do", "[program][forever][compile]")
{
    CHECK_THAT(compile_error(spec({forever(), send("a"), req(), end()})),
               Equals("op 1 (loop): a loop until the peer closes (count 0) must begin with a receive step or a gate: "
                      "the peer closing while it waits there ends the loop (op 2 is a send)"));
    CHECK_THAT(compile_error(spec({forever(), op(OpKind::Delay, 1), recv(1), end()})),
               Contains("must begin with a receive step"));
    CHECK_THAT(compile_error(spec({forever(), loop(2), send("a"), end(), recv(1), end()})),
               Contains("must begin with a receive step"));
    CHECK_THAT(compile_error(spec({forever(), end()})), Equals("op 1 (loop): the loop is empty"));
    CHECK_THAT(compile_error(spec({loop(2), forever(), recv(1), end(), end()})),
               StartsWith("op 2 (loop): a loop until the peer closes (count 0) must be at the top level"));
    CHECK_THAT(compile_error(spec({forever(), recv(1), forever(), recv(1), end(), end()})),
               StartsWith("op 3 (loop): only one loop per program can run until the peer closes"));
    CHECK_THAT(compile_error(spec({forever(), recv(1), end(), forever(), recv(1), end()})),
               Equals("op 4 (loop): only one loop per program can run until the peer closes (count 0); op 1 is "
                      "one already"));
    CHECK_THAT(compile_error(spec({forever(), req(), send("r"), op(OpKind::Close), end()})),
               Equals("op 4 (close) cannot be inside a loop until the peer closes (count 0): the loop runs until "
                      "the peer closes; put it after the loop"));
    CHECK_THAT(compile_error(spec({forever(), recv(1), op(OpKind::Reset), end()})),
               Contains("op 3 (reset) cannot be inside"));
    CHECK_THAT(compile_error(spec({forever(), recv(1), op(OpKind::RecvUntilClose), end()})),
               Contains("op 3 (recv-until-close) cannot be inside"));
    CHECK_THAT(compile_error(spec({forever(), req(), end(), req()})),
               Equals("op 4 (recv-http-request) comes after a loop until the peer closes (count 0): the loop ends "
                      "when the peer has nothing more to send"));
    CHECK_THAT(compile_error(spec({forever(), recv(4), end(), send("x"), recv(1)})),
               Contains("op 5 (recv) comes after a loop until the peer closes"));
    // HTTP requests and responses, and either with byte counts, do not mix.
    CHECK_THAT(compile_error(spec({op(OpKind::RecvHttp), req()})),
               Equals("recv-http and recv-http-request cannot be mixed in one program: the receive stream is "
                      "either responses (a client) or requests (a server)"));
    CHECK_THAT(compile_error(spec({req(), recv(5)})),
               Equals("recv-http-request cannot be mixed with recv or recv-until-close in one program: the HTTP "
                      "parser reads the whole receive stream as requests"));
    ProgramSpec v = spec({req()});
    v.verify = true;
    CHECK_THAT(compile_error(v), Equals("verify checks received bytes against the pattern and cannot be used with "
                                        "recv-http-request"));
    ProgramSpec e = spec({req()});
    e.expect_status = 200;
    CHECK_THAT(compile_error(e), Contains("this program reads requests"));
    // A send after a close before the loop still breaks the order rule.
    CHECK_THAT(compile_error(spec({op(OpKind::Close), forever(), recv(1), send("a"), end()})),
               Contains("comes after a close"));
}

TEST_CASE("the body is unrolled once with its periods", "[program][forever][compile]")
{
    // banner; loop { request; [head; pattern] }; bye; close
    Program p = compile_ok(spec({send("hello\n"), forever(), req(), send("HEAD"), send_pattern(100), loop(2),
                                 op(OpKind::Delay, 1), end(), end(), send("bye"), op(OpKind::Close)}));
    using K = OpKind;
    std::vector<K> kinds;
    std::vector<uint64_t> tx, arg;
    for (size_t i = 0; i < p.step_count(); ++i) {
        kinds.push_back(p.step(i).kind);
        tx.push_back(p.step(i).tx_before);
        arg.push_back(p.step(i).arg);
    }
    CHECK(kinds == std::vector<K>{K::Send, K::RecvHttpRequest, K::Send, K::Send, K::Delay, K::Delay, K::Send,
                                  K::Close});
    // The steps after the loop count from where it began (it ran 0 times).
    CHECK(tx == std::vector<uint64_t>{0, 6, 6, 10, 110, 110, 6, 9});
    CHECK(arg[1] == 1);
    REQUIRE(p.forever());
    CHECK(p.loop_begin() == 1);
    CHECK(p.loop_end() == 6);
    CHECK(p.loop_tx() == 6);
    CHECK(p.period_tx() == 104);
    CHECK(p.period_rx() == 0);
    CHECK(p.period_http() == 1);
    CHECK(p.max_iterations() == UINT32_MAX);
    CHECK(p.tx_total() == 9);
    CHECK(p.in_order());
    CHECK(p.reads_requests());
    CHECK(p.tx_released(3, 0) == 10);
    CHECK(p.tx_released(3, 5) == 10 + 5 * 104);
    CHECK(p.tx_released(0, 5) == 0);
    CHECK(p.tx_released(p.step_count(), 7) == 9 + 7 * 104);
    CHECK(p.describe() == "send 6 B, [recv http request, send 4 B, send 100 B pattern, [delay 1 ms] x2] until the "
                          "peer closes, send 3 B, close");

    Program q = compile_ok(spec({forever(), recv(10), send("r"), recv(5), end()}));
    CHECK(q.describe() == "recv 10 B, send 1 B, recv 5 B, until the peer closes, close");
    CHECK(q.period_rx() == 15);
    CHECK(q.loop_rx() == 0);
    CHECK(q.step(2).arg == 15);
    CHECK_FALSE(q.in_order());
    // Without a loop until the peer closes nothing changes.
    Program c = compile_ok(spec({loop(2), send("a"), end()}));
    CHECK_FALSE(c.forever());
    CHECK(c.tx_released(1, 99) == 1);
}

TEST_CASE("fill maps any offset into the iteration that holds it", "[program][forever][fill]")
{
    // Bytes and pattern sources, a pattern crossing 64 KiB blocks, sends
    // before and after the loop.
    const std::string banner = "220 ready\r\n", head = "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n";
    Program p = compile_ok(spec({send(banner), forever(), req(), send(head), send_pattern(70'000), end(),
                                 send("bye\r\n"), op(OpKind::Close)}));
    const uint64_t period = head.size() + 70'000;
    REQUIRE(p.period_tx() == period);
    const uint64_t iterations = 7;
    std::string ref = banner;
    for (uint64_t k = 0; k < iterations; ++k) {
        ref += head;
        ref += pattern(ref.size(), 70'000);  // by stream offset: every iteration differs
    }
    const uint64_t loop_end = ref.size();
    ref += "bye\r\n";

    auto check_at = [&](uint64_t off, size_t len, uint64_t its) {
        std::vector<uint8_t> got(len, 0xee);
        p.fill(off, got, its);
        INFO("off " << off << " len " << len << " iterations " << its);
        REQUIRE(std::string(got.begin(), got.end()) == ref.substr(off, len));
    };
    // While the loop runs, any offset of the iterations so far (and beyond).
    check_at(0, loop_end, Program::kLoopRunning);
    // Once it ended after 7 iterations, the whole stream.
    check_at(0, ref.size(), iterations);
    Rng rng{7};
    for (int i = 0; i < 3000; ++i) {
        uint64_t off = rng.next() % ref.size();
        size_t len = std::min<size_t>(size_t(rng.next() % 3000) + 1, ref.size() - off);
        check_at(off, len, iterations);
        if (off + len <= loop_end)
            check_at(off, len, Program::kLoopRunning);
    }
    // Every iteration boundary and the loop's end, one byte either side.
    for (uint64_t k = 0; k <= iterations; ++k) {
        uint64_t edge = banner.size() + k * period;
        check_at(edge - 1, 2, iterations);
        if (k < iterations)
            check_at(edge + head.size() - 1, 2, iterations);
    }
    // Past the end (a caller's bug) is zero; so is the suffix while the loop runs.
    std::vector<uint8_t> tail(4, 0xee);
    p.fill(ref.size() - 2, tail, iterations);
    CHECK(tail == std::vector<uint8_t>{uint8_t(ref[ref.size() - 2]), uint8_t(ref.back()), 0, 0});

    // A loop that ran 0 times: the banner, then the suffix.
    std::vector<uint8_t> none(banner.size() + 5);
    p.fill(0, none, 0);
    CHECK(std::string(none.begin(), none.end()) == banner + "bye\r\n");

    // A body without sends: the suffix follows the prefix whatever the count.
    Program sink = compile_ok(spec({send("hi"), forever(), recv(100), end(), send("!")}));
    std::vector<uint8_t> three(3);
    sink.fill(0, three, 12345);
    CHECK(std::string(three.begin(), three.end()) == "hi!");
}

TEST_CASE("a server answers a thousand requests, every byte regenerated at any offset", "[program][forever][runner]")
{
    // The responses carry a pattern body: iteration k's bytes depend on its
    // stream offset, so a wrong iteration mapping shows.
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n";
    Flow f({send("banner\n"), forever(), req(), send(head), send_pattern(300), end(), send("bye"),
            op(OpKind::Close)});
    const uint64_t n_requests = 1000;
    std::string want = "banner\n";
    for (uint64_t k = 0; k < n_requests; ++k) {
        want += head;
        want += pattern(want.size(), 300);
    }
    const uint64_t loop_end = want.size();
    want += "bye";

    // The client's stream: a thousand requests (some with bodies), cut at random.
    std::string rx;
    std::vector<uint64_t> ends;
    for (uint64_t k = 0; k < n_requests; ++k) {
        if (k % 3 == 1)
            rx += "POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
        else if (k % 3 == 2)
            rx += "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        else
            rx += kGet;
        ends.push_back(rx.size());
    }

    f.event(TcpEvent::Established);
    Next n = f.adv(0);
    CHECK(n.tx_grew);
    CHECK(f.avail(0) == 7);
    CHECK(f.fill(0, 7) == "banner\n");

    Rng rng{2024};
    uint64_t at = 0, now = 1;
    while (at < rx.size()) {
        size_t len = std::min<size_t>(size_t(rng.next() % 200) + 1, rx.size() - at);
        f.rx(at, rx.substr(at, len));
        at += len;
        n = f.adv(now++, at);
        REQUIRE(n.action == Action::None);
        // Exactly one response per complete request is released.
        uint64_t done = uint64_t(std::count_if(ends.begin(), ends.end(), [at](uint64_t e) { return e <= at; }));
        REQUIRE(f.r().http_requests() == done);
        REQUIRE(f.r().iterations() == done);
        uint64_t released = 7 + done * (head.size() + 300);
        REQUIRE(f.avail(0) == released);
        // A retransmission anywhere in what was released.
        uint64_t off = rng.next() % released;
        size_t rlen = std::min<size_t>(size_t(rng.next() % 1500) + 1, released - off);
        REQUIRE(f.fill(off, rlen) == want.substr(off, rlen));
    }
    CHECK(f.avail(0) == loop_end);
    CHECK(f.fill(0, loop_end) == want.substr(0, loop_end));
    CHECK_FALSE(f.r().finished());

    // The client closes between requests: the loop ends, the program goes on.
    f.event(TcpEvent::PeerFin);
    n = f.adv(now, at, true);
    CHECK(n.tx_grew);
    CHECK(n.action == Action::Close);
    CHECK(f.r().finished());
    CHECK(f.r().failure() == Failure::None);
    CHECK(f.r().iterations() == n_requests);
    CHECK(f.r().http_requests() == n_requests);
    CHECK(f.avail(0) == want.size());
    // After the loop: the suffix follows the last iteration, and old
    // iterations are still regenerated exactly.
    CHECK(f.fill(loop_end - 5, 8) == want.substr(loop_end - 5));
    CHECK(f.fill(0, want.size()) == want);
    for (int i = 0; i < 500; ++i) {
        uint64_t off = rng.next() % want.size();
        size_t rlen = std::min<size_t>(size_t(rng.next() % 1500) + 1, want.size() - off);
        REQUIRE(f.fill(off, rlen) == want.substr(off, rlen));
    }
}

TEST_CASE("how a loop until the peer closes ends", "[program][forever][runner]")
{
    const std::string resp = "HTTP/1.1 204 No Content\r\n\r\n";
    auto server = [&] { return Flow({forever(), req(), send(resp), end(), op(OpKind::Close)}); };

    SECTION("a FIN before any request: zero iterations")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        CHECK(f.adv(0).action == Action::None);
        Next n = f.adv(1, 0, true);
        CHECK(n.action == Action::Close);
        CHECK_FALSE(n.tx_grew);
        CHECK(f.r().finished());
        CHECK(f.r().failure() == Failure::None);
        CHECK(f.r().iterations() == 0);
        CHECK(f.avail(0) == 0);
    }
    SECTION("a FIN in the middle of a request fails the flow")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        f.rx(0, kGet + kGet.substr(0, 10));
        Next n = f.adv(0, kGet.size() + 10);
        CHECK(n.tx_grew);
        CHECK(f.r().iterations() == 1);
        n = f.adv(1, kGet.size() + 10, true);
        CHECK(n.action == Action::Reset);
        CHECK(f.r().failure() == Failure::PeerClosedEarly);
        CHECK_FALSE(f.r().finished());
    }
    SECTION("a FIN in the middle of a request body fails the flow")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        const std::string post = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345";
        f.rx(0, post);
        CHECK(f.adv(0, post.size(), true).action == Action::Reset);
        CHECK(f.r().failure() == Failure::PeerClosedEarly);
    }
    SECTION("pipelined requests and the FIN in one go: all answered, then the loop ends")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        f.rx(0, kGet + kGet + kGet);
        f.event(TcpEvent::PeerFin);
        Next n = f.adv(0, 3 * kGet.size(), true);
        CHECK(n.tx_grew);
        CHECK(n.action == Action::Close);
        CHECK(f.r().iterations() == 3);
        CHECK(f.avail(0) == 3 * resp.size());
        CHECK(f.fill(0, 3 * resp.size()) == resp + resp + resp);
        CHECK(f.r().finished());
        CHECK(f.r().failure() == Failure::None);
    }
    SECTION("a request asking to close ends the loop after its response, without a FIN")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        const std::string last = "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n";
        // Requests pipelined before it are answered; bytes after it are not read.
        const std::string stream = kGet + kGet + last + kGet;
        f.rx(0, stream);
        Next n = f.adv(0, stream.size());
        CHECK(n.tx_grew);
        CHECK(n.action == Action::Close);
        CHECK(f.r().peer_asked_close());
        CHECK(f.r().iterations() == 3);
        CHECK(f.r().http_requests() == 3);
        CHECK(f.avail(0) == 3 * resp.size());
        CHECK(f.r().finished());
        // The client's FIN afterwards changes nothing.
        CHECK(f.adv(1, stream.size(), true).action == Action::None);
        CHECK(f.r().failure() == Failure::None);
    }
    SECTION("HTTP/1.0 without keep-alive is one request")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        f.rx(0, "GET / HTTP/1.0\r\n\r\n");
        Next n = f.adv(0, 18);
        CHECK(n.action == Action::Close);
        CHECK(f.r().iterations() == 1);
    }
    SECTION("a malformed request resets")
    {
        Flow f = server();
        f.event(TcpEvent::Established);
        f.rx(0, kGet + "\x16\x03\x01");
        Next n = f.adv(0, kGet.size() + 3);
        CHECK(n.action == Action::Reset);
        CHECK(f.r().failure() == Failure::HttpMalformed);
    }
    SECTION("byte counts: a FIN at an exchange boundary ends the loop, elsewhere fails")
    {
        auto bytes_server = [] { return Flow({forever(), recv(10), send("0123456789ABCDEFGHIJ"), end()}); };
        Flow f = bytes_server();
        f.event(TcpEvent::Established);
        CHECK(f.adv(0, 9).action == Action::None);
        CHECK(f.avail(0) == 0);
        CHECK(f.adv(1, 35).tx_grew);  // three and a half requests
        CHECK(f.r().iterations() == 3);
        CHECK(f.avail(0) == 60);
        CHECK(f.fill(38, 4) == "IJ01");
        CHECK(f.adv(2, 40).tx_grew);
        CHECK(f.r().iterations() == 4);
        Next n = f.adv(3, 40, true);
        CHECK(n.action == Action::Close);  // the implicit close after the loop
        CHECK(f.r().finished());
        CHECK(f.r().failure() == Failure::None);

        Flow g = bytes_server();
        g.event(TcpEvent::Established);
        g.adv(0, 25);
        CHECK(g.adv(1, 25, true).action == Action::Reset);
        CHECK(g.r().failure() == Failure::PeerClosedEarly);
        CHECK(g.r().iterations() == 2);
    }
    SECTION("a delay in the body waits in every iteration")
    {
        Flow f({forever(), recv(1), op(OpKind::Delay, 5), send("x"), end()});
        f.event(TcpEvent::Established);
        const uint64_t ms = 1'000'000;
        Next n = f.adv(0, 2);
        CHECK(n.wake_at == 5 * ms);
        CHECK(f.avail(0) == 0);
        n = f.adv(5 * ms, 2);
        CHECK(n.tx_grew);
        CHECK(n.wake_at == 10 * ms);  // the second request was already there
        CHECK(f.avail(0) == 1);
        n = f.adv(10 * ms, 2, true);
        CHECK(f.avail(0) == 2);
        CHECK(n.action == Action::Close);
        CHECK(f.r().iterations() == 2);
    }
    SECTION("the loop ends by itself before the stream offset would wrap")
    {
        // 2^62 bytes per iteration: at most three fit in 64 bits.
        Flow f({forever(), recv(1), send_pattern(uint64_t(1) << 62), end(), op(OpKind::Close)});
        REQUIRE(f.p.max_iterations() == 3);
        f.event(TcpEvent::Established);
        Next n = f.adv(0, 100);
        CHECK(n.action == Action::Close);
        CHECK(f.r().iterations() == 3);
        CHECK(f.avail(0) == 3 * (uint64_t(1) << 62));
        CHECK(f.r().finished());
    }
}

TEST_CASE("a client may loop until the server closes, too", "[program][forever][runner]")
{
    // Wait for a greeting, answer it, until the server hangs up.
    Flow f({forever(), op(OpKind::RecvHttp), send("ack"), end()});
    REQUIRE_FALSE(f.p.reads_requests());
    f.event(TcpEvent::Established);
    const std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    f.rx(0, r + r);
    CHECK(f.adv(0, 2 * r.size()).tx_grew);
    CHECK(f.r().http_responses() == 2);
    CHECK(f.avail(0) == 6);
    // A close-delimited response ends at the FIN, and with it the loop.
    f.rx(2 * r.size(), "HTTP/1.0 200 OK\r\n\r\nbye");
    Next n = f.adv(1, 2 * r.size() + 22, true);
    CHECK(n.action == Action::Close);
    CHECK(f.r().http_responses() == 3);
    CHECK(f.avail(0) == 9);
    CHECK(f.r().failure() == Failure::None);
}

TEST_CASE("a gate only begins a loop until the peer closes", "[program][forever][compile][gate]")
{
    const Op gate = op(OpKind::Gate);
    CHECK_THAT(compile_error(spec({gate, send("a"), recv(1)})), Contains("a gate can only begin"));
    CHECK_THAT(compile_error(spec({forever(), recv(1), gate, end()})), Contains("a gate can only begin"));
    CHECK_THAT(compile_error(spec({loop(3), gate, send("a"), end()})), Contains("a gate can only begin"));
    const Program p = compile_ok(spec({forever(), gate, send("GET\n"), op(OpKind::RecvHttp), end(), op(OpKind::Close)}));
    CHECK(p.forever());
    CHECK(p.period_tx() == 4);
    CHECK(p.describe() == "on schedule, send 4 B, recv http, until the run ends, close");
}

TEST_CASE("a gated loop sends one request per go and ends at the engine's end or the server's close",
          "[program][forever][runner][gate]")
{
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    const std::string get = "GET /r HTTP/1.1\r\n\r\n";
    ProgramSpec sp = spec({forever(), op(OpKind::Gate), send(get), op(OpKind::RecvHttp), end(), op(OpKind::Close)});
    const Program p = compile_ok(sp);
    FlowState s{};
    HttpState h{};
    auto r = [&] { return Runner(p, s, &h); };
    r().on_event(TcpEvent::Established, 0);
    uint64_t rx = 0;
    for (int i = 0; i < 100; ++i) {
        Next n = r().advance(1, rx, false);
        CHECK(n.reached_gate);
        CHECK(n.waits_at_gate);
        CHECK_FALSE(n.tx_grew);
        CHECK(r().at_gate());
        CHECK(r().tx_available(0) == i * get.size());  // nothing more until the go
        n = r().advance(2, rx, false, Gate::Open);
        CHECK(n.tx_grew);
        CHECK_FALSE(n.waits_at_gate);
        CHECK_FALSE(r().at_gate());
        REQUIRE(r().tx_available(0) == (i + 1) * get.size());
        std::vector<uint8_t> b(get.size());
        r().tx_fill(i * get.size(), b);
        CHECK(std::string(b.begin(), b.end()) == get);
        // A second go while the response is outstanding sends nothing.
        CHECK_FALSE(r().advance(3, rx, false, Gate::Open).tx_grew);
        r().rx_data(rx, std::span(reinterpret_cast<const uint8_t*>(ok.data()), ok.size()));
        rx += ok.size();
    }
    SECTION("the engine ends it")
    {
        Next n = r().advance(4, rx, false, Gate::End);
        CHECK(n.reached_gate);
        CHECK_FALSE(n.waits_at_gate);
        CHECK(n.action == Action::Close);
        CHECK(r().finished());
        CHECK(r().failure() == Failure::None);
        CHECK(r().http_responses() == 100);
    }
    SECTION("the server closes after a response")
    {
        Next n = r().advance(4, rx, false, Gate::Open);
        REQUIRE(n.tx_grew);
        const std::string closing = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        r().rx_data(rx, std::span(reinterpret_cast<const uint8_t*>(closing.data()), closing.size()));
        n = r().advance(5, rx + closing.size(), false);
        CHECK(n.reached_gate);
        CHECK_FALSE(n.waits_at_gate);
        CHECK(n.action == Action::Close);
        CHECK(r().failure() == Failure::None);
        CHECK(r().finished());
    }
}
