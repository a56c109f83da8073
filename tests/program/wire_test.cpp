// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A client Runner as the TCP app of a real tcp::Connection, against a
// server Connection with a scripted app, over an in-memory wire that loses
// segments. The client is driven as the engine drives it: after every call
// into its connection, advance() and do what Next says. Retransmissions of
// the client's stream are filled by the Runner again, so the server
// checking every byte checks that regeneration. Deterministic: fixed seeds,
// bounded loop.

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

// The server's story: what it sends depends on what it has received; it
// closes once the client has closed.
struct ServerApp : TcpApp {
    std::string tx;          // the whole stream it will have sent
    uint64_t released = 0;   // of which this much is offered so far
    uint64_t rx_bytes = 0;
    bool peer_fin = false;
    std::vector<TcpEvent> events;

    uint64_t tx_available(uint64_t off) override { return off < released ? released - off : 0; }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override
    {
        REQUIRE(off + dst.size() <= released);
        std::copy_n(tx.begin() + long(off), dst.size(), dst.begin());
    }
    void on_event(TcpEvent e, uint64_t) override
    {
        events.push_back(e);
        if (e == TcpEvent::PeerFin)
            peer_fin = true;
    }
    size_t count(TcpEvent e) const { return size_t(std::count(events.begin(), events.end(), e)); }
};

// Answers each complete request (ending in an empty line) with `answer`.
struct HttpServer final : ServerApp {
    std::string answer, rx;
    size_t requests = 0;
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        REQUIRE(off == rx.size());  // in order: deliver_out_of_order is off for this server
        rx.append(d.begin(), d.end());
        rx_bytes += d.size();
        size_t n = 0;
        for (size_t at = rx.find("\r\n\r\n"); at != std::string::npos; at = rx.find("\r\n\r\n", at + 4))
            ++n;
        while (requests < n) {
            ++requests;
            tx += answer;
        }
        released = tx.size();
    }
};

// Checks the client's pattern by offset; once `want` bytes are in, sends
// `reply` bytes of the pattern (with one byte wrong at `bad_at`, if set).
struct PatternServer final : ServerApp {
    uint64_t want = 0, bad_bytes = 0;
    std::vector<uint8_t> seen;
    std::optional<uint64_t> bad_at;
    uint64_t reply = 0;
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        if (seen.size() < want)
            seen.resize(want);
        for (size_t i = 0; i < d.size(); ++i) {
            REQUIRE(off + i < want);
            bad_bytes += d[i] != xg_pattern_byte(off + i);
            if (!seen[off + i]++)
                ++rx_bytes;
        }
        if (rx_bytes == want && released == 0) {
            for (uint64_t i = 0; i < reply; ++i)
                tx += char(xg_pattern_byte(i) ^ (bad_at == i ? 0x40 : 0));
            released = tx.size();
        }
    }
};

struct Packet {
    uint64_t at;
    bool to_server;
    Segment seg;
    std::vector<uint8_t> payload;
};

struct Harness {
    const Program& prog;
    ServerApp& server_app;
    TcpConfig ccfg, scfg;
    FlowState st{};
    HttpState http{};
    Connection client;
    std::optional<Connection> server;
    bool server_close_called = false;
    Action client_action = Action::None;
    uint64_t client_wake = kNever;
    int closes = 0, resets = 0;

    Rng rng;
    unsigned loss;
    uint64_t now = 0;
    std::deque<Packet> q;
    uint64_t dropped = 0, client_sent = 0, client_rexmt = 0;

    struct Sink final : TcpSink {
        Harness& h;
        bool from_client;
        Sink(Harness& h_, bool c) : h(h_), from_client(c) {}
        bool emit(const OutSegment& o) override
        {
            std::vector<uint8_t> payload(o.seg.payload_len);
            if (from_client) {
                // The engine fills the frame after the call, from the flow's state.
                Runner r(h.prog, h.st, &h.http);
                r.tx_fill(o.payload_offset, payload);
                ++h.client_sent;
                h.client_rexmt += o.retransmit;
            } else if (!payload.empty()) {
                h.server_app.tx_fill(o.payload_offset, payload);
            }
            // Lose some (SYNs and FINs too); 1 ms each way, in order.
            if (h.rng.next() % 100 < h.loss) {
                ++h.dropped;
                return true;
            }
            h.q.push_back({h.now + ms(1), from_client, o.seg, std::move(payload)});
            return true;
        }
    };
    Sink csink{*this, true}, ssink{*this, false};

    Harness(const Program& p, ServerApp& s, uint64_t seed, unsigned loss_percent)
        : prog(p), server_app(s), rng{seed}, loss(loss_percent)
    {
        ccfg.time_wait = ms(500);
        ccfg.deliver_out_of_order = !prog.in_order();
        scfg = ccfg;
        scfg.deliver_out_of_order = false;
    }

    // What the engine does after each call into the client's connection.
    void client_after(Runner& r)
    {
        for (int round = 0; round < 4 && client.state() != TcpState::Closed; ++round) {
            Next n = r.advance(now, client.tcb().rcv_nxt_off, have_rcvd_fin(client.state()));
            client_wake = n.wake_at;
            if (n.action == Action::Reset) {
                ++resets;
                client.abort(now, csink);
                break;
            }
            if (n.action == Action::Close) {
                ++closes;
                client.close(now, r, csink);
            } else if (n.tx_grew) {
                client.poll(now, r, csink);
            } else {
                break;
            }
        }
    }

    void server_after()
    {
        if (server->state() == TcpState::Closed)
            return;
        server->poll(now, server_app, ssink);
        if (server_app.peer_fin && !server_close_called) {
            server_close_called = true;
            server->close(now, server_app, ssink);
        }
    }

    void run()
    {
        client.connect(ccfg, now, SeqNum(0xfffff000u), csink);
        {
            Runner r(prog, st, &http);
            client_after(r);
        }
        uint64_t iter = 0;
        for (; iter < 200000; ++iter) {
            bool server_done = !server || server->state() == TcpState::Closed;
            if (client.state() == TcpState::Closed && server_done && q.empty())
                break;
            uint64_t next = kNever;
            for (auto& p : q)
                next = std::min(next, p.at);
            if (client.state() != TcpState::Closed)
                next = std::min({next, client.next_deadline(now), client_wake});
            if (server && server->state() != TcpState::Closed)
                next = std::min(next, server->next_deadline(now));
            REQUIRE(next != kNever);
            now = std::max(now, next);

            while (!q.empty() && q.front().at <= now) {
                Packet p = std::move(q.front());
                q.pop_front();
                if (p.to_server) {
                    if (!server) {
                        server.emplace();
                        if (!server->accept(scfg, p.seg, now, SeqNum(0x10000u), ssink))
                            server.reset();
                        continue;
                    }
                    if (server->state() == TcpState::Closed)
                        continue;
                    server->on_segment(now, p.seg, p.payload, server_app, ssink);
                    server_after();
                } else if (client.state() != TcpState::Closed) {
                    Runner r(prog, st, &http);
                    client.on_segment(now, p.seg, p.payload, r, csink);
                    client_after(r);
                }
            }
            if (client.state() != TcpState::Closed &&
                (client.next_deadline(now) <= now || client_wake <= now)) {
                Runner r(prog, st, &http);
                client.poll(now, r, csink);
                client_after(r);
            }
            if (server && server->state() != TcpState::Closed && server->next_deadline(now) <= now)
                server_after();
        }
        INFO("iterations " << iter << ", dropped " << dropped << ", sim time " << now / kMs << " ms");
        REQUIRE(iter < 200000);
    }
};

Program quick(const QuickProgram& q)
{
    auto s = build_quick_program(q);
    REQUIRE(s.ok());
    auto p = Program::compile(s.value());
    REQUIRE(p.ok());
    return std::move(p).value();
}

const std::string kChunked = "HTTP/1.1 200 OK\r\nServer: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "7;x=1\r\nchunked\r\n" "0b\r\n response \r\n" "0\r\nTrailer: t\r\n\r\n";

const std::string kNotFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n";

}  // namespace

TEST_CASE("a client program talks HTTP to a server over two TCP connections", "[program][wire]")
{
    QuickProgram q;
    q.http_get_path = "/a";
    q.http_host = "198.18.0.2";
    q.requests = 3;
    q.delay_ms = 2;
    Program prog = quick(q);
    const std::string get = "GET /a HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: xdpgen\r\n\r\n";

    auto seed = GENERATE(1ull, 2ull, 3ull);
    unsigned loss = seed == 1 ? 0 : 15;
    HttpServer srv;
    srv.answer = kChunked;
    Harness h(prog, srv, seed, loss);
    h.run();

    INFO("seed " << seed << " loss " << loss << "%, client sent " << h.client_sent << " (" << h.client_rexmt
                 << " retransmitted)");
    Runner r(prog, h.st, &h.http);
    CHECK(r.finished());
    CHECK(r.failure() == Failure::None);
    CHECK(r.http_responses() == 3);
    CHECK(h.closes == 1);
    CHECK(h.resets == 0);
    CHECK(srv.rx == get + get + get);  // every request byte exact, retransmissions included
    CHECK(srv.requests == 3);
    CHECK(srv.count(TcpEvent::PeerFin) == 1);
    CHECK(srv.count(TcpEvent::Closed) == 1);
    CHECK(h.client.state() == TcpState::Closed);
    CHECK(h.client.tcb().rcv_nxt_off == 3 * kChunked.size());
}

TEST_CASE("a wrong status over the wire resets the connection", "[program][wire]")
{
    QuickProgram q;
    q.http_get_path = "/missing";
    q.http_host = "example.test";
    q.requests = 2;
    Program prog = quick(q);
    HttpServer srv;
    srv.answer = kNotFound;
    Harness h(prog, srv, 9, 0);
    h.run();
    Runner r(prog, h.st, &h.http);
    CHECK(r.failure() == Failure::HttpStatus);
    CHECK_FALSE(r.finished());
    CHECK(h.resets == 1);
    CHECK(h.closes == 0);
    CHECK(srv.requests == 1);  // the second request was never released
    CHECK(srv.count(TcpEvent::Reset) == 1);
}

TEST_CASE("a pattern exchange with verify over a lossy wire", "[program][wire]")
{
    QuickProgram q;
    q.send_size = 100'000;
    q.recv_bytes = 300'000;
    q.verify = true;
    Program prog = quick(q);
    REQUIRE_FALSE(prog.in_order());

    SECTION("every byte right")
    {
        auto seed = GENERATE(4ull, 5ull);
        PatternServer srv;
        srv.want = 100'000;
        srv.reply = 300'000;
        Harness h(prog, srv, seed, 10);
        h.run();
        INFO("seed " << seed << ", client sent " << h.client_sent << " (" << h.client_rexmt << " retransmitted)");
        CHECK(h.client_rexmt > 0);
        CHECK(srv.bad_bytes == 0);
        CHECK(srv.rx_bytes == 100'000);
        Runner r(prog, h.st, &h.http);
        CHECK(r.finished());
        CHECK(r.failure() == Failure::None);
        CHECK(h.closes == 1);
        CHECK(srv.count(TcpEvent::Closed) == 1);
    }
    SECTION("one byte wrong")
    {
        PatternServer srv;
        srv.want = 100'000;
        srv.reply = 300'000;
        srv.bad_at = 123'456;
        Harness h(prog, srv, 6, 0);
        h.run();
        Runner r(prog, h.st, &h.http);
        CHECK(r.failure() == Failure::VerifyMismatch);
        CHECK(h.resets == 1);
        CHECK(srv.count(TcpEvent::Reset) == 1);
    }
}
