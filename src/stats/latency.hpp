// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A latency histogram in the log-linear buckets of xdpgen/abi.h, so counts
// made by BPF programs and by the engine read the same way.

#include <array>
#include <cstdint>

#include "xdpgen/abi.h"

namespace xdpgen {

// Highest value that falls into bucket idx.
uint64_t lat_bucket_ceil(uint32_t idx);

class LatencyHistogram {
public:
    void add(uint64_t ns, uint64_t count = 1);
    void add_bucket(uint32_t idx, uint64_t count);
    void merge(const LatencyHistogram& o);
    LatencyHistogram minus(const LatencyHistogram& earlier) const;

    uint64_t count() const { return total_; }
    // Upper edge of the bucket holding the q-quantile (0 < q <= 1): never
    // under-reports. 0 when empty.
    uint64_t quantile(double q) const;
    uint64_t max() const;
    uint64_t min() const;
    double mean() const;  // from bucket midpoints
    // f(lower_ns, upper_ns, count) for each non-empty bucket, lowest first.
    template <typename F>
    void for_each_bucket(F&& f) const
    {
        for (uint32_t i = 0; i < b_.size(); i++)
            if (b_[i])
                f(xg_lat_bucket_floor(i), lat_bucket_ceil(i), b_[i]);
    }

private:
    std::array<uint64_t, XG_LAT_BUCKETS> b_{};
    uint64_t total_ = 0;
};

}  // namespace xdpgen
