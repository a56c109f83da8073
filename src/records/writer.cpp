// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "records/writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "records/binary_format.hpp"

namespace xdpgen::records {
namespace {

constexpr size_t kBufferBytes = 256 * 1024;
constexpr size_t kBatch = 256;                // records per pop
constexpr size_t kMaxRingCapacity = 1u << 24;  // 2.5 GB of records per worker
constexpr auto kIdleWait = std::chrono::milliseconds(1);

Status check_config(const WriterConfig& cfg)
{
    if (cfg.path == "-")
        return make_error("the records cannot go to stdout ('-')", 0,
                          "give --records a file name, e.g. conns.csv, conns.jsonl or conns.bin");
    if (cfg.path.empty())
        return make_error("no file name for the records", 0, "give --records a file name, e.g. conns.csv");
    if (cfg.ring_capacity > kMaxRingCapacity)
        return make_error(fmt::format("a records ring of {} records per worker: at most {}", cfg.ring_capacity,
                                      kMaxRingCapacity));
    return check_template_names(cfg.template_names);
}

std::string file_start(Format f, const std::vector<std::string>& names)
{
    switch (f) {
    case Format::Csv: return csv_header() + '\n';
    case Format::Jsonl: return {};
    case Format::Binary: return encode_header(names);
    }
    return {};
}

}  // namespace

Result<std::unique_ptr<RecordWriter>> RecordWriter::open(const WriterConfig& cfg)
{
    if (auto st = check_config(cfg); !st)
        return st.error();
    const int fd = ::open(cfg.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sys_error(fmt::format("cannot create the records file {}", cfg.path), errno,
                         "give --records a file in a directory that exists and that you can write to");
    std::unique_ptr<RecordWriter> w(new RecordWriter(cfg, Fd(fd)));
    w->buf_ = file_start(cfg.format, cfg.template_names);
    w->flush();  // a full disk shows now, before the run
    if (w->error_)
        return *w->error_;
    return w;
}

RecordWriter::RecordWriter(const WriterConfig& cfg, Fd fd)
    : path_(cfg.path), format_(cfg.format), fd_(std::move(fd)), batch_(kBatch)
{
    rings_.reserve(cfg.workers);
    for (uint32_t i = 0; i < cfg.workers; i++)
        rings_.push_back(std::make_unique<RecordRing>(cfg.ring_capacity));
    if (format_ != Format::Binary)
        lines_.emplace(format_, cfg.template_names);
    buf_.reserve(kBufferBytes + kBatch * sizeof(Record));
}

RecordWriter::~RecordWriter()
{
    if (!finished_)
        (void)finish();
}

void RecordWriter::start()
{
    if (!thread_.joinable() && !finished_)
        thread_ = std::thread([this] { run(); });
}

Status RecordWriter::finish()
{
    if (!finished_) {
        stop_.store(true, std::memory_order_release);
        if (thread_.joinable())
            thread_.join();
        drain_rest();
        flush();
        if (::close(fd_.release()) != 0 && !error_)  // NFS reports late
            error_ = sys_error(fmt::format("cannot write the records file {}", path_), errno);
        finished_ = true;
    }
    if (error_)
        return *error_;
    return {};
}

void RecordWriter::run()
{
    while (!stop_.load(std::memory_order_acquire)) {
        if (drain_once() > 0)
            continue;
        flush();  // idle: what is in the file is up to date
        std::this_thread::sleep_for(kIdleWait);
    }
}

size_t RecordWriter::drain_once()
{
    size_t total = 0;
    for (auto& ring : rings_) {
        const size_t n = ring->pop(batch_.data(), batch_.size());
        add(batch_.data(), n);
        total += n;
    }
    return total;
}

// At most a ring's worth each, so that a worker still pushing (against the
// contract) cannot keep finish() from returning.
void RecordWriter::drain_rest()
{
    for (auto& ring : rings_) {
        size_t n, taken = 0;
        while (taken < ring->capacity() && (n = ring->pop(batch_.data(), batch_.size())) > 0) {
            add(batch_.data(), n);
            taken += n;
        }
    }
}

void RecordWriter::add(const Record* recs, size_t n)
{
    if (lines_) {
        for (size_t i = 0; i < n; i++)
            lines_->append(buf_, recs[i]);
    } else {
        buf_.append(reinterpret_cast<const char*>(recs), n * sizeof(Record));
    }
    buffered_ += n;
    if (buf_.size() >= kBufferBytes)
        flush();
}

void RecordWriter::flush()
{
    if (!buf_.empty() && !error_)
        write_all(buf_.data(), buf_.size());
    if (!error_)
        written_.fetch_add(buffered_, std::memory_order_relaxed);
    buf_.clear();  // after an error the rest is dropped: the file is already short
    buffered_ = 0;
}

void RecordWriter::write_all(const char* p, size_t n)
{
    while (n > 0) {
        const ssize_t w = ::write(fd_.get(), p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            error_ = sys_error(fmt::format("cannot write the records file {}", path_), errno,
                               "the records from here on are lost; is its disk full?");
            return;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace xdpgen::records
