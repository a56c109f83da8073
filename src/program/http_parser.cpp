// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/http_response.hpp"

#include <algorithm>
#include <limits>

namespace xdpgen::program {

namespace {

// One state per place in the grammar where the meaning of the next byte
// differs. 0 must be "before a status line": a zeroed flow state is a
// parser ready for its first response.
enum State : uint8_t {
    kStatusVersion,   // "HTTP/1.x ": pos_ = characters matched (empty lines before it skipped)
    kStatusCode,      // three digits: pos_ = digits so far
    kStatusAfterCode, // SP before the reason phrase, or the end of the line
    kReason,          // reason phrase, up to LF
    kLineStart,       // a header field line, or the empty line ending the head
    kName,            // field name: field_ = candidate still matching, pos_ = its characters matched
    kValueSkip,       // a field we do not need, up to LF
    kValueLength,     // Content-Length: pos_ = kBefore / kIn / kAfter the digits
    kValueEncoding,   // Transfer-Encoding: pos_ = characters of "chunked" matched in this list element
    kBody,            // remaining_ bytes of a Content-Length body
    kBodyUntilClose,  // everything until the peer's FIN
    kChunkSize,       // chunk-size hex digits: pos_ = kBefore / kIn / kAfter
    kChunkExt,        // chunk extensions (ignored), up to LF
    kChunkData,       // remaining_ bytes of chunk data
    kChunkDataEnd,    // the CRLF after chunk data: CR or LF
    kChunkDataLf,     // ... the LF after that CR
    kTrailerStart,    // a trailer field line, or the empty line ending the response
    kTrailerLine,     // a trailer field, up to LF
    kMalformed,
    kBadStatus,
};

enum Flag : uint8_t {
    kHasLength = 1,    // a Content-Length field was read (its value in remaining_)
    kHasEncoding = 2,  // a Transfer-Encoding field was read
    kChunked = 4,      // ... and chunked is its final coding
};

// Sub-positions for a number surrounded by optional whitespace.
enum : uint8_t { kBefore = 0, kIn = 1, kAfter = 2 };

enum Field : uint8_t { kOther = 0, kContentLength = 1, kTransferEncoding = 2 };

constexpr char kVersion[] = "HTTP/1.";  // then one digit and SP
constexpr uint8_t kVersionLen = sizeof(kVersion) - 1;
constexpr char kContentLengthName[] = "content-length";
constexpr char kTransferEncodingName[] = "transfer-encoding";
constexpr char kChunkedToken[] = "chunked";
constexpr uint8_t kChunkedLen = sizeof(kChunkedToken) - 1;
constexpr uint8_t kNotChunked = 0xff;

uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? uint8_t(c + ('a' - 'A')) : c; }
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }

int hex_value(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

const char* field_name(uint8_t f) { return f == kContentLength ? kContentLengthName : kTransferEncodingName; }
uint8_t field_len(uint8_t f)
{
    return uint8_t(f == kContentLength ? sizeof(kContentLengthName) - 1 : sizeof(kTransferEncodingName) - 1);
}

bool status_ok(uint16_t status, uint16_t expect)
{
    return expect ? status == expect : status >= 200 && status <= 299;
}

}  // namespace

bool HttpResponseParser::idle() const { return state_ == kStatusVersion && pos_ == 0; }

bool HttpResponseParser::failed() const { return state_ == kMalformed || state_ == kBadStatus; }

bool HttpResponseParser::fail(HttpVerdict v, HttpProgress& p)
{
    state_ = v == HttpVerdict::BadStatus ? kBadStatus : kMalformed;
    p.verdict = v;
    return false;
}

bool HttpResponseParser::count_head_byte()
{
    if (head_bytes_ >= kMaxHeadBytes)
        return false;
    ++head_bytes_;
    return true;
}

bool HttpResponseParser::complete(uint16_t expect_status, HttpProgress& p)
{
    if (!status_ok(status_, expect_status))
        return fail(HttpVerdict::BadStatus, p);
    ++p.completed;
    remaining_ = 0;
    head_bytes_ = 0;
    state_ = kStatusVersion;
    pos_ = 0;
    flags_ = 0;
    field_ = kOther;
    return true;
}

bool HttpResponseParser::end_of_head(uint16_t expect_status, HttpProgress& p)
{
    // RFC 9112 §6.3: the order of these rules is the order of precedence.
    if (status_ < 200) {
        // Interim (RFC 9110 §15.2): never a body; the final response follows.
        remaining_ = 0;
        head_bytes_ = 0;
        state_ = kStatusVersion;
        pos_ = 0;
        flags_ = 0;
        return true;
    }
    if (status_ == 204 || status_ == 304)
        return complete(expect_status, p);
    if (flags_ & kHasEncoding) {
        // Rule 4: chunked not final means the body runs to the close; any
        // Content-Length is overridden either way.
        remaining_ = 0;
        head_bytes_ = 0;
        pos_ = kBefore;
        state_ = (flags_ & kChunked) ? kChunkSize : kBodyUntilClose;
        return true;
    }
    if (flags_ & kHasLength) {
        if (remaining_ == 0)
            return complete(expect_status, p);
        state_ = kBody;
        return true;
    }
    state_ = kBodyUntilClose;
    return true;
}

HttpProgress HttpResponseParser::finish(uint16_t expect_status)
{
    HttpProgress p;
    if (state_ == kBodyUntilClose)
        complete(expect_status, p);
    else if (state_ == kMalformed)
        p.verdict = HttpVerdict::Malformed;
    else if (state_ == kBadStatus)
        p.verdict = HttpVerdict::BadStatus;
    return p;
}

HttpProgress HttpResponseParser::feed(std::span<const uint8_t> data, uint16_t expect_status)
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
            uint64_t n = std::min<uint64_t>(remaining_, uint64_t(e - b));
            b += n;
            remaining_ -= n;
            if (remaining_ == 0) {
                if (state_ == kChunkData)
                    state_ = kChunkDataEnd;
                else if (!complete(expect_status, p))
                    return p;
            }
            continue;
        }
        if (state_ == kBodyUntilClose)
            break;

        uint8_t c = *b++;
        if (state_ != kChunkDataEnd && state_ != kChunkDataLf && !count_head_byte()) {
            fail(HttpVerdict::Malformed, p);
            return p;
        }
        bool ok = true;
        switch (state_) {
        case kStatusVersion:
            if (pos_ == 0 && (c == '\r' || c == '\n'))
                break;  // RFC 9112 §2.2: empty lines before a message are ignorable
            if (pos_ < kVersionLen)
                ok = c == uint8_t(kVersion[pos_]);  // HTTP-name is case-sensitive (RFC 9112 §2.3)
            else if (pos_ == kVersionLen)
                ok = is_digit(c);
            else
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
        case kLineStart:
            if (c == '\r')
                break;
            if (c == '\n') {
                ok = end_of_head(expect_status, p);
                if (!ok)
                    return p;
                break;
            }
            if (is_ws(c)) {
                state_ = kValueSkip;  // obsolete line folding (RFC 9112 §5.2): part of a field we skip
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
                        remaining_ = 0;
                        state_ = kValueLength;
                    } else {
                        // Each field line replaces the verdict: with several
                        // fields the last coding of the last one is final.
                        flags_ = uint8_t((flags_ | kHasEncoding) & ~kChunked);
                        pos_ = 0;
                        state_ = kValueEncoding;
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
                if (pos_ < field_len(field_) && lower(c) == uint8_t(field_name(field_)[pos_]))
                    ++pos_;
                else
                    field_ = kOther;
            }
            break;
        case kValueSkip:
            if (c == '\n')
                state_ = kLineStart;
            break;
        case kValueLength:
            if (is_digit(c)) {
                uint64_t d = c - '0';
                if (pos_ == kAfter || remaining_ > (std::numeric_limits<uint64_t>::max() - d) / 10) {
                    ok = false;
                    break;
                }
                remaining_ = remaining_ * 10 + d;
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
        case kChunkSize: {
            int v = hex_value(c);
            if (v >= 0) {
                if (pos_ == kAfter || (remaining_ >> 60) != 0) {
                    ok = false;
                    break;
                }
                remaining_ = remaining_ * 16 + uint64_t(v);
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
                state_ = remaining_ ? kChunkData : kTrailerStart;
            } else {
                ok = false;
            }
            break;
        }
        case kChunkExt:
            if (c == '\n') {
                head_bytes_ = 0;
                state_ = remaining_ ? kChunkData : kTrailerStart;
            }
            break;
        case kChunkDataEnd:
            if (c == '\r')
                state_ = kChunkDataLf;
            else if (c == '\n')
                state_ = kChunkSize, pos_ = kBefore, head_bytes_ = 0;
            else
                ok = false;
            break;
        case kChunkDataLf:
            ok = c == '\n';
            state_ = kChunkSize, pos_ = kBefore, head_bytes_ = 0;
            break;
        case kTrailerStart:
            if (c == '\r')
                break;
            if (c == '\n') {
                if (!complete(expect_status, p))
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
