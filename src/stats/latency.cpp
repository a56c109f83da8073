// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "stats/latency.hpp"

#include <cmath>

namespace xdpgen {

uint64_t lat_bucket_ceil(uint32_t idx)
{
    if (idx + 1 >= XG_LAT_BUCKETS)
        return UINT64_MAX;
    return xg_lat_bucket_floor(idx + 1) - 1;
}

void LatencyHistogram::add(uint64_t ns, uint64_t count) { add_bucket(xg_lat_bucket(ns), count); }

void LatencyHistogram::add_bucket(uint32_t idx, uint64_t count)
{
    if (idx >= XG_LAT_BUCKETS)
        idx = XG_LAT_BUCKETS - 1;
    b_[idx] += count;
    total_ += count;
}

void LatencyHistogram::merge(const LatencyHistogram& o)
{
    for (size_t i = 0; i < b_.size(); i++)
        b_[i] += o.b_[i];
    total_ += o.total_;
}

LatencyHistogram LatencyHistogram::minus(const LatencyHistogram& earlier) const
{
    LatencyHistogram d;
    for (size_t i = 0; i < b_.size(); i++) {
        d.b_[i] = b_[i] >= earlier.b_[i] ? b_[i] - earlier.b_[i] : 0;
        d.total_ += d.b_[i];
    }
    return d;
}

uint64_t LatencyHistogram::quantile(double q) const
{
    if (total_ == 0)
        return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < b_.size(); i++) {
        seen += b_[i];
        if (seen >= rank)
            return lat_bucket_ceil(i);
    }
    return lat_bucket_ceil(XG_LAT_BUCKETS - 1);
}

uint64_t LatencyHistogram::max() const
{
    for (uint32_t i = XG_LAT_BUCKETS; i-- > 0;)
        if (b_[i])
            return lat_bucket_ceil(i);
    return 0;
}

uint64_t LatencyHistogram::min() const
{
    for (uint32_t i = 0; i < XG_LAT_BUCKETS; i++)
        if (b_[i])
            return xg_lat_bucket_floor(i);
    return 0;
}

double LatencyHistogram::mean() const
{
    if (total_ == 0)
        return 0;
    double s = 0;
    for (uint32_t i = 0; i < b_.size(); i++)
        if (b_[i]) {
            const double lo = static_cast<double>(xg_lat_bucket_floor(i));
            const double hi = i + 1 < XG_LAT_BUCKETS ? static_cast<double>(lat_bucket_ceil(i)) : lo;
            s += (lo + hi) / 2 * static_cast<double>(b_[i]);
        }
    return s / static_cast<double>(total_);
}

}  // namespace xdpgen
