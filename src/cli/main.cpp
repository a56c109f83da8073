// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <fmt/format.h>

#include <vector>

#include "bpf/skel.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"

int main(int argc, char** argv)
{
    using namespace xdpgen;
    CLI::App app{"xdpgen: a kernel-bypass TCP/UDP traffic generator (AF_XDP, XDP and live frames)", "xdpgen"};
    // At most one; none is reported below. require_subcommand(1) would hide
    // a mistyped command behind "A subcommand is required".
    app.require_subcommand(0, 1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Print libbpf's and the kernel's own log on failures");
    app.set_version_flag("--version", "xdpgen " XDPGEN_VERSION);

    const std::vector<Command> commands = {add_udp_command(app), add_sink_command(app), add_probe_command(app),
                                          add_client_command(app), add_server_command(app), add_tcp_command(app),
                                          add_pcap2profile_command(app), add_records_command(app)};

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? kExitOk : kExitSetup;
    }
    bpf_set_verbose(verbose);
    install_stop_signals();
    for (const auto& c : commands)
        if (c.app->parsed())
            return c.run();
    print_error(make_error("no command given", 0, "xdpgen client|server|udp|sink|probe|tcp|pcap2profile|records ...; see xdpgen --help"));
    return kExitSetup;
}
