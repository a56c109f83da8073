// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: the kernel runs an XDP program
// `repeat` times over copies of one frame and really transmits what it redirects.

#include <cstdint>
#include <span>

#include "util/result.hpp"

namespace xdpgen {

// batch: frames the kernel prepares per round (1..256; 0 = kernel default of 64).
Status live_frames_run(int prog_fd, std::span<const uint8_t> frame, int ifindex, uint32_t repeat, uint32_t batch = 0);

}  // namespace xdpgen
