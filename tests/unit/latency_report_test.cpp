// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// --latency's spectrum and --latency-file's CSV (src/cli/latency_report).

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>

#include "cli/latency_report.hpp"

using namespace xdpgen;

TEST_CASE("latency spectrum: a row per percentile, a column per non-empty histogram", "[latency]")
{
    LatencyHistogram a, b, empty;
    for (uint64_t v = 1; v <= 10000; v++)
        a.add(v * 1000);  // 1 us .. 10 ms, evenly
    b.add(19'000'000, 7);
    const auto lines = latency_spectrum_lines({{"connect", &a}, {"nothing", &empty}, {"first byte", &b}});
    REQUIRE(lines.size() == 2 + 8 + 1);  // title, header, 8 percentiles, samples
    CHECK_THAT(lines[1], Catch::Contains("connect") && Catch::Contains("first byte") && !Catch::Contains("nothing"));
    CHECK_THAT(lines[2], Catch::StartsWith("     50.000%") && Catch::Contains("5.0"));   // p50 of a: 5 ms
    CHECK_THAT(lines[2], Catch::Contains("19.0"));                                      // b: 19 ms
    CHECK_THAT(lines[8], Catch::StartsWith("     99.999%"));
    CHECK_THAT(lines[9], Catch::StartsWith("    100.000%") && Catch::Contains("10.0"));  // a's max: 10 ms
    CHECK_THAT(lines[10], Catch::Contains("10000") && Catch::Contains("7"));
    CHECK(latency_spectrum_lines({{"nothing", &empty}}).empty());
}

TEST_CASE("latency CSV: a row per bucket, counts that add up, runs that merge by summing", "[latency]")
{
    LatencyHistogram a, b;
    a.add(150, 3);
    a.add(20'000'000, 5);
    b.add(20'000'100, 2);  // the same bucket as 20 ms
    char path[] = "/tmp/xdpgen-latcsv-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(write_latency_csv(path, {{"first byte", &a}, {"total", &b}}));
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    CHECK(line == "metric,lower_ns,upper_ns,count");
    std::map<std::string, uint64_t> by_metric;
    std::map<std::string, uint64_t> by_bucket;  // "lower,upper" over both metrics, as a merge would
    int rows = 0;
    while (std::getline(in, line)) {
        rows++;
        std::stringstream ss(line);
        std::string metric, lo, hi, n;
        std::getline(ss, metric, ',');
        std::getline(ss, lo, ',');
        std::getline(ss, hi, ',');
        std::getline(ss, n, ',');
        CHECK(std::stoull(lo) <= std::stoull(hi));
        by_metric[metric] += std::stoull(n);
        by_bucket[lo + "," + hi] += std::stoull(n);
    }
    std::remove(path);
    CHECK(rows == 3);
    CHECK(by_metric["first_byte"] == 8);
    CHECK(by_metric["total"] == 2);
    CHECK(by_bucket["150,150"] == 3);
    CHECK(by_bucket.size() == 2);  // 20 ms and 20.0001 ms share a bucket: their counts merge
    CHECK_FALSE(write_latency_csv("/nonexistent/dir/x.csv", {{"total", &b}}));
}
