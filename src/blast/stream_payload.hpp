// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// What `xdpgen tcp`'s streams carry, whichever data path sends them: the
// pattern (byte `off` is xg_pattern_byte(off), include/xdpgen/pattern.h) or
// a file's bytes at their offsets, each stream carrying the file once.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace xdpgen {

class StreamPayload {
public:
    // The file's content (empty path: the pattern). `bytes` is the stream
    // length asked for (0 = not given): at most the file's size.
    static Result<StreamPayload> load(const std::string& path, uint64_t bytes);

    // The stream length: `bytes`, else the file's size, else 0 (until stopped).
    uint64_t stream_bytes() const { return stream_bytes_; }
    const std::vector<uint8_t>& file() const { return file_; }
    // The bytes at [off, off + dst.size()) (beyond a file's end: zeros).
    void fill(uint64_t off, std::span<uint8_t> dst) const;

private:
    std::vector<uint8_t> file_;
    uint64_t stream_bytes_ = 0;
};

}  // namespace xdpgen
