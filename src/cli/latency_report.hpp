// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The latency detail asked with --latency and --latency-file: the percentile
// spectrum (as wrk2 --latency prints it) and the histogram itself as CSV,
// which merges across runs by summing the counts of equal rows.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "stats/latency.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct LatencyDetail {
    bool spectrum = false;  // --latency
    std::string csv_path;   // --latency-file ("" = none)
};

// The same two options in every command that measures latency.
void add_latency_options(CLI::App* sub, LatencyDetail& d, const std::string& group);

struct LatencyColumn {
    std::string name;  // "connect", "first byte", ...: the CSV's metric with spaces as '_'
    const LatencyHistogram* h;
};

// The percentiles 50 to 99.999 and 100 of each histogram, a column each,
// with a header; nothing when all are empty.
std::vector<std::string> latency_spectrum_lines(const std::vector<LatencyColumn>& cols);

// "metric,lower_ns,upper_ns,count", one row per non-empty bucket. Sum the
// counts of rows equal in their first three fields to merge runs.
Status write_latency_csv(const std::string& path, const std::vector<LatencyColumn>& cols);

// Creates (empties) the --latency-file before the run, so a path that
// cannot be written is a set-up error, not a lost result.
Status prepare_latency_file(const LatencyDetail& d);

// Both, as asked: the lines through `line`, the file written.
Status report_latency(const LatencyDetail& d, const std::vector<LatencyColumn>& cols,
                      const std::function<void(const std::string&)>& line);

}  // namespace xdpgen
