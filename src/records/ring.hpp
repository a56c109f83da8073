// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The hand-off of records from one worker (the producer) to the writer
// thread (the consumer): lock-free, fixed capacity, allocated once. A worker
// never waits on the file: when the ring is full its push fails and it counts
// the record as lost.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>

#include "records/record.hpp"

namespace xdpgen::records {

class RecordRing {
public:
    explicit RecordRing(size_t capacity);  // rounded up to a power of two, at least 2
    RecordRing(const RecordRing&) = delete;
    RecordRing& operator=(const RecordRing&) = delete;

    // Producer only; false when full.
    bool try_push(const Record& r) noexcept
    {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_seen_ == capacity_) {
            head_seen_ = head_.load(std::memory_order_acquire);
            if (tail - head_seen_ == capacity_)
                return false;
        }
        slots_[tail & mask_] = r;
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }

    // Consumer only: copies out up to max records, oldest first.
    size_t pop(Record* out, size_t max) noexcept
    {
        const size_t head = head_.load(std::memory_order_relaxed);
        const size_t n = std::min(tail_.load(std::memory_order_acquire) - head, max);
        for (size_t i = 0; i < n; i++)
            out[i] = slots_[(head + i) & mask_];
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    size_t capacity() const noexcept { return capacity_; }

private:
    const size_t capacity_;
    const size_t mask_;
    const std::unique_ptr<Record[]> slots_;
    // Each side's index on its own cache line, so the two threads do not
    // bounce one line between them on every record.
    alignas(64) std::atomic<size_t> head_{0};  // written by the consumer
    alignas(64) std::atomic<size_t> tail_{0};  // written by the producer
    size_t head_seen_ = 0;                     // the producer's last look at head_
};

}  // namespace xdpgen::records
