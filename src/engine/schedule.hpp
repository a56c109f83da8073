// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// When the k-th new connection is due: a smooth rate with an optional linear
// ramp-up. Latencies are measured from these times, not from when a
// connection really started, so a server that slows the generator down
// (connections held longer, concurrency exhausted) shows in the percentiles
// instead of hiding behind coordinated omission.

#include <cmath>
#include <cstdint>

namespace xdpgen::engine {

class ConnectSchedule {
public:
    // rate: connections per second (0 = as fast as allowed: every start is
    // due at once); ramp_s: seconds over which the rate grows linearly from 0.
    ConnectSchedule(double rate, double ramp_s, uint64_t start_ns) : rate_(rate), ramp_s_(ramp_s), start_(start_ns) {}

    // Connections started by time t grow as rate*t^2/(2*ramp) during the
    // ramp, then by `rate` per second; this inverts that count.
    uint64_t due(uint64_t k) const
    {
        if (rate_ <= 0)
            return start_;
        const double kk = static_cast<double>(k);
        const double ramp_count = rate_ * ramp_s_ / 2;
        double t;
        if (ramp_s_ > 0 && kk < ramp_count)
            t = std::sqrt(2 * kk * ramp_s_ / rate_);
        else
            t = ramp_s_ + (kk - ramp_count) / rate_;
        return start_ + static_cast<uint64_t>(t * 1e9);
    }
    bool unlimited() const { return rate_ <= 0; }

private:
    double rate_;
    double ramp_s_;
    uint64_t start_;
};

}  // namespace xdpgen::engine
