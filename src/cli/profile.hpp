// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Traffic profiles (issue 14): a TOML file of templates, each a client
// program in the terms of the command line's quick options and a share of
// the load. `xdpgen client --profile FILE` chooses a template per
// connection by weight and counts each template on its own.
//
//   [[template]]
//   name = "page"            # required, unique
//   weight = 3               # share of the connections (default 1)
//   http = "/index.html"     # or send / send_file / send_size with recv / recv_http / recv_until_close
//   method = "GET"           # and headers = ["A: b"], body, body_file, host
//   requests_per_connection = 10
//   delay_ms = 0             # pause after each exchange
//   hold_ms = 0              # then stay connected and idle before closing
//   expect_status = 200
//
// A bad profile names the file, line and column and what was expected.

#include <cstdint>
#include <string>
#include <vector>

#include "program/quick.hpp"
#include "util/result.hpp"

namespace xdpgen {

struct ProfileTemplate {
    std::string name;
    uint32_t weight = 1;
    program::QuickProgram prog;
};

struct Profile {
    std::string file;
    std::vector<ProfileTemplate> templates;
};

inline constexpr size_t kMaxTemplates = 64;  // each has its own latency histogram (35 KiB)
inline constexpr uint32_t kMaxWeight = 1'000'000;

Result<Profile> load_profile(const std::string& file);
// The same from text (tests); `file` names it in errors.
Result<Profile> parse_profile(const std::string& text, const std::string& file);

}  // namespace xdpgen
