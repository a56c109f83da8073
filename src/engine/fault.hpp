// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Test-only fault injection: XDPGEN_FAULT=worker<N>-fail-after-ms=<MS> makes
// worker N fail with an error MS milliseconds after the run starts, so the
// integration tests can check that one failed worker ends the whole run.
// Read once when the engine is made; not meant for users.

#include <cstdint>
#include <optional>
#include <string>

#include "util/result.hpp"

namespace xdpgen::engine {

inline constexpr const char* kFaultEnv = "XDPGEN_FAULT";

struct Fault {
    uint32_t worker = 0;
    uint64_t after_ns = 0;
};

// The fault a value names; an error naming XDPGEN_FAULT when it is malformed.
Result<Fault> parse_fault(const std::string& value);
// XDPGEN_FAULT's fault, none when it is unset or empty.
Result<std::optional<Fault>> fault_from_env();

}  // namespace xdpgen::engine
