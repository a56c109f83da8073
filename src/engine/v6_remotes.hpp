// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The IPv6 remote addresses of a FlowTable's flows, each stored once with a
// count of the flows using it, so a flow's stored key holds a 32-bit index
// instead of 16 bytes (a client's flows share one server address; a
// server's share their clients' addresses).
//
// Fixed capacity (one address per flow at most), nothing allocated after
// the first use, and memory only as it is used: entries are handed out
// from a high-water mark, and the slot array comes zeroed from calloc, whose
// large blocks are fresh pages the kernel maps on first write. Slots hold
// {32-bit hash, index + 1} with linear probing and backward-shift deletion.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace xdpgen::engine {

class V6Remotes {
public:
    static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    using Addr = std::array<uint8_t, 16>;

    V6Remotes(uint32_t capacity, uint64_t seed);

    // The address's index, or kNone when no flow uses it.
    uint32_t find(const Addr& a) const;
    // The address's index, its count of users one more; added when new.
    // kNone only past `capacity` distinct addresses (a caller's bug: each
    // flow holds at most one).
    uint32_t acquire(const Addr& a);
    // One user fewer; the address goes when none is left.
    void release(uint32_t index);
    const Addr& addr(uint32_t index) const { return entries_[index].addr; }
    // Addresses held.
    size_t size() const { return held_; }

private:
    struct Entry {
        Addr addr;
        uint32_t users;  // 0: free; then the next free index is in next_free
        uint32_t next_free;
    };
    struct Slot {
        uint32_t hash;
        uint32_t index1;  // index + 1; 0 = empty
    };
    struct FreeDeleter {
        void operator()(Slot* p) const;
    };

    uint32_t hash(const Addr& a) const;
    size_t home(uint32_t h) const { return size_t((uint64_t(h) * n_) >> 32); }
    size_t next(size_t i) const { return i + 1 == n_ ? 0 : i + 1; }
    size_t distance(size_t i, uint32_t h) const
    {
        const size_t o = home(h);
        return i >= o ? i - o : i + n_ - o;
    }
    // The slot holding `a`, or the empty slot where it would go.
    size_t probe(const Addr& a, uint32_t h) const;

    std::vector<Entry> entries_;  // reserved for capacity, grown as used
    std::unique_ptr<Slot[], FreeDeleter> slots_;
    size_t n_;
    uint64_t seed_;
    uint32_t capacity_;
    uint32_t free_head_ = kNone;
    size_t held_ = 0;
};

}  // namespace xdpgen::engine
