// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/segment_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace xdpgen {

namespace {

constexpr uint32_t kRxHeadroom = 256;  // XDP_PACKET_HEADROOM: where a received frame starts in its chunk

uint32_t rx_room(uint32_t frame_size) { return frame_size - kRxHeadroom; }

}  // namespace

SegmentPlan plan_segments(uint16_t want, uint32_t mtu, bool v6)
{
    // The peer's options come out of our MSS (RFC 6691), so a frame holds
    // the headers without options plus the MSS.
    const uint32_t l3 = v6 ? 40 : 20;
    const uint32_t headers = 14 + l3 + 20;
    const uint32_t by_mtu = (mtu ? mtu : 1500) - l3 - 20;
    SegmentPlan p;
    p.mss = static_cast<uint16_t>(std::min<uint32_t>(want, by_mtu));
    if (p.mss + headers > rx_room(2048))
        p.frame_size = 4096;
    const uint32_t fits = rx_room(p.frame_size) - headers;
    if (p.mss > fits) {
        p.note = fmt::format("--mss {} lowered to {}: one AF_XDP frame ({} bytes, {} of them the kernel's headroom) "
                             "holds a segment of at most {} bytes; the peer sends at most that much per segment",
                             p.mss, fits, p.frame_size, kRxHeadroom, fits);
        p.mss = static_cast<uint16_t>(fits);
    }
    return p;
}

}  // namespace xdpgen
