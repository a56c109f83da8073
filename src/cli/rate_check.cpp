// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/rate_check.hpp"

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {

std::optional<RateShortfall> rate_shortfall(double asked_pps, double reached_pps, unsigned threads, bool more_threads,
                                            uint64_t driver_dropped)
{
    if (asked_pps <= 0 || reached_pps >= asked_pps * (1 - kRateTolerance))
        return std::nullopt;
    RateShortfall s{asked_pps, reached_pps, {}};
    if (driver_dropped > 0)
        s.limit = "the driver refused frames (the receiving side or the link is the limit): a lower --rate, or "
                  "more queues on the receiving side";
    else if (more_threads)
        s.limit = fmt::format("the sender: {} thread{} at full speed; add threads (-t {})", threads,
                              threads == 1 ? "" : "s", threads + 1);
    else
        s.limit = fmt::format("the sender: {} thread{} at full speed, one per CPU and TX queue available", threads,
                              threads == 1 ? "" : "s");
    return s;
}

std::string rate_summary(const RateShortfall& s)
{
    return fmt::format("rate: asked {}, reached {} ({:.3g}%): limited by {}", fmt_pps(s.asked_pps),
                       fmt_pps(s.reached_pps), 100 * s.reached_pps / s.asked_pps, s.limit);
}

nlohmann::json rate_json(double asked_pps, double reached_pps, const std::optional<RateShortfall>& s)
{
    return {{"asked_pps", asked_pps}, {"reached_pps", reached_pps}, {"reached", !s.has_value()},
            {"limit", s ? nlohmann::json(s->limit) : nlohmann::json(nullptr)}};
}

}  // namespace xdpgen
