// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/icmp_frame.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"
#include "net/udp_frame.hpp"

namespace xdpgen {
namespace {

uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return ntohs(v); }
uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return ntohl(v); }

constexpr size_t kIcmpHdr = 8;
constexpr size_t kQuotedL4 = 8;  // what RFC 792 promises of the datagram: ports and sequence number
constexpr uint8_t kIcmpUnreach = 3, kIcmpFragNeeded = 4;
constexpr uint8_t kIcmp6Unreach = 1, kIcmp6TooBig = 2;

// The quoted TCP ports and sequence number, which start the quoted L4 header.
void read_quoted_tcp(const uint8_t* l4, IcmpTcpError& e)
{
    e.local_port = get16(l4);
    e.remote_port = get16(l4 + 2);
    e.seq = get32(l4 + 4);
}

std::optional<IcmpTcpError> parse_v4(const uint8_t* ip, size_t rest)
{
    if (rest < kIpv4Hdr || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_ICMP || (get16(ip + 6) & 0x3fff))
        return std::nullopt;
    const size_t ihl = (ip[0] & 0x0f) * 4u, tot = get16(ip + 2);
    if (ihl < kIpv4Hdr || tot > rest || tot < ihl + kIcmpHdr + kIpv4Hdr + kQuotedL4)
        return std::nullopt;
    const uint8_t* icmp = ip + ihl;
    const size_t icmp_len = tot - ihl;
    if (icmp[0] != kIcmpUnreach)
        return std::nullopt;
    const uint8_t* q = icmp + kIcmpHdr;
    const size_t q_ihl = (q[0] & 0x0f) * 4u;
    if ((q[0] >> 4) != 4 || q[9] != IPPROTO_TCP || q_ihl < kIpv4Hdr || kIcmpHdr + q_ihl + kQuotedL4 > icmp_len)
        return std::nullopt;
    IcmpTcpError e;
    e.too_big = icmp[1] == kIcmpFragNeeded;
    e.mtu = get16(icmp + 6);
    e.local.v6 = e.remote.v6 = false;
    std::memcpy(e.local.b.data(), q + 12, 4);
    std::memcpy(e.remote.b.data(), q + 16, 4);
    read_quoted_tcp(q + q_ihl, e);
    e.csum_ok = csum_fold(csum_partial(icmp, icmp_len)) == 0xffff;
    return e;
}

std::optional<IcmpTcpError> parse_v6(const uint8_t* ip, size_t rest)
{
    if (rest < kIpv6Hdr || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_ICMPV6)
        return std::nullopt;
    const size_t plen = get16(ip + 4);
    if (plen > rest - kIpv6Hdr || plen < kIcmpHdr + kIpv6Hdr + kQuotedL4)
        return std::nullopt;
    const uint8_t* icmp = ip + kIpv6Hdr;
    if (icmp[0] != kIcmp6Unreach && icmp[0] != kIcmp6TooBig)
        return std::nullopt;
    const uint8_t* q = icmp + kIcmpHdr;
    // The segment right after the quoted fixed header: we send no extension headers.
    if ((q[0] >> 4) != 6 || q[6] != IPPROTO_TCP)
        return std::nullopt;
    IcmpTcpError e;
    e.too_big = icmp[0] == kIcmp6TooBig;
    e.mtu = get32(icmp + 4);
    e.local.v6 = e.remote.v6 = true;
    std::memcpy(e.local.b.data(), q + 8, 16);
    std::memcpy(e.remote.b.data(), q + 24, 16);
    read_quoted_tcp(q + kIpv6Hdr, e);
    IpAddr src, dst;
    src.v6 = dst.v6 = true;
    std::memcpy(src.b.data(), ip + 8, 16);
    std::memcpy(dst.b.data(), ip + 24, 16);
    e.csum_ok = csum_fold(uint64_t(csum_partial(icmp, plen)) + csum_pseudo_header(src, dst, IPPROTO_ICMPV6, static_cast<uint32_t>(plen))) == 0xffff;
    return e;
}

}  // namespace

uint16_t mss_for_path_mtu(uint32_t mtu, bool v6)
{
    constexpr uint32_t kTcpHdr = 20;
    const uint32_t floor = v6 ? 1280 : 552;
    const uint32_t l3 = v6 ? kIpv6Hdr : kIpv4Hdr;
    return static_cast<uint16_t>(std::min<uint32_t>(std::max(mtu, floor), 65535) - l3 - kTcpHdr);
}

std::optional<IcmpTcpError> parse_icmp_tcp_error(std::span<const uint8_t> frame)
{
    if (frame.size() < kEthHdr)
        return std::nullopt;
    const uint16_t proto = get16(frame.data() + 12);
    const uint8_t* ip = frame.data() + kEthHdr;
    const size_t rest = frame.size() - kEthHdr;
    if (proto == ETH_P_IP)
        return parse_v4(ip, rest);
    if (proto == ETH_P_IPV6)
        return parse_v6(ip, rest);
    return std::nullopt;
}

}  // namespace xdpgen
