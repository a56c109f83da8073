// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_steer (bpf/steer.bpf.c): which frames are the generator's. Without a
// socket in the XSKMAP the redirect falls back to XDP_PASS, so the decision
// is read from the counters (no_socket = "ours", passed = "not ours"); one
// case puts a real AF_XDP socket (bound to lo, queue 0, copy mode) into the
// map and expects the XDP_REDIRECT verdict itself.

#include <linux/bpf.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>
#include <utility>
#include <string>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "net/udp_frame.hpp"
#include "prog_run.hpp"
#include "util/fd.hpp"
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
        {"IPv4 first fragment (MF) carries the ports", false, true, udp4("198.18.0.1", 40001, 0x2000), true},
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
        {"802.1Q tagged UDP", true, true, vlan_tagged(udp4("198.18.0.1", 40000), 10), true},
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

namespace {

// Frame shapes: tags, IPv4 options, IPv6 extension headers, fragments, ICMP
// errors. Each case names the counter it must land in, so a case passes
// only for its own reason (a cut frame counted malformed, not merely "not
// ours" because a port happened to miss).
enum class Expect { Engine, IcmpError, NotOurs, LaterFragment, Malformed };

const char* name(Expect e)
{
    switch (e) {
    case Expect::Engine: return "engine";
    case Expect::IcmpError: return "engine (ICMP error)";
    case Expect::NotOurs: return "not ours";
    case Expect::LaterFragment: return "later fragment";
    case Expect::Malformed: return "malformed";
    }
    return "?";
}

Expect classify(const xg_steer_counters& d)
{
    if (d.no_socket)
        return d.icmp_errors ? Expect::IcmpError : Expect::Engine;
    if (d.fragments)
        return Expect::LaterFragment;
    return d.malformed ? Expect::Malformed : Expect::NotOurs;
}

constexpr uint16_t kPeerPort = 80;
constexpr uint16_t k8021ad = 0x88a8;

Bytes udp6x(uint16_t port, std::vector<Ipv6Ext> ext, const char* dst = "fd00:18::1")
{
    return ipv6_frame({.src = ip("fd00:18::2"), .dst = ip(dst), .ext = std::move(ext)},
                      udp_segment(kSrcPort, port, Bytes(16, 0x5a)));
}
Bytes tcp6x(uint16_t port, std::vector<Ipv6Ext> ext)
{
    return ipv6_frame({.src = ip("fd00:18::2"), .dst = ip("fd00:18::1"), .next_header = IPPROTO_TCP,
                       .ext = std::move(ext)},
                      tcp_segment(kSrcPort, port));
}
Bytes two_tags(const Bytes& f) { return vlan_tagged(vlan_tagged(f, 10), 20, k8021ad); }

const Ipv6Ext kHop{IPPROTO_HOPOPTS, 8}, kDst{IPPROTO_DSTOPTS, 16}, kRt{IPPROTO_ROUTING, 24};
constexpr uint16_t kMoreFragments = 1, kAt1480 = 185 << 3;

// The packet the generator sent (from its address and a port of its range
// to the peer), as an ICMP error quotes it: IP header and 8 bytes of L4.
Bytes quote4(uint8_t proto, const char* src = "198.18.0.1", uint16_t sport = 40050)
{
    const Bytes l4 = proto == IPPROTO_TCP ? tcp_segment(sport, kPeerPort) : udp_segment(sport, kPeerPort, Bytes(100, 1));
    const Bytes sent = ipv4_frame({.src = ip(src), .dst = ip("198.18.0.2"), .proto = proto}, l4);
    return Bytes(sent.begin() + kEthHdr, sent.begin() + kEthHdr + kIpv4Hdr + 8);
}
Bytes quote6(uint8_t proto, const char* src = "fd00:18::1", uint16_t sport = 40050)
{
    const Bytes l4 = proto == IPPROTO_TCP ? tcp_segment(sport, kPeerPort) : udp_segment(sport, kPeerPort, Bytes(100, 1));
    const Bytes sent = ipv6_frame({.src = ip(src), .dst = ip("fd00:18::2"), .next_header = proto}, l4);
    return Bytes(sent.begin() + kEthHdr, sent.begin() + kEthHdr + kIpv6Hdr + 8);
}

// An ICMP error from a router on the path (its 4th word: unused, or the MTU).
Bytes icmp4_error(uint8_t type, uint8_t code, const Bytes& quote, const char* dst = "198.18.0.1")
{
    Bytes m = {type, code, 0, 0, 0, 0, 0x05, 0x00};
    m.insert(m.end(), quote.begin(), quote.end());
    return ipv4_frame({.src = ip("198.18.0.254"), .dst = ip(dst), .proto = IPPROTO_ICMP}, m);
}
Bytes icmp6_error(uint8_t type, const Bytes& quote)
{
    Bytes m = {type, 0, 0, 0, 0, 0, 0x05, 0x00};
    m.insert(m.end(), quote.begin(), quote.end());
    return ipv6_frame({.src = ip("fd00:18::fe"), .dst = ip("fd00:18::1"), .next_header = IPPROTO_ICMPV6}, m);
}

constexpr uint8_t kUnreach4 = 3, kFragNeeded = 4, kPortUnreach = 3, kTimeExceeded4 = 11;
constexpr uint8_t kUnreach6 = 1, kTooBig6 = 2, kTimeExceeded6 = 3;

struct ShapeCase {
    std::string name;
    Bytes frame;
    Expect expect;
    bool tcp = true, udp = true;  // protocols steered
};

std::vector<ShapeCase> shape_cases()
{
    const Bytes u4 = udp4("198.18.0.1", 40000), t6 = tcp6("fd00:18::1", 40000);
    const Bytes opts4 = udp4("198.18.0.1", 40000, 0, 10);  // ihl 15: 40 bytes of options
    const Bytes ext6 = udp6x(40000, {kHop, kDst, kRt});
    const Bytes frag4 = udp4("198.18.0.1", 40000, kMoreFragments << 13);
    const Bytes frag6 = udp6x(40000, {{IPPROTO_FRAGMENT, 8, kMoreFragments}});
    Bytes ihl4 = u4;
    ihl4[kEthHdr] = 0x44;  // a header length below its own fixed part
    Bytes short_tot = u4;
    short_tot[kEthHdr + 3] = 19;  // total length below the header
    Bytes short_l4 = u4;
    short_l4[kEthHdr + 3] = kIpv4Hdr + 4;  // the rest is padding, as on a short Ethernet frame
    Bytes frag6_reserved = frag6;
    frag6_reserved[kEthHdr + kIpv6Hdr + 1] = 0xff;  // reserved byte: ignored on reception (RFC 8200 §4.5)
    Bytes ipv6_as_v4 = t6;
    ipv6_as_v4[kEthHdr] = 0x40;  // version 4 under the IPv6 ethertype
    const size_t l4_4 = kEthHdr + kIpv4Hdr, l4_6 = kEthHdr + kIpv6Hdr;
    return {
        // Tags
        {"plain IPv4 UDP", u4, Expect::Engine},
        {"plain IPv6 TCP", t6, Expect::Engine},
        {"one 802.1Q tag, IPv4", vlan_tagged(u4, 10), Expect::Engine},
        {"one 802.1ad tag, IPv6", vlan_tagged(t6, 10, k8021ad), Expect::Engine},
        {"two tags (802.1ad outside 802.1Q), IPv4", two_tags(u4), Expect::Engine},
        {"two tags, IPv6", two_tags(t6), Expect::Engine},
        {"two tags, port outside the range", two_tags(udp4("198.18.0.1", kHi + 1)), Expect::NotOurs},
        {"two tags, another address", two_tags(udp4("198.18.0.3", 40000)), Expect::NotOurs},
        {"three tags: more than walked", vlan_tagged(two_tags(u4), 30), Expect::NotOurs},
        {"two tags, cut inside the inner tag", truncated(two_tags(u4), 20), Expect::Malformed},
        // IPv4 options
        {"IPv4 with 40 bytes of options", opts4, Expect::Engine},
        {"IPv4 options, TCP", ipv4_frame({.src = ip("198.18.0.2"), .dst = ip("198.18.0.1"), .proto = IPPROTO_TCP,
                                          .option_words = 3}, tcp_segment(kSrcPort, kHi)), Expect::Engine},
        {"IPv4 options, port outside the range", udp4("198.18.0.1", kLo - 1, 0, 10), Expect::NotOurs},
        {"IPv4 options behind two tags", two_tags(opts4), Expect::Engine},
        {"IPv4 ihl 4", ihl4, Expect::Malformed},
        {"IPv4 total length below the header", short_tot, Expect::Malformed},
        {"IPv4 total length past the frame", truncated(u4, u4.size() - 1), Expect::Malformed},
        {"IPv4 cut inside the options", cut_consistent(opts4, l4_4 + 30), Expect::Malformed},
        {"IPv4 cut inside the UDP ports", cut_consistent(u4, l4_4 + 3), Expect::Malformed},
        {"IPv4 length ends inside the UDP header, the frame goes on", short_l4, Expect::Malformed},
        // IPv6 extension headers
        {"IPv6 hop-by-hop + dest-opts + routing, UDP", ext6, Expect::Engine},
        {"IPv6 hop-by-hop + dest-opts + routing, TCP", tcp6x(kLo, {kHop, kDst, kRt}), Expect::Engine},
        {"IPv6 extension headers, port outside the range", udp6x(kHi + 1, {kHop, kDst, kRt}), Expect::NotOurs},
        {"IPv6 extension headers, another address", udp6x(40000, {kHop, kDst, kRt}, "fd00:18::3"), Expect::NotOurs},
        {"IPv6 extension headers behind two tags", two_tags(ext6), Expect::Engine},
        {"IPv6 AH", udp6x(40000, {kHop, {IPPROTO_AH, 24}}), Expect::Engine},
        {"IPv6 six extension headers", udp6x(40000, {kHop, kDst, kRt, kDst, {IPPROTO_AH, 12}, kDst}), Expect::Engine},
        {"IPv6 seven extension headers: more than walked",
         udp6x(40000, {kHop, kDst, kRt, kDst, kRt, kDst, kDst}), Expect::Malformed},
        {"IPv6 extension header of 2 KiB", udp6x(40000, {{IPPROTO_DSTOPTS, 2048}}), Expect::Engine},
        {"IPv6 cut inside the routing header", cut_consistent(ext6, l4_6 + 8 + 16 + 4), Expect::Malformed},
        {"IPv6 cut at the end of the chain", cut_consistent(ext6, l4_6 + 48), Expect::Malformed},
        {"IPv6 payload length past the frame", truncated(ext6, ext6.size() - 1), Expect::Malformed},
        {"IPv6 version 4 in the header", ipv6_as_v4, Expect::Malformed},
        // Fragments
        {"IPv4 first fragment", frag4, Expect::Engine},
        {"IPv4 first fragment, port outside the range", udp4("198.18.0.1", kHi + 1, kMoreFragments << 13),
         Expect::NotOurs},
        {"IPv4 later fragment", udp4("198.18.0.1", 40000, (kMoreFragments << 13) | 185), Expect::LaterFragment},
        {"IPv4 last fragment (offset, no MF)", udp4("198.18.0.1", 40000, 185), Expect::LaterFragment},
        {"IPv4 later fragment, another address", udp4("198.18.0.3", 40000, 185), Expect::NotOurs},
        {"IPv4 first fragment behind a tag", vlan_tagged(frag4, 10), Expect::Engine},
        {"IPv6 first fragment", frag6, Expect::Engine},
        {"IPv6 first fragment, TCP", tcp6x(40000, {{IPPROTO_FRAGMENT, 8, kMoreFragments}}), Expect::Engine},
        {"IPv6 first fragment, reserved byte set", frag6_reserved, Expect::Engine},
        {"IPv6 first fragment after hop-by-hop, then dest-opts",
         udp6x(40000, {kHop, {IPPROTO_FRAGMENT, 8, kMoreFragments}, kDst}), Expect::Engine},
        {"IPv6 later fragment", udp6x(40000, {{IPPROTO_FRAGMENT, 8, kAt1480 | kMoreFragments}}),
         Expect::LaterFragment},
        {"IPv6 last fragment", udp6x(40000, {kHop, {IPPROTO_FRAGMENT, 8, kAt1480}}), Expect::LaterFragment},
        {"IPv6 atomic fragment (offset 0, no M)", udp6x(40000, {{IPPROTO_FRAGMENT, 8, 0}}), Expect::Engine},
        {"IPv6 later fragment, another address",
         udp6x(40000, {{IPPROTO_FRAGMENT, 8, kAt1480}}, "fd00:18::3"), Expect::NotOurs},
        {"IPv6 cut inside the fragment header", cut_consistent(frag6, l4_6 + 6), Expect::Malformed},
        // ICMP errors quoting our packets
        {"ICMPv4 fragmentation needed, our UDP", icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_UDP)),
         Expect::IcmpError},
        {"ICMPv4 fragmentation needed, our TCP", icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_TCP)),
         Expect::IcmpError},
        {"ICMPv4 port unreachable, our UDP", icmp4_error(kUnreach4, kPortUnreach, quote4(IPPROTO_UDP)),
         Expect::IcmpError},
        {"ICMPv4 fragmentation needed behind two tags",
         two_tags(icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_TCP))), Expect::IcmpError},
        {"ICMPv4 fragmentation needed, someone else's port",
         icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_TCP, "198.18.0.1", 22)), Expect::NotOurs},
        {"ICMPv4 fragmentation needed, someone else's address",
         icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_TCP, "198.18.0.3")), Expect::NotOurs},
        {"ICMPv4 fragmentation needed, to another address",
         icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_TCP), "198.18.0.3"), Expect::NotOurs},
        {"ICMPv4 quoting our UDP, only TCP steered", icmp4_error(kUnreach4, kFragNeeded, quote4(IPPROTO_UDP)),
         Expect::NotOurs, true, false},
        {"ICMPv4 time exceeded is the kernel's", icmp4_error(kTimeExceeded4, 0, quote4(IPPROTO_TCP)),
         Expect::NotOurs},
        {"ICMPv4 echo is the kernel's", icmp_echo4(), Expect::NotOurs},
        {"ICMPv4 quote cut inside the ports",
         icmp4_error(kUnreach4, kFragNeeded, truncated(quote4(IPPROTO_TCP), kIpv4Hdr + 3)), Expect::NotOurs},
        {"ICMPv4 quote cut inside the IP header",
         icmp4_error(kUnreach4, kFragNeeded, truncated(quote4(IPPROTO_TCP), 12)), Expect::NotOurs},
        {"ICMPv6 packet too big, our TCP", icmp6_error(kTooBig6, quote6(IPPROTO_TCP)), Expect::IcmpError},
        {"ICMPv6 packet too big, our UDP", icmp6_error(kTooBig6, quote6(IPPROTO_UDP)), Expect::IcmpError},
        {"ICMPv6 unreachable, our TCP", icmp6_error(kUnreach6, quote6(IPPROTO_TCP)), Expect::IcmpError},
        {"ICMPv6 packet too big behind a tag", vlan_tagged(icmp6_error(kTooBig6, quote6(IPPROTO_TCP)), 10),
         Expect::IcmpError},
        {"ICMPv6 packet too big, someone else's port", icmp6_error(kTooBig6, quote6(IPPROTO_TCP, "fd00:18::1", 22)),
         Expect::NotOurs},
        {"ICMPv6 packet too big, someone else's address",
         icmp6_error(kTooBig6, quote6(IPPROTO_TCP, "fd00:18::3")), Expect::NotOurs},
        {"ICMPv6 time exceeded is the kernel's", icmp6_error(kTimeExceeded6, quote6(IPPROTO_TCP)), Expect::NotOurs},
        {"ICMPv6 neighbour solicitation is the kernel's", icmp6_ns(), Expect::NotOurs},
        {"ICMPv6 quote cut inside the ports", icmp6_error(kTooBig6, truncated(quote6(IPPROTO_TCP), kIpv6Hdr + 3)),
         Expect::NotOurs},
        {"ICMPv6 quote cut inside the IP header", icmp6_error(kTooBig6, truncated(quote6(IPPROTO_TCP), 30)),
         Expect::NotOurs},
        {"ICMPv6 cut inside its own header", cut_consistent(icmp6_error(kTooBig6, quote6(IPPROTO_TCP)), l4_6 + 6),
         Expect::NotOurs},
    };
}

}  // namespace

TEST_CASE("steer: frame shapes (tags, options, extension headers, fragments, ICMP errors)", "[steer][shapes]")
{
    for (const ShapeCase& c : shape_cases()) {
        DYNAMIC_SECTION(c.name)
        {
            Steering s = load(config(c.tcp, c.udp));
            const ProgRun r = run_prog(s.prog_fd(), c.frame);
            CHECK(r.retval == XDP_PASS);  // no socket in the map: even our frames fall back
            CHECK(r.out == c.frame);
            const xg_steer_counters k = s.counters();
            CHECK(k.steered + k.no_socket + k.passed + k.kernel_owned == 1);
            CHECK(name(classify(k)) == std::string(name(c.expect)));
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

namespace {

// The generator's side of the neighbour tests: addresses the interface would
// not carry (198.18.1.10-.20, fd00:19::10-::20) and its MAC.
constexpr uint8_t kOurMac[6] = {0x02, 0x00, 0xc6, 0x12, 0x00, 0x01};
constexpr uint8_t kPeerMac[6] = {0x02, 0x00, 0xc6, 0x12, 0x00, 0x02};
constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint8_t kOtherMac[6] = {0x02, 0x00, 0xc6, 0x12, 0x00, 0x09};

SteeringConfig neigh_config(bool answer = true)
{
    SteeringConfig c = config(true, false);
    c.local_v4 = ip("198.18.1.10");
    c.local_v4_count = 11;
    c.local_v6 = ip("fd00:19::10");
    c.local_v6_count = 17;
    c.answer_neighbours = answer;
    c.answer_by_redirect = false;
    std::memcpy(c.mac.b.data(), kOurMac, 6);
    return c;
}

// resize + memcpy rather than insert: GCC 12 sees phantom overflows in
// vector::insert of a fresh vector (-Warray-bounds).
void append(Bytes& b, const uint8_t* p, size_t n)
{
    const size_t at = b.size();
    b.resize(at + n);
    std::memcpy(b.data() + at, p, n);
}
void append(Bytes& b, const IpAddr& a) { append(b, a.b.data(), a.v6 ? 16 : 4); }
void append16(Bytes& b, uint16_t v)
{
    const uint8_t be[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    append(b, be, 2);
}

Bytes eth(const uint8_t* dst, const uint8_t* src, uint16_t type)
{
    Bytes f;
    append(f, dst, 6);
    append(f, src, 6);
    append16(f, type);
    return f;
}

// An Ethernet/IPv4 ARP packet spelled out field by field, padded to 60 bytes
// with 0xee so that the tests see the padding survive the rewrite.
Bytes arp(const uint8_t* eth_dst, const uint8_t* eth_src, uint16_t op, const uint8_t* sha, const IpAddr& spa,
          const uint8_t* tha, const IpAddr& tpa)
{
    Bytes f = eth(eth_dst, eth_src, 0x0806);
    append16(f, 1);       // Ethernet
    append16(f, 0x0800);  // IPv4
    f.push_back(6);
    f.push_back(4);
    append16(f, op);
    append(f, sha, 6);
    append(f, spa);
    append(f, tha, 6);
    append(f, tpa);
    f.resize(60, 0xee);
    return f;
}

constexpr uint8_t kZeroMac[6] = {};

Bytes arp_who_has(const char* target, const uint8_t* eth_dst = kBroadcast, const char* sender = "198.18.0.2")
{
    return arp(eth_dst, kPeerMac, 1, kPeerMac, ip(sender), kZeroMac, ip(target));
}

// The ICMPv6 checksum, written out here rather than taken from the
// engine's code: RFC 8200 §8.1 pseudo-header (src, dst, 32-bit length,
// next header 58) and the message, as big-endian 16-bit words.
uint16_t icmp6_checksum(const IpAddr& src, const IpAddr& dst, const Bytes& msg)
{
    uint64_t sum = 0;
    auto words = [&](const uint8_t* p, size_t n) {
        for (size_t i = 0; i < n; i += 2)
            sum += (uint32_t(p[i]) << 8) | (i + 1 < n ? p[i + 1] : 0);
    };
    words(src.b.data(), 16);
    words(dst.b.data(), 16);
    sum += msg.size() >> 16;
    sum += msg.size() & 0xffff;
    sum += 58;
    words(msg.data(), msg.size());
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// Ethernet + IPv6 (hop limit as given) + ICMPv6 message whose checksum is
// filled in unless `checksum` is given.
Bytes icmp6_frame(const uint8_t* eth_dst, const uint8_t* eth_src, const IpAddr& src, const IpAddr& dst, uint8_t hops,
                  Bytes msg, std::optional<uint16_t> checksum = std::nullopt)
{
    const uint16_t c = checksum.value_or(icmp6_checksum(src, dst, msg));
    msg[2] = static_cast<uint8_t>(c >> 8);
    msg[3] = static_cast<uint8_t>(c);
    Bytes f = eth(eth_dst, eth_src, 0x86dd);
    append16(f, 0x6000);
    append16(f, 0);
    append16(f, static_cast<uint16_t>(msg.size()));
    f.push_back(58);
    f.push_back(hops);
    append(f, src);
    append(f, dst);
    f.insert(f.end(), msg.begin(), msg.end());
    return f;
}

// type, code, checksum 0, 32 bits of flags, target, then the options.
Bytes nd_msg(uint8_t type, uint32_t flags, const IpAddr& target, const Bytes& options = {}, uint8_t code = 0)
{
    Bytes m = {type, code, 0, 0};
    append16(m, static_cast<uint16_t>(flags >> 16));
    append16(m, static_cast<uint16_t>(flags));
    append(m, target);
    m.insert(m.end(), options.begin(), options.end());
    return m;
}

Bytes lla_option(uint8_t type, const uint8_t* mac)
{
    Bytes o = {type, 1};
    append(o, mac, 6);
    return o;
}

IpAddr solicited_node(const IpAddr& a)
{
    IpAddr m = ip("ff02::1:ff00:0");
    std::memcpy(m.b.data() + 13, a.b.data() + 13, 3);
    return m;
}

const uint8_t kSolicitedMac15[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x15};

// A solicitation from the peer (fd00:18::2) for target, to its
// solicited-node group, with the source link-layer address option.
Bytes ns_frame(const char* target, uint8_t hops = 255)
{
    const IpAddr t = ip(target);
    return icmp6_frame(kSolicitedMac15, kPeerMac, ip("fd00:18::2"), solicited_node(t), hops,
                       nd_msg(135, 0, t, lla_option(1, kPeerMac)));
}

// The advertisement the generator owes: from the target, Solicited (unless
// DAD) and Override, with the target link-layer address option.
Bytes expected_na(const uint8_t* eth_dst, const IpAddr& dst, const char* target, bool solicited)
{
    const IpAddr t = ip(target);
    const uint32_t flags = (solicited ? 0x40000000u : 0) | 0x20000000u;
    return icmp6_frame(eth_dst, kOurMac, t, dst, 255, nd_msg(136, flags, t, lla_option(2, kOurMac)));
}

// Whether an ICMPv6 frame's checksum holds, recomputed from its bytes.
bool icmp6_checksum_ok(const Bytes& f)
{
    if (f.size() < 14 + 40 + 4)
        return false;
    IpAddr src, dst;
    src.v6 = dst.v6 = true;
    std::memcpy(src.b.data(), f.data() + 22, 16);
    std::memcpy(dst.b.data(), f.data() + 38, 16);
    const size_t len = (size_t(f[18]) << 8) | f[19];
    if (f.size() < 54 + len)
        return false;
    Bytes msg(f.begin() + 54, f.begin() + 54 + static_cast<ptrdiff_t>(len));
    msg[2] = msg[3] = 0;
    const uint16_t c = icmp6_checksum(src, dst, msg);
    return f[56] == (c >> 8) && f[57] == (c & 0xff);
}

}  // namespace

TEST_CASE("steer: ARP requests for the local range are answered in place", "[steer][neigh]")
{
    Steering s = load(neigh_config());

    SECTION("broadcast request")
    {
        ProgRun r = run_prog(s.prog_fd(), arp_who_has("198.18.1.15"));
        CHECK(r.retval == XDP_TX);
        // To the asker, from us: 198.18.1.15 is at our MAC.
        CHECK(r.out == arp(kPeerMac, kOurMac, 2, kOurMac, ip("198.18.1.15"), kPeerMac, ip("198.18.0.2")));
        CHECK(s.counters().arp_replies == 1);
        CHECK(s.counters().passed == 0);
    }
    SECTION("first and last address of the range")
    {
        CHECK(run_prog(s.prog_fd(), arp_who_has("198.18.1.10")).retval == XDP_TX);
        CHECK(run_prog(s.prog_fd(), arp_who_has("198.18.1.20")).retval == XDP_TX);
        CHECK(s.counters().arp_replies == 2);
    }
    SECTION("unicast request (the peer re-checking its entry)")
    {
        ProgRun r = run_prog(s.prog_fd(), arp_who_has("198.18.1.11", kOurMac));
        CHECK(r.retval == XDP_TX);
        CHECK(r.out == arp(kPeerMac, kOurMac, 2, kOurMac, ip("198.18.1.11"), kPeerMac, ip("198.18.0.2")));
    }
    SECTION("the reply goes to the ARP sender, not the frame's source")
    {
        const Bytes req = arp(kBroadcast, kOtherMac, 1, kPeerMac, ip("198.18.0.2"), kZeroMac, ip("198.18.1.12"));
        ProgRun r = run_prog(s.prog_fd(), req);
        CHECK(r.retval == XDP_TX);
        CHECK(r.out == arp(kPeerMac, kOurMac, 2, kOurMac, ip("198.18.1.12"), kPeerMac, ip("198.18.0.2")));
    }
    SECTION("probe from 0.0.0.0 (RFC 5227) is answered, as Linux does")
    {
        ProgRun r = run_prog(s.prog_fd(), arp_who_has("198.18.1.12", kBroadcast, "0.0.0.0"));
        CHECK(r.retval == XDP_TX);
        CHECK(r.out == arp(kPeerMac, kOurMac, 2, kOurMac, ip("198.18.1.12"), kPeerMac, ip("0.0.0.0")));
    }
}

TEST_CASE("steer: other ARP goes to the kernel unchanged", "[steer][neigh]")
{
    Bytes short_arp = arp_who_has("198.18.1.15");
    short_arp.resize(14 + 27);
    Bytes ipv6_arp = arp_who_has("198.18.1.15");
    ipv6_arp[16] = 0x86, ipv6_arp[17] = 0xdd;  // protocol type
    Bytes token_ring = arp_who_has("198.18.1.15");
    token_ring[15] = 6;  // hardware type IEEE 802
    const std::vector<std::pair<std::string, Bytes>> frames = {
        {"below the range", arp_who_has("198.18.1.9")},
        {"above the range", arp_who_has("198.18.1.21")},
        {"the interface's own address", arp_who_has("198.18.0.1")},
        {"a reply", arp(kOurMac, kPeerMac, 2, kPeerMac, ip("198.18.0.2"), kOurMac, ip("198.18.1.15"))},
        {"gratuitous ARP for an address of the range",
         arp(kBroadcast, kPeerMac, 1, kPeerMac, ip("198.18.1.15"), kZeroMac, ip("198.18.1.15"))},
        {"unicast to another MAC", arp_who_has("198.18.1.15", kOtherMac)},
        {"from a multicast sender", arp(kBroadcast, kPeerMac, 1, kBroadcast, ip("198.18.0.2"), kZeroMac,
                                        ip("198.18.1.15"))},
        {"cut short", short_arp},
        {"not IPv4 addresses", ipv6_arp},
        {"not Ethernet", token_ring},
    };
    for (const auto& [name, frame] : frames) {
        SECTION(name)
        {
            Steering s = load(neigh_config());
            ProgRun r = run_prog(s.prog_fd(), frame);
            CHECK(r.retval == XDP_PASS);
            CHECK(r.out == frame);
            CHECK(s.counters().passed == 1);
            CHECK(s.counters().arp_replies == 0);
        }
    }
    SECTION("answering off")
    {
        Steering s = load(neigh_config(false));
        const Bytes frame = arp_who_has("198.18.1.15");
        ProgRun r = run_prog(s.prog_fd(), frame);
        CHECK(r.retval == XDP_PASS);
        CHECK(r.out == frame);
        CHECK(s.counters().arp_replies == 0);
    }
}

TEST_CASE("steer: neighbour solicitations for the local range are answered", "[steer][neigh]")
{
    Steering s = load(neigh_config());

    SECTION("to the solicited-node group, with the source link-layer address")
    {
        const Bytes ns = ns_frame("fd00:19::15");
        REQUIRE(icmp6_checksum_ok(ns));
        ProgRun r = run_prog(s.prog_fd(), ns);
        CHECK(r.retval == XDP_TX);
        const Bytes na = expected_na(kPeerMac, ip("fd00:18::2"), "fd00:19::15", true);
        CHECK(r.out == na);
        CHECK(r.out.size() == 14 + 40 + 32);
        CHECK(icmp6_checksum_ok(r.out));
        // The checksum as bytes, so a mistake in both the program and the
        // test's helper cannot hide: worked out separately for these bytes.
        CHECK(r.out[56] == 0x56);
        CHECK(r.out[57] == 0x17);
        CHECK(s.counters().na_replies == 1);
        CHECK(s.counters().passed == 0);
    }
    SECTION("unicast to the target, without options: the frame grows")
    {
        const IpAddr t = ip("fd00:19::20");
        const Bytes ns = icmp6_frame(kOurMac, kPeerMac, ip("fd00:18::2"), t, 255, nd_msg(135, 0, t));
        ProgRun r = run_prog(s.prog_fd(), ns);
        CHECK(r.retval == XDP_TX);
        CHECK(r.out == expected_na(kPeerMac, ip("fd00:18::2"), "fd00:19::20", true));
        CHECK(icmp6_checksum_ok(r.out));
    }
    SECTION("with a nonce option too (RFC 7527): the frame shrinks")
    {
        const IpAddr t = ip("fd00:19::10");
        Bytes opts = lla_option(1, kPeerMac);
        const Bytes nonce = {14, 1, 1, 2, 3, 4, 5, 6};
        opts.insert(opts.end(), nonce.begin(), nonce.end());
        const Bytes ns = icmp6_frame(kBroadcast, kPeerMac, ip("fd00:18::2"), solicited_node(t), 255,
                                     nd_msg(135, 0, t, opts));
        ProgRun r = run_prog(s.prog_fd(), ns);
        CHECK(r.retval == XDP_TX);
        CHECK(r.out == expected_na(kPeerMac, ip("fd00:18::2"), "fd00:19::10", true));
        CHECK(icmp6_checksum_ok(r.out));
    }
    SECTION("duplicate address detection: to all nodes, not solicited")
    {
        const IpAddr t = ip("fd00:19::15");
        const Bytes ns = icmp6_frame(kSolicitedMac15, kPeerMac, ip("::"), solicited_node(t), 255, nd_msg(135, 0, t));
        ProgRun r = run_prog(s.prog_fd(), ns);
        CHECK(r.retval == XDP_TX);
        const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        CHECK(r.out == expected_na(all_nodes_mac, ip("ff02::1"), "fd00:19::15", false));
        CHECK(icmp6_checksum_ok(r.out));
        CHECK(s.counters().na_replies == 1);
    }
}

TEST_CASE("steer: other solicitations go to the kernel unchanged", "[steer][neigh]")
{
    const IpAddr t = ip("fd00:19::15");
    const IpAddr peer = ip("fd00:18::2");
    const IpAddr group = solicited_node(t);
    const Bytes slla = lla_option(1, kPeerMac);
    Bytes bad_sum = ns_frame("fd00:19::15");
    bad_sum[57] ^= 1;
    Bytes cut = ns_frame("fd00:19::15");
    cut.resize(cut.size() - 4);  // the IPv6 length now claims more than the frame has
    const std::vector<std::pair<std::string, Bytes>> frames = {
        {"hop limit 64", ns_frame("fd00:19::15", 64)},
        {"hop limit 254", ns_frame("fd00:19::15", 254)},
        {"target below the range", ns_frame("fd00:19::f")},
        {"target above the range", ns_frame("fd00:19::21")},
        {"the interface's own address", ns_frame("fd00:18::1")},
        {"bad checksum", bad_sum},
        {"cut short", cut},
        {"code 1", icmp6_frame(kSolicitedMac15, kPeerMac, peer, group, 255, nd_msg(135, 0, t, slla, 1))},
        {"an advertisement", icmp6_frame(kSolicitedMac15, kPeerMac, peer, group, 255,
                                         nd_msg(136, 0x20000000, t, lla_option(2, kPeerMac)))},
        {"option of length 0", icmp6_frame(kSolicitedMac15, kPeerMac, peer, group, 255,
                                           nd_msg(135, 0, t, Bytes{1, 0, 0, 0, 0, 0, 0, 0}))},
        {"option longer than the message", icmp6_frame(kSolicitedMac15, kPeerMac, peer, group, 255,
                                                       nd_msg(135, 0, t, Bytes{1, 2, 0, 0, 0, 0, 0, 0}))},
        {"DAD with a source link-layer address",
         icmp6_frame(kSolicitedMac15, kPeerMac, ip("::"), group, 255, nd_msg(135, 0, t, slla))},
        {"DAD to the target's unicast address",
         icmp6_frame(kOurMac, kPeerMac, ip("::"), t, 255, nd_msg(135, 0, t))},
        {"to another solicited-node group", icmp6_frame(kSolicitedMac15, kPeerMac, peer, ip("ff02::1:ff00:16"), 255,
                                                        nd_msg(135, 0, t, slla))},
        {"unicast to another address", icmp6_frame(kOurMac, kPeerMac, peer, ip("fd00:19::16"), 255,
                                                   nd_msg(135, 0, t, slla))},
        {"unicast to another MAC", icmp6_frame(kOtherMac, kPeerMac, peer, t, 255, nd_msg(135, 0, t, slla))},
        {"ICMPv6 echo to an address of the range",
         icmp6_frame(kOurMac, kPeerMac, peer, t, 255, Bytes{128, 0, 0, 0, 0, 1, 0, 1})},
    };
    for (const auto& [name, frame] : frames) {
        SECTION(name)
        {
            Steering s = load(neigh_config());
            ProgRun r = run_prog(s.prog_fd(), frame);
            CHECK(r.retval == XDP_PASS);
            CHECK(r.out == frame);
            CHECK(s.counters().passed == 1);
            CHECK(s.counters().na_replies == 0);
        }
    }
    SECTION("answering off")
    {
        Steering s = load(neigh_config(false));
        const Bytes frame = ns_frame("fd00:19::15");
        ProgRun r = run_prog(s.prog_fd(), frame);
        CHECK(r.retval == XDP_PASS);
        CHECK(r.out == frame);
        CHECK(s.counters().na_replies == 0);
    }
}

TEST_CASE("steer: answers leave by XDP_TX, or by a redirect to the interface itself", "[steer][neigh]")
{
    SteeringConfig c = neigh_config();
    c.answer_by_redirect = true;
    Steering redirect = load(c);
    ProgRun r = run_prog(redirect.prog_fd(), arp_who_has("198.18.1.15"));
    CHECK(r.retval == XDP_REDIRECT);
    CHECK(r.out == arp(kPeerMac, kOurMac, 2, kOurMac, ip("198.18.1.15"), kPeerMac, ip("198.18.0.2")));
    r = run_prog(redirect.prog_fd(), ns_frame("fd00:19::15"));
    CHECK(r.retval == XDP_REDIRECT);
    CHECK(r.out == expected_na(kPeerMac, ip("fd00:18::2"), "fd00:19::15", true));
    CHECK(redirect.counters().arp_replies == 1);
    CHECK(redirect.counters().na_replies == 1);
    // Not a question: still passed, not redirected.
    CHECK(run_prog(redirect.prog_fd(), arp_who_has("198.18.1.21")).retval == XDP_PASS);

    // Left to Steering: lo is no veth, so XDP_TX.
    c.answer_by_redirect.reset();
    Steering automatic = load(c);
    CHECK(run_prog(automatic.prog_fd(), arp_who_has("198.18.1.15")).retval == XDP_TX);
}

TEST_CASE("steer: answering neighbours leaves steering as it was", "[steer][neigh]")
{
    Steering s = load(neigh_config());
    run_prog(s.prog_fd(), arp_who_has("198.18.1.15"));
    run_prog(s.prog_fd(), ns_frame("fd00:19::15"));
    CHECK(run_prog(s.prog_fd(), tcp4("198.18.1.15", 40000)).retval == XDP_PASS);  // ours, no socket
    CHECK(run_prog(s.prog_fd(), tcp6("fd00:19::15", 40000)).retval == XDP_PASS);
    CHECK(run_prog(s.prog_fd(), tcp4("198.18.1.15", 39999)).retval == XDP_PASS);  // not ours
    const xg_steer_counters k = s.counters();
    CHECK(k.arp_replies == 1);
    CHECK(k.na_replies == 1);
    CHECK(k.no_socket == 2);
    CHECK(k.passed == 1);
    CHECK(k.steered == 0);
}

namespace {

// The host's own TCP: real kernel sockets on loopback, whose 4-tuples the
// steering program must find (bpf_skc_lookup_tcp runs in this netns: an XDP
// PROG_RUN without an ingress ifindex runs as if on its loopback).

constexpr uint8_t kSyn = 0x02, kRst = 0x04, kAck = 0x10, kSynAck = kSyn | kAck;

struct SockAddr {
    sockaddr_storage ss{};
    socklen_t len = 0;
};

SockAddr loopback(bool v6, uint16_t port)
{
    SockAddr a;
    if (v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        s6->sin6_port = htons(port);
        a.len = sizeof(*s6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&a.ss);
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s4->sin_port = htons(port);
        a.len = sizeof(*s4);
    }
    return a;
}

uint16_t local_port(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// A listener on the loopback address, on a port the kernel picks.
Fd listener(bool v6, int backlog)
{
    Fd s(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(s.valid());
    const SockAddr a = loopback(v6, 0);
    REQUIRE(bind(s.get(), reinterpret_cast<const sockaddr*>(&a.ss), a.len) == 0);
    REQUIRE(listen(s.get(), backlog) == 0);
    return s;
}

// A connection from the loopback address to port, blocking or not.
Fd connect_to(bool v6, uint16_t port, bool nonblock = false)
{
    Fd s(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0));
    REQUIRE(s.valid());
    const SockAddr a = loopback(v6, port);
    const int r = connect(s.get(), reinterpret_cast<const sockaddr*>(&a.ss), a.len);
    REQUIRE((r == 0 || (nonblock && errno == EINPROGRESS)));
    return s;
}

// A TCP segment from the loopback address's port `from` to its port `to`.
Bytes loop_tcp(bool v6, uint16_t from, uint16_t to, uint8_t flags)
{
    Bytes seg = tcp_segment(from, to);
    seg[13] = flags;
    return v6 ? ipv6_frame({.src = ip("::1"), .dst = ip("::1"), .next_header = IPPROTO_TCP}, seg)
              : ipv4_frame({.src = ip("127.0.0.1"), .dst = ip("127.0.0.1"), .proto = IPPROTO_TCP}, seg);
}

// Steering for the loopback addresses and every port.
SteeringConfig loop_config()
{
    SteeringConfig c = config(true, false);
    c.local_v4 = ip("127.0.0.1");
    c.local_v6 = ip("::1");
    c.port_lo = 1;
    c.port_hi = 65535;
    return c;
}

enum class Verdict { Kernel, Engine, NotOurs };

Verdict verdict(const Steering& s, const Bytes& f)
{
    const xg_steer_counters before = s.counters();
    const ProgRun r = run_prog(s.prog_fd(), f);
    CHECK(r.retval == XDP_PASS);  // no socket in the map: even the engine's fall back
    CHECK(r.out == f);
    const xg_steer_counters after = s.counters();
    const uint64_t kernel = after.kernel_owned - before.kernel_owned;
    const uint64_t engine = after.no_socket - before.no_socket;
    const uint64_t other = after.passed - before.passed;
    CHECK(kernel + engine + other == 1);
    return kernel ? Verdict::Kernel : engine ? Verdict::Engine : Verdict::NotOurs;
}

}  // namespace

TEST_CASE("steer: the host's own TCP connections stay the kernel's", "[steer][kernel]")
{
    const bool v6 = GENERATE(false, true);
    INFO((v6 ? "IPv6" : "IPv4"));
    Steering s = load(loop_config());

    Fd lst = listener(v6, 16);
    const uint16_t lport = local_port(lst.get());
    Fd cli = connect_to(v6, lport);
    const uint16_t cport = local_port(cli.get());
    Fd acc(accept4(lst.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(acc.valid());

    // An established kernel connection, seen from either end.
    CHECK(verdict(s, loop_tcp(v6, lport, cport, kAck)) == Verdict::Kernel);
    CHECK(verdict(s, loop_tcp(v6, cport, lport, kAck)) == Verdict::Kernel);
    CHECK(verdict(s, loop_tcp(v6, lport, cport, kRst)) == Verdict::Kernel);
    // The same local port towards another remote port is not the kernel's.
    const uint16_t other = cport == 65535 ? 1 : cport + 1;
    CHECK(verdict(s, loop_tcp(v6, other, cport, kSynAck)) == Verdict::Engine);

    // A listener owns a new connection's SYN; the engine's client flows
    // never receive one, and anything else to that port is theirs.
    CHECK(verdict(s, loop_tcp(v6, other, lport, kSyn)) == Verdict::Kernel);
    CHECK(verdict(s, loop_tcp(v6, other, lport, kSynAck)) == Verdict::Engine);
    CHECK(verdict(s, loop_tcp(v6, other, lport, kAck)) == Verdict::Engine);

    // The client closes first: FIN-WAIT, then TIME-WAIT, both the kernel's.
    cli.reset();
    char b;
    REQUIRE(read(acc.get(), &b, 1) == 0);  // the FIN arrived
    acc.reset();
    CHECK(verdict(s, loop_tcp(v6, lport, cport, kAck)) == Verdict::Kernel);

    // Without the check, the engine gets the kernel's segments (the defect).
    SteeringConfig off = loop_config();
    off.kernel_check_lo = 1;
    off.kernel_check_hi = 0;
    Steering unchecked = load(off);
    Fd cli2 = connect_to(v6, lport);
    const uint16_t cport2 = local_port(cli2.get());
    CHECK(verdict(s, loop_tcp(v6, lport, cport2, kAck)) == Verdict::Kernel);
    CHECK(verdict(unchecked, loop_tcp(v6, lport, cport2, kAck)) == Verdict::Engine);
    // Nor when only other ports are checked.
    SteeringConfig elsewhere = loop_config();
    elsewhere.kernel_check_lo = cport2 == 65535 ? 1 : cport2 + 1;
    elsewhere.kernel_check_hi = 65535;
    Steering partly = load(elsewhere);
    CHECK(verdict(partly, loop_tcp(v6, lport, cport2, kAck)) == Verdict::Engine);
}

TEST_CASE("steer: a connection the kernel is still opening is the kernel's", "[steer][kernel]")
{
    const bool v6 = GENERATE(false, true);
    INFO((v6 ? "IPv6" : "IPv4"));
    Steering s = load(loop_config());
    // Backlog 0 takes one connection; with the accept queue full the kernel
    // drops the next SYN, and that connection stays in SYN-SENT.
    Fd lst = listener(v6, 0);
    const uint16_t lport = local_port(lst.get());
    Fd first = connect_to(v6, lport);
    Fd pending = connect_to(v6, lport, true);
    const uint16_t pport = local_port(pending.get());
    CHECK(verdict(s, loop_tcp(v6, lport, pport, kSynAck)) == Verdict::Kernel);
}

TEST_CASE("steer: a server steers its listening ports only", "[steer][kernel]")
{
    const bool v6 = GENERATE(false, true);
    INFO((v6 ? "IPv6" : "IPv4"));
    Fd lst = listener(v6, 16);
    const uint16_t lport = local_port(lst.get());
    const uint16_t ours = lport == 65535 ? lport - 1 : lport + 1;
    SteeringConfig c = loop_config();
    c.port_lo = std::min(lport, ours);
    c.port_hi = std::max(lport, ours);
    c.listen_ports = {ours};
    Steering s = load(c);
    // The kernel's server between (or beside) ours: not even looked at.
    CHECK(verdict(s, loop_tcp(v6, 4321, lport, kSyn)) == Verdict::NotOurs);
    CHECK(verdict(s, loop_tcp(v6, 4321, ours, kSyn)) == Verdict::Engine);

    // A kernel listener on one of our own listening ports: the SYNs are ours.
    c.listen_ports = {lport, ours};
    Steering both = load(c);
    CHECK(verdict(both, loop_tcp(v6, 4321, lport, kSyn)) == Verdict::Engine);
    // But not a connection the kernel accepted there.
    Fd cli = connect_to(v6, lport);
    CHECK(verdict(both, loop_tcp(v6, local_port(cli.get()), lport, kAck)) == Verdict::Kernel);

    c.listen_ports = {static_cast<uint16_t>(c.port_hi + (c.port_hi < 65535 ? 1 : -2))};
    CHECK_FALSE(Steering::load(c).ok());  // a listening port outside the range
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

    c = config(true, false);
    c.answer_neighbours = true;  // without a MAC to answer with
    auto no_mac = Steering::load(c);
    REQUIRE_FALSE(no_mac.ok());
    CHECK(no_mac.error().what.find("MAC") != std::string::npos);
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
