// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "engine/fault.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

namespace xdpgen::engine {
namespace {

// A whole decimal number, nothing around it.
template <typename T>
bool parse_number(std::string_view s, T& out)
{
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<Fault> parse_fault(const std::string& value)
{
    constexpr std::string_view kWorker = "worker", kMiddle = "-fail-after-ms=";
    const std::string_view v = value;
    const size_t mid = v.find(kMiddle);
    Fault f;
    uint64_t ms = 0;
    if (v.substr(0, kWorker.size()) != kWorker || mid == std::string_view::npos ||
        !parse_number(v.substr(kWorker.size(), mid - kWorker.size()), f.worker) ||
        !parse_number(v.substr(mid + kMiddle.size()), ms) || ms == 0)
        return make_error(fmt::format("{}='{}' is not a fault xdpgen knows", kFaultEnv, value), 0,
                          fmt::format("{} is for tests only: worker<N>-fail-after-ms=<MS>, or unset it", kFaultEnv));
    f.after_ns = ms * 1'000'000;
    return f;
}

Result<std::optional<Fault>> fault_from_env()
{
    const char* v = std::getenv(kFaultEnv);
    if (!v || !*v)
        return std::optional<Fault>{};
    auto f = parse_fault(v);
    if (!f)
        return f.error();
    return std::optional<Fault>{f.value()};
}

}  // namespace xdpgen::engine
