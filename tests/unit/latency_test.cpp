// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Latency buckets (include/xdpgen/abi.h, shared with the BPF sink) and the
// histogram over them. The bucket functions run in BPF too, so their
// invariants are checked over a sweep, not just at a few points.

#include <catch2/catch.hpp>

#include <vector>

#include "stats/latency.hpp"

using namespace xdpgen;

namespace {

// Values around every power of two up to past the top bucket, plus the
// sub-bucket edges in between: where off-by-one errors live.
std::vector<uint64_t> sweep()
{
    std::vector<uint64_t> v;
    for (uint64_t i = 0; i < 4096; i++)
        v.push_back(i);
    for (int p = 12; p < 64; p++) {
        const uint64_t base = uint64_t{1} << p;
        for (uint64_t k = 0; k < 16; k++) {
            const uint64_t x = base + k * (base >> 4);
            v.push_back(x - 1);
            v.push_back(x);
            v.push_back(x + 1);
        }
    }
    v.push_back(UINT64_MAX);
    return v;
}

}  // namespace

TEST_CASE("bucket layout constants", "[latency]")
{
    // 256 linear buckets, then 128 per power of two from 2^8 to 2^39.
    CHECK(XG_LAT_BUCKETS == 256 + 128 * 32);
    CHECK(xg_lat_bucket(256) == 256);
    CHECK(xg_lat_bucket_floor(256) == 256);
    CHECK(xg_lat_bucket_floor(257) == 258);  // 256..511 split in steps of 2
    CHECK(xg_lat_bucket_floor(384) == 512);  // 512..1023 in steps of 4
    CHECK(xg_lat_bucket_floor(385) == 516);
    // 1000 = 512 + 122*4: sub-bucket 122 of 512..1023, 1000..1003.
    CHECK(xg_lat_bucket_floor(xg_lat_bucket(1000)) == 1000);
    CHECK(lat_bucket_ceil(xg_lat_bucket(1000)) == 1003);
    // Everything from 2^40 on saturates in the top bucket.
    CHECK(xg_lat_bucket(uint64_t{1} << 40) == XG_LAT_BUCKETS - 1);
    CHECK(xg_lat_bucket(UINT64_MAX) == XG_LAT_BUCKETS - 1);
    CHECK(lat_bucket_ceil(XG_LAT_BUCKETS - 1) == UINT64_MAX);
}

TEST_CASE("values below 256 ns have a bucket each", "[latency]")
{
    for (uint32_t v = 0; v < 256; v++) {
        CHECK(xg_lat_bucket(v) == v);
        CHECK(xg_lat_bucket_floor(v) == v);
        CHECK(lat_bucket_ceil(v) == v);
    }
}

TEST_CASE("buckets are monotonic and bracket their values", "[latency]")
{
    const auto values = sweep();
    uint64_t prev_v = 0;
    uint32_t prev_b = 0;
    size_t bad_order = 0, bad_range = 0, bad_error = 0;
    for (uint64_t v : values) {
        const uint32_t b = xg_lat_bucket(v);
        if (b >= XG_LAT_BUCKETS)
            bad_range++;
        if (v >= prev_v && b < prev_b)
            bad_order++;
        // floor(b) <= v < floor(b + 1), except the open-ended top bucket.
        if (xg_lat_bucket_floor(b) > v)
            bad_range++;
        if (b + 1 < XG_LAT_BUCKETS && v >= xg_lat_bucket_floor(b + 1))
            bad_range++;
        if (b + 1 < XG_LAT_BUCKETS && lat_bucket_ceil(b) < v)
            bad_range++;
        // The documented worst relative error: bucket width <= 1/128 of its floor.
        if (b >= XG_LAT_LINEAR && b + 1 < XG_LAT_BUCKETS &&
            (lat_bucket_ceil(b) - xg_lat_bucket_floor(b) + 1) * 128 > xg_lat_bucket_floor(b))
            bad_error++;
        prev_v = v;
        prev_b = b;
    }
    CHECK(bad_order == 0);
    CHECK(bad_range == 0);
    CHECK(bad_error == 0);

    // Every bucket's floor maps back to it: no bucket is unreachable.
    for (uint32_t i = 0; i < XG_LAT_BUCKETS; i++) {
        INFO("bucket " << i);
        CHECK(xg_lat_bucket(xg_lat_bucket_floor(i)) == i);
        if (i + 1 < XG_LAT_BUCKETS)
            CHECK(xg_lat_bucket(lat_bucket_ceil(i)) == i);
    }
}

TEST_CASE("quantiles of a known distribution", "[latency]")
{
    LatencyHistogram h;
    h.add(1000, 1000);
    h.add(1'000'000, 10);
    REQUIRE(h.count() == 1010);

    // 1000 samples of 1010 are 1000 ns: the median lies in their bucket,
    // and is its upper edge.
    const uint64_t p50 = h.quantile(0.5);
    CHECK(p50 >= 1000);
    CHECK(xg_lat_bucket(p50) == xg_lat_bucket(1000));
    CHECK(p50 == 1003);
    CHECK(h.quantile(0.99) == 1003);  // rank 1000: still the last 1000 ns sample
    // Rank 1009 of 1010 is one of the 1 ms samples.
    const uint64_t p999 = h.quantile(0.999);
    CHECK(p999 >= 1'000'000);
    CHECK(xg_lat_bucket(p999) == xg_lat_bucket(1'000'000));
    CHECK(h.quantile(1.0) == p999);

    CHECK(h.min() == 1000);        // floor of 1000's bucket
    CHECK(h.min() <= 1000);
    CHECK(h.max() >= 1'000'000);
    CHECK(h.max() == lat_bucket_ceil(xg_lat_bucket(1'000'000)));
    // Midpoints: 1000 * (1000+1003)/2 + 10 * (999424+1003519)/2, over 1010.
    CHECK(lat_bucket_ceil(xg_lat_bucket(1'000'000)) == 1003519);
    CHECK(h.mean() == Approx((1000.0 * (1000 + 1003) / 2 + 10.0 * (999424 + 1003519) / 2) / 1010));
}

TEST_CASE("quantile never under-reports", "[latency]")
{
    // Samples 1..N ns, one each: the q-quantile is the value at rank ceil(q*N).
    const uint64_t n = 20000;
    LatencyHistogram h;
    for (uint64_t v = 1; v <= n; v++)
        h.add(v);
    for (double q : {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
        INFO("q " << q);
        const uint64_t truth = static_cast<uint64_t>(q * n + 0.5);  // q * n is whole here
        const uint64_t got = h.quantile(q);
        CHECK(got >= truth);
        // ... and stays within the bucket holding the true value.
        CHECK(xg_lat_bucket(got) == xg_lat_bucket(truth));
    }
}

TEST_CASE("percentiles within 1% of the truth, as HdrHistogram with 2 digits", "[latency]")
{
    // A server that answers after 20 ms: with 8 sub-buckets per power of two
    // p50 read 23.07 ms; now its bucket's upper edge is within 0.8%.
    for (uint64_t truth : {20'000'000ull, 22'440'000ull, 1'234'567ull, 999ull, 17ull}) {
        LatencyHistogram h;
        h.add(truth, 100);
        INFO("truth " << truth);
        CHECK(h.quantile(0.5) >= truth);
        CHECK(static_cast<double>(h.quantile(0.5)) <= static_cast<double>(truth) * 1.01);
        CHECK(static_cast<double>(h.max()) <= static_cast<double>(truth) * 1.01);
    }
}

TEST_CASE("empty histogram reports zero", "[latency]")
{
    LatencyHistogram h;
    CHECK(h.count() == 0);
    CHECK(h.quantile(0.5) == 0);
    CHECK(h.quantile(0.99) == 0);
    CHECK(h.max() == 0);
    CHECK(h.min() == 0);
    CHECK(h.mean() == 0);
}

TEST_CASE("min and max are the outer bucket edges", "[latency]")
{
    LatencyHistogram h;
    h.add(7);
    CHECK(h.min() == 7);
    CHECK(h.max() == 7);  // exact below 256 ns
    h.add(300);           // 256..511 in steps of 2: bucket 300..301
    h.add(5000);          // 4096..8191 in steps of 32: bucket 4992..5023
    CHECK(h.min() == 7);
    CHECK(h.max() == 5023);

    LatencyHistogram g;
    g.add(301);
    g.add(5000);
    CHECK(g.min() == 300);
    CHECK(g.max() == 5023);

    LatencyHistogram top;
    top.add(uint64_t{1} << 50);  // past the last power: saturates
    CHECK(top.max() == UINT64_MAX);
    CHECK(top.min() == xg_lat_bucket_floor(XG_LAT_BUCKETS - 1));

    LatencyHistogram clamped;
    clamped.add_bucket(XG_LAT_BUCKETS + 10, 3);  // out of range: counted in the top bucket
    CHECK(clamped.count() == 3);
    CHECK(clamped.max() == UINT64_MAX);
}

TEST_CASE("merge adds and minus subtracts, per bucket", "[latency]")
{
    LatencyHistogram a, b;
    a.add(10, 5);
    a.add(1000, 3);
    b.add(10, 2);
    b.add(1'000'000, 4);

    LatencyHistogram m = a;
    m.merge(b);
    CHECK(m.count() == 14);
    CHECK(m.min() == 10);
    CHECK(m.max() == lat_bucket_ceil(xg_lat_bucket(1'000'000)));
    CHECK(m.quantile(0.5) == 10);                     // rank 7 of 14: the 7 samples at 10 ns
    CHECK(m.quantile(0.6) == lat_bucket_ceil(xg_lat_bucket(1000)));  // rank ceil(8.4) = 9
    CHECK(m.quantile(1.0) == lat_bucket_ceil(xg_lat_bucket(1'000'000)));

    // The interval view: (a + b) - a = b.
    LatencyHistogram d = m.minus(a);
    CHECK(d.count() == 6);
    CHECK(d.min() == 10);
    CHECK(d.quantile(0.3) == 10);                                         // rank ceil(1.8) = 2
    CHECK(d.quantile(0.5) == lat_bucket_ceil(xg_lat_bucket(1'000'000)));  // rank 3
    CHECK(d.max() == lat_bucket_ceil(xg_lat_bucket(1'000'000)));

    // Nothing new: an empty interval.
    CHECK(m.minus(m).count() == 0);
    CHECK(m.minus(m).quantile(0.5) == 0);

    // Counters that went backwards (a reset) clamp at zero, never wrap.
    LatencyHistogram r = a.minus(m);
    CHECK(r.count() == 0);
    CHECK(r.max() == 0);
}
