// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_loss_in (XDP) and xg_loss_out (tc) of bpf/loss.bpf.c: the drop rate
// follows permille, the filters keep what they exclude untouched and
// uncounted, and the counters agree with the verdicts.

#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <string>

#include <catch2/catch.hpp>

#include "bpf/skel.hpp"
#include "frame_builder.hpp"
#include "loss.skel.h"
#include "prog_run.hpp"

using namespace xdpgen;
using namespace xdpgen::test;

namespace {

struct LossConfig {
    uint32_t permille = 0;
    bool tcp_only = false;
    uint16_t port = 0;
};

SkelPtr<xg_loss> load_loss(const LossConfig& cfg)
{
    auto s = skel_open<xg_loss>("cannot open the loss programs");
    if (!s)
        FAIL(s.error().message() + "; " + s.error().hint);
    auto& r = *s.value()->rodata;
    r.permille = cfg.permille;
    r.tcp_only = cfg.tcp_only;
    r.port = cfg.port;
    if (auto st = skel_load(s.value(), "cannot load the loss programs"); !st)
        FAIL(st.error().message() + "; " + st.error().hint);
    return std::move(s.value());
}

// One direction of the injector: its program, its verdicts and its counters.
struct Direction {
    const char* name;
    bpf_program* prog;
    uint32_t pass, drop;
    const __u64* seen;
    const __u64* dropped;
};

Direction ingress(xg_loss& s)
{
    return {"ingress (XDP)", s.progs.xg_loss_in, XDP_PASS, XDP_DROP, &s.bss->seen_in, &s.bss->dropped_in};
}

Direction egress(xg_loss& s)
{
    // STOLEN: the sender sees a loss on the wire, not a transmit error (bpf/loss.bpf.c).
    return {"egress (tc)", s.progs.xg_loss_out, TC_ACT_OK, TC_ACT_STOLEN, &s.bss->seen_out, &s.bss->dropped_out};
}

// Runs the frame `runs` times and returns how many were dropped; fails on a
// verdict that is neither pass nor drop, or a passed frame that was changed.
uint64_t count_drops(const Direction& d, const Bytes& frame, int runs)
{
    uint64_t drops = 0;
    for (int i = 0; i < runs; i++) {
        const ProgRun r = run_prog(bpf_program__fd(d.prog), frame);
        if (r.retval == d.drop) {
            drops++;
            continue;
        }
        REQUIRE(r.retval == d.pass);
        REQUIRE(r.out == frame);
    }
    return drops;
}

Bytes tcp_v4(uint16_t sport, uint16_t dport)
{
    return ipv4_frame({ip("198.18.0.1"), ip("198.18.0.2"), IPPROTO_TCP}, tcp_segment(sport, dport));
}

Bytes tcp_v6(uint16_t sport, uint16_t dport)
{
    return ipv6_frame({ip("fd00:18::1"), ip("fd00:18::2"), IPPROTO_TCP}, tcp_segment(sport, dport));
}

Bytes udp_v4(uint16_t sport, uint16_t dport)
{
    return ipv4_frame({ip("198.18.0.1"), ip("198.18.0.2"), IPPROTO_UDP}, udp_segment(sport, dport, Bytes(32, 7)));
}

Bytes udp_v6(uint16_t sport, uint16_t dport)
{
    return ipv6_frame({ip("fd00:18::1"), ip("fd00:18::2"), IPPROTO_UDP}, udp_segment(sport, dport, Bytes(32, 7)));
}

Bytes arp() { return arp_request(ip("198.18.0.1"), ip("198.18.0.2")); }

// An ICMPv6 neighbour solicitation's worth of bytes: only the next header matters here.
Bytes icmp_v6() { return ipv6_frame({ip("fd00:18::1"), ip("ff02::1:ff00:2"), IPPROTO_ICMPV6}, Bytes(32, 0)); }

}  // namespace

TEST_CASE("loss: permille 0 passes everything and 1000 drops everything", "[loss]")
{
    const std::vector<Bytes> frames = {tcp_v4(40000, 80), tcp_v6(40000, 80), udp_v4(1, 2), udp_v6(1, 2), arp(),
                                       icmp_v6()};
    const int runs = 50;
    for (uint32_t permille : {0u, 1000u}) {
        DYNAMIC_SECTION("permille " << permille)
        {
            auto s = load_loss({permille});
            for (const Direction& d : {ingress(*s), egress(*s)}) {
                INFO(d.name);
                for (const auto& f : frames)
                    CHECK(count_drops(d, f, runs) == (permille ? runs : 0u));
                // Without a filter every packet is subject to loss, so every one is seen.
                CHECK(*d.seen == frames.size() * runs);
                CHECK(*d.dropped == (permille ? frames.size() * runs : 0u));
            }
        }
    }
}

TEST_CASE("loss: permille 500 drops about half, independently per packet", "[loss]")
{
    auto s = load_loss({500});
    const int runs = 10'000;
    for (const Direction& d : {ingress(*s), egress(*s)}) {
        INFO(d.name);
        const uint64_t drops = count_drops(d, tcp_v4(40000, 80), runs);
        // Binomial(10000, 0.5) has a standard deviation of 50: 40-60% is 20 sigma.
        CHECK(drops >= 4000);
        CHECK(drops <= 6000);
        CHECK(*d.seen == static_cast<uint64_t>(runs));
        CHECK(*d.dropped == drops);
    }
}

TEST_CASE("loss: tcp-only leaves ARP, ND and UDP alone at permille 1000", "[loss]")
{
    auto s = load_loss({1000, true});
    const std::vector<Bytes> spared = {arp(), icmp_v6(), udp_v4(1, 2), udp_v6(53, 53),
                                       Bytes(14, 0)};  // an Ethernet header alone
    const std::vector<Bytes> hit = {
        tcp_v4(40000, 80), tcp_v6(40000, 80),
        // A non-first fragment of a TCP segment is still TCP.
        ipv4_frame({ip("198.18.0.1"), ip("198.18.0.2"), IPPROTO_TCP, 0x0010}, Bytes(40, 0)),
    };
    for (const Direction& d : {ingress(*s), egress(*s)}) {
        INFO(d.name);
        for (const auto& f : spared)
            CHECK(count_drops(d, f, 20) == 0);
        // An IP header cut short; the test run of a tc program refuses such a
        // frame (EINVAL), so only XDP can be shown it.
        if (d.drop == XDP_DROP)
            CHECK(count_drops(d, truncated(tcp_v4(1, 2), 30), 20) == 0);
        CHECK(*d.seen == 0);
        for (const auto& f : hit)
            CHECK(count_drops(d, f, 20) == 20);
        CHECK(*d.seen == hit.size() * 20);
        CHECK(*d.dropped == hit.size() * 20);
    }
}

TEST_CASE("loss: a port filter hits both directions of that port only", "[loss]")
{
    const uint16_t port = 8080;
    SECTION("TCP and UDP")
    {
        auto s = load_loss({1000, false, port});
        const std::vector<Bytes> hit = {tcp_v4(40000, port), tcp_v4(port, 40000), tcp_v6(40000, port),
                                        tcp_v6(port, 40000), udp_v4(5000, port), udp_v6(port, 5000)};
        const std::vector<Bytes> spared = {
            tcp_v4(40000, 80), tcp_v6(8081, 8079), udp_v4(5000, 53), arp(), icmp_v6(),
            // A non-first fragment has no ports: it cannot be matched.
            ipv4_frame({ip("198.18.0.1"), ip("198.18.0.2"), IPPROTO_TCP, 0x0010}, tcp_segment(port, port)),
            // The ports cut off.
            truncated(tcp_v4(40000, port), 14 + 20 + 3),
        };
        for (const Direction& d : {ingress(*s), egress(*s)}) {
            INFO(d.name);
            for (const auto& f : hit)
                CHECK(count_drops(d, f, 10) == 10);
            for (const auto& f : spared)
                CHECK(count_drops(d, f, 10) == 0);
            CHECK(*d.seen == hit.size() * 10);
            CHECK(*d.dropped == hit.size() * 10);
        }
    }
    SECTION("with tcp-only, UDP to the port is spared")
    {
        auto s = load_loss({1000, true, port});
        for (const Direction& d : {ingress(*s), egress(*s)}) {
            INFO(d.name);
            CHECK(count_drops(d, tcp_v4(40000, port), 10) == 10);
            CHECK(count_drops(d, udp_v4(40000, port), 10) == 0);
            CHECK(count_drops(d, tcp_v6(40000, 80), 10) == 0);
            CHECK(*d.seen == 10u);
        }
    }
}

TEST_CASE("loss: the filters see through VLAN tags and IPv6 extension headers", "[loss]")
{
    const uint16_t port = 8080;
    const std::vector<Ipv6Ext> chain = {{IPPROTO_HOPOPTS, 8}, {IPPROTO_DSTOPTS, 16}, {IPPROTO_ROUTING, 24}};
    const Bytes tcp6_ext = ipv6_frame({ip("fd00:18::1"), ip("fd00:18::2"), IPPROTO_TCP, chain}, tcp_segment(40000, port));
    const Bytes udp6_ext =
        ipv6_frame({ip("fd00:18::1"), ip("fd00:18::2"), IPPROTO_UDP, chain}, udp_segment(port, 5000, Bytes(32, 7)));
    // A later fragment: its first bytes look like the ports, but are data.
    const Bytes later6 = ipv6_frame({ip("fd00:18::1"), ip("fd00:18::2"), IPPROTO_TCP, {{IPPROTO_FRAGMENT, 8, 185 << 3}}},
                                    tcp_segment(port, port));
    SECTION("port filter")
    {
        auto s = load_loss({1000, false, port});
        const std::vector<Bytes> hit = {vlan_tagged(tcp_v4(40000, port), 10),
                                        vlan_tagged(vlan_tagged(tcp_v6(port, 40000), 10), 20, 0x88a8), tcp6_ext,
                                        udp6_ext};
        const std::vector<Bytes> spared = {vlan_tagged(tcp_v4(40000, 80), 10), later6};
        for (const Direction& d : {ingress(*s), egress(*s)}) {
            INFO(d.name);
            for (const auto& f : hit)
                CHECK(count_drops(d, f, 10) == 10);
            for (const auto& f : spared)
                CHECK(count_drops(d, f, 10) == 0);
            CHECK(*d.seen == hit.size() * 10);
        }
    }
    SECTION("tcp-only: the protocol after the extension headers")
    {
        auto s = load_loss({1000, true});
        for (const Direction& d : {ingress(*s), egress(*s)}) {
            INFO(d.name);
            CHECK(count_drops(d, tcp6_ext, 10) == 10);
            CHECK(count_drops(d, udp6_ext, 10) == 0);
            CHECK(count_drops(d, later6, 10) == 10);  // a later TCP fragment is still TCP
            CHECK(*d.seen == 20u);
        }
    }
}
