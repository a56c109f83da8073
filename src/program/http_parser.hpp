// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// A streaming HTTP/1.1 parser (RFC 9112) that only frames: responses for a
// client program, requests for a server program.
//
// Why this shape
// --------------
// - It lives inside every flow's program state, so it is 12 bytes, holds no
//   pointer, never allocates and never stores a byte: it keeps a state, a
//   counter and the few facts that decide where a message ends (status,
//   Content-Length or chunked, and for requests whether the client asked to
//   close). Names and values it does not need are skipped as they stream
//   past. The price of 12 bytes: a Content-Length or chunk size above
//   kMaxLength (256 TiB) is refused.
// - One machine for both directions: the head fields, bodies and chunks
//   frame the same way; only the start line and the end-of-head rules
//   differ. The direction is the call (feed or feed_request), not state: a
//   parser reads one direction for its whole life.
// - Bytes may be cut anywhere (one at a time, mid-header, mid-CRLF): the
//   state carries across calls. Body bytes are skipped a whole run at a
//   time, so a large body costs one step per segment, not per byte.
// - It reads the stream as consecutive messages (keep-alive, pipelining): a
//   byte after a complete message starts the next. Hence the stream must
//   reach it in order and whole (TcpConfig::deliver_out_of_order = false).
// - Tolerant where real peers differ and the framing stays certain (bare LF
//   line ends, CRs ignored in the head, empty lines before a start line, a
//   status line without a reason phrase); strict where a mistake would
//   misframe the stream (status code, request line, Content-Length, chunk
//   sizes, the CRLF after chunk data), which is then "malformed".
// - Not handled, deliberately: responses to HEAD (no request is known on
//   the client side; xdpgen sends GET), 101 Switching Protocols followed by
//   another protocol (every 1xx is read as interim), and a request's
//   "Expect: 100-continue" (a server program answers with its canned
//   response only once the whole request is in).

#include <cstdint>
#include <span>

namespace xdpgen::program {

enum class HttpVerdict : uint8_t {
    Ok,
    BadStatus,  // a complete response whose status was not the expected one
    Malformed,  // the stream is not HTTP/1.x messages (or exceeds a limit)
};

// What one call did: messages completed (responses each with an accepted
// status), and whether parsing stopped. After a verdict other than Ok the
// parser is stuck in that verdict and ignores further input.
struct HttpProgress {
    uint32_t completed = 0;
    HttpVerdict verdict = HttpVerdict::Ok;
};

class HttpParser {
public:
    // Head (start line + header fields, or a chunk-size line, or the
    // trailer section) larger than this is malformed: a peer that never ends
    // its head must not keep a flow alive forever.
    static constexpr uint32_t kMaxHeadBytes = 65535;
    // The largest Content-Length or chunk size: 48 bits is what the state
    // has room for.
    static constexpr uint64_t kMaxLength = (uint64_t(1) << 48) - 1;

    // --- Responses (a client reading its server) ---
    // expect_status: 0 accepts any 2xx, else exactly that code. It is
    // checked as each response completes (interim 1xx responses are skipped
    // without a check).
    HttpProgress feed(std::span<const uint8_t> data, uint16_t expect_status);
    // The peer closed its side (FIN): completes a close-delimited body
    // (RFC 9112 §6.3 rule 8). Idempotent.
    HttpProgress finish(uint16_t expect_status);
    // Status of the response being read (or the last one, when idle); 0
    // before its status line is through.
    uint16_t status() const { return status_; }

    // --- Requests (a server reading its client) ---
    // Request line "method SP target SP HTTP/1.x", header fields, then a
    // body by chunked or Content-Length, or none (RFC 9112 §6.3 rules 4-7:
    // a Transfer-Encoding that does not end in chunked is malformed).
    HttpProgress feed_request(std::span<const uint8_t> data);
    // The last message completed ends the connection: a request or response
    // with "close" in Connection, HTTP/1.0 without "keep-alive" (RFC 9112
    // §9.3), or a response whose body ran to the peer's FIN. Nothing is sent
    // after it on that connection (§9.6), so the parser reads nothing more:
    // further bytes are ignored and complete nothing.
    bool closes() const;

    // Between messages: no byte of a next one has been seen (empty lines
    // that may precede a start line do not count). True after a message
    // that closes().
    bool idle() const;
    bool failed() const;

private:
    HttpProgress run(std::span<const uint8_t> data, uint16_t expect_status, bool request);
    // Body framing, decided at the end of the head.
    bool end_of_head(uint16_t expect_status, bool request, HttpProgress& p);
    bool complete(uint16_t expect_status, bool request, HttpProgress& p);
    bool fail(HttpVerdict v, HttpProgress& p);
    bool count_head_byte();
    void reset_message();

    uint64_t remaining() const { return uint64_t(rem_hi_) << 32 | rem_lo_; }
    void set_remaining(uint64_t v)
    {
        rem_lo_ = uint32_t(v);
        rem_hi_ = uint16_t(v >> 32);
    }

    // Body or chunk bytes left; the Content-Length or chunk size being read.
    // Two halves so that the parser needs only 4-byte alignment: with an
    // 8-byte member it would round up to 16 bytes.
    uint32_t rem_lo_ = 0;
    uint16_t rem_hi_ = 0;
    uint16_t head_bytes_ = 0;  // bytes of the head (or chunk line, or trailers) so far
    uint32_t status_ : 10 = 0;
    uint32_t state_ : 5 = 0;   // State in the .cpp; 0 = before a message
    uint32_t pos_ : 5 = 0;     // position inside the literal, field or token being matched
    uint32_t flags_ : 6 = 0;   // Flag bits in the .cpp
    uint32_t field_ : 3 = 0;   // header field (or list token) being named: which candidate still matches
};

static_assert(sizeof(HttpParser) == 12, "lives in every flow's state");

}  // namespace xdpgen::program
