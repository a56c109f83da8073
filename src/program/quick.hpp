// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Programs from command-line options (`xdpgen client --send ... --recv ...`)
// for the common request/response shapes, without a profile file.

#include <cstdint>
#include <string>
#include <string_view>

#include "program/program.hpp"
#include "util/result.hpp"

namespace xdpgen::program {

struct QuickProgram {
    std::string send_text;       // --send TEXT, with escapes (decode_escapes)
    std::string send_file;       // --send-file PATH: its bytes, read now
    uint64_t send_size = 0;      // --send-size N: N bytes of the pattern
    uint64_t recv_bytes = 0;     // --recv N
    bool recv_http = false;      // --recv-http
    bool recv_until_close = false;  // --recv-until-close
    uint32_t requests = 1;       // --requests-per-connection: exchanges per connection
    uint64_t delay_ms = 0;       // --delay: pause after each exchange, 0 = none
    bool verify = false;         // --verify
    uint16_t expect_status = 0;  // --expect-status (with --recv-http / --http); 0 = any 2xx
    std::string http_get_path;   // --http PATH: a GET of PATH, then recv-http
    std::string http_host;       // the Host header for --http (the caller's destination)
};

// loop(requests) { send; recv; delay }, close -- each part only when given.
// Nothing given at all is the empty program: connect, then close.
Result<ProgramSpec> build_quick_program(const QuickProgram& q);

// --send TEXT: \r \n \t \\ \0 and \xHH (two hex digits); any other
// backslash sequence is an error, so a typo does not go out on the wire.
Result<std::string> decode_escapes(std::string_view text);

}  // namespace xdpgen::program
