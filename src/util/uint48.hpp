// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// An unsigned 48-bit value in 6 bytes (alignment 2), for state kept per flow
// by the million: stands for a uint64_t, keeping its low 48 bits.

#include <cstdint>

namespace xdpgen::util {

class Uint48 {
public:
    static constexpr uint64_t kMax = (uint64_t(1) << 48) - 1;
    constexpr Uint48() = default;
    constexpr Uint48(uint64_t v) { set(v); }  // NOLINT: stands for a uint64_t
    constexpr operator uint64_t() const
    {
        return uint64_t(w_[0]) | uint64_t(w_[1]) << 16 | uint64_t(w_[2]) << 32;
    }
    constexpr Uint48& operator+=(uint64_t d)
    {
        set(uint64_t(*this) + d);
        return *this;
    }

private:
    constexpr void set(uint64_t v)
    {
        w_[0] = static_cast<uint16_t>(v);
        w_[1] = static_cast<uint16_t>(v >> 16);
        w_[2] = static_cast<uint16_t>(v >> 32);
    }
    uint16_t w_[3] = {0, 0, 0};
};
static_assert(sizeof(Uint48) == 6 && alignof(Uint48) == 2);

}  // namespace xdpgen::util
