// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A deterministic PRNG (splitmix64) for the randomised tests: the same run
// on every machine and standard library, so a failure reproduces exactly.

#include <cstdint>

namespace xdpgen::engine::test {

struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next()
    {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform enough in [0, n) for test purposes (n much smaller than 2^64).
    uint64_t below(uint64_t n) { return next() % n; }
};

}  // namespace xdpgen::engine::test
