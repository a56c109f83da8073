// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "blast/stream_payload.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "xdpgen/pattern.h"

namespace xdpgen {
namespace {

// The live-frames sender keeps the file in a BPF map (rows of ~68 KiB per 64 KiB).
constexpr size_t kMaxFileBytes = size_t{1} << 30;

// i % XG_PATTERN_CYCLE for i < kCycleRun + XG_PATTERN_CYCLE: a run of the
// pattern is then one table read and one add per byte (no division).
constexpr size_t kCycleRun = 4096;
const auto kCycle = [] {
    std::array<uint8_t, kCycleRun + XG_PATTERN_CYCLE> t{};
    for (size_t i = 0; i < t.size(); i++)
        t[i] = static_cast<uint8_t>(i % XG_PATTERN_CYCLE);
    return t;
}();

}  // namespace

Result<StreamPayload> StreamPayload::load(const std::string& path, uint64_t bytes)
{
    StreamPayload p;
    p.stream_bytes_ = bytes;
    if (path.empty())
        return p;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return sys_error(fmt::format("--payload {}: cannot open it", path), errno);
    p.file_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad())
        return sys_error(fmt::format("--payload {}: cannot read it", path), errno);
    if (p.file_.empty())
        return make_error(fmt::format("--payload {}: the file is empty", path));
    if (p.file_.size() > kMaxFileBytes)
        return make_error(fmt::format("--payload {}: {} bytes, at most {} (the live-frames sender keeps the file in a BPF map)",
                                      path, p.file_.size(), kMaxFileBytes));
    if (bytes > p.file_.size())
        return make_error(fmt::format("--bytes {} is more than the {} bytes of {}", bytes, p.file_.size(), path), 0,
                          "each stream carries the file once; leave --bytes out to send all of it");
    p.stream_bytes_ = bytes ? bytes : p.file_.size();
    return p;
}

void StreamPayload::fill(uint64_t off, std::span<uint8_t> dst) const
{
    uint8_t* d = dst.data();
    size_t n = dst.size();
    if (!file_.empty()) {
        const size_t have = off < file_.size() ? std::min<uint64_t>(n, file_.size() - off) : 0;
        if (have)
            std::memcpy(d, file_.data() + off, have);
        std::memset(d + have, 0, n - have);
        return;
    }
    while (n) {
        // Within one 64 KiB block the pattern is the cycle plus the block number.
        const size_t run = std::min<uint64_t>({n, kCycleRun, 65536 - (off & 0xffff)});
        const uint8_t* c = kCycle.data() + off % XG_PATTERN_CYCLE;
        const auto hi = static_cast<uint8_t>(off >> 16);
        for (size_t k = 0; k < run; k++)
            d[k] = static_cast<uint8_t>(c[k] + hi);
        d += run;
        off += run;
        n -= run;
    }
}

}  // namespace xdpgen
