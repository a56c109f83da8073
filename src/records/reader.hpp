// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Reading the binary records file (--records FILE.bin or --records-format
// binary) back, and turning it into CSV or JSON lines (xdpgen records).

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "records/format.hpp"
#include "records/record.hpp"
#include "util/result.hpp"

namespace xdpgen::records {

struct BinaryHeader {
    uint32_t version;
    uint32_t record_size;
    std::vector<std::string> template_names;
};

// Reads the header, then calls on_record for each record in file order.
// One error for each way a file can be wrong (not a records file, another
// version or record size, a short header, a partial record at the end, an
// unreadable file), with the byte offset where it applies.
Result<BinaryHeader> read_binary(const std::string& path, const std::function<void(const Record&)>& on_record);
// The same, with on_header called once the header is read, before the records.
Result<BinaryHeader> read_binary(const std::string& path, const std::function<void(const BinaryHeader&)>& on_header,
                                 const std::function<void(const Record&)>& on_record);

// The binary file `in` as CSV (with its header line) or JSON lines on `out`.
// The records before an error are written.
Status convert_records(const std::string& in, Format out_format, std::ostream& out);

}  // namespace xdpgen::records
