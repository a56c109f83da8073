// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What the senders (UdpBlaster, UdpXskSender, TcpBlaster) share: threads
// started together, stopped by one flag and joined once, the first error any
// of them met being the run's; and a -n run's packet budget, which all
// threads claim from in chunks.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "util/result.hpp"

namespace xdpgen {

class SenderThreads {
public:
    SenderThreads() = default;
    SenderThreads(const SenderThreads&) = delete;
    SenderThreads& operator=(const SenderThreads&) = delete;
    ~SenderThreads();  // stops and joins what still runs

    // Runs body(i) on thread i of n.
    void start(unsigned n, const std::function<void(unsigned)>& body);
    void request_stop() { stop_.store(true, std::memory_order_relaxed); }
    bool stopping() const { return stop_.load(std::memory_order_relaxed); }
    // Every thread has returned (budget used, stopped, or failed).
    bool done() const { return running_.load(std::memory_order_acquire) == 0; }
    bool failed() const { return failed_.load(std::memory_order_relaxed); }
    // Keeps the first error and stops every thread.
    void fail(Error e);
    // Joins the threads; the first error any of them met.
    Status join();

private:
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> failed_{false};
    std::atomic<unsigned> running_{0};
    std::mutex err_mu_;
    std::optional<Error> first_error_;
};

class PacketBudget {
public:
    // total 0: no limit.
    void reset(uint64_t total)
    {
        unlimited_ = total == 0;
        remaining_.store(total, std::memory_order_relaxed);
    }
    // How many of `want` may go (got); false, with got 0, once all are claimed.
    bool claim(uint64_t want, uint64_t& got);
    // Frames the driver refused: an exact budget sends them again.
    void give_back(uint64_t n)
    {
        if (!unlimited_)
            remaining_.fetch_add(n, std::memory_order_relaxed);
    }

private:
    bool unlimited_ = true;
    std::atomic<uint64_t> remaining_{0};
};

}  // namespace xdpgen
