// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// SYN cookies (RFC 4987 §3.6): when the server's SYN backlog is full, the
// SYN-ACK's sequence number carries what the server would have kept — a
// coarse time, the MSS (as an index into a table) and a keyed hash of the
// 4-tuple and the client's ISN — so a flood of SYNs costs no memory, and
// the client's ACK alone proves the handshake and rebuilds the connection.
//
// Layout of the 32-bit ISN: 5 bits of time (64 s units), 3 bits of MSS
// index, 24 bits of hash. A cookie is valid in its own 64 s period and the
// next. Window scaling, SACK and timestamps cannot be remembered, so a
// connection made from a cookie offers none of them (as Linux does without
// timestamps).

#include <array>
#include <cstdint>

#include "engine/flow_table.hpp"

namespace xdpgen::engine {

class SynCookies {
public:
    static constexpr std::array<uint16_t, 8> kMss = {536, 1200, 1220, 1360, 1400, 1440, 1460, 8960};

    explicit SynCookies(uint64_t secret) : secret_(secret) {}

    // The ISN for a SYN on `key` with sequence number client_isn and MSS
    // option mss (0 = none), at time now_ns. mss_out: the MSS the cookie
    // stands for (the largest table entry not above the client's).
    uint32_t make(const FlowKey& key, uint32_t client_isn, uint16_t mss, uint64_t now_ns, uint16_t& mss_out) const
    {
        uint32_t idx = 0;
        for (uint32_t i = 0; i < kMss.size(); i++)
            if (kMss[i] <= (mss ? mss : 536))
                idx = i;
        mss_out = kMss[idx];
        const uint32_t t = period(now_ns) & 31;
        return t << 27 | idx << 24 | (hash(key, client_isn, t, idx) & 0xffffff);
    }

    // For an ACK with sequence number seq (the client's ISN + 1) and
    // acknowledgment ack (our ISN + 1): the MSS the cookie stands for, or 0
    // when it is not a valid cookie of now or the previous period.
    uint16_t check(const FlowKey& key, uint32_t seq, uint32_t ack, uint64_t now_ns) const
    {
        const uint32_t c = ack - 1;
        const uint32_t t = c >> 27, idx = (c >> 24) & 7;
        const uint32_t now_t = period(now_ns) & 31;
        if (t != now_t && t != ((now_t - 1) & 31))
            return 0;
        if ((hash(key, seq - 1, t, idx) & 0xffffff) != (c & 0xffffff))
            return 0;
        return kMss[idx];
    }

private:
    static uint32_t period(uint64_t now_ns) { return static_cast<uint32_t>(now_ns / 64'000'000'000ull); }

    // A keyed mix (splitmix64 rounds over the key words): not a MAC, but
    // without the per-run secret a sender cannot produce a valid cookie
    // other than by guessing 24 bits.
    uint64_t hash(const FlowKey& k, uint32_t isn, uint32_t t, uint32_t idx) const
    {
        uint64_t h = secret_ ^ (uint64_t(isn) << 32 | t << 8 | idx);
        auto mix = [&](uint64_t v) {
            h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
            h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
            h ^= h >> 31;
        };
        uint64_t w[3];
        static_assert(sizeof(FlowKey) == sizeof(w));
        __builtin_memcpy(w, &k, sizeof(w));
        for (uint64_t v : w)
            mix(v);
        return h;
    }

    uint64_t secret_;
};

}  // namespace xdpgen::engine
