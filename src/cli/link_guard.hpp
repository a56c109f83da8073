// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The run's interface, watched from the run loop (--on-link-down). A run
// whose interface goes down ends at once with a sentence saying so, or
// rides the down period out for a bounded time; a deleted interface always
// ends it. A worker's transmit error that the link explains (ENETDOWN,
// ENXIO of an unbound socket) is reported as the link's sentence.

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "cli/options.hpp"
#include "engine/engine.hpp"
#include "sys/netdev.hpp"

namespace xdpgen {

class LinkGuard {
public:
    // Starts the clock of the messages: make it just before the run starts.
    LinkGuard(const Output& out, std::string ifname, int ifindex, LinkDownPolicy policy);

    // From the run loop (a few syscalls; every few ms is fine). While a down
    // period is ridden out the engine starts no connections. True when the
    // run must end: the interface is gone, down in fail mode, or down longer
    // than the wait allows.
    bool check(engine::Engine& e);
    // check() ended the run: what is left open is reset, not drained.
    bool ended_run() const { return error_.has_value(); }
    // The error that ends the run, if any: the link's when it ended the run
    // or explains `run` (a worker's or sender's error); else run's own.
    std::optional<Error> run_error(const Status& run);
    // "link: xg0 was down 1 time, 1.23 s in all" when it was down, else "".
    std::string summary_line() const;
    nlohmann::json json() const;

private:
    using Clock = std::chrono::steady_clock;
    double since_start() const;
    bool settled(LinkState s);
    void went_down(engine::Engine& e, LinkState s);
    void came_back(engine::Engine& e);
    bool usable(LinkState s) const;
    // Starts a down period (true) unless one is running.
    bool note_down(LinkState s);
    double down_total() const;
    // waited_out: down longer than --on-link-down wait allows.
    Error error_for(LinkState s, bool waited_out = false) const;

    const Output& out_;
    std::string ifname_;
    int ifindex_;
    LinkDownPolicy policy_;
    bool carrier_at_start_;  // without it at the start, carrier is not watched
    Clock::time_point t0_ = Clock::now();
    std::optional<Clock::time_point> first_seen_down_;  // settling: not acted on yet
    std::optional<Clock::time_point> down_since_;
    LinkState down_state_ = LinkState::Up;
    uint32_t down_periods_ = 0;
    double down_s_ = 0;
    std::optional<Error> error_;
};

}  // namespace xdpgen
