// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The command-line quick forms (`xdpgen client --send ... --http ...`,
// `xdpgen server --recv-http ...`) and --send's escapes, from fuzzer-chosen
// option values. What they build must compile, and the HTTP they write must
// read back through our own parser: the client's GET as one request, the
// server's canned answer as one response with its status.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_check.hpp"
#include "program/http_parser.hpp"
#include "program/quick.hpp"

using namespace xdpgen;
using namespace xdpgen::program;

namespace {

struct Reader {
    std::span<const uint8_t> d;
    uint8_t u8()
    {
        if (d.empty())
            return 0;
        uint8_t v = d[0];
        d = d.subspan(1);
        return v;
    }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
    uint64_t u64()
    {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= uint64_t(u8()) << (8 * i);
        return v;
    }
    // A length byte, then that many bytes.
    std::string str()
    {
        size_t n = std::min<size_t>(u8(), d.size());
        std::string s(reinterpret_cast<const char*>(d.data()), n);
        d = d.subspan(n);
        return s;
    }
};

// Small values mostly, any value sometimes: the limits are at both ends.
uint64_t size_value(Reader& r)
{
    const uint8_t m = r.u8();
    return m & 0x80 ? r.u64() : uint64_t(r.u16()) << (m & 0x1f);
}

void check_escapes(const std::string& text)
{
    auto d = decode_escapes(text);
    if (!d) {
        FUZZ_CHECK(text.find('\\') != std::string::npos);
        return;
    }
    FUZZ_CHECK(d.value().size() <= text.size());
    // Every byte written as \xHH decodes back to itself.
    static const char kHex[] = "0123456789abcdef";
    std::string esc;
    for (unsigned char c : d.value()) {
        esc += "\\x";
        esc += kHex[c >> 4];
        esc += kHex[c & 15];
    }
    auto back = decode_escapes(esc);
    FUZZ_CHECK(back && back.value() == d.value());
}

// The bytes of the program's Send ops, pattern sends as `size` zeros.
std::string sent_bytes(const ProgramSpec& s, size_t cap)
{
    std::string out;
    for (const Op& op : s.ops) {
        if (op.kind != OpKind::Send)
            continue;
        if (op.send.kind == SendSource::Kind::Bytes)
            out += op.send.bytes;
        else
            out.append(std::min<uint64_t>(op.send.size, cap - std::min(cap, out.size())), 'x');
    }
    return out;
}

void client(Reader& r)
{
    QuickProgram q;
    const uint8_t f = r.u8();
    if (f & 1)
        q.send_text = r.str();
    if (f & 2)
        q.send_size = size_value(r);
    if (f & 4)
        q.recv_bytes = size_value(r);
    q.recv_http = f & 8;
    q.recv_until_close = f & 16;
    q.verify = f & 32;
    if (f & 64) {
        q.http_get_path = r.str();
        q.http_host = r.str();
    }
    const uint8_t g = r.u8();
    q.requests = g & 1 ? r.u16() : 1;
    if (g & 2)
        q.delay_ms = size_value(r);
    if (g & 4)
        q.hold_ms = size_value(r);
    if (g & 8)
        q.expect_status = r.u16() % 700;
    auto spec = build_quick_program(q);
    if (!spec)
        return;
    auto p = Program::compile(spec.value());
    if (!p)
        return;  // sizes or delays out of range are the compiler's to refuse
    if (!q.http_get_path.empty()) {
        // One GET per exchange, each read back as one request.
        HttpParser parser;
        const std::string req = sent_bytes(spec.value(), 1 << 16);
        HttpProgress pr = parser.feed_request({reinterpret_cast<const uint8_t*>(req.data()), req.size()});
        FUZZ_CHECK(pr.verdict == HttpVerdict::Ok && pr.completed == 1 && parser.idle());
    }
}

void server(Reader& r)
{
    ServerQuick q;
    const uint8_t f = r.u8();
    if (f & 1)
        q.recv_bytes = size_value(r);
    q.recv_http = f & 2;
    q.http = f & 4;
    if (f & 8)
        q.send_text = r.str();
    if (f & 16)
        q.send_size = size_value(r);
    if (f & 32)
        q.http_body_size = size_value(r);
    if (f & 64)
        q.http_status = r.u16() % 700;
    q.close_after = f & 128;
    q.keep_alive = !(r.u8() & 1);
    auto spec = build_server_program(q);
    if (!spec)
        return;
    auto p = Program::compile(spec.value());
    if (!p)
        return;  // a body of nearly 2^64 bytes: the compiler refuses it
    if (!(q.http || q.recv_http))
        return;
    // The canned answer (a pattern body as filler) is one response with
    // the configured status, and nothing more.
    const std::string resp = sent_bytes(spec.value(), 1 << 16);
    uint64_t total = 0;
    for (const Op& op : spec.value().ops)
        if (op.kind == OpKind::Send)
            total += op.send.kind == SendSource::Kind::Bytes ? op.send.bytes.size() : op.send.size;
    if (total > resp.size())
        return;  // too large to check here
    HttpParser parser;
    HttpProgress pr = parser.feed({reinterpret_cast<const uint8_t*>(resp.data()), resp.size()}, q.http_status);
    FUZZ_CHECK(pr.verdict == HttpVerdict::Ok && pr.completed == 1 && parser.idle());
    FUZZ_CHECK(parser.status() == q.http_status);
}

void response_head(Reader& r)
{
    const uint16_t status = 200 + r.u16() % 400;
    const uint64_t body = r.u16();
    const std::string type = r.str();
    const bool close = r.u8() & 1;
    // Only types a caller could pass (the server passes fixed ones).
    for (unsigned char c : type)
        if (c < ' ' || c == 0x7f)
            return;
    std::string resp = http_response_head(status, body, type, close);
    const bool no_body = status == 204 || status == 304;
    if (!no_body)
        resp.append(body, 'x');
    HttpParser parser;
    HttpProgress pr = parser.feed({reinterpret_cast<const uint8_t*>(resp.data()), resp.size()}, status);
    FUZZ_CHECK(pr.verdict == HttpVerdict::Ok && pr.completed == 1 && parser.idle());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader r{{data, size}};
    switch (r.u8() % 4) {
    case 0:
        client(r);
        break;
    case 1:
        server(r);
        break;
    case 2:
        response_head(r);
        break;
    case 3:
        check_escapes(r.str());
        break;
    }
    return 0;
}
