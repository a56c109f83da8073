// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Robin Hood hashing with backward-shift deletion (Celis 1986; the deletion
// as in Goossaert's and Rust's std tables). Invariant: along a probe run,
// no entry is farther from its home slot than the entry before it plus one,
// so a lookup may stop at the first entry closer to home than itself.

#include "engine/flow_table.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

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

namespace {

// 64x64 -> 128 multiply folded to 64 bits (as in wyhash): one instruction
// pair on x86-64 that mixes every input bit into every output bit.
__extension__ typedef unsigned __int128 u128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet

inline uint64_t mum(uint64_t a, uint64_t b)
{
    const u128 r = static_cast<u128>(a) * b;
    return uint64_t(r) ^ uint64_t(r >> 64);
}

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
constexpr uint64_t kP3 = 0x589965cc75374cc3ull;

}  // namespace

uint64_t FlowTable::hash(const FlowKey& k) const
{
    // 24 bytes as three words; each step folds in the running state so
    // equal words at different positions do not cancel.
    uint64_t w[3];
    static_assert(sizeof(w) == sizeof(FlowKey));
    std::memcpy(w, &k, sizeof(w));
    uint64_t acc = seed_;
    acc = mum(w[0] ^ kP0, w[1] ^ acc ^ kP1);
    acc = mum(w[2] ^ kP2, acc ^ kP3);
    return mum(acc ^ seed_ ^ kP1, kP0);
}

FlowTable::FlowTable(uint32_t capacity, double max_load, uint64_t seed) : seed_(seed)
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
    size_t i = home(hh);
    size_t d = 0;
    // Look first: the key, if present, is before the point where it would go.
    for (;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            break;
        if (s.hash == hh && keys_[s.id] == k)
            return {s.id, false};
    }
    if (free_count_ == 0)
        return {kNone, false};
    const uint32_t id = free_head_;
    free_head_ = next_free(id);
    free_count_--;
    keys_[id] = k;

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
    const uint32_t hh = h32(h);
    for (size_t i = home(hh), d = 0;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            return kNone;
        if (s.hash == hh && keys_[s.id] == k)
            return s.id;
    }
}

size_t FlowTable::locate_id(uint32_t id) const
{
    // Bounded even for an id that is not in use: an empty slot ends the run,
    // and no run is longer than the table.
    if (id >= capacity())
        return kNotFound;
    size_t i = home(h32(hash(keys_[id])));
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
    push_free(slots_[i].id);
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
    const uint32_t hh = h32(hash(k));
    for (size_t i = home(hh), d = 0;; i = next(i), ++d) {
        const Slot& s = slots_[i];
        if (s.id == kNone || distance(i, s.hash) < d)
            return false;
        if (s.hash == hh && keys_[s.id] == k) {
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
