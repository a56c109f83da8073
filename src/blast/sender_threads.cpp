// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/sender_threads.hpp"

#include <algorithm>

namespace xdpgen {

SenderThreads::~SenderThreads()
{
    request_stop();
    (void)join();
}

void SenderThreads::start(unsigned n, const std::function<void(unsigned)>& body)
{
    running_.store(n, std::memory_order_release);
    for (unsigned i = 0; i < n; i++)
        threads_.emplace_back([this, body, i] {
            body(i);
            running_.fetch_sub(1, std::memory_order_acq_rel);
        });
}

void SenderThreads::fail(Error e)
{
    std::lock_guard lk(err_mu_);
    if (!first_error_)
        first_error_ = std::move(e);
    failed_ = true;
    stop_ = true;
}

Status SenderThreads::join()
{
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    std::lock_guard lk(err_mu_);
    if (first_error_)
        return *first_error_;
    return {};
}

bool PacketBudget::claim(uint64_t want, uint64_t& got)
{
    if (unlimited_) {
        got = want;
        return true;
    }
    uint64_t rem = remaining_.load(std::memory_order_relaxed);
    do {
        if (rem == 0) {
            got = 0;
            return false;
        }
        got = std::min(want, rem);
    } while (!remaining_.compare_exchange_weak(rem, rem - got, std::memory_order_relaxed));
    return true;
}

}  // namespace xdpgen
