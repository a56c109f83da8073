// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Programs from command-line options: escapes, exclusive options, the
// program each combination makes, and the errors a user reads.

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "program/quick.hpp"

using namespace xdpgen;
using namespace xdpgen::program;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

Program build(const QuickProgram& q)
{
    auto s = build_quick_program(q);
    INFO((s ? std::string() : s.error().message()));
    REQUIRE(s.ok());
    auto p = Program::compile(s.value());
    INFO((p ? std::string() : p.error().message()));
    REQUIRE(p.ok());
    return std::move(p).value();
}

std::string error(const QuickProgram& q)
{
    auto s = build_quick_program(q);
    REQUIRE_FALSE(s.ok());
    return s.error().message();
}

std::string stream(const Program& p)
{
    std::string s(p.tx_total(), '\0');
    p.fill(0, std::span(reinterpret_cast<uint8_t*>(s.data()), s.size()));
    return s;
}

}  // namespace

TEST_CASE("decode_escapes turns escapes into bytes and refuses unknown ones", "[program][quick]")
{
    auto d = decode_escapes("GET / HTTP/1.0\\r\\n\\tx\\\\y\\0z\\x41\\xfF!");
    REQUIRE(d.ok());
    CHECK(d.value() == std::string("GET / HTTP/1.0\r\n\tx\\y\0zA\xff!", 25));
    CHECK(decode_escapes("plain").value() == "plain");
    CHECK_THAT(decode_escapes("a\\q").error().message(), Equals("--send: unknown escape \\q"));
    CHECK_THAT(decode_escapes("a\\").error().message(), Equals("--send: a lone backslash at the end"));
    CHECK_THAT(decode_escapes("\\x4").error().message(), Contains("\\x needs two hex digits"));
    CHECK_THAT(decode_escapes("\\xg0").error().message(), Contains("\\x needs two hex digits"));
}

TEST_CASE("quick options make loop { send; recv; delay }, close", "[program][quick]")
{
    QuickProgram q;
    SECTION("nothing given: connect, close")
    {
        Program p = build(q);
        CHECK(p.step_count() == 1);
        CHECK(p.describe() == "close");
    }
    SECTION("text and bytes")
    {
        q.send_text = "ping\\n";
        q.recv_bytes = 5;
        Program p = build(q);
        CHECK(p.describe() == "send 5 B, recv 5 B, close");
        CHECK(stream(p) == "ping\n");
    }
    SECTION("pattern, repeated, with a delay")
    {
        q.send_size = 1000;
        q.recv_bytes = 10;
        q.requests = 3;
        q.delay_ms = 20;
        q.verify = true;
        Program p = build(q);
        CHECK(p.describe() == "send 1,000 B pattern, recv 10 B, delay 20 ms, x3, close, verify");
        CHECK(p.step_count() == 10);
        CHECK(p.tx_total() == 3000);
        CHECK(p.step(7).arg == 30);  // the third recv's cumulative target
    }
    SECTION("--http")
    {
        q.http_get_path = "/index.html";
        q.http_host = "198.18.0.2";
        q.requests = 2;
        q.expect_status = 200;
        Program p = build(q);
        CHECK(p.in_order());
        CHECK(p.describe() == "send 66 B, recv http, x2, close, expect status 200");
        const std::string get = "GET /index.html HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: xdpgen\r\n\r\n";
        CHECK(stream(p) == get + get);
    }
    SECTION("--recv-http after a custom request")
    {
        q.send_text = "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n";
        q.recv_http = true;
        CHECK(build(q).describe() == "send 27 B, recv http, close");
    }
    SECTION("--recv-until-close once")
    {
        q.send_text = "x";
        q.recv_until_close = true;
        CHECK(build(q).describe() == "send 1 B, recv until close, close");
    }
    SECTION("only a delay")
    {
        q.delay_ms = 5;
        CHECK(build(q).describe() == "delay 5 ms, close");
    }
    SECTION("--hold: once, after the repeated exchanges, before the close")
    {
        q.send_text = "x";
        q.recv_bytes = 1;
        q.requests = 2;
        q.hold_ms = 30000;
        Program p = build(q);
        CHECK(p.describe() == "send 1 B, recv 1 B, x2, delay 30,000 ms, close");
        CHECK(p.step_count() == 6);
        CHECK(p.step(4).arg == 30000 * tcp::kMs);
    }
}

TEST_CASE("quick options: a file's bytes are sent as they are", "[program][quick]")
{
    char path[] = "/tmp/xdpgen_quick_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    const std::string content("line\r\n\0binary\xff", 14);
    REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
    close(fd);
    QuickProgram q;
    q.send_file = path;
    q.recv_until_close = true;
    Program p = build(q);
    CHECK(stream(p) == content);

    // An empty file sends nothing: said so.
    std::ofstream(path, std::ios::trunc).close();
    CHECK_THAT(error(q), Equals("--send-file " + std::string(path) + " is empty: nothing to send"));
    unlink(path);

    q.send_file = "/nonexistent/xdpgen/request.bin";
    CHECK_THAT(error(q), Equals("--send-file: cannot open /nonexistent/xdpgen/request.bin: No such file or directory"));
}

TEST_CASE("quick options refuse conflicting and meaningless combinations", "[program][quick]")
{
    QuickProgram q;
    SECTION("two sends")
    {
        q.send_text = "a";
        q.send_size = 3;
        CHECK_THAT(error(q), Equals("--send, --send-file and --send-size exclude each other: give one"));
    }
    SECTION("two recvs")
    {
        q.recv_bytes = 3;
        q.recv_until_close = true;
        CHECK_THAT(error(q), Equals("--recv, --recv-http and --recv-until-close exclude each other: give one"));
    }
    SECTION("--http with a send or recv option")
    {
        q.http_get_path = "/";
        q.http_host = "h";
        q.recv_bytes = 10;
        CHECK_THAT(error(q), Contains("--http sends its own GET"));
        q.recv_bytes = 0;
        q.send_file = "x";
        CHECK_THAT(error(q), Contains("--http sends its own GET"));
    }
    SECTION("--http path and host")
    {
        q.http_get_path = "index.html";
        q.http_host = "h";
        CHECK_THAT(error(q), Contains("is not a path"));
        q.http_get_path = "/a b";
        CHECK_THAT(error(q), Contains("is not a path"));
        q.http_get_path = "/a\r\nX: y";
        CHECK_THAT(error(q), Contains("is not a path"));
        q.http_get_path = "/";
        q.http_host = "";
        CHECK_THAT(error(q), Contains("needs a host name"));
    }
    SECTION("repeating nothing")
    {
        q.requests = 5;
        q.delay_ms = 1;
        CHECK_THAT(error(q), Equals("--requests-per-connection 5 needs something to send or receive per request"));
    }
    SECTION("zero requests")
    {
        q.requests = 0;
        CHECK_THAT(error(q), Equals("--requests-per-connection must be at least 1"));
    }
    SECTION("repeating recv-until-close")
    {
        q.send_text = "x";
        q.recv_until_close = true;
        q.requests = 2;
        CHECK_THAT(error(q), Contains("--recv-until-close reads until the peer closes"));
    }
    SECTION("verify with HTTP, or with nothing to receive")
    {
        q.verify = true;
        q.recv_http = true;
        CHECK_THAT(error(q), Contains("--verify checks received bytes against the pattern"));
        q.recv_http = false;
        q.send_size = 10;
        CHECK_THAT(error(q), Equals("--verify needs something to receive: --recv or --recv-until-close"));
    }
    SECTION("expect-status without HTTP, or out of range")
    {
        q.expect_status = 200;
        CHECK_THAT(error(q), Equals("--expect-status needs --http or --recv-http"));
        q.recv_http = true;
        q.expect_status = 42;
        CHECK_THAT(error(q), Contains("is not an HTTP status"));
    }
    SECTION("a bad escape reaches the user")
    {
        q.send_text = "\\z";
        CHECK_THAT(error(q), Equals("--send: unknown escape \\z"));
    }
}

TEST_CASE("HTTP request options: method, headers, body", "[program][quick]")
{
    QuickProgram q;
    q.http_get_path = "/api?id=7";
    q.http_host = "example:8080";
    SECTION("headers are added in order; Host and User-Agent given replace ours")
    {
        q.http_headers = {"Accept: text/html", "User-Agent:  curl/8", "X-Empty:"};
        Program p = build(q);
        CHECK(stream(p) == "GET /api?id=7 HTTP/1.1\r\nHost: example:8080\r\n"
                           "Accept: text/html\r\nUser-Agent: curl/8\r\nX-Empty: \r\n\r\n");
        q.http_headers = {"host: other"};
        CHECK(stream(build(q)) == "GET /api?id=7 HTTP/1.1\r\nUser-Agent: xdpgen\r\nhost: other\r\n\r\n");
    }
    SECTION("a body makes a POST with its Content-Length; --method overrides")
    {
        q.http_body = "a=1&b=2";
        CHECK(stream(build(q)) == "POST /api?id=7 HTTP/1.1\r\nHost: example:8080\r\nUser-Agent: xdpgen\r\n"
                                  "Content-Length: 7\r\n\r\na=1&b=2");
        q.http_method = "PUT";
        CHECK_THAT(stream(build(q)), Catch::StartsWith("PUT /api?id=7 HTTP/1.1\r\n") && Contains("Content-Length: 7"));
        q.http_body.clear();
        q.http_method = "DELETE";
        CHECK(stream(build(q)) == "DELETE /api?id=7 HTTP/1.1\r\nHost: example:8080\r\nUser-Agent: xdpgen\r\n\r\n");
        q.http_method = "POST";  // an empty POST still says its length
        CHECK_THAT(stream(build(q)), Contains("Content-Length: 0\r\n\r\n"));
    }
    SECTION("a body from a file, byte for byte")
    {
        char path[] = "/tmp/xdpgen-body-XXXXXX";
        const int fd = mkstemp(path);
        REQUIRE(fd >= 0);
        const std::string body("x\0y\r\n", 5);
        REQUIRE(write(fd, body.data(), body.size()) == 5);
        close(fd);
        q.http_body_file = path;
        const std::string s = stream(build(q));
        std::remove(path);
        CHECK(s == "POST /api?id=7 HTTP/1.1\r\nHost: example:8080\r\nUser-Agent: xdpgen\r\nContent-Length: 5\r\n\r\n" +
                       body);
    }
    SECTION("what is refused, and why")
    {
        q.http_headers = {"NoColon"};
        CHECK_THAT(error(q), Contains("is not a header"));
        q.http_headers = {"Bad Name: x"};
        CHECK_THAT(error(q), Contains("has a character names cannot have"));
        q.http_headers = {"X: a\r\nInjected: 1"};
        CHECK_THAT(error(q), Contains("cannot hold a line break"));
        q.http_headers = {"Content-Length: 3"};
        CHECK_THAT(error(q), Contains("sets the body's framing itself"));
        q.http_headers.clear();
        q.http_method = "HEAD";
        CHECK_THAT(error(q), Contains("--method HEAD is not supported"));
        q.http_method = "GE T";
        CHECK_THAT(error(q), Contains("is not a method name"));
        q.http_method.clear();
        q.http_body = "a";
        q.http_body_file = "/etc/hostname";
        CHECK_THAT(error(q), Contains("--body and --body-file exclude each other"));
        QuickProgram plain;
        plain.send_text = "x";
        plain.http_headers = {"A: b"};
        CHECK_THAT(error(plain), Contains("give --http PATH or a URL"));
    }
}
