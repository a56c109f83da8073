// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Robin Hood hashing with backward-shift deletion (Celis 1986; the deletion
// as in Goossaert's and Rust's std tables). Invariant: along a probe run,
// no entry is farther from its home slot than the entry before it plus one,
// so a lookup may stop at the first entry closer to home than itself.

#include "engine/flow_table.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/hash_mix.hpp"

namespace xdpgen::engine {

FlowKey FlowKey::v4(uint16_t local, uint16_t lport, uint32_t remote_be, uint16_t rport)
{
    FlowKey k;
    std::memcpy(k.remote.data(), &remote_be, 4);
    k.local_port = lport;
    k.remote_port = rport;
    k.local = local;
    return k;
}

FlowKey FlowKey::make(uint16_t local, uint16_t lport, const IpAddr& remote, uint16_t rport)
{
    FlowKey k;
    // Copy only what the family uses, so stray bytes past an IPv4 address
    // cannot make two equal tuples differ.
    std::memcpy(k.remote.data(), remote.b.data(), remote.v6 ? 16 : 4);
    k.local_port = lport;
    k.remote_port = rport;
    k.local = local;
    k.v6 = remote.v6 ? 1 : 0;
    return k;
}


uint64_t FlowTable::hash(const FlowKey& k) const
{
    // 24 bytes as three words; each step folds in the running state so
    // equal words at different positions do not cancel.
    uint64_t w[3];
    static_assert(sizeof(w) == sizeof(FlowKey));
    std::memcpy(w, &k, sizeof(w));
    uint64_t acc = seed_;
    acc = mum(w[0] ^ kMixP0, w[1] ^ acc ^ kMixP1);
    acc = mum(w[2] ^ kMixP2, acc ^ kMixP3);
    return mum(acc ^ seed_ ^ kMixP1, kMixP0);
}

FlowTable::StoredKey FlowTable::with_remote(const FlowKey& k, uint32_t remote)
{
    StoredKey s;
    s.remote = remote;
    s.local_port = k.local_port;
    s.remote_port = k.remote_port;
    s.local = k.local;
    s.v6 = k.v6;
    return s;
}

bool FlowTable::stored(const FlowKey& k, StoredKey& out) const
{
    uint32_t r;
    if (k.v6) {
        r = v6_.find(k.remote);
        if (r == V6Remotes::kNone)
            return false;
    } else {
        std::memcpy(&r, k.remote.data(), 4);
    }
    out = with_remote(k, r);
    return true;
}

FlowKey FlowTable::key(uint32_t id) const
{
    const StoredKey& s = keys_[id];
    FlowKey k;
    if (s.v6)
        k.remote = v6_.addr(s.remote);
    else
        std::memcpy(k.remote.data(), &s.remote, 4);
    k.local_port = s.local_port;
    k.remote_port = s.remote_port;
    k.local = s.local;
    k.v6 = s.v6;
    return k;
}

FlowTable::FlowTable(uint32_t capacity, double max_load, uint64_t seed)
    : v6_(std::min(capacity, kMaxCapacity), seed ^ kMixP2), seed_(seed)
{
    capacity_ = std::min(capacity, kMaxCapacity);
    if (!(max_load >= 0.1))  // also catches NaN
        max_load = 0.1;
    max_load = std::min(max_load, 0.95);
    // Strictly more slots than flows, so every probe loop meets an empty slot.
    const auto want = uint64_t(std::ceil(double(capacity_) / max_load));
    const uint64_t n = std::max<uint64_t>({want, uint64_t(capacity_) + 1, 2});
    n_ = size_t(n);

    // Every allocation of the table, here and never again.
    slots_.assign(n, Slot{0, kNone});
    keys_.resize(capacity_);
    // Pushed high to low, so ids are handed out low to high at the start.
    for (uint32_t i = capacity_; i-- > 0;)
        push_free(i);
}

FlowTable::Inserted FlowTable::insert(const FlowKey& k, uint64_t h)
{
    const uint32_t hh = h32(h);
    StoredKey sk;
    const bool may_exist = stored(k, sk);
    size_t i = home(hh);
    size_t d = 0;
    // Look first: the key, if present, is before the point where it would go.
    for (;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            break;
        if (may_exist && s.hash == hh && keys_[s.id] == sk)
            return {s.id, false};
    }
    if (free_count_ == 0)
        return {kNone, false};
    if (k.v6)  // one more flow of this address (capacity >= flows: never refused)
        sk = with_remote(k, v6_.acquire(k.remote));
    const uint32_t id = free_head_;
    free_head_ = next_free(id);
    free_count_--;
    keys_[id] = sk;

    // Place from where the lookup stopped, taking the slot of any entry
    // closer to its home and carrying that entry on.
    Slot cur{hh, id};
    for (;; i = next(i), ++d) {
        Slot& s = slots_[i];
        if (s.id == kNone) {
            s = cur;
            return {id, true};
        }
        const size_t sd = distance(i, s.hash);
        if (sd < d) {
            std::swap(s, cur);
            d = sd;
        }
    }
}

uint32_t FlowTable::find(const FlowKey& k, uint64_t h) const
{
    StoredKey sk;
    if (!stored(k, sk))
        return kNone;
    const uint32_t hh = h32(h);
    for (size_t i = home(hh), d = 0;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            return kNone;
        if (s.hash == hh && keys_[s.id] == sk)
            return s.id;
    }
}

size_t FlowTable::locate_id(uint32_t id) const
{
    // Bounded even for an id that is not in use: an empty slot ends the run,
    // and no run is longer than the table.
    if (id >= capacity())
        return kNotFound;
    size_t i = home(h32(hash(key(id))));
    for (size_t n = 0; n < n_; n++, i = next(i)) {
        if (slots_[i].id == id)
            return i;
        if (slots_[i].id == kNone)
            return kNotFound;
    }
    return kNotFound;
}

void FlowTable::remove_at(size_t i)
{
    const uint32_t id = slots_[i].id;
    if (keys_[id].v6)
        v6_.release(keys_[id].remote);
    push_free(id);
    // Backward shift: pull each following entry one slot back until an
    // empty slot or an entry already at its home; the run stays valid and no
    // tombstone is left behind.
    for (;;) {
        const size_t j = next(i);
        const Slot& next = slots_[j];
        if (next.id == kNone || distance(j, next.hash) == 0) {
            slots_[i] = Slot{0, kNone};
            return;
        }
        slots_[i] = next;
        i = j;
    }
}

bool FlowTable::erase(const FlowKey& k)
{
    StoredKey sk;
    if (!stored(k, sk))
        return false;
    const uint32_t hh = h32(hash(k));
    for (size_t i = home(hh), d = 0;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            return false;
        if (s.hash == hh && keys_[s.id] == sk) {
            remove_at(i);
            return true;
        }
    }
}

bool FlowTable::erase_id(uint32_t id)
{
    const size_t i = locate_id(id);
    if (i == kNotFound)
        return false;
    remove_at(i);
    return true;
}

}  // namespace xdpgen::engine
