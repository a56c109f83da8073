// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Frames that arrive on a worker that does not own their flow go to the
// owner through a lock-free ring, instead of being answered with RST.
//
// Why it is needed: the kernel peer picks its transmit queue by its own
// hash of the 4-tuple, so on a multi-queue link the answers of a flow can
// land on any queue, and an AF_XDP socket only ever sees its own queue.
// Each worker owns the local ports p with p % workers == its index, so the
// owner of a frame is known from its destination port alone.
//
// One single-producer single-consumer ring per ordered pair of workers: no
// locks, no atomics shared by more than two threads. A frame is copied (a
// UMEM frame belongs to the socket it came from); a full ring drops it and
// TCP sends it again. An eventfd per worker wakes an owner that sleeps.

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace xdpgen::engine {

class FrameRing {
public:
    static constexpr uint32_t kSlots = 256;       // power of two
    static constexpr uint32_t kSlotBytes = 2048;  // a UMEM frame at most

    FrameRing() : data_(new uint8_t[size_t(kSlots) * kSlotBytes]) {}

    // Producer side. False when full or the frame is too large.
    bool push(std::span<const uint8_t> frame)
    {
        const uint32_t t = tail_.load(std::memory_order_relaxed);
        if (frame.size() > kSlotBytes || t - head_.load(std::memory_order_acquire) == kSlots)
            return false;
        const uint32_t slot = t & (kSlots - 1);
        std::memcpy(&data_[size_t(slot) * kSlotBytes], frame.data(), frame.size());
        len_[slot] = static_cast<uint16_t>(frame.size());
        tail_.store(t + 1, std::memory_order_release);
        return true;
    }

    // Consumer side: calls f(span) for up to `max` frames; returns how many.
    template <typename F>
    size_t drain(size_t max, F&& f)
    {
        const uint32_t h = head_.load(std::memory_order_relaxed);
        const uint32_t n = std::min<uint32_t>(tail_.load(std::memory_order_acquire) - h, static_cast<uint32_t>(max));
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t slot = (h + i) & (kSlots - 1);
            f(std::span<const uint8_t>(&data_[size_t(slot) * kSlotBytes], len_[slot]));
        }
        head_.store(h + n, std::memory_order_release);
        return n;
    }

    bool empty() const { return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire); }

private:
    std::unique_ptr<uint8_t[]> data_;
    uint16_t len_[kSlots]{};
    alignas(64) std::atomic<uint32_t> head_{0};
    alignas(64) std::atomic<uint32_t> tail_{0};
};

class Handoff {
public:
    // owner_of_port: for each local port, the worker that owns it.
    explicit Handoff(uint32_t workers, std::vector<uint16_t> owner_of_port)
        : n_(workers), owner_(std::move(owner_of_port)), rings_(size_t(workers) * workers), wake_(workers)
    {
        for (auto& w : wake_) {
            w.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        }
    }
    ~Handoff()
    {
        for (auto& w : wake_)
            if (w.fd >= 0)
                close(w.fd);
    }
    Handoff(const Handoff&) = delete;
    Handoff& operator=(const Handoff&) = delete;

    uint32_t workers() const { return n_; }
    uint32_t owner(uint16_t port) const { return owner_[port]; }

    // From worker `from` to the owner of the frame's port. False: dropped.
    bool send(uint32_t from, uint32_t to, std::span<const uint8_t> frame)
    {
        if (!rings_[size_t(from) * n_ + to].push(frame))
            return false;
        // Pairs with the fence in set_sleeping: either the owner sees the
        // frame before it sleeps, or this sees it sleeping and wakes it.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (wake_[to].sleeping.load(std::memory_order_acquire)) {
            const uint64_t one = 1;
            (void)!write(wake_[to].fd, &one, sizeof(one));
        }
        return true;
    }

    // Frames for worker `to` from every other worker.
    template <typename F>
    size_t receive(uint32_t to, size_t max_each, F&& f)
    {
        size_t n = 0;
        for (uint32_t from = 0; from < n_; from++)
            if (from != to)
                n += rings_[size_t(from) * n_ + to].drain(max_each, f);
        return n;
    }

    // The owner announces a sleep (then checks its rings once more before
    // sleeping) and polls this fd next to its socket's.
    int wake_fd(uint32_t w) const { return wake_[w].fd; }
    void set_sleeping(uint32_t w, bool s)
    {
        wake_[w].sleeping.store(s, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }
    bool pending(uint32_t to) const
    {
        for (uint32_t from = 0; from < n_; from++)
            if (from != to && !rings_[size_t(from) * n_ + to].empty())
                return true;
        return false;
    }
    void clear_wake(uint32_t w)
    {
        uint64_t v;
        (void)!read(wake_[w].fd, &v, sizeof(v));
    }
    // A worker whose own flows are all done keeps serving its queue (it
    // still receives the other workers' frames) until every worker is done.
    void own_work_done() { busy_.fetch_sub(1, std::memory_order_acq_rel); }
    bool all_done() const { return busy_.load(std::memory_order_acquire) == 0; }

    bool ok() const
    {
        for (const auto& w : wake_)
            if (w.fd < 0)
                return false;
        return true;
    }

private:
    struct Wake {
        int fd = -1;
        std::atomic<bool> sleeping{false};
    };
    uint32_t n_;
    std::vector<uint16_t> owner_;
    std::vector<FrameRing> rings_;
    std::vector<Wake> wake_;
    std::atomic<uint32_t> busy_{n_};
};

}  // namespace xdpgen::engine
