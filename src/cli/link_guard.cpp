// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/link_guard.hpp"

#include <cerrno>

#include <fmt/format.h>

namespace xdpgen {
namespace {

constexpr auto kSettle = std::chrono::milliseconds(20);

const char* state_name(LinkState s)
{
    switch (s) {
    case LinkState::Up: return "up";
    case LinkState::AdminDown: return "down";
    case LinkState::NoCarrier: return "no_carrier";
    case LinkState::Gone: return "deleted";
    }
    return "?";
}

}  // namespace

LinkGuard::LinkGuard(const Output& out, std::string ifname, int ifindex, LinkDownPolicy policy)
    : out_(out),
      ifname_(std::move(ifname)),
      ifindex_(ifindex),
      policy_(policy),
      carrier_at_start_(netdev_link_state(ifindex) != LinkState::NoCarrier)
{
}

double LinkGuard::since_start() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

bool LinkGuard::usable(LinkState s) const
{
    return s == LinkState::Up || (s == LinkState::NoCarrier && !carrier_at_start_);
}

bool LinkGuard::check(engine::Engine& e)
{
    if (error_)
        return true;
    const LinkState s = netdev_link_state(ifindex_);
    if (usable(s)) {
        first_seen_down_.reset();
        if (down_since_)
            came_back(e);
        return false;
    }
    if (!settled(s))
        return false;
    if (note_down(s) && policy_.wait && s != LinkState::Gone)
        went_down(e, s);
    const double down_for = std::chrono::duration<double>(Clock::now() - *down_since_).count();
    if (s == LinkState::Gone || !policy_.wait || down_for > policy_.max_wait_s) {
        down_state_ = s;
        error_ = error_for(s, policy_.wait && s != LinkState::Gone);
        return true;
    }
    return false;
}

bool LinkGuard::settled(LinkState s)
{
    // Setting an interface down drops its carrier a moment before its up
    // flag: a down state is acted on once it had time to settle.
    if (!first_seen_down_)
        first_seen_down_ = Clock::now();
    return s == LinkState::Gone || down_since_ || Clock::now() - *first_seen_down_ >= kSettle;
}

void LinkGuard::went_down(engine::Engine& e, LinkState s)
{
    e.pause(true);
    out_.line(fmt::format("link: {} went down at {:.2f} s ({}); waiting up to {} s for it (--on-link-down {})", ifname_,
                          since_start(), s == LinkState::AdminDown ? "set down" : "no carrier", policy_.max_wait_s,
                          policy_.str()));
}

void LinkGuard::came_back(engine::Engine& e)
{
    const double d = std::chrono::duration<double>(Clock::now() - *down_since_).count();
    down_s_ += d;
    down_since_.reset();
    e.pause(false);
    out_.line(fmt::format("link: {} is up again at {:.2f} s, after {:.2f} s down", ifname_, since_start(), d));
}

bool LinkGuard::note_down(LinkState s)
{
    if (down_since_)
        return false;
    down_since_ = Clock::now();
    down_state_ = s;
    down_periods_++;
    return true;
}

double LinkGuard::down_total() const
{
    return down_s_ + (down_since_ ? std::chrono::duration<double>(Clock::now() - *down_since_).count() : 0.0);
}

Error LinkGuard::error_for(LinkState s, bool waited_out) const
{
    const std::string ride = "--on-link-down wait rides out a short down period";
    if (s == LinkState::Gone)
        return make_error(fmt::format("the interface {} was deleted during the run", ifname_), 0,
                          "something removed it ('ip link del', a namespace or container torn down); "
                          "nothing of the run is left on it: recreate it and run again");
    if (waited_out)
        return make_error(fmt::format("the interface {} stayed down longer than the {} s --on-link-down {} allows",
                                      ifname_, policy_.max_wait_s, policy_.str()),
                          0, fmt::format("bring it up ('ip link set dev {} up'; 'ip link show {}' says why it is down) "
                                         "or allow longer with --on-link-down wait:SECONDS", ifname_, ifname_));
    if (s == LinkState::NoCarrier)
        return make_error(fmt::format("the interface {} lost its carrier during the run", ifname_), 0,
                          fmt::format("its link partner or cable went down ('ip link show {}' says NO-CARRIER; "
                                      "for a veth, its other end is down); {}", ifname_, ride));
    return make_error(fmt::format("the interface {} went down during the run", ifname_), 0,
                      fmt::format("something set it down; bring it up with 'ip link set dev {} up'; {}", ifname_, ride));
}

std::optional<Error> LinkGuard::run_error(const Status& run)
{
    if (error_)
        return error_;
    if (run)
        return std::nullopt;
    // A worker usually meets a link fault first (its transmit refused) and
    // the run ends before check() saw it: the link's state says why.
    const LinkState s = netdev_link_state(ifindex_);
    if (!usable(s)) {
        note_down(s);
        down_state_ = s;
        error_ = error_for(s);
        return error_;
    }
    if (run.error().err == ENETDOWN)  // down and up again already
        return error_for(LinkState::AdminDown);
    return run.error();
}

std::string LinkGuard::summary_line() const
{
    if (!down_periods_)
        return "";
    return fmt::format("link: {} was down {} time{}, {:.2f} s in all{}", ifname_, down_periods_,
                       down_periods_ == 1 ? "" : "s", down_total(),
                       down_since_ ? fmt::format(" ({} at the end)", state_name(down_state_)) : "");
}

nlohmann::json LinkGuard::json() const
{
    return {{"on_link_down", policy_.str()},
            {"down_periods", down_periods_},
            {"down_s", down_total()},
            {"state_at_end", state_name(down_since_ ? down_state_ : LinkState::Up)}};
}

}  // namespace xdpgen
