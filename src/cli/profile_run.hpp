// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A profile made ready for a run: each template's program for one side
// (client or server), with its name, weight, port and TCP settings, and the
// per-template lines and JSON of the report.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/profile.hpp"
#include "engine/worker.hpp"
#include "engine/worker_stats.hpp"
#include "program/program.hpp"

namespace xdpgen {

struct ProfilePrograms {
    std::string file;
    std::vector<program::Program> programs;
    std::vector<std::string> names;
    std::vector<uint32_t> weights;
    std::vector<uint16_t> ports;    // 0 = the target's port (client)
    std::vector<double> cps;        // a template's own rate; 0 = none
    std::vector<uint32_t> concurrency;  // its own most open at once; 0 = none (both 0: by weight)
    std::vector<ProfileTcp> tcp;
    std::vector<engine::ImpairSpec> impair;  // a template's own --impair; !any() = the run's
    uint64_t max_hold_ms = 0;  // the longest hold_ms: it does not count against --timeout

    bool empty() const { return names.empty(); }
    bool any_own_rate() const;
    // Each template's TCP settings on top of the run's; empty when no
    // template has its own (then the run's apply to all).
    std::vector<tcp::TcpConfig> tcp_configs(const tcp::TcpConfig& base, uint16_t mss_cap) const;
    // Sets the worker's weights, ports and TCP settings from these, and
    // per-template counters; `tcp_cfgs` must outlive the run. The caller
    // points WorkerConfig::programs at `programs` (or where it moved them).
    void configure(engine::WorkerConfig& w, const std::vector<tcp::TcpConfig>& tcp_cfgs) const;
};

// What the command line gives every client template.
struct ClientTemplateBase {
    std::string host;          // the Host of HTTP templates without their own
    uint64_t hold_ms = 0;      // --hold, for templates without hold_ms
    bool on_schedule = false;  // --rps
    bool v6 = false;           // the target's family: the width of address fields
};

Result<ProfilePrograms> client_programs(const Profile& p, const ClientTemplateBase& base);
// Every template needs a server side and its own port (one template may go
// without: it takes `default_port`; 0 = none).
Result<ProfilePrograms> server_programs(const Profile& p, uint16_t default_port, bool v6 = false);

// "template page (weight 3, port 80): 1,500 attempted, ..." and its JSON.
std::vector<std::string> template_lines(const ProfilePrograms& pp, const engine::WorkerStats& s, engine::Role role);
// --per-template: a live line per template, from the counters of the last tick.
std::vector<std::string> template_interval_lines(const ProfilePrograms& pp, const engine::WorkerStats& s,
                                                 const engine::WorkerStats& prev, double dt, engine::Role role);
nlohmann::json templates_json(const ProfilePrograms& pp, const engine::WorkerStats& s);

}  // namespace xdpgen
