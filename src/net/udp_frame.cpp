// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "net/udp_frame.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <cstring>

#include <fmt/format.h>

#include "net/checksum.hpp"

namespace xdpgen {
namespace {

void put16(uint8_t* p, uint16_t host) { uint16_t v = htons(host); std::memcpy(p, &v, 2); }
uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return ntohs(v); }

}  // namespace

size_t udp_frame_min_size(bool v6)
{
    return kEthHdr + (v6 ? kIpv6Hdr : kIpv4Hdr) + kUdpHdr + sizeof(xg_stamp);
}

uint8_t udp_payload_byte(size_t i)
{
    static constexpr char kPattern[] = "xdpgen udp payload 0123456789 ";
    return static_cast<uint8_t>(kPattern[i % (sizeof(kPattern) - 1)]);
}

Result<UdpTemplate> build_udp_template(const UdpFrameSpec& s)
{
    if (s.src.v6 != s.dst.v6)
        return make_error("source and destination addresses are of different families");
    const bool v6 = s.dst.v6;
    const size_t l3 = v6 ? kIpv6Hdr : kIpv4Hdr;
    if (s.frame_size < udp_frame_min_size(v6))
        return make_error(fmt::format("packet size {} is too small: an {} frame with xdpgen's stamp needs at least {} bytes",
                                      s.frame_size, v6 ? "IPv6" : "IPv4", udp_frame_min_size(v6)));
    if (s.frame_size > 65535 + kEthHdr)
        return make_error(fmt::format("packet size {} is too large", s.frame_size));

    UdpTemplate t;
    t.frame.assign(s.frame_size, 0);
    uint8_t* f = t.frame.data();
    std::memcpy(f, s.dst_mac.b.data(), 6);
    std::memcpy(f + 6, s.src_mac.b.data(), 6);
    put16(f + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);

    uint8_t* ip = f + kEthHdr;
    const size_t udp_len = s.frame_size - kEthHdr - l3;
    if (v6) {
        ip[0] = 0x60;
        put16(ip + 4, static_cast<uint16_t>(udp_len));
        ip[6] = IPPROTO_UDP;
        ip[7] = s.ttl;
        std::memcpy(ip + 8, s.src.b.data(), 16);
        std::memcpy(ip + 24, s.dst.b.data(), 16);
    } else {
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(l3 + udp_len));
        ip[8] = s.ttl;
        ip[9] = IPPROTO_UDP;
        std::memcpy(ip + 12, s.src.b.data(), 4);
        std::memcpy(ip + 16, s.dst.b.data(), 4);
        t.ip_csum_base = csum_partial(ip, kIpv4Hdr);
    }

    uint8_t* udp = ip + l3;
    put16(udp, s.src_port);  // the destination port is the blaster's to write
    put16(udp + 4, static_cast<uint16_t>(udp_len));
    uint8_t* payload = udp + kUdpHdr + sizeof(xg_stamp);
    const size_t fill = udp_len - kUdpHdr - sizeof(xg_stamp);
    for (size_t i = 0; i < fill; i++)
        payload[i] = udp_payload_byte(i);

    t.udp_csum_base = csum_partial(udp, udp_len, csum_pseudo_header(s.src, s.dst, IPPROTO_UDP, static_cast<uint32_t>(udp_len)));
    return t;
}

std::optional<ParsedUdp> parse_udp_frame(std::span<const uint8_t> frame)
{
    ParsedUdp r;
    const uint8_t* f = frame.data();
    if (frame.size() < kEthHdr)
        return std::nullopt;
    std::memcpy(r.dst_mac.b.data(), f, 6);
    std::memcpy(r.src_mac.b.data(), f + 6, 6);
    const uint16_t proto = get16(f + 12);
    const uint8_t* ip = f + kEthHdr;
    const size_t rest = frame.size() - kEthHdr;
    size_t udp_len;
    const uint8_t* udp;

    if (proto == ETH_P_IP) {
        if (rest < kIpv4Hdr || ip[0] != 0x45 || ip[9] != IPPROTO_UDP)
            return std::nullopt;
        const size_t tot = get16(ip + 2);
        if (tot > rest || tot < kIpv4Hdr + kUdpHdr)
            return std::nullopt;
        r.ip_id = get16(ip + 4);
        r.ip_csum_ok = csum_fold(csum_partial(ip, kIpv4Hdr)) == 0xffff;
        std::memcpy(r.src.b.data(), ip + 12, 4);
        std::memcpy(r.dst.b.data(), ip + 16, 4);
        udp = ip + kIpv4Hdr;
        udp_len = tot - kIpv4Hdr;
    } else if (proto == ETH_P_IPV6) {
        if (rest < kIpv6Hdr || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP)
            return std::nullopt;
        udp_len = get16(ip + 4);
        if (udp_len > rest - kIpv6Hdr || udp_len < kUdpHdr)
            return std::nullopt;
        r.src.v6 = r.dst.v6 = true;
        std::memcpy(r.src.b.data(), ip + 8, 16);
        std::memcpy(r.dst.b.data(), ip + 24, 16);
        udp = ip + kIpv6Hdr;
    } else {
        return std::nullopt;
    }
    if (get16(udp + 4) != udp_len)
        return std::nullopt;
    r.src_port = get16(udp);
    r.dst_port = get16(udp + 2);
    const uint16_t wire_csum = get16(udp + 6);
    r.udp_csum_ok = (wire_csum == 0 && !r.src.v6) ||
                    csum_fold(csum_partial(udp, udp_len, csum_pseudo_header(r.src, r.dst, IPPROTO_UDP, static_cast<uint32_t>(udp_len)))) == 0xffff;
    r.payload_len = udp_len - kUdpHdr;
    if (r.payload_len >= sizeof(xg_stamp) && udp[kUdpHdr] == XG_STAMP_MAGIC) {
        xg_stamp st;
        std::memcpy(&st, udp + kUdpHdr, sizeof(st));
        r.stamp = st;
    }
    return r;
}

}  // namespace xdpgen
