// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// `udp --rate`: whether a run reached the rate it was asked for, and if not,
// what held it back and what to do, for the live lines, the summary and the
// JSON.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace xdpgen {

// Within 1% counts as reached (the rate limiter's own error is far below).
inline constexpr double kRateTolerance = 0.01;

struct RateShortfall {
    double asked_pps = 0, reached_pps = 0;
    std::string limit;  // what held it back, with the fix
};

// threads: those that ran; more_threads: whether -t could add one (CPUs and
// TX queues left); driver_dropped: frames the driver refused in the run.
std::optional<RateShortfall> rate_shortfall(double asked_pps, double reached_pps, unsigned threads, bool more_threads,
                                            uint64_t driver_dropped);

// "rate: asked 10.00 Mpps, reached 6.20 Mpps (62%): ..." for the summary.
std::string rate_summary(const RateShortfall& s);
nlohmann::json rate_json(double asked_pps, double reached_pps, const std::optional<RateShortfall>& s);

}  // namespace xdpgen
