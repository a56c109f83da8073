// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Built-in impairment (--impair, --impair-rx): the pieces the engine puts
// together, none of them wired to it here.
//
// - ImpairSpec / parse_impair: what the user asked for, as text and back.
// - ImpairDecider: what happens to one segment (dropped, held back for
//   reordering, delayed by how much), a pure function of the seed and the
//   segment's identity, so a run with the same seed makes the same decisions
//   whatever order segments arrive in.
// - DueQueue: small descriptors kept until due (delayed outgoing segments are
//   built only when they leave), in due order, FIFO among equal dues.
// - FrameStore: copies of incoming frames held until due, at most `cap`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "util/result.hpp"

namespace xdpgen::engine {

struct ImpairSpec {
    uint64_t delay_ns = 0;     // added to every segment
    // Each segment's delay is drawn uniformly in [delay - jitter, delay + jitter],
    // the part below 0 cut off: jitter > delay draws in [0, delay + jitter].
    uint64_t jitter_ns = 0;
    uint32_t loss_ppm = 0;     // parts per million, 0..1'000'000
    uint32_t reorder_ppm = 0;
    uint64_t seed = 1;
    bool seed_given = false;

    // Delay, jitter, loss or reorder set.
    bool any() const;
    // Canonical text, e.g. "delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42":
    // only what is set, the seed always (so a run can be repeated), each value
    // exact. parse_impair gives the same spec back, with seed_given true.
    std::string describe() const;
};

inline constexpr uint32_t kImpairPpm = 1'000'000;                  // 100%
inline constexpr uint64_t kImpairMaxDurationNs = 60'000'000'000;  // 60 s

// Parses 'delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42': keys in any
// order, each at most once, comma separated; blanks around an item are
// ignored, blanks inside one are not ('loss=5 %' is an error).
// Durations: a decimal number (1.5ms) with a unit, ns, us, ms or s, at most
// 60 s and exact to the ns. Rates: a decimal number and '%', 0..100, exact
// to 0.0001% (1 ppm). seed: a whole number (uint64). A value finer than its
// resolution is refused rather than rounded, so describe() stays exact.
// Errors name `what` (the option, e.g. "--impair") and the offending item,
// with a hint listing the keys and their forms.
Result<ImpairSpec> parse_impair(std::string_view text, std::string_view what);

// What happens to one segment. A dropped segment never leaves; its reorder
// and delay are drawn all the same (independent draws) and mean nothing.
struct ImpairDecision {
    bool drop = false;
    bool reorder = false;    // hold it until a later segment of its flow has left
    uint64_t delay_ns = 0;   // with jitter drawn
};

class ImpairDecider {
public:
    explicit ImpairDecider(const ImpairSpec& s);
    // identity: a 64-bit hash of what the segment is (flow, relative
    // sequence, flags, length, how many times sent; see impair_mix). Drop,
    // reorder and jitter are independent draws, each a keyed hash of
    // (seed, identity, a per-draw salt): the same identity and seed give the
    // same decision in any run, whatever was decided before.
    ImpairDecision decide(uint64_t identity) const;
    const ImpairSpec& spec() const { return spec_; }

private:
    ImpairSpec spec_;
    uint64_t key_[3];     // one per draw, from the seed
    uint64_t lo_ns_ = 0;  // the delay range [lo, lo + span]
    uint64_t span_ns_ = 0;
};

// Mixes v into the hash h (order matters: mixing a then b differs from b then
// a), for the caller's segment identity. A bijection in each argument.
uint64_t impair_mix(uint64_t h, uint64_t v);

// Descriptors kept until due: a binary heap keyed by (due, push sequence), so
// equal dues and items pushed in due order come out in push order (a constant
// delay never reorders a flow's segments). push/pop reuse the vector's
// capacity: no allocation once it has held its peak.
template <typename T>
class DueQueue {
    static_assert(std::is_trivially_copyable_v<T>, "DueQueue holds small descriptors");

public:
    void push(uint64_t due_ns, const T& item)
    {
        heap_.push_back(Entry{due_ns, seq_++, item});
        std::push_heap(heap_.begin(), heap_.end(), later);
        peak_ = std::max(peak_, heap_.size());
    }

    // Calls fn(item) for every item due at or before now, in due order (ties:
    // push order), at most `max` of them; returns how many. fn may push:
    // items it pushes are never visited in this call, even if already due
    // (they come first in the next call when due), so a callback that
    // re-queues cannot loop. Such an item due at or before now also ends this
    // call early, keeping the global due order; next_due() <= now tells.
    // fn must not call pop_due or clear.
    template <typename Fn>
    size_t pop_due(uint64_t now_ns, Fn&& fn, size_t max = SIZE_MAX)
    {
        const uint64_t fence = seq_;
        size_t n = 0;
        while (n < max && !heap_.empty() && heap_.front().due <= now_ns && heap_.front().seq < fence) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            const T item = heap_.back().item;  // a copy: fn's pushes may move the vector
            heap_.pop_back();
            ++n;
            fn(item);
        }
        return n;
    }

    // UINT64_MAX when empty.
    uint64_t next_due() const { return heap_.empty() ? UINT64_MAX : heap_.front().due; }
    size_t size() const { return heap_.size(); }
    // The most ever held, across clear() too (for the report).
    size_t peak() const { return peak_; }
    // Empties the queue, keeping its capacity.
    void clear() { heap_.clear(); }

private:
    struct Entry {
        uint64_t due;
        uint64_t seq;
        T item;
    };
    // The heap's order: std::*_heap keep the greatest on top, so "greater"
    // here is "due earlier".
    static bool later(const Entry& a, const Entry& b)
    {
        return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }

    std::vector<Entry> heap_;
    uint64_t seq_ = 0;
    size_t peak_ = 0;
};

// Copies of incoming frames kept until due, at most `cap` at once. Memory
// comes in chunks of kChunkFrames frames as the store first needs them, never
// more than cap * frame_size for the frames; a released slot is reused before
// a new one is taken.
class FrameStore {
public:
    static constexpr uint32_t kChunkFrames = 64;

    // cap and frame_size are clamped below UINT32_MAX (a marker).
    FrameStore(size_t cap, size_t frame_size);

    // A copy of the frame in a slot; UINT32_MAX when cap frames are held
    // already (the caller counts it) or the frame is longer than frame_size.
    uint32_t put(std::span<const uint8_t> frame);
    // The frame in a held slot.
    std::span<const uint8_t> get(uint32_t slot) const;
    // Frees a held slot.
    void release(uint32_t slot);
    size_t held() const { return held_; }
    size_t cap() const { return cap_; }

private:
    static constexpr uint32_t kFree = UINT32_MAX;  // len_ of a slot not held

    uint8_t* data(uint32_t slot) const;
    uint32_t take_slot();

    size_t cap_;
    size_t frame_size_;
    std::vector<std::unique_ptr<uint8_t[]>> chunks_;
    std::vector<uint32_t> len_;   // per slot made so far; kFree when not held
    std::vector<uint32_t> free_;  // released slots, reused first
    size_t held_ = 0;
};

}  // namespace xdpgen::engine
