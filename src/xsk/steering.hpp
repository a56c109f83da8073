// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The steering XDP program (bpf/steer.bpf.c) loaded with the generator's
// addresses and ports, attached to the interface as a bpf_link, and the
// XSKMAP entry of each queue's AF_XDP socket.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tcp/segment.hpp"
#include "bpf/skel.hpp"
#include "bpf/xdp_link.hpp"
#include "net/addr.hpp"
#include "steer.skel.h"
#include "util/result.hpp"
#include "xdpgen/abi.h"

namespace xdpgen {

// `xdpgen tcp`: the flow maps of the live-frames sender, which the steering
// program shares to read the ACKs of its flows (bpf/tcp_flow.bpf.h).
struct TcpBulkMaps {
    int flows_fd = -1;
    int ids_fd = -1;
    int ack_counters_fd = -1;
    uint32_t max_flows = 1;
};

struct SteeringConfig {
    std::string ifname;
    int ifindex = 0;
    XdpMode mode = XdpMode::Native;  // AF_XDP on veth needs native (driver) mode
    std::optional<IpAddr> local_v4;  // at least one address
    std::optional<IpAddr> local_v6;
    uint32_t local_v4_count = 1;     // consecutive addresses from local_v4 (the last 32 bits for IPv6)
    uint32_t local_v6_count = 1;
    uint16_t port_lo = 0;            // inclusive range of local ports
    uint16_t port_hi = 0;
    // Server role: steer only these of port_lo..port_hi (empty = all of them).
    std::vector<uint16_t> listen_ports;
    // TCP to these local ports is passed to the kernel when the kernel owns
    // its connection (see bpf/steer.bpf.c); an empty range (lo > hi) turns the
    // check off.
    uint16_t kernel_check_lo = 0;
    uint16_t kernel_check_hi = 65535;
    bool tcp = false;                // at least one protocol
    bool udp = false;
    uint32_t queues = 1;             // XSKMAP entries, one per RX queue
    // Answer ARP and neighbour solicitation for the local ranges as `mac`:
    // for addresses the interface lacks, no kernel answers for them.
    bool answer_neighbours = false;
    MacAddr mac;                     // required (non-zero) with answer_neighbours
    // How answers leave: a redirect to the interface itself (true) or
    // XDP_TX (false). Unset: a redirect on veth, where XDP_TX frames reach
    // the peer only if it runs an XDP program (see bpf/steer.bpf.c).
    std::optional<bool> answer_by_redirect;
    // Consume the pure ACKs of these flows (the rest of their segments are steered as usual).
    std::optional<TcpBulkMaps> bulk;
    // Which checksums of those ACKs are checked (--rx-csum, as the engine does).
    tcp::CsumCheck rx_csum = tcp::CsumCheck::Auto;
};

class Steering {
public:
    // Loads the program (not yet attached).
    static Result<Steering> load(const SteeringConfig& cfg);

    // Puts a socket in the map at its queue; frames of that queue that match
    // go to it from then on.
    Status add_socket(uint32_t queue, int xsk_fd);
    // Attaches the program; detached when the Steering is destroyed or detach().
    Status attach();
    void detach() { link_.detach(); }

    bool attached() const { return link_.attached(); }
    xg_steer_counters counters() const;
    // Local ports the kernel owns a connection on, bit p of word p / 64
    // (bpf/steer.bpf.c sets them as it sees their segments).
    const uint64_t* kernel_ports() const;
    void mark_kernel_port(uint16_t port);
    int prog_fd() const;

private:
    Steering() = default;

    SteeringConfig cfg_;
    SkelPtr<xg_steer> skel_;
    XdpLink link_;  // declared last: detached before the program and map go
};

}  // namespace xdpgen
