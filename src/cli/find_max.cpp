// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/find_max.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {

namespace {

constexpr double kDefaultMinRate = 0.95;

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::optional<double> to_double(const std::string& s)
{
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

std::optional<uint64_t> parse_duration_ns(const std::string& s)
{
    static const std::pair<const char*, double> kUnits[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    for (const auto& [unit, scale] : kUnits) {
        const std::string u(unit);
        if (s.size() > u.size() && s.compare(s.size() - u.size(), u.size(), u) == 0) {
            auto v = to_double(s.substr(0, s.size() - u.size()));
            // "10ms" also ends in "s": only a number before the unit counts.
            if (v && *v > 0)
                return static_cast<uint64_t>(*v * scale + 0.5);
        }
    }
    return std::nullopt;
}

// "p99" -> 0.99, "p99.9" -> 0.999, "max" -> 1.
std::optional<double> parse_quantile(const std::string& s)
{
    if (s == "max")
        return 1.0;
    if (s.size() < 2 || s[0] != 'p')
        return std::nullopt;
    auto v = to_double(s.substr(1));
    if (!v || *v <= 0 || *v >= 100)
        return std::nullopt;
    return *v / 100;
}

Result<SloTerm> parse_latency_term(const std::string& t)
{
    const auto lt = t.find('<');
    std::string left = trim(t.substr(0, lt)), metric;
    if (const auto dot = left.find('.'); dot != std::string::npos && left[0] != 'p') {
        metric = left.substr(0, dot);
        left = left.substr(dot + 1);
    }
    if (!metric.empty() && metric != "connect" && metric != "first_byte" && metric != "total" && metric != "request")
        return make_error(fmt::format("--slo '{}': '{}' is no latency", t, metric), 0,
                          "latencies: connect, first_byte, total, request (e.g. connect.p99<5ms)");
    const auto q = parse_quantile(left);
    if (!q)
        return make_error(fmt::format("--slo '{}': '{}' is not a percentile", t, left), 0, "e.g. p50, p99, p99.9 or max");
    const auto ns = parse_duration_ns(trim(t.substr(lt + 1)));
    if (!ns)
        return make_error(fmt::format("--slo '{}': '{}' is not a duration", t, trim(t.substr(lt + 1))), 0,
                          "e.g. 800us, 10ms or 1.5s");
    SloTerm term;
    term.metric = metric;
    term.quantile = *q;
    term.limit_ns = *ns;
    return term;
}

Result<SloTerm> parse_term(const std::string& t)
{
    SloTerm term;
    if (t.rfind("errors", 0) == 0) {
        std::string v = trim(t.substr(6));
        v = v.rfind("<=", 0) == 0 ? v.substr(2) : v.rfind('=', 0) == 0 ? v.substr(1) : "";
        const auto n = to_double(trim(v));
        if (!n || *n < 0 || *n != static_cast<double>(static_cast<uint64_t>(*n)))
            return make_error(fmt::format("--slo '{}': errors takes a count", t), 0, "e.g. errors=0 or errors<=10");
        term.kind = SloTerm::Kind::Errors;
        term.max_errors = static_cast<uint64_t>(*n);
    } else if (t.rfind("rate", 0) == 0) {
        const std::string v = trim(t.substr(4));
        const auto f = v.rfind(">=", 0) == 0 ? to_double(trim(v.substr(2))) : std::nullopt;
        if (!f || *f <= 0 || *f > 1)
            return make_error(fmt::format("--slo '{}': rate takes the share of the asked rate to reach", t), 0,
                              "e.g. rate>=0.95");
        term.kind = SloTerm::Kind::Rate;
        term.min_rate = *f;
    } else if (t.find('<') != std::string::npos) {
        auto l = parse_latency_term(t);
        if (!l)
            return l.error();
        term = *l;
    } else {
        return make_error(fmt::format("--slo: '{}' is not a term", t), 0, "e.g. --slo 'p99<10ms,errors=0'");
    }
    term.text = t;
    return term;
}

const LatencyHistogram* find_latency(const StepMeasure& m, const std::string& name)
{
    for (const auto& [n, h] : m.latencies)
        if (n == name)
            return h;
    return nullptr;
}

}  // namespace

std::string Slo::text() const
{
    std::string s;
    for (const auto& t : terms)
        s += (s.empty() ? "" : ",") + t.text;
    return s;
}

Result<Slo> parse_slo(const std::string& spec)
{
    Slo slo;
    bool has_rate = false, has_errors = false;
    size_t at = 0;
    while (at <= spec.size()) {
        const auto comma = spec.find(',', at);
        const std::string t = trim(spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (t.empty())
            return make_error(fmt::format("--slo '{}': an empty term", spec), 0, "e.g. --slo 'p99<10ms,errors=0'");
        auto term = parse_term(t);
        if (!term)
            return term.error();
        has_rate |= term->kind == SloTerm::Kind::Rate;
        has_errors |= term->kind == SloTerm::Kind::Errors;
        slo.terms.push_back(*term);
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    if (!has_errors) {
        // A rate reached by failing requests (503s past a limit) is no rate met.
        SloTerm e;
        e.kind = SloTerm::Kind::Errors;
        e.text = "errors=0";
        slo.terms.push_back(e);
    }
    if (!has_rate) {
        // A rate the generator or server did not reach was not tested.
        SloTerm r;
        r.kind = SloTerm::Kind::Rate;
        r.min_rate = kDefaultMinRate;
        r.text = fmt::format("rate>={}", kDefaultMinRate);
        slo.terms.push_back(r);
    }
    return slo;
}

StepVerdict judge_step(const Slo& slo, const std::string& own_metric, const StepMeasure& m)
{
    for (const auto& t : slo.terms) {
        switch (t.kind) {
        case SloTerm::Kind::Errors:
            if (m.failed > t.max_errors)
                return {false, fmt::format("{} failed ({})", fmt_count(m.failed), t.text)};
            break;
        case SloTerm::Kind::Rate:
            if (m.reached < t.min_rate * m.asked)
                return {false, fmt::format("reached {}/s of {}/s ({})", fmt_si(m.reached, ""), fmt_si(m.asked, ""), t.text)};
            break;
        case SloTerm::Kind::Latency: {
            const std::string name = t.metric.empty() ? own_metric : t.metric;
            const LatencyHistogram* h = find_latency(m, name);
            if (!h || !h->count())
                return {false, fmt::format("no {} latency measured ({})", name, t.text)};
            const uint64_t v = t.quantile >= 1 ? h->max() : h->quantile(t.quantile);
            if (v >= t.limit_ns)
                return {false, fmt::format("{} was {} ({})", name, fmt_ns(static_cast<double>(v)), t.text)};
            break;
        }
        }
    }
    return {};
}

RateSearch::RateSearch(double start, double factor, double precision, unsigned max_steps)
    : start_(start), factor_(factor), precision_(precision), max_steps_(max_steps)
{
}

std::optional<double> RateSearch::next() const
{
    if (steps_ >= max_steps_)
        return std::nullopt;
    if (!first_bad_)
        return best_ok_ ? *best_ok_ * factor_ : start_;
    const double lo = best_ok_.value_or(0), hi = *first_bad_;
    if (best_ok_ ? hi - lo <= precision_ * hi : hi < start_ / 64)
        return std::nullopt;
    return (lo + hi) / 2;
}

void RateSearch::record(double rate, bool ok)
{
    steps_++;
    if (ok) {
        if (!best_ok_ || rate > *best_ok_)
            best_ok_ = rate;
    } else if (!first_bad_ || rate < *first_bad_) {
        first_bad_ = rate;
    }
}

std::vector<std::string> find_max_table(const std::vector<StepRow>& rows, const char* unit)
{
    std::vector<std::string> out;
    out.push_back(fmt::format("{:>4}  {:>12}  {:>12}  {:>8}  {:>10}  {:>10}  {}", "step", fmt::format("asked {}", unit),
                              "reached", "failed", "p50", "p99", "verdict"));
    for (size_t i = 0; i < rows.size(); i++) {
        const StepRow& r = rows[i];
        out.push_back(fmt::format("{:>4}  {:>12}  {:>12}  {:>8}  {:>10}  {:>10}  {}", i + 1, fmt_si(r.asked, ""),
                                  fmt_si(r.reached, ""), fmt_count(r.failed),
                                  r.p50_ns ? fmt_ns(static_cast<double>(r.p50_ns)) : "-",
                                  r.p99_ns ? fmt_ns(static_cast<double>(r.p99_ns)) : "-", r.ok ? "ok" : "broke: " + r.why));
    }
    return out;
}

nlohmann::json find_max_json(const std::vector<StepRow>& rows, const Slo& slo, const RateSearch& s, const char* unit)
{
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& r : rows)
        steps.push_back({{"asked", r.asked}, {"reached", r.reached}, {"failed", r.failed}, {"p50_ns", r.p50_ns},
                         {"p99_ns", r.p99_ns}, {"ok", r.ok}, {"why", r.why}});
    std::string why;
    for (const auto& r : rows)
        if (!r.ok && s.first_bad() && r.asked == *s.first_bad())
            why = r.why;
    return {{"unit", unit},
            {"slo", slo.text()},
            {"max_ok", s.best_ok() ? nlohmann::json(*s.best_ok()) : nlohmann::json(nullptr)},
            {"first_bad", s.first_bad() ? nlohmann::json(*s.first_bad()) : nlohmann::json(nullptr)},
            {"first_bad_why", why},
            {"steps", steps}};
}

Status plot_find_max(const std::string& png, const std::vector<StepRow>& rows, const char* unit)
{
    // The data go inline ('-'), so no temporary file is left behind.
    std::string script = fmt::format(
        "set terminal pngcairo size 900,540\nset output '{}'\nset title 'xdpgen --find-max'\n"
        "set xlabel 'asked rate ({})'\nset ylabel 'latency (ms)'\nset logscale y\nset grid\nset key top left\n"
        "plot '-' using 1:2 with linespoints title 'p50', '-' using 1:2 with linespoints title 'p99'\n",
        png, unit);
    std::vector<StepRow> sorted = rows;
    std::sort(sorted.begin(), sorted.end(), [](const StepRow& a, const StepRow& b) { return a.asked < b.asked; });
    for (int col = 0; col < 2; col++) {
        for (const auto& r : sorted) {
            const uint64_t v = col == 0 ? r.p50_ns : r.p99_ns;
            if (v)
                script += fmt::format("{} {}\n", r.asked, static_cast<double>(v) / 1e6);
        }
        script += "e\n";
    }
    FILE* p = popen("gnuplot 2>&1", "w");
    if (!p)
        return sys_error("--plot: cannot start gnuplot", errno, "install it: apt-get install gnuplot-nox");
    std::fwrite(script.data(), 1, script.size(), p);
    const int st = pclose(p);
    if (st != 0)
        return make_error(fmt::format("--plot: gnuplot failed (status {}) writing {}", st, png), 0,
                          "is gnuplot installed (apt-get install gnuplot-nox) and the path writable?");
    return {};
}

}  // namespace xdpgen
