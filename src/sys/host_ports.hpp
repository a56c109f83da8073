// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The local ports of the kernel's own TCP/UDP in this network namespace:
// the ephemeral range it picks from (net.ipv4.ip_local_port_range, which
// IPv6 uses too) and the ports it must not pick unless asked
// (net.ipv4.ip_local_reserved_ports). A generator's range that meets them
// shares ports with the host's own connections; the steering program keeps
// those the kernel's (bpf/steer.bpf.c), and the user is told once.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace xdpgen {

struct HostPorts {
    uint16_t ephemeral_lo = 32768, ephemeral_hi = 60999;
    struct Range {
        uint16_t lo, hi;
    };
    std::vector<Range> reserved;  // ascending, as the sysctl lists them

    bool is_reserved(uint16_t port) const;
};

// From /proc/sys/net/ipv4 of the caller's network namespace.
Result<HostPorts> read_host_ports();
// Parses the two sysctls' texts ("32768\t60999", "8080,9000-9010" or "").
Result<HostPorts> parse_host_ports(std::string_view port_range, std::string_view reserved);

// One line for the user when the local ports lo..hi of `what` ("local ports
// 10000-59999", "listening port 40000") meet the kernel's ephemeral or
// reserved ports; nullopt when they do not.
std::optional<std::string> host_port_note(const HostPorts& h, uint16_t lo, uint16_t hi, std::string_view what);
// The same for a set of ports (a server's listening ports).
std::optional<std::string> host_port_note(const HostPorts& h, const std::vector<uint16_t>& ports);

// The local ports of the kernel's TCP sockets in the caller's network
// namespace, listeners left out (/proc/net/tcp and tcp6).
Result<std::vector<uint16_t>> kernel_tcp_ports();

// Reads the sysctls and returns the note for lo..hi (or for `ports` when
// not empty); when they cannot be read, a note saying so.
std::optional<std::string> host_port_notice(uint16_t lo, uint16_t hi, std::string_view what,
                                            const std::vector<uint16_t>& ports = {});

}  // namespace xdpgen
