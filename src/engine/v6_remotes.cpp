// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/v6_remotes.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/hash_mix.hpp"

namespace xdpgen::engine {

void V6Remotes::FreeDeleter::operator()(Slot* p) const { std::free(p); }

V6Remotes::V6Remotes(uint32_t capacity, uint64_t seed) : seed_(seed), capacity_(capacity)
{
    // At most 3/4 full, and always an empty slot to end every probe.
    n_ = size_t(std::ceil(double(capacity) / 0.75)) + 1;
    slots_.reset(static_cast<Slot*>(std::calloc(n_, sizeof(Slot))));
    if (!slots_)
        throw std::bad_alloc();
    entries_.reserve(capacity);
}

uint32_t V6Remotes::hash(const Addr& a) const
{
    uint64_t w[2];
    std::memcpy(w, a.data(), sizeof(w));
    return uint32_t(mum(mum(w[0] ^ kMixP0, w[1] ^ seed_ ^ kMixP1) ^ kMixP2, kMixP3) >> 32);
}

size_t V6Remotes::probe(const Addr& a, uint32_t h) const
{
    size_t i = home(h);
    while (slots_[i].index1 != 0 && !(slots_[i].hash == h && entries_[slots_[i].index1 - 1].addr == a))
        i = next(i);
    return i;
}

uint32_t V6Remotes::find(const Addr& a) const
{
    const Slot& s = slots_[probe(a, hash(a))];
    return s.index1 ? s.index1 - 1 : kNone;
}

uint32_t V6Remotes::acquire(const Addr& a)
{
    const uint32_t h = hash(a);
    Slot& s = slots_[probe(a, h)];
    if (s.index1) {
        entries_[s.index1 - 1].users++;
        return s.index1 - 1;
    }
    uint32_t index;
    if (free_head_ != kNone) {
        index = free_head_;
        free_head_ = entries_[index].next_free;
    } else if (entries_.size() < capacity_) {
        index = uint32_t(entries_.size());
        entries_.push_back({});  // within the reservation: no reallocation
    } else {
        return kNone;
    }
    entries_[index] = Entry{a, 1, kNone};
    s = Slot{h, index + 1};
    held_++;
    return index;
}

void V6Remotes::release(uint32_t index)
{
    Entry& e = entries_[index];
    if (--e.users > 0)
        return;
    size_t i = probe(e.addr, hash(e.addr));
    e.next_free = free_head_;
    free_head_ = index;
    held_--;
    // Backward shift (Knuth's algorithm R): an entry later in the run moves
    // into the hole unless its home lies cyclically in (hole, its slot].
    for (size_t j = next(i);; j = next(j)) {
        if (slots_[j].index1 == 0)
            break;
        const size_t h = home(slots_[j].hash);
        const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            slots_[i] = slots_[j];
            i = j;
        }
    }
    slots_[i] = Slot{0, 0};
}

}  // namespace xdpgen::engine
