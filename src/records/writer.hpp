// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Writes the connection records to a file from a thread of its own: each
// worker pushes into its ring, the writer drains the rings in turn through
// one buffer. Memory is the rings and the buffer, however long the run.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "records/format.hpp"
#include "records/ring.hpp"
#include "util/fd.hpp"
#include "util/result.hpp"

namespace xdpgen::records {

struct WriterConfig {
    std::string path;
    Format format = Format::Csv;
    uint32_t workers = 1;
    std::vector<std::string> template_names;  // may be empty
    size_t ring_capacity = 1u << 16;          // records per worker ring
};

class RecordWriter {
public:
    // Creates (or truncates) the file and writes its header (binary) or
    // header line (CSV), so that a run without records still leaves a valid
    // file. "-" (stdout) is refused: the records are not for a terminal.
    static Result<std::unique_ptr<RecordWriter>> open(const WriterConfig& cfg);
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;
    // Finishes if finish() was not called (the error, if any, is lost).
    ~RecordWriter();

    RecordRing& ring(uint32_t worker) { return *rings_.at(worker); }
    // Starts the thread that drains the rings into the file.
    void start();
    // After every worker stopped pushing: stops the thread, writes what is
    // left and closes the file. The first write error, naming the path.
    Status finish();
    // Records in the file so far (those in the buffer are not yet).
    uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }

private:
    RecordWriter(const WriterConfig& cfg, Fd fd);
    void run();
    size_t drain_once();  // one pop from every ring; how many records came
    void drain_rest();
    void add(const Record* recs, size_t n);
    void flush();
    void write_all(const char* p, size_t n);

    std::string path_;
    Format format_;
    Fd fd_;
    std::vector<std::unique_ptr<RecordRing>> rings_;
    std::optional<LineFormatter> lines_;  // CSV and JSON lines
    std::vector<Record> batch_;           // what one pop brings
    std::string buf_;
    uint64_t buffered_ = 0;               // records in buf_
    std::atomic<uint64_t> written_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::optional<Error> error_;          // the first write error
    bool finished_ = false;
};

}  // namespace xdpgen::records
