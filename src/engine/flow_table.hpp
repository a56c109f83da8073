// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The per-worker flow table: 4-tuple -> dense flow id.
//
// Why this shape
// --------------
// - Dense ids: a flow is an index 0 .. capacity-1 into arrays the caller
//   owns (Connection, program state, the TimerWheel's nodes), so every
//   per-flow structure is a plain array and ids are 32 bits, not pointers.
//   Ids come from a LIFO free stack: a freed id is reused first, while its
//   records are still warm in cache.
// - Compact slots: the hash table proper holds only {32-bit hash, flow id}
//   (8 bytes), so a probe walks 8 flows per cache line and touches a full
//   key only when the 32-bit hash already matches. The keys sit in a side
//   array indexed by flow id, i.e. with the flow record (the engine keeps no
//   other copy: Connection keeps no ports, see tcp/tcb.hpp).
// - Compact keys: stored in 12 bytes, an IPv4 remote address in place and an
//   IPv6 one as an index into the table's V6Remotes, where each address is
//   kept once for all the flows that use it. Callers see the full FlowKey.
// - Robin Hood open addressing with linear probing: keeps probe lengths
//   short and even at a 90 % load, and lets a failed lookup stop as soon as
//   it meets an entry closer to its home than the probe is.
// - Deletion by backward shift, no tombstones: the table never degrades
//   under churn (connections open and close all the time), and nothing
//   ever needs rehashing.
// - Fixed capacity chosen at construction: nothing allocates or rehashes on
//   the fast path. insert() fails cleanly when every id is in use.
// - Seeded hash: a peer cannot choose 4-tuples that collide in our table
//   without knowing the seed; take it from a random source per worker.
//
// Memory per flow (kBytesPerFlowKey + slot bytes): 12 bytes key + 8 bytes
//   * slots/capacity. slots = capacity / max_load, so with the default
//   max_load of 0.9 the slot share is 8.9 bytes: 21 bytes per flow, plus
//   about 30 bytes per distinct IPv6 remote address (memory taken as used).
//   The free ids form a stack threaded through the keys of unused ids, so
//   they cost nothing. bytes_per_flow() gives the exact figure for an
//   instance.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "engine/v6_remotes.hpp"
#include "net/addr.hpp"

namespace xdpgen::engine {

// A TCP 4-tuple as seen from this host. The local address is an index
// into the worker's local addresses (WorkerConfig::local_addrs, at most
// 65,536): a worker has few, and 16 bytes per flow saved are 16 MB per
// million flows. The remote address is bytes in network order, IPv4 in the
// first 4 bytes and the rest zero (as in IpAddr); ports in host order. All
// padding is explicit and zero so the key hashes and compares as plain bytes.
struct FlowKey {
    std::array<uint8_t, 16> remote{};
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
    uint16_t local = 0;  // index of the local address
    uint8_t v6 = 0;
    uint8_t pad = 0;

    // Remote address in network order (as in IpAddr::from_v4).
    static FlowKey v4(uint16_t local, uint16_t lport, uint32_t remote_be, uint16_t rport);
    static FlowKey make(uint16_t local, uint16_t lport, const IpAddr& remote, uint16_t rport);

    bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
};
static_assert(sizeof(FlowKey) == 24);

class FlowTable {
public:
    static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    // Ids must stay below kNone, and slots (a power of two) must fit 32-bit
    // hashes: 2^31 slots at most.
    static constexpr uint32_t kMaxCapacity = 1u << 30;

    // capacity: how many flows at once (ids 0 .. capacity-1), clamped to
    // kMaxCapacity. max_load: the highest slot occupancy allowed when full,
    // clamped to [0.1, 0.95]. seed: hash seed.
    explicit FlowTable(uint32_t capacity, double max_load = 0.9, uint64_t seed = 0x9e3779b97f4a7c15ull);

    struct Inserted {
        uint32_t id;    // the flow's id, or kNone when the table is full
        bool inserted;  // false: already present (id is the existing flow) or full
    };

    // Adds the key with a fresh id from the free stack. Present already: its
    // id, inserted = false. Full: {kNone, false}, nothing changed.
    Inserted insert(const FlowKey& k) { return insert(k, hash(k)); }
    Inserted insert(const FlowKey& k, uint64_t h);

    // The key's id, or kNone.
    uint32_t find(const FlowKey& k) const { return find(k, hash(k)); }
    uint32_t find(const FlowKey& k, uint64_t h) const;

    // Removes the key and frees its id. False when absent.
    bool erase(const FlowKey& k);
    // Removes flow `id` and frees the id: the engine's path when a connection
    // closes; it compares ids, not keys. False (and nothing changed) when the
    // id is not in use.
    bool erase_id(uint32_t id);

    // The key of flow `id` (in use).
    FlowKey key(uint32_t id) const;

    // The seeded 64-bit hash of a key: compute it once per received frame,
    // prefetch(), then find() with it, so a batch of lookups overlaps its
    // cache misses.
    uint64_t hash(const FlowKey& k) const;
    void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[home(h32(h))]); }

    size_t size() const { return capacity_ - free_count_; }
    uint32_t capacity() const { return capacity_; }
    size_t slot_count() const { return slots_.size(); }
    double bytes_per_flow() const
    {
        return double(kBytesPerFlowKey) + double(sizeof(Slot) * slots_.size()) / capacity_;
    }
    // Distinct IPv6 remote addresses held.
    size_t v6_remotes() const { return v6_.size(); }

private:
    // A FlowKey as stored: the remote address's IPv4 bytes, or its index in
    // v6_. Padding explicit and zero, so keys compare as plain bytes.
    struct StoredKey {
        uint32_t remote = 0;
        uint16_t local_port = 0;
        uint16_t remote_port = 0;
        uint16_t local = 0;
        uint8_t v6 = 0;
        uint8_t pad = 0;
        bool operator==(const StoredKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
    };
    static_assert(sizeof(StoredKey) == 12);

public:
    static constexpr size_t kBytesPerFlowKey = sizeof(StoredKey);

private:
    // The key as stored; false when it names an IPv6 address no flow uses
    // (then no flow has that key).
    bool stored(const FlowKey& k, StoredKey& out) const;
    static StoredKey with_remote(const FlowKey& k, uint32_t remote);
    struct Slot {
        uint32_t hash;  // h32() of the key: home slot, and a filter before the key compare
        uint32_t id;    // kNone: empty
    };

    static uint32_t h32(uint64_t h) { return uint32_t(h >> 32); }
    // Multiply-shift maps a hash onto any slot count, not only powers of
    // two: the table is then only as large as max_load asks (8.9 bytes of
    // slots per flow at 0.9, not up to twice that).
    size_t home(uint32_t h) const { return size_t((uint64_t(h) * n_) >> 32); }
    size_t next(size_t i) const { return i + 1 == n_ ? 0 : i + 1; }
    // How far slot i is from the home of the hash stored there.
    size_t distance(size_t i, uint32_t h) const
    {
        const size_t o = home(h);
        return i >= o ? i - o : i + n_ - o;
    }
    static constexpr size_t kNotFound = SIZE_MAX;
    size_t locate_id(uint32_t id) const;
    void remove_at(size_t i);

    std::vector<Slot> slots_;
    std::vector<StoredKey> keys_;  // by flow id
    V6Remotes v6_;
    // Free ids: a stack whose links are the remote field of each free id's key.
    uint32_t next_free(uint32_t id) const
    {
        return keys_[id].remote;
    }
    void push_free(uint32_t id)
    {
        keys_[id].remote = free_head_;
        free_head_ = id;
        free_count_++;
    }
    size_t n_;  // slots
    uint64_t seed_;
    uint32_t capacity_;
    uint32_t free_head_ = kNone;
    uint32_t free_count_ = 0;
};

}  // namespace xdpgen::engine
