// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// --records for `client`, `server` and `tcp`: the options, the writer of a
// run (its rings handed to the workers), and what the report says of it.

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "records/writer.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct RecordsOptions {
    std::string path;             // "" = no records
    std::string format = "auto";  // csv, jsonl, binary, or auto (by the file's extension)
    uint32_t ring = 1u << 16;     // records each worker's ring holds
};

void add_records_options(CLI::App* sub, RecordsOptions& o, const std::string& group);

class RunRecords {
public:
    // No writer when o.path is empty; else the file is created now (an
    // error names it).
    static Result<RunRecords> open(const RecordsOptions& o, uint32_t workers,
                                   const std::vector<std::string>& template_names);
    bool on() const { return writer_ != nullptr; }
    records::RecordWriter* writer() const { return writer_.get(); }
    void start();
    // After the workers stopped: the rest written, the file closed.
    Status finish();
    // "records: N written to FILE (csv), M dropped: ..." or "" without records.
    std::string summary_line(const engine::WorkerCounters& c) const;
    nlohmann::json json(const engine::WorkerCounters& c) const;

private:
    std::unique_ptr<records::RecordWriter> writer_;
    std::string path_;
    records::Format format_ = records::Format::Csv;
};

}  // namespace xdpgen
