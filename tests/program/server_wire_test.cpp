// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A client program against a server program: two Runners as the TCP apps of
// two tcp::Connection objects (one connects, one accepts), over an
// in-memory wire that loses segments both ways. Each side is driven as the
// engine drives it: after every call into its connection, advance() and do
// what Next says. Both send streams are filled by their Runner when a
// segment leaves, so every retransmission is regenerated from its stream
// offset; each side records what it received by offset, and both records
// must equal the other side's stream byte for byte. Deterministic: fixed
// seeds, bounded loop.

#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "program/program.hpp"
#include "program/quick.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;
using namespace xdpgen::tcp;

namespace {

constexpr uint64_t ms(uint64_t x) { return x * kMs; }

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

Program compile(const Result<ProgramSpec>& s)
{
    INFO((s ? std::string() : s.error().message()));
    REQUIRE(s.ok());
    auto p = Program::compile(s.value());
    INFO((p ? std::string() : p.error().message()));
    REQUIRE(p.ok());
    return std::move(p).value();
}

Program compile(std::vector<Op> ops)
{
    ProgramSpec s;
    s.ops = std::move(ops);
    return compile(Result<ProgramSpec>(std::move(s)));
}

// One end: its program, its flow state, its connection, and what it saw.
struct Side {
    const Program& prog;
    FlowState st{};
    HttpState http{};
    Connection conn;
    TcpConfig cfg;
    uint64_t wake = kNever;
    int closes = 0, resets = 0;
    uint64_t sent = 0, rexmt = 0;
    std::string rx;  // received bytes by stream offset
    uint64_t rx_count = 0;
    std::vector<TcpEvent> events;

    explicit Side(const Program& p) : prog(p)
    {
        // TIME-WAIT and FIN-WAIT-2 outlast every retransmission the peer
        // may still make (simulated time costs nothing). Under heavy loss
        // the RTO reaches its 60 s maximum, so the 60 s defaults can end
        // before the peer's FIN comes (again); a real end would then answer
        // with a RST, here the segment vanishes and the peer times out.
        cfg.time_wait = (cfg.data_retries + 1) * cfg.rto_max;
        cfg.fin_wait2_timeout = cfg.time_wait;
        cfg.deliver_out_of_order = !prog.in_order();
    }
    size_t count(TcpEvent e) const { return size_t(std::count(events.begin(), events.end(), e)); }
    Runner runner() { return Runner(prog, st, &http); }
};

// The Runner as the connection's app, recording what the call delivered.
struct App final : TcpApp {
    Side& side;
    Runner r;
    explicit App(Side& s) : side(s), r(s.prog, s.st, &s.http) {}
    uint64_t tx_available(uint64_t off) override { return r.tx_available(off); }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override { r.tx_fill(off, dst); }
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        if (side.rx.size() < off + d.size())
            side.rx.resize(off + d.size());
        std::copy(d.begin(), d.end(), side.rx.begin() + long(off));
        side.rx_count += d.size();
        r.rx_data(off, d);
    }
    void on_event(TcpEvent e, uint64_t v) override
    {
        side.events.push_back(e);
        r.on_event(e, v);
    }
};

struct Packet {
    uint64_t at;
    bool to_server;
    Segment seg;
    std::vector<uint8_t> payload;
};

struct Wire {
    Side client, server;
    bool server_open = false;
    Rng rng;
    unsigned loss;
    uint64_t now = 0, dropped = 0;
    std::deque<Packet> q;

    struct Sink final : TcpSink {
        Wire& w;
        bool from_client;
        Sink(Wire& w_, bool c) : w(w_), from_client(c) {}
        bool emit(const OutSegment& o) override
        {
            Side& s = from_client ? w.client : w.server;
            // The engine fills the frame after the call, from the flow's state.
            std::vector<uint8_t> payload(o.seg.payload_len);
            s.runner().tx_fill(o.payload_offset, payload);
            ++s.sent;
            s.rexmt += o.retransmit;
            if (w.rng.next() % 100 < w.loss) {
                ++w.dropped;
                return true;
            }
            w.q.push_back({w.now + ms(1), from_client, o.seg, std::move(payload)});
            return true;
        }
    };
    Sink csink{*this, true}, ssink{*this, false};

    Wire(const Program& c, const Program& s, uint64_t seed, unsigned loss_percent)
        : client(c), server(s), rng{seed * 0x9e3779b97f4a7c15ull}, loss(loss_percent)
    {
    }

    // What the engine does after each call into a connection.
    void after(Side& s, App& app, TcpSink& sink)
    {
        for (int round = 0; round < 4 && s.conn.state() != TcpState::Closed; ++round) {
            Next n = app.r.advance(now, s.conn.tcb().rcv_nxt_off, have_rcvd_fin(s.conn.state()));
            s.wake = n.wake_at;
            if (n.action == Action::Reset) {
                ++s.resets;
                s.conn.abort(now, sink);
                break;
            }
            if (n.action == Action::Close) {
                ++s.closes;
                s.conn.close(now, app, sink);
            } else if (n.tx_grew) {
                s.conn.poll(now, app, sink);
            } else {
                break;
            }
        }
    }

    bool live(const Side& s, bool opened) const { return opened && s.conn.state() != TcpState::Closed; }

    void poll_if_due(Side& s, TcpSink& sink)
    {
        if (s.conn.next_deadline(now) <= now || s.wake <= now) {
            App app(s);
            s.conn.poll(now, app, sink);
            after(s, app, sink);
        }
    }

    void run()
    {
        {
            App app(client);
            client.conn.connect(client.cfg, now, SeqNum(0xfffff000u), csink);
            after(client, app, csink);
        }
        uint64_t iter = 0;
        for (; iter < 400000; ++iter) {
            if (!live(client, true) && !live(server, server_open) && q.empty())
                break;
            uint64_t next = kNever;
            for (auto& p : q)
                next = std::min(next, p.at);
            for (auto [s, open] : {std::pair<Side*, bool>{&client, true}, {&server, server_open}})
                if (live(*s, open))
                    next = std::min({next, s->conn.next_deadline(now), s->wake});
            REQUIRE(next != kNever);
            now = std::max(now, next);

            while (!q.empty() && q.front().at <= now) {
                Packet p = std::move(q.front());
                q.pop_front();
                Side& s = p.to_server ? server : client;
                TcpSink& sink = p.to_server ? static_cast<TcpSink&>(ssink) : csink;
                if (p.to_server && !server_open) {
                    // LISTEN: a SYN opens the connection; anything else is dropped here.
                    server_open = server.conn.accept(server.cfg, p.seg, now, SeqNum(0x10000u), ssink);
                    continue;
                }
                if (s.conn.state() == TcpState::Closed)
                    continue;
                App app(s);
                s.conn.on_segment(now, p.seg, p.payload, app, sink);
                after(s, app, sink);
            }
            if (live(client, true))
                poll_if_due(client, csink);
            if (live(server, server_open))
                poll_if_due(server, ssink);
        }
        INFO("iterations " << iter << ", dropped " << dropped << ", sim time " << now / kMs << " ms");
        REQUIRE(iter < 400000);
    }

    // Everything one side's program sent, as its Runner regenerates it.
    static std::string stream(Side& s)
    {
        std::string out(s.runner().tx_available(0), '\0');
        s.runner().tx_fill(0, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
        return out;
    }
};

// Both programs ran to their end; each received exactly the other's stream.
void check_clean(Wire& w)
{
    Runner c = w.client.runner(), s = w.server.runner();
    INFO("dropped " << w.dropped << "; client sent " << w.client.sent << " (" << w.client.rexmt
                    << " retransmitted), server sent " << w.server.sent << " (" << w.server.rexmt << ")");
    CHECK(c.finished());
    CHECK(c.failure() == Failure::None);
    CHECK(s.finished());
    CHECK(s.failure() == Failure::None);
    CHECK(w.client.closes == 1);
    CHECK(w.server.closes == 1);
    CHECK(w.client.resets + w.server.resets == 0);
    CHECK(w.client.count(TcpEvent::Closed) == 1);
    CHECK(w.server.count(TcpEvent::Closed) == 1);
    CHECK(w.client.count(TcpEvent::Reset) + w.server.count(TcpEvent::Reset) == 0);
    CHECK(w.client.conn.state() == TcpState::Closed);
    CHECK(w.server.conn.state() == TcpState::Closed);
    const std::string cs = Wire::stream(w.client), ss = Wire::stream(w.server);
    CHECK(w.server.rx_count == cs.size());
    CHECK(w.client.rx_count == ss.size());
    CHECK(w.server.rx == cs);
    CHECK(w.client.rx == ss);
}

const std::string kGet = "GET /obj HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: xdpgen\r\n\r\n";

}  // namespace

TEST_CASE("an HTTP client with 10 requests per connection against a keep-alive server", "[program][wire][server]")
{
    QuickProgram cq;
    cq.http_get_path = "/obj";
    cq.http_host = "198.18.0.2";
    cq.requests = 10;
    cq.expect_status = 200;
    Program client = compile(build_quick_program(cq));
    ServerQuick sq;
    sq.recv_http = true;
    sq.http_body_size = 5000;  // several segments per response, each iteration's bytes its own
    Program server = compile(build_server_program(sq));

    auto seed = GENERATE(1ull, 2ull, 3ull, 4ull);
    unsigned loss = seed == 1 ? 0 : seed == 2 ? 10 : 20;
    INFO("seed " << seed << " loss " << loss << "%");
    Wire w(client, server, seed, loss);
    w.run();
    check_clean(w);
    if (loss)
        CHECK(w.client.rexmt + w.server.rexmt > 0);
    CHECK(w.client.runner().http_responses() == 10);
    CHECK(w.server.runner().http_requests() == 10);
    CHECK(w.server.runner().iterations() == 10);
    std::string gets;
    for (int i = 0; i < 10; ++i)
        gets += kGet;
    CHECK(w.server.rx == gets);
    // Ten responses, each with its own stretch of the pattern.
    const std::string head = http_response_head(200, 5000, "application/octet-stream", false);
    std::string want;
    for (int i = 0; i < 10; ++i) {
        want += head;
        for (int k = 0; k < 5000; ++k)
            want += char(xg_pattern_byte(want.size()));
    }
    CHECK(w.client.rx == want);
    // The client closed first: the TIME-WAIT is the client's.
    CHECK(w.client.count(TcpEvent::PeerFin) == 1);
    CHECK(w.server.count(TcpEvent::PeerFin) == 1);
}

TEST_CASE("pipelined requests, a chunked upload and a request asking to close", "[program][wire][server]")
{
    ServerQuick sq;
    sq.recv_http = true;
    sq.send_text = "ok\\n";
    Program server = compile(build_server_program(sq));
    const std::string resp = http_response_head(200, 3, "text/plain", false) + "ok\n";

    SECTION("five requests in one send, then five responses")
    {
        std::string five;
        for (int i = 0; i < 5; ++i)
            five += kGet;
        std::vector<Op> ops{Op{OpKind::Send, {SendSource::Kind::Bytes, five, 0}}, Op{OpKind::Loop, {}, 5},
                            Op{OpKind::RecvHttp}, Op{OpKind::EndLoop}};
        Program client = compile(ops);
        auto seed = GENERATE(5ull, 6ull);
        Wire w(client, server, seed, 15);
        w.run();
        check_clean(w);
        CHECK(w.server.runner().iterations() == 5);
        CHECK(w.client.rx == resp + resp + resp + resp + resp);
    }
    SECTION("the last request asks to close: the server closes first, without the client's FIN")
    {
        const std::string upload = "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string("1000\r\n") +
                                   std::string(4096, 'u') + "\r\n0\r\n\r\n";
        const std::string last = "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n";
        // The client waits for the server to close (recv-until-close cannot
        // follow recv-http: it sends, reads both answers, then closes).
        std::vector<Op> ops{Op{OpKind::Send, {SendSource::Kind::Bytes, upload, 0}}, Op{OpKind::RecvHttp},
                            Op{OpKind::Send, {SendSource::Kind::Bytes, last, 0}}, Op{OpKind::RecvHttp},
                            Op{OpKind::Delay, {}, 100}};
        Program client = compile(ops);
        auto seed = GENERATE(7ull, 8ull);
        Wire w(client, server, seed, 10);
        w.run();
        check_clean(w);
        CHECK(w.server.runner().peer_asked_close());
        CHECK(w.server.runner().iterations() == 2);
        CHECK(w.server.rx == upload + last);
        // The server's FIN came while the client waited in its delay.
        CHECK(w.server.count(TcpEvent::PeerFin) == 1);
        CHECK(w.client.count(TcpEvent::PeerFin) == 1);
    }
}

TEST_CASE("an HTTP server that answers once and closes", "[program][wire][server]")
{
    QuickProgram cq;
    cq.http_get_path = "/obj";
    cq.http_host = "198.18.0.2";
    Program client = compile(build_quick_program(cq));
    ServerQuick sq;
    sq.recv_http = true;
    sq.http_status = 404;
    sq.send_text = "gone";
    sq.close_after = true;
    Program server = compile(build_server_program(sq));
    cq.expect_status = 404;
    Program client404 = compile(build_quick_program(cq));

    SECTION("the client expects the 404")
    {
        Wire w(client404, server, 9, 10);
        w.run();
        check_clean(w);
        CHECK(w.client.rx == http_response_head(404, 4, "text/plain", true) + "gone");
    }
    SECTION("a client expecting 2xx resets")
    {
        Wire w(client, server, 10, 0);
        w.run();
        CHECK(w.client.runner().failure() == Failure::HttpStatus);
        CHECK(w.client.resets == 1);
        CHECK(w.server.runner().finished());
        CHECK(w.server.runner().failure() == Failure::None);
    }
}

TEST_CASE("byte counts both ways, verified, against a server waiting for the client's close",
          "[program][wire][server]")
{
    QuickProgram cq;
    cq.send_size = 100'000;
    cq.recv_bytes = 300'000;
    cq.verify = true;
    Program client = compile(build_quick_program(cq));
    ServerQuick sq;
    sq.recv_bytes = 100'000;
    sq.send_size = 300'000;
    Program server = compile(build_server_program(sq));
    REQUIRE_FALSE(server.in_order());

    auto seed = GENERATE(11ull, 12ull);
    Wire w(client, server, seed, 10);
    w.run();
    check_clean(w);
    CHECK(w.client.rexmt > 0);
    CHECK(w.server.rexmt > 0);
    CHECK(w.server.rx_count == 100'000);
    CHECK(w.client.rx_count == 300'000);
}
