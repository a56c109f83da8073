// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/tcp_frame.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

#include "net/checksum.hpp"
#include "net/udp_frame.hpp"

namespace xdpgen {
namespace {

void put16(uint8_t* p, uint16_t host) { uint16_t v = htons(host); std::memcpy(p, &v, 2); }
uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return ntohs(v); }

constexpr uint8_t kTtl = 64;

constexpr size_t kNotTcp = SIZE_MAX;
constexpr int kMaxExtHeaders = 6;

// The length of the IPv6 extension headers before TCP in the plen bytes
// after the fixed header, or kNotTcp. Skipped: hop-by-hop and destination
// options, and a routing header with no segments left (we are its final
// destination, so the fixed header's address is the pseudo header's).
// Fragments and anything else are not a segment we can read.
size_t ipv6_ext_len(const uint8_t* p, size_t plen, uint8_t next)
{
    size_t off = 0;
    for (int i = 0; i <= kMaxExtHeaders; i++) {
        if (next == IPPROTO_TCP)
            return off;
        if (next != IPPROTO_HOPOPTS && next != IPPROTO_DSTOPTS && next != IPPROTO_ROUTING)
            return kNotTcp;
        if (plen < off + 8)
            return kNotTcp;
        if (next == IPPROTO_ROUTING && p[off + 3] != 0)  // segments left
            return kNotTcp;
        next = p[off];
        off += (size_t(p[off + 1]) + 1) * 8;
    }
    return kNotTcp;
}

}  // namespace

bool write_tcp_frame_headers(std::span<uint8_t> frame, const TcpFrameEnds& e, const tcp::Segment& seg, uint16_t ip_id,
                             TcpFrameLayout& out)
{
    const bool v6 = e.dst.v6;
    const size_t l3 = v6 ? kIpv6Hdr : kIpv4Hdr;
    const size_t th = tcp::tcp_header_len(seg.opt);
    const size_t l4_len = th + seg.payload_len;
    const size_t size = kEthHdr + l3 + l4_len;
    if (size > frame.size() || l3 + l4_len > 65535)
        return false;
    uint8_t* f = frame.data();
    std::memcpy(f, e.dst_mac.b.data(), 6);
    std::memcpy(f + 6, e.src_mac.b.data(), 6);
    put16(f + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);
    uint8_t* ip = f + kEthHdr;
    if (v6) {
        std::memset(ip, 0, 8);
        ip[0] = 0x60;
        put16(ip + 4, static_cast<uint16_t>(l4_len));
        ip[6] = IPPROTO_TCP;
        ip[7] = kTtl;
        std::memcpy(ip + 8, e.src.b.data(), 16);
        std::memcpy(ip + 24, e.dst.b.data(), 16);
    } else {
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, static_cast<uint16_t>(l3 + l4_len));
        put16(ip + 4, ip_id);
        put16(ip + 6, 0x4000);  // DF, as Linux sends TCP (PMTU discovery)
        ip[8] = kTtl;
        ip[9] = IPPROTO_TCP;
        put16(ip + 10, 0);
        std::memcpy(ip + 12, e.src.b.data(), 4);
        std::memcpy(ip + 16, e.dst.b.data(), 4);
        const uint16_t c = csum_finish(csum_partial(ip, kIpv4Hdr));
        std::memcpy(ip + 10, &c, 2);  // already in memory order: the sum was taken over memory
    }
    tcp::Segment s = seg;
    s.src_port = e.src_port;
    s.dst_port = e.dst_port;
    const size_t l4_off = kEthHdr + l3;
    if (tcp::write_tcp_header(frame.subspan(l4_off, th), s) != th)
        return false;
    out = {l4_off, l4_off + th, size};
    return true;
}

void tcp_frame_finish(std::span<uint8_t> frame, const TcpFrameEnds& e, const TcpFrameLayout& layout)
{
    const size_t l4_len = layout.size - layout.l4_off;
    tcp::tcp_finish_checksum(frame.subspan(layout.l4_off, l4_len),
                             tcp::tcp_pseudo_sum(e.src, e.dst, static_cast<uint32_t>(l4_len)));
}

std::optional<TcpFrameView> parse_tcp_frame(std::span<const uint8_t> frame)
{
    if (frame.size() < kEthHdr)
        return std::nullopt;
    const uint8_t* f = frame.data();
    TcpFrameView v;
    std::memcpy(v.src_mac.b.data(), f + 6, 6);
    const uint16_t proto = get16(f + 12);
    const uint8_t* ip = f + kEthHdr;
    const size_t rest = frame.size() - kEthHdr;
    if (proto == ETH_P_IP) {
        if (rest < kIpv4Hdr || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP)
            return std::nullopt;
        const size_t ihl = (ip[0] & 0x0f) * 4u;
        const size_t tot = get16(ip + 2);
        // Fragments (MF set or an offset) never reach here: steering passes
        // them to the kernel. Checked anyway: a fragment is not a segment.
        if (ihl < kIpv4Hdr || tot > rest || tot < ihl + tcp::kTcpHdr || (get16(ip + 6) & 0x3fff))
            return std::nullopt;
        std::memcpy(v.src.b.data(), ip + 12, 4);
        std::memcpy(v.dst.b.data(), ip + 16, 4);
        v.l4 = frame.subspan(kEthHdr + ihl, tot - ihl);
    } else if (proto == ETH_P_IPV6) {
        if (rest < kIpv6Hdr || (ip[0] >> 4) != 6)
            return std::nullopt;
        const size_t plen = get16(ip + 4);
        if (plen > rest - kIpv6Hdr)
            return std::nullopt;
        const size_t ext = ipv6_ext_len(ip + kIpv6Hdr, plen, ip[6]);
        if (ext == kNotTcp || plen < ext + tcp::kTcpHdr)
            return std::nullopt;
        v.src.v6 = v.dst.v6 = true;
        std::memcpy(v.src.b.data(), ip + 8, 16);
        std::memcpy(v.dst.b.data(), ip + 24, 16);
        v.l4 = frame.subspan(kEthHdr + kIpv6Hdr + ext, plen - ext);
    } else {
        return std::nullopt;
    }
    return v;
}

}  // namespace xdpgen
