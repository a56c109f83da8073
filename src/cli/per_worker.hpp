// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --per-worker: each worker's share of the live lines, the summary and the
// JSON report, next to the sums the commands print anyway. An uneven split
// (one queue taking most flows, hand-offs between workers) shows here.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "engine/engine.hpp"

namespace xdpgen {

class PerWorkerReport {
public:
    explicit PerWorkerReport(bool show) : show_(show) {}
    bool shown() const { return show_; }

    // After an interval line: one line per worker (when shown), and the
    // interval's per-worker figures for the JSON intervals (else null).
    nlohmann::json interval(const Output& out, const std::vector<engine::WorkerSnapshot>& now, double dt);
    // Summary lines (when shown).
    void summary(const Output& out, const std::vector<engine::WorkerSnapshot>& end) const;
    // Each worker's totals for the JSON report (always: scripts may want them).
    static nlohmann::json totals_json(const std::vector<engine::WorkerSnapshot>& end);

private:
    bool show_;
    std::vector<engine::WorkerSnapshot> prev_;
};

}  // namespace xdpgen
