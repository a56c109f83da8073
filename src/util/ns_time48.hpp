// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A time in 6 bytes, for state kept per flow by the million: the low 48 bits
// of a nanosecond clock. Exact to the nanosecond (latencies are counted from
// it) and unambiguous within kHorizonNs (about 39 hours) either side of
// `now`, which gives the upper bits: whoever keeps one keeps it no longer.

#include <cstdint>

#include "util/uint48.hpp"

namespace xdpgen::util {

class NsTime48 {
public:
    static constexpr uint64_t kHorizonNs = uint64_t(1) << 47;

    constexpr NsTime48() = default;
    explicit constexpr NsTime48(uint64_t ns) : low_(ns) {}

    // The time in full, its upper bits taken from now.
    constexpr uint64_t ns(uint64_t now) const
    {
        // The signed 48-bit distance from this time to now.
        const uint64_t d = (now - uint64_t(low_)) & kMask;
        const int64_t ahead = static_cast<int64_t>(d << 16) >> 16;
        return now - static_cast<uint64_t>(ahead);
    }

private:
    static constexpr uint64_t kMask = Uint48::kMax;
    Uint48 low_;  // the time's low 48 bits
};
static_assert(sizeof(NsTime48) == 6 && alignof(NsTime48) == 2);

}  // namespace xdpgen::util
