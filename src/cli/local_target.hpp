// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Local mode from the command line: `xdpgen client http://127.0.0.1:8080/`
// with no -i, and `xdpgen server --local :8080`. The private veth pair
// (sys/local_net) is made once per process, before any thread starts; what a
// command needs from it (interface, addresses, MACs) is read from here.

#include <memory>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "net/addr.hpp"
#include "sys/local_net.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct LocalOptions {
    uint32_t queues = 0;              // 0 = 1
    std::vector<std::string> ranges;  // --local-range: at most one IPv4 CIDR and one IPv6
};

// The pair, or one sentence on what prevents it (exit 2).
Result<std::unique_ptr<local::LocalNet>> open_local_net(const LocalOptions& o);

// A client's way through the pair to `target` (an address of this host).
struct LocalClientPath {
    std::string ifname;  // the generator end
    IpAddr dst;          // what goes on the wire (::1 becomes the host end's IPv6)
    AddrRange src;       // the generator's addresses of dst's family (or --src-addr's, inside them)
    MacAddr src_mac, dst_mac;
};
// src_addr: --src-addr, "" for all of the range.
Result<LocalClientPath> local_client_path(const local::LocalNet& net, const IpAddr& target, const std::string& src_addr);

// `xdpgen server --local [ADDR]:PORT`: the generator's addresses to listen
// on (ADDR, which must be one of them, or the first of each family).
Result<std::vector<Endpoint>> local_listen(const local::LocalNet& net, const std::string& spec);

}  // namespace xdpgen
