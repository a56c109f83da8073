// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen pcap2profile: a capture's TCP conversations as a traffic profile,
// one template each, to replay what was seen.

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/pcap2profile.hpp"
#include "cli/profile.hpp"

namespace xdpgen {
namespace {

struct Pcap2ProfileOptions {
    std::string capture, output, filter;
    bool delays = false;
    size_t inline_max = 256;
};

std::string count(size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); }

int no_usable_conversation(const std::string& capture, const pcapconv::Capture& cap)
{
    if (cap.skipped.empty()) {
        print_error(make_error(fmt::format("no TCP conversation in {}", capture), 0,
                               "is it the right capture, or does --filter leave everything out?"));
    } else {
        print_error(make_error(fmt::format("no usable TCP conversation in {}: all {} skipped (above, why)", capture,
                                           cap.skipped.size()),
                               0, "capture from before the connections open, with tcpdump -s 0"));
    }
    return kExitRunFailed;
}

int run_pcap2profile(const Pcap2ProfileOptions& o)
{
    auto cap = pcapconv::read_capture(o.capture, pcapconv::CaptureOptions{o.filter, {}});
    if (!cap)
        return fail_setup(cap.error());
    for (const auto& s : cap->skipped)
        fmt::print(stderr, "pcap2profile: skipped {}\n", skipped_line(s));
    if (cap->conversations.empty())
        return no_usable_conversation(o.capture, cap.value());
    if (cap->conversations.size() > kMaxTemplates)  // a profile that could not be loaded
        return fail_setup(make_error(fmt::format("{} usable conversations in {}: a profile holds at most {} templates",
                                                 cap->conversations.size(), o.capture, kMaxTemplates),
                                     0, "pick some with --filter, e.g. --filter 'tcp port 80 and host 10.0.0.5'"));

    const std::string path = o.output.empty() ? default_profile_path(o.capture) : o.output;
    const bool to_stdout = path == "-";
    ProfileRenderOptions ro;
    ro.capture_name = std::filesystem::path(o.capture).filename().string();
    ro.stem = file_stem(to_stdout ? default_profile_path(o.capture) : path);
    ro.delays = o.delays;
    ro.inline_max = o.inline_max;
    const RenderedProfile r = render_profile(cap.value(), ro);
    const std::string data_dir = to_stdout ? "" : std::filesystem::path(path).parent_path().string();
    if (auto st = write_profile(r, path, data_dir); !st) {
        print_error(st.error());
        return kExitRunFailed;
    }
    if (!to_stdout)
        fmt::print("pcap2profile: {} -> {} ({}, {} skipped)\n",
                   count(cap->conversations.size() + cap->skipped.size(), "conversation"), path,
                   count(cap->conversations.size(), "template"), cap->skipped.size());
    return kExitOk;
}

}  // namespace

Command add_pcap2profile_command(CLI::App& app)
{
    auto o = std::make_shared<Pcap2ProfileOptions>();
    CLI::App* sub = app.add_subcommand(
        "pcap2profile", "Turn a capture's TCP conversations into a traffic profile (a template each) to replay them");
    sub->add_option("capture", o->capture, "The capture: libpcap or pcapng, e.g. from tcpdump -w FILE")->required();
    sub->add_option("-o,--output", o->output,
                    "The profile to write (default: the capture's name with .toml, here); '-' = stdout, its data "
                    "files then here");
    sub->add_option("--filter", o->filter, "Only packets this pcap filter expression takes, e.g. 'tcp port 80'");
    sub->add_flag("--delays", o->delays, "Keep the client's pauses before its turns (delay_ms, 1 ms and longer)");
    sub->add_option("--inline-max", o->inline_max,
                    "Turns of at most N printable bytes go into the profile itself; the others into files")
        ->capture_default_str()
        ->check(CLI::Range(size_t{0}, size_t{1} << 20));
    return Command{sub, [o] { return run_pcap2profile(*o); }};
}

}  // namespace xdpgen
