// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The subcommands: each registers its options and runs from them.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace xdpgen {

// A subcommand registered on the app; run() is called after parsing and
// returns the process exit status.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

// The interface as `-i IFACE` (as every command takes it) or as the last
// argument (as udp, sink and probe always did): exactly one of them.
inline void add_interface_args(CLI::App* sub, std::string& ifname, const std::string& what)
{
    auto* pos = sub->add_option("ifname", ifname, what + " (or give it with -i)");
    auto* opt = sub->add_option("-i,--interface", ifname, what);
    pos->excludes(opt);
    opt->excludes(pos);
    sub->callback([pos, opt] {
        if (pos->count() + opt->count() == 0)
            throw CLI::RequiredError("-i,--interface (or the interface as the last argument)");
    });
}

Command add_udp_command(CLI::App& app);
Command add_sink_command(CLI::App& app);
Command add_probe_command(CLI::App& app);
Command add_client_command(CLI::App& app);
Command add_server_command(CLI::App& app);
Command add_tcp_command(CLI::App& app);
Command add_pcap2profile_command(CLI::App& app);
Command add_records_command(CLI::App& app);

}  // namespace xdpgen
