// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --find-max: the highest rate (connections or requests per second) at
// which a server still meets a service-level objective, found by short runs
// that step the rate up, then bisect between the last rate that met the
// objective and the first that broke it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/latency.hpp"
#include "util/result.hpp"

namespace xdpgen {

// One term of --slo, e.g. "p99<10ms", "connect.p50<1ms", "errors=0", "rate>=0.95".
struct SloTerm {
    enum class Kind : uint8_t { Latency, Errors, Rate } kind = Kind::Latency;
    std::string metric;    // Latency: "" (the mode's own: total or request), "connect", "first_byte", "total", "request"
    double quantile = 0;   // Latency: 0.99 for p99; 1 for max
    uint64_t limit_ns = 0; // Latency: the percentile must stay below this
    uint64_t max_errors = 0;  // Errors: failed connections allowed
    double min_rate = 0;   // Rate: the share of the asked rate that must be reached
    std::string text;      // as written, for the report
};

struct Slo {
    std::vector<SloTerm> terms;  // always has an Errors and a Rate term (default errors=0, rate>=0.95)
    std::string text() const;
};

// "p99<10ms,errors=0": terms separated by commas; durations in ns, us, ms
// or s; quantiles p50 ... p99.999 and max. Errors say which term is wrong.
Result<Slo> parse_slo(const std::string& spec);

// What one step measured.
struct StepMeasure {
    double asked = 0;     // the rate asked for (per second)
    double reached = 0;   // the rate reached
    uint64_t failed = 0;
    // By metric name ("connect", "first_byte", "total", "request"); null = none measured.
    std::vector<std::pair<std::string, const LatencyHistogram*>> latencies;
};

// Whether the step met every term; if not, why (the first term it broke,
// with the value it had).
struct StepVerdict {
    bool ok = true;
    std::string why;
};
StepVerdict judge_step(const Slo& slo, const std::string& own_metric, const StepMeasure& m);

// The rates to try: start, start * factor, ... while the objective holds,
// then bisection between the highest that held and the lowest that broke,
// until they are within `precision` of each other (a share of the higher).
class RateSearch {
public:
    RateSearch(double start, double factor = 2, double precision = 0.05, unsigned max_steps = 24);
    // The next rate to try; none when the search is over.
    std::optional<double> next() const;
    void record(double rate, bool ok);
    std::optional<double> best_ok() const { return best_ok_; }
    std::optional<double> first_bad() const { return first_bad_; }
    unsigned steps() const { return steps_; }

private:
    double start_, factor_, precision_;
    unsigned max_steps_, steps_ = 0;
    std::optional<double> best_ok_, first_bad_;
};

// One row per step, in the order run.
struct StepRow {
    double asked = 0, reached = 0;
    uint64_t failed = 0;
    uint64_t p50_ns = 0, p99_ns = 0;  // of the mode's own latency
    bool ok = false;
    std::string why;
};

std::vector<std::string> find_max_table(const std::vector<StepRow>& rows, const char* unit);
nlohmann::json find_max_json(const std::vector<StepRow>& rows, const Slo& slo, const RateSearch& s, const char* unit);
// Latency (p50, p99) against the asked rate, as a PNG through gnuplot.
Status plot_find_max(const std::string& png, const std::vector<StepRow>& rows, const char* unit);

}  // namespace xdpgen
