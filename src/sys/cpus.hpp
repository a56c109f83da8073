// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The CPUs this process may run on, and pinning the calling thread.

#include <optional>
#include <string_view>
#include <vector>

namespace xdpgen {

// From the affinity mask (taskset, cgroups), ascending; {0} if unknown.
std::vector<int> allowed_cpus();
// Pins the calling thread to one CPU; false if the kernel refused.
bool pin_this_thread(int cpu);
// "0,2-3" → {0, 2, 3}; nullopt on a malformed list.
std::optional<std::vector<int>> parse_cpu_list(std::string_view s);

}  // namespace xdpgen
