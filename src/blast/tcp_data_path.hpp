// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// `xdpgen tcp`'s data path, as the command sees it: the engine's
// BulkHandover plus what the live lines, summary and JSON read. Two of them:
// TcpBlaster (live frames: an XDP program sends, steering reads the ACKs)
// and TcpEnginePath (the AF_XDP engine's own TCP sends each stream).

#include <cstdint>
#include <vector>

#include "engine/bulk.hpp"

namespace xdpgen {

enum class TcpCc : uint8_t { None, Reno };

class TcpDataPath : public engine::BulkHandover {
public:
    // Ends every stream where it stands (a --duration run): the flows close
    // once what they sent is acknowledged.
    virtual void stop_streams() = 0;
    // Acknowledged stream bytes of each flow adopted so far (slot order).
    virtual std::vector<uint64_t> flow_acked() const = 0;
    // Each adopted flow's goodput over its own life (adoption to its last
    // byte acknowledged, or to now), bits/s.
    virtual std::vector<double> flow_goodput(uint64_t now_ns) const = 0;
};

}  // namespace xdpgen
