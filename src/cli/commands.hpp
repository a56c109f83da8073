// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The subcommands: each registers its options and runs from them.

#include <CLI/CLI.hpp>

#include <functional>

namespace xdpgen {

// A subcommand registered on the app; run() is called after parsing and
// returns the process exit status.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

Command add_udp_command(CLI::App& app);
Command add_sink_command(CLI::App& app);
Command add_probe_command(CLI::App& app);
Command add_client_command(CLI::App& app);
Command add_server_command(CLI::App& app);
Command add_tcp_command(CLI::App& app);

}  // namespace xdpgen
