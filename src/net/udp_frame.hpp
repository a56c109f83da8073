// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The UDP template frame handed to the blaster, and a parser that checks
// frames the way a receiver would (used by tests and the sink's self-check).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/addr.hpp"
#include "util/result.hpp"
#include "xdpgen/abi.h"

namespace xdpgen {

inline constexpr size_t kEthHdr = 14, kIpv4Hdr = 20, kIpv6Hdr = 40, kUdpHdr = 8;

struct UdpFrameSpec {
    MacAddr src_mac, dst_mac;
    IpAddr src, dst;  // same family
    uint16_t src_port = 0, dst_port = 0;
    size_t frame_size = 64;  // Ethernet header to end of payload, without FCS
    uint8_t ttl = 64;
};

// Smallest frame that carries the stamp.
size_t udp_frame_min_size(bool v6);

struct UdpTemplate {
    // The frame with the fields the blaster varies (destination port, IPv4 id,
    // stamp) and both checksums at zero.
    std::vector<uint8_t> frame;
    // Folded one's complement sums over that frame: UDP pseudo header + UDP
    // header + payload, and the IPv4 header.
    uint32_t udp_csum_base = 0;
    uint32_t ip_csum_base = 0;
};

Result<UdpTemplate> build_udp_template(const UdpFrameSpec& spec);

// The byte at payload offset i (after the stamp): a fixed, printable pattern.
uint8_t udp_payload_byte(size_t i);

struct ParsedUdp {
    MacAddr src_mac, dst_mac;
    IpAddr src, dst;
    uint16_t src_port = 0, dst_port = 0;
    uint16_t ip_id = 0;
    bool ip_csum_ok = true;  // always true for IPv6 (no header checksum)
    bool udp_csum_ok = false;
    std::optional<xg_stamp> stamp;  // when the payload carries one
    size_t payload_len = 0;
};

// nullopt unless the frame is Ethernet + IPv4/IPv6 + UDP with consistent lengths.
std::optional<ParsedUdp> parse_udp_frame(std::span<const uint8_t> frame);

}  // namespace xdpgen
