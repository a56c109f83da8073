// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The HTTP/1.1 response framing: each way of ending a body, interim and
// body-less responses, a keep-alive sequence fed in every kind of split
// (each response must complete exactly at its last byte), and the inputs
// that must be refused.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "program/http_parser.hpp"

using namespace xdpgen::program;

namespace {

std::span<const uint8_t> bytes(const std::string& s)
{
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Fed {
    uint32_t completed = 0;
    HttpVerdict verdict = HttpVerdict::Ok;
};

// Feeds all of s in one call.
Fed feed(HttpParser& p, const std::string& s, uint16_t expect = 0)
{
    HttpProgress r = p.feed(bytes(s), expect);
    return {r.completed, r.verdict};
}

// Feeds s one byte at a time, adding up.
Fed feed_bytes(HttpParser& p, const std::string& s, uint16_t expect = 0)
{
    Fed f;
    for (char c : s) {
        HttpProgress r = p.feed(bytes(std::string(1, c)), expect);
        f.completed += r.completed;
        if (r.verdict != HttpVerdict::Ok)
            return {f.completed, r.verdict};
    }
    return f;
}

Fed parse(const std::string& s, uint16_t expect = 0)
{
    HttpParser p;
    Fed whole = feed(p, s, expect);
    HttpParser q;
    Fed one = feed_bytes(q, s, expect);
    // The split must never change the outcome.
    CHECK(whole.completed == one.completed);
    CHECK(whole.verdict == one.verdict);
    CHECK(p.idle() == q.idle());
    return whole;
}

bool malformed(const std::string& s)
{
    Fed f = parse(s);
    return f.verdict == HttpVerdict::Malformed;
}

std::string with_length(const std::string& status_line, const std::string& body, const std::string& extra = "")
{
    return status_line + "\r\n" + extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Rng {
    uint64_t s;
    uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

}  // namespace

TEST_CASE("Content-Length bodies end at their last byte", "[program][http]")
{
    const std::string r = with_length("HTTP/1.1 200 OK", "hello world");
    HttpParser p;
    CHECK(p.idle());
    Fed f = feed(p, r.substr(0, r.size() - 1));
    CHECK(f.completed == 0);
    CHECK_FALSE(p.idle());
    CHECK(p.status() == 200);
    f = feed(p, r.substr(r.size() - 1));
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);
    CHECK(p.idle());

    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").completed == 1);
    // Case-insensitive names, whitespace around the value, bare LF, no reason phrase.
    CHECK(parse("HTTP/1.0 200\ncOnTeNt-LeNgTh:\t 3 \nX: y\n\nabc").completed == 1);
    CHECK(parse("HTTP/1.1 200 \r\ncontent-length:3\r\n\r\nabc").completed == 1);
    // Names that merely start like the ones that matter are other fields.
    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Lengthy: 99\r\nContent-Length: 1\r\nTransfer: chunked\r\n\r\nx")
              .completed == 1);
}

TEST_CASE("chunked bodies: extensions, trailers, sizes in hex", "[program][http]")
{
    const std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n"
                          "1A;name=value;x=\"q\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                          "a \r\n0123456789\r\n"
                          "0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
    Fed f = parse(r);
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);
    // Not complete before the empty line that ends the trailers.
    HttpParser p;
    CHECK(feed(p, r.substr(0, r.size() - 2)).completed == 0);
    CHECK(feed(p, r.substr(r.size() - 2)).completed == 1);
    CHECK(p.idle());

    // Chunk data containing CRLF and digits does not confuse the framing.
    CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n0\n\r\n0\r\n\r\n").completed == 1);
    // Chunked must be the final coding; earlier codings are fine.
    CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n").completed == 1);
    // Chunked wins over Content-Length (RFC 9112 §6.3 rule 3).
    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n")
              .completed == 1);
    // Bare LFs around chunks.
    CHECK(parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n").completed == 1);
}

TEST_CASE("close-delimited bodies end at the peer's FIN", "[program][http]")
{
    for (const std::string& head :
         {std::string("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n"),
          std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),  // chunked not final
          std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n")}) {
        INFO(head);
        HttpParser p;
        Fed f = feed(p, head + "anything, HTTP/1.1 200 OK\r\n\r\n, anything");
        CHECK(f.completed == 0);
        CHECK(f.verdict == HttpVerdict::Ok);
        HttpProgress end = p.finish(0);
        CHECK(end.completed == 1);
        CHECK(end.verdict == HttpVerdict::Ok);
        CHECK(p.idle());
        CHECK(p.finish(0).completed == 0);  // idempotent
    }
    // A FIN mid-head or mid-length-body completes nothing.
    HttpParser p;
    feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
    CHECK(p.finish(0).completed == 0);
    CHECK_FALSE(p.idle());
    HttpParser q;
    feed(q, "HTTP/1.1 200 OK\r\nContent-");
    CHECK(q.finish(0).completed == 0);
    // A close-delimited 404 is still checked.
    HttpParser r;
    feed(r, "HTTP/1.0 404 Not Found\r\n\r\nnope");
    CHECK(r.finish(0).verdict == HttpVerdict::BadStatus);
}

TEST_CASE("interim 1xx responses are skipped, 204 and 304 have no body", "[program][http]")
{
    Fed f = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" +
                  with_length("HTTP/1.1 200 OK", "ok"), 200);
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);

    // Content-Length on a 204/304 describes nothing that follows.
    f = parse("HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n" + with_length("HTTP/1.1 200 OK", "x"));
    CHECK(f.completed == 2);
    f = parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", 304);
    CHECK(f.completed == 1);
    f = parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 304);
    CHECK(f.completed == 1);
}

TEST_CASE("a keep-alive sequence completes each response at its last byte in every split", "[program][http]")
{
    // Ten responses, every framing, back to back.
    std::vector<std::string> rs = {
        with_length("HTTP/1.1 200 OK", "first"),
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n0\r\nT: x\r\n\r\n",
        "HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n" + with_length("HTTP/1.1 201 Created", "new"),
        with_length("HTTP/1.1 200 OK", ""),
        "HTTP/1.1 200 OK\r\ntransfer-encoding:   CHUNKED\r\n\r\n10\r\n0123456789abcdef\r\n1\r\n\n\r\n0\r\n\r\n",
        with_length("HTTP/1.1 202 Accepted", std::string(5000, 'b'), "Server: t\r\nX-Long: " + std::string(3000, 'h') + "\r\n"),
        "HTTP/1.1 200 OK\nContent-Length: 4\n\nHTTP",  // a body that looks like a status line
        "\r\n" + with_length("HTTP/1.1 200 OK", "after an empty line"),
        with_length("HTTP/1.1 299 Whatever", "last"),
    };
    std::string stream;
    std::vector<size_t> ends;  // offset just past each response
    for (auto& r : rs) {
        stream += r;
        ends.push_back(stream.size());
    }
    auto expected_at = [&](size_t off) {
        return uint32_t(std::count_if(ends.begin(), ends.end(), [off](size_t e) { return e <= off; }));
    };
    // Feeds the stream cut at `cuts` and checks the count after each piece.
    auto run = [&](const std::vector<size_t>& cuts) {
        HttpParser p;
        uint32_t total = 0;
        size_t prev = 0;
        for (size_t c : cuts) {
            HttpProgress r = p.feed(bytes(stream.substr(prev, c - prev)), 0);
            REQUIRE(r.verdict == HttpVerdict::Ok);
            total += r.completed;
            INFO("after byte " << c);
            REQUIRE(total == expected_at(c));
            prev = c;
        }
        CHECK(total == 10);
        CHECK(p.idle());
    };

    SECTION("whole") { run({stream.size()}); }
    SECTION("byte at a time")
    {
        std::vector<size_t> cuts;
        for (size_t i = 1; i <= stream.size(); ++i)
            cuts.push_back(i);
        run(cuts);
    }
    SECTION("random cut points")
    {
        Rng rng{0x2545f4914f6cdd1dull};
        for (int round = 0; round < 200; ++round) {
            std::vector<size_t> cuts;
            size_t at = 0;
            while (at < stream.size()) {
                at = std::min(stream.size(), at + 1 + size_t(rng.next() % (round % 2 ? 40 : 1500)));
                cuts.push_back(at);
            }
            run(cuts);
        }
    }
    SECTION("cut exactly at each response end and one byte either side")
    {
        std::vector<size_t> cuts;
        for (size_t e : ends) {
            if (e > 1 && (cuts.empty() || cuts.back() < e - 1))
                cuts.push_back(e - 1);
            cuts.push_back(e);
            if (e + 1 < stream.size())
                cuts.push_back(e + 1);
        }
        if (cuts.back() != stream.size())
            cuts.push_back(stream.size());
        run(cuts);
    }
}

TEST_CASE("malformed responses are refused and stay refused", "[program][http]")
{
    CHECK(malformed("HTTP/1.1 20 OK\r\n\r\n"));             // two digits
    CHECK(malformed("HTTP/1.1 2000 OK\r\n\r\n"));           // four digits
    CHECK(malformed("HTTP/1.1 099 Low\r\n\r\n"));           // not a status class
    CHECK(malformed("HTTP/1.1 2x0 OK\r\n\r\n"));
    CHECK(malformed("HTTP/2 200\r\n\r\n"));
    CHECK(malformed("http/1.1 200 OK\r\n\r\n"));            // HTTP-name is case-sensitive
    CHECK(malformed("HTTP/1.1  200 OK\r\n\r\n"));
    CHECK(malformed("SSH-2.0-OpenSSH\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"));
    CHECK(malformed("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"));  // no size
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n"));
    // 17 hex digits cannot be a size.
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"));

    // Refused once, refused for good: nothing more completes.
    HttpParser p;
    CHECK(feed(p, "HTTP/1.1 2000\r\n").verdict == HttpVerdict::Malformed);
    CHECK(p.failed());
    Fed f = feed(p, with_length("HTTP/1.1 200 OK", "x"));
    CHECK(f.verdict == HttpVerdict::Malformed);
    CHECK(f.completed == 0);
    CHECK(p.finish(0).verdict == HttpVerdict::Malformed);
}

TEST_CASE("Content-Length up to 2^48-1 is a length, beyond it is malformed", "[program][http]")
{
    static_assert(HttpParser::kMaxLength == 281474976710655ull);
    HttpParser p;
    Fed f = feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 281474976710655\r\n\r\nsome");
    CHECK(f.verdict == HttpVerdict::Ok);
    CHECK(f.completed == 0);
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 281474976710656\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n"));
    CHECK(malformed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n"));
    // Leading zeros are digits like any other.
    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 000000000000000000000000002\r\n\r\nab").completed == 1);
    // The largest chunk size (12 hex digits) is a size; one more bit is not.
    HttpParser q;
    f = feed(q, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\nxyz");
    CHECK(f.verdict == HttpVerdict::Ok);
    CHECK(malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n"));
    CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000001\r\nx\r\n0\r\n\r\n")
              .completed == 1);
    // A body near the limit is counted down exactly: the 48 bits are split in the state.
    HttpParser r;
    f = feed(r, "HTTP/1.1 200 OK\r\nContent-Length: 4294967297\r\n\r\n");  // 2^32 + 1
    std::string mib(1 << 20, 'b');
    for (int i = 0; i < 4096; ++i)
        REQUIRE(feed(r, mib).completed == 0);
    CHECK_FALSE(r.idle());
    std::string tail = with_length("HTTP/1.1 200 OK", "x");
    tail.insert(tail.begin(), 'b');  // the last body byte, then the next response
    f = feed(r, tail);
    CHECK(f.completed == 2);
    CHECK(r.idle());
}

TEST_CASE("the head is limited to 64 KiB", "[program][http]")
{
    const std::string start = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-Pad: ";
    const std::string finish = "\r\n\r\n";
    const size_t pad = HttpParser::kMaxHeadBytes - start.size() - finish.size();
    CHECK(parse(start + std::string(pad, 'p') + finish + "b").completed == 1);
    CHECK(malformed(start + std::string(pad + 1, 'p') + finish + "b"));
    // A peer that never ends its head.
    HttpParser p;
    Fed f = feed(p, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 100 && f.verdict == HttpVerdict::Ok; ++i)
        f = feed(p, "X-Endless: " + std::string(1000, 'e') + "\r\n");
    CHECK(f.verdict == HttpVerdict::Malformed);
    // Empty lines between responses count too, so they cannot go on forever.
    HttpParser q;
    f = feed(q, std::string(70'000, '\n'));
    CHECK(f.verdict == HttpVerdict::Malformed);
    // Each chunk line has its own limit; many chunks are fine.
    std::string many = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20000; ++i)
        many += "1;e=1\r\nx\r\n";
    many += "0\r\n\r\n";
    CHECK(parse(many).completed == 1);
}

TEST_CASE("the status of each complete response is checked", "[program][http]")
{
    CHECK(parse(with_length("HTTP/1.1 404 Not Found", "nope")).verdict == HttpVerdict::BadStatus);
    CHECK(parse(with_length("HTTP/1.1 301 Moved", "")).verdict == HttpVerdict::BadStatus);
    CHECK(parse(with_length("HTTP/1.1 404 Not Found", "nope"), 404).verdict == HttpVerdict::Ok);
    CHECK(parse(with_length("HTTP/1.1 201 Created", ""), 200).verdict == HttpVerdict::BadStatus);
    CHECK(parse(with_length("HTTP/1.1 200 OK", ""), 200).verdict == HttpVerdict::Ok);
    // The mismatch is known once the response is complete, not before:
    // the responses before it still count.
    HttpParser p;
    std::string two = with_length("HTTP/1.1 200 OK", "a") + with_length("HTTP/1.1 500 Oops", "bbb");
    Fed f = feed(p, two.substr(0, two.size() - 1));
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::Ok);
    CHECK(p.status() == 500);
    f = feed(p, two.substr(two.size() - 1));
    CHECK(f.completed == 0);
    CHECK(f.verdict == HttpVerdict::BadStatus);
    CHECK(p.failed());
}

TEST_CASE("a header split across segment boundaries", "[program][http]")
{
    HttpParser p;
    CHECK(feed(p, "HTTP/1.1 200 OK\r\nConte").completed == 0);
    CHECK(feed(p, "nt-Le").completed == 0);
    CHECK(feed(p, "ngth: 1").completed == 0);
    CHECK(feed(p, "2\r").completed == 0);
    CHECK(feed(p, "\n\r").completed == 0);
    CHECK(feed(p, "\n0123456789a").completed == 0);
    Fed f = feed(p, "bHTTP/1.1 200 OK\r\nTransfer-Encod");
    CHECK(f.completed == 1);  // the 12-byte body, then the next response begins
    CHECK(feed(p, "ing: chu").completed == 0);
    CHECK(feed(p, "nked\r\n\r\n2\r").completed == 0);
    CHECK(feed(p, "\nab\r").completed == 0);
    CHECK(feed(p, "\n0\r\n\r").completed == 0);
    CHECK(feed(p, "\n").completed == 1);
}

TEST_CASE("nginx-style responses", "[program][http]")
{
    const std::string body =
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome</title>\n</head>\n<body>\n<h1>It works</h1>\n"
        "<p>This is the default page of a test server.</p>\n</body>\n</html>\n";
    const std::string plain = "HTTP/1.1 200 OK\r\n"
                              "Server: nginx/1.22.1\r\n"
                              "Date: Thu, 01 Feb 2024 10:00:00 GMT\r\n"
                              "Content-Type: text/html\r\n"
                              "Content-Length: " + std::to_string(body.size()) + "\r\n"
                              "Last-Modified: Wed, 31 Jan 2024 09:00:00 GMT\r\n"
                              "Connection: keep-alive\r\n"
                              "ETag: \"65ba0c30-8c\"\r\n"
                              "Accept-Ranges: bytes\r\n"
                              "\r\n" + body;
    // gzip on: nginx streams the compressed body chunked.
    const std::string chunked = "HTTP/1.1 200 OK\r\n"
                                "Server: nginx/1.22.1\r\n"
                                "Date: Thu, 01 Feb 2024 10:00:01 GMT\r\n"
                                "Content-Type: text/html\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "Connection: keep-alive\r\n"
                                "Content-Encoding: gzip\r\n"
                                "\r\n"
                                "14\r\n" +
                                std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x0a\x0d\x30\x0d\x0a\x00\x00\x00\x00\x01", 20) +
                                "\r\n0\r\n\r\n";
    const std::string not_found = "HTTP/1.1 404 Not Found\r\n"
                                  "Server: nginx/1.22.1\r\n"
                                  "Content-Type: text/html\r\n"
                                  "Content-Length: 5\r\n"
                                  "Connection: keep-alive\r\n"
                                  "\r\nNope\n";
    Fed f = parse(plain + chunked + plain);
    CHECK(f.completed == 3);
    CHECK(f.verdict == HttpVerdict::Ok);
    f = parse(plain + not_found + plain);
    CHECK(f.completed == 1);
    CHECK(f.verdict == HttpVerdict::BadStatus);
    CHECK(parse(not_found, 404).completed == 1);
}

TEST_CASE("a response that ends the connection stops the parser after it", "[program][http]")
{
    const std::string next = with_length("HTTP/1.1 200 OK", "next");
    struct Case {
        std::string response;
        bool closes;
    };
    for (const Case& c : {
             Case{with_length("HTTP/1.1 200 OK", "hi", "Connection: close\r\n"), true},
             Case{with_length("HTTP/1.1 200 OK", "hi", "Connection: Keep-Alive, CLOSE\r\n"), true},
             Case{with_length("HTTP/1.0 200 OK", "hi"), true},  // HTTP/1.0 persists only when asked
             Case{with_length("HTTP/1.0 200 OK", "hi", "Connection: keep-alive\r\n"), false},
             Case{with_length("HTTP/1.1 200 OK", "hi"), false},
             Case{with_length("HTTP/1.1 200 OK", "hi", "Connection: closed\r\n"), false},
             Case{with_length("HTTP/1.1 200 OK", "hi", "X-Connection: close\r\n"), false},
             Case{"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", true},
         }) {
        INFO(c.response);
        // Split anywhere: the verdict is the same, and after a closing
        // response the next one is never read.
        Fed f = parse(c.response + next);
        CHECK(f.verdict == HttpVerdict::Ok);
        CHECK(f.completed == (c.closes ? 1u : 2u));
        HttpParser p;
        feed_bytes(p, c.response);
        CHECK(p.closes() == c.closes);
        CHECK(p.idle());
    }
    // The interim response's Connection does not decide: the final one's does.
    HttpParser p;
    Fed f = feed(p, "HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n" + with_length("HTTP/1.1 200 OK", "x"));
    CHECK(f.completed == 1);
    CHECK_FALSE(p.closes());
    // A body read to the FIN ends the connection too.
    HttpParser q;
    feed(q, "HTTP/1.1 200 OK\r\n\r\nbody");
    CHECK(q.finish(0).completed == 1);
    CHECK(q.closes());
}
