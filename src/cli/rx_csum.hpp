// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --rx-csum: which received TCP checksums the engine checks, and the summary
// line that tells what the check found.

#include <string>

#include "engine/worker_stats.hpp"
#include "tcp/segment.hpp"

namespace xdpgen {

inline constexpr const char* kRxCsumHelp =
    "Check received TCP checksums: on = every segment (a wrong one is dropped and counted, the peer resends it); "
    "auto = as on, but a segment whose checksum a local kernel left to an offload (a veth peer with tx "
    "checksumming on) is taken unchecked; off = none";

// The value, already checked by CLI11 against auto, on and off.
tcp::CsumCheck rx_csum_check(const std::string& value);

// "checksums: ..." when segments were dropped for their checksum, with the
// fix when `on` refused offloaded ones; "" otherwise.
std::string rx_csum_summary(const engine::WorkerCounters& c, tcp::CsumCheck check);

}  // namespace xdpgen
