// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The JSON report's per-interval entries, kept in an unnamed temporary file
// instead of memory: a run of any length holds constant memory for them
// (a day at one entry a second is about 20 MB of file, not of RAM).

#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "util/result.hpp"

namespace xdpgen {

class IntervalLog {
public:
    IntervalLog();
    // Appends one entry. An entry that cannot be stored is counted, never silently lost.
    void add(const nlohmann::json& entry);
    uint64_t size() const { return count_; }
    uint64_t lost() const { return lost_; }
    // Writes the entries as the items of a JSON array, without the brackets.
    Status write_items(std::FILE* to) const;

private:
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
    uint64_t count_ = 0;
    uint64_t lost_ = 0;
};

}  // namespace xdpgen
