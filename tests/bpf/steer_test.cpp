// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_steer (bpf/steer.bpf.c): which frames are the generator's. Without a
// socket in the XSKMAP the redirect falls back to XDP_PASS, so the decision
// is read from the counters (no_socket = "ours", passed = "not ours"); one
// case puts a real AF_XDP socket (bound to lo, queue 0, copy mode) into the
// map and expects the XDP_REDIRECT verdict itself.

#include <linux/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <string>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "prog_run.hpp"
#include "xsk/steering.hpp"
#include "xsk/umem.hpp"
#include "xsk/xsk_socket.hpp"

using namespace xdpgen;
using namespace xdpgen::test;

namespace {

constexpr uint16_t kSrcPort = 4321;
constexpr uint16_t kLo = 40000, kHi = 40099;

SteeringConfig config(bool tcp, bool udp, uint32_t queues = 1)
{
    SteeringConfig c;
    c.ifname = "lo";
    c.ifindex = static_cast<int>(if_nametoindex("lo"));
    c.local_v4 = ip("198.18.0.1");
    c.local_v6 = ip("fd00:18::1");
    c.port_lo = kLo;
    c.port_hi = kHi;
    c.tcp = tcp;
    c.udp = udp;
    c.queues = queues;
    return c;
}

Steering load(const SteeringConfig& c)
{
    auto s = Steering::load(c);
    if (!s)
        FAIL(s.error().message() + "; " + s.error().hint);
    return std::move(s.value());
}

Bytes udp4(const char* dst, uint16_t port, uint16_t frag_off = 0, size_t option_words = 0)
{
    return ipv4_frame({.src = ip("198.18.0.2"), .dst = ip(dst), .frag_off = frag_off, .option_words = option_words},
                      udp_segment(kSrcPort, port, Bytes(16, 0x5a)));
}
Bytes tcp4(const char* dst, uint16_t port)
{
    return ipv4_frame({.src = ip("198.18.0.2"), .dst = ip(dst), .proto = IPPROTO_TCP}, tcp_segment(kSrcPort, port));
}
Bytes udp6(const char* dst, uint16_t port)
{
    return ipv6_frame({.src = ip("fd00:18::2"), .dst = ip(dst)}, udp_segment(kSrcPort, port, Bytes(16, 0x5a)));
}
Bytes tcp6(const char* dst, uint16_t port)
{
    return ipv6_frame({.src = ip("fd00:18::2"), .dst = ip(dst), .next_header = IPPROTO_TCP}, tcp_segment(kSrcPort, port));
}

// ICMP echo request (type 8), id 1 seq 1, 8 bytes of data; checksum left 0.
Bytes icmp_echo4()
{
    Bytes icmp = {8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
    return ipv4_frame({.src = ip("198.18.0.2"), .dst = ip("198.18.0.1"), .proto = IPPROTO_ICMP}, icmp);
}

// ICMPv6 neighbour solicitation (type 135) for the local address, sent to it
// directly (unicast NUD): the address matches, the protocol must not.
Bytes icmp6_ns()
{
    Bytes icmp = {135, 0, 0, 0, 0, 0, 0, 0};
    const IpAddr target = ip("fd00:18::1");
    icmp.insert(icmp.end(), target.b.begin(), target.b.end());
    return ipv6_frame({.src = ip("fd00:18::2"), .dst = ip("fd00:18::1"), .next_header = IPPROTO_ICMPV6}, icmp);
}

struct Case {
    std::string name;
    bool tcp, udp;  // protocols steered
    Bytes frame;
    bool ours;
};

std::vector<Case> cases()
{
    return {
        {"IPv4 UDP in range", false, true, udp4("198.18.0.1", 40050), true},
        {"IPv4 UDP lowest port", false, true, udp4("198.18.0.1", kLo), true},
        {"IPv4 UDP highest port", false, true, udp4("198.18.0.1", kHi), true},
        {"IPv4 UDP below the range", false, true, udp4("198.18.0.1", kLo - 1), false},
        {"IPv4 UDP above the range", false, true, udp4("198.18.0.1", kHi + 1), false},
        {"IPv4 UDP other address", false, true, udp4("198.18.0.3", 40000), false},
        {"IPv4 TCP in range", true, false, tcp4("198.18.0.1", 40000), true},
        {"IPv4 TCP, only UDP steered", false, true, tcp4("198.18.0.1", 40000), false},
        {"IPv4 UDP, only TCP steered", true, false, udp4("198.18.0.1", 40000), false},
        {"IPv4 TCP and UDP steered: TCP", true, true, tcp4("198.18.0.1", kHi), true},
        {"IPv4 TCP and UDP steered: UDP", true, true, udp4("198.18.0.1", kLo), true},
        {"IPv4 with options, in range", false, true, udp4("198.18.0.1", 40001, 0, 2), true},
        {"IPv4 DF is no fragment", false, true, udp4("198.18.0.1", 40001, 0x4000), true},
        {"IPv4 first fragment (MF)", false, true, udp4("198.18.0.1", 40001, 0x2000), false},
        {"IPv4 non-first fragment", false, true, udp4("198.18.0.1", 40001, 185), false},
        {"IPv6 UDP in range", false, true, udp6("fd00:18::1", 40000), true},
        {"IPv6 UDP highest port", false, true, udp6("fd00:18::1", kHi), true},
        {"IPv6 UDP above the range", false, true, udp6("fd00:18::1", kHi + 1), false},
        {"IPv6 UDP other address", false, true, udp6("fd00:18::3", 40000), false},
        {"IPv6 UDP other address, first word", false, true, udp6("fd01:18::1", 40000), false},
        {"IPv6 TCP in range", true, false, tcp6("fd00:18::1", kLo), true},
        {"IPv6 TCP below the range", true, false, tcp6("fd00:18::1", kLo - 1), false},
        {"ARP for the local address", true, true, arp_request(ip("198.18.0.2"), ip("198.18.0.1")), false},
        {"ICMP echo to the local address", true, true, icmp_echo4(), false},
        {"ICMPv6 neighbour solicitation", true, true, icmp6_ns(), false},
        {"802.1Q tagged UDP", true, true, vlan_tagged(udp4("198.18.0.1", 40000), 10), false},
        {"IPv4 UDP header cut", true, true, truncated(udp4("198.18.0.1", 40000), 14 + 20 + 3), false},
        {"IPv6 UDP header cut", true, true, truncated(udp6("fd00:18::1", 40000), 14 + 40 + 3), false},
    };
}

}  // namespace

TEST_CASE("steer: the generator's packets and nothing else", "[steer]")
{
    for (const Case& c : cases()) {
        SECTION(c.name)
        {
            Steering s = load(config(c.tcp, c.udp));
            ProgRun r = run_prog(s.prog_fd(), c.frame);
            // No socket in the map: even our frames fall back to the kernel.
            CHECK(r.retval == XDP_PASS);
            CHECK(r.out == c.frame);
            xg_steer_counters k = s.counters();
            CHECK(k.steered == 0);
            CHECK(k.no_socket == (c.ours ? 1u : 0u));
            CHECK(k.passed == (c.ours ? 0u : 1u));
        }
    }
}

TEST_CASE("steer: an address range takes each of its addresses and none around it", "[steer]")
{
    SteeringConfig c = config(true, false);
    c.local_v4 = ip("198.18.0.10");
    c.local_v4_count = 4;  // .10 - .13
    c.local_v6 = ip("fd00:18::ffff:fffe");
    c.local_v6_count = 3;  // counts in the last 32 bits only
    Steering s = load(c);
    auto ours = [&](const Bytes& f) {
        const uint64_t before = s.counters().no_socket;
        run_prog(s.prog_fd(), f);
        return s.counters().no_socket == before + 1;
    };
    CHECK_FALSE(ours(tcp4("198.18.0.9", 40000)));
    CHECK(ours(tcp4("198.18.0.10", 40000)));
    CHECK(ours(tcp4("198.18.0.13", 40000)));
    CHECK_FALSE(ours(tcp4("198.18.0.14", 40000)));
    CHECK_FALSE(ours(tcp4("198.18.0.13", kHi + 1)));
    CHECK_FALSE(ours(tcp6("fd00:18::ffff:fffd", 40000)));
    CHECK(ours(tcp6("fd00:18::ffff:fffe", 40000)));
    CHECK(ours(tcp6("fd00:18::ffff:ffff", 40000)));
    // The next address would carry into the third word: not in the range
    // (the last 32 bits wrapped to 0, below the first).
    CHECK_FALSE(ours(tcp6("fd00:18::1:0:0", 40000)));
    CHECK_FALSE(ours(tcp6("fd00:19::ffff:fffe", 40000)));
}

TEST_CASE("steer: configuration errors are reported", "[steer]")
{
    SteeringConfig c = config(false, false);
    auto s = Steering::load(c);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().what.find("neither TCP nor UDP") != std::string::npos);

    c = config(true, false);
    c.port_lo = 10, c.port_hi = 9;
    REQUIRE_FALSE(Steering::load(c).ok());

    c = config(true, false);
    c.local_v4.reset();
    c.local_v6.reset();
    REQUIRE_FALSE(Steering::load(c).ok());
}

TEST_CASE("steer: redirects to the socket of the queue", "[steer][xsk]")
{
    // A real AF_XDP socket on lo queue 0 (copy mode needs no driver support
    // to bind); BPF_PROG_RUN runs as queue 0, so the redirect finds it.
    auto umem = Umem::create({.frame_count = 64, .frame_size = 2048, .fill_size = 32, .comp_size = 32}, "lo queue 0");
    REQUIRE(umem.ok());
    auto xsk = XskSocket::create(*umem.value(), {.ifname = "lo", .queue = 0, .zero_copy = ZeroCopy::Off,
                                                 .rx_size = 32, .tx_size = 32});
    if (!xsk)
        FAIL(xsk.error().message() + "; " + xsk.error().hint);
    CHECK_FALSE(xsk.value()->zero_copy());
    // Half the frames went to the fill ring, the rest wait for sending.
    CHECK(umem.value()->free_frames() == 32);

    Steering s = load(config(false, true));
    REQUIRE(s.add_socket(0, xsk.value()->fd()).ok());
    CHECK_FALSE(s.add_socket(1, xsk.value()->fd()).ok());  // one queue configured

    ProgRun ours = run_prog(s.prog_fd(), udp4("198.18.0.1", 40000));
    CHECK(ours.retval == XDP_REDIRECT);
    ProgRun other = run_prog(s.prog_fd(), udp4("198.18.0.1", 39999));
    CHECK(other.retval == XDP_PASS);
    ProgRun ping = run_prog(s.prog_fd(), icmp_echo4());
    CHECK(ping.retval == XDP_PASS);
    xg_steer_counters k = s.counters();
    CHECK(k.steered == 1);
    CHECK(k.no_socket == 0);
    CHECK(k.passed == 2);
}

TEST_CASE("xsk: zero-copy on an interface without it names the fix", "[xsk]")
{
    auto umem = Umem::create({.frame_count = 64, .frame_size = 4096, .fill_size = 32, .comp_size = 32}, "lo queue 0");
    REQUIRE(umem.ok());
    auto xsk = XskSocket::create(*umem.value(), {.ifname = "lo", .queue = 0, .zero_copy = ZeroCopy::On,
                                                 .rx_size = 32, .tx_size = 32});
    REQUIRE_FALSE(xsk.ok());
    CHECK(xsk.error().what.find("lo queue 0") != std::string::npos);
    CHECK(xsk.error().hint.find("--zero-copy off/auto") != std::string::npos);

    // Auto falls back to copy mode on the same UMEM.
    auto fallback = XskSocket::create(*umem.value(), {.ifname = "lo", .queue = 0, .zero_copy = ZeroCopy::Auto,
                                                      .rx_size = 32, .tx_size = 32});
    if (!fallback)
        FAIL(fallback.error().message() + "; " + fallback.error().hint);
    CHECK_FALSE(fallback.value()->zero_copy());
}

TEST_CASE("xsk: UMEM frame stack and bad sizes", "[xsk]")
{
    auto bad = Umem::create({.frame_count = 8, .frame_size = 3000}, "lo queue 0");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().hint == "use 2048 or 4096");

    auto u = Umem::create({.frame_count = 4, .frame_size = 2048, .fill_size = 4, .comp_size = 4}, "lo queue 0");
    REQUIRE(u.ok());
    uint64_t a[8];
    REQUIRE(u.value()->alloc(a) == 4);
    CHECK(a[0] == 0);
    CHECK(a[3] == 3 * 2048);
    CHECK(u.value()->free_frames() == 0);
    u.value()->free(a[2] + 100);  // any address inside a frame gives back that frame
    uint64_t b[1];
    REQUIRE(u.value()->alloc(b) == 1);
    CHECK(b[0] == 2 * 2048);
}

TEST_CASE("xsk: TX reserve, cancel by len 0, submit, complete", "[xsk]")
{
    // Copy-mode TX on lo: the kernel sends synchronously on the kick, and the
    // frames (to an address lo does not own) are dropped by its IP layer.
    auto umem = Umem::create({.frame_count = 16, .frame_size = 2048, .fill_size = 8, .comp_size = 8}, "lo queue 0");
    REQUIRE(umem.ok());
    Umem& u = *umem.value();
    auto xsk = XskSocket::create(u, {.ifname = "lo", .queue = 0, .zero_copy = ZeroCopy::Off, .rx_size = 8, .tx_size = 8});
    if (!xsk)
        FAIL(xsk.error().message() + "; " + xsk.error().hint);
    XskSocket& s = *xsk.value();
    REQUIRE(u.free_frames() == 8);  // 8 went to the fill ring

    const Bytes frame = udp4("198.18.0.1", 40000);
    XskDesc tx[4];
    REQUIRE(s.tx_reserve(tx) == 4);
    CHECK(u.free_frames() == 4);
    for (int i : {0, 2}) {
        std::memcpy(u.data(tx[i].addr), frame.data(), frame.size());
        tx[i].len = static_cast<uint32_t>(frame.size());
    }
    REQUIRE(s.tx_submit(tx).ok());
    CHECK(u.free_frames() == 6);  // the two left at len 0 came back at once

    uint32_t done = 0;
    for (int i = 0; i < 100 && done < 2; i++) {
        done += s.tx_complete();
        if (done < 2)
            usleep(10'000);
    }
    CHECK(done == 2);
    CHECK(u.free_frames() == 8);

    // The cancelled slots are reusable: a full ring's worth fits again.
    XskDesc again[8];
    CHECK(s.tx_reserve(again) == 8);
    for (XskDesc& d : again)
        d.len = 0;
    REQUIRE(s.tx_submit(again).ok());
    CHECK(u.free_frames() == 8);
}
