// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/http_parser.hpp"

#include <algorithm>
#include <cstring>

namespace xdpgen::program {

namespace {

// One state per place in the grammar where the meaning of the next byte
// differs. 0 must be "before a message": a zeroed flow state is a parser
// ready for its first message. At most 32 (5 bits).
enum State : uint8_t {
    kMessageStart,    // before a start line; empty lines are skipped
    kStatusVersion,   // "HTTP/1.x ": pos_ = characters matched
    kStatusCode,      // three digits: pos_ = digits so far
    kStatusAfterCode, // SP before the reason phrase, or the end of the line
    kReason,          // reason phrase, up to LF
    kMethod,          // request method (a token), up to SP
    kTarget,          // request-target up to SP: pos_ = 1 once it has a byte
    kRequestVersion,  // "HTTP/1.x", then the line end: pos_ = characters matched
    kLineStart,       // a header field line, or the empty line ending the head
    kName,            // field name: field_ = candidate still matching, pos_ = its characters matched
    kValueSkip,       // a field we do not need, up to LF
    kValueLength,     // Content-Length: pos_ = kBefore / kIn / kAfter the digits
    kValueEncoding,   // Transfer-Encoding: pos_ = characters of "chunked" matched in this list element
    kValueConnection, // Connection: field_ = token candidate, pos_ = its characters matched
    kBody,            // remaining() bytes of a Content-Length body
    kBodyUntilClose,  // everything until the peer's FIN
    kChunkSize,       // chunk-size hex digits: pos_ = kBefore / kIn / kAfter
    kChunkExt,        // chunk extensions (ignored), up to LF
    kChunkData,       // remaining() bytes of chunk data
    kChunkDataEnd,    // the CRLF after chunk data: CR or LF
    kChunkDataLf,     // ... the LF after that CR
    kTrailerStart,    // a trailer field line, or the empty line ending the message
    kTrailerLine,     // a trailer field, up to LF
    kClosed,          // the last message ended the connection: nothing more is read
    kMalformed,
    kBadStatus,
    kStateCount
};
static_assert(kStateCount <= 32, "HttpParser::state_ has 5 bits");

// At most 6 bits (HttpParser::flags_).
enum Flag : uint8_t {
    kHasLength = 1,    // a Content-Length field was read (its value in remaining())
    kHasEncoding = 2,  // a Transfer-Encoding field was read
    kChunked = 4,      // ... and chunked is its final coding
    kConnClose = 8,    // Connection lists "close"
    kKeepAlive = 16,   // Connection lists "keep-alive"
    kHttp10 = 32,      // the start line says HTTP/1.0: no persistence unless asked (RFC 9112 §9.3)
};

// Sub-positions for a number surrounded by optional whitespace.
enum : uint8_t { kBefore = 0, kIn = 1, kAfter = 2 };

enum Field : uint8_t { kOther = 0, kContentLength = 1, kTransferEncoding = 2, kConnection = 3, kFieldCount = 3 };

// Tokens of a Connection value, in field_ while the value is read.
enum Token : uint8_t { kTokNone = 0, kTokClose = 1, kTokKeepAlive = 2, kTokAny = 3 };

constexpr char kVersion[] = "HTTP/1.";  // then one digit
constexpr uint8_t kVersionLen = sizeof(kVersion) - 1;
constexpr char kChunkedToken[] = "chunked";
constexpr uint8_t kChunkedLen = sizeof(kChunkedToken) - 1;
constexpr uint8_t kNotChunked = 31;  // pos_ has 5 bits
constexpr char kCloseToken[] = "close";
constexpr char kKeepAliveToken[] = "keep-alive";

// Indexed by Field.
constexpr const char* kFieldNames[] = {"", "content-length", "transfer-encoding", "connection"};

uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? uint8_t(c + ('a' - 'A')) : c; }
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }

// tchar (RFC 9110 §5.6.2): what a method may be made of.
bool is_tchar(uint8_t c)
{
    if (is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z'))
        return true;
    return c && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

int hex_value(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

uint8_t field_len(uint8_t f) { return uint8_t(std::strlen(kFieldNames[f])); }

// The name read so far matched candidate f for `pos` characters and then
// `c` did not: another candidate sharing that prefix may go on
// ("con" + 't' is content-length, "con" + 'n' is connection).
uint8_t other_candidate(uint8_t f, uint8_t pos, uint8_t c)
{
    for (uint8_t g = 1; g <= kFieldCount; ++g) {
        if (g == f || field_len(g) <= pos || uint8_t(kFieldNames[g][pos]) != c)
            continue;
        if (std::memcmp(kFieldNames[g], kFieldNames[f], pos) == 0)
            return g;
    }
    return kOther;
}

bool status_ok(uint16_t status, uint16_t expect)
{
    return expect ? status == expect : status >= 200 && status <= 299;
}

}  // namespace

bool HttpParser::idle() const { return state_ == kMessageStart || state_ == kClosed; }

bool HttpParser::failed() const { return state_ == kMalformed || state_ == kBadStatus; }

bool HttpParser::closes() const { return state_ == kClosed; }

bool HttpParser::fail(HttpVerdict v, HttpProgress& p)
{
    state_ = v == HttpVerdict::BadStatus ? kBadStatus : kMalformed;
    p.verdict = v;
    return false;
}

bool HttpParser::count_head_byte()
{
    if (head_bytes_ >= kMaxHeadBytes)
        return false;
    ++head_bytes_;
    return true;
}

void HttpParser::reset_message()
{
    set_remaining(0);
    head_bytes_ = 0;
    state_ = kMessageStart;
    pos_ = 0;
    flags_ = 0;
    field_ = kOther;
}

bool HttpParser::complete(uint16_t expect_status, bool request, HttpProgress& p)
{
    if (!request && !status_ok(status_, expect_status))
        return fail(HttpVerdict::BadStatus, p);
    ++p.completed;
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
    // "keep-alive"; a body read to the peer's FIN ends the connection anyway.
    const bool close = (flags_ & kConnClose) || ((flags_ & kHttp10) && !(flags_ & kKeepAlive)) ||
                       state_ == kBodyUntilClose;
    reset_message();
    if (close)
        state_ = kClosed;
    return true;
}

bool HttpParser::end_of_head(uint16_t expect_status, bool request, HttpProgress& p)
{
    if (request) {
        // RFC 9112 §6.3 rules 4-7 for requests: chunked if it is the final
        // coding, a Transfer-Encoding without it is an error (the server
        // cannot know where the body ends), else Content-Length, else none.
        if (flags_ & kHasEncoding) {
            if (!(flags_ & kChunked))
                return fail(HttpVerdict::Malformed, p);
            set_remaining(0);
            head_bytes_ = 0;
            pos_ = kBefore;
            state_ = kChunkSize;
            return true;
        }
        if ((flags_ & kHasLength) && remaining()) {
            state_ = kBody;
            return true;
        }
        return complete(expect_status, request, p);
    }

    // RFC 9112 §6.3: the order of these rules is the order of precedence.
    if (status_ < 200) {
        // Interim (RFC 9110 §15.2): never a body; the final response follows.
        reset_message();
        return true;
    }
    if (status_ == 204 || status_ == 304)
        return complete(expect_status, request, p);
    if (flags_ & kHasEncoding) {
        // Rule 4: chunked not final means the body runs to the close; any
        // Content-Length is overridden either way.
        set_remaining(0);
        head_bytes_ = 0;
        pos_ = kBefore;
        state_ = (flags_ & kChunked) ? kChunkSize : kBodyUntilClose;
        return true;
    }
    if (flags_ & kHasLength) {
        if (remaining() == 0)
            return complete(expect_status, request, p);
        state_ = kBody;
        return true;
    }
    state_ = kBodyUntilClose;
    return true;
}

HttpProgress HttpParser::finish(uint16_t expect_status)
{
    HttpProgress p;
    if (state_ == kBodyUntilClose)
        complete(expect_status, false, p);
    else if (state_ == kMalformed)
        p.verdict = HttpVerdict::Malformed;
    else if (state_ == kBadStatus)
        p.verdict = HttpVerdict::BadStatus;
    return p;
}

HttpProgress HttpParser::feed(std::span<const uint8_t> data, uint16_t expect_status)
{
    return run(data, expect_status, false);
}

HttpProgress HttpParser::feed_request(std::span<const uint8_t> data) { return run(data, 0, true); }

HttpProgress HttpParser::run(std::span<const uint8_t> data, uint16_t expect_status, bool request)
{
    HttpProgress p;
    if (failed()) {
        p.verdict = state_ == kBadStatus ? HttpVerdict::BadStatus : HttpVerdict::Malformed;
        return p;
    }
    const uint8_t* b = data.data();
    const uint8_t* e = b + data.size();
    while (b < e) {
        // Bodies are skipped a run at a time.
        if (state_ == kBody || state_ == kChunkData) {
            uint64_t r = remaining();
            uint64_t n = std::min<uint64_t>(r, uint64_t(e - b));
            b += n;
            r -= n;
            set_remaining(r);
            if (r == 0) {
                if (state_ == kChunkData)
                    state_ = kChunkDataEnd;
                else if (!complete(expect_status, request, p))
                    return p;
            }
            continue;
        }
        if (state_ == kBodyUntilClose || state_ == kClosed)
            break;

        uint8_t c = *b++;
        if (state_ != kChunkDataEnd && state_ != kChunkDataLf && !count_head_byte()) {
            fail(HttpVerdict::Malformed, p);
            return p;
        }
        bool ok = true;
        switch (state_) {
        case kMessageStart:
            if (c == '\r' || c == '\n')
                break;  // RFC 9112 §2.2: empty lines before a message are ignorable
            if (request) {
                ok = is_tchar(c);
                state_ = kMethod;
            } else {
                ok = c == uint8_t(kVersion[0]);
                pos_ = 1;
                state_ = kStatusVersion;
            }
            break;
        case kStatusVersion:
            if (pos_ < kVersionLen) {
                ok = c == uint8_t(kVersion[pos_]);  // HTTP-name is case-sensitive (RFC 9112 §2.3)
            } else if (pos_ == kVersionLen) {
                ok = is_digit(c);
                if (c == '0')
                    flags_ |= kHttp10;
            } else
                ok = c == ' ';
            if (ok && ++pos_ == kVersionLen + 2) {
                state_ = kStatusCode;
                status_ = 0;
                pos_ = 0;
            }
            break;
        case kStatusCode:
            ok = is_digit(c);
            status_ = uint16_t(status_ * 10 + (c - '0'));
            if (ok && ++pos_ == 3) {
                ok = status_ >= 100;
                state_ = kStatusAfterCode;
            }
            break;
        case kStatusAfterCode:
            // The reason phrase may be missing, and with it the SP before it.
            if (c == ' ' || c == '\r')
                state_ = kReason;
            else if (c == '\n')
                state_ = kLineStart;
            else
                ok = false;  // a fourth digit, or junk
            break;
        case kReason:
            if (c == '\n')
                state_ = kLineStart;
            break;
        case kMethod:
            // RFC 9112 §3: exactly one SP between the parts of the request line.
            if (c == ' ') {
                state_ = kTarget;
                pos_ = 0;
            } else {
                ok = is_tchar(c);
            }
            break;
        case kTarget:
            if (c == ' ') {
                ok = pos_ == 1;
                state_ = kRequestVersion;
                pos_ = 0;
            } else {
                ok = c > ' ' && c != 0x7f;  // a CR or LF here would end the line without a version
                pos_ = 1;
            }
            break;
        case kRequestVersion:
            if (pos_ < kVersionLen) {
                ok = c == uint8_t(kVersion[pos_]);
                ++pos_;
            } else if (pos_ == kVersionLen) {
                ok = is_digit(c);
                if (c == '0')
                    flags_ |= kHttp10;
                ++pos_;
            } else if (c == '\n') {
                state_ = kLineStart;
            } else {
                ok = c == '\r';
            }
            break;
        case kLineStart:
            if (c == '\r')
                break;
            if (c == '\n') {
                ok = end_of_head(expect_status, request, p);
                if (!ok)
                    return p;
                break;
            }
            if (is_ws(c)) {
                // Obsolete line folding (RFC 9112 §5.2): part of a field we
                // skip. Folding inside a field that frames the message is
                // not recognised, hence refused by that field's reader.
                state_ = kValueSkip;
                break;
            }
            if (c == ':') {
                ok = false;  // empty field name
                break;
            }
            c = lower(c);
            field_ = c == 'c' ? kContentLength : c == 't' ? kTransferEncoding : kOther;
            pos_ = 1;
            state_ = kName;
            break;
        case kName:
            if (c == ':') {
                if (field_ != kOther && pos_ == field_len(field_)) {
                    pos_ = kBefore;
                    if (field_ == kContentLength) {
                        // A repeated Content-Length, even an equal one, is
                        // refused: there is no room to compare two values.
                        ok = !(flags_ & kHasLength);
                        set_remaining(0);
                        state_ = kValueLength;
                    } else if (field_ == kTransferEncoding) {
                        // Each field line replaces the verdict: with several
                        // fields the last coding of the last one is final.
                        flags_ = uint8_t((flags_ | kHasEncoding) & ~kChunked);
                        pos_ = 0;
                        state_ = kValueEncoding;
                    } else {
                        // Connection options add up over field lines (RFC 9110 §7.6.1).
                        field_ = kTokAny;
                        pos_ = 0;
                        state_ = kValueConnection;
                    }
                } else {
                    state_ = kValueSkip;
                }
                break;
            }
            if (c == '\n' || c == '\r' || is_ws(c)) {
                // A line without a colon, or whitespace before it (RFC 9112
                // §5.1): the framing can no longer be trusted.
                ok = false;
                break;
            }
            if (field_ != kOther) {
                c = lower(c);
                if (pos_ < field_len(field_) && c == uint8_t(kFieldNames[field_][pos_]))
                    ++pos_;
                else if ((field_ = other_candidate(field_, pos_, c)) != kOther)
                    ++pos_;
            }
            break;
        case kValueSkip:
            if (c == '\n')
                state_ = kLineStart;
            break;
        case kValueLength:
            if (is_digit(c)) {
                uint64_t d = c - '0';
                uint64_t r = remaining();
                if (pos_ == kAfter || r > (kMaxLength - d) / 10) {
                    ok = false;
                    break;
                }
                set_remaining(r * 10 + d);
                pos_ = kIn;
            } else if (is_ws(c) || c == '\r') {
                if (pos_ == kIn)
                    pos_ = kAfter;
            } else if (c == '\n') {
                ok = pos_ != kBefore;
                flags_ |= kHasLength;
                state_ = kLineStart;
            } else {
                ok = false;  // a sign, a list ("5, 5"), anything but digits
            }
            break;
        case kValueEncoding:
            if (is_ws(c) || c == '\r')
                break;
            if (c == ',') {
                pos_ = 0;
            } else if (c == '\n') {
                if (pos_ == kChunkedLen)
                    flags_ |= kChunked;
                state_ = kLineStart;
            } else if (pos_ < kChunkedLen && lower(c) == uint8_t(kChunkedToken[pos_])) {
                ++pos_;
            } else {
                pos_ = kNotChunked;
            }
            break;
        case kValueConnection:
            if (is_ws(c) || c == '\r')
                break;
            if (c == ',' || c == '\n') {
                if (field_ == kTokClose && pos_ == sizeof(kCloseToken) - 1)
                    flags_ |= kConnClose;
                else if (field_ == kTokKeepAlive && pos_ == sizeof(kKeepAliveToken) - 1)
                    flags_ |= kKeepAlive;
                field_ = kTokAny;
                pos_ = 0;
                if (c == '\n')
                    state_ = kLineStart;
                break;
            }
            c = lower(c);
            if (field_ == kTokAny) {
                field_ = c == 'c' ? kTokClose : c == 'k' ? kTokKeepAlive : kTokNone;
                pos_ = 1;
            } else if (field_ != kTokNone) {
                const char* tok = field_ == kTokClose ? kCloseToken : kKeepAliveToken;
                if (pos_ < std::strlen(tok) && c == uint8_t(tok[pos_]))
                    ++pos_;
                else
                    field_ = kTokNone;
            }
            break;
        case kChunkSize: {
            int v = hex_value(c);
            if (v >= 0) {
                uint64_t r = remaining();
                if (pos_ == kAfter || r > (kMaxLength - uint64_t(v)) / 16) {
                    ok = false;
                    break;
                }
                set_remaining(r * 16 + uint64_t(v));
                pos_ = kIn;
            } else if (is_ws(c) || c == '\r') {
                ok = pos_ != kBefore;
                pos_ = kAfter;
            } else if (c == ';') {
                ok = pos_ != kBefore;
                state_ = kChunkExt;
            } else if (c == '\n') {
                ok = pos_ != kBefore;
                head_bytes_ = 0;
                state_ = remaining() ? kChunkData : kTrailerStart;
            } else {
                ok = false;
            }
            break;
        }
        case kChunkExt:
            if (c == '\n') {
                head_bytes_ = 0;
                state_ = remaining() ? kChunkData : kTrailerStart;
            }
            break;
        case kChunkDataEnd:
            if (c == '\r') {
                state_ = kChunkDataLf;
            } else if (c == '\n') {
                state_ = kChunkSize;
                pos_ = kBefore;
                head_bytes_ = 0;
            } else {
                ok = false;
            }
            break;
        case kChunkDataLf:
            ok = c == '\n';
            state_ = kChunkSize;
            pos_ = kBefore;
            head_bytes_ = 0;
            break;
        case kTrailerStart:
            if (c == '\r')
                break;
            if (c == '\n') {
                if (!complete(expect_status, request, p))
                    return p;
                break;
            }
            state_ = kTrailerLine;
            break;
        case kTrailerLine:
            if (c == '\n')
                state_ = kTrailerStart;
            break;
        default:
            ok = false;
            break;
        }
        if (!ok) {
            fail(HttpVerdict::Malformed, p);
            return p;
        }
    }
    return p;
}

}  // namespace xdpgen::program
