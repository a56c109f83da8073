// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_udp_sink (bpf/udp_sink.bpf.c): which frames it takes (verdict and
// counters per filter), how it follows the blaster's stamps (loss, reordering,
// 32-bit wrap, runs), the latency histogram and the per-port counts.

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <numeric>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "prog_run.hpp"
#include "programs.hpp"

using namespace xdpgen;
using namespace xdpgen::test;

namespace {

constexpr uint16_t kSrcPort = 4321;

Bytes udp4(const char* dst, uint16_t port, std::span<const uint8_t> payload, uint16_t frag_off = 0)
{
    return ipv4_frame({.src = ip("10.0.0.1"), .dst = ip(dst), .frag_off = frag_off},
                      udp_segment(kSrcPort, port, payload));
}

Bytes udp6(const char* dst, uint16_t port, std::span<const uint8_t> payload)
{
    return ipv6_frame({.src = ip("fd00::1"), .dst = ip(dst)}, udp_segment(kSrcPort, port, payload));
}

const Ipv6Ext kDst{IPPROTO_DSTOPTS, 16}, kRt{IPPROTO_ROUTING, 24};

Bytes udp6x(const char* dst, uint16_t port, std::span<const uint8_t> payload, std::vector<Ipv6Ext> ext)
{
    return ipv6_frame({.src = ip("fd00::1"), .dst = ip(dst), .ext = std::move(ext)},
                      udp_segment(kSrcPort, port, payload));
}

// A stamp dated now: the latency sample lands in the histogram.
Bytes stamped()
{
    return stamp_payload(make_stamp(1, 7, 0, monotonic_ns()), 10);
}

UdpSinkConfig filter(int family, std::optional<IpAddr> dst, uint16_t lo, uint16_t hi, bool pass = false)
{
    UdpSinkConfig c;
    c.family = family;
    c.dst = dst;
    c.port_lo = lo;
    c.port_hi = hi;
    c.pass = pass;
    return c;
}

struct FilterCase {
    std::string name;
    UdpSinkConfig filter;
    Bytes frame;
    uint32_t verdict;
    bool matched;      // counted as the sink's packet
    bool has_stamp;    // ... and its stamp read
    uint16_t dst_port; // where sink_dst_ports counts it
};

std::vector<FilterCase> filter_cases()
{
    const auto v4 = filter(4, ip("10.0.0.2"), 9000, 9009);
    const auto v6 = filter(6, ip("fd00::2"), 9000, 9009);
    const auto any = filter(0, std::nullopt, 0, 0);
    const auto ports_only = filter(0, std::nullopt, 9000, 9009);
    const Bytes st = stamped();
    const Bytes plain(20, 0x11);  // no stamp magic
    const Bytes v4_ok = udp4("10.0.0.2", 9000, st);
    const Bytes v6_ok = udp6("fd00::2", 9000, st);
    const Bytes v6_ext = udp6x("fd00::2", 9001, st, {kDst, kRt});

    return {
        // Matched: dropped, or passed on with pass_matched.
        {"IPv4 UDP to the address and port", v4, v4_ok, XDP_DROP, true, true, 9000},
        {"IPv4 UDP, pass_matched", filter(4, ip("10.0.0.2"), 9000, 9009, true), v4_ok, XDP_PASS, true, true, 9000},
        {"IPv6 UDP to the address and port", v6, v6_ok, XDP_DROP, true, true, 9000},
        {"IPv6 UDP, pass_matched", filter(6, ip("fd00::2"), 9000, 9009, true), v6_ok, XDP_PASS, true, true, 9000},
        {"lowest port of the range", v4, udp4("10.0.0.2", 9000, st), XDP_DROP, true, true, 9000},
        {"highest port of the range", v4, udp4("10.0.0.2", 9009, st), XDP_DROP, true, true, 9009},
        {"single-port range", filter(6, ip("fd00::2"), 53, 53), udp6("fd00::2", 53, st), XDP_DROP, true, true, 53},
        {"no filter, IPv4 port 0", any, udp4("192.0.2.9", 0, st), XDP_DROP, true, true, 0},
        {"no filter, IPv6 port 65535", any, udp6("2001:db8::9", 65535, st), XDP_DROP, true, true, 65535},
        {"port filter only, IPv4", ports_only, udp4("192.0.2.9", 9005, st), XDP_DROP, true, true, 9005},
        {"port filter only, IPv6", ports_only, udp6("2001:db8::9", 9005, st), XDP_DROP, true, true, 9005},
        {"IPv4 with DF is no fragment", v4, udp4("10.0.0.2", 9000, st, 0x4000), XDP_DROP, true, true, 9000},
        {"no stamp: counted, not stamped", v4, udp4("10.0.0.2", 9001, plain), XDP_DROP, true, false, 9001},
        {"empty UDP payload", v6, udp6("fd00::2", 9001, {}), XDP_DROP, true, false, 9001},
        {"IPv4 stamp cut short", v4, truncated(v4_ok, kEthHdr + kIpv4Hdr + kUdpHdr + sizeof(xg_stamp) - 1), XDP_DROP, true,
         false, 9000},
        {"IPv6 stamp cut short", v6, truncated(v6_ok, kEthHdr + kIpv6Hdr + kUdpHdr + sizeof(xg_stamp) - 1), XDP_DROP, true,
         false, 9000},

        // Not matched: to the kernel untouched.
        {"port below the range", v4, udp4("10.0.0.2", 8999, st), XDP_PASS, false, false, 0},
        {"port above the range", v4, udp4("10.0.0.2", 9010, st), XDP_PASS, false, false, 0},
        {"IPv6 port above the range", v6, udp6("fd00::2", 9010, st), XDP_PASS, false, false, 0},
        {"IPv4 other address", v4, udp4("10.0.0.3", 9000, st), XDP_PASS, false, false, 0},
        // The address is compared as four 32-bit words: a difference in each.
        {"IPv6 other address, first word", v6, udp6("fd01::2", 9000, st), XDP_PASS, false, false, 0},
        {"IPv6 other address, second word", v6, udp6("fd00:0:0:1::2", 9000, st), XDP_PASS, false, false, 0},
        {"IPv6 other address, third word", v6, udp6("fd00::1:0:0:2", 9000, st), XDP_PASS, false, false, 0},
        {"IPv6 other address, last byte", v6, udp6("fd00::3", 9000, st), XDP_PASS, false, false, 0},
        {"IPv6 frame, IPv4 filter", filter(4, std::nullopt, 0, 0), v6_ok, XDP_PASS, false, false, 0},
        {"IPv4 frame, IPv6 filter", filter(6, std::nullopt, 0, 0), v4_ok, XDP_PASS, false, false, 0},
        {"IPv4 TCP", v4, ipv4_frame({.src = ip("10.0.0.1"), .dst = ip("10.0.0.2"), .proto = IPPROTO_TCP},
                                    tcp_segment(kSrcPort, 9000)), XDP_PASS, false, false, 0},
        {"IPv6 TCP", v6, ipv6_frame({.src = ip("fd00::1"), .dst = ip("fd00::2"), .next_header = IPPROTO_TCP},
                                    tcp_segment(kSrcPort, 9000)), XDP_PASS, false, false, 0},
        {"ARP", any, arp_request(ip("10.0.0.1"), ip("10.0.0.2")), XDP_PASS, false, false, 0},
        {"IPv4 first fragment (MF)", v4, udp4("10.0.0.2", 9000, st, 0x2000), XDP_PASS, false, false, 0},
        {"IPv4 middle fragment (MF + offset)", any, udp4("10.0.0.2", 9000, st, 0x2000 | 185), XDP_PASS, false, false, 0},
        {"IPv4 last fragment (offset)", any, udp4("10.0.0.2", 9000, st, 185), XDP_PASS, false, false, 0},
        // Shapes the blaster never sends, read by the shared parser: counted
        // like any other; fragments stay the kernel's.
        {"IPv4 with options", any, ipv4_frame({.src = ip("10.0.0.1"), .dst = ip("10.0.0.2"), .option_words = 1},
                                              udp_segment(kSrcPort, 9000, st)), XDP_DROP, true, true, 9000},
        {"IPv6 with a hop-by-hop header", any, udp6x("fd00::2", 9000, st, {{IPPROTO_HOPOPTS, 8}}), XDP_DROP, true, true,
         9000},
        {"802.1Q tagged IPv4 UDP", any, vlan_tagged(v4_ok, 10), XDP_DROP, true, true, 9000},
        {"two tags, IPv6 dest-opts + routing, to the address", v6,
         vlan_tagged(vlan_tagged(v6_ext, 10), 20, 0x88a8), XDP_DROP, true, true, 9001},
        {"IPv6 extension headers, other address", v6, udp6x("fd00::3", 9001, st, {kDst, kRt}), XDP_PASS, false, false,
         0},
        {"IPv6 extension headers, port above the range", v6, udp6x("fd00::2", 9010, st, {kDst, kRt}), XDP_PASS, false,
         false, 0},
        {"IPv6 first fragment", any, udp6x("fd00::2", 9000, st, {{IPPROTO_FRAGMENT, 8, 1}}), XDP_PASS, false, false, 0},
        {"IPv6 later fragment", any, udp6x("fd00::2", 9000, st, {{IPPROTO_FRAGMENT, 8, 185 << 3}}), XDP_PASS, false,
         false, 0},
        {"IPv6 extension header cut", any, cut_consistent(v6_ext, kEthHdr + kIpv6Hdr + 16 + 4), XDP_PASS, false, false,
         0},

        // Truncated before the UDP header ends: never read past data_end.
        {"Ethernet header only", any, truncated(v4_ok, kEthHdr), XDP_PASS, false, false, 0},
        {"IPv4 header cut", any, truncated(v4_ok, kEthHdr + kIpv4Hdr - 1), XDP_PASS, false, false, 0},
        {"IPv4 UDP header cut", any, truncated(v4_ok, kEthHdr + kIpv4Hdr + kUdpHdr - 1), XDP_PASS, false, false, 0},
        {"IPv6 header cut", any, truncated(v6_ok, kEthHdr + kIpv6Hdr - 1), XDP_PASS, false, false, 0},
        {"IPv6 UDP header cut", any, truncated(v6_ok, kEthHdr + kIpv6Hdr + kUdpHdr - 1), XDP_PASS, false, false, 0},
    };
}

// Over a vector or a .bss array (whose __u64 is another type than uint64_t).
template <typename Range>
uint64_t sum(const Range& r)
{
    return std::accumulate(std::begin(r), std::end(r), uint64_t{0});
}

// A sink with no filter, for the stamp tests.
SkelPtr<xg_udp_sink> open_sink() { return load_sink(filter(0, std::nullopt, 0, 0)); }

// One stamped frame through the sink, which must take it.
void feed(const xg_udp_sink& s, uint8_t stream, uint16_t run, uint32_t seq, uint64_t tx_ns = 0)
{
    INFO("stream " << int{stream} << " run " << run << " seq " << seq);
    const Bytes f = udp4("10.0.0.2", 9000, stamp_payload(make_stamp(stream, run, seq, tx_ns ? tx_ns : monotonic_ns()), 6));
    REQUIRE(run_prog(bpf_program__fd(s.progs.xg_udp_sink), f).retval == XDP_DROP);
}

}  // namespace

TEST_CASE("udp_sink verdicts and counters per filter", "[sink]")
{
    for (const auto& c : filter_cases()) {
        DYNAMIC_SECTION(c.name)
        {
            auto s = load_sink(c.filter);
            const ProgRun r = run_prog(bpf_program__fd(s->progs.xg_udp_sink), c.frame);
            CHECK(r.retval == c.verdict);
            CHECK(r.out == c.frame);  // the sink only reads

            const xg_sink_counters n = sink_counters(*s);
            CHECK(n.packets == (c.matched ? 1u : 0u));
            CHECK(n.bytes == (c.matched ? c.frame.size() : 0u));
            CHECK(n.stamped == (c.has_stamp ? 1u : 0u));
            CHECK(n.reordered == 0);
            CHECK((n.first_ns != 0) == c.has_stamp);  // only stamped frames mark arrival times
            CHECK(n.last_ns == n.first_ns);
            CHECK(sum(sink_latency(*s)) == (c.has_stamp ? 1u : 0u));
            CHECK(sum(s->bss->sink_dst_ports) == (c.matched ? 1u : 0u));
            if (c.matched)
                CHECK(s->bss->sink_dst_ports[c.dst_port] == 1);
        }
    }
}

// With only --dst-addr given (family 0), a sink told to take UDP to 10.0.0.2
// must not take (and by default drop) IPv6 UDP to every address, nor the
// reverse for an IPv6 address.
TEST_CASE("udp_sink with an address of one family ignores the other family", "[sink]")
{
    const struct {
        const char* name;
        UdpSinkConfig filter;
        Bytes frame;
    } cases[] = {
        {"IPv4 address, IPv6 frame", filter(0, ip("10.0.0.2"), 0, 0), udp6("2001:db8::9", 9000, stamped())},
        {"IPv6 address, IPv4 frame", filter(0, ip("fd00::2"), 0, 0), udp4("192.0.2.9", 9000, stamped())},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            auto s = load_sink(c.filter);
            CHECK(run_prog(bpf_program__fd(s->progs.xg_udp_sink), c.frame).retval == XDP_PASS);
            CHECK(sink_counters(*s).packets == 0);
        }
    }
}

TEST_CASE("udp_sink follows one stream's sequence", "[sink][stamp]")
{
    constexpr uint8_t kStream = 3;
    constexpr uint16_t kRun = 0x1234;
    struct StampCase {
        const char* name;
        std::vector<uint32_t> seqs;
        uint64_t first, next, received, reordered, lost;
    };
    const StampCase cases[] = {
        {"in order", {0, 1, 2, 3}, 0, 4, 4, 0, 0},
        {"one late frame", {0, 1, 2, 4, 3}, 0, 5, 5, 1, 0},
        {"a gap never filled", {0, 1, 5}, 0, 6, 3, 0, 3},
        {"starting mid-run", {100, 101, 103}, 100, 104, 3, 0, 1},
        {"32-bit wrap", {0xfffffffe, 0xffffffff, 0, 1}, 0xfffffffe, 0x100000002, 4, 0, 0},
        {"a gap across the wrap", {0xfffffffe, 0, 1}, 0xfffffffe, 0x100000002, 3, 0, 1},
        {"late frame from before the wrap", {0xfffffffe, 0, 0xffffffff, 1}, 0xfffffffe, 0x100000002, 4, 1, 0},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            auto s = open_sink();
            for (uint32_t seq : c.seqs)
                feed(*s, kStream, kRun, seq);

            const xg_sink_counters n = sink_counters(*s);
            CHECK(n.packets == c.seqs.size());
            CHECK(n.stamped == c.seqs.size());
            CHECK(n.reordered == c.reordered);

            const xg_sink_stream& st = s->bss->sink_streams[kStream];
            CHECK(st.run == (0x10000u | kRun));  // abi.h: non-zero marks the slot in use
            CHECK(st.first == c.first);
            CHECK(st.next == c.next);
            CHECK(st.received == c.received);
            CHECK(stream_lost(st) == c.lost);
        }
    }
}

TEST_CASE("udp_sink restarts a stream on a new run id", "[sink][stamp]")
{
    auto s = open_sink();
    for (uint32_t seq : {0u, 1u, 2u, 7u})  // run 1 leaves a gap behind
        feed(*s, 0, 1, seq);
    for (uint32_t seq : {40u, 41u, 42u})  // a sender restarted: its new run starts anywhere
        feed(*s, 0, 2, seq);

    const xg_sink_stream& st = s->bss->sink_streams[0];
    CHECK(st.run == (0x10000u | 2));
    CHECK(st.first == 40);
    CHECK(st.next == 43);
    CHECK(st.received == 3);
    CHECK(stream_lost(st) == 0);
    CHECK(sink_counters(*s).reordered == 0);  // 40 < 42 of the old run is no reordering
}

TEST_CASE("udp_sink keeps streams apart", "[sink][stamp]")
{
    auto s = open_sink();
    // Two sending CPUs interleaved, one with a gap.
    feed(*s, 0, 9, 0);
    feed(*s, 200, 9, 10);
    feed(*s, 0, 9, 1);
    feed(*s, 200, 9, 12);
    feed(*s, 0, 9, 2);

    const auto& streams = s->bss->sink_streams;
    CHECK(streams[0].first == 0);
    CHECK(streams[0].next == 3);
    CHECK(streams[0].received == 3);
    CHECK(stream_lost(streams[0]) == 0);
    CHECK(streams[200].first == 10);
    CHECK(streams[200].next == 13);
    CHECK(streams[200].received == 2);
    CHECK(stream_lost(streams[200]) == 1);
    unsigned used = 0;
    for (const auto& st : streams)
        used += st.run != 0;
    CHECK(used == 2);
    CHECK(sink_counters(*s).reordered == 0);
}

TEST_CASE("udp_sink records one latency sample per stamped frame", "[sink][latency]")
{
    auto s = open_sink();
    constexpr uint64_t kAgeNs = 950'000'000;  // about a second: far from the linear buckets
    const uint64_t tx = monotonic_ns() - kAgeNs;
    for (uint32_t seq = 0; seq < 5; seq++)
        feed(*s, 0, 1, seq, tx);
    const uint64_t t1 = monotonic_ns();
    // Dated in the future (clocks of different hosts): stamped, no sample.
    feed(*s, 0, 1, 5, t1 + 60'000'000'000ull);
    // Not stamped: no sample.
    REQUIRE(run_prog(bpf_program__fd(s->progs.xg_udp_sink), udp4("10.0.0.2", 9000, Bytes(20, 0))).retval == XDP_DROP);

    const xg_sink_counters n = sink_counters(*s);
    CHECK(n.packets == 7);
    CHECK(n.stamped == 6);

    const auto lat = sink_latency(*s);
    CHECK(sum(lat) == 5);
    // Every sample was at least kAgeNs and at most t1 - tx old, give or take
    // the two clocks' disagreement.
    const uint32_t lo = xg_lat_bucket(kAgeNs - kClockSlackNs), hi = xg_lat_bucket(t1 - tx + kClockSlackNs);
    uint64_t in_range = 0;
    for (uint32_t b = lo; b <= hi; b++)
        in_range += lat[b];
    CHECK(in_range == 5);
}

TEST_CASE("udp_sink notes the arrival of the first and the last stamped frame", "[sink][latency]")
{
    auto s = open_sink();
    const int fd = bpf_program__fd(s->progs.xg_udp_sink);
    REQUIRE(sink_counters(*s).first_ns == 0);

    const uint64_t a0 = monotonic_ns();
    feed(*s, 0, 1, 0);
    const uint64_t a1 = monotonic_ns();
    const uint64_t first = sink_counters(*s).first_ns;
    CHECK(first + kClockSlackNs >= a0);
    CHECK(first <= a1 + kClockSlackNs);

    const uint64_t b0 = monotonic_ns();
    feed(*s, 0, 1, 1);
    const uint64_t b1 = monotonic_ns();
    xg_sink_counters n = sink_counters(*s);
    CHECK(n.first_ns == first);  // set once
    CHECK(n.last_ns >= first);
    CHECK(n.last_ns + kClockSlackNs >= b0);
    CHECK(n.last_ns <= b1 + kClockSlackNs);

    // Matched but unstamped: the active span is the stamped traffic's.
    const uint64_t last = n.last_ns;
    REQUIRE(run_prog(fd, udp4("10.0.0.2", 9000, Bytes(20, 0))).retval == XDP_DROP);
    n = sink_counters(*s);
    CHECK(n.first_ns == first);
    CHECK(n.last_ns == last);
}

TEST_CASE("udp_sink counts per destination port", "[sink][ports]")
{
    auto s = load_sink(filter(4, ip("10.0.0.2"), 9000, 9009));
    const int fd = bpf_program__fd(s->progs.xg_udp_sink);
    const std::pair<uint16_t, uint32_t> sends[] = {{9000, 3}, {9001, 1}, {9009, 2}, {9010, 4}, {8999, 1}};
    for (auto [port, times] : sends)
        for (uint32_t i = 0; i < times; i++)
            run_prog(fd, udp4("10.0.0.2", port, stamped()));

    const auto& ports = s->bss->sink_dst_ports;
    CHECK(ports[9000] == 3);
    CHECK(ports[9001] == 1);
    CHECK(ports[9009] == 2);
    CHECK(ports[9010] == 0);  // outside the filter: not the sink's
    CHECK(ports[8999] == 0);
    CHECK(sum(ports) == 6);
    CHECK(sink_counters(*s).packets == 6);
}

TEST_CASE("udp_sink counts the blaster's output with nothing lost", "[sink][blast]")
{
    CpuPin pin(highest_allowed_cpu());
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4"))
        {
            UdpFrameSpec spec;
            spec.src = ip(v6 ? "fd00::1" : "10.0.0.1");
            spec.dst = ip(v6 ? "fd00::2" : "10.0.0.2");
            spec.src_port = kSrcPort;
            spec.dst_port = 9000;
            spec.frame_size = 128;
            constexpr uint16_t kPorts = 4, kRun = 0x4242;
            constexpr unsigned kFrames = 40;
            auto b = load_blast(spec, kPorts, kRun, loopback_ifindex(), 8);  // the default --ts-every
            auto s = load_sink(filter(v6 ? 6 : 4, spec.dst, 9000, 9000 + kPorts - 1));

            for (unsigned i = 0; i < kFrames; i++) {
                const ProgRun out = run_prog(bpf_program__fd(b.skel->progs.xg_udp_blast), b.tmpl.frame);
                REQUIRE(out.retval == XDP_REDIRECT);
                REQUIRE(run_prog(bpf_program__fd(s->progs.xg_udp_sink), out.out).retval == XDP_DROP);
            }

            const xg_sink_counters n = sink_counters(*s);
            CHECK(n.packets == kFrames);
            CHECK(n.bytes == kFrames * spec.frame_size);
            CHECK(n.stamped == kFrames);
            CHECK(n.reordered == 0);
            CHECK(sum(sink_latency(*s)) == kFrames);
            for (uint16_t p = 0; p < kPorts; p++)
                CHECK(s->bss->sink_dst_ports[9000 + p] == kFrames / kPorts);

            const xg_sink_stream& st = s->bss->sink_streams[static_cast<uint8_t>(pin.cpu())];
            CHECK(st.run == (0x10000u | kRun));
            CHECK(st.first == 0);
            CHECK(st.next == kFrames);
            CHECK(st.received == kFrames);
            CHECK(stream_lost(st) == 0);
        }
    }
}
