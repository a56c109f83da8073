// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// xdpgen records: a binary connection records file as CSV or JSON lines.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "records/reader.hpp"

namespace xdpgen {
namespace {

struct RecordsOptions {
    std::string input, output, format = "csv";
};

// The records before an error are kept: the error is on stderr, exit 2.
int convert_to(const RecordsOptions& o, records::Format f, std::ostream& out, const std::string& out_name)
{
    const Status st = records::convert_records(o.input, f, out);
    if (!st && !out)
        return fail_setup(make_error(fmt::format("cannot write the records to {}", out_name), 0,
                                     "is its disk full, or was the pipe closed?"));
    if (!st)
        return fail_setup(st.error());
    return kExitOk;
}

int run_records(const RecordsOptions& o)
{
    auto f = records::parse_format(o.format);
    if (!f)
        return fail_setup(f.error());
    if (o.output.empty())
        return convert_to(o, f.value(), std::cout, "stdout");
    std::error_code ec;
    if (std::filesystem::equivalent(o.input, o.output, ec))
        return fail_setup(make_error(fmt::format("-o {} is the records file itself", o.output), 0,
                                     "give -o another file name, e.g. conns.csv"));
    std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail_setup(sys_error(fmt::format("cannot create {}", o.output), errno,
                                    "give -o a file in a directory that exists and that you can write to"));
    return convert_to(o, f.value(), out, o.output);
}

}  // namespace

Command add_records_command(CLI::App& app)
{
    auto o = std::make_shared<RecordsOptions>();
    CLI::App* sub = app.add_subcommand("records", "Print a binary connection records file as CSV or JSON lines");
    sub->footer(
        "The binary form is a header, then one 152-byte record per connection as the workers made it\n"
        "(addresses, ports, outcome, cause, the time of each TCP step, bytes each way): the cheapest way\n"
        "to keep every connection of a long run. xdpgen client and server write it with --records FILE.bin\n"
        "(or --records FILE --records-format binary); this command turns it into text.");
    sub->add_option("file", o->input, "The binary records file to read")->required();
    sub->add_option("--format", o->format, "csv (a header line, then a line per connection) or jsonl (a JSON object per line)")
        ->capture_default_str()
        ->check(CLI::IsMember({"csv", "jsonl"}));
    sub->add_option("-o,--output", o->output, "Write to this file instead of stdout");
    return Command{sub, [o] { return run_records(*o); }};
}

}  // namespace xdpgen
