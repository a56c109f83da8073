// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "records/binary_format.hpp"

#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace xdpgen::records {
namespace {

template <typename T>
void put(std::string& out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // the host is little-endian (asserted)
    out.append(b, sizeof(T));
}

}  // namespace

Status check_template_names(const std::vector<std::string>& names)
{
    if (names.size() > kMaxTemplateNames)
        return make_error(fmt::format("{} template names for the records file: at most {}", names.size(),
                                      kMaxTemplateNames));
    size_t total = 0;
    for (const auto& n : names) {
        if (n.size() > std::numeric_limits<uint16_t>::max())
            return make_error(fmt::format("a template name of {} bytes for the records file: at most {}", n.size(),
                                          std::numeric_limits<uint16_t>::max()));
        total += n.size();
    }
    if (total > kMaxTemplateBytes)
        return make_error(fmt::format("template names of {} bytes in all for the records file: at most {}", total,
                                      kMaxTemplateBytes),
                          0, "give the templates shorter names");
    return {};
}

std::string encode_header(const std::vector<std::string>& names)
{
    std::string out(kBinaryMagic);
    put<uint32_t>(out, kBinaryVersion);
    put<uint32_t>(out, kRecordSize);
    put<uint32_t>(out, static_cast<uint32_t>(names.size()));
    for (const auto& n : names) {
        put<uint16_t>(out, static_cast<uint16_t>(n.size()));
        out += n;
    }
    return out;
}

}  // namespace xdpgen::records
