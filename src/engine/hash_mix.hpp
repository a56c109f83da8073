// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The engine's seeded hashing of small keys.

#include <cstdint>

namespace xdpgen::engine {

// 64x64 -> 128 multiply folded to 64 bits (as in wyhash): one instruction
// pair on x86-64 that mixes every input bit into every output bit.
__extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet

inline uint64_t mum(uint64_t a, uint64_t b)
{
    const u128 r = static_cast<u128>(a) * b;
    return uint64_t(r) ^ uint64_t(r >> 64);
}

inline constexpr uint64_t kMixP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kMixP1 = 0xe7037ed1a0b428dbull;
inline constexpr uint64_t kMixP2 = 0x8ebc6af09c88c6e3ull;
inline constexpr uint64_t kMixP3 = 0x589965cc75374cc3ull;

}  // namespace xdpgen::engine
