// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The binary records file: a header, then the records' bytes back to back.
//   magic "XDPGREC\0" | u32 version | u32 record size | u32 template count |
//   per template: u16 length, that many bytes (no terminator)
// All little-endian: the records are written as they lie in memory.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "records/record.hpp"
#include "util/result.hpp"

namespace xdpgen::records {

static_assert(std::endian::native == std::endian::little, "the binary records are the host's bytes: little-endian");

inline constexpr std::string_view kBinaryMagic{"XDPGREC\0", 8};
inline constexpr uint32_t kBinaryVersion = 1;
inline constexpr uint32_t kRecordSize = sizeof(Record);
inline constexpr size_t kMaxTemplateNames = 4096;
inline constexpr size_t kMaxTemplateBytes = 64 * 1024;  // all the names' bytes together

// An error when the names do not fit the header's limits.
Status check_template_names(const std::vector<std::string>& names);
// The header for these (checked) names.
std::string encode_header(const std::vector<std::string>& names);

}  // namespace xdpgen::records
