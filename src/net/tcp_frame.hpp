// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Ethernet + IPv4/IPv6 + TCP frames as the engine writes them into UMEM and
// reads them from the RX ring. The TCP header itself is tcp/segment's job;
// this adds the layers below it and the checksums that span them.

#include <cstdint>
#include <optional>
#include <span>

#include "net/addr.hpp"
#include "tcp/segment.hpp"

namespace xdpgen {

// Both ends of one flow as they appear in the frames we send.
struct TcpFrameEnds {
    MacAddr src_mac, dst_mac;
    IpAddr src, dst;  // same family
    uint16_t src_port = 0, dst_port = 0;
};

// Where write_tcp_frame_headers put things.
struct TcpFrameLayout {
    size_t l4_off = 0;       // TCP header
    size_t payload_off = 0;  // the segment's payload_len bytes go here
    size_t size = 0;         // whole frame
};

// Ethernet, IP and TCP headers for `seg` (ports taken from `ends`), the TCP
// checksum left for tcp_frame_finish once the payload is in place. False if
// the frame does not fit in `frame`. ip_id: the IPv4 identification field.
bool write_tcp_frame_headers(std::span<uint8_t> frame, const TcpFrameEnds& ends, const tcp::Segment& seg,
                             uint16_t ip_id, TcpFrameLayout& out);
// Computes the TCP checksum over header and payload (already written).
void tcp_frame_finish(std::span<uint8_t> frame, const TcpFrameEnds& ends, const TcpFrameLayout& layout);

// A received Ethernet frame carrying TCP over IPv4 (options allowed) or
// IPv6 (hop-by-hop, destination options and spent routing headers
// skipped), no fragments, lengths consistent. The TCP checksum is not
// checked: on veth the peer kernel hands over frames whose checksum is left
// to an offload that never runs (CHECKSUM_PARTIAL).
struct TcpFrameView {
    MacAddr src_mac;
    IpAddr src, dst;
    std::span<const uint8_t> l4;  // TCP header to end of payload
};
std::optional<TcpFrameView> parse_tcp_frame(std::span<const uint8_t> frame);

}  // namespace xdpgen
