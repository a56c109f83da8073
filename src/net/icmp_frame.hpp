// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// ICMP and ICMPv6 errors about a TCP segment we sent: the only ICMP that
// steering hands the engine (bpf/steer.bpf.c), so that a smaller path MTU
// is not a black hole (RFC 1191, RFC 8201).

#include <cstdint>
#include <optional>
#include <span>

#include "net/addr.hpp"

namespace xdpgen {

struct IcmpTcpError {
    bool too_big = false;  // fragmentation needed (ICMP 3/4) or packet too big (ICMPv6 2)
    uint32_t mtu = 0;      // too_big: the MTU of the next hop
    IpAddr local, remote;  // the quoted segment's source (ours) and destination
    uint16_t local_port = 0, remote_port = 0;
    uint32_t seq = 0;      // the quoted segment's sequence number
    bool csum_ok = false;  // the ICMP checksum (errors are built whole, never offloaded)
};

// An Ethernet frame carrying ICMP destination unreachable (any code) or
// ICMPv6 destination unreachable / packet too big, quoting an IP header and
// at least the first 8 bytes of a TCP segment. Anything else: nullopt.
std::optional<IcmpTcpError> parse_icmp_tcp_error(std::span<const uint8_t> frame);

// The TCP MSS (no options) that fits a path MTU, with the floors Linux keeps:
// 552 for IPv4 (min_pmtu), 1280 for IPv6 (RFC 8201 §4: a smaller one is
// not believed).
uint16_t mss_for_path_mtu(uint32_t mtu, bool v6);

}  // namespace xdpgen
