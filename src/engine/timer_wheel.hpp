// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A hashed timing wheel (Varghese & Lauck 1987, scheme 6) with one timer per
// flow, for a worker that owns millions of flows.
//
// Why this shape
// --------------
// - One timer per flow is enough: a Connection folds all its timers into
//   next_deadline(now), so the engine re-arms the flow's single timer with that
//   value after every call into the connection.
// - Intrusive and index-based: the per-flow node lives in a side array
//   indexed by flow id (the same dense id the FlowTable hands out), links are
//   32-bit indices, not pointers. No allocation after construction, and the
//   array is one contiguous block the caller can size for its flow capacity.
// - O(1) arm / cancel / re-arm: each slot is a circular doubly-linked list
//   whose head is a sentinel node stored after the flow nodes, so unlinking
//   never needs to know which list a node is on.
// - Each node keeps its deadline (a 4-byte util::UsDeadline, exact to the
//   µs), not just its tick, for two reasons: a timer fires at the first
//   advance() whose `now` is at or after its deadline rounded up to the µs,
//   not up to a tick late (the slot only says *when to look*); and a deadline
//   any number of revolutions ahead stays in its slot and is skipped until
//   due (scheme 6's unsorted lists). The 4-byte form reaches 30 minutes past
//   the last advance(): a later deadline fires there instead, early, and the
//   caller arms it again (the engine's callbacks check what is really due).
// - Time is an argument (ns on any monotonic clock); nothing reads a clock.
//
// Memory: kBytesPerFlow = 12 bytes per flow (next, prev, deadline), plus 12
// bytes per slot for the sentinels (64 KiB for the default 4096 slots),
// fixed at construction.
//
// Cost of advance(now): the slots of the ticks from the previous advance()
// to now, at most one revolution (a longer jump visits every slot once, which
// is exhaustive because a timer always sits in the slot of its own tick),
// plus one visit per timer in those slots. A slot also holds timers that are
// whole revolutions ahead; choose slots * tick longer than the common
// timeouts (default 4096 * 1 ms ~ 4 s covers RTO and delayed ACK) so that
// few timers are skipped more than once.
//
// Callback rules: fire(flow_id) runs with that timer already disarmed, so the
// callback may re-arm it or arm / cancel any other timer. A timer armed from
// inside a callback with a deadline already passed fires in this advance()
// or in the next one, never in a loop.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "util/us_deadline.hpp"

namespace xdpgen::engine {

class TimerWheel {
public:
    static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();  // same as tcp::kNever
    static constexpr uint64_t kDefaultTickNs = 1'000'000;
    static constexpr uint32_t kDefaultSlots = 4096;
    // Flow ids plus sentinels must fit below the 32-bit "unlinked" marker.
    static constexpr uint32_t kMaxFlows = 1u << 30;
    static constexpr uint32_t kMaxSlots = 1u << 24;

    struct Node {
        uint32_t next;  // kUnlinked when the timer is not armed
        uint32_t prev;
        util::UsDeadline deadline;  // valid while armed
    };
    static constexpr size_t kBytesPerFlow = sizeof(Node);
    static_assert(sizeof(Node) == 12);

    // capacity: flow ids are 0 .. capacity-1. tick_ns: the slot width (0 is
    // taken as 1). slots: rounded up to a power of two so that a tick maps to
    // its slot with a mask. now_ns: the time the wheel starts at. Out of
    // range values are clamped to kMaxFlows / kMaxSlots.
    explicit TimerWheel(uint32_t capacity, uint64_t now_ns = 0, uint64_t tick_ns = kDefaultTickNs,
                        uint32_t slots = kDefaultSlots);

    // Arms (or moves) the timer of flow `id` to fire at deadline_ns; kNever
    // cancels it. A deadline at or before the last advance() fires at the
    // next one; one more than util::UsDeadline::kMaxAheadNs after it fires
    // at that bound.
    void arm(uint32_t id, uint64_t deadline_ns)
    {
        if (deadline_ns == kNever) {
            cancel(id);
            return;
        }
        if (is_armed(id))
            unlink(id);
        else
            ++armed_;
        deadline_ns = std::min(deadline_ns, anchor_ns() + util::UsDeadline::kMaxAheadNs);
        const util::UsDeadline d = util::UsDeadline::at(deadline_ns);
        uint64_t t = d.ns(anchor_ns()) / tick_ns_;
        // Never behind the tick advance() starts from, or it would be missed.
        if (t < cur_tick_)
            t = cur_tick_;
        nodes_[id].deadline = d;
        link_tail(sentinel(t), id);
    }

    void cancel(uint32_t id)
    {
        if (is_armed(id)) {
            unlink(id);
            --armed_;
        }
    }

    bool is_armed(uint32_t id) const { return nodes_[id].next != kUnlinked; }
    // The armed deadline (rounded up to the µs), or kNever.
    uint64_t deadline(uint32_t id) const { return is_armed(id) ? nodes_[id].deadline.ns(anchor_ns()) : kNever; }

    // Fires every armed timer whose deadline is <= now_ns: fire(flow_id) once
    // each, in no particular order, timer disarmed before the call. Returns
    // how many fired. A `now` earlier than the previous one fires only what
    // is due at that `now`.
    template <typename F>
    size_t advance(uint64_t now_ns, F&& fire)
    {
        const uint64_t now_tick = now_ns / tick_ns_;
        const uint64_t first = cur_tick_;
        // The slot of the previous tick is visited again: it may still hold
        // timers due later in that tick. Past one revolution every slot has
        // been seen, so the walk stops there.
        uint64_t count = now_tick >= first ? now_tick - first + 1 : 1;
        if (count > slot_count_)
            count = slot_count_;
        // Set before firing so that callbacks arm relative to the new time.
        if (now_tick > cur_tick_)
            cur_tick_ = now_tick;

        size_t fired = 0;
        for (uint64_t i = 0; i < count; ++i)
            fired += expire_slot(sentinel(first + i), now_ns, fire);
        return fired;
    }

    // Armed timers.
    size_t size() const { return armed_; }
    uint32_t capacity() const { return capacity_; }
    uint32_t slots() const { return uint32_t(slot_count_); }
    uint64_t tick_ns() const { return tick_ns_; }

private:
    static constexpr uint32_t kUnlinked = std::numeric_limits<uint32_t>::max();

    // The start of the tick the next advance() starts from: the time the
    // 4-byte deadlines are read against.
    uint64_t anchor_ns() const { return cur_tick_ * tick_ns_; }

    uint32_t sentinel(uint64_t tick) const { return capacity_ + uint32_t(tick & slot_mask_); }

    void link_tail(uint32_t head, uint32_t id)
    {
        Node& h = nodes_[head];
        Node& n = nodes_[id];
        n.next = head;
        n.prev = h.prev;
        nodes_[h.prev].next = id;
        h.prev = id;
    }

    void unlink(uint32_t id)
    {
        Node& n = nodes_[id];
        nodes_[n.prev].next = n.next;
        nodes_[n.next].prev = n.prev;
        n.next = kUnlinked;
    }

    // Moves the slot's list onto the scratch list, then takes nodes off its
    // front one at a time: due ones fire, the rest go back to the slot.
    // Working from a real list (rather than a saved `next`) keeps this safe
    // when a callback cancels or re-arms a node still waiting on it, and a
    // node a callback arms into this same slot is not seen again here.
    template <typename F>
    size_t expire_slot(uint32_t head, uint64_t now_ns, F& fire)
    {
        Node& h = nodes_[head];
        if (h.next == head)
            return 0;
        Node& s = nodes_[scratch_];
        s.next = h.next;
        s.prev = h.prev;
        nodes_[h.next].prev = scratch_;
        nodes_[h.prev].next = scratch_;
        h.next = h.prev = head;

        size_t fired = 0;
        while (s.next != scratch_) {
            const uint32_t id = s.next;
            unlink(id);
            if (nodes_[id].deadline.due(now_ns)) {
                --armed_;
                ++fired;
                fire(id);
            } else {
                link_tail(head, id);
            }
        }
        return fired;
    }

    std::vector<Node> nodes_;  // capacity_ flows, then slot_count_ sentinels, then scratch_
    uint32_t capacity_;
    uint32_t scratch_;
    uint64_t slot_count_;
    uint64_t slot_mask_;
    uint64_t tick_ns_;
    uint64_t cur_tick_;  // where the next advance() starts
    size_t armed_ = 0;
};

}  // namespace xdpgen::engine
