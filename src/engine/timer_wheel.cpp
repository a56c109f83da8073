// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Construction only: the hot operations are inline in the header so the
// engine's loop can inline its callback into advance().

#include "engine/timer_wheel.hpp"

#include <bit>

namespace xdpgen::engine {

TimerWheel::TimerWheel(uint32_t capacity, uint64_t now_ns, uint64_t tick_ns, uint32_t slots)
{
    capacity_ = capacity > kMaxFlows ? kMaxFlows : capacity;
    if (slots == 0)
        slots = 1;
    if (slots > kMaxSlots)
        slots = kMaxSlots;
    slot_count_ = std::bit_ceil(slots);
    slot_mask_ = slot_count_ - 1;
    tick_ns_ = tick_ns == 0 ? 1 : tick_ns;
    cur_tick_ = now_ns / tick_ns_;
    scratch_ = capacity_ + uint32_t(slot_count_);

    // One allocation for everything, made here and never again.
    nodes_.resize(size_t(scratch_) + 1);
    for (uint32_t i = 0; i < capacity_; ++i)
        nodes_[i] = Node{kUnlinked, kUnlinked, {}};
    // Sentinels (and the scratch list head) start as empty circular lists.
    for (uint32_t i = capacity_; i <= scratch_; ++i)
        nodes_[i] = Node{i, i, {}};
}

}  // namespace xdpgen::engine
