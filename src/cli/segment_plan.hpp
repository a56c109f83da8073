// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The segment size a TCP command announces and the UMEM frame that holds
// it: capped by the MTU and by what one AF_XDP frame receives (a frame is
// one page at most, its first 256 bytes the kernel's headroom).

#include <cstdint>
#include <string>

namespace xdpgen {

struct SegmentPlan {
    uint16_t mss = 0;
    uint32_t frame_size = 2048;  // UMEM chunk: 2048, or 4096 when the segments need it
    std::string note;            // set when the MSS asked for was lowered to fit a frame
};

// want: --mss; mtu: the interface's (0 = 1500); v6: IPv6 headers (the larger) count.
SegmentPlan plan_segments(uint16_t want, uint32_t mtu, bool v6);

}  // namespace xdpgen
