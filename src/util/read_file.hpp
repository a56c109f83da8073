// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A whole file's bytes, read once at set-up (bodies, payloads, profiles, lists).

#include <string>

#include "util/result.hpp"

namespace xdpgen {

// `what` names the file's use in errors: "--body-file: cannot open PATH: ...".
Result<std::string> read_whole_file(const std::string& what, const std::string& path);

}  // namespace xdpgen
