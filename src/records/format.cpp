// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "records/format.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace xdpgen::records {
namespace {

// One builder writes the header, CSV lines and JSON objects, so the
// columns and the keys cannot drift apart.
enum class Mode { CsvHeader, Csv, Json };

class LineBuilder {
public:
    LineBuilder(std::string& out, Mode m) : out_(out), mode_(m) { out_ += mode_ == Mode::Json ? "{" : ""; }
    void number(const char* key, uint64_t v)
    {
        if (!start(key))
            return;
        char b[24];
        out_.append(b, std::to_chars(b, b + sizeof(b), v).ptr);
    }
    // Text that needs no escaping: names, addresses.
    void word(const char* key, std::string_view v)
    {
        if (!start(key))
            return;
        if (mode_ == Mode::Json)
            out_ += '"';
        out_ += v;
        if (mode_ == Mode::Json)
            out_ += '"';
    }
    // Already escaped for this form; empty: none (null in JSON).
    void escaped(const char* key, std::string_view v)
    {
        if (start(key))
            out_ += v.empty() && mode_ == Mode::Json ? "null" : v;
    }
    void time(const char* key, uint64_t ns)
    {
        if (ns != 0)
            number(key, ns);
        else
            escaped(key, {});
    }
    void end() { out_ += mode_ == Mode::Json ? "}" : ""; }

private:
    // Writes the separator and the key; false when the value is not wanted.
    bool start(const char* key)
    {
        if (!first_)
            out_ += ',';
        first_ = false;
        if (mode_ == Mode::CsvHeader)
            out_ += key;
        else if (mode_ == Mode::Json) {
            out_ += '"';
            out_ += key;
            out_ += "\":";
        }
        return mode_ != Mode::CsvHeader;
    }

    std::string& out_;
    Mode mode_;
    bool first_ = true;
};

const char* side_name(Side s)
{
    switch (s) {
    case Side::Client: return "client";
    case Side::Server: return "server";
    }
    return "unknown";  // a file's byte we do not know
}

// An address as text in buf; IPv4 by hand (inet_ntop cost as much as the
// rest of a CSV line, and the writer shares two CPUs with the run).
std::string_view addr_text(const uint8_t* a, bool v6, char (&buf)[INET6_ADDRSTRLEN])
{
    if (v6) {
        inet_ntop(AF_INET6, a, buf, sizeof(buf));
        return buf;
    }
    char* p = buf;
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = std::to_chars(p, buf + sizeof(buf), a[i]).ptr;
    }
    return {buf, size_t(p - buf)};
}

std::string escape(Mode m, std::string_view s)
{
    if (m == Mode::Json)  // a file's bytes may not be UTF-8: replaced, never thrown on
        return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(s);
    std::string q = "\"";  // RFC 4180: quoted, a quote doubled
    for (char c : s) {
        if (c == '"')
            q += '"';
        q += c;
    }
    return q + '"';
}

// An id past the names (a hand-edited or damaged file) is shown, not hidden.
std::string template_field(Mode m, const std::vector<std::string>& names, uint16_t id)
{
    if (id == kNoTemplate)
        return {};
    if (id < names.size())
        return escape(m, names[id]);
    return escape(m, fmt::format("#{}", id));
}

void append_line(std::string& out, Mode m, const Record& r, std::string_view tmpl)
{
    LineBuilder b(out, m);
    b.number("worker", r.worker);
    b.number("conn", r.conn);
    b.word("side", side_name(r.side));
    b.escaped("template", tmpl);
    char addr[INET6_ADDRSTRLEN];
    b.word("local_addr", addr_text(r.local_addr, r.v6, addr));
    b.number("local_port", r.local_port);
    b.word("remote_addr", addr_text(r.remote_addr, r.v6, addr));
    b.number("remote_port", r.remote_port);
    b.word("outcome", outcome_name(r.outcome));
    if (r.cause == Cause::None)
        b.escaped("cause", {});
    else
        b.word("cause", cause_name(r.cause));  // plain words: nothing to escape
    b.time("sched_ns", r.sched_ns);
    b.time("syn_ns", r.syn_ns);
    b.time("established_ns", r.established_ns);
    b.time("first_tx_ns", r.first_tx_ns);
    b.time("first_rx_ns", r.first_rx_ns);
    b.time("last_byte_ns", r.last_byte_ns);
    b.time("fin_tx_ns", r.fin_tx_ns);
    b.time("fin_rx_ns", r.fin_rx_ns);
    b.time("closed_ns", r.closed_ns);
    b.number("tx_bytes", r.tx_bytes);
    b.number("rx_bytes", r.rx_bytes);
    b.number("retransmits", r.retransmits);
    b.number("impair_dropped", r.impair_dropped);
    b.end();
}

}  // namespace

Result<Format> parse_format(std::string_view name)
{
    for (Format f : {Format::Csv, Format::Jsonl, Format::Binary})
        if (name == format_name(f))
            return f;
    return make_error(fmt::format("unknown records format '{}'", name), 0, "choose csv, jsonl or binary");
}

Format format_for_path(std::string_view path)
{
    for (std::string_view ext : {".jsonl", ".json"})
        if (path.ends_with(ext))
            return Format::Jsonl;
    for (std::string_view ext : {".bin", ".xrec"})
        if (path.ends_with(ext))
            return Format::Binary;
    return Format::Csv;
}

const char* format_name(Format f)
{
    switch (f) {
    case Format::Csv: return "csv";
    case Format::Jsonl: return "jsonl";
    case Format::Binary: return "binary";
    }
    return "unknown";
}

const char* cause_name(Cause c)
{
    switch (c) {
    case Cause::None: return "";
    case Cause::Timeout: return "timeout";
    case Cause::Refused: return "refused";
    case Cause::Reset: return "reset";
    case Cause::HttpStatus: return "http_status";
    case Cause::HttpMalformed: return "http_malformed";
    case Cause::Verify: return "verify";
    case Cause::ExpectMismatch: return "expect_mismatch";
    case Cause::PeerClosed: return "peer_closed";
    }
    return "unknown";
}

const char* outcome_name(Outcome o)
{
    switch (o) {
    case Outcome::Completed: return "completed";
    case Outcome::Failed: return "failed";
    case Outcome::Unfinished: return "unfinished";
    }
    return "unknown";
}

std::string csv_header()
{
    std::string out;
    append_line(out, Mode::CsvHeader, Record{}, {});
    return out;
}

std::string to_csv(const Record& r, const std::vector<std::string>& template_names)
{
    std::string out;
    append_line(out, Mode::Csv, r, template_field(Mode::Csv, template_names, r.template_id));
    return out;
}

std::string to_jsonl(const Record& r, const std::vector<std::string>& template_names)
{
    std::string out;
    append_line(out, Mode::Json, r, template_field(Mode::Json, template_names, r.template_id));
    return out;
}

LineFormatter::LineFormatter(Format f, const std::vector<std::string>& template_names) : json_(f == Format::Jsonl)
{
    fields_.reserve(template_names.size());
    for (const auto& name : template_names)
        fields_.push_back(escape(json_ ? Mode::Json : Mode::Csv, name));
}

void LineFormatter::append(std::string& out, const Record& r) const
{
    const Mode m = json_ ? Mode::Json : Mode::Csv;
    if (r.template_id < fields_.size())
        append_line(out, m, r, fields_[r.template_id]);
    else
        append_line(out, m, r, template_field(m, {}, r.template_id));
    out += '\n';
}

}  // namespace xdpgen::records
