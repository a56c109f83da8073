// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Frames the UDP template cannot express: other protocols, fragments, IP
// options, payloads too short for a stamp, truncation. Only the IPv4 header
// checksum is filled in: the sink reads no L4 checksum (the kernel checks it
// after XDP_PASS), so UDP and TCP checksums stay zero.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "net/addr.hpp"
#include "prog_run.hpp"
#include "xdpgen/abi.h"

namespace xdpgen::test {

// Parses a literal address; throws on a typo in a test.
IpAddr ip(const char* s);

struct Ipv4Fields {
    IpAddr src, dst;
    uint8_t proto = IPPROTO_UDP;
    uint16_t frag_off = 0;    // host order: DF 0x4000 | MF 0x2000 | offset in 8-byte units
    size_t option_words = 0;  // 32-bit words of IP options (NOPs) after the fixed header
};

// An IPv6 extension header: hop-by-hop, routing, destination options (len
// bytes, a multiple of 8, padded with PadN), AH (len bytes, a multiple of 4)
// or fragment (8 bytes, frag_off as on the wire: offset << 3 | M).
struct Ipv6Ext {
    uint8_t type;
    size_t len = 8;
    uint16_t frag_off = 0;
};

struct Ipv6Fields {
    IpAddr src, dst;
    uint8_t next_header = IPPROTO_UDP;  // the L4 protocol, after any extension headers
    std::vector<Ipv6Ext> ext = {};      // in order, chained by their next-header fields
};

// Ethernet + IPv4/IPv6 header + l4, lengths consistent.
Bytes ipv4_frame(const Ipv4Fields& ip, std::span<const uint8_t> l4);
Bytes ipv6_frame(const Ipv6Fields& ip, std::span<const uint8_t> l4);
// A UDP header (length consistent) followed by the payload.
Bytes udp_segment(uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload);
// A 20-byte TCP SYN header.
Bytes tcp_segment(uint16_t src_port, uint16_t dst_port);
// An ARP who-has, padded to the Ethernet minimum.
Bytes arp_request(const IpAddr& sender, const IpAddr& target);
// The frame with a VLAN tag (802.1Q, or tpid 0x88a8 for 802.1ad) inserted
// after the MAC addresses, outside any tag already there.
Bytes vlan_tagged(std::span<const uint8_t> frame, uint16_t vid, uint16_t tpid = 0x8100);

// The stamp as the blaster writes it (host order), then `filler` payload bytes.
Bytes stamp_payload(const xg_stamp& s, size_t filler = 0);
xg_stamp make_stamp(uint8_t stream, uint16_t run, uint32_t seq, uint64_t tx_ns);

// The first len bytes of a frame.
Bytes truncated(std::span<const uint8_t> frame, size_t len);
// The first len bytes of an untagged IPv4/IPv6 frame, its IP length field
// rewritten to match: cut short, yet consistent, so that what a parser
// meets first is the cut inside the headers.
Bytes cut_consistent(std::span<const uint8_t> frame, size_t len);

}  // namespace xdpgen::test
