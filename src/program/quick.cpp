// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/quick.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace xdpgen::program {

namespace {

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

Result<std::string> read_file(const std::string& path)
{
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f)
        return sys_error("--send-file: cannot open " + path, errno);
    std::string data;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0)
        data.append(buf, n);
    if (std::ferror(f.get()))
        return sys_error("--send-file: cannot read " + path, errno ? errno : EIO);
    return data;
}

// Rejects what would break the request line or smuggle a header.
bool valid_path(const std::string& p)
{
    if (p.empty() || p[0] != '/')
        return false;
    for (unsigned char c : p)
        if (c <= ' ' || c == 0x7f)
            return false;
    return true;
}

bool valid_host(const std::string& h)
{
    for (unsigned char c : h)
        if (c <= ' ' || c == 0x7f)
            return false;
    return !h.empty();
}

}  // namespace

Result<std::string> decode_escapes(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == text.size())
            return make_error("--send: a lone backslash at the end", 0, "write \\\\ for a backslash");
        switch (text[i]) {
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '\\': out += '\\'; break;
        case '0': out += '\0'; break;
        case 'x': {
            int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
            int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return make_error("--send: \\x needs two hex digits (at byte " + std::to_string(i) + ")", 0,
                                  "e.g. \\x0d");
            out += char(hi * 16 + lo);
            i += 2;
            break;
        }
        default:
            return make_error(std::string("--send: unknown escape \\") + text[i], 0,
                              "known: \\r \\n \\t \\\\ \\0 \\xHH");
        }
    }
    return out;
}

Result<ProgramSpec> build_quick_program(const QuickProgram& q)
{
    const bool http = !q.http_get_path.empty();
    const int sends = !q.send_text.empty() + !q.send_file.empty() + (q.send_size > 0);
    const int recvs = (q.recv_bytes > 0) + q.recv_http + q.recv_until_close;
    if (sends > 1)
        return make_error("--send, --send-file and --send-size exclude each other: give one");
    if (recvs > 1)
        return make_error("--recv, --recv-http and --recv-until-close exclude each other: give one");
    if (http && (sends || recvs))
        return make_error("--http sends its own GET and reads the response: it excludes --send, --send-file, "
                          "--send-size, --recv, --recv-http and --recv-until-close");
    if (q.requests == 0)
        return make_error("--requests-per-connection must be at least 1");
    const bool parses_http = http || q.recv_http;
    if (q.expect_status && !parses_http)
        return make_error("--expect-status needs --http or --recv-http");
    if (q.expect_status && (q.expect_status < 100 || q.expect_status > 599))
        return make_error("--expect-status " + std::to_string(q.expect_status) + " is not an HTTP status (100-599)");
    if (q.verify && parses_http)
        return make_error("--verify checks received bytes against the pattern: it cannot be used with HTTP");
    if (q.verify && recvs == 0)
        return make_error("--verify needs something to receive: --recv or --recv-until-close");

    Op send{OpKind::Send};
    bool has_send = true;
    if (http) {
        if (!valid_path(q.http_get_path))
            return make_error("--http '" + q.http_get_path + "' is not a path", 0, "e.g. --http /index.html");
        if (!valid_host(q.http_host))
            return make_error("--http needs a host name for its Host header, not '" + q.http_host + "'");
        send.send.bytes = "GET " + q.http_get_path + " HTTP/1.1\r\nHost: " + q.http_host +
                          "\r\nUser-Agent: xdpgen\r\n\r\n";
    } else if (!q.send_text.empty()) {
        auto t = decode_escapes(q.send_text);
        if (!t)
            return t.error();
        send.send.bytes = std::move(t.value());
    } else if (!q.send_file.empty()) {
        auto f = read_file(q.send_file);
        if (!f)
            return f.error();
        if (f.value().empty())
            return make_error("--send-file " + q.send_file + " is empty: nothing to send");
        send.send.bytes = std::move(f.value());
    } else if (q.send_size) {
        send.send.kind = SendSource::Kind::Pattern;
        send.send.size = q.send_size;
    } else {
        has_send = false;
    }

    Op recv{OpKind::Recv};
    bool has_recv = true;
    if (http || q.recv_http)
        recv.kind = OpKind::RecvHttp;
    else if (q.recv_until_close)
        recv.kind = OpKind::RecvUntilClose;
    else if (q.recv_bytes)
        recv.count = q.recv_bytes;
    else
        has_recv = false;

    if (q.requests > 1) {
        if (!has_send && !has_recv)
            return make_error("--requests-per-connection " + std::to_string(q.requests) +
                              " needs something to send or receive per request");
        if (q.recv_until_close)
            return make_error("--recv-until-close reads until the peer closes: it can end only the last request, "
                              "not repeat (--requests-per-connection " + std::to_string(q.requests) + ")");
    }

    ProgramSpec spec;
    spec.verify = q.verify;
    spec.expect_status = q.expect_status;
    if (q.requests > 1)
        spec.ops.push_back(Op{OpKind::Loop, {}, q.requests});
    if (has_send)
        spec.ops.push_back(std::move(send));
    if (has_recv)
        spec.ops.push_back(std::move(recv));
    if (q.delay_ms)
        spec.ops.push_back(Op{OpKind::Delay, {}, q.delay_ms});
    if (q.requests > 1)
        spec.ops.push_back(Op{OpKind::EndLoop});
    spec.ops.push_back(Op{OpKind::Close});
    return spec;
}

}  // namespace xdpgen::program
