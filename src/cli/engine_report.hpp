// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What `client` and `server` report from the engine's counters: the same
// JSON keys, summary lines and latency columns for both, so the two never
// drift apart; each command adds only what is its own (a client's ports
// and requests, a server's SYN cookies).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "xdpgen/abi.h"
#include "cli/latency_report.hpp"
#include "engine/worker.hpp"
#include "engine/worker_stats.hpp"

namespace xdpgen {

// counters: every key both roles have, then the role's own: a client's
// "attempted", requests and ports, a server's "accepted" and SYN cookies.
nlohmann::json engine_counters_json(const engine::WorkerCounters& c, engine::Role role);

// "2 timeout, 1 reset by peer": the causes of failure that happened.
std::string failure_causes(const engine::WorkerCounters& c);

// The steering program's counters.
nlohmann::json steering_json(const xg_steer_counters& s);

// "traffic: sent ... B, received ... B, ..." (and a server's SYN cookies).
std::string traffic_line(const engine::WorkerCounters& c, engine::Role role);

// The latencies a role measures, by name; for the summary lines, the JSON
// and --latency / --latency-file. rps: the client's --rps request and send lag.
std::vector<LatencyColumn> latency_columns(const engine::WorkerStats& s, engine::Role role, bool rps = false);
// "connect:    p50 ..." for each measured one.
std::vector<std::string> latency_lines(const std::vector<LatencyColumn>& cols);
// {"connect": {...}, "first_byte": {...}, ...}: names with '_' for ' '.
nlohmann::json latencies_json(const std::vector<LatencyColumn>& cols);

}  // namespace xdpgen
