// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/common.hpp"

#include <csignal>
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

}  // namespace

void print_error(const Error& e)
{
    fmt::print(stderr, "xdpgen: {}\n", e.message());
    if (!e.hint.empty())
        fmt::print(stderr, "  hint: {}\n", e.hint);
}

int fail_setup(const Error& e)
{
    print_error(e);
    return kExitSetup;
}

void install_stop_signals()
{
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop != 0; }

Output::Output(const OutputOptions& o) : opts_(o), human_(o.json_path == "-" ? stderr : stdout) {}

void Output::line(const std::string& s) const
{
    if (opts_.silent)
        return;
    fmt::print(human_, "{}\n", s);
    std::fflush(human_);
}

void Output::interval_line(const std::string& s) const
{
    if (!opts_.quiet)
        line(s);
}

Status Output::write_json(const nlohmann::json& doc, const IntervalLog* intervals) const
{
    if (opts_.json_path.empty())
        return {};
    std::string text = doc.dump(2);
    std::unique_ptr<FILE, int (*)(FILE*)> file(nullptr, &std::fclose);
    FILE* to = stdout;
    if (opts_.json_path != "-") {
        file.reset(std::fopen(opts_.json_path.c_str(), "w"));
        if (!file)
            return sys_error(fmt::format("cannot write the JSON report to {}", opts_.json_path), errno);
        to = file.get();
    }
    const std::string where = opts_.json_path == "-" ? "stdout" : opts_.json_path;
    auto put = [&](const std::string& s) { return std::fwrite(s.data(), 1, s.size(), to) == s.size(); };
    bool ok = true;
    if (intervals && text.size() >= 2 && text.back() == '}') {
        // The streamed array goes in as the document's last member.
        text.pop_back();
        while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
            text.pop_back();
        ok = put(text + ",\n  \"intervals\": [\n");
        if (ok) {
            if (auto st = intervals->write_items(to); !st)
                return st;
            ok = put(intervals->lost() ? fmt::format("\n  ],\n  \"intervals_lost\": {}\n}}\n", intervals->lost())
                                       : std::string("\n  ]\n}\n"));
        }
    } else {
        ok = put(text + "\n");
    }
    if (!ok || std::fflush(to) != 0)
        return sys_error(fmt::format("cannot write the JSON report to {}", where), errno);
    return {};
}

double run_ticks(const TickLoop& loop, const std::function<bool()>& done,
                 const std::function<void(double, double)>& tick)
{
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto next = t0 + std::chrono::duration_cast<clock::duration>(loop.interval);
    auto last = t0;
    const bool limited = loop.duration.count() > 0;
    const auto end = t0 + std::chrono::duration_cast<clock::duration>(loop.duration);
    for (;;) {
        const bool finished = done() || stop_requested() || (limited && clock::now() >= end);
        const auto now = clock::now();
        if (finished || now >= next) {
            const double since = std::chrono::duration<double>(now - last).count();
            if (!finished || since > 0.05)  // a last, partial interval only if it holds something
                tick(std::chrono::duration<double>(now - t0).count(), since);
            last = now;
            if (finished)
                return std::chrono::duration<double>(now - t0).count();
            while (next <= now)
                next += std::chrono::duration_cast<clock::duration>(loop.interval);
        }
        auto wake = next;
        if (limited && end < wake)
            wake = end;
        const auto step = std::min<clock::duration>(wake - clock::now(), std::chrono::milliseconds(10));
        if (step > clock::duration::zero())
            std::this_thread::sleep_for(step);
    }
}

nlohmann::json latency_json(const LatencyHistogram& h)
{
    if (h.count() == 0)
        return nullptr;
    return {{"samples", h.count()},      {"min_ns", h.min()},           {"mean_ns", h.mean()},
            {"p50_ns", h.quantile(0.5)}, {"p90_ns", h.quantile(0.9)},   {"p99_ns", h.quantile(0.99)},
            {"p999_ns", h.quantile(0.999)}, {"max_ns", h.max()}};
}

std::string latency_line(const LatencyHistogram& h)
{
    auto q = [&](double p) { return fmt_ns(static_cast<double>(h.quantile(p))); };
    return fmt::format("p50 {}  p90 {}  p99 {}  p99.9 {}  max {}", q(0.5), q(0.9), q(0.99), q(0.999),
                       fmt_ns(static_cast<double>(h.max())));
}

}  // namespace xdpgen
