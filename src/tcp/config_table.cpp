// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "tcp/config_table.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace xdpgen::tcp {

namespace {

// Entries are written once, under the mutex, before their id is handed out;
// a thread reads only ids it was given, so a relaxed load sees the entry.
std::array<std::atomic<const TcpConfig*>, kMaxConfigs> g_configs{};
std::atomic<uint32_t> g_count{0};
std::mutex g_add;

// The last lookup of this thread: opens nearly always reuse one config.
thread_local const TcpConfig* t_last = nullptr;
thread_local uint16_t t_last_id = 0;

}  // namespace

uint16_t config_id(const TcpConfig& cfg)
{
    if (t_last == &cfg)
        return t_last_id;
    std::lock_guard lock(g_add);
    const uint32_t n = g_count.load(std::memory_order_relaxed);
    uint32_t id = 0;
    while (id < n && g_configs[id].load(std::memory_order_relaxed) != &cfg)
        ++id;
    if (id == n) {
        if (n == kMaxConfigs) {
            std::fprintf(stderr, "xdpgen: internal error: more than %u TCP configurations\n", kMaxConfigs);
            std::abort();
        }
        g_configs[id].store(&cfg, std::memory_order_relaxed);
        g_count.store(n + 1, std::memory_order_relaxed);
    }
    t_last = &cfg;
    t_last_id = uint16_t(id);
    return t_last_id;
}

const TcpConfig& config_by_id(uint16_t id)
{
    return *g_configs[id].load(std::memory_order_relaxed);
}

}  // namespace xdpgen::tcp
