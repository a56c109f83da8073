// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Asks the kernel, by trying, what an interface supports.

#include <string>
#include <vector>

#include "sys/netdev.hpp"

namespace xdpgen {

struct ProbeCheck {
    std::string key;     // JSON key, e.g. "xdp_native"
    std::string name;    // for humans, e.g. "native XDP"
    bool ok = false;
    std::string detail;  // why not, or what it means
};

std::vector<ProbeCheck> probe_interface(const NetDev& dev);

}  // namespace xdpgen
