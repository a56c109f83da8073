// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/records_run.hpp"

#include <fmt/format.h>

#include "records/format.hpp"

namespace xdpgen {

void add_records_options(CLI::App* sub, RecordsOptions& o, const std::string& group)
{
    sub->add_option("--records", o.path,
                    "Write one record per connection to FILE: addresses, template, the time of each TCP step, bytes, "
                    "retransmissions, outcome (`xdpgen records` prints the binary form)")
        ->group(group);
    sub->add_option("--records-format", o.format, "csv, jsonl or binary (auto: by FILE's extension, .jsonl .bin, else csv)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "csv", "jsonl", "binary"}))
        ->group(group);
    sub->add_option("--records-buffer", o.ring,
                    "Records each worker may have waiting for the writer; beyond it they are dropped and counted")
        ->capture_default_str()
        ->check(CLI::Range(1024u, 1u << 24))
        ->group(group);
}

Result<RunRecords> RunRecords::open(const RecordsOptions& o, uint32_t workers,
                                    const std::vector<std::string>& template_names)
{
    RunRecords r;
    if (o.path.empty())
        return r;
    if (o.path == "-")
        return make_error("--records needs a file: its records are written while the run prints its lines", 0,
                          "give a file name, e.g. --records run.csv");
    if (o.format == "auto") {
        r.format_ = records::format_for_path(o.path);
    } else {
        auto f = records::parse_format(o.format);
        if (!f)
            return f.error();
        r.format_ = f.value();
    }
    records::WriterConfig wc{o.path, r.format_, workers, template_names, o.ring};
    auto w = records::RecordWriter::open(wc);
    if (!w)
        return w.error();
    r.writer_ = std::move(w.value());
    r.path_ = o.path;
    return r;
}

void RunRecords::start()
{
    if (writer_)
        writer_->start();
}

Status RunRecords::finish()
{
    return writer_ ? writer_->finish() : Status{};
}

std::string RunRecords::summary_line(const engine::WorkerCounters& c) const
{
    if (!writer_)
        return "";
    std::string l = fmt::format("records: {} written to {} ({})", writer_->written(), path_, records::format_name(format_));
    if (c.records_dropped)
        l += fmt::format(", {} DROPPED: the writer fell behind (a faster disk, --records-format binary, or a larger "
                         "--records-buffer)",
                         c.records_dropped);
    return l;
}

nlohmann::json RunRecords::json(const engine::WorkerCounters& c) const
{
    if (!writer_)
        return nullptr;
    return {{"file", path_},
            {"format", records::format_name(format_)},
            {"written", writer_->written()},
            {"dropped", c.records_dropped}};
}

}  // namespace xdpgen
