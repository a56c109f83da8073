// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Two connections, client and server, through an in-memory wire that loses
// ~10% of segments (both ways, SYNs and FINs included) and reorders a
// little. Every segment goes through write_tcp_header + in-place payload
// fill + checksum and back through parse_tcp, as the engine will do it.
// 1 MiB each way from pattern generators, every byte checked once, and a
// clean close on both sides. Deterministic: fixed PRNG seeds, bounded loop.

#include "tcp_test_util.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

using namespace xdpgen;
using namespace xdpgen::tcp;
using namespace xdpgen::tcp::test;

namespace {

constexpr uint64_t kStream = 1 << 20;

struct Rng {
    uint64_t s;
    uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    bool chance(unsigned percent) { return next() % 100 < percent; }
};

// An app that sends kStream bytes of its pattern and checks that each byte
// of the peer's pattern arrives exactly once.
struct StreamApp final : TcpApp {
    uint8_t tx_salt, rx_salt;
    std::vector<uint8_t> seen = std::vector<uint8_t>(kStream, 0);
    uint64_t rx_bytes = 0, dup_bytes = 0, bad_bytes = 0, past_end = 0, acked = 0;
    std::vector<TcpEvent> events;

    StreamApp(uint8_t tx, uint8_t rx) : tx_salt(tx), rx_salt(rx) {}
    uint64_t tx_available(uint64_t off) override { return off < kStream ? kStream - off : 0; }
    void tx_fill(uint64_t off, std::span<uint8_t> dst) override
    {
        REQUIRE(off + dst.size() <= kStream);
        for (size_t i = 0; i < dst.size(); ++i)
            dst[i] = pattern_byte(off + i, tx_salt);
    }
    void rx_data(uint64_t off, std::span<const uint8_t> d) override
    {
        for (size_t i = 0; i < d.size(); ++i) {
            uint64_t o = off + i;
            if (o >= kStream) {
                ++past_end;
                continue;
            }
            if (seen[o]++)
                ++dup_bytes;
            if (d[i] != pattern_byte(o, rx_salt))
                ++bad_bytes;
            ++rx_bytes;
        }
    }
    void on_event(TcpEvent e, uint64_t v) override
    {
        events.push_back(e);
        if (e == TcpEvent::DataAcked)
            acked += v;
    }
    size_t count(TcpEvent e) const { return size_t(std::count(events.begin(), events.end(), e)); }
};

struct Packet {
    uint64_t at;
    uint64_t order;  // FIFO among equal times
    int to;
    std::vector<uint8_t> bytes;
};

struct Net;

struct Side final : TcpSink {
    Net* net = nullptr;
    int id = 0;
    uint16_t port = 0, peer_port = 0;
    IpAddr addr, peer_addr;
    std::optional<Connection> c;
    StreamApp app;
    bool close_wanted = false, close_called = false;
    uint64_t sent = 0, retransmitted = 0;

    Side(uint8_t tx, uint8_t rx) : app(tx, rx) {}
    bool emit(const OutSegment& o) override;
};

struct Net {
    Rng rng;
    unsigned loss_percent;
    uint64_t now = 0, order = 0, dropped = 0, delivered = 0;
    std::vector<Packet> q;

    // XDPGEN_TCP_TRACE=1 prints every segment (for debugging a failure).
    bool trace = std::getenv("XDPGEN_TCP_TRACE") != nullptr;

    void send(int to, std::vector<uint8_t> bytes)
    {
        bool drop = rng.chance(loss_percent);
        if (trace) {
            ParsedTcp p = parse_tcp(bytes);
            std::printf("%10.3f %s %02x seq=%u ack=%u len=%u win=%u%s%s\n", double(now) / 1e6, to ? "c>s" : "s>c",
                        p.seg.flags, p.seg.seq.raw(), p.seg.ack.raw(), p.seg.payload_len, p.seg.window,
                        p.seg.opt.sack_count ? " sack" : "", drop ? " DROPPED" : "");
        }
        if (drop) {
            ++dropped;
            return;
        }
        // 1 ms one way, plus up to 300 µs of jitter: a little reordering.
        uint64_t at = now + ms(1) + us(rng.next() % 300);
        q.push_back({at, order++, to, std::move(bytes)});
    }
    uint64_t next_at() const
    {
        uint64_t t = kNever;
        for (auto& p : q)
            t = std::min(t, p.at);
        return t;
    }
};

bool Side::emit(const OutSegment& o)
{
    // What the engine does with a UMEM frame: header in place, payload
    // filled in place by the app at its stream offset, then the checksum.
    Segment s = o.seg;
    s.src_port = port;
    s.dst_port = peer_port;
    std::vector<uint8_t> frame(kTcpHdr + kTcpMaxOpt + s.payload_len);
    size_t hlen = write_tcp_header(frame, s);
    REQUIRE(hlen > 0);
    frame.resize(hlen + s.payload_len);
    if (s.payload_len)
        app.tx_fill(o.payload_offset, std::span<uint8_t>(frame).subspan(hlen));
    tcp_finish_checksum(frame, tcp_pseudo_sum(addr, peer_addr, static_cast<uint32_t>(frame.size())));
    ++sent;
    retransmitted += o.retransmit;
    net->send(1 - id, std::move(frame));
    return true;
}

IpAddr ip(uint8_t last)
{
    IpAddr a;
    a.b[0] = 198, a.b[1] = 18, a.b[2] = 0, a.b[3] = last;
    return a;
}

struct Outcome {
    uint64_t iterations = 0;
};

void run_transfer(const TcpConfig& cfg, uint64_t seed, unsigned loss)
{
    Net net{Rng{seed}, loss};
    Side client(1, 2), server(2, 1);
    Side* sides[2] = {&client, &server};
    client.net = server.net = &net;
    client.id = 0, server.id = 1;
    client.port = 40000, server.port = 80;
    client.peer_port = 80, server.peer_port = 40000;
    client.addr = server.peer_addr = ip(1);
    server.addr = client.peer_addr = ip(2);

    client.c.emplace();
    client.c->connect(cfg, 0, SeqNum(0xfff00000u), client);  // the stream crosses 2^32

    uint64_t iter = 0;
    const uint64_t kMaxIter = 400000;
    for (; iter < kMaxIter; ++iter) {
        bool client_done = client.c->state() == TcpState::Closed;
        bool server_done = server.c && server.c->state() == TcpState::Closed;
        if (client_done && server_done)
            break;
        uint64_t next = net.next_at();
        for (Side* s : sides)
            if (s->c && s->c->state() != TcpState::Closed)
                next = std::min(next, s->c->next_deadline(net.now));
        REQUIRE(next != kNever);  // something must always be pending
        net.now = std::max(net.now, next);

        // Deliver everything due, in arrival order.
        std::stable_sort(net.q.begin(), net.q.end(),
                         [](const Packet& a, const Packet& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
        std::vector<Packet> due;
        while (!net.q.empty() && net.q.front().at <= net.now) {
            due.push_back(std::move(net.q.front()));
            net.q.erase(net.q.begin());
        }
        for (Packet& p : due) {
            Side& dst = *sides[p.to];
            ParsedTcp parsed =
                parse_tcp(p.bytes, true, tcp_pseudo_sum(dst.peer_addr, dst.addr, static_cast<uint32_t>(p.bytes.size())));
            REQUIRE(parsed.status == ParseStatus::Ok);
            REQUIRE(parsed.seg.dst_port == dst.port);
            ++net.delivered;
            if (!dst.c) {
                // The server's LISTEN: a SYN makes the connection.
                dst.c.emplace();
                if (!dst.c->accept(cfg, parsed.seg, net.now, SeqNum(0x7ffffff0u), dst))
                    dst.c.reset();
                continue;
            }
            if (dst.c->state() == TcpState::Closed) {
                // No connection any more: RFC 9293 §3.10.7.1.
                Segment rst;
                if (tcp_reset_for(parsed.seg, rst)) {
                    OutSegment o;
                    o.seg = rst;
                    dst.emit(o);
                }
                continue;
            }
            dst.c->on_segment(net.now, parsed.seg, parsed.payload, dst.app, dst);
        }
        for (Side* s : sides) {
            if (!s->c || s->c->state() == TcpState::Closed)
                continue;
            if (s->c->next_deadline(net.now) <= net.now)
                s->c->poll(net.now, s->app, *s);
            // The stories: the client closes as soon as it is connected (its
            // FIN follows the whole stream), the server once it has seen
            // the client's FIN.
            if (s == &client && s->app.count(TcpEvent::Established))
                s->close_wanted = true;
            if (s == &server && s->app.count(TcpEvent::PeerFin))
                s->close_wanted = true;
            if (s->close_wanted && !s->close_called && s->c->state() != TcpState::Closed) {
                s->close_called = true;
                s->c->close(net.now, s->app, *s);
            }
        }
    }
    INFO("seed " << seed << " loss " << loss << "% iterations " << iter << " dropped " << net.dropped
                 << " delivered " << net.delivered << " sim time " << net.now / kMs << " ms");
    INFO("client sent " << client.sent << " (" << client.retransmitted << " rexmt), server sent " << server.sent
                        << " (" << server.retransmitted << " rexmt)");
    REQUIRE(iter < kMaxIter);
    REQUIRE(server.c);
    for (Side* s : sides) {
        INFO((s == &client ? "client" : "server"));
        CHECK(s->c->state() == TcpState::Closed);
        CHECK(s->app.rx_bytes == kStream);
        CHECK(s->app.dup_bytes == 0);
        CHECK(s->app.bad_bytes == 0);
        CHECK(s->app.past_end == 0);
        CHECK(s->app.acked == kStream);
        CHECK(s->app.count(TcpEvent::Established) == 1);
        CHECK(s->app.count(TcpEvent::PeerFin) == 1);
        CHECK(s->app.count(TcpEvent::Closed) == 1);
        CHECK(s->app.count(TcpEvent::Reset) == 0);
        CHECK(s->app.count(TcpEvent::Timeout) == 0);
        if (loss)
            CHECK(s->retransmitted > 0);
    }
}

}  // namespace

TEST_CASE("two endpoints over a lossy wire move 1 MiB each way and close cleanly", "[tcp][wire]")
{
    TcpConfig cfg;  // every option on
    cfg.time_wait = sec(10);
    cfg.rcv_wnd = 128 * 1024;
    SECTION("all options")
    {
        auto seed = GENERATE(1ull, 2ull, 3ull, 0x9e3779b97f4a7c15ull);
        run_transfer(cfg, seed, 10);
    }
    SECTION("no options (plain NewReno, Karn timing)")
    {
        TcpConfig plain = cfg;
        plain.sack = false;
        plain.timestamps = false;
        plain.wscale = -1;
        auto seed = GENERATE(4ull, 5ull);
        run_transfer(plain, seed, 10);
    }
    SECTION("in-order delivery only")
    {
        TcpConfig ordered = cfg;
        ordered.deliver_out_of_order = false;
        run_transfer(ordered, 6, 10);
    }
    SECTION("no loss")
    {
        run_transfer(cfg, 7, 0);
    }
}
