// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "sys/cpus.hpp"

#include <pthread.h>
#include <sched.h>

#include <charconv>

namespace xdpgen {

std::vector<int> allowed_cpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                cpus.push_back(c);
    if (cpus.empty())
        cpus.push_back(0);
    return cpus;
}

bool pin_this_thread(int cpu)
{
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view s)
{
    std::vector<int> out;
    auto num = [](std::string_view t, int& v) {
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc() && p == t.data() + t.size() && v >= 0 && v < CPU_SETSIZE;
    };
    while (!s.empty()) {
        const size_t comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
        const size_t dash = item.find('-');
        int lo = 0, hi = 0;
        if (dash == std::string_view::npos) {
            if (!num(item, lo))
                return std::nullopt;
            hi = lo;
        } else if (!num(item.substr(0, dash), lo) || !num(item.substr(dash + 1), hi) || hi < lo) {
            return std::nullopt;
        }
        for (int c = lo; c <= hi; c++)
            out.push_back(c);
    }
    if (out.empty())
        return std::nullopt;
    return out;
}

}  // namespace xdpgen
