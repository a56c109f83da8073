// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xg_udp_blast and xg_raw_redirect (bpf/udp_blast.bpf.c): the template goes in,
// a stamped frame with valid checksums comes out, whatever the page held.

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>

#include <catch2/catch.hpp>

#include "frame_builder.hpp"
#include "prog_run.hpp"
#include "programs.hpp"

using namespace xdpgen;
using namespace xdpgen::test;

namespace {

constexpr uint16_t kRunId = 0xbeef;

struct BlastCase {
    const char* name;
    bool v6;
    size_t frame_size;
    uint16_t port_base, port_count;
    uint32_t ts_every;  // clock read once per this many frames per CPU
};

// Sizes: the smallest frame with a stamp, an odd UDP length (the checksum's
// padding byte), a full MTU. Ports: one, several, and a range ending at 65535.
// Clock: every frame, the default 8, and a count that does not divide the run.
const BlastCase kBlastCases[] = {
    {"IPv4 64 bytes, 4 ports, clock every 8", false, 64, 9000, 4, 8},
    {"IPv4 smallest frame, 1 port, clock every frame", false, 58, 7, 1, 1},
    {"IPv4 odd length, 3 ports, clock every 3", false, 101, 1, 3, 3},
    {"IPv4 1514 bytes, ports up to 65535, clock every frame", false, 1514, 65530, 6, 1},
    {"IPv6 smallest frame, 3 ports, clock every 8", true, 78, 9000, 3, 8},
    {"IPv6 odd length, 2 ports, clock every frame", true, 79, 4000, 2, 1},
    {"IPv6 1514 bytes, port 65535, clock every 7", true, 1514, 65535, 1, 7},
};

UdpFrameSpec frame_spec(bool v6, size_t size, uint16_t dst_port)
{
    UdpFrameSpec s;
    s.src_mac.b = {0x02, 0, 0, 0, 0, 0x01};
    s.dst_mac.b = {0x02, 0, 0, 0, 0, 0x02};
    s.src = ip(v6 ? "fd00::1" : "10.0.0.1");
    s.dst = ip(v6 ? "fd00::2" : "10.0.0.2");
    s.src_port = 4321;
    s.dst_port = dst_port;
    s.frame_size = size;
    return s;
}

struct Varied {
    size_t offset, len;
};

// The bytes the blaster owns: IPv4 id and checksum, UDP destination port and
// checksum, the stamp. Everything else must leave exactly as the template.
std::vector<Varied> varied_fields(bool v6)
{
    const size_t l4 = kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr);
    std::vector<Varied> v = {{l4 + 2, 2}, {l4 + 6, 2}, {l4 + kUdpHdr, sizeof(xg_stamp)}};
    if (!v6) {
        v.push_back({kEthHdr + 4, 2});
        v.push_back({kEthHdr + 10, 2});
    }
    return v;
}

Bytes with_varied(std::span<const uint8_t> frame, bool v6, uint8_t fill)
{
    Bytes f(frame.begin(), frame.end());
    for (auto [off, len] : varied_fields(v6))
        std::memset(f.data() + off, fill, len);
    return f;
}

// Per CPU, what one repetition's stamp must say about time.
struct ClockState {
    uint32_t ts_every;
    uint64_t frames = 0;   // stamped so far on this CPU
    uint64_t last_tx = 0;
};

// One repetition's output, as a receiver and the sink would check it.
void check_stamped(const BlastCase& c, const UdpTemplate& tmpl, const ProgRun& run, uint64_t seq, int cpu,
                   uint64_t t0, uint64_t t1, ClockState& clk)
{
    INFO("repetition " << seq);
    REQUIRE(run.retval == XDP_REDIRECT);
    REQUIRE(run.out.size() == tmpl.frame.size());
    CHECK(with_varied(run.out, c.v6, 0) == tmpl.frame);

    auto p = parse_udp_frame(run.out);
    REQUIRE(p);
    CHECK(p->ip_csum_ok);
    CHECK(p->udp_csum_ok);
    CHECK(p->src_port == 4321);
    CHECK(p->dst_port == c.port_base + seq % c.port_count);
    if (!c.v6)
        CHECK(p->ip_id == static_cast<uint16_t>(seq));

    REQUIRE(p->stamp);
    const xg_stamp& st = *p->stamp;
    CHECK(st.magic == XG_STAMP_MAGIC);
    CHECK(st.run == kRunId);
    CHECK(st.seq == static_cast<uint32_t>(seq));
    CHECK(st.stream == static_cast<uint8_t>(cpu));

    // The clock is read for the first frame of every ts_every (during this
    // run); the frames between carry that reading unchanged.
    if (clk.frames++ % clk.ts_every == 0) {
        CHECK(st.tx_ns + kClockSlackNs >= t0);
        CHECK(st.tx_ns <= t1 + kClockSlackNs);
        CHECK(st.tx_ns >= clk.last_tx);  // one CPU, one clock: never backwards
    } else {
        CHECK(st.tx_ns == clk.last_tx);
    }
    clk.last_tx = st.tx_ns;
}

ProgRun timed_run(int fd, std::span<const uint8_t> frame, uint64_t& t0, uint64_t& t1)
{
    t0 = monotonic_ns();
    ProgRun r = run_prog(fd, frame);
    t1 = monotonic_ns();
    return r;
}

}  // namespace

TEST_CASE("udp_blast stamps each repetition and keeps the checksums valid", "[blast]")
{
    CpuPin pin(highest_allowed_cpu());

    for (const auto& c : kBlastCases) {
        DYNAMIC_SECTION(c.name)
        {
            auto b = load_blast(frame_spec(c.v6, c.frame_size, c.port_base), c.port_count, kRunId, loopback_ifindex(),
                                c.ts_every);
            const int fd = bpf_program__fd(b.skel->progs.xg_udp_blast);
            // Two full port cycles at least, so the wrap back to port_base is seen.
            const unsigned n = std::max(20u, 2u * c.port_count + 1);
            uint64_t seq = 0, t0 = 0, t1 = 0;
            ClockState clk{c.ts_every};
            Bytes prev;

            // What a fresh live-frames page holds: the template.
            for (unsigned i = 0; i < n; i++, seq++) {
                ProgRun r = timed_run(fd, b.tmpl.frame, t0, t1);
                check_stamped(c, b.tmpl, r, seq, pin.cpu(), t0, t1, clk);
                prev = std::move(r.out);
            }
            // What a recycled page holds: the previous repetition's output. The
            // checksums must come from the rodata baseline, not the page.
            for (unsigned i = 0; i < n; i++, seq++) {
                ProgRun r = timed_run(fd, prev, t0, t1);
                check_stamped(c, b.tmpl, r, seq, pin.cpu(), t0, t1, clk);
                prev = std::move(r.out);
            }
            // Any bytes at all in the fields the program owns.
            for (uint8_t fill : {uint8_t{0xff}, uint8_t{0x5a}}) {
                ProgRun r = timed_run(fd, with_varied(b.tmpl.frame, c.v6, fill), t0, t1);
                check_stamped(c, b.tmpl, r, seq++, pin.cpu(), t0, t1, clk);
            }
        }
    }
}

TEST_CASE("udp_blast aborts a frame too short for the stamp", "[blast]")
{
    struct Short {
        const char* name;
        bool v6;
        size_t len;
    };
    const Short cases[] = {
        {"IPv4 stamp one byte short", false, 57},
        {"IPv4 headers only", false, kEthHdr + kIpv4Hdr + kUdpHdr},
        {"IPv4 header cut", false, kEthHdr + 10},
        {"Ethernet header only", false, kEthHdr},
        {"IPv6 stamp one byte short", true, 77},
        {"IPv6 headers only", true, kEthHdr + kIpv6Hdr + kUdpHdr},
        {"IPv6 header cut", true, kEthHdr + 20},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.name)
        {
            auto b = load_blast(frame_spec(c.v6, udp_frame_min_size(c.v6), 9000), 1, kRunId, loopback_ifindex(), 1);
            const ProgRun r = run_prog(bpf_program__fd(b.skel->progs.xg_udp_blast), truncated(b.tmpl.frame, c.len));
            CHECK(r.retval == XDP_ABORTED);
        }
    }
}

TEST_CASE("raw_redirect redirects the frame unchanged", "[blast]")
{
    auto b4 = load_blast(frame_spec(false, 64, 9000), 1, kRunId, loopback_ifindex(), 1);
    const Bytes v6 = build_udp_template(frame_spec(true, 128, 9000)).value().frame;
    const Bytes arp = arp_request(ip("10.0.0.1"), ip("10.0.0.2"));
    const int fd = bpf_program__fd(b4.skel->progs.xg_raw_redirect);

    for (const Bytes& f : {b4.tmpl.frame, v6, arp}) {
        const ProgRun r = run_prog(fd, f);
        CHECK(r.retval == XDP_REDIRECT);
        CHECK(r.out == f);
    }
}
