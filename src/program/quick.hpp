// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// Programs from command-line options (`xdpgen client --send ... --recv ...`,
// `xdpgen server --recv-http ...`) for the common request/response shapes,
// without a profile file.

#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

#include "program/program.hpp"
#include "util/result.hpp"

namespace xdpgen::program {

struct QuickProgram {
    std::string send_text;       // --send TEXT, with escapes (decode_escapes)
    bool send_literal = false;   // send_text is the bytes themselves (a profile's TOML string: escapes done)
    std::string send_file;       // --send-file PATH: its bytes, read now
    uint64_t send_size = 0;      // --send-size N: N bytes of the pattern
    uint64_t recv_bytes = 0;     // --recv N
    bool recv_http = false;      // --recv-http
    bool recv_until_close = false;  // --recv-until-close
    uint32_t requests = 1;       // --requests-per-connection: exchanges per connection
    uint64_t delay_ms = 0;       // --delay: pause after each exchange, 0 = none
    uint64_t hold_ms = 0;        // --hold: stay connected and idle this long before closing
    bool verify = false;         // --verify
    uint16_t expect_status = 0;  // --expect-status (with --recv-http / --http); 0 = any 2xx
    std::string http_get_path;   // --http PATH (or a URL's path): a request for PATH, then recv-http
    std::string http_host;       // the Host header for --http (the caller's destination)
    std::string http_method;     // --method: "" = GET, or POST when there is a body
    std::vector<std::string> http_headers;  // -H "Name: value", each; Host and User-Agent replace ours
    std::string http_body;       // --body TEXT: the request body, with Content-Length
    std::string http_body_file;  // --body-file PATH: the request body, the file's bytes, read now
    bool on_schedule = false;    // --rps: each exchange waits for the engine's go (a Gate)
    // A profile's template: its texts may hold ${...} fields (program::apply_fields
    // reads them later); the request body has none, so its '$' are escaped.
    bool fields = false;
};

// loop(requests) { send; recv; delay }, hold, close -- each part only when given.
// on_schedule: loop until the run ends { gate; send; recv; delay }, close.
// Nothing given at all is the empty program: connect, then close.
Result<ProgramSpec> build_quick_program(const QuickProgram& q);

// What `xdpgen server` does with each accepted connection.
struct ServerQuick {
    uint64_t recv_bytes = 0;      // --recv N: the request is N bytes
    bool recv_http = false;       // --recv-http: the request is one HTTP/1.1 request
    std::string send_text;        // --send TEXT, with escapes; with HTTP, the response body (text/plain)
    bool send_literal = false;    // send_text is the bytes themselves (a profile's TOML string: escapes done)
    uint64_t send_size = 0;       // --send-size M: M bytes of the pattern; with HTTP, the response body
    bool http = false;            // --http: the same as --recv-http
    uint16_t http_status = 200;   // --http-status N
    uint64_t http_body_size = 0;  // --http-body-size M: the response body, M bytes of the pattern
    std::string http_body_file;   // --http-body FILE: the response body, the file's bytes, read now
    bool close_after = false;     // --close: close after responding; else wait for the client to close
    bool keep_alive = true;       // HTTP: answer requests until the client closes (--close: one)
    bool verify = false;          // --verify: received bytes must be the pattern, by stream offset
};

// HTTP (--recv-http or --http):
//   keep-alive: loop until the peer closes { recv-http-request; send response }, close
//   --close (or keep_alive false): recv-http-request; send response with "Connection: close"; close
// The response is canned: status line, Server, Content-Type and
// Content-Length, then the body. The loop also ends after a request that
// asks to close (HTTP/1.1 semantics).
// Otherwise: recv N (if given), send (if given), then close (--close) or
// recv-until-close and close. Nothing given at all is a sink: it reads
// until the client closes.
Result<ProgramSpec> build_server_program(const ServerQuick& q);

// The head of the server's canned response: status line, "Server: xdpgen",
// Content-Type (unless content_type is empty), Content-Length (not for 204
// and 304, which have no body), "Connection: close" when `close`.
std::string http_response_head(uint16_t status, uint64_t body_len, std::string_view content_type, bool close);

// Reason phrase for common status codes, "" for others (RFC 9110 §15).
const char* http_reason(uint16_t status);

// --send TEXT: \r \n \t \\ \0 and \xHH (two hex digits); any other
// backslash sequence is an error, so a typo does not go out on the wire.
Result<std::string> decode_escapes(std::string_view text);

}  // namespace xdpgen::program
