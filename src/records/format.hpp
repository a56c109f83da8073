// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The records' text forms: CSV (RFC 4180) and JSON lines, with the same
// columns in the same order. A time of 0 (it did not happen) is an empty
// CSV field and a JSON null; so are the cause of a connection that did not
// fail and a record without a template.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "records/record.hpp"
#include "util/result.hpp"

namespace xdpgen::records {

enum class Format : uint8_t { Csv, Jsonl, Binary };

// "csv", "jsonl", "binary"; anything else: an error naming the choices.
Result<Format> parse_format(std::string_view name);
// ".jsonl"/".json" -> Jsonl, ".bin"/".xrec" -> Binary, else Csv.
Format format_for_path(std::string_view path);
const char* format_name(Format f);
// "" for None; the words of the JSON report's failure causes otherwise.
const char* cause_name(Cause c);
const char* outcome_name(Outcome o);  // "completed", "failed", "unfinished"

// The CSV header line, without its newline.
std::string csv_header();
// One record as a CSV line / a JSON object (no newline). The template is
// template_names[r.template_id]; kNoTemplate is empty / null, and an id
// the names do not reach is printed as "#<id>".
std::string to_csv(const Record& r, const std::vector<std::string>& template_names);
std::string to_jsonl(const Record& r, const std::vector<std::string>& template_names);

// Many records in one text form, the template names escaped once rather
// than for every record (the writer thread and convert_records).
class LineFormatter {
public:
    LineFormatter(Format f, const std::vector<std::string>& template_names);  // f: Csv or Jsonl
    // Appends the record's line and its newline.
    void append(std::string& out, const Record& r) const;

private:
    bool json_;
    std::vector<std::string> fields_;  // each name as it goes into a line
};

}  // namespace xdpgen::records
