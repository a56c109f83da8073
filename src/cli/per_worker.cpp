// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/per_worker.hpp"

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {

namespace {

std::string label(const engine::WorkerSnapshot& w)
{
    return fmt::format("worker {} (queue {})", w.index, w.queue);
}

}  // namespace

nlohmann::json PerWorkerReport::interval(const Output& out, const std::vector<engine::WorkerSnapshot>& now, double dt)
{
    if (!show_)
        return nullptr;
    prev_.resize(now.size());
    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < now.size(); i++) {
        const auto& c = now[i].stats.c;
        const auto& p = prev_[i].stats.c;
        const double started = static_cast<double>(c.attempted - p.attempted) / dt;
        const double done = static_cast<double>(c.completed - p.completed) / dt;
        out.interval_line(fmt::format("    {:<20} started {:>9}/s  done {:>9}/s  failed {:>7}  open {:>8}  retx {:>6}  "
                                      "handed off {:>8}  ring full {:>6}",
                                      label(now[i]), fmt_si(started, ""), fmt_si(done, ""),
                                      fmt_count(c.failed - p.failed), fmt_count(c.open),
                                      fmt_count(c.retransmits - p.retransmits),
                                      fmt_count(c.rx_handed_off - p.rx_handed_off),
                                      fmt_count(c.handoff_dropped - p.handoff_dropped)));
        arr.push_back({{"worker", now[i].index},
                       {"started_per_s", started},
                       {"completed_per_s", done},
                       {"failed", c.failed - p.failed},
                       {"open", c.open},
                       {"rx_handed_off", c.rx_handed_off - p.rx_handed_off}});
    }
    prev_ = now;
    return arr;
}

void PerWorkerReport::summary(const Output& out, const std::vector<engine::WorkerSnapshot>& end) const
{
    if (!show_)
        return;
    for (const auto& w : end) {
        const auto& c = w.stats.c;
        out.line(fmt::format("  {}: {} started, {} completed, {} failed, {} packets in, {} out, {} handed off to other "
                             "workers ({} dropped, ring full), {} retransmitted",
                             label(w), fmt_count(c.attempted), fmt_count(c.completed), fmt_count(c.failed),
                             fmt_count(c.rx_packets), fmt_count(c.tx_packets), fmt_count(c.rx_handed_off),
                             fmt_count(c.handoff_dropped), fmt_count(c.retransmits)));
    }
}

nlohmann::json PerWorkerReport::totals_json(const std::vector<engine::WorkerSnapshot>& end)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& w : end) {
        const auto& c = w.stats.c;
        arr.push_back({{"worker", w.index},
                       {"queue", w.queue},
                       {"started", c.attempted},
                       {"established", c.established},
                       {"completed", c.completed},
                       {"failed", c.failed},
                       {"rx_packets", c.rx_packets},
                       {"tx_packets", c.tx_packets},
                       {"rx_handed_off", c.rx_handed_off},
                       {"handoff_dropped", c.handoff_dropped},
                       {"retransmitted_segments", c.retransmits}});
    }
    return arr;
}

}  // namespace xdpgen
