// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen probe: what this kernel and interface support, in plain words.

#include <sys/utsname.h>

#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "sys/local_net.hpp"
#include "sys/path.hpp"
#include "sys/probe.hpp"

namespace xdpgen {
namespace {

struct ProbeOptions {
    std::string ifname;
    bool local = false;  // --local (or no interface): whether local mode works here
    OutputOptions out;
};

// Local mode's self-check: one line, and the JSON's "local_mode".
nlohmann::json probe_local(const Output& out)
{
    const Status st = local::local_mode_check();
    if (st) {
        out.line("  yes  local mode (a private veth pair to this host's servers)  no -i needed for 127.0.0.1, localhost, [::1] or this host's addresses");
        return {{"supported", true}, {"detail", ""}};
    }
    const std::string why = st.error().message() + (st.error().hint.empty() ? "" : " (" + st.error().hint + ")");
    out.line("  no   local mode: " + why);
    return {{"supported", false}, {"detail", why}};
}

int run_probe_local_only(const ProbeOptions& o)
{
    Output out(o.out);
    utsname u{};
    uname(&u);
    out.line(fmt::format("kernel {}", u.release));
    nlohmann::json lm = probe_local(out);
    nlohmann::json doc = {{"command", "probe"}, {"kernel", u.release}, {"local_mode", lm}};
    if (auto w = out.write_json(doc); !w)
        return fail_setup(w.error());
    return lm["supported"].get<bool>() ? kExitOk : kExitRunFailed;
}

int run_probe(const ProbeOptions& o)
{
    if (o.ifname.empty())
        return run_probe_local_only(o);
    Output out(o.out);
    auto dev = netdev_require_up(o.ifname);
    if (!dev)
        return fail_setup(dev.error());
    utsname u{};
    uname(&u);

    out.line(fmt::format("{}: driver {}, MTU {}, {} rx / {} tx queues, MAC {}, carrier {}", dev->name,
                         dev->driver.empty() ? "unknown" : dev->driver, dev->mtu, dev->rx_queues, dev->tx_queues,
                         dev->mac.str(), dev->running ? "up" : "down"));
    out.line(fmt::format("kernel {}", u.release));
    const auto checks = probe_interface(dev.value());
    nlohmann::json jchecks = nlohmann::json::object();
    for (const auto& c : checks) {
        out.line(fmt::format("  {:<4} {:<55} {}", c.ok ? "yes" : "no", c.name, c.detail));
        jchecks[c.key] = {{"supported", c.ok}, {"detail", c.detail}};
    }
    nlohmann::json doc = {
        {"command", "probe"},
        {"interface", dev->name},
        {"kernel", u.release},
        {"driver", dev->driver},
        {"mtu", dev->mtu},
        {"rx_queues", dev->rx_queues},
        {"tx_queues", dev->tx_queues},
        {"checks", jchecks},
    };
    if (o.local)
        doc["local_mode"] = probe_local(out);
    if (auto w = out.write_json(doc); !w)
        return fail_setup(w.error());
    return checks.empty() || !checks.front().ok ? kExitRunFailed : kExitOk;
}

}  // namespace

Command add_probe_command(CLI::App& app)
{
    auto o = std::make_shared<ProbeOptions>();
    CLI::App* sub = app.add_subcommand("probe", "Tell what this kernel and interface support (XDP modes, live frames, AF_XDP, local mode)");
    auto* pos = sub->add_option("ifname", o->ifname, "Interface to probe (or give it with -i; none: only --local)");
    auto* opt = sub->add_option("-i,--interface", o->ifname, "Interface to probe");
    pos->excludes(opt);
    opt->excludes(pos);
    sub->add_flag("--local", o->local, "Also tell whether local mode works here (the default without an interface)");
    sub->add_option("--json", o->out.json_path, "Write the report as JSON to FILE ('-' = stdout)");
    return Command{sub, [o] { return run_probe(*o); }};
}

}  // namespace xdpgen
