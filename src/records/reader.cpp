// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "records/reader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "records/binary_format.hpp"

namespace xdpgen::records {
namespace {

constexpr const char* kHintMake =
    "a binary records file is made by xdpgen client or server with --records FILE.bin (or --records-format binary)";
constexpr const char* kHintShort = "the file was cut short: did the run stop before it was written, or the disk fill?";
constexpr const char* kHintPath = "give the path of a binary records file (one made with --records FILE.bin)";
constexpr const char* kHintOther = "read it with the xdpgen that wrote it";

// The file with the offset of the next byte, for the errors.
class Input {
public:
    explicit Input(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "rb"), std::fclose) {}
    bool opened() const { return f_ != nullptr; }
    uint64_t offset() const { return offset_; }
    // Up to n bytes: fewer only at the end of the file.
    Result<size_t> read(void* p, size_t n)
    {
        const size_t got = std::fread(p, 1, n, f_.get());
        if (got < n && std::ferror(f_.get()))
            return sys_error(fmt::format("cannot read {} at byte {}", path_, offset_ + got), errno ? errno : EIO,
                             kHintPath);
        offset_ += got;
        return got;
    }
    // Exactly sizeof(T) bytes of the header, or an error naming `what`.
    template <typename T>
    Result<T> header_field(const char* what)
    {
        T v{};
        auto got = read(&v, sizeof(T));
        if (!got)
            return got.error();
        if (got.value() < sizeof(T))
            return truncated(what);
        return v;
    }
    Error truncated(const std::string& what) const
    {
        return make_error(fmt::format("{}: the header is cut short: the file ends at byte {}, in {}", path_, offset_,
                                      what),
                          0, kHintShort);
    }

private:
    const std::string& path_;
    std::unique_ptr<FILE, int (*)(FILE*)> f_;
    uint64_t offset_ = 0;
};

Error not_records(const std::string& path, std::string_view start)
{
    const bool text = std::string_view("worker,").starts_with(start.substr(0, 7)) || start.starts_with("{");
    return make_error(fmt::format("{} is not a binary records file (it does not start with \"XDPGREC\")", path), 0,
                      text ? "it looks like records as text already: read it as it is" : kHintMake);
}

Status read_magic(Input& in, const std::string& path, BinaryHeader&)
{
    char magic[kBinaryMagic.size()];
    auto got = in.read(magic, sizeof(magic));
    if (!got)
        return got.error();
    const std::string_view seen(magic, got.value());
    if (!kBinaryMagic.starts_with(seen))
        return not_records(path, seen);
    if (seen.size() < kBinaryMagic.size())
        return in.truncated("the magic \"XDPGREC\"");
    return {};
}

Status read_version(Input& in, const std::string& path, BinaryHeader& h)
{
    auto version = in.header_field<uint32_t>("the format version");
    if (!version)
        return version.error();
    h.version = version.value();
    if (h.version != kBinaryVersion)
        return make_error(fmt::format("{}: records format version {} (at byte 8); this xdpgen reads version {}", path,
                                      h.version, kBinaryVersion),
                          0, kHintOther);
    auto size = in.header_field<uint32_t>("the record size");
    if (!size)
        return size.error();
    h.record_size = size.value();
    if (h.record_size != kRecordSize)
        return make_error(fmt::format("{}: records of {} bytes (at byte 12); this xdpgen's records are {} bytes", path,
                                      h.record_size, kRecordSize),
                          0, kHintOther);
    return {};
}

Status read_template_name(Input& in, const std::string& path, uint32_t i, size_t& total, BinaryHeader& h)
{
    auto len = in.header_field<uint16_t>(fmt::format("the length of template name {}", i).c_str());
    if (!len)
        return len.error();
    total += len.value();
    if (total > kMaxTemplateBytes)
        return make_error(fmt::format("{}: template names of more than {} bytes in all (name {}, at byte {})", path,
                                      kMaxTemplateBytes, i, in.offset() - 2),
                          0, "the file is damaged");
    std::string name(len.value(), '\0');
    auto got = in.read(name.data(), name.size());
    if (!got)
        return got.error();
    if (got.value() < name.size())
        return in.truncated(fmt::format("template name {}", i));
    h.template_names.push_back(std::move(name));
    return {};
}

Status read_template_names(Input& in, const std::string& path, BinaryHeader& h)
{
    auto count = in.header_field<uint32_t>("the number of template names");
    if (!count)
        return count.error();
    if (count.value() > kMaxTemplateNames)
        return make_error(fmt::format("{}: {} template names (at byte 16): at most {}", path, count.value(),
                                      kMaxTemplateNames),
                          0, "the file is damaged");
    size_t total = 0;
    for (uint32_t i = 0; i < count.value(); i++)
        if (auto st = read_template_name(in, path, i, total, h); !st)
            return st;
    return {};
}

Status read_records(Input& in, const std::string& path, const std::function<void(const Record&)>& on_record)
{
    for (uint64_t whole = 0;; whole++) {
        Record r;
        const uint64_t at = in.offset();
        auto got = in.read(&r, sizeof(r));
        if (!got)
            return got.error();
        if (got.value() == 0)
            return {};
        if (got.value() < sizeof(r))
            return make_error(fmt::format("{}: a partial record at byte {} ({} of {} bytes), after {} whole record{}",
                                          path, at, got.value(), sizeof(r), whole, whole == 1 ? "" : "s"),
                              0, kHintShort);
        on_record(r);
    }
}

}  // namespace

Result<BinaryHeader> read_binary(const std::string& path, const std::function<void(const Record&)>& on_record)
{
    return read_binary(path, [](const BinaryHeader&) {}, on_record);
}

Result<BinaryHeader> read_binary(const std::string& path, const std::function<void(const BinaryHeader&)>& on_header,
                                 const std::function<void(const Record&)>& on_record)
{
    Input in(path);
    if (!in.opened())
        return sys_error(fmt::format("cannot open the records file {}", path), errno, kHintPath);
    BinaryHeader h{};
    for (auto step : {read_magic, read_version, read_template_names})
        if (auto st = step(in, path, h); !st)
            return st.error();
    on_header(h);
    if (auto st = read_records(in, path, on_record); !st)
        return st.error();
    return h;
}

Status convert_records(const std::string& in, Format out_format, std::ostream& out)
{
    if (out_format == Format::Binary)
        return make_error("records are converted to csv or jsonl, not binary");
    constexpr size_t kFlushBytes = 64 * 1024;
    std::optional<LineFormatter> lines;
    std::string buf;
    auto write_out = [&] {
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
    };
    auto on_header = [&](const BinaryHeader& h) {
        lines.emplace(out_format, h.template_names);
        if (out_format == Format::Csv)
            buf = csv_header() + '\n';
    };
    auto on_record = [&](const Record& r) {
        if (!out)  // e.g. a closed pipe: the rest is read, not formatted
            return;
        lines->append(buf, r);
        if (buf.size() >= kFlushBytes)
            write_out();
    };
    auto h = read_binary(in, on_header, on_record);
    write_out();
    out.flush();
    if (!h)
        return h.error();
    if (!out)
        return make_error("cannot write the records as text");
    return {};
}

}  // namespace xdpgen::records
