// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What every subcommand shares: exit codes, error printing, signals, the
// per-interval loop, and where human and JSON output go.

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "stats/latency.hpp"
#include "cli/interval_log.hpp"
#include "util/result.hpp"

namespace xdpgen {

enum ExitCode : int {
    kExitOk = 0,
    kExitRunFailed = 1,  // the run happened but missed what was asked
    kExitSetup = 2,      // usage or set-up error: nothing was measured
};

// Prints "xdpgen: <message>" and the hint, once, on stderr.
void print_error(const Error& e);
int fail_setup(const Error& e);

// SIGINT/SIGTERM set a flag the loops poll; the run then ends cleanly.
void install_stop_signals();
bool stop_requested();

struct OutputOptions {
    std::string json_path;  // "" = none, "-" = stdout
    bool quiet = false;     // no per-interval lines
    bool silent = false;    // no lines at all (a run inside another, e.g. a --find-max step)
};

class Output {
public:
    explicit Output(const OutputOptions& o);
    // Human lines go to stderr when the JSON document takes stdout.
    FILE* human() const { return human_; }
    void line(const std::string& s) const;
    void interval_line(const std::string& s) const;
    // With `intervals`, the document gets an "intervals" array streamed from it
    // (and "intervals_lost" when entries could not be kept).
    Status write_json(const nlohmann::json& doc, const IntervalLog* intervals = nullptr) const;

private:
    OutputOptions opts_;
    FILE* human_;
};

struct TickLoop {
    std::chrono::duration<double> interval{1.0};
    std::chrono::duration<double> duration{0};  // 0 = no limit
};

// Calls tick(elapsed_s) every interval until done() is true, the duration
// is over or a stop signal came; a last tick() is made for a partial interval.
// Returns the elapsed seconds.
double run_ticks(const TickLoop& loop, const std::function<bool()>& done,
                 const std::function<void(double elapsed_s, double interval_s)>& tick);

// A histogram's percentiles for the JSON report (null when empty).
nlohmann::json latency_json(const LatencyHistogram& h);
// "p50 850 ns  p90 ...  max ..." for the summary lines.
std::string latency_line(const LatencyHistogram& h);

}  // namespace xdpgen
