// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/latency_report.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

namespace xdpgen {

namespace {

constexpr double kPercentiles[] = {50, 75, 90, 99, 99.9, 99.99, 99.999, 100};

// Four significant digits or more: the spectrum shows what the 0.8% buckets hold.
std::string fmt_latency(uint64_t ns)
{
    if (ns == UINT64_MAX)
        return "> 18 min";
    const double v = static_cast<double>(ns);
    if (ns >= 1'000'000'000)
        return fmt::format("{:.4f} s", v / 1e9);
    if (ns >= 1'000'000)
        return fmt::format("{:.3f} ms", v / 1e6);
    if (ns >= 1'000)
        return fmt::format("{:.3f} us", v / 1e3);
    return fmt::format("{} ns", ns);
}

std::string metric_name(const std::string& name)
{
    std::string m = name;
    for (char& c : m)
        if (c == ' ')
            c = '_';
    return m;
}

}  // namespace

void add_latency_options(CLI::App* sub, LatencyDetail& d, const std::string& group)
{
    sub->add_flag("--latency", d.spectrum,
                  "Print each latency's percentile spectrum (50 to 99.999 and max, within 1%) in the summary")
        ->group(group);
    sub->add_option("--latency-file", d.csv_path,
                    "Write the latency histograms as CSV (metric,lower_ns,upper_ns,count; sum counts to merge runs)")
        ->group(group);
}

std::vector<std::string> latency_spectrum_lines(const std::vector<LatencyColumn>& cols)
{
    std::vector<LatencyColumn> used;
    for (const auto& c : cols)
        if (c.h->count())
            used.push_back(c);
    if (used.empty())
        return {};
    std::vector<std::string> lines{"latency spectrum (each value within 1% above the true one):"};
    std::string head = fmt::format("  {:>10}", "percentile");
    for (const auto& c : used)
        head += fmt::format("  {:>13}", c.name);
    lines.push_back(head);
    for (double p : kPercentiles) {
        std::string l = fmt::format("  {:>9.3f}%", p);
        for (const auto& c : used)
            l += fmt::format("  {:>13}", fmt_latency(p >= 100 ? c.h->max() : c.h->quantile(p / 100)));
        lines.push_back(l);
    }
    std::string n = fmt::format("  {:>10}", "samples");
    for (const auto& c : used)
        n += fmt::format("  {:>13}", c.h->count());
    lines.push_back(n);
    return lines;
}

Status write_latency_csv(const std::string& path, const std::vector<LatencyColumn>& cols)
{
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
    if (!f)
        return sys_error(fmt::format("cannot write the latency file {}", path), errno);
    bool ok = std::fputs("metric,lower_ns,upper_ns,count\n", f.get()) >= 0;
    for (const auto& c : cols)
        c.h->for_each_bucket([&](uint64_t lo, uint64_t hi, uint64_t n) {
            ok = ok && std::fprintf(f.get(), "%s,%llu,%llu,%llu\n", metric_name(c.name).c_str(),
                                    static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi),
                                    static_cast<unsigned long long>(n)) > 0;
        });
    if (!ok || std::fflush(f.get()) != 0)
        return sys_error(fmt::format("cannot write the latency file {}", path), errno);
    return {};
}

Status prepare_latency_file(const LatencyDetail& d)
{
    if (d.csv_path.empty())
        return {};
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(d.csv_path.c_str(), "w"), &std::fclose);
    if (!f)
        return sys_error(fmt::format("cannot write the latency file {}", d.csv_path), errno,
                         "give --latency-file a path in a writable directory");
    return {};
}

Status report_latency(const LatencyDetail& d, const std::vector<LatencyColumn>& cols,
                      const std::function<void(const std::string&)>& line)
{
    if (d.spectrum)
        for (const auto& l : latency_spectrum_lines(cols))
            line(l);
    if (!d.csv_path.empty())
        return write_latency_csv(d.csv_path, cols);
    return {};
}

}  // namespace xdpgen
