// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "frame_builder.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "net/checksum.hpp"
#include "net/udp_frame.hpp"

namespace xdpgen::test {
namespace {

constexpr uint8_t kDstMac[6] = {0x02, 0, 0, 0, 0, 0x02};
constexpr uint8_t kSrcMac[6] = {0x02, 0, 0, 0, 0, 0x01};

void put16(uint8_t* p, uint16_t host)
{
    const uint16_t v = htons(host);
    std::memcpy(p, &v, 2);
}

Bytes eth_header(uint16_t ethertype)
{
    Bytes f(kEthHdr);
    std::memcpy(f.data(), kDstMac, 6);
    std::memcpy(f.data() + 6, kSrcMac, 6);
    put16(f.data() + 12, ethertype);
    return f;
}

}  // namespace

IpAddr ip(const char* s)
{
    auto a = parse_ip(s);
    if (!a)
        throw std::invalid_argument(std::string("not an IP address: ") + s);
    return *a;
}

Bytes ipv4_frame(const Ipv4Fields& h, std::span<const uint8_t> l4)
{
    Bytes f = eth_header(ETH_P_IP);
    const size_t hlen = kIpv4Hdr + 4 * h.option_words;
    const size_t at = f.size();
    f.resize(at + hlen, 1);  // 1 = IPOPT_NOOP, the only option bytes we need
    uint8_t* ip = f.data() + at;
    ip[0] = static_cast<uint8_t>(0x40 | (hlen / 4));
    ip[1] = 0;
    put16(ip + 2, static_cast<uint16_t>(hlen + l4.size()));
    put16(ip + 4, 0x1234);
    put16(ip + 6, h.frag_off);
    ip[8] = 64;
    ip[9] = h.proto;
    put16(ip + 10, 0);
    std::memcpy(ip + 12, h.src.b.data(), 4);
    std::memcpy(ip + 16, h.dst.b.data(), 4);
    const uint16_t c = csum_finish(csum_partial(ip, hlen));
    std::memcpy(ip + 10, &c, 2);
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

namespace {

// One extension header whose next-header field is next.
Bytes ipv6_ext(const Ipv6Ext& e, uint8_t next)
{
    Bytes b(e.len, 0);
    b[0] = next;
    if (e.type == IPPROTO_FRAGMENT) {
        put16(b.data() + 2, e.frag_off);
        put16(b.data() + 6, 0x4242);  // identification
    } else if (e.type == IPPROTO_AH) {
        b[1] = static_cast<uint8_t>(e.len / 4 - 2);
    } else {
        b[1] = static_cast<uint8_t>(e.len / 8 - 1);
        // Options: PadN (at most 255 bytes of padding each) over the rest.
        for (size_t at = 2; e.type != IPPROTO_ROUTING && at + 1 < e.len;) {
            const size_t n = std::min<size_t>(e.len - at - 2, 255);
            b[at] = 1;
            b[at + 1] = static_cast<uint8_t>(n);
            at += 2 + n;
        }
    }
    return b;
}

}  // namespace

Bytes ipv6_frame(const Ipv6Fields& h, std::span<const uint8_t> l4)
{
    Bytes chain;
    for (size_t i = 0; i < h.ext.size(); i++) {
        const Bytes e = ipv6_ext(h.ext[i], i + 1 < h.ext.size() ? h.ext[i + 1].type : h.next_header);
        chain.insert(chain.end(), e.begin(), e.end());
    }
    Bytes f = eth_header(ETH_P_IPV6);
    const size_t at = f.size();
    f.resize(at + kIpv6Hdr, 0);
    uint8_t* ip = f.data() + at;
    ip[0] = 0x60;
    put16(ip + 4, static_cast<uint16_t>(chain.size() + l4.size()));
    ip[6] = h.ext.empty() ? h.next_header : h.ext.front().type;
    ip[7] = 64;
    std::memcpy(ip + 8, h.src.b.data(), 16);
    std::memcpy(ip + 24, h.dst.b.data(), 16);
    f.insert(f.end(), chain.begin(), chain.end());
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

Bytes udp_segment(uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload)
{
    Bytes s(kUdpHdr, 0);
    put16(s.data(), src_port);
    put16(s.data() + 2, dst_port);
    put16(s.data() + 4, static_cast<uint16_t>(kUdpHdr + payload.size()));
    s.insert(s.end(), payload.begin(), payload.end());
    return s;
}

Bytes tcp_segment(uint16_t src_port, uint16_t dst_port)
{
    Bytes s(20, 0);
    put16(s.data(), src_port);
    put16(s.data() + 2, dst_port);
    s[12] = 5 << 4;  // data offset: 5 words
    s[13] = 0x02;    // SYN
    put16(s.data() + 14, 65535);
    return s;
}

Bytes arp_request(const IpAddr& sender, const IpAddr& target)
{
    Bytes f = eth_header(ETH_P_ARP);
    uint8_t a[28] = {};
    put16(a, 1);          // Ethernet
    put16(a + 2, ETH_P_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);      // request
    std::memcpy(a + 8, kSrcMac, 6);
    std::memcpy(a + 14, sender.b.data(), 4);
    std::memcpy(a + 24, target.b.data(), 4);
    f.insert(f.end(), a, a + sizeof(a));
    f.resize(60, 0);
    return f;
}

Bytes vlan_tagged(std::span<const uint8_t> frame, uint16_t vid, uint16_t tpid)
{
    Bytes f(frame.begin(), frame.begin() + 12);
    uint8_t tag[4];
    put16(tag, tpid);
    put16(tag + 2, vid);
    f.insert(f.end(), tag, tag + 4);
    f.insert(f.end(), frame.begin() + 12, frame.end());
    return f;
}

xg_stamp make_stamp(uint8_t stream, uint16_t run, uint32_t seq, uint64_t tx_ns)
{
    xg_stamp s{};
    s.magic = XG_STAMP_MAGIC;
    s.stream = stream;
    s.run = run;
    s.seq = seq;
    s.tx_ns = tx_ns;
    return s;
}

Bytes stamp_payload(const xg_stamp& s, size_t filler)
{
    Bytes p(sizeof(s));
    std::memcpy(p.data(), &s, sizeof(s));
    for (size_t i = 0; i < filler; i++)
        p.push_back(udp_payload_byte(i));
    return p;
}

Bytes truncated(std::span<const uint8_t> frame, size_t len)
{
    return Bytes(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(std::min(len, frame.size())));
}

Bytes cut_consistent(std::span<const uint8_t> frame, size_t len)
{
    Bytes f = truncated(frame, len);
    if (f.size() < kEthHdr + 4)
        return f;
    uint8_t* ip = f.data() + kEthHdr;
    const size_t ip_len = f.size() - kEthHdr;
    if ((ip[0] >> 4) == 4)
        put16(ip + 2, static_cast<uint16_t>(ip_len));
    else if (ip_len >= kIpv6Hdr)
        put16(ip + 4, static_cast<uint16_t>(ip_len - kIpv6Hdr));
    return f;
}

}  // namespace xdpgen::test
