// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/impair_options.hpp"

#include <fmt/format.h>

namespace xdpgen {

namespace {
constexpr const char* kSpecHelp = "delay=20ms,jitter=5ms,loss=1%,reorder=0.5%,seed=42 (any of them)";
}

void add_impair_options(CLI::App* sub, ImpairOptions& o, const std::string& group)
{
    sub->add_option("--impair", o.tx,
                    fmt::format("Impair the segments this side sends: {}. Delayed ones leave late, lost ones never, "
                                "reordered ones 1 ms after their delay (what follows overtakes them)",
                                kSpecHelp))
        ->group(group);
    sub->add_option("--impair-rx", o.rx, "Impair the frames this side receives, the same way (held as copies)")->group(group);
    sub->add_option("--impair-rx-cap", o.rx_cap,
                    "Frames --impair-rx holds at once per worker; past it they are dropped and counted")
        ->capture_default_str()
        ->check(CLI::Range(16u, 1u << 22))
        ->group(group);
}

void add_impair_refusal(CLI::App* sub, std::string& given, const std::string& group)
{
    sub->add_option("--impair", given, "Not for this command: `client` and `server` impair their own flows")->group(group);
}

Status refuse_impair(const std::string& given, const std::string& command, const std::string& why)
{
    if (given.empty())
        return {};
    return make_error(fmt::format("--impair: `{}` cannot impair its traffic: {}", command, why), 0,
                      "`xdpgen client` and `xdpgen server` impair their own connections (--impair, --impair-rx)");
}

Status apply_impair(const ImpairOptions& o, engine::WorkerConfig& w)
{
    if (!o.tx.empty()) {
        auto s = engine::parse_impair(o.tx, "--impair");
        if (!s)
            return s.error();
        w.impair_tx = s.value();
    }
    if (!o.rx.empty()) {
        auto s = engine::parse_impair(o.rx, "--impair-rx");
        if (!s)
            return s.error();
        w.impair_rx = s.value();
    }
    w.impair_rx_cap = o.rx_cap;
    return {};
}

Status check_impair(const ImpairOptions& o)
{
    engine::WorkerConfig w;
    return apply_impair(o, w);
}

std::vector<std::string> impair_lines(const engine::WorkerConfig& w, const engine::WorkerCounters& c)
{
    std::vector<std::string> out;
    if (w.impair_tx.any() || !w.program_impair.empty())
        out.push_back(fmt::format("impair tx {}: {} segments, {} dropped, {} delayed, {} reordered{}",
                                  w.impair_tx.any() ? w.impair_tx.describe() : "by template", c.impair_tx_segments, c.impair_tx_dropped, c.impair_tx_delayed,
                                  c.impair_tx_reordered,
                                  c.impair_tx_flow_gone ? fmt::format(", {} not sent: their flow had ended", c.impair_tx_flow_gone)
                                                        : ""));
    if (w.impair_rx.any()) {
        out.push_back(fmt::format("impair rx {}: {} frames, {} dropped, {} delayed, {} reordered, at most {} held",
                                  w.impair_rx.describe(), c.impair_rx_frames, c.impair_rx_dropped, c.impair_rx_delayed,
                                  c.impair_rx_reordered, c.impair_rx_held_peak));
        if (c.impair_rx_cap_dropped)
            out.push_back(fmt::format("impair rx: {} frames DROPPED at the cap of {} held per worker: raise "
                                      "--impair-rx-cap, or lower the delay or the rate",
                                      c.impair_rx_cap_dropped, w.impair_rx_cap));
    }
    return out;
}

nlohmann::json impair_json(const engine::WorkerConfig& w, const engine::WorkerCounters& c)
{
    nlohmann::json j = nlohmann::json::object();
    const auto spec = [](const engine::ImpairSpec& s) {
        return nlohmann::json{{"spec", s.describe()},
                              {"delay_ns", s.delay_ns},
                              {"jitter_ns", s.jitter_ns},
                              {"loss_ppm", s.loss_ppm},
                              {"reorder_ppm", s.reorder_ppm},
                              {"seed", s.seed}};
    };
    if (w.impair_tx.any() || !w.program_impair.empty()) {
        j["tx"] = w.impair_tx.any() ? spec(w.impair_tx) : nlohmann::json::object();
        j["tx"]["segments"] = c.impair_tx_segments;
        j["tx"]["dropped"] = c.impair_tx_dropped;
        j["tx"]["delayed"] = c.impair_tx_delayed;
        j["tx"]["reordered"] = c.impair_tx_reordered;
        j["tx"]["flow_gone"] = c.impair_tx_flow_gone;
    }
    if (w.impair_rx.any()) {
        j["rx"] = spec(w.impair_rx);
        j["rx"]["frames"] = c.impair_rx_frames;
        j["rx"]["dropped"] = c.impair_rx_dropped;
        j["rx"]["delayed"] = c.impair_rx_delayed;
        j["rx"]["reordered"] = c.impair_rx_reordered;
        j["rx"]["cap"] = w.impair_rx_cap;
        j["rx"]["cap_dropped"] = c.impair_rx_cap_dropped;
        j["rx"]["held_peak"] = c.impair_rx_held_peak;
    }
    if (!w.program_impair.empty()) {
        nlohmann::json& per = j["tx_per_template"] = nlohmann::json::array();
        for (const auto& s : w.program_impair)
            per.push_back(s.any() ? nlohmann::json(s.describe()) : nlohmann::json(nullptr));
    }
    return j.empty() ? nlohmann::json(nullptr) : j;
}

}  // namespace xdpgen
