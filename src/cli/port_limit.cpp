// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/port_limit.hpp"

#include <fmt/format.h>

#include "stats/units.hpp"

namespace xdpgen {

PortLimit port_limit(const PortUse& u)
{
    PortLimit l;
    l.pairs = u.local_addrs * u.ports;
    const std::string more = "add local addresses (--src-addr A-B) or widen --src-port-range";
    if (u.resting > 0 && u.resting >= u.in_time_wait && u.peer_time_wait_s > 0) {
        l.hold_s = u.peer_time_wait_s;
        l.cause = fmt::format("the server closes first, so each port rests --peer-time-wait {} s", u.peer_time_wait_s);
        l.fix = more + ", or lower --peer-time-wait to the server's TIME-WAIT";
    } else if (u.in_time_wait > 0 && u.time_wait_s > 0) {
        l.hold_s = u.time_wait_s;
        l.cause = fmt::format("we close first and hold each port in TIME-WAIT --time-wait {} s", u.time_wait_s);
        l.fix = more + ", or shorten --time-wait";
    } else {
        l.cause = "every local port is taken by an open connection";
        l.fix = more + ", or lower --concurrency";
    }
    l.cap_cps = l.hold_s > 0 ? static_cast<double>(l.pairs) / l.hold_s : 0;
    return l;
}

std::string port_limit_note(const PortLimit& l, uint64_t waits)
{
    const std::string cap =
        l.cap_cps > 0 ? fmt::format(": at most about {} conn/s", fmt_count(static_cast<uint64_t>(l.cap_cps + 0.5))) : std::string();
    return fmt::format("local ports exhausted ({} starts waited): {} local ports, {}{}, a limit of the generator, "
                       "not of the server; {}",
                       fmt_count(waits), fmt_count(l.pairs), l.cause, cap, l.fix);
}

nlohmann::json port_limit_json(const PortLimit& l, uint64_t waits)
{
    return {{"starts_waited", waits}, {"local_ports", l.pairs}, {"hold_s", l.hold_s},
            {"cap_cps", l.cap_cps},   {"cause", l.cause},       {"fix", l.fix}};
}

}  // namespace xdpgen
