// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A received frame through every parser that reads one: the TCP frame and
// segment parsers the engine runs per packet (the checksum verdict too), the
// ICMP error parser, and the UDP frame parser of the sink. Whatever a segment parses to must write back to a header that
// parses to the same segment (the options our writer lays out).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "net/icmp_frame.hpp"
#include "net/tcp_frame.hpp"
#include "net/udp_frame.hpp"
#include "tcp/segment.hpp"

using namespace xdpgen;
using namespace xdpgen::tcp;

namespace {

void check_round_trip(const Segment& in)
{
    std::array<uint8_t, kTcpHdr + kTcpMaxOpt> buf{};
    const size_t n = write_tcp_header(buf, in);
    FUZZ_CHECK(n >= kTcpHdr && n <= buf.size() && n % 4 == 0);
    FUZZ_CHECK(n == tcp_header_len(in.opt));
    ParsedTcp back = parse_tcp(std::span<const uint8_t>(buf.data(), n));
    FUZZ_CHECK(back.status == ParseStatus::Ok);
    FUZZ_CHECK(back.seg.payload_len == 0);
    const Segment& s = back.seg;
    FUZZ_CHECK(s.src_port == in.src_port && s.dst_port == in.dst_port);
    FUZZ_CHECK(s.seq == in.seq && s.ack == in.ack && s.flags == in.flags);
    FUZZ_CHECK(s.window == in.window && s.urgent == in.urgent);
    FUZZ_CHECK(s.opt.mss == in.opt.mss);
    FUZZ_CHECK(s.opt.wscale == in.opt.wscale);
    FUZZ_CHECK(s.opt.sack_permitted == in.opt.sack_permitted);
    FUZZ_CHECK(s.opt.has_ts == in.opt.has_ts);
    if (in.opt.has_ts)
        FUZZ_CHECK(s.opt.ts_val == in.opt.ts_val && s.opt.ts_ecr == in.opt.ts_ecr);
    // SACK blocks that do not fit beside the other options are left out,
    // never altered.
    FUZZ_CHECK(s.opt.sack_count <= in.opt.sack_count);
    for (uint8_t i = 0; i < s.opt.sack_count; ++i)
        FUZZ_CHECK(s.opt.sack[i] == in.opt.sack[i]);
}

void parse_segment(std::span<const uint8_t> l4, bool verify, uint32_t pseudo)
{
    ParsedTcp p = parse_tcp(l4, verify, pseudo);
    if (p.status != ParseStatus::Ok)
        return;
    FUZZ_CHECK(p.payload.size() == p.seg.payload_len);
    FUZZ_CHECK(p.payload.empty() || (p.payload.data() >= l4.data() && p.payload.data() + p.payload.size() == l4.data() + l4.size()));
    FUZZ_CHECK(p.seg.opt.sack_count <= kMaxSackBlocks);
    FUZZ_CHECK(p.seg.opt.wscale <= 14);
    check_round_trip(p.seg);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> in(data, size);
    if (auto v = parse_tcp_frame(in)) {
        FUZZ_CHECK(v->l4.data() >= data && v->l4.data() + v->l4.size() <= data + size);
        FUZZ_CHECK(v->l4.size() >= kTcpHdr);
        FUZZ_CHECK(v->src.v6 == v->dst.v6);
        parse_segment(v->l4, true, tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size())));
        parse_segment(v->l4, false, 0);
        (void)tcp_csum_verdict(v->l4, tcp_pseudo_sum(v->src, v->dst, static_cast<uint32_t>(v->l4.size())));
    }
    if (auto e = parse_icmp_tcp_error(in)) {
        FUZZ_CHECK(e->local.v6 == e->remote.v6);
        FUZZ_CHECK(mss_for_path_mtu(e->mtu, e->local.v6) >= (e->local.v6 ? 1220 : 512));
    }
    // The same bytes as a bare TCP segment, and as a UDP frame.
    parse_segment(in, false, 0);
    if (auto u = parse_udp_frame(in))
        FUZZ_CHECK(u->payload_len <= size);
    return 0;
}
