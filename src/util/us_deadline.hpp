// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A deadline in 4 bytes, for state kept per flow by the million: the low 32
// bits of its time in microseconds, 0 meaning "not armed".
//
// - Exact to the microsecond and never early: the time is rounded up, and
//   due() holds from that microsecond on, so a deadline read back with ns()
//   and checked with due() agree.
// - Unambiguous within kHorizonNs (about 35 minutes) either side of `now`:
//   the upper bits come from `now`, so every reader passes it. Whoever arms
//   one keeps it within kMaxAheadNs of now.

#include <cstdint>
#include <limits>

namespace xdpgen::util {

class UsDeadline {
public:
    static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();  // "never", as tcp::kNever
    static constexpr uint64_t kHorizonNs = (uint64_t(1) << 31) * 1000;
    // How far ahead a deadline may be armed: below the horizon, with room
    // for a reader that looks a while after it fell due.
    static constexpr uint64_t kMaxAheadNs = uint64_t(30) * 60 * 1'000'000'000;

    constexpr UsDeadline() = default;
    // A deadline at ns (kNone: not armed). Its microsecond 0 modulo 2^32
    // becomes 1: a microsecond late, once in 71 minutes.
    static UsDeadline at(uint64_t ns)
    {
        if (ns == kNone)
            return {};
        const auto us = static_cast<uint32_t>(ns / 1000 + (ns % 1000 != 0));
        return UsDeadline(us == 0 ? 1 : us);
    }

    bool armed() const { return us_ != 0; }
    void clear() { us_ = 0; }
    // Armed, and its microsecond has come.
    bool due(uint64_t now) const
    {
        return armed() && static_cast<int32_t>(static_cast<uint32_t>(now / 1000) - us_) >= 0;
    }
    // The deadline in ns, its upper bits taken from now; kNone when not armed.
    uint64_t ns(uint64_t now) const
    {
        if (!armed())
            return kNone;
        const uint64_t now_us = now / 1000;
        const int64_t ahead = static_cast<int32_t>(us_ - static_cast<uint32_t>(now_us));
        return (static_cast<uint64_t>(static_cast<int64_t>(now_us) + ahead)) * 1000;
    }

private:
    explicit constexpr UsDeadline(uint32_t us) : us_(us) {}
    uint32_t us_ = 0;
};
static_assert(sizeof(UsDeadline) == 4);

}  // namespace xdpgen::util
