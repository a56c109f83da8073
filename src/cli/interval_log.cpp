// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "cli/interval_log.hpp"

#include <cerrno>

namespace xdpgen {

IntervalLog::IntervalLog() : file_(std::tmpfile(), &std::fclose) {}

void IntervalLog::add(const nlohmann::json& entry)
{
    const std::string text = (count_ ? ",\n" : "") + entry.dump();
    if (!file_ || std::fwrite(text.data(), 1, text.size(), file_.get()) != text.size()) {
        lost_++;
        return;
    }
    count_++;
}

Status IntervalLog::write_items(std::FILE* to) const
{
    if (!file_ || count_ == 0)
        return {};
    if (std::fflush(file_.get()) != 0 || std::fseek(file_.get(), 0, SEEK_SET) != 0)
        return sys_error("cannot read back the intervals kept for the JSON report", errno);
    char buf[64 * 1024];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), file_.get())) > 0)
        if (std::fwrite(buf, 1, n, to) != n)
            return sys_error("cannot write the JSON report's intervals", errno);
    std::fseek(file_.get(), 0, SEEK_END);  // further adds append
    return {};
}

}  // namespace xdpgen
