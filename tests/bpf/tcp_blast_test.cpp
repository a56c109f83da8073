// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_tcp_tx and xg_tcp_ack (bpf/tcp_blast.bpf.c, bpf/tcp_flow.bpf.h): the data
// segments of `xdpgen tcp` and the ACK processing that drives them, through
// plain BPF_PROG_RUN (nothing is transmitted).

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "net/checksum.hpp"
#include "net/tcp_frame.hpp"
#include "prog_run.hpp"
#include "programs.hpp"
#include "tcp/segment.hpp"
#include "tcp_blast.skel.h"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::test;

namespace {

constexpr uint32_t kSeq0 = 0xfffff000;  // the sequence numbers wrap early in every stream
constexpr uint32_t kRcvNxt = 0x12345678;
constexpr uint16_t kLocalPort = 40000, kPeerPort = 5201;
constexpr uint16_t kAdvWin = 0x1234;
constexpr size_t kTemplate = 14 + 40 + 32 + 1500;  // room for any test segment, any family
constexpr uint32_t kTsRecent = 0xabcdef01, kPeerTsval = 7777;

// The TSecr the next data segments must echo: the flow's ts_recent, which the
// peer's accepted ACKs (TSval kPeerTsval) replace.
uint32_t g_expect_tsecr = kTsRecent;
// The end_off of the flow last put: PSH marks the segment that reaches it.
uint64_t g_stream_end = 0;

struct Blaster {
    SkelPtr<xg_tcp_blast> skel;
    int tx_fd = -1, ack_fd = -1, flows_fd = -1, ids_fd = -1;
    int cpu = 0;
};

// rx_csum: --rx-csum as bpf/tcp_flow.bpf.h takes it (0 auto, 1 on, 2 off).
Blaster load_tcp_blast(int cpu, uint8_t rx_csum = 0)
{
    Blaster b;
    auto s = skel_open<xg_tcp_blast>("cannot open the TCP blaster");
    if (!s)
        FAIL(s.error().message());
    b.skel = std::move(s.value());
    b.skel->rodata->out_ifindex = static_cast<uint32_t>(loopback_ifindex());
    b.skel->rodata->ts_every = 1;
    b.skel->rodata->rx_csum = rx_csum;
    if (auto st = skel_load(b.skel, "cannot load the TCP blaster"); !st)
        FAIL(st.error().message() + "; " + st.error().hint);
    b.tx_fd = bpf_program__fd(b.skel->progs.xg_tcp_tx);
    b.ack_fd = bpf_program__fd(b.skel->progs.xg_tcp_ack);
    b.flows_fd = bpf_map__fd(b.skel->maps.tcp_flows);
    b.ids_fd = bpf_map__fd(b.skel->maps.tcp_flow_ids);
    b.cpu = cpu;
    g_expect_tsecr = kTsRecent;

    // The pattern rows, as the engine fills them once per run.
    auto row = std::make_unique<xg_tcp_pattern_row>();
    const int pat_fd = bpf_map__fd(b.skel->maps.tcp_pattern);
    for (uint32_t k = 0; k < XG_TCP_PATTERN_ROWS; k++) {
        xg_tcp_pattern_row_fill(k, row.get());
        REQUIRE(bpf_map_update_elem(pat_fd, &k, row.get(), BPF_ANY) == 0);
    }
    return b;
}

void set_slice(const Blaster& b, uint32_t first, uint32_t count)
{
    xg_tcp_tx_slice sl{};
    sl.first = first;
    sl.count = count;
    const uint32_t key = static_cast<uint32_t>(b.cpu);
    REQUIRE(bpf_map_update_elem(bpf_map__fd(b.skel->maps.tcp_tx_slices), &key, &sl, BPF_ANY) == 0);
}

IpAddr local_addr(bool v6) { return ip(v6 ? "fd00:18::1" : "198.18.0.1"); }
IpAddr peer_addr(bool v6) { return ip(v6 ? "fd00:18::2" : "198.18.0.2"); }

struct FlowOpts {
    bool v6 = false, ts = true, reno = false;
    uint16_t mss = 1000;
    uint64_t end = 200000;
    uint32_t wnd = 1u << 20;
    uint32_t cwnd = ~0u;
    uint16_t local_port = kLocalPort;
};

// A flow filled as the engine must fill one after the handshake.
xg_tcp_flow make_flow(const FlowOpts& o)
{
    xg_tcp_flow f{};
    f.dst_mac[0] = 0x02, f.dst_mac[5] = 0x02;
    f.src_mac[0] = 0x02, f.src_mac[5] = 0x01;
    f.src_port = htons(o.local_port);
    f.dst_port = htons(kPeerPort);
    const IpAddr l = local_addr(o.v6), p = peer_addr(o.v6);
    std::memcpy(f.src_addr, l.b.data(), o.v6 ? 16 : 4);
    std::memcpy(f.dst_addr, p.b.data(), o.v6 ? 16 : 4);
    f.seq0 = kSeq0;
    f.rcv_nxt = kRcvNxt;
    f.ts_off = 1000;
    f.mss = o.mss;
    f.adv_win = kAdvWin;
    f.end_off = o.end;
    f.flags = XG_TCP_F_ACTIVE | (o.v6 ? XG_TCP_F_IPV6 : 0) | (o.ts ? XG_TCP_F_TS : 0) | (o.reno ? XG_TCP_F_RENO : 0);
    f.snd_wscale = 7;
    f.wnd = o.wnd;
    f.cwnd = o.cwnd;
    f.ssthresh = ~0u;
    f.ts_recent = kTsRecent;
    f.last_wnd_raw = static_cast<uint16_t>(o.wnd >> 7);
    return f;
}

void put_flow(const Blaster& b, uint32_t id, const xg_tcp_flow& f)
{
    REQUIRE(bpf_map_update_elem(b.flows_fd, &id, &f, BPF_ANY) == 0);
    g_stream_end = f.end_off;
    xg_tcp_flow_key k{};
    const bool v6 = f.flags & XG_TCP_F_IPV6;
    std::memcpy(k.local_addr, f.src_addr, v6 ? 16 : 4);
    std::memcpy(k.peer_addr, f.dst_addr, v6 ? 16 : 4);
    k.local_port = f.src_port;
    k.peer_port = f.dst_port;
    k.ipv6 = v6;
    REQUIRE(bpf_map_update_elem(b.ids_fd, &k, &id, BPF_ANY) == 0);
}

xg_tcp_flow get_flow(const Blaster& b, uint32_t id)
{
    xg_tcp_flow f{};
    REQUIRE(bpf_map_lookup_elem(b.flows_fd, &id, &f) == 0);
    return f;
}

template <typename T>
T sum_counters(int fd)
{
    // Added as words through memcpy: the fields are __u64, another type than
    // uint64_t, so reading them through a uint64_t* would break aliasing rules.
    constexpr size_t n = sizeof(T) / 8;
    uint64_t sum[n] = {}, v[n];
    for (const T& c : percpu_values<T>(fd, 0)) {
        std::memcpy(v, &c, sizeof(v));
        for (size_t i = 0; i < n; i++)
            sum[i] += v[i];
    }
    T out;
    std::memcpy(&out, sum, sizeof(out));
    return out;
}

xg_tcp_tx_counters tx_counters(const Blaster& b)
{
    return sum_counters<xg_tcp_tx_counters>(bpf_map__fd(b.skel->maps.tcp_tx_counters));
}
xg_tcp_ack_counters ack_counters(const Blaster& b)
{
    return sum_counters<xg_tcp_ack_counters>(bpf_map__fd(b.skel->maps.tcp_ack_counters));
}

// One data segment as a receiver checks it.
struct Sent {
    uint32_t retval = 0;
    Bytes frame;
    TcpFrameView view;
    tcp::ParsedTcp tcp;
    uint64_t off = 0;  // stream offset of the first payload byte, from seq
};

// One repetition over a template page full of junk (a recycled page).
Sent tx(const Blaster& b, uint8_t junk = 0xa5)
{
    Bytes tmpl(kTemplate, junk);
    ProgRun r = run_prog(b.tx_fd, tmpl);
    Sent s;
    s.retval = r.retval;
    s.frame = std::move(r.out);
    return s;
}

// Parses and checks what every data segment must be; returns its stream offset.
void check_segment(Sent& s, bool v6, bool ts, uint64_t expect_off_hi_bits = 0)
{
    REQUIRE(s.retval == XDP_REDIRECT);
    auto v = parse_tcp_frame(s.frame);
    REQUIRE(v);
    s.view = *v;
    CHECK(v->src == local_addr(v6));
    CHECK(v->dst == peer_addr(v6));
    const size_t ip_len = v6 ? kIpv6Hdr : kIpv4Hdr;
    // Nothing after the IP datagram: the frame was cut to the segment.
    CHECK(s.frame.size() == kEthHdr + ip_len + v->l4.size());
    if (!v6) {
        const uint8_t* iph = s.frame.data() + kEthHdr;
        CHECK(csum_fold(csum_partial(iph, kIpv4Hdr)) == 0xffff);
        CHECK(iph[0] == 0x45);
        CHECK(iph[8] == 64);
        CHECK((iph[6] & 0x40) != 0);  // DF
    } else {
        CHECK(s.frame[kEthHdr] == 0x60);
        CHECK(s.frame[kEthHdr + 7] == 64);
    }
    const uint8_t want_mac_dst[6] = {2, 0, 0, 0, 0, 2}, want_mac_src[6] = {2, 0, 0, 0, 0, 1};
    CHECK(std::memcmp(s.frame.data(), want_mac_dst, 6) == 0);
    CHECK(std::memcmp(s.frame.data() + 6, want_mac_src, 6) == 0);

    s.tcp = tcp::parse_tcp(v->l4, true, tcp::tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size())));
    REQUIRE(s.tcp.status == tcp::ParseStatus::Ok);  // the TCP checksum included
    const auto& seg = s.tcp.seg;
    CHECK(seg.src_port == kLocalPort);
    CHECK(seg.dst_port == kPeerPort);
    CHECK(seg.ack.raw() == kRcvNxt);
    CHECK(seg.window == kAdvWin);
    CHECK(seg.opt.has_ts == ts);
    if (ts)
        CHECK(seg.opt.ts_ecr == g_expect_tsecr);
    REQUIRE(seg.payload_len > 0);
    s.off = expect_off_hi_bits + static_cast<uint32_t>(seg.seq.raw() - kSeq0);
    // PSH only on the stream's last segment (so the receiver's GRO merges the rest).
    CHECK(seg.flags == (s.off + seg.payload_len >= g_stream_end ? tcp::kAck | tcp::kPsh : tcp::kAck));
    for (size_t i = 0; i < s.tcp.payload.size(); i++) {
        if (s.tcp.payload[i] != xg_pattern_byte(s.off + i)) {
            FAIL_CHECK("payload byte at stream offset " << s.off + i << " is " << int(s.tcp.payload[i])
                                                        << ", pattern " << int(xg_pattern_byte(s.off + i)));
            break;
        }
    }
}

// A SACK block in stream offsets: the peer holds [left, right).
struct Blk {
    uint64_t left, right;
};

// The peer's ACK for stream offset ack_off, with SACK blocks as Linux lays
// them out (NOP NOP TS, then NOP NOP SACK; NOP NOP SACK first without TS).
Bytes ack_frame(bool v6, uint64_t ack_off, uint16_t raw_window, std::optional<uint32_t> tsval = kPeerTsval,
                size_t payload = 0, uint8_t flags = tcp::kAck, uint16_t local_port = kLocalPort,
                const std::vector<Blk>& sack = {})
{
    tcp::Segment seg;
    seg.src_port = kPeerPort;
    seg.dst_port = local_port;
    seg.seq = tcp::SeqNum(kRcvNxt);
    seg.ack = tcp::SeqNum(kSeq0 + static_cast<uint32_t>(ack_off));
    seg.flags = flags;
    seg.window = raw_window;
    if (tsval) {
        seg.opt.has_ts = true;
        seg.opt.ts_val = *tsval;
        seg.opt.ts_ecr = 1;
    }
    REQUIRE(sack.size() <= (tsval ? 3u : 4u));
    for (const Blk& k : sack)
        seg.opt.sack[seg.opt.sack_count++] = {tcp::SeqNum(kSeq0 + static_cast<uint32_t>(k.left)),
                                              tcp::SeqNum(kSeq0 + static_cast<uint32_t>(k.right))};
    Bytes data(payload, 'x');
    seg.payload_len = static_cast<uint32_t>(payload);
    const size_t len = tcp::tcp_header_len(seg.opt) + payload;
    Bytes l4(len);
    const IpAddr src = peer_addr(v6), dst = local_addr(v6);
    REQUIRE(tcp::write_tcp(l4, seg, data, tcp::tcp_pseudo_sum(src, dst, static_cast<uint32_t>(len))) == len);
    if (v6)
        return ipv6_frame({.src = src, .dst = dst, .next_header = IPPROTO_TCP}, l4);
    return ipv4_frame({.src = src, .dst = dst, .proto = IPPROTO_TCP}, l4);
}

// Recomputes the TCP checksum of a plain IPv4/IPv6 frame from ack_frame
// over the segment its IP length gives, after a test changed its bytes.
// False if the frame is cut short of that length.
bool refresh_tcp_csum(Bytes& f, bool v6)
{
    const size_t l3 = kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr);
    const size_t ip_len = size_t(f[kEthHdr + (v6 ? 4 : 2)]) << 8 | f[kEthHdr + (v6 ? 5 : 3)];
    const size_t l4_len = v6 ? ip_len : ip_len - kIpv4Hdr;
    if (f.size() < l3 + l4_len)
        return false;
    tcp::tcp_finish_checksum(std::span<uint8_t>(f.data() + l3, l4_len),
                             tcp::tcp_pseudo_sum(peer_addr(v6), local_addr(v6), static_cast<uint32_t>(l4_len)));
    return true;
}

// A pure ACK with SACK blocks (timestamps unless ts is false).
Bytes sack_frame(bool v6, uint64_t ack_off, uint16_t raw_window, const std::vector<Blk>& sack, bool ts = true)
{
    return ack_frame(v6, ack_off, raw_window, ts ? std::optional<uint32_t>(kPeerTsval) : std::nullopt, 0, tcp::kAck,
                     kLocalPort, sack);
}

// Where the NOP NOP SACK word of sack_frame's frames starts.
size_t sack_word_at(bool v6, bool ts = true)
{
    return kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr) + tcp::kTcpHdr + (ts ? 12 : 0);
}

uint32_t ack(const Blaster& b, bool v6, uint64_t ack_off, uint16_t raw_window, std::optional<uint32_t> tsval = kPeerTsval)
{
    const uint32_t r = run_prog(b.ack_fd, ack_frame(v6, ack_off, raw_window, tsval)).retval;
    g_expect_tsecr = get_flow(b, 0).ts_recent;  // every test that ACKs uses flow 0
    return r;
}

uint32_t sack(const Blaster& b, bool v6, uint64_t ack_off, uint16_t raw_window, const std::vector<Blk>& blocks,
              bool ts = true)
{
    const uint32_t r = run_prog(b.ack_fd, sack_frame(v6, ack_off, raw_window, blocks, ts)).retval;
    g_expect_tsecr = get_flow(b, 0).ts_recent;
    return r;
}

}  // namespace

TEST_CASE("tcp_tx sends a whole stream: valid frames, pattern bytes, seq by len, nothing past the end", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    for (bool v6 : {false, true}) {
        for (bool ts : {true, false}) {
            DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4") << (ts ? " with timestamps" : " without timestamps"))
            {
                auto b = load_tcp_blast(pin.cpu());
                set_slice(b, 3, 1);
                FlowOpts o;
                o.v6 = v6;
                o.ts = ts;
                o.mss = 1448;
                o.end = 3 * 65536 + 777;  // crosses three 64 KiB boundaries, ends with a partial segment
                put_flow(b, 3, make_flow(o));

                const uint64_t t0 = monotonic_ns();
                uint64_t expect = 0;
                unsigned segments = 0;
                bool crossed = false;
                while (expect < o.end) {
                    INFO("segment " << segments << " at " << expect);
                    Sent s = tx(b, static_cast<uint8_t>(segments * 37));
                    check_segment(s, v6, ts);
                    CHECK(s.off == expect);
                    const uint32_t len = s.tcp.seg.payload_len;
                    CHECK(len == std::min<uint64_t>(o.mss, o.end - expect));
                    if ((expect >> 16) != ((expect + len - 1) >> 16))
                        crossed = true;
                    if (ts) {
                        // TSval: the ms clock plus the flow's offset.
                        const uint64_t t1 = monotonic_ns();
                        CHECK(s.tcp.seg.opt.ts_val >= static_cast<uint32_t>(t0 / 1'000'000 + 1000 - 1));
                        CHECK(s.tcp.seg.opt.ts_val <= static_cast<uint32_t>(t1 / 1'000'000 + 1000 + 1));
                    }
                    expect += len;
                    segments++;
                    REQUIRE(segments < 1000);
                }
                CHECK(crossed);
                // The stream is out: nothing more, the repetition is dropped and counted.
                CHECK(tx(b).retval == XDP_DROP);
                auto f = get_flow(b, 3);
                CHECK(f.nxt_off == o.end);
                CHECK(f.tx_segments == segments);
                auto c = tx_counters(b);
                CHECK(c.packets == segments);
                CHECK(c.payload_bytes == o.end);
                CHECK(c.no_room == 1);
                CHECK(c.resent == 0);
                CHECK(c.errors == 0);
            }
        }
    }
}

TEST_CASE("tcp_tx payload crosses a 64 KiB boundary at odd and even splits", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    set_slice(b, 0, 1);
    // Starts just below a boundary so the first slice has 1..4 bytes (odd and
    // even), then a stream offset above 4 GiB (block number > 255, seq wraps).
    for (uint64_t start : {65535ull, 65534ull, 131069ull, 131068ull, (5ull << 32) + 65536 * 7 - 3}) {
        INFO("start " << start);
        FlowOpts o;
        o.mss = 1001;
        o.end = start + 5000;
        auto f = make_flow(o);
        f.una_off = f.nxt_off = start;
        put_flow(b, 0, f);
        Sent s = tx(b);
        check_segment(s, false, true, start & ~0xffffffffull);
        CHECK(s.off == start);
        CHECK(s.tcp.seg.payload_len == 1001);
    }
}

TEST_CASE("tcp_tx respects min(cwnd, peer window) beyond una and resumes on ACKs", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    for (bool reno : {false, true}) {
        DYNAMIC_SECTION((reno ? "cwnd 3000 (reno)" : "window 5120 (cc none)"))
        {
            auto b = load_tcp_blast(pin.cpu());
            set_slice(b, 0, 1);
            FlowOpts o;
            o.mss = 1000;
            o.reno = reno;
            o.wnd = reno ? 1u << 20 : 5120;
            o.cwnd = reno ? 3000 : ~0u;
            auto fl = make_flow(o);
            if (reno)
                fl.ssthresh = 1u << 20;
            put_flow(b, 0, fl);

            // Sends while allowed; every byte below una + min(cwnd, wnd).
            auto drain = [&](uint64_t& sent) {
                for (int i = 0; i < 100; i++) {
                    const auto f = get_flow(b, 0);
                    Sent s = tx(b);
                    if (s.retval == XDP_DROP)
                        return;
                    check_segment(s, false, true);
                    CHECK(s.off == sent);
                    sent += s.tcp.seg.payload_len;
                    REQUIRE(sent <= f.una_off + std::min(f.cwnd, f.wnd));
                }
                FAIL("never ran out of room");
            };
            uint64_t sent = 0;
            drain(sent);
            // cc none: five segments; the 120 bytes left are less than a
            // segment and half the window (sender silly window avoidance).
            CHECK(sent == (reno ? 3000 : 5000));

            // The peer acknowledges 2000 bytes: una moves, and the room with it
            // (reno: slow start adds min(acked, 2 MSS) to cwnd too).
            const uint16_t raw = static_cast<uint16_t>(o.wnd >> 7);
            CHECK(ack(b, false, 2000, raw) == XDP_DROP);
            auto f = get_flow(b, 0);
            CHECK(f.una_off == 2000);
            CHECK(f.ts_recent == kPeerTsval);
            CHECK(f.wnd == o.wnd);
            if (reno)
                CHECK(f.cwnd == 5000);
            drain(sent);
            CHECK(sent == 7000);
            CHECK(tx_counters(b).no_room == 2);
        }
    }
}

TEST_CASE("tcp_ack: new ACKs grow cwnd, three duplicates resend one segment at una and halve cwnd", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4"))
        {
            auto b = load_tcp_blast(pin.cpu());
            set_slice(b, 0, 1);
            FlowOpts o;
            o.v6 = v6;
            o.reno = true;
            o.mss = 1000;
            o.cwnd = 10000;
            put_flow(b, 0, make_flow(o));
            const uint16_t raw = static_cast<uint16_t>(o.wnd >> 7);

            for (int i = 0; i < 10; i++) {
                Sent s = tx(b);
                check_segment(s, v6, true);
            }
            CHECK(tx(b).retval == XDP_DROP);  // cwnd full

            // Slow start: +min(acked, 2 MSS) per ACK.
            CHECK(ack(b, v6, 1000, raw) == XDP_DROP);
            auto f = get_flow(b, 0);
            CHECK(f.una_off == 1000);
            CHECK(f.cwnd == 11000);
            CHECK(ack(b, v6, 4000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.una_off == 4000);
            CHECK(f.cwnd == 13000);
            // Fill the window: up to una + cwnd = 17000.
            uint64_t sent = 10000;
            for (;;) {
                Sent s = tx(b);
                if (s.retval == XDP_DROP)
                    break;
                check_segment(s, v6, true);
                CHECK(s.off == sent);
                sent += s.tcp.seg.payload_len;
            }
            CHECK(sent == 17000);

            // An old ACK is ignored (and consumed); so is its TSval.
            CHECK(ack(b, v6, 3000, raw, 9999) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.una_off == 4000);
            CHECK(f.ts_recent == kPeerTsval);
            // An ACK beyond what was sent goes on to the engine.
            CHECK(ack(b, v6, 17001, raw) == XDP_PASS);
            CHECK(get_flow(b, 0).una_off == 4000);

            // Three duplicates: resend [4000, 5000) once, then new data only.
            for (int i = 0; i < 2; i++)
                CHECK(ack(b, v6, 4000, raw) == XDP_DROP);
            CHECK(get_flow(b, 0).rexmit_gen == 0);
            CHECK(ack(b, v6, 4000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.dupacks == 3);
            CHECK(f.in_recovery == 1);
            CHECK(f.recover == 17000);
            CHECK(f.ssthresh == 6500);  // flight 13000 / 2
            CHECK(f.cwnd == 9500);      // ssthresh + 3 MSS
            CHECK(f.rexmit_gen == 1);

            Sent r = tx(b);
            check_segment(r, v6, true);
            CHECK(r.off == 4000);
            CHECK(r.tcp.seg.payload_len == 1000);
            // una + cwnd = 13500 < nxt 17000: nothing new, and no other resend.
            CHECK(tx(b).retval == XDP_DROP);
            auto c = tx_counters(b);
            CHECK(c.resent == 1);
            CHECK(c.resent_bytes == 1000);

            // More duplicates inflate cwnd by one MSS each: new data flows again.
            for (int i = 0; i < 5; i++)
                CHECK(ack(b, v6, 4000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.cwnd == 14500);
            CHECK(f.rexmit_gen == 1);  // no second resend
            Sent n = tx(b);
            check_segment(n, v6, true);
            CHECK(n.off == 17000);
            CHECK(tx(b).retval == XDP_DROP);  // 500 bytes of room: less than a segment and half the window

            // A partial ACK (below recover = 17000) resends the next hole.
            CHECK(ack(b, v6, 8000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.una_off == 8000);
            CHECK(f.in_recovery == 1);
            CHECK(f.rexmit_gen == 2);
            Sent h = tx(b);
            check_segment(h, v6, true);
            CHECK(h.off == 8000);
            CHECK(h.tcp.seg.payload_len == 1000);

            // A full ACK ends recovery with cwnd = ssthresh.
            CHECK(ack(b, v6, 18000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.in_recovery == 0);
            CHECK(f.cwnd == 6500);
            CHECK(f.una_off == 18000);

            auto a = ack_counters(b);
            CHECK(a.fast_rexmits == 1);
            CHECK(a.partial_acks == 1);
            CHECK(a.old_acks == 1);
            CHECK(a.ahead_acks == 1);
            CHECK(a.dup_acks == 2 + 1 + 5);
        }
    }
}

TEST_CASE("tcp_ack: cc none resends on three duplicates without touching cwnd", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    set_slice(b, 0, 1);
    FlowOpts o;
    o.mss = 1000;
    o.wnd = 6000;
    put_flow(b, 0, make_flow(o));
    const uint16_t raw = static_cast<uint16_t>(o.wnd >> 7);
    for (int i = 0; i < 6; i++)
        REQUIRE(tx(b).retval == XDP_REDIRECT);
    for (int i = 0; i < 3; i++)
        CHECK(ack(b, false, 0, raw) == XDP_DROP);
    auto f = get_flow(b, 0);
    CHECK(f.cwnd == ~0u);
    CHECK(f.rexmit_gen == 1);
    Sent r = tx(b);
    check_segment(r, false, true);
    CHECK(r.off == 0);
    CHECK(tx(b).retval == XDP_DROP);
}

TEST_CASE("tcp_ack: what is not a pure ACK of an active flow is passed", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    set_slice(b, 0, 1);
    FlowOpts o;
    put_flow(b, 0, make_flow(o));
    for (int i = 0; i < 3; i++)
        REQUIRE(tx(b).retval == XDP_REDIRECT);
    const uint16_t raw = static_cast<uint16_t>(o.wnd >> 7);

    // Another port: not ours at all.
    CHECK(run_prog(b.ack_fd, ack_frame(false, 1000, raw, 1, 0, tcp::kAck, kLocalPort + 1)).retval == XDP_PASS);
    // Data riding on an ACK: the engine's, whole (its checksum spans the data,
    // which this program does not sum); the ACK is not read here.
    CHECK(run_prog(b.ack_fd, ack_frame(false, 1000, raw, 1, 10)).retval == XDP_PASS);
    CHECK(get_flow(b, 0).una_off == 0);
    // FIN, RST: the engine's.
    CHECK(run_prog(b.ack_fd, ack_frame(false, 2000, raw, 1, 0, tcp::kAck | tcp::kFin)).retval == XDP_PASS);
    CHECK(run_prog(b.ack_fd, ack_frame(false, 2000, raw, 1, 0, tcp::kAck | tcp::kRst)).retval == XDP_PASS);
    CHECK(get_flow(b, 0).una_off == 2000);  // the FIN's ACK counted, the RST's not read
    // A flow that is no longer active: everything goes to the engine.
    auto f = get_flow(b, 0);
    f.flags &= ~XG_TCP_F_ACTIVE;
    put_flow(b, 0, f);
    CHECK(ack(b, false, 3000, raw) == XDP_PASS);
    CHECK(get_flow(b, 0).una_off == 2000);
    CHECK(tx(b).retval == XDP_DROP);
}

namespace {

// An IPv6 ACK rebuilt with extension headers between the IP and TCP headers.
Bytes with_ext(const Bytes& v6_frame, std::vector<Ipv6Ext> ext)
{
    const Bytes l4(v6_frame.begin() + kEthHdr + kIpv6Hdr, v6_frame.end());
    return ipv6_frame({.src = peer_addr(true), .dst = local_addr(true), .next_header = IPPROTO_TCP, .ext = std::move(ext)},
                      l4);
}

}  // namespace

TEST_CASE("tcp_ack: ACKs behind VLAN tags or IPv6 extension headers are read; fragments go on", "[tcp_blast]")
{
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4"))
        {
            CpuPin pin(highest_allowed_cpu());
            auto b = load_tcp_blast(pin.cpu());
            set_slice(b, 0, 1);
            FlowOpts o;
            o.v6 = v6;
            put_flow(b, 0, make_flow(o));
            for (int i = 0; i < 5; i++)
                REQUIRE(tx(b).retval == XDP_REDIRECT);
            const uint16_t raw = static_cast<uint16_t>(o.wnd >> 7);

            // Two tags: consumed like an untagged pure ACK.
            const Bytes tagged = vlan_tagged(vlan_tagged(ack_frame(v6, 1000, raw), 10), 20, 0x88a8);
            CHECK(run_prog(b.ack_fd, tagged).retval == XDP_DROP);
            CHECK(get_flow(b, 0).una_off == 1000);
            if (v6) {
                const Bytes ext = with_ext(ack_frame(true, 2000, raw), {{IPPROTO_HOPOPTS, 8}, {IPPROTO_DSTOPTS, 16}});
                CHECK(run_prog(b.ack_fd, ext).retval == XDP_DROP);
                CHECK(get_flow(b, 0).una_off == 2000);
                // A first fragment is no pure ACK of ours: on to the engine, unread.
                const Bytes frag = with_ext(ack_frame(true, 3000, raw), {{IPPROTO_FRAGMENT, 8, 1}});
                CHECK(run_prog(b.ack_fd, frag).retval == XDP_PASS);
                CHECK(get_flow(b, 0).una_off == 2000);
            } else {
                Bytes frag = ack_frame(false, 3000, raw);
                frag[kEthHdr + 6] = 0x20;  // MF
                CHECK(run_prog(b.ack_fd, frag).retval == XDP_PASS);
                CHECK(get_flow(b, 0).una_off == 1000);
            }
        }
    }
}

TEST_CASE("tcp_tx round-robins over its slice and an RTO resends from una", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    set_slice(b, 10, 2);
    FlowOpts o;
    o.mss = 1000;
    o.wnd = 3000;
    put_flow(b, 10, make_flow(o));
    o.local_port = kLocalPort + 1;
    put_flow(b, 11, make_flow(o));
    std::vector<uint16_t> ports;
    for (int i = 0; i < 6; i++) {
        Sent s = tx(b);
        REQUIRE(s.retval == XDP_REDIRECT);
        auto v = parse_tcp_frame(s.frame);
        REQUIRE(v);
        ports.push_back(tcp::parse_tcp(v->l4).seg.src_port);
    }
    CHECK(ports == std::vector<uint16_t>{kLocalPort, kLocalPort + 1, kLocalPort, kLocalPort + 1, kLocalPort,
                                         kLocalPort + 1});
    CHECK(tx(b).retval == XDP_DROP);

    // Userspace's RTO on flow 11: go back to una, resend the window in order.
    auto f = get_flow(b, 11);
    f.rto_gen++;
    const uint32_t id11 = 11;
    REQUIRE(bpf_map_update_elem(b.flows_fd, &id11, &f, BPF_ANY) == 0);
    for (uint64_t off : {0, 1000, 2000}) {
        Sent s = tx(b);
        REQUIRE(s.retval == XDP_REDIRECT);
        auto v = parse_tcp_frame(s.frame);
        auto t = tcp::parse_tcp(v->l4);
        CHECK(t.seg.src_port == kLocalPort + 1);
        CHECK(t.seg.seq.raw() == kSeq0 + off);
    }
    CHECK(tx(b).retval == XDP_DROP);
    CHECK(tx_counters(b).resent == 3);
}

namespace {

// The difference of two counter snapshots, field by field.
xg_tcp_ack_counters ack_delta(const xg_tcp_ack_counters& after, const xg_tcp_ack_counters& before)
{
    // Copied as words (memcpy: __u64 is not uint64_t's type, so no casts).
    constexpr size_t n = sizeof(xg_tcp_ack_counters) / 8;
    uint64_t a[n], b[n];
    std::memcpy(a, &after, sizeof(a));
    std::memcpy(b, &before, sizeof(b));
    for (size_t i = 0; i < n; i++)
        a[i] -= b[i];
    xg_tcp_ack_counters d;
    std::memcpy(&d, a, sizeof(d));
    return d;
}

// A flow with [una, nxt) outstanding, as if the TX had sent it.
xg_tcp_flow outstanding_flow(bool v6, bool ts, uint64_t una, uint64_t nxt)
{
    FlowOpts o;
    o.v6 = v6;
    o.ts = ts;
    o.mss = 1000;
    o.end = nxt + 100000;
    auto f = make_flow(o);
    f.una_off = una;
    f.nxt_off = nxt;
    return f;
}

constexpr uint16_t kRaw = static_cast<uint16_t>((1u << 20) >> 7);  // make_flow's window, as the peer sends it

}  // namespace

TEST_CASE("tcp_ack: SACK blocks on the third duplicate ACK resend exactly the hole [una, lowest left edge)",
          "[tcp_blast]")
{
    struct Case {
        const char* name;
        std::vector<Blk> blocks;
        uint64_t expect_to;  // the request is [una, expect_to)
        bool sack_used;
        bool ts = true;
        uint64_t una = 4000, nxt = 20000;
    };
    constexpr uint64_t kHigh = (3ull << 32) + 4000;  // a stream beyond 12 GiB: una's sequence number wrapped 3 times
    const std::vector<Case> cases = {
        {"no SACK: one segment, as before", {}, 5000, false},
        {"one block", {{7000, 9000}}, 7000, true},
        {"three blocks, the lowest edge last", {{15000, 16000}, {12000, 13000}, {9000, 10000}}, 9000, true},
        {"three blocks, the lowest edge in the middle", {{15000, 16000}, {6000, 8000}, {9000, 10000}}, 6000, true},
        {"a hole shorter than a segment", {{4400, 6000}}, 4400, true},
        {"the last block reaches nxt", {{19000, 20000}, {8000, 9000}}, 8000, true},
        {"blocks outside (una, nxt] are ignored: D-SACK, one past nxt",
         {{3000, 4000}, {19000, 21000}, {11000, 12000}},
         11000,
         true},
        {"a block from una itself is ignored", {{8000, 9000}, {4000, 6000}}, 8000, true},
        {"only blocks outside (una, nxt]: one segment", {{2000, 3000}, {20000, 22000}, {4000, 6000}}, 5000, false},
        {"inverted and empty blocks: one segment", {{9000, 8000}, {7000, 7000}}, 5000, false},
        {"without timestamps: NOP NOP SACK first", {{8000, 9000}, {6500, 7000}}, 6500, true, false},
        {"without timestamps, 4 blocks: the 4th is not read",
         {{15000, 16000}, {12000, 13000}, {9000, 10000}, {6000, 7000}},
         9000,
         true,
         false},
        {"a hole longer than XG_TCP_RESEND_MAX is cut there", {{500000, 510000}}, 4000 + XG_TCP_RESEND_MAX, true,
         true, 4000, 600000},
        {"stream offsets above 4 GiB", {{kHigh + 9000, kHigh + 10000}, {kHigh + 5000, kHigh + 6000}}, kHigh + 5000,
         true, true, kHigh, kHigh + 16000},
    };
    static_assert(XG_TCP_RESEND_MAX == 256 * 1024);

    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    for (bool v6 : {false, true}) {
        for (const Case& c : cases) {
            DYNAMIC_SECTION((v6 ? "IPv6: " : "IPv4: ") << c.name)
            {
                // SACK showing more than 2 segments (mss 1000) above the hole
                // declares the loss at once (RFC 6675), else the third duplicate does.
                uint64_t lowest = 0, top = 0;
                for (size_t i = 0; i < std::min<size_t>(c.blocks.size(), 3); i++) {
                    const uint64_t l = c.una + static_cast<uint32_t>(c.blocks[i].left - c.una);
                    const uint64_t r = c.una + static_cast<uint32_t>(c.blocks[i].right - c.una);
                    if (l > c.una && r > l && r <= c.nxt) {
                        lowest = lowest ? std::min(lowest, l) : l;
                        top = std::max(top, r);
                    }
                }
                const bool at_once = lowest && top - lowest > 2000;
                put_flow(b, 0, outstanding_flow(v6, c.ts, c.una, c.nxt));
                const auto before = ack_counters(b);
                for (int i = 0; i < 2; i++) {
                    CHECK(sack(b, v6, c.una, kRaw, c.blocks, c.ts) == XDP_DROP);
                    CHECK(get_flow(b, 0).rexmit_gen == (at_once ? 1u : 0u));
                }
                CHECK(sack(b, v6, c.una, kRaw, c.blocks, c.ts) == XDP_DROP);
                const auto f = get_flow(b, 0);
                CHECK(f.rexmit_gen == 1);
                CHECK(f.rexmit_from == c.una);
                CHECK(f.rexmit_to == c.expect_to);
                CHECK(f.in_recovery == 1);
                CHECK(f.recover == c.nxt);
                CHECK(f.una_off == c.una);
                const auto d = ack_delta(ack_counters(b), before);
                CHECK(d.dup_acks == 3);
                CHECK(d.fast_rexmits == 1);
                CHECK(d.sack_acks == (c.sack_used ? 3u : 0u));
                const uint64_t len = c.expect_to - c.una;
                CHECK(d.sack_resend_bytes == (c.sack_used && len > 1000 ? len - 1000 : 0));
            }
        }
    }
}

TEST_CASE("tcp_ack: with SACK blocks a moving window does not hide duplicate ACKs; without, it does",
          "[tcp_blast]")
{
    // A Linux receiver's window grows as its application reads: its ACKs for
    // the segments after a loss carry a different window each time.
    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4"))
        {
            put_flow(b, 0, outstanding_flow(v6, true, 4000, 20000));
            const auto before = ack_counters(b);
            for (uint16_t i = 0; i < 3; i++)
                CHECK(sack(b, v6, 4000, static_cast<uint16_t>(kRaw + 1 + i), {{6000, 7000 + 1000u * i}}) == XDP_DROP);
            auto f = get_flow(b, 0);
            CHECK(f.rexmit_gen == 1);
            CHECK(f.rexmit_from == 4000);
            CHECK(f.rexmit_to == 6000);
            CHECK(f.last_wnd_raw == kRaw + 3);  // the window is taken from them too
            CHECK(f.wnd == static_cast<uint32_t>(kRaw + 3) << f.snd_wscale);
            CHECK(ack_delta(ack_counters(b), before).dup_acks == 3);

            // No SACK: an ACK with another window is a window update, not a duplicate.
            put_flow(b, 0, outstanding_flow(v6, true, 4000, 20000));
            for (uint16_t i = 0; i < 3; i++)
                CHECK(ack(b, v6, 4000, static_cast<uint16_t>(kRaw + 1 + i)) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.rexmit_gen == 0);
            CHECK(f.dupacks == 0);
            CHECK(f.last_wnd_raw == kRaw + 3);
        }
    }
}

TEST_CASE("tcp_ack: a wrong checksum goes to the engine unread; an offloaded one as --rx-csum says", "[tcp_blast]")
{
    for (bool v6 : {false, true}) {
        for (uint8_t mode : {uint8_t{0}, uint8_t{1}, uint8_t{2}}) {  // auto, on, off
            DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4") << ", rx_csum " << int(mode))
            {
                CpuPin pin(highest_allowed_cpu());
                auto b = load_tcp_blast(pin.cpu(), mode);
                put_flow(b, 0, outstanding_flow(v6, true, 0, 20000));
                Bytes bad = ack_frame(v6, 1000, kRaw);
                bad[bad.size() - 1] ^= 0x40;  // in the timestamp option, checksum as it was
                const auto before = ack_counters(b);
                CHECK(run_prog(b.ack_fd, bad).retval == (mode == 2 ? XDP_DROP : XDP_PASS));
                CHECK(get_flow(b, 0).una_off == (mode == 2 ? 1000u : 0u));

                // The pseudo header's sum alone, as a local kernel leaves it for an offload.
                Bytes offl = ack_frame(v6, 2000, kRaw);
                const size_t l4 = kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr), len = offl.size() - l4;
                const uint16_t partial = csum_fold(tcp::tcp_pseudo_sum(peer_addr(v6), local_addr(v6),
                                                                       static_cast<uint32_t>(len)));
                std::memcpy(&offl[l4 + 16], &partial, 2);
                CHECK(run_prog(b.ack_fd, offl).retval == (mode == 1 ? XDP_PASS : XDP_DROP));
                CHECK(get_flow(b, 0).una_off == (mode == 1 ? 0u : 2000u));
                CHECK(ack_delta(ack_counters(b), before).passed == (mode == 0 ? 1u : mode == 1 ? 2u : 0u));
            }
        }
    }
}

TEST_CASE("tcp_ack: a malformed SACK option is not used (one segment is resent) and breaks nothing", "[tcp_blast]")
{
    // The base ACK: TS, then SACK with blocks [7000, 9000) and [10000, 11000):
    // hole [4000, 7000) when it is read.
    const std::vector<Blk> blocks = {{7000, 9000}, {10000, 11000}};
    struct Case {
        const char* name;
        std::function<void(Bytes&, size_t at)> mutate;  // at: the NOP NOP SACK word
        bool sack_used = false;
    };
    const std::vector<Case> cases = {
        {"the valid option (control)", [](Bytes&, size_t) {}, true},
        {"length 12: not 2 + 8n", [](Bytes& f, size_t at) { f[at + 3] = 12; }},
        {"length 2: no block", [](Bytes& f, size_t at) { f[at + 3] = 2; }},
        {"length 26: a third block past the data offset", [](Bytes& f, size_t at) { f[at + 3] = 26; }},
        {"length 26, and a block's worth of trailer past the datagram",
         [](Bytes& f, size_t at) {
             f[at + 3] = 26;
             // Ethernet trailer bytes the IP length excludes; read as a block
             // they would make the hole [4000, 4500).
             const uint32_t l = htonl(kSeq0 + 4500), r = htonl(kSeq0 + 5000);
             f.resize(f.size() + 8);
             std::memcpy(&f[at + 4 + 16], &l, 4);
             std::memcpy(&f[at + 4 + 20], &r, 4);
         }},
        {"frame cut inside the first block", [](Bytes& f, size_t at) { f.resize(at + 4 + 4); }},
        {"frame cut inside the second block", [](Bytes& f, size_t at) { f.resize(at + 4 + 8 + 4); }},
        {"frame cut inside the option word", [](Bytes& f, size_t at) { f.resize(at + 2); }},
        {"unaligned: NOP SACK ... EOL",
         [](Bytes& f, size_t at) {
             f.erase(f.begin() + static_cast<long>(at));  // drop one NOP: the option starts at byte 1 of the word
             f.insert(f.begin() + static_cast<long>(at + 4 + 16 - 1), 0);  // EOL keeps the length
         }},
        {"another kind than 5", [](Bytes& f, size_t at) { f[at + 2] = 254; }},
    };

    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    for (bool v6 : {false, true}) {
        for (const Case& c : cases) {
            DYNAMIC_SECTION((v6 ? "IPv6: " : "IPv4: ") << c.name)
            {
                put_flow(b, 0, outstanding_flow(v6, true, 4000, 20000));
                Bytes frame = sack_frame(v6, 4000, kRaw, blocks);
                const size_t at = sack_word_at(v6);
                REQUIRE(frame.size() == at + 4 + 16);
                REQUIRE(frame[at + 2] == 5);
                c.mutate(frame, at);
                const auto before = ack_counters(b);
                if (!refresh_tcp_csum(frame, v6)) {
                    // Cut short of its IP length: no checksum to check, so the engine's.
                    CHECK(run_prog(b.ack_fd, frame).retval == XDP_PASS);
                    CHECK(ack_delta(ack_counters(b), before).passed == 1);
                    CHECK(get_flow(b, 0).rexmit_gen == 0);
                    return;
                }
                for (int i = 0; i < 3; i++)
                    CHECK(run_prog(b.ack_fd, frame).retval == XDP_DROP);
                const auto f = get_flow(b, 0);
                CHECK(f.rexmit_gen == 1);
                CHECK(f.rexmit_from == 4000);
                CHECK(f.rexmit_to == (c.sack_used ? 7000u : 5000u));
                CHECK(f.ts_recent == kPeerTsval);  // the TS option before it is still read
                const auto d = ack_delta(ack_counters(b), before);
                CHECK(d.dup_acks == 3);
                CHECK(d.fast_rexmits == 1);
                CHECK(d.sack_acks == (c.sack_used ? 3u : 0u));
                CHECK(d.sack_resend_bytes == (c.sack_used ? 2000u : 0u));
                CHECK(d.passed == 0);
            }
        }
    }
}

TEST_CASE("tcp_ack: a partial ACK with SACK requests the next hole, minus what the TX already resent",
          "[tcp_blast]")
{
    // In recovery (recover 20000) since a request for [4000, 9000); the TX
    // took it (rexmit_seen) and got as far as rexmit_next, or not yet.
    struct Case {
        const char* name;
        uint32_t seen;
        uint64_t tx_next;
        uint64_t ack_off;
        std::vector<Blk> blocks;
        bool posted;
        uint64_t from = 0, to = 0;
        bool sack_used = true;
    };
    const std::vector<Case> cases = {
        {"inside the hole, resent in full: nothing", 1, 9000, 5000, {{9000, 20000}}, false},
        {"inside the hole, the TX still at it: from its progress", 1, 6000, 5000, {{9000, 20000}}, true, 6000, 9000},
        {"inside the hole, request not taken yet: from the new una", 0, 0, 5000, {{9000, 20000}}, true, 5000, 9000},
        {"request not taken yet, rexmit_next of an older range: from the new una", 0, 7000, 5000, {{9000, 20000}},
         true, 5000, 9000},
        {"past the hole: the next hole", 1, 9000, 9000, {{12000, 20000}}, true, 9000, 12000},
        {"past the hole, D-SACK first: the next hole", 1, 9000, 9000, {{4000, 5000}, {10500, 20000}}, true, 9000,
         10500},
        {"past the hole, no SACK: one segment, as before", 1, 9000, 9000, {}, true, 9000, 10000, false},
    };

    CpuPin pin(highest_allowed_cpu());
    auto b = load_tcp_blast(pin.cpu());
    for (bool v6 : {false, true}) {
        for (const Case& c : cases) {
            DYNAMIC_SECTION((v6 ? "IPv6: " : "IPv4: ") << c.name)
            {
                auto fl = outstanding_flow(v6, true, 4000, 20000);
                fl.in_recovery = 1;
                fl.recover = 20000;
                fl.rexmit_gen = 1;
                fl.rexmit_from = 4000;
                fl.rexmit_to = 9000;
                fl.rexmit_seen = c.seen;
                fl.rexmit_next = c.tx_next;
                fl.rexmit_end = c.seen ? 9000 : 0;
                put_flow(b, 0, fl);
                const auto before = ack_counters(b);
                CHECK(sack(b, v6, c.ack_off, kRaw, c.blocks) == XDP_DROP);
                const auto f = get_flow(b, 0);
                CHECK(f.una_off == c.ack_off);
                CHECK(f.in_recovery == 1);
                CHECK(f.rexmit_gen == (c.posted ? 2u : 1u));
                CHECK(f.rexmit_from == (c.posted ? c.from : 4000u));
                CHECK(f.rexmit_to == (c.posted ? c.to : 9000u));
                const auto d = ack_delta(ack_counters(b), before);
                CHECK(d.new_acks == 1);
                CHECK(d.partial_acks == (c.posted ? 1u : 0u));
                CHECK(d.sack_acks == (c.sack_used ? 1u : 0u));
                const uint64_t len = c.posted ? c.to - c.from : 0;
                CHECK(d.sack_resend_bytes == (c.sack_used && len > 1000 ? len - 1000 : 0));
            }
        }
    }
}

TEST_CASE("tcp_tx after SACK: exactly the holes' segments are resent, once each, then new data", "[tcp_blast]")
{
    CpuPin pin(highest_allowed_cpu());
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4"))
        {
            auto b = load_tcp_blast(pin.cpu());
            set_slice(b, 0, 1);
            FlowOpts o;
            o.v6 = v6;
            o.mss = 1000;
            o.wnd = 160u << 7;  // 20480: twenty segments
            o.end = 100000;
            put_flow(b, 0, make_flow(o));
            const uint16_t raw = 160;

            // Sends [offs...) in this order, each one segment of 1000, then nothing.
            auto expect_tx = [&](const std::vector<uint64_t>& offs) {
                for (uint64_t off : offs) {
                    INFO("segment at " << off);
                    Sent s = tx(b);
                    check_segment(s, v6, true);
                    CHECK(s.off == off);
                    CHECK(s.tcp.seg.seq.raw() == kSeq0 + static_cast<uint32_t>(off));
                    CHECK(s.tcp.seg.payload_len == 1000);
                }
                CHECK(tx(b).retval == XDP_DROP);
            };
            std::vector<uint64_t> first;
            for (uint64_t off = 0; off < 20000; off += 1000)
                first.push_back(off);
            expect_tx(first);

            // The peer got [0, 4000), lost [4000, 7000), got [7000, 12000), lost
            // [12000, 14000), got [14000, 20000); it ACKs and SACKs as Linux does.
            CHECK(ack(b, v6, 4000, raw) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{7000, 8000}}) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{7000, 9000}}) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{7000, 10000}}) == XDP_DROP);
            auto f = get_flow(b, 0);
            CHECK(f.rexmit_gen == 1);
            CHECK(f.rexmit_from == 4000);
            CHECK(f.rexmit_to == 7000);

            // The first hole, then new data up to una + window = 24480.
            expect_tx({4000, 5000, 6000, 20000, 21000, 22000, 23000});
            auto t = tx_counters(b);
            CHECK(t.resent == 3);
            CHECK(t.resent_bytes == 3000);

            // More duplicates, SACKing further and the second hole's far side:
            // nothing is requested again, nothing resent.
            CHECK(sack(b, v6, 4000, raw, {{7000, 11000}}) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{7000, 12000}}) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{14000, 15000}, {7000, 12000}}) == XDP_DROP);
            CHECK(sack(b, v6, 4000, raw, {{14000, 24000}, {7000, 12000}}) == XDP_DROP);
            CHECK(get_flow(b, 0).rexmit_gen == 1);
            CHECK(tx(b).retval == XDP_DROP);

            // The resends arrive: a partial ACK up to the second hole, which it SACKs around.
            CHECK(sack(b, v6, 12000, raw, {{14000, 24000}}) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.una_off == 12000);
            CHECK(f.in_recovery == 1);
            CHECK(f.rexmit_gen == 2);
            CHECK(f.rexmit_from == 12000);
            CHECK(f.rexmit_to == 14000);
            // The second hole, then new data up to 12000 + 20480.
            expect_tx({12000, 13000, 24000, 25000, 26000, 27000, 28000, 29000, 30000, 31000});
            t = tx_counters(b);
            CHECK(t.resent == 5);
            CHECK(t.resent_bytes == 5000);
            CHECK(t.errors == 0);

            // Everything arrives: the full ACK ends recovery.
            CHECK(ack(b, v6, 32000, raw) == XDP_DROP);
            f = get_flow(b, 0);
            CHECK(f.in_recovery == 0);
            CHECK(f.una_off == 32000);
            CHECK(f.rexmit_gen == 2);

            const auto a = ack_counters(b);
            CHECK(a.fast_rexmits == 1);
            CHECK(a.partial_acks == 1);
            CHECK(a.dup_acks == 7);
            CHECK(a.sack_acks == 8);
            CHECK(a.sack_resend_bytes == 2000 + 1000);
            CHECK(a.new_acks == 3);
        }
    }
}
