// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Asks the kernel, by trying, what an interface supports.

#include <string>
#include <vector>

#include "sys/netdev.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct ProbeCheck {
    std::string key;     // JSON key, e.g. "xdp_native"
    std::string name;    // for humans, e.g. "native XDP"
    bool ok = false;
    std::string detail;  // why not, or what it means
};

std::vector<ProbeCheck> probe_interface(const NetDev& dev);

// Whether this kernel runs XDP programs with live frames
// (BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES) for `dev`: one real run of a
// program that drops its frame (nothing is sent). The error says why not.
Status live_frames_usable(const NetDev& dev);

}  // namespace xdpgen
