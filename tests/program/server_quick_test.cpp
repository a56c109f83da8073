// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Server programs from command-line options: the program each combination
// makes, the exact canned HTTP response (which our own response parser must
// read as exactly one response), and the errors a user reads.

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "program/quick.hpp"
#include "xdpgen/pattern.h"

using namespace xdpgen;
using namespace xdpgen::program;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

Program build(const ServerQuick& q)
{
    auto s = build_server_program(q);
    INFO((s ? std::string() : s.error().message()));
    REQUIRE(s.ok());
    auto p = Program::compile(s.value());
    INFO((p ? std::string() : p.error().message()));
    REQUIRE(p.ok());
    return std::move(p).value();
}

std::string error(const ServerQuick& q)
{
    auto s = build_server_program(q);
    REQUIRE_FALSE(s.ok());
    return s.error().message();
}

std::vector<OpKind> kinds(const Program& p)
{
    std::vector<OpKind> v;
    for (size_t i = 0; i < p.step_count(); ++i)
        v.push_back(p.step(i).kind);
    return v;
}

// What the server sends for one request (the first iteration).
std::string response(const Program& p)
{
    uint64_t n = p.forever() ? p.loop_tx() + p.period_tx() : p.tx_total();
    std::string s(n, '\0');
    p.fill(0, std::span(reinterpret_cast<uint8_t*>(s.data()), s.size()));
    return s;
}

std::string pattern(uint64_t off, size_t n)
{
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += char(xg_pattern_byte(off + i));
    return s;
}

// A client reading it sees exactly one complete response with that status.
void parses_as_one(const std::string& r, uint16_t status)
{
    HttpParser c;
    HttpProgress pr = c.feed(std::span(reinterpret_cast<const uint8_t*>(r.data()), r.size()), status);
    CHECK(pr.verdict == HttpVerdict::Ok);
    CHECK(pr.completed == 1);
    CHECK(c.idle());
}

using K = OpKind;

}  // namespace

TEST_CASE("a server answers HTTP requests until the client closes", "[program][quick][server]")
{
    ServerQuick q;
    q.recv_http = true;
    SECTION("no body")
    {
        Program p = build(q);
        CHECK(p.forever());
        CHECK(p.reads_requests());
        CHECK(p.in_order());
        CHECK(kinds(p) == std::vector<K>{K::RecvHttpRequest, K::Send, K::Close});
        const std::string r = "HTTP/1.1 200 OK\r\nServer: xdpgen\r\nContent-Length: 0\r\n\r\n";
        CHECK(response(p) == r);
        CHECK(p.describe() == "recv http request, send 54 B, until the peer closes, close");
        parses_as_one(r, 200);
    }
    SECTION("a pattern body")
    {
        q.http_body_size = 100'000;
        Program p = build(q);
        CHECK(kinds(p) == std::vector<K>{K::RecvHttpRequest, K::Send, K::Send, K::Close});
        const std::string head = "HTTP/1.1 200 OK\r\nServer: xdpgen\r\nContent-Type: application/octet-stream\r\n"
                                 "Content-Length: 100000\r\n\r\n";
        std::string r = response(p);
        CHECK(r == head + pattern(head.size(), 100'000));
        CHECK(p.period_tx() == r.size());
        parses_as_one(r, 200);
    }
    SECTION("--send-size is the same body")
    {
        q.send_size = 10;
        ServerQuick b = q;
        b.send_size = 0;
        b.http_body_size = 10;
        CHECK(response(build(q)) == response(build(b)));
    }
    SECTION("a text body, and --http for --recv-http")
    {
        q.recv_http = false;
        q.http = true;
        q.send_text = "hello\\n";
        std::string r = response(build(q));
        CHECK(r == "HTTP/1.1 200 OK\r\nServer: xdpgen\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n"
                   "hello\n");
        parses_as_one(r, 200);
    }
    SECTION("a file's bytes")
    {
        char path[] = "/tmp/xdpgen_server_XXXXXX";
        int fd = mkstemp(path);
        REQUIRE(fd >= 0);
        const std::string content("<html>\r\n\0\xff</html>", 18);
        REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
        close(fd);
        q.http_body_file = path;
        Program p = build(q);
        std::string r = response(p);
        CHECK(r == "HTTP/1.1 200 OK\r\nServer: xdpgen\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Length: 18\r\n\r\n" + content);
        CHECK(kinds(p) == std::vector<K>{K::RecvHttpRequest, K::Send, K::Close});  // head and body in one send
        parses_as_one(r, 200);
        // An empty file is an empty body.
        std::ofstream(path, std::ios::trunc).close();
        CHECK_THAT(response(build(q)), Contains("Content-Length: 0\r\n\r\n"));
        unlink(path);
        q.http_body_file = "/nonexistent/xdpgen/body.html";
        CHECK_THAT(error(q), Equals("--http-body: cannot open /nonexistent/xdpgen/body.html: No such file or directory"));
    }
    SECTION("other statuses")
    {
        q.http_status = 404;
        q.send_text = "no";
        std::string r = response(build(q));
        CHECK_THAT(r, Catch::Matchers::StartsWith("HTTP/1.1 404 Not Found\r\n"));
        parses_as_one(r, 404);
        q.http_status = 299;  // no reason phrase known: the SP stays
        r = response(build(q));
        CHECK_THAT(r, Catch::Matchers::StartsWith("HTTP/1.1 299 \r\nServer: xdpgen\r\n"));
        parses_as_one(r, 299);
        q.http_status = 503;
        parses_as_one(response(build(q)), 503);
        // 204 and 304: no body, no Content-Length, no Content-Type.
        q.send_text.clear();
        q.http_status = 204;
        r = response(build(q));
        CHECK(r == "HTTP/1.1 204 No Content\r\nServer: xdpgen\r\n\r\n");
        parses_as_one(r, 204);
        q.http_status = 304;
        parses_as_one(response(build(q)), 304);
    }
}

TEST_CASE("a server answers one HTTP request and closes", "[program][quick][server]")
{
    ServerQuick q;
    q.recv_http = true;
    q.http_body_size = 7;
    q.close_after = true;
    Program p = build(q);
    CHECK_FALSE(p.forever());
    CHECK(kinds(p) == std::vector<K>{K::RecvHttpRequest, K::Send, K::Send, K::Close});
    const std::string head = "HTTP/1.1 200 OK\r\nServer: xdpgen\r\nContent-Type: application/octet-stream\r\n"
                             "Content-Length: 7\r\nConnection: close\r\n\r\n";
    CHECK(response(p) == head + pattern(head.size(), 7));
    CHECK(p.describe() == "recv http request, send " + std::to_string(head.size()) + " B, send 7 B pattern, close");
    parses_as_one(response(p), 200);

    ServerQuick k;
    k.recv_http = true;
    k.http_body_size = 7;
    k.keep_alive = false;
    CHECK(response(build(k)) == response(p));
}

TEST_CASE("a server without HTTP: recv, send, then close or wait for the client", "[program][quick][server]")
{
    ServerQuick q;
    SECTION("nothing given: a sink")
    {
        Program p = build(q);
        CHECK(kinds(p) == std::vector<K>{K::RecvUntilClose, K::Close});
        CHECK(p.describe() == "recv until close, close");
        q.close_after = true;
        CHECK(kinds(build(q)) == std::vector<K>{K::Close});
    }
    SECTION("recv and a pattern")
    {
        q.recv_bytes = 100;
        q.send_size = 1000;
        Program p = build(q);
        CHECK(p.describe() == "recv 100 B, send 1,000 B pattern, recv until close, close");
        CHECK_FALSE(p.in_order());
        CHECK(response(p) == pattern(0, 1000));
        q.close_after = true;
        CHECK(build(q).describe() == "recv 100 B, send 1,000 B pattern, close");
        q.keep_alive = false;  // HTTP only; nothing repeats here anyway
        CHECK(build(q).describe() == "recv 100 B, send 1,000 B pattern, close");
    }
    SECTION("received bytes checked against the pattern")
    {
        q.recv_bytes = 100;
        q.verify = true;
        CHECK(build(q).describe() == "recv 100 B, recv until close, close, verify");
        CHECK(build(q).verify());
    }
    SECTION("a greeting first")
    {
        q.send_text = "220 xdpgen\\r\\n";
        Program p = build(q);
        CHECK(p.describe() == "send 12 B, recv until close, close");
        CHECK(response(p) == "220 xdpgen\r\n");
    }
}

TEST_CASE("server options refuse contradictions", "[program][quick][server]")
{
    ServerQuick q;
    SECTION("two ways to receive")
    {
        q.recv_bytes = 10;
        q.recv_http = true;
        CHECK_THAT(error(q), Equals("--recv and --recv-http exclude each other: give one"));
        q.recv_http = false;
        q.http = true;
        CHECK_THAT(error(q), Equals("--recv and --http exclude each other: give one"));
    }
    SECTION("two bodies")
    {
        q.recv_http = true;
        q.send_text = "a";
        q.http_body_size = 3;
        CHECK_THAT(error(q), Equals("--send, --send-size, --http-body-size and --http-body exclude each other: give one"));
        q.send_text.clear();
        q.http_body_file = "/etc/hostname";
        CHECK_THAT(error(q), Contains("exclude each other"));
    }
    SECTION("HTTP options without HTTP")
    {
        q.http_body_size = 10;
        CHECK_THAT(error(q), Equals("--http-body-size is the body of an HTTP response: it needs --recv-http"));
        q.http_body_size = 0;
        q.http_body_file = "/etc/hostname";
        CHECK_THAT(error(q), Equals("--http-body is the body of an HTTP response: it needs --recv-http"));
        q.http_body_file.clear();
        q.http_status = 404;
        CHECK_THAT(error(q), Equals("--http-status 404 needs --recv-http"));
    }
    SECTION("statuses that cannot answer, or cannot carry the body")
    {
        q.recv_http = true;
        q.http_status = 99;
        CHECK_THAT(error(q), Equals("--http-status 99 is not an HTTP status (100-599)"));
        q.http_status = 600;
        CHECK_THAT(error(q), Contains("is not an HTTP status"));
        q.http_status = 100;
        CHECK_THAT(error(q), Equals("--http-status 100 is interim (1xx): the answer to a request must be final "
                                    "(200-599)"));
        q.http_status = 204;
        q.http_body_size = 1;
        CHECK_THAT(error(q), Contains("--http-status 204 has no body"));
        q.http_status = 205;
        CHECK_THAT(error(q), Contains("--http-status 205 has no body"));
    }
    SECTION("--verify with HTTP")
    {
        q.recv_http = true;
        q.verify = true;
        CHECK_THAT(error(q), Equals("--verify checks received bytes against the pattern: it cannot be used with HTTP"));
    }
    SECTION("a bad escape reaches the user")
    {
        q.send_text = "\\q";
        CHECK_THAT(error(q), Equals("--send: unknown escape \\q"));
        q.recv_http = true;
        CHECK_THAT(error(q), Equals("--send: unknown escape \\q"));
    }
}

TEST_CASE("reason phrases for common statuses", "[program][quick][server]")
{
    CHECK(std::string(http_reason(200)) == "OK");
    CHECK(std::string(http_reason(404)) == "Not Found");
    CHECK(std::string(http_reason(500)) == "Internal Server Error");
    CHECK(std::string(http_reason(299)).empty());
    CHECK(http_response_head(201, 5, "text/plain", true) ==
          "HTTP/1.1 201 Created\r\nServer: xdpgen\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
          "Connection: close\r\n\r\n");
}
