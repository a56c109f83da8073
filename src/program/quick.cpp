// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "program/quick.hpp"

#include "util/read_file.hpp"

#include <strings.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

// Rejects what would break the request line or smuggle a header.
bool valid_path(const std::string& p)
{
    if (p.empty() || p[0] != '/')
        return false;
    for (size_t i = 0; i < p.size(); i++) {
        if (p.compare(i, 2, "${") == 0 && p.find('}', i) != std::string::npos) {
            i = p.find('}', i);  // a profile's field ("${random 1 9}"): checked as it renders
            continue;
        }
        if (static_cast<unsigned char>(p[i]) <= ' ' || p[i] == 0x7f)
            return false;
    }
    return true;
}

bool valid_host(const std::string& h)
{
    for (unsigned char c : h)
        if (c <= ' ' || c == 0x7f)
            return false;
    return !h.empty();
}

bool is_token_char(unsigned char c)
{
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// "Name: value" with a token name and a value without CR or LF (RFC 9110 §5).
Result<std::pair<std::string, std::string>> split_header(const std::string& h)
{
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
        return make_error("-H '" + h + "' is not a header", 0, "e.g. -H 'Accept: text/html'");
    const std::string name = h.substr(0, colon);
    for (unsigned char c : name)
        if (!is_token_char(c))
            return make_error("-H '" + h + "': the header name '" + name + "' has a character names cannot have");
    std::string value = h.substr(colon + 1);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    if (value.find_first_of("\r\n") != std::string::npos)
        return make_error("-H '" + name + "': a header value cannot hold a line break");
    return std::pair{name, value};
}

bool same_name(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

// The request line, Host and User-Agent (unless -H gives them), the -H
// headers in order, Content-Length with a body, then the body.
Result<std::string> http_request(const QuickProgram& q)
{
    if (!valid_path(q.http_get_path))
        return make_error("--http '" + q.http_get_path + "' is not a path", 0, "e.g. --http /index.html");
    if (!q.http_body.empty() && !q.http_body_file.empty())
        return make_error("--body and --body-file exclude each other: give one");
    std::string body = q.http_body;
    if (!q.http_body_file.empty()) {
        auto f = read_whole_file("--body-file", q.http_body_file);
        if (!f)
            return f.error();
        body = std::move(f.value());
    }
    const bool has_body = !q.http_body.empty() || !q.http_body_file.empty();
    std::string method = q.http_method.empty() ? (has_body ? "POST" : "GET") : q.http_method;
    for (unsigned char c : method)
        if (!is_token_char(c))
            return make_error("--method '" + method + "' is not a method name", 0, "e.g. GET, POST, PUT, DELETE");
    if (method == "HEAD" || method == "CONNECT")
        return make_error("--method " + method + " is not supported: its response is not read like the others'", 0,
                          "use GET");
    std::string headers;
    bool own_host = false, own_agent = false;
    for (const auto& h : q.http_headers) {
        auto nv = split_header(h);
        if (!nv)
            return nv.error();
        const auto& [name, value] = nv.value();
        if (same_name(name, "Content-Length") || same_name(name, "Transfer-Encoding"))
            return make_error("-H '" + name + "': xdpgen sets the body's framing itself (from --body / --body-file)");
        own_host |= same_name(name, "Host");
        own_agent |= same_name(name, "User-Agent");
        headers += name + ": " + value + "\r\n";
    }
    if (!own_host && !valid_host(q.http_host))
        return make_error("--http needs a host name for its Host header, not '" + q.http_host + "'");
    std::string r = method + " " + q.http_get_path + " HTTP/1.1\r\n";
    if (!own_host)
        r += "Host: " + q.http_host + "\r\n";
    if (!own_agent)
        r += "User-Agent: xdpgen\r\n";
    r += headers;
    if (has_body || method == "POST" || method == "PUT" || method == "PATCH")
        r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    // A profile reads the request for fields; the body has none: it goes as it is.
    return r + "\r\n" + (q.fields ? escape_fields(body) : body);
}

// --rps: the engine sends each request when it is due, over connections
// that stay open for the whole run.
Result<ProgramSpec> scheduled_program(const QuickProgram& q, ProgramSpec spec, Op send, bool has_send, Op recv,
                                      bool has_recv)
{
    if (!has_send || !has_recv || recv.kind == OpKind::RecvUntilClose)
        return make_error("--rps sends requests and reads their answers: give --http (or a URL), or --send with "
                          "--recv or --recv-http");
    if (q.requests != 1)
        return make_error("--rps keeps each connection open for the whole run: --requests-per-connection does not "
                          "apply");
    if (q.hold_ms)
        return make_error("--rps keeps each connection open for the whole run: --hold does not apply");
    spec.ops.push_back(Op{OpKind::Loop, {}, 0});
    spec.ops.push_back(Op{OpKind::Gate});
    spec.ops.push_back(std::move(send));
    spec.ops.push_back(std::move(recv));
    if (q.delay_ms)
        spec.ops.push_back(Op{OpKind::Delay, {}, q.delay_ms});
    spec.ops.push_back(Op{OpKind::EndLoop});
    spec.ops.push_back(Op{OpKind::Close});
    return spec;
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

    const bool http_extras = !q.http_method.empty() || !q.http_headers.empty() || !q.http_body.empty() ||
                             !q.http_body_file.empty();
    if (http_extras && !http)
        return make_error("--method, -H, --body and --body-file shape the HTTP request: give --http PATH or a URL");

    Op send{OpKind::Send};
    bool has_send = true;
    if (http) {
        auto req = http_request(q);
        if (!req)
            return req.error();
        send.send.bytes = std::move(req.value());
    } else if (!q.send_text.empty() && q.send_literal) {
        send.send.bytes = q.send_text;
    } else if (!q.send_text.empty()) {
        auto t = decode_escapes(q.send_text);
        if (!t)
            return t.error();
        send.send.bytes = std::move(t.value());
    } else if (!q.send_file.empty()) {
        auto f = read_whole_file("--send-file", q.send_file);
        if (!f)
            return f.error();
        if (f.value().empty())
            return make_error("--send-file " + q.send_file + " is empty: nothing to send");
        send.send.bytes = std::move(f.value());
        send.send.literal = true;  // a file's bytes, never fields
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
    if (q.on_schedule)
        return scheduled_program(q, std::move(spec), std::move(send), has_send, std::move(recv), has_recv);
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
    if (q.hold_ms)
        spec.ops.push_back(Op{OpKind::Delay, {}, q.hold_ms});
    spec.ops.push_back(Op{OpKind::Close});
    return spec;
}

const char* http_reason(uint16_t status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "";
}

std::string http_response_head(uint16_t status, uint64_t body_len, std::string_view content_type, bool close)
{
    // The reason phrase may be empty, the SP before it may not (RFC 9112 §4).
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + http_reason(status) + "\r\nServer: xdpgen\r\n";
    if (!content_type.empty()) {
        h += "Content-Type: ";
        h += content_type;
        h += "\r\n";
    }
    // RFC 9110 §8.6: never in a 204; a 304's would describe the resource, not this message.
    if (status != 204 && status != 304)
        h += "Content-Length: " + std::to_string(body_len) + "\r\n";
    if (close)
        h += "Connection: close\r\n";
    h += "\r\n";
    return h;
}

Result<ProgramSpec> build_server_program(const ServerQuick& q)
{
    const bool http = q.http || q.recv_http;
    const int sends = !q.send_text.empty() + (q.send_size > 0) + (q.http_body_size > 0) + !q.http_body_file.empty();
    if (q.recv_bytes && http)
        return make_error(std::string("--recv and ") + (q.recv_http ? "--recv-http" : "--http") +
                          " exclude each other: give one");
    if (sends > 1)
        return make_error("--send, --send-size, --http-body-size and --http-body exclude each other: give one");
    if (!http && (q.http_body_size || !q.http_body_file.empty()))
        return make_error(std::string(q.http_body_size ? "--http-body-size" : "--http-body") +
                              " is the body of an HTTP response: it needs --recv-http",
                          0, "raw bytes without HTTP: --send-size or --send");
    if (!http && q.http_status != 200)
        return make_error("--http-status " + std::to_string(q.http_status) + " needs --recv-http");
    if (q.verify && http)
        return make_error("--verify checks received bytes against the pattern: it cannot be used with HTTP");

    ProgramSpec spec;
    spec.verify = q.verify;
    if (!http) {
        if (q.recv_bytes)
            spec.ops.push_back(Op{OpKind::Recv, {}, q.recv_bytes});
        Op send{OpKind::Send};
        if (!q.send_text.empty()) {
            auto t = q.send_literal ? Result<std::string>(q.send_text) : decode_escapes(q.send_text);
            if (!t)
                return t.error();
            send.send.bytes = std::move(t.value());
            spec.ops.push_back(std::move(send));
        } else if (q.send_size) {
            send.send.kind = SendSource::Kind::Pattern;
            send.send.size = q.send_size;
            spec.ops.push_back(std::move(send));
        }
        // Waiting for the client's FIN first leaves the TIME-WAIT with the
        // client, as a server wants.
        if (!q.close_after)
            spec.ops.push_back(Op{OpKind::RecvUntilClose});
        spec.ops.push_back(Op{OpKind::Close});
        return spec;
    }

    if (q.http_status < 100 || q.http_status > 599)
        return make_error("--http-status " + std::to_string(q.http_status) + " is not an HTTP status (100-599)");
    if (q.http_status < 200)
        return make_error("--http-status " + std::to_string(q.http_status) +
                          " is interim (1xx): the answer to a request must be final (200-599)");

    // The body: its bytes (text or a file) go with the head in one send;
    // the pattern is a send of its own, generated by stream offset.
    std::string body;
    uint64_t pattern = 0;
    std::string_view type = "application/octet-stream";
    if (!q.send_text.empty()) {
        auto t = q.send_literal ? Result<std::string>(q.send_text) : decode_escapes(q.send_text);
        if (!t)
            return t.error();
        body = std::move(t.value());
        type = "text/plain";
    } else if (!q.http_body_file.empty()) {
        auto f = read_whole_file("--http-body", q.http_body_file);
        if (!f)
            return f.error();
        body = std::move(f.value());
    } else {
        pattern = q.send_size ? q.send_size : q.http_body_size;
    }
    const uint64_t body_len = body.size() + pattern;
    const uint16_t st = q.http_status;
    if ((st == 204 || st == 205 || st == 304) && body_len)
        return make_error("--http-status " + std::to_string(st) + " has no body: drop --send, --send-size, "
                          "--http-body-size or --http-body");
    if (body_len == 0 || st == 204 || st == 304)
        type = {};

    const bool one = q.close_after || !q.keep_alive;
    Op head{OpKind::Send};
    head.send.bytes = http_response_head(st, body_len, type, one) + body;
    head.send.literal = true;  // its Content-Length counts these very bytes: no fields
    if (!one)
        spec.ops.push_back(Op{OpKind::Loop, {}, 0});
    spec.ops.push_back(Op{OpKind::RecvHttpRequest});
    spec.ops.push_back(std::move(head));
    if (pattern) {
        Op p{OpKind::Send};
        p.send.kind = SendSource::Kind::Pattern;
        p.send.size = pattern;
        spec.ops.push_back(std::move(p));
    }
    if (!one)
        spec.ops.push_back(Op{OpKind::EndLoop});
    spec.ops.push_back(Op{OpKind::Close});
    return spec;
}

}  // namespace xdpgen::program
