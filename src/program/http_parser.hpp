// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A streaming HTTP/1.1 response parser (RFC 9112) that only frames.
//
// Why this shape
// --------------
// - It lives inside every flow's program state, so it is 16 bytes, holds no
//   pointer, never allocates and never stores a byte: it keeps a state, a
//   counter and the few facts that decide where a response ends (status,
//   Content-Length or chunked). Names and values it does not need are
//   skipped as they stream past.
// - Bytes may be cut anywhere (one at a time, mid-header, mid-CRLF): the
//   state carries across feed() calls. Body bytes are skipped a whole run at
//   a time, so a large body costs one step per segment, not per byte.
// - It reads the receive stream as consecutive responses (keep-alive, or
//   pipelined answers): a byte after a complete response starts the next.
//   Hence the stream must reach it in order and whole
//   (TcpConfig::deliver_out_of_order = false).
// - Tolerant where real servers differ and the framing stays certain (bare
//   LF line ends, CRs ignored in the head, empty lines before a status line,
//   a status line without a reason phrase); strict where a mistake would
//   misframe the stream (status code, Content-Length, chunk sizes, the CRLF
//   after chunk data), which is then "malformed".
// - Not handled, deliberately: responses to HEAD (no request is known here;
//   xdpgen sends GET), and 101 Switching Protocols followed by another
//   protocol (every 1xx is read as interim).

#include <cstdint>
#include <span>

namespace xdpgen::program {

enum class HttpVerdict : uint8_t {
    Ok,
    BadStatus,  // a complete response whose status was not the expected one
    Malformed,  // the stream is not HTTP/1.x responses (or exceeds a limit)
};

// What one feed()/finish() did: responses completed (each with an accepted
// status), and whether parsing stopped. After a verdict other than Ok the
// parser is stuck in that verdict and ignores further input.
struct HttpProgress {
    uint32_t completed = 0;
    HttpVerdict verdict = HttpVerdict::Ok;
};

class HttpResponseParser {
public:
    // Head (status line + header fields, or a chunk-size line, or the
    // trailer section) larger than this is malformed: a peer that never ends
    // its head must not keep a flow alive forever.
    static constexpr uint32_t kMaxHeadBytes = 65535;

    // expect_status: 0 accepts any 2xx, else exactly that code. It is
    // checked as each response completes (interim 1xx responses are skipped
    // without a check).
    HttpProgress feed(std::span<const uint8_t> data, uint16_t expect_status);
    // The peer closed its side (FIN): completes a close-delimited body
    // (RFC 9112 §6.3 rule 8). Idempotent.
    HttpProgress finish(uint16_t expect_status);

    // Between responses: no byte of a next one has been seen (empty lines
    // that may precede a status line do not count).
    bool idle() const;
    bool failed() const;
    // Status of the response being read (or the last one, when idle); 0
    // before its status line is through.
    uint16_t status() const { return status_; }

private:
    // Body framing, decided at the end of the head.
    bool end_of_head(uint16_t expect_status, HttpProgress& p);
    bool complete(uint16_t expect_status, HttpProgress& p);
    bool fail(HttpVerdict v, HttpProgress& p);
    bool count_head_byte();

    uint64_t remaining_ = 0;   // body or chunk bytes left; the Content-Length or chunk size being read
    uint16_t head_bytes_ = 0;  // bytes of the head (or chunk line, or trailers) so far
    uint16_t status_ = 0;
    uint8_t state_ = 0;        // State in the .cpp; 0 = before a status line
    uint8_t pos_ = 0;          // position inside the literal or field being matched
    uint8_t flags_ = 0;        // Flag bits in the .cpp
    uint8_t field_ = 0;        // header field being named: which candidate name still matches
};

static_assert(sizeof(HttpResponseParser) == 16, "lives in every flow's state");

}  // namespace xdpgen::program
