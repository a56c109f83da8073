// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --impair, --impair-rx and --impair-rx-cap for `client` and `server`: the
// options, their parsing into the workers' settings, and the report.

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/worker.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct ImpairOptions {
    std::string tx, rx;          // specs, "" = none
    uint32_t rx_cap = 65536;     // frames --impair-rx holds at most
};

void add_impair_options(CLI::App* sub, ImpairOptions& o, const std::string& group);
// For commands that cannot impair (udp, tcp): the options, refused with why.
void add_impair_refusal(CLI::App* sub, std::string& given, const std::string& group);
Status refuse_impair(const std::string& given, const std::string& command, const std::string& why);

// Parses the specs into w (an error names the option and the item).
Status apply_impair(const ImpairOptions& o, engine::WorkerConfig& w);
// The same check before anything is set up.
Status check_impair(const ImpairOptions& o);
// "impair: ..." lines (empty without impairment), and the JSON of what was applied.
std::vector<std::string> impair_lines(const engine::WorkerConfig& w, const engine::WorkerCounters& c);
nlohmann::json impair_json(const engine::WorkerConfig& w, const engine::WorkerCounters& c);

}  // namespace xdpgen
