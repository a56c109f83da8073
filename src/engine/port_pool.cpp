// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/port_pool.hpp"

namespace xdpgen::engine {

namespace {

std::atomic<const uint64_t*> g_kernel_ports{nullptr};
std::atomic<uint64_t> g_kernel_skipped{0};

bool kernel_holds(const uint64_t* bits, uint16_t port)
{
    return __atomic_load_n(&bits[port / 64], __ATOMIC_RELAXED) & (uint64_t{1} << (port % 64));
}

size_t ports_in(uint16_t lo, uint16_t hi, uint32_t stride, uint32_t offset)
{
    size_t n = 0;
    for (uint32_t p = lo; p <= hi; p++)
        n += p % stride == offset;
    return n;
}

}  // namespace

PortPool::PortPool(uint32_t addr_count, uint16_t port_lo, uint16_t port_hi, uint64_t quarantine_ns, uint64_t rotate,
                   uint32_t stride, uint32_t offset)
    : total_(size_t(addr_count) * ports_in(port_lo, port_hi, stride ? stride : 1, offset)),
      quarantine_ns_(quarantine_ns)
{
    if (!stride)
        stride = 1;
    free_.resize(total_);
    q_.reset(new Held[total_]);  // no value-initialisation: see Held
    for (uint32_t p = port_lo; total_ && p <= port_hi; p++)
        if (p % stride == offset)
            for (uint32_t a = 0; a < addr_count; a++)
                free_[f_count_++] = a << 16 | p;
    if (total_)
        f_head_ = rotate % total_;
}

void PortPool::expire(uint64_t now)
{
    while (q_count_ && until_ns(q_[q_head_]) <= now) {
        free_[(f_head_ + f_count_++) % total_] = q_[q_head_].pair;
        q_head_ = (q_head_ + 1) % total_;
        q_count_--;
    }
}

void PortPool::set_kernel_ports(const uint64_t* bits) { g_kernel_ports.store(bits, std::memory_order_release); }

void PortPool::unset_kernel_ports(const uint64_t* bits)
{
    g_kernel_ports.compare_exchange_strong(bits, nullptr, std::memory_order_acq_rel);
}

uint64_t PortPool::kernel_ports_skipped() { return g_kernel_skipped.load(std::memory_order_relaxed); }

bool PortPool::acquire(uint64_t now, uint32_t& pair)
{
    const uint64_t* kernel = g_kernel_ports.load(std::memory_order_acquire);
    for (;;) {
        if (!f_count_)
            expire(now);
        if (!f_count_)
            return false;
        pair = free_[f_head_];
        f_head_ = (f_head_ + 1) % total_;
        f_count_--;
        // Dropped for the run: the kernel's marks are sticky too.
        if (!kernel || !kernel_holds(kernel, port_of(pair)))
            return true;
        g_kernel_skipped.fetch_add(1, std::memory_order_relaxed);
    }
}

void PortPool::release(uint32_t pair, uint64_t now, bool quarantined)
{
    if (quarantined && quarantine_ns_) {
        if (!based_) {
            base_ns_ = now;
            based_ = true;
        }
        // Rounded up: a pair never comes back before its quarantine is over.
        const uint64_t until_ms = (now + quarantine_ns_ - base_ns_ + 999'999) / 1'000'000;
        q_[(q_head_ + q_count_++) % total_] = {pair, static_cast<uint32_t>(until_ms)};
        return;
    }
    free_[(f_head_ + f_count_++) % total_] = pair;
}

size_t PortPool::available(uint64_t now)
{
    expire(now);
    return f_count_;
}

}  // namespace xdpgen::engine
